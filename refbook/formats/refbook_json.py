"""refbook's own JSON (``export --format json``, ``--json``): each entry's
``Entry.to_dict()``, the schema ``list --json`` and ``show --json`` give too.  Entry
types are BibTeX's, as stored: there is no type table to keep."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..model import Entry


def write(entries: Sequence[Entry]) -> str:
    """The entries as a JSON list, each written as ``json.dumps`` of the whole list
    writes it."""
    return "".join(write_parts(entries))


def write_parts(entries: Sequence[Entry]) -> Iterator[str]:
    """``write``'s document in pieces, one entry at a time (a list of 100,000 entries is
    never held as objects; from the cache, the records are read in one pass)."""
    from . import streamed

    if not entries:
        yield "[]\n"
        return
    yield "[\n"
    for i, e in enumerate(streamed(entries, ("item",))):
        text = "  " + _text(e).replace("\n", "\n  ")
        yield ",\n" + text if i else text
    yield "\n]\n"


def _text(entry: Entry) -> str:
    """``json.dumps(entry.to_dict(), ensure_ascii=False, indent=2)``: from the cache, the
    stored text (``output.json_text``'s, the same text unless it escaped a character
    json writes as it is: then, as any text with a ``\\u`` escape, made again)."""
    stored = getattr(entry, "json_text", None)
    text = stored() if stored is not None else None
    if text is None or "\\u" in text:
        text = json.dumps(entry.to_dict(), ensure_ascii=False, indent=2)
    return text
