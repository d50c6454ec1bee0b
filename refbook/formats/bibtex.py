"""BibTeX: entries read from a .bib (``add FILE``) and written as stored or in the
canonical layout (``export --format bibtex [--normalize]``)."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

from ..errors import InputError
from . import Draft

if TYPE_CHECKING:
    from ..fmt import Layout
    from ..model import Entry

_ENTRY_START = re.compile(r"^\s*@\w+\s*[{(]", re.M)


def detect(text: str) -> bool:
    return _ENTRY_START.search(text) is not None


def read(text: str, name: str = "<input>") -> list[Draft]:
    """The entries of a BibTeX (or BibLaTeX) file as drafts, each field's value as
    written (``@string`` macros expanded); a file with a syntax error is refused."""
    from ..bibtex import evaluate
    from ..store import BibFile

    bib = BibFile(text, name=name)
    errors = [p for p in bib.problems if p.severity == "error"]
    if errors:
        raise InputError(str(errors[0]))
    drafts = []
    for blk in bib.entries():
        fields: dict[str, str] = {}
        for f in blk.entry.fields:
            fields.setdefault(f.key.lower(), evaluate(f.value, bib.strings_for(blk)))
        drafts.append(
            Draft(blk.entry.entry_type.lower(), fields, key=blk.key, source=f"{name}:{blk.line}")
        )
    return drafts


def write(entries: Sequence[Entry], *, normalize: bool = False) -> str:
    """The entries exactly as stored, or with ``normalize`` in the canonical layout
    (``refbook.fmt``)."""
    if normalize:
        from ..fmt import Layout

        return "\n\n".join(_normalized(e, Layout()) for e in entries) + "\n"
    return "".join(write_parts(entries))


def write_parts(entries: Sequence[Entry]) -> Iterator[str]:
    """The entries as stored, one by one (``write`` without ``normalize``)."""
    for i, e in enumerate(entries):
        yield "\n\n" + e.source if i else e.source
    yield "\n"


def _normalized(entry: Entry, layout: Layout) -> str:
    """An entry in the canonical layout; one refbook's grammar cannot split into fields
    (an unbalanced brace inside a value) is an ``InputError`` naming it."""
    from ..bibtex import BibSyntaxError
    from ..fmt import format_entry

    try:
        return format_entry(entry.source, layout)
    except BibSyntaxError as exc:
        raise InputError(
            f"{entry.bib_name}:{entry.line}: error: cannot normalize "
            f"{entry.key}: {exc}; repair the entry first (refbook edit "
            f"{entry.key})"
        ) from None
