"""The library cache's SQLite connection as the language server's threads share it."""

from __future__ import annotations

import threading
from typing import Any


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
