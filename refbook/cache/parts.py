"""What export and lint keep of each entry in the library cache besides its record
(``records.entry_record``): its CSL item as the JSON text export writes (``csl_text``),
what lint's rules ask of its text (``lint_record``); and ``Selection``, the cached
entries chosen for export, through which a format writer finds the stored texts."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .entry import RecordEntry
    from .library import CachedLibrary


def csl_text(entry: Any) -> str | None:
    """The entry's CSL item (``refbook.csl.to_csl``, its key as id) as JSON text, indented
    as an item of ``export --format csl-json``'s list, so that export joins the texts;
    None when the item cannot be made (export then reads the file as without a cache,
    and says what is wrong exactly as it does)."""
    from ..csl import to_csl

    try:
        item = to_csl(entry, stored=False)  # a cached entry's from its record
    except Exception:  # noqa: BLE001  (said by the uncached export, not by the cache)
        return None
    return indented(item)


def indented(item: dict[str, Any]) -> str:
    """A CSL item as ``json.dumps`` of the list of items writes it (indented once more)."""
    import json

    return "  " + json.dumps(item, ensure_ascii=False, indent=2).replace("\n", "\n  ")


def lint_record(entry: Any) -> dict[str, Any]:
    """What lint's rules ask of the entry's text beyond its values: how each value is
    written (in braces unless named in ``q``: in quotes, ``b``: bare, or ``r``: as
    given), each field's line after the entry's (``l``), fields written twice (``d``:
    lines after the entry's), macros used but not defined above (``u``)."""
    record: dict[str, Any] = {}
    raw: dict[str, str] = {}
    quoted, bare, lines = [], [], {}
    field_lines = entry.field_lines()
    for name, value in entry.fields.items():
        written = entry.raw(name)
        if written == '"' + value + '"':
            quoted.append(name)
        elif written == value:
            bare.append(name)  # a number
        elif written != "{" + value + "}":
            raw[name] = written
        offset = field_lines.get(name, entry.line) - entry.line
        if offset:
            lines[name] = offset
    for tag, part in (("r", raw), ("q", quoted), ("b", bare), ("l", lines)):
        if part:
            record[tag] = part
    duplicates = entry.duplicate_fields()
    if duplicates:
        record["d"] = {n: [at - entry.line for at in ats] for n, ats in duplicates.items()}
    undefined = entry.undefined_macros()
    if undefined:
        record["u"] = undefined
    return record


class Selection(list):
    """Entries chosen from a ``CachedLibrary``, in a list that knows where they come
    from: a format writer reads their stored parts in one pass (``csl_texts``).  A loop
    over it lets go of what each entry read once it moves on (memory stays flat)."""

    def __init__(self, lib: CachedLibrary, entries: Sequence[RecordEntry]) -> None:
        super().__init__(entries)
        self.lib = lib

    def __iter__(self) -> Iterator[RecordEntry]:
        for entry in list.__iter__(self):
            yield entry
            entry._reset()

    def csl_texts(self, ids: Sequence[str]) -> Iterator[str]:
        return self.lib.csl_texts(self, ids)

    def with_parts(self, columns: Sequence[str]) -> Iterator[RecordEntry]:
        """The entries one by one, each with its stored ``columns`` (``item``: its
        record, ``csl``: its CSL item…) read in one pass over the cache."""
        return self.lib.with_parts(self, columns)
