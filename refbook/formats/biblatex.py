"""BibLaTeX: read as BibTeX is (``refbook.formats.bibtex``: the grammar is the same);
written in BibLaTeX's data model (``journaltitle``, ``date``, ``location``,
``annotation``, ``institution``; ``@report``, ``@thesis``, ``@online``)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

from .bibtex import read  # noqa: F401  (a BibLaTeX file is read as BibTeX is)

if TYPE_CHECKING:
    from ..model import Entry

# BibTeX field -> BibLaTeX field
FIELDS = {
    "journal": "journaltitle",
    "address": "location",
    "annote": "annotation",
    "school": "institution",
    "key": "sortkey",
}
# BibTeX entry type -> (BibLaTeX entry type, its ``type`` field when the entry has none)
TYPES = {
    "techreport": ("report", "techreport"),
    "phdthesis": ("thesis", "phdthesis"),
    "mastersthesis": ("thesis", "mathesis"),
    "www": ("online", None),
    "electronic": ("online", None),
    "conference": ("inproceedings", None),
}


def write(entries: Sequence[Entry]) -> str:
    """The entries in BibLaTeX's data model (``year``/``month`` become ``date``)."""
    return "".join(write_parts(entries))


def write_parts(entries: Sequence[Entry]) -> Iterator[str]:
    """``write``'s document in pieces, an entry at a time (from the cache, the records
    read in one pass; an entry's value as written only for a value that needs it)."""
    from ..bibtex import quote
    from ..model import month_number
    from . import streamed

    for i, e in enumerate(streamed(entries, ("item",))):
        etype, subtype = TYPES.get(e.type, (e.type, None))
        values = dict(e.fields)
        if "date" not in values and values.get("year"):
            month = month_number(values.get("month", ""))
            values["date"] = f"{values['year']}-{month:02d}" if month else values["year"]
        values.pop("year", None)
        values.pop("month", None)
        if subtype and "type" not in values:
            values["type"] = subtype
        lines = [f"@{etype}{{{e.key},"]
        for name, value in values.items():
            try:
                lines.append(f"  {FIELDS.get(name, name)} = {quote(value)},")
            except ValueError:  # a lone brace in a "quoted" value: kept as written
                written = _as_written(e, name)
                lines.append(f"  {FIELDS.get(name, name)} = {written or quote(value)},")
        lines.append("}")
        text = "\n".join(lines)
        yield "\n\n" + text if i else text
    yield "\n"


def _as_written(entry: Entry, name: str) -> str | None:
    """The value of field ``name`` as written; for an entry from the library cache when
    the cache has not read the values as written (its lint table), from the entry's own
    text (a value as written needs no macro defined elsewhere): rare (a lone brace in a
    quoted value), so a biblatex export needs no parse of the whole file for them."""
    try:
        return entry.raw(name)
    except LookupError:
        from ..model import loads

        return next(iter(loads(entry.source))).raw(name)
