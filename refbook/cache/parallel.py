"""A first build on all cores, every process writing the rows it makes to SQLite.

The new chunks are cut in batches that this process and forked workers take one by one
from a shared counter (whoever is free takes the next: a busy core does less), parse
(with the ``@string`` chunks above) and write at once: this process into the new cache
file, each worker into a file of its own, which this process then copies in (SQLite
copies the pages of a table whole).  An entry's number (``ord``) comes from its chunk's
place (``update.chunk_ords``), so a batch's rows get their final numbers wherever it is
parsed.  Rows are neither sent between processes nor kept past their batch: no process
holds more than one batch's entries, and the writing of a batch overlaps the parsing of
others.

A batch with a parse problem means the file is read whole (``Outcome.mode`` "whole", as
``build`` does); a worker that fails or dies means the chunks are parsed again in this
process (``Failed``): the cache comes out the same either way.
"""

from __future__ import annotations

import gc
import os
import sqlite3
from pathlib import Path
from typing import Any

from .chunks import Chunk

BATCH_MAX = 8000  # chunks in a batch at most (RSS: one batch's entries per process)
BATCH_MIN = 1000  # and at least (each parses the @string chunks above it again)
# the tables a worker fills, as copied into the new file (its lazy ones when asked for)
_TABLES = ("entries", "data", "extra", "keywords", "aliases")
_LAZY_TABLES = {"csl": "csl", "lint": "lintdata", "search": "docs"}
WRITTEN, WHOLE, FAILED = "written", "whole", "failed"


class Failed(Exception):
    """A worker failed or died (or a chunk holds more entries than its numbers leave
    room for): the chunks are parsed in this process instead."""


def batches(chunks: list[Chunk], procs: int) -> list[list[tuple]]:
    """All the chunks in batches of pieces (as ``build._pieces`` gives them: each batch's
    chunks after the ``@string`` chunks above it), in file order; smaller towards the
    end, so that the processes finish together."""
    strings = [i for i, c in enumerate(chunks) if c.is_string]
    least = max(BATCH_MIN, 20 * len(strings))
    groups = []
    a, n = 0, len(chunks)
    while a < n:
        b = min(n, a + max(least, min(BATCH_MAX, (n - a) // (2 * procs))))
        above = [(chunks[i].start, chunks[i].end, i, False) for i in strings if i < a]
        groups.append(above + [(c.start, c.end, a + k, True) for k, c in enumerate(chunks[a:b])])
        a = b
    return groups


class _Shared:
    """What the processes share (inherited by the forked workers): the text, the
    batches, the next batch to take, and each batch's rows once written (0: not yet; -1:
    a parse problem)."""

    def __init__(self, context: Any, text: str, groups: list[list[tuple]]) -> None:
        self.text = text
        self.groups = groups
        self.lock = context.Lock()
        self.next = context.RawValue("i", 0)
        self.done = context.RawArray("q", len(groups))

    def take(self) -> int | None:
        with self.lock:
            n = self.next.value
            if n >= len(self.groups):
                return None
            self.next.value = n + 1
            return n

    def stop(self) -> None:
        """No batch is taken any more (one had a parse problem, or a process failed)."""
        with self.lock:
            self.next.value = len(self.groups)


SHARED: Any = None  # a _Shared, as forked workers see it


def take_batches(write: Any, name: str, codec: str, parts: frozenset[str], step: int) -> bool:
    """Take batches from ``SHARED`` until none is left, parse them and ``write(n, rows,
    ords)`` each; False: a parse problem (the others stop too)."""
    from .build import parse_pieces
    from .update import chunk_ords

    shared = SHARED
    try:
        while (n := shared.take()) is not None:
            rows = parse_pieces(shared.text, shared.groups[n], name, codec, parts)
            if rows is None:
                shared.done[n] = -1
                shared.stop()
                return False
            ords = chunk_ords(rows, step)
            if ords is None:
                raise Failed("a chunk with more entries than numbers between two chunks")
            write(n, rows, ords)
    except BaseException:
        shared.stop()
        raise
    return True


_CHUNK_IDS = range(1, 1 << 62)  # chunk i is row i + 1 of the chunks table


def _worker(prefix: str, name: str, codec: str, parts: frozenset[str], step: int) -> None:
    """A forked worker's work: each batch it takes written to a file of its own
    (``prefix`` and the batch's number), its rows counted in ``SHARED.done``."""
    from ..index import SEARCH_SCHEMA, run_script
    from .db import LAZY_TABLES, SCHEMA
    from .update import insert_rows

    lazy = parts & set(LAZY_TABLES)

    def write(n: int, rows: list, ords: list[int]) -> None:
        conn = sqlite3.connect(f"{prefix}.{n}", isolation_level=None)
        try:
            conn.execute("PRAGMA journal_mode=OFF")  # a scratch file: this process only
            conn.execute("PRAGMA synchronous=OFF")
            conn.execute("BEGIN")
            run_script(conn, SCHEMA)
            run_script(conn, SEARCH_SCHEMA)
            insert_rows(conn, rows, ords, _CHUNK_IDS, lazy)
            conn.execute("COMMIT")
        finally:
            conn.close()
        SHARED.done[n] = len(rows) + 1

    take_batches(write, name, codec, parts, step)


def build_new(
    target: Path,
    bib: str | os.PathLike,
    encoding: str | None,
    src: Any,
    parts: frozenset[str],
    outcome: Any,
    live: sqlite3.Connection | None,
) -> str | None:
    """A first build's new version, every chunk new, written on all cores and put in
    ``target``'s place: ``WRITTEN``; ``WHOLE``: a parse problem, duplicate keys or no
    entry (the file is to be read whole); ``FAILED``: the workers did not do their part
    (the chunks are to be parsed in this process); None: not worth it (few chunks, one
    core, no fork)."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor
    from functools import partial

    from .build import POOL_MIN_CHUNKS
    from .db import LAZY_TABLES
    from .pool import cores
    from .update import ord_step
    from .version import complete, new_file

    global SHARED
    procs = cores()
    if procs < 2 or len(src.chunks) < POOL_MIN_CHUNKS:
        return None
    if "fork" not in multiprocessing.get_all_start_methods():
        return None
    step = ord_step(len(src.chunks))
    lazy = parts & set(LAZY_TABLES)
    context = multiprocessing.get_context("fork")
    SHARED = shared = _Shared(context, src.text, batches(src.chunks, procs))
    # what exists now lives on (the chunks, the batches): the collector leaves it alone,
    # and a worker does not copy the pages it would write to walk it
    gc.freeze()
    prefix = str(target.with_name(f"{target.name}.{os.getpid()}.part"))
    job = partial(_worker, prefix, str(bib), src.codec, parts, step)
    mine: list[int] = []
    conn = None
    try:
        with ProcessPoolExecutor(procs - 1, mp_context=context) as pool:
            futures = [pool.submit(job) for _ in range(procs - 1)]  # forked here
            conn, tmp = new_file(target, src)  # while the workers start

            write = _writer(conn, shared, mine, prefix, lazy)
            if take_batches(write, str(bib), src.codec, parts, step):
                conn.execute("COMMIT")
                _copy_theirs(conn, shared, set(mine), futures, prefix, lazy)
        for future in futures:
            future.result()
        count = sum(shared.done) - len(shared.groups)  # (each batch's rows + 1)
        twice = "SELECT 1 FROM entries GROUP BY lkey HAVING count(*) > 1 LIMIT 1"
        if min(shared.done) <= 0 or not count or conn.execute(twice).fetchone():
            conn.close()
            os.unlink(tmp)
            return WHOLE
        complete(conn, tmp, target, bib, encoding, src, count, [], outcome, live, lazy, step)
    except BaseException as exc:  # an error, a dead worker (BrokenProcessPool), ^C
        if conn is not None:
            conn.close()
            _unlink(str(tmp))
        if not isinstance(exc, Exception) or isinstance(exc, (sqlite3.Error, OSError)):
            raise  # (sqlite3.Error, OSError: the cache cannot be written, said once)
        return FAILED
    finally:
        gc.unfreeze()
        SHARED = None
        for n in range(len(shared.groups)):
            _unlink(f"{prefix}.{n}")
    return WRITTEN


def _writer(
    conn: sqlite3.Connection, shared: _Shared, mine: list[int], prefix: str, lazy: frozenset[str]
) -> Any:
    """How this process writes a batch: its rows into the new file, then the workers'
    batches written by now copied in (``mine``: the batches in the file so far)."""
    from .update import insert_rows

    def write(n: int, rows: list, ords: list[int]) -> None:
        insert_rows(conn, rows, ords, _CHUNK_IDS, lazy)
        mine.append(n)
        shared.done[n] = len(rows) + 1
        ready = [m for m, d in enumerate(shared.done) if d > 0 and m not in mine]
        if ready:
            conn.execute("COMMIT")
            for m in ready:
                _copy_in(conn, f"{prefix}.{m}", lazy)
                mine.append(m)
            conn.execute("BEGIN")

    return write


def _copy_theirs(
    conn: sqlite3.Connection,
    shared: _Shared,
    done: set[int],
    futures: list,
    prefix: str,
    lazy: frozenset[str],
) -> None:
    """The workers' batches not copied yet (``done``: this process's and those copied)
    copied into the new file as each is written."""
    import time

    for n in range(len(shared.groups)):
        if n in done:
            continue
        while not shared.done[n]:
            if all(f.done() for f in futures):
                if not shared.done[n]:
                    raise Failed(f"batch {n} not written")
                break
            time.sleep(0.005)
        if shared.done[n] < 0:
            return  # a parse problem: the file is read whole
        _copy_in(conn, f"{prefix}.{n}", lazy)


def _copy_in(conn: sqlite3.Connection, path: str, lazy: frozenset[str]) -> None:
    """A worker's batch copied into the new file (outside a transaction): its ords are
    final, and with no index yet SQLite copies each table's records as they are."""
    conn.execute("ATTACH DATABASE ? AS part", (path,))
    try:
        conn.execute("BEGIN")
        for table in (*_TABLES, *(_LAZY_TABLES[t] for t in sorted(lazy))):
            conn.execute(f"INSERT INTO main.{table} SELECT * FROM part.{table}")  # noqa: S608
        conn.execute("COMMIT")
    finally:
        conn.execute("DETACH DATABASE part")
    _unlink(path)


def _unlink(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
