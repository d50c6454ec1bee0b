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

import os
import sqlite3
from pathlib import Path
from typing import Any

from .chunks import Chunk

BATCH_MIN = 4000  # chunks in a batch at least (each parses the @string chunks above it)
BATCHES_MAX = 24  # batches at most (RSS: one batch's entries per process)
# the tables a worker fills, as copied into the new file (its lazy ones when asked for)
_TABLES = ("entries", "data", "extra", "keywords", "aliases")
_LAZY_TABLES = {"csl": "csl", "lint": "lintdata", "search": "docs"}


class Failed(Exception):
    """A worker failed or died (or a chunk holds more entries than its numbers leave
    room for): the chunks are parsed in this process instead."""


def batches(chunks: list[Chunk], todo: list[int], procs: int) -> list[list[tuple]]:
    """``todo`` in batches of pieces (``build._pieces``: each with the ``@string`` chunks
    above it), in file order."""
    from .build import _pieces

    strings = sum(1 for c in chunks if c.is_string)
    size = max(BATCH_MIN, 20 * strings, -(-len(todo) // BATCHES_MAX))
    size = min(size, -(-len(todo) // (2 * procs)))  # two for each process at least
    return [_pieces(chunks, todo[i : i + size]) for i in range(0, len(todo), size)]


class _Claims:
    """The next batch to take, shared by forked processes."""

    def __init__(self, context: Any) -> None:
        self.lock = context.Lock()
        self.next = context.RawValue("i", 0)

    def take(self, total: int) -> int | None:
        with self.lock:
            n = self.next.value
            if n >= total:
                return None
            self.next.value = n + 1
            return n

    def stop(self, total: int) -> None:
        """No batch is taken any more (one had a parse problem: the file is read whole)."""
        with self.lock:
            self.next.value = total


SHARED: Any = None  # (text, batches, claims), as forked workers see it


def write_batches(
    conn: sqlite3.Connection,
    name: str,
    codec: str,
    parts: frozenset[str],
    step: int,
    lazy: frozenset[str],
) -> int | None:
    """Take batches from ``SHARED`` until none is left, parse them and write their rows
    through ``conn``: the number of rows written, or None (a parse problem)."""
    from .build import parse_pieces
    from .update import chunk_ords, insert_rows

    text, groups, claims = SHARED
    chunk_ids = range(1, 1 << 62)  # chunk i is row i + 1 of the chunks table
    written = 0
    try:
        while (n := claims.take(len(groups))) is not None:
            rows = parse_pieces(text, groups[n], name, codec, parts)
            if rows is None:
                claims.stop(len(groups))
                return None
            ords = chunk_ords(rows, step)
            if ords is None:
                raise Failed("a chunk with more entries than numbers between two chunks")
            insert_rows(conn, rows, ords, chunk_ids, lazy)
            written += len(rows)
    except BaseException:
        claims.stop(len(groups))  # the others stop too
        raise
    return written


def _worker(path: str, name: str, codec: str, parts: frozenset[str], step: int) -> tuple:
    """A forked worker's work: its own file of rows (``path``), their number (None: a
    parse problem)."""
    from ..index import SEARCH_SCHEMA, run_script
    from .db import LAZY_TABLES, SCHEMA

    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode=OFF")  # a scratch file: this process only
        conn.execute("PRAGMA synchronous=OFF")
        conn.execute("BEGIN")
        run_script(conn, SCHEMA)
        run_script(conn, SEARCH_SCHEMA)
        written = write_batches(conn, name, codec, parts, step, parts & set(LAZY_TABLES))
        conn.execute("COMMIT")
    finally:
        conn.close()
    return path, written


def build_rows(
    conn: sqlite3.Connection,
    tmp: Path,
    text: str,
    groups: list[list[tuple]],
    procs: int,
    *,
    name: str,
    codec: str,
    parts: frozenset[str],
    step: int,
) -> int | None:
    """The rows of ``groups`` (``batches``) written into the new cache file (``conn``, in a
    transaction, committed here): by this process and ``procs - 1`` forked workers.  The
    number of rows, or None (a parse problem: the file is read whole).  ``Failed``: the
    workers did not do their part."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor
    from functools import partial

    from .db import LAZY_TABLES

    global SHARED
    context = multiprocessing.get_context("fork")
    SHARED = (text, groups, _Claims(context))
    paths = [f"{tmp}.{k}" for k in range(1, procs)]
    job = partial(_worker, name=name, codec=codec, parts=parts, step=step)
    lazy = parts & set(LAZY_TABLES)
    try:
        with ProcessPoolExecutor(procs - 1, mp_context=context) as pool:
            futures = [pool.submit(job, p) for p in paths]  # forked here, SHARED inherited
            mine = write_batches(conn, name, codec, parts, step, lazy)
            conn.execute("COMMIT")
            try:
                done = [f.result() for f in futures]
            except Exception as exc:  # noqa: BLE001  (an error or a dead worker: BrokenProcessPool)
                raise Failed(str(exc)) from exc
        if mine is None or any(w is None for _, w in done):
            return None
        for path, _ in done:
            _copy_in(conn, path, lazy)
        return mine + sum(w for _, w in done)
    finally:
        SHARED = None
        for p in paths:
            _unlink(p)


def _copy_in(conn: sqlite3.Connection, path: str, lazy: frozenset[str]) -> None:
    """A worker's rows copied into the new file (their ords are final; no index yet, so
    SQLite copies each table's records as they are)."""
    conn.execute("ATTACH DATABASE ? AS part", (path,))
    try:
        conn.execute("BEGIN")
        for table in (*_TABLES, *(_LAZY_TABLES[t] for t in sorted(lazy))):
            conn.execute(f"INSERT INTO main.{table} SELECT * FROM part.{table}")  # noqa: S608
        conn.execute("COMMIT")
    finally:
        conn.execute("DETACH DATABASE part")


def _unlink(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


WRITTEN, WHOLE, FAILED = "written", "whole", "failed"


def build_new(
    target: Path,
    bib: str | os.PathLike,
    encoding: str | None,
    src: Any,
    todo: list[int],
    parts: frozenset[str],
    outcome: Any,
    live: sqlite3.Connection | None,
) -> str | None:
    """A first build's new version written on all cores (``build_rows``) and put in
    ``target``'s place: ``WRITTEN``; ``WHOLE``: a parse problem, duplicate keys or no
    entry (the file is to be read whole); ``FAILED``: the workers did not do their part
    (the chunks are to be parsed in this process); None: not worth it (few chunks, one
    core, no fork)."""
    import multiprocessing

    from .build import POOL_MIN_CHUNKS
    from .db import LAZY_TABLES
    from .pool import cores
    from .update import ord_step
    from .version import complete, new_file

    procs = cores()
    if procs < 2 or len(todo) < POOL_MIN_CHUNKS:
        return None
    if "fork" not in multiprocessing.get_all_start_methods():
        return None
    step = ord_step(len(src.chunks))
    groups = batches(src.chunks, todo, procs)
    conn, tmp = new_file(target, src)
    try:
        try:
            n = build_rows(
                conn,
                tmp,
                src.text,
                groups,
                procs,
                name=str(bib),
                codec=src.codec,
                parts=parts,
                step=step,
            )
        except Failed:
            n = -1
        twice = "SELECT 1 FROM entries GROUP BY lkey HAVING count(*) > 1 LIMIT 1"
        if n is None or n <= 0 or conn.execute(twice).fetchone() is not None:
            conn.close()
            _unlink(str(tmp))
            return FAILED if n == -1 else WHOLE
        lazy = parts & set(LAZY_TABLES)
        complete(conn, tmp, target, bib, encoding, src, n, [], outcome, live, lazy, step)
    except BaseException:
        conn.close()
        _unlink(str(tmp))
        raise
    return WRITTEN
