"""The results cache: successful results in the user cache directory, reused for a while
(``--max-age``), so that a CI run re-checks only what is new or failed before."""

from __future__ import annotations

import json
import os
import re
import threading
import time
from typing import TYPE_CHECKING

from .targets import Target
from .verdicts import Result, Verdict

if TYPE_CHECKING:  # sqlite3 is imported when a cache is opened: --offline never pays for it
    import sqlite3
    from pathlib import Path


class ResultCache:
    """Successful results in the user cache directory, reused for ``max_age`` seconds.

    SQLite with JSON values only.  A file in its place that is not refbook's (another
    application's database, not a database at all) or that another user owns is
    replaced by an empty cache; where that is not allowed, this run keeps its
    cache in memory.  A row that does not read back as a result is a miss."""

    COLUMNS = ("kind", "value", "checked", "data")
    FLUSH_SECONDS = 2.0  # a run cut short loses at most this much of its results

    def __init__(self, path: Path, max_age: float, updates_max_age: float | None = None) -> None:
        import sqlite3

        self.max_age = max_age
        # a DOI's record (retractions, corrections, published versions) is asked again
        # sooner than its existence: works are retracted years after they appear
        self.updates_max_age = min(max_age, max_age if updates_max_age is None else updates_max_age)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self.db = self._open(path)
        except (OSError, sqlite3.Error):
            self.db = self._open(":memory:")
        self.lock = threading.Lock()
        # results not yet written: one transaction per batch, not a commit (an fsync) per
        # result, which cost a cold run of 500 URLs ~0.5 s; ``get`` reads them too
        self._pending: dict[tuple[str, str], tuple[float, str]] = {}
        self._written = time.monotonic()

    @classmethod
    def _open(cls, path: Path | str) -> sqlite3.Connection:
        import sqlite3

        from ..paths import SQLITE_APPLICATION_ID, distrust_schema, is_own_file

        if path != ":memory:" and os.path.lexists(path) and not is_own_file(path):
            os.unlink(path)  # another user's file or a link: not read, replaced
        db = sqlite3.connect(str(path), timeout=30, check_same_thread=False)
        distrust_schema(db)
        if not cls._ours(db):
            db.close()
            os.unlink(path)
            db = sqlite3.connect(str(path), timeout=30, check_same_thread=False)
            distrust_schema(db)
        # each write is a sync to disk (1-19 ms before the first request, as the disk is
        # busy): the id is set only when it is not, a new file's id and table at once
        new = db.execute("PRAGMA application_id").fetchone()[0] != SQLITE_APPLICATION_ID
        if new:
            db.execute("BEGIN")
            db.execute(f"PRAGMA application_id = {SQLITE_APPLICATION_ID}")
        db.execute(
            "CREATE TABLE IF NOT EXISTS results (kind TEXT, value TEXT, "
            "checked REAL, data TEXT, PRIMARY KEY (kind, value))"
        )
        if new:
            db.commit()
        return db

    @classmethod
    def _ours(cls, db: sqlite3.Connection) -> bool:
        """refbook's cache (its application id), or a database refbook may make its own:
        a new, empty one, or the results table of a cache from before the id was set."""
        import sqlite3

        from ..paths import SQLITE_APPLICATION_ID

        try:
            app = db.execute("PRAGMA application_id").fetchone()[0]
            tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master")]
            columns = tuple(r[1] for r in db.execute("PRAGMA table_info(results)"))
        except sqlite3.DatabaseError:  # not a SQLite file
            return False
        if app == SQLITE_APPLICATION_ID:
            return True
        return app == 0 and (
            not tables
            or (tables == ["results", "sqlite_autoindex_results_1"] and columns == cls.COLUMNS)
        )

    def get(self, target: Target, max_age: float | None = None) -> Result | None:
        """The cached result for ``target`` if it is at most ``max_age`` (the cache's own
        by default) seconds old."""
        import sqlite3

        try:
            with self.lock:
                row = (
                    self._pending.get((target.kind, target.value))
                    or self.db.execute(
                        "SELECT checked, data FROM results WHERE kind = ? AND value = ?",
                        (target.kind, target.value),
                    ).fetchone()
                )
            age = self.max_age if max_age is None else max_age
            if row is None or time.time() - float(row[0]) > age:
                return None
            d = json.loads(row[1])
            verdict = Verdict(d["verdict"])  # type: ignore[call-arg]  # a lookup by value
            return Result(
                target,
                verdict,
                str(d["message"]),
                d["status"],
                d["final_url"],
                [str(w) for w in d["warnings"]],
                cached=True,
                details=dict(d.get("details") or {}),
            )
        except (sqlite3.Error, ValueError, KeyError, TypeError):
            return None  # unreadable (or a verdict this version does not know): checked again

    def put(self, result: Result) -> None:
        """Keep ``result``; written with others when a batch is due (every
        ``FLUSH_SECONDS``) and by ``flush``."""
        data = json.dumps(
            {
                "verdict": result.verdict,
                "message": result.message,
                "status": result.status,
                "final_url": result.final_url,
                "warnings": result.warnings,
                "details": result.details,
            }
        )
        with self.lock:
            self._pending[(result.target.kind, result.target.value)] = (time.time(), data)
            if time.monotonic() - self._written >= self.FLUSH_SECONDS:
                self._write()

    def flush(self) -> None:
        """Write the results kept since the last batch."""
        with self.lock:
            self._write()

    def _write(self) -> None:
        """One transaction for the pending results (under ``lock``)."""
        import sqlite3

        rows = [(kind, value, *row) for (kind, value), row in self._pending.items()]
        self._pending.clear()
        self._written = time.monotonic()
        if not rows:
            return
        try:
            with self.db:
                self.db.executemany("INSERT OR REPLACE INTO results VALUES (?, ?, ?, ?)", rows)
        except sqlite3.Error:
            pass  # a result not cached is checked again next time


def parse_age(text: str) -> float:
    """``30s``, ``15m``, ``12h``, ``1d``, ``2w`` -> seconds."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhdw]?)\s*", text or "")
    if not m:
        raise ValueError(f"bad age {text!r} (use e.g. 30m, 12h, 1d)")
    return (
        float(m.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}[m.group(2)]
    )
