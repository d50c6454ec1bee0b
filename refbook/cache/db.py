"""The cache's SQLite file: where it lives, its schema, whether it is fresh, and how
it is opened; what a reader reads of it is ``snapshot.Snapshot`` (the queries, next to
this schema's tables).

One file per .bib, named by a hash of the .bib's real path, in ``<cache dir>/library``,
in SQLite's write-ahead-log mode: a reader holds one read transaction for its whole run
(``open_read_only``), so it sees one whole version whatever writers commit meanwhile, and
a writer that dies mid-update leaves the last committed version (``build``, ``update``).
Entries are kept in file order by ``ord``, spaced numbers that stay with an entry while
its chunk is unchanged (new entries take numbers between their neighbours'); lines and
byte offsets are kept relative to the entry's chunk, whose place in the file is one
small row of ``chunks``.  It is read only when it is the user's own regular file and
says it is refbook's (``PRAGMA application_id``), of this schema, for this real path and
encoding, and fresh: the .bib's size, mtime and inode as recorded, and, when the .bib
was modified so shortly before its content was last checked that a later change could
keep its mtime (git's "racily clean" case: ``is_racy``), the same SHA-256 too.  Anything else (a corrupt, truncated, foreign or older file) is rebuilt,
silently.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Mapping
from pathlib import Path

# 5: intermediate layouts, never released; 7: csl, lintdata; 8: entries_by_key covers key
# (q24) or tables filled lazily (c24); 9: both
SCHEMA_VERSION = "9"
# How long after a change of the .bib its mtime may still be given to another change
# (git's "racily clean" files, done as git does: compared with the moment its content
# was checked).  Whole-second timestamps (and FAT's 2 s): 2 s.  Sub-second ones: the
# kernel stamps a write with its coarse clock, which lags the real time by one tick
# (1-10 ms by CONFIG_HZ; clock_getres(CLOCK_REALTIME_COARSE) = 4 ms on the machine this
# was measured on), exFAT keeps 10 ms, and a write's data follow its timestamp: 50 ms.
RACY_SECONDS = 2.0
RACY_FINE_SECONDS = 0.05
SCHEMA = """
CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT);
-- ord: file order, spaced (update.py), chunk: chunks.id, rel_*: line and byte offsets
-- from the start of that chunk
-- fields: the names of the fields it has (own or inherited), each between spaces
CREATE TABLE entries (ord INTEGER PRIMARY KEY, key TEXT, lkey TEXT, type TEXT,
    chunk INTEGER, rel_line INTEGER, rel_start INTEGER, rel_end INTEGER, year INTEGER,
    light TEXT, fields TEXT);
-- the large parts apart: a pass over the entries table reads small rows only, and
-- list --json reads the items alone
CREATE TABLE data (ord INTEGER PRIMARY KEY, item TEXT);
CREATE TABLE extra (ord INTEGER PRIMARY KEY, extra TEXT);
-- every alias of every entry (a key, looked up first, wins over an alias)
CREATE TABLE aliases (alias TEXT, ord INTEGER, PRIMARY KEY (alias, ord)) WITHOUT ROWID;
-- each chunk of the text: its identity, where it is (line, byte offset, character
-- offsets in the decoded text), whether it is an @string chunk
CREATE TABLE chunks (id INTEGER PRIMARY KEY, ident TEXT, line INTEGER, bstart INTEGER,
    cstart INTEGER, cend INTEGER, string INTEGER);
-- seq: ord << 16 | the keyword's place in the entry
CREATE TABLE keywords (seq INTEGER PRIMARY KEY, keyword TEXT);
-- for export and lint (``parts.csl_text``, ``parts.lint_record``): each entry's CSL
-- item as JSON text (NULL when it cannot be made) and what lint asks of its text;
-- filled when a command first needs them, as the search tables are (``lazy``)
CREATE TABLE csl (ord INTEGER PRIMARY KEY, item TEXT);
CREATE TABLE lintdata (ord INTEGER PRIMARY KEY, info TEXT);
"""
# the tables a build leaves empty until a command first needs them (``lazy.fill``): the
# CSL items (export, cite, render), lint records (lint, check), the
# search tables (search, the language server); the meta row FILLED names those filled
LAZY_TABLES = ("csl", "lint", "search")
FILLED = "filled"
INDEXES = """
CREATE INDEX entries_by_key ON entries(lkey, key);
CREATE INDEX entries_by_chunk ON entries(chunk);
"""


def library_dir() -> Path:
    from ..paths import cache_dir

    return cache_dir() / "library"


def db_path(bib: str | os.PathLike) -> Path:
    try:  # BLAKE2 without hashlib's OpenSSL start-up: this runs on every command
        from _blake2 import blake2b
    except ImportError:  # not CPython
        from hashlib import blake2b

    real = os.path.realpath(bib)
    digest = blake2b(real.encode("utf-8", "surrogateescape"), digest_size=12).hexdigest()
    return library_dir() / f"{digest}.sqlite"


def file_sha256(path: str | os.PathLike) -> str:
    import hashlib

    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def stat_meta(st: os.stat_result) -> dict[str, str]:
    """What a change of the file changes: its size, mtime, inode and ctime (as git's
    ``trustctime``: a change that puts the mtime back still moves the ctime)."""
    return {
        "size": str(st.st_size),
        "mtime_ns": str(st.st_mtime_ns),
        "inode": str(st.st_ino),
        "ctime_ns": str(st.st_ctime_ns),
    }


def racy_window(mtime_ns: int) -> float:
    """How long a change's mtime may lag behind it (``RACY_SECONDS``)."""
    return RACY_SECONDS if mtime_ns % 1_000_000_000 == 0 else RACY_FINE_SECONDS


def is_racy(mtime_ns: int, checked_at: float) -> bool:
    """Whether a file of this mtime, whose content was checked from ``checked_at`` on
    (a time taken before it was read), could have been changed after that check without
    a new mtime: the mtime is not older than the check by more than ``racy_window``."""
    return mtime_ns / 1e9 >= checked_at - racy_window(mtime_ns)


# the cache files this process opened for reading (``cache.recover``)
OPENED: list[Path] = []


def open_read_only(path: Path) -> sqlite3.Connection | None:
    """The cache file opened read-only, in a read transaction (every read of this
    connection sees the version committed when it first reads, whatever writers commit
    meanwhile), or None when it is absent, not the user's own, or cut short."""
    from ..paths import distrust_schema, is_own_file

    if not is_own_file(path) or is_cut_short(path):
        return None
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
        distrust_schema(conn)
        conn.execute("BEGIN")
    except sqlite3.Error:
        return None
    OPENED.append(path)
    return conn


def is_cut_short(path: Path) -> bool:
    """The file is shorter than the pages its header counts (a copy or a disk that ran
    out midway).  SQLite reads such a file as long as the pages it asks for are there or
    in the write-ahead log: the meta row reads, the first read of a missing page fails
    mid-command ("database disk image is malformed")."""
    try:
        with open(path, "rb") as f:
            head = f.read(100)
            size = os.fstat(f.fileno()).st_size
    except OSError:
        return False
    if len(head) < 100 or not head.startswith(b"SQLite format 3\x00"):
        return False  # not a database (or empty): SQLite says so at once
    page_size = int.from_bytes(head[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    pages = int.from_bytes(head[28:32], "big")
    valid = head[24:28] == head[92:96]  # the count is kept up to date (SQLite >= 3.7.0)
    return valid and size < pages * page_size


def open_write(path: Path) -> sqlite3.Connection | None:
    """The cache file opened for writing, or None when it is absent, not the user's
    own or cut short (then replaced by a build): for an update (by the one writer
    holding the cache's lock) and for ``settle`` (one guarded UPDATE of the meta table,
    safe without that lock)."""
    from ..paths import distrust_schema, is_own_file

    if not is_own_file(path) or is_cut_short(path):
        return None
    try:
        conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        distrust_schema(conn)
        # a cache: a commit must be atomic, not durable (WAL: a crash keeps the last
        # synced version, whole), so no flush to the disk at each commit
        conn.execute("PRAGMA synchronous=NORMAL")
    except sqlite3.Error:
        return None
    return conn


def read_meta(conn: sqlite3.Connection) -> dict[str, str] | None:
    """The meta table of a cache of this schema, or None (not refbook's, corrupt, old)."""
    from ..paths import SQLITE_APPLICATION_ID

    try:
        if conn.execute("PRAGMA application_id").fetchone()[0] != SQLITE_APPLICATION_ID:
            return None
        meta = dict(  # all but the layout an update compares (long, not needed to read)
            conn.execute("SELECT name, value FROM meta WHERE name NOT IN ('heads', 'tails')")
        )
    except sqlite3.DatabaseError:
        return None
    return meta if meta.get("schema") == SCHEMA_VERSION else None


def filled(meta: Mapping[str, str]) -> frozenset[str]:
    """The lazy tables (``LAZY_TABLES``) a cache whose ``meta`` this is has filled."""
    return frozenset(meta.get(FILLED, "").split())


def is_fresh(
    meta: dict[str, str], bib: str | os.PathLike, encoding: str | None, cache: Path | None = None
) -> bool:
    """Whether the cache whose ``meta`` this is holds ``bib`` as it is now (``cache``:
    its file, to record a content check, see ``settle``)."""
    if meta.get("path") != os.path.realpath(bib) or meta.get("encoding") != (encoding or ""):
        return False
    checked_at = time.time()  # before the stat: a content check below reads after it
    try:
        st = os.stat(bib)
    except OSError:
        return False
    if str(st.st_size) != meta.get("size"):
        return False
    same_stat = all(meta.get(k) == v for k, v in stat_meta(st).items())
    if same_stat and not is_racy(st.st_mtime_ns, float(meta.get("built_at", "0"))):
        return True
    # same size but touched, or modified too close to the last check: compare the content
    if file_sha256(bib) != meta.get("sha256"):
        return False
    if cache is not None and not is_racy(st.st_mtime_ns, checked_at):
        settle(cache, meta, st, checked_at)
    return True


def settle(cache: Path, meta: dict[str, str], st: os.stat_result, checked_at: float) -> None:
    """Record that the file, as it is now (``st``), holds what the cache holds, checked
    from ``checked_at`` on, long enough after its last change that any later change
    shows in its mtime (git's "racily clean" fix): the next runs compare the stat only.
    Best effort, and only while the cache still holds that content."""
    conn = open_write(cache)
    if conn is None:
        return
    try:
        values = {**stat_meta(st), "built_at": repr(checked_at)}
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany(  # INSERT: a cache written before ctime was kept gains it
            "INSERT OR REPLACE INTO meta SELECT ?, ? "
            "WHERE (SELECT value FROM meta WHERE name = 'sha256') = ?",
            ((k, v, meta["sha256"]) for k, v in values.items()),
        )
        conn.execute("COMMIT")
    except sqlite3.Error:
        pass
    finally:
        conn.close()
