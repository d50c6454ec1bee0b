"""Updating a cache file in place: one write transaction that removes the rows of the
chunks that are gone and adds those of the new ones.

An entry's rows are keyed by its ``ord``, a number that orders the file: a whole build
spaces its chunks ``ord_step`` apart (``chunk_ords``), and an update gives new entries numbers between those of
the kept entries around them, so the rows of unchanged entries are never rewritten.  A
chunk is kept when the cache has its identity (text and ``@string`` context) in the same
order relative to the other kept chunks (the longest such run: moving an entry re-adds
it); only the ``chunks`` rows of kept chunks that moved in the file are rewritten (their
line and byte offset).  The search tables follow row by row (FTS5's ``delete``
command), and the vocabulary table is recounted for the words of the changed entries
only.  When no number fits between two kept entries, or most of the file is new, the
caller writes a whole new version instead.
"""

from __future__ import annotations

import bisect
import sqlite3
from collections import defaultdict, deque
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from .chunks import Chunk

ORD_META = "ord_step"
ORD_LIMIT = 1 << 46  # keywords.seq is ord << 16: below 2**62
ORD_STEP = 1 << 24  # room for 24 halvings of a gap before a whole rewrite
REBUILD_SHARE = 0.5  # more new chunks than this share: a whole new version is cheaper


def ord_step(n: int) -> int:
    """The spacing of ``n`` chunks in a whole build (half the number space left for
    entries added at the end)."""
    return max(1, min(ORD_STEP, ORD_LIMIT // (2 * (n + 1))))


def chunk_ords(rows: Sequence[Any], step: int) -> list[int] | None:
    """The ords of a whole build's ``rows`` (``build.Row``, in file order) from their
    chunks' places: ``(chunk + 1) * step``, the next entries of the same chunk one more
    each; any process can number a part of the file alone.  None when a chunk holds
    ``step`` entries or more."""
    ords = []
    last, j = -1, 0
    for r in rows:
        if r.chunk == last:
            j += 1
            if j >= step:
                return None
        else:
            last, j = r.chunk, 0
        ords.append((r.chunk + 1) * step + j)
    return ords


def insert_rows(
    conn: sqlite3.Connection,
    rows: Sequence[Any],
    ords: Sequence[int],
    chunk_ids: Sequence[int],
    lazy: Collection[str] = (),
) -> None:
    """The rows of entries ``rows`` (``build.Row``) under ``ords``; ``chunk_ids[i]``: the
    id of chunk ``i`` (``Row.chunk`` is an index into the file's chunks); ``lazy``: the
    lazy tables filled (their parts of the rows too)."""
    conn.executemany(
        "INSERT INTO entries VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            (
                o,
                r.key,
                r.key.lower(),
                r.type,
                chunk_ids[r.chunk],
                r.rel_line,
                r.rel_start,
                r.rel_end,
                r.year,
                r.light,
                r.names,
            )
            for o, r in zip(ords, rows)
        ),
    )
    conn.executemany("INSERT INTO data VALUES (?, ?)", ((o, r.item) for o, r in zip(ords, rows)))
    conn.executemany("INSERT INTO extra VALUES (?, ?)", ((o, r.extra) for o, r in zip(ords, rows)))
    conn.executemany(
        "INSERT INTO keywords VALUES (?, ?)",
        (
            ((o << 16) + min(pos, 0xFFFF), word)
            for o, r in zip(ords, rows)
            for pos, word in enumerate(r.keywords)
        ),
    )
    conn.executemany(
        "INSERT OR IGNORE INTO aliases VALUES (?, ?)",
        ((alias.lower(), o) for o, r in zip(ords, rows) for alias in r.aliases),
    )
    insert_parts(conn, zip(ords, rows), lazy)


def insert_parts(
    conn: sqlite3.Connection, rows: Iterable[tuple[int, Any]], lazy: Collection[str]
) -> None:
    """The lazy tables' rows (``lazy``: which) of ``rows``, (ord, ``build.Row``) pairs."""
    from ..index import insert_docs_sql

    statements = []
    if "csl" in lazy:
        statements.append(("INSERT INTO csl VALUES (?, ?)", lambda o, r: (o, r.csl)))
    if "lint" in lazy:
        statements.append(("INSERT INTO lintdata VALUES (?, ?)", lambda o, r: (o, r.lint)))
    if "search" in lazy:
        statements.append((insert_docs_sql(), lambda o, r: (o, *r.doc, None)))
    pairs = list(rows) if len(statements) > 1 else rows
    for sql, values in statements:
        conn.executemany(sql, (values(o, r) for o, r in pairs))


def kept_chunks(old: Sequence[tuple[int, str]], chunks: Sequence[Chunk]) -> dict[int, int]:
    """New chunk index -> old place (index in ``old``, (id, ident) in file order), for
    the chunks kept: the same identity, in the same order relative to each other (the
    common head and tail, and a longest increasing run of old places between them)."""
    n_old, n_new = len(old), len(chunks)
    head = 0
    while head < min(n_old, n_new) and old[head][1] == chunks[head].ident:
        head += 1
    tail = 0
    while (
        tail < min(n_old, n_new) - head
        and old[n_old - 1 - tail][1] == chunks[n_new - 1 - tail].ident
    ):
        tail += 1
    kept = {i: i for i in range(head)}
    kept.update((n_new - 1 - j, n_old - 1 - j) for j in range(tail))
    queues: dict[str, deque[int]] = defaultdict(deque)
    for place in range(head, n_old - tail):
        queues[old[place][1]].append(place)
    pairs = []  # (new index, old place), new indexes increasing
    for i in range(head, n_new - tail):
        queue = queues.get(chunks[i].ident)
        if queue:
            pairs.append((i, queue.popleft()))
    tails: list[int] = []  # patience sorting: the old place ending a run of each length
    ends: list[int] = []  # the pair index ending it
    before = [-1] * len(pairs)
    for k, (_, place) in enumerate(pairs):
        j = bisect.bisect_left(tails, place)
        if j == len(tails):
            tails.append(place)
            ends.append(k)
        else:
            tails[j] = place
            ends[j] = k
        before[k] = ends[j - 1] if j else -1
    k = ends[-1] if ends else -1
    while k >= 0:
        kept[pairs[k][0]] = pairs[k][1]
        k = before[k]
    return kept


class NoRoom(Exception):
    """No number fits between two kept entries: the numbers must be spread again."""


def spread(low: int, high: int | None, count: int, step: int) -> list[int]:
    """``count`` ords between ``low`` and ``high`` (None: after the last entry, ``step``
    apart), evenly spread."""
    if high is None:
        if low + step * count >= ORD_LIMIT:
            raise NoRoom
        return [low + step * (j + 1) for j in range(count)]
    gap = (high - low) // (count + 1)
    if gap < 1:
        raise NoRoom
    return [low + gap * (j + 1) for j in range(count)]


@dataclass
class Plan:
    """What an update rewrites: the chunks of a part of the file (``chunks``, new) and
    those of the cache in the same part (``old``: id, ident, line, bstart, cstart, cend,
    string; in file order), the ``@string`` pieces above it (to parse new chunks with),
    the shift of the chunks after it (None: the part is the whole file), and the ord
    of the last entry before it."""

    chunks: list[Chunk]
    old: list[tuple]
    above: list[tuple[int, int, int, bool]] = field(default_factory=list)
    shift: tuple[int, int, int, int] | None = None  # from bstart (old): lines, bytes, chars
    floor: int = 0


def whole_plan(conn: sqlite3.Connection, src: Any) -> Plan | None:
    """The whole file as one part (None: it must be read whole)."""
    if not src.chunkable:
        return None
    old = conn.execute(f"SELECT {_CHUNK} FROM chunks ORDER BY bstart").fetchall()
    return Plan(src.chunks, old)


_CHUNK = "id, ident, line, bstart, cstart, cend, string"


def update(
    conn: sqlite3.Connection, src: Any, name: str, meta: dict[str, str], outcome: Any
) -> bool:
    """Update the cache (``conn``, opened for writing under the cache's lock) to ``src``
    (``source.Source``) in one transaction; False, with nothing changed, when this is
    better done as a whole new version (see the module's docstring) or the file must be
    read whole (a parse problem, duplicate keys, no entries)."""
    from .build import RECORD, parse_new
    from .db import LAZY_TABLES, filled
    from .window import window_plan

    plan = window_plan(conn, src, meta) or whole_plan(conn, src)
    if plan is None:
        return False
    kept = kept_chunks(plan.old, plan.chunks)
    todo = [i for i in range(len(plan.chunks)) if i not in kept]
    # of the whole file (a part's plan: the chunks outside it are kept)
    total = len(plan.chunks) if plan.shift is None else len(plan.chunks) + int(meta["entries"])
    if len(todo) > REBUILD_SHARE * total and len(todo) > 1:
        return False
    lazy = filled(meta) & set(LAZY_TABLES)  # the tables not filled yet stay so
    parts = frozenset((RECORD, *lazy))
    fresh = parse_new(src.text, plan.chunks, todo, name, src.codec, plan.above, parts)
    if fresh is None:
        return False
    conn.execute("BEGIN IMMEDIATE")
    try:
        done = _apply(conn, src, meta, plan, kept, todo, fresh, lazy)
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    if not done:
        conn.execute("ROLLBACK")
        return False
    finish(conn)
    outcome.result, outcome.mode = "updated", "chunks"
    outcome.parsed, outcome.reused = len(todo), len(kept)
    outcome.cut = len(plan.chunks)
    return True


def finish(conn: sqlite3.Connection) -> None:
    """Commit the update (its own function: a test stops a writer here)."""
    conn.execute("COMMIT")


def _apply(
    conn: sqlite3.Connection,
    src: Any,
    meta: dict[str, str],
    plan: Plan,
    kept: dict[int, int],
    todo: list[int],
    fresh: list,
    lazy: frozenset[str],
) -> bool:
    """The writes of ``update``, inside its transaction (``lazy``: the lazy tables
    filled, kept in step); False: roll back."""
    from .build import file_meta

    old, chunks = plan.old, plan.chunks
    kept_ids = {old[place][0] for place in kept.values()}
    gone_chunks = [r[0] for r in old if r[0] not in kept_ids]
    gone = [
        o
        for c in gone_chunks
        for (o,) in conn.execute("SELECT ord FROM entries WHERE chunk = ?", (c,))
    ]
    search = "search" in lazy
    changed_words = _words_of(conn, gone) if search else set()
    _delete(conn, gone, gone_chunks, lazy)
    rows, ords = _place(conn, meta, plan, kept, todo, fresh)
    if rows is None:
        return False
    if plan.shift is not None and any(plan.shift[1:]):  # the chunks after the part
        start, lines, size, chars = plan.shift
        conn.execute(
            "UPDATE chunks SET line = line + ?, bstart = bstart + ?, cstart = cstart + ?, "
            "cend = cend + ? WHERE bstart >= ?",
            (lines, size, chars, chars, start),
        )
    next_id = (conn.execute("SELECT max(id) FROM chunks").fetchone()[0] or 0) + 1
    ids = {i: next_id + j for j, i in enumerate(todo)}
    ids.update((i, old[place][0]) for i, place in kept.items())
    conn.executemany(
        "INSERT INTO chunks VALUES (?, ?, ?, ?, ?, ?, ?)",
        ((ids[i], *_place_of(chunks[i])) for i in todo),
    )
    conn.executemany(  # the kept chunks that moved in the file
        "UPDATE chunks SET ident = ?, line = ?, bstart = ?, cstart = ?, cend = ?, string = ? "
        "WHERE id = ?",
        (
            (*_place_of(chunks[i]), old[place][0])
            for i, place in kept.items()
            if old[place][2:6] != (chunks[i].line, chunks[i].bstart, chunks[i].start, chunks[i].end)
        ),
    )
    insert_rows(conn, rows, ords, [ids[i] for i in range(len(chunks))], lazy)
    if search:
        conn.executemany(
            f"INSERT INTO fts(rowid, {_fts_columns()}) SELECT rowid, {_fts_columns()} "
            "FROM docs WHERE rowid = ?",
            ((o,) for o in ords),
        )
        _recount(conn, changed_words | _words_of(conn, ords))
    for row in rows:  # a key twice: the file is read whole, as without the cache
        twice = conn.execute(
            "SELECT count(*) > 1 FROM entries WHERE lkey = ?", (row.key.lower(),)
        ).fetchone()[0]
        if twice:
            return False
    count = conn.execute("SELECT count(*) FROM entries").fetchone()[0]
    if count == 0:
        return False
    new_meta = {**file_meta(meta["path"], meta["encoding"], src, "chunks"), "entries": str(count)}
    conn.executemany(
        "UPDATE meta SET value = ? WHERE name = ?", ((v, k) for k, v in new_meta.items())
    )
    return True


def _place_of(c: Chunk) -> tuple:
    return (c.ident, c.line, c.bstart, c.start, c.end, c.is_string)


def _place(
    conn: sqlite3.Connection,
    meta: dict[str, str],
    plan: Plan,
    kept: dict[int, int],
    todo: list[int],
    fresh: list,
) -> tuple[list | None, list[int]]:
    """The new rows in file order and their ords (None: no room), each run of new
    chunks between the kept entries around it (read after the gone ones were deleted)."""
    by_chunk: dict[int, list] = defaultdict(list)
    for row in fresh:
        by_chunk[row.chunk].append(row)
    step = int(meta.get(ORD_META, ORD_STEP))
    rows: list = []
    ords: list[int] = []
    run: list = []
    for n, i in enumerate(todo):
        run.extend(by_chunk.get(i, ()))
        if n + 1 < len(todo) and todo[n + 1] == i + 1:
            continue  # the run goes on
        if run:
            first = i + 1 - _run_length(todo, n)
            low = _last_ord_before(conn, plan.old, kept, first) or plan.floor
            low = max(low, ords[-1] if ords else 0)  # runs apart only by chunks without entries
            high = conn.execute("SELECT min(ord) FROM entries WHERE ord > ?", (low,)).fetchone()[0]
            try:
                ords.extend(spread(low, high, len(run), step))
            except NoRoom:
                return None, []
            rows.extend(run)
        run = []
    return rows, ords


def _run_length(todo: list[int], n: int) -> int:
    """How many consecutive chunk indexes end at ``todo[n]``."""
    length = 1
    while n - length >= 0 and todo[n - length] == todo[n] - length:
        length += 1
    return length


def _last_ord_before(
    conn: sqlite3.Connection, old: list[tuple], kept: dict[int, int], first: int
) -> int:
    """The ord of the last kept entry before new chunk ``first`` (0: none)."""
    for i in range(first - 1, -1, -1):
        place = kept.get(i)
        if place is None:
            continue
        last = conn.execute(
            "SELECT max(ord) FROM entries WHERE chunk = ?", (old[place][0],)
        ).fetchone()[0]
        if last is not None:
            return last
    return 0


def _fts_columns() -> str:
    from ..query import TEXT_COLUMNS

    return ", ".join(TEXT_COLUMNS)


def _delete(
    conn: sqlite3.Connection, ords: list[int], chunk_ids: list[int], lazy: frozenset[str]
) -> None:
    """The rows of the entries ``ords`` and of the chunks ``chunk_ids``, gone (from the
    lazy tables filled, ``lazy``, too)."""
    each = [(o,) for o in ords]
    if "search" in lazy:
        cols = _fts_columns()
        conn.executemany(
            f"INSERT INTO fts(fts, rowid, {cols}) SELECT 'delete', rowid, {cols} FROM docs "
            "WHERE rowid = ?",
            each,
        )
        conn.executemany("DELETE FROM docs WHERE rowid = ?", each)
    for table in ("entries", "data", "extra"):
        conn.executemany(f"DELETE FROM {table} WHERE ord = ?", each)
    for name, table in (("csl", "csl"), ("lint", "lintdata")):  # export's and lint's parts
        if name in lazy:
            conn.executemany(f"DELETE FROM {table} WHERE ord = ?", each)
    conn.executemany(
        "DELETE FROM keywords WHERE seq BETWEEN ? AND ?",
        ((o << 16, (o << 16) + 0xFFFF) for o in ords),
    )
    if ords:
        conn.execute("CREATE TEMP TABLE IF NOT EXISTS gone (ord INTEGER PRIMARY KEY)")
        conn.execute("DELETE FROM temp.gone")
        conn.executemany("INSERT INTO temp.gone VALUES (?)", each)
        conn.execute("DELETE FROM aliases WHERE ord IN (SELECT ord FROM temp.gone)")
    conn.executemany("DELETE FROM chunks WHERE id = ?", ((c,) for c in chunk_ids))


def _words_of(conn: sqlite3.Connection, ords: list[int]) -> set[str]:
    """The indexed words of the entries ``ords`` (tokenized as the index tokenizes)."""
    if not ords:
        return set()
    from ..index import TOKENIZE

    cols = _fts_columns()
    conn.execute(
        f"CREATE VIRTUAL TABLE IF NOT EXISTS temp.changed USING fts5({cols}, tokenize='{TOKENIZE}')"
    )
    conn.execute(
        "CREATE VIRTUAL TABLE IF NOT EXISTS temp.changed_words USING fts5vocab(temp, changed, 'row')"
    )
    conn.execute("DELETE FROM temp.changed")
    conn.executemany(
        f"INSERT INTO temp.changed ({cols}) SELECT {cols} FROM docs WHERE rowid = ?",
        ((o,) for o in ords),
    )
    return {t for (t,) in conn.execute("SELECT term FROM temp.changed_words")}


def _recount(conn: sqlite3.Connection, words: set[str]) -> None:
    """The vocabulary table's rows of ``words``, counted again."""
    each = [(w,) for w in sorted(words)]
    conn.executemany("DELETE FROM words WHERE term = ?", each)
    conn.executemany(
        "INSERT INTO words SELECT term, doc, length(term) FROM vocab WHERE term = ?", each
    )
