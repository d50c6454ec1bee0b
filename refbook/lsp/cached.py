"""The library cache as the language server opens it (a large file's cache built by a
child process, its memory and its GIL apart) and as its threads share it (one call into
the SQLite connection at a time)."""

from __future__ import annotations

import os
import threading
from typing import Any

# larger files get their cache built by a child process (its memory and its GIL apart)
BUILD_APART_BYTES = 2 << 20
# completion ranks keys by the cache's search tables: filled when the server first opens it
NEEDS = ("search",)
_BUILD = (
    "import sys\n"
    "from refbook.cache import cache_encoding, refresh\n"
    f"NEEDS = {NEEDS!r}\n"
    "refresh(sys.argv[1], cache_encoding(sys.argv[2] or None), needs=NEEDS)\n"
)


def open_library(path: str, encoding: str | None = None) -> Any:
    """The library at ``path`` through its cache (``CachedLibrary``), the cache brought up
    to date first (by a child process for a large file); parsed whole when the file
    cannot be cached."""
    from ..cache import open_cached

    try:
        large = os.stat(path).st_size >= BUILD_APART_BYTES
    except OSError:
        large = False
    try:
        try:  # (a large file's cache is not built here: see _Apart)
            busy = _Apart if large else None
            cached, _warnings = open_cached(path, encoding, busy=busy, needs=NEEDS)
        except _Apart:
            _build_apart(path, encoding)
            cached, _warnings = open_cached(path, encoding, needs=NEEDS)
    except OSError:
        cached = None
    if cached is None:
        from .library import load_library

        return load_library(path, encoding)
    store = cached._store  # (snapshot.Snapshot: its one read transaction, shared by threads)
    store.conn = Serialized(store.conn)
    return cached


def key_lines(library: Any, keys: list[str] | None = None) -> tuple[list[str], list[int]]:
    """Every entry's key and line (0-based) in a ``CachedLibrary``, in file order, from
    its rows (nothing else of an entry read: 100k entries, a few MB); ``keys``: its keys
    in file order (``library.keys()``), known already: its lines alone read."""
    if keys is not None:
        lines = [
            line
            for (line,) in library._store.conn.execute(
                "SELECT c.line + e.rel_line - 1 FROM entries e JOIN chunks c "
                "ON c.id = e.chunk ORDER BY e.ord"
            )
        ]
        if len(lines) == len(keys):
            return keys, lines
    rows = library._store.conn.execute(
        "SELECT e.key, c.line + e.rel_line - 1 FROM entries e JOIN chunks c "
        "ON c.id = e.chunk ORDER BY e.ord"
    ).fetchall()
    return [k for k, _ in rows], [line for _, line in rows]


class _Apart(Exception):
    """Raised where ``open_cached`` would build a large file's cache (or fill its search
    tables) in this process (its ``busy`` wraps both): a child process then does it, and the
    freshness of a cache that is up to date is checked once."""

    def __init__(self) -> None:
        super().__init__("the cache is built apart")

    def __enter__(self) -> None:
        raise self

    def __exit__(self, *exc: object) -> None:
        return None


def _build_apart(path: str, encoding: str | None) -> None:
    """Build the cache of ``path`` in a child process (whatever goes wrong there, the
    reading that follows builds it here or reads the file whole)."""
    import subprocess
    import sys

    try:
        subprocess.run(
            [sys.executable, "-c", _BUILD, path, encoding or ""],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            check=False,
        )
    except OSError:
        pass


class Serialized:
    """A SQLite connection the server's threads share (hover and resolve run in worker
    threads, completion on the loop, readings, symbols and the matcher in theirs): one
    call into it at a time (a statement started, a row read).  One connection, not one
    per thread: its one read transaction is the snapshot every request sees."""

    def __init__(self, conn: Any) -> None:
        self._conn = conn
        self.lock = threading.RLock()

    def execute(self, sql: str, params: Any = ()) -> _Cursor:
        with self.lock:
            return _Cursor(self._conn.execute(sql, params), self.lock)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._conn, name)


class _Cursor:
    """A cursor of a ``Serialized`` connection: each read under its lock."""

    def __init__(self, cursor: Any, lock: Any) -> None:
        self._cursor, self._lock = cursor, lock

    def __iter__(self) -> _Cursor:
        return self

    def __next__(self) -> Any:
        with self._lock:
            return next(self._cursor)

    def fetchone(self) -> Any:
        with self._lock:
            return self._cursor.fetchone()

    def fetchmany(self, size: int) -> list[Any]:
        with self._lock:
            return list(self._cursor.fetchmany(size))

    def fetchall(self) -> list[Any]:
        with self._lock:
            return list(self._cursor.fetchall())
