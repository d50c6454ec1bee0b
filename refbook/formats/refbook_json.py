"""refbook's own JSON (``export --format json``, ``--json``): each entry's
``Entry.to_dict()``, the schema ``list --json`` and ``show --json`` give too.  Entry
types are BibTeX's, as stored: there is no type table to keep."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..model import Entry


def write(entries: Sequence[Entry]) -> str:
    return json.dumps([e.to_dict() for e in entries], ensure_ascii=False, indent=2) + "\n"
