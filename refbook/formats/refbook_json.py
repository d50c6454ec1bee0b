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
        text = "  " + json.dumps(e.to_dict(), ensure_ascii=False, indent=2).replace("\n", "\n  ")
        yield ",\n" + text if i else text
    yield "\n]\n"
