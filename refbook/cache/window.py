"""The part of a file an update cuts again: where its head and tail are unchanged.

The cache keeps the hashes of the file's 64 KiB blocks counted from its start and from
its end (``source.block_hashes``).  The blocks an edited file still shares at each end
hold chunks that cannot have changed; the part between them, widened to whole chunks
(one more chunk before it, whose start is then certainly a chunk's start still), is cut
and hashed again, and the chunks after it only move (``Plan.shift``: one UPDATE of their
positions).  Without an ``@string`` chunk in the part, old or new, the macros above
every chunk stay the same.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from .chunks import split_part
from .source import BLOCK, inherits, same_blocks
from .update import _CHUNK, Plan


def window_plan(conn: sqlite3.Connection, src: Any, meta: dict[str, str]) -> Plan | None:
    """The plan of an update of the part of ``src`` that changed, or None (the whole
    file is then cut again: no ASCII-safe bytes, no layout kept, an ``@string`` or
    ``crossref`` in the part, no entry in it)."""
    one = _one(conn)
    heads = one("SELECT value FROM meta WHERE name = 'heads'")
    tails = one("SELECT value FROM meta WHERE name = 'tails'")
    if src.body is None or src.decoded.notes or heads is None or tails is None:
        return None
    old_size, new_size = int(meta["size"]), len(src.data)
    head = min(same_blocks(heads, src.heads) * BLOCK, old_size, new_size)
    tail = min(same_blocks(tails, src.tails) * BLOCK, min(old_size, new_size) - head)
    if head == 0 and tail == 0:
        return None
    held = one("SELECT max(bstart) FROM chunks WHERE bstart <= ?", head - 1) if head else None
    first = (
        one("SELECT max(bstart) FROM chunks WHERE bstart < ?", held) if held is not None else None
    )
    first = first if first is not None else held
    if first is None:
        first = one("SELECT min(bstart) FROM chunks")
    last = one("SELECT max(bstart) FROM chunks WHERE bstart <= ?", old_size - tail)
    end = one("SELECT min(bstart) FROM chunks WHERE bstart > ?", last)
    old = conn.execute(
        f"SELECT {_CHUNK} FROM chunks WHERE bstart >= ? AND bstart < ? ORDER BY bstart",
        (first, end if end is not None else old_size + 1),
    ).fetchall()
    if not old or any(r[6] for r in old):
        return None
    old_chars = int(meta["text_length"])
    end_char = old_chars if end is None else one("SELECT cstart FROM chunks WHERE bstart = ?", end)
    end = old_size if end is None else end
    size, chars = new_size - old_size, len(src.text) - old_chars
    lines = src.newlines - int(meta["newlines"])
    _, ident, line, bstart, cstart, _, _ = old[0]
    offset = src.offset
    if end + size < bstart or end_char + chars < cstart:
        return None
    text = src.text[cstart : end_char + chars]
    if inherits(text):
        return None
    body = src.body[bstart - offset : end + size - offset]
    chunks = split_part(text, body, ident.split(":", 1)[1], line, cstart, bstart)
    if not chunks:
        return None
    first_ord = one(
        "SELECT min(ord) FROM entries WHERE chunk IN "
        "(SELECT id FROM chunks WHERE bstart >= ? AND bstart < ?)",
        bstart,
        end,
    )
    if first_ord is None:
        return None
    floor = one("SELECT max(ord) FROM entries WHERE ord < ?", first_ord) or 0
    above = [
        (a, z, -1, False)
        for a, z in conn.execute(
            "SELECT cstart, cend FROM chunks WHERE string = 1 AND bstart < ? ORDER BY bstart",
            (bstart,),
        )
    ]
    return Plan(chunks, old, above, (end, lines, size, chars), floor)


def _one(conn: sqlite3.Connection) -> Any:
    def one(sql: str, *args: Any) -> Any:
        row = conn.execute(sql, args).fetchone()
        return row[0] if row else None

    return one
