"""The cache's SQLite file: where it lives, its schema, whether it is fresh, and the
read side (``Snapshot``).  Over 500 lines: the schema and every query the read side makes
are kept in one place, next to each other.

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

import _thread  # the lock Snapshot needs, without threading's import (a warm run's start-up)
import os
import sqlite3
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

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
# CSL items (export, cite, render), lint records (lint, check, biblatex export), the
# search tables (search, the language server); the meta row FILLED names those filled
LAZY_TABLES = ("csl", "lint", "search")
FILLED = "filled"
# the columns RecordEntry reads when asked (name -> table, column)
_COLUMNS = {
    "item": ("data", "item"),
    "extra": ("extra", "extra"),
    "csl": ("csl", "item"),
    "lint": ("lintdata", "info"),
}
# what a RecordEntry is made of (the rest is read when asked for)
_ROW = (
    "e.ord, e.key, e.type, c.line + e.rel_line, e.year, e.light, c.bstart + e.rel_start, "
    "c.bstart + e.rel_end"
)
_FROM = "entries e JOIN chunks c ON c.id = e.chunk"
# an entry's line in the search tables (docs.rowid is its ord)
LINE_SQL = "(SELECT c.line + e.rel_line FROM entries e JOIN chunks c ON c.id = e.chunk WHERE e.ord = d.rowid)"
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


_KEYS_IN_ORDER = "SELECT key FROM entries INDEXED BY entries_by_key"
_KEY_ORDER = "ORDER BY lkey, key, ord"


def _key_prefix(prefix: str) -> tuple[str, tuple[str, ...]]:
    """The WHERE clause (and its parameters) of the keys starting with ``prefix``,
    case-insensitively, as a range of the key index."""
    low = prefix.lower()
    if not low:
        return "", ()
    if (after := ord(low[-1]) + 1) <= 0x10FFFF and not 0xD800 <= after <= 0xDFFF:
        # exactly the strings that start with low: low <= s < low with its last
        # character the next one
        return "WHERE lkey >= ? AND lkey < ?", (low, low[:-1] + chr(after))
    return "WHERE substr(lkey, 1, length(?)) = ?", (low, low)


class Snapshot:
    """One version of a cache file, opened for reading (the file stays this version
    for as long as it is open, whatever writers do)."""

    def __init__(self, conn: sqlite3.Connection, meta: dict[str, str], bib: str | os.PathLike):
        self.conn = conn
        self.meta = meta
        self.bib = bib
        self.count = int(meta.get("entries", "0"))
        self.codec = meta.get("codec", "utf-8")
        self.filled = filled(meta)
        self._source: Any = None
        self._source_lock = _thread.allocate_lock()

    def problems(self, name: str) -> list:
        if self.meta.get("problems", "[]") == "[]":
            return []
        import json

        from ..findings import Finding

        return [
            Finding(
                name,
                p["line"],
                p["severity"],
                p["rule"],
                p["message"],
                p.get("key"),
                p.get("column"),
                p.get("data") or {},
            )
            for p in json.loads(self.meta.get("problems", "[]"))
        ]

    def _entry(self, lib: Any, row: tuple) -> Any:
        from .records import RecordEntry

        ord_, key, type_, line, year, light, bstart, bend = row
        return RecordEntry(lib, ord_, key, type_, line, year, light, (bstart, bend))

    def entries(self, lib: Any, where: str = "", *params: Any) -> Iterator[Any]:
        query = f"SELECT {_ROW} FROM {_FROM} {where} ORDER BY e.ord"
        for row in self.conn.execute(query, params):
            yield self._entry(lib, row)

    def keys_starting(self, prefix: str) -> list[str]:
        """The keys that start with ``prefix`` (case-insensitive), in completion order
        (``refbook.completion.completion_order``): read from the index alone, in its
        order, no sort."""
        where, params = _key_prefix(prefix)
        return [k for (k,) in self.conn.execute(f"{_KEYS_IN_ORDER} {where} {_KEY_ORDER}", params)]

    def joined_keys_starting(self, prefix: str, separator: str) -> str | None:
        """``separator.join(self.keys_starting(prefix))`` joined by SQLite, or None when
        no key starts so: key completion's answer at 100k is 31k keys, ~30 ms as Python
        rows, half that as one string.  (The subquery's order is the index's; SQLite
        does not flatten an ordered subquery into an aggregate, so it joins them in it.)"""
        where, params = _key_prefix(prefix)
        query = f"SELECT group_concat(key, ?) FROM ({_KEYS_IN_ORDER} {where} {_KEY_ORDER})"
        row = self.conn.execute(query, (separator, *params)).fetchone()
        return row[0] if row else None

    def keys(self) -> list[str]:
        return [k for (k,) in self.conn.execute("SELECT key FROM entries ORDER BY ord")]

    def find(self, lib: Any, key: str) -> Any:
        """As ``BibFile.find``: case-insensitive, an exact-case match first, else an
        ``ids`` alias."""
        rows = self.conn.execute(
            f"SELECT {_ROW} FROM {_FROM} WHERE e.lkey = ? ORDER BY e.ord", (key.lower(),)
        ).fetchall()
        if not rows:
            rows = self.conn.execute(
                f"SELECT {_ROW} FROM {_FROM} WHERE e.ord = "
                "(SELECT min(ord) FROM aliases WHERE alias = ?)",
                (key.lower(),),
            ).fetchall()
            if not rows:
                return None
        row = next((r for r in rows if r[1] == key), rows[0])
        return self._entry(lib, row)

    def _filled(self, columns: Sequence[str]) -> None:
        """LookupError when a lazy table among ``columns`` is not filled (the command
        should have asked for it: ``open_cached(needs=...)``)."""
        for name in columns:
            if name in LAZY_TABLES and name not in self.filled:
                raise LookupError(f"the library cache has no {name} table yet")

    def column(self, ord_: int, name: str) -> str | None:
        """One entry's ``item`` (JSON text) or ``extra`` (JSON) column, or its ``csl``
        item or ``lint`` record."""
        self._filled((name,))
        table, column = _COLUMNS[name]
        row = self.conn.execute(f"SELECT {column} FROM {table} WHERE ord = ?", (ord_,)).fetchone()
        text = row[0] if row is not None else None
        if name == "item" and text is not None:
            from .records import json_form

            return json_form(text)
        return text

    def parts(self, columns: Sequence[str]) -> Iterator[tuple]:
        """(ord, column…) of every entry in file order (``item`` as ``column`` gives it)."""
        from .records import json_form

        self._filled(columns)
        tables = [_COLUMNS[c][0] for c in columns]
        first = tables[0]
        joins = " ".join(f"JOIN {t} ON {t}.ord = {first}.ord" for t in tables[1:])
        wanted = ", ".join(f"{_COLUMNS[c][0]}.{_COLUMNS[c][1]}" for c in columns)
        query = f"SELECT {first}.ord, {wanted} FROM {first} {joins} ORDER BY {first}.ord"
        at = columns.index("item") + 1 if "item" in columns else 0
        for row in self.conn.execute(query):
            if at and row[at] is not None:
                row = (*row[:at], json_form(row[at]), *row[at + 1 :])
            yield row

    def values(self, names: Sequence[str]) -> Iterator[tuple[int, str]]:
        """(ord, values) of every entry in file order: the values of ``names``
        (lower-case field names), its own then its inherited ones, as one JSON array
        (null: absent), taken out of the stored record by SQLite in one parse (lint's
        passes that read a few fields of every entry decode no whole record)."""
        whole = "(item || char(10) || '}')"  # the stored listing form, closed (json_form)
        paths = ", ".join(f"'$.{part}.\"{n}\"'" for part in ("fields", "inherited") for n in names)
        return iter(
            self.conn.execute(f"SELECT ord, json_extract({whole}, {paths}) FROM data ORDER BY ord")
        )

    def csl_items(self) -> Iterator[tuple[int, str | None]]:
        """Every entry's (ord, CSL item as JSON text), in file order (export streams them)."""
        return iter(self.conn.execute("SELECT ord, item FROM csl ORDER BY ord"))

    def csl_complete(self) -> bool:
        """Whether every entry has its CSL item (none failed to map)."""
        if "csl" not in self.filled:
            return False
        q = "SELECT count(*) FROM csl WHERE item IS NOT NULL"
        return bool(self.conn.execute(q).fetchone()[0] == self.count)

    def spans(self) -> list[tuple[str, int, int]]:
        """(key, byte start, byte end) of every entry, in file order."""
        return self.conn.execute(
            f"SELECT e.key, c.bstart + e.rel_start, c.bstart + e.rel_end FROM {_FROM} "
            "ORDER BY e.ord"
        ).fetchall()

    def string_names(self) -> set[str]:
        """The names (lower case) of the file's ``@string`` macros, read from the file at
        its ``@string`` chunks (only when an entry uses a macro not defined above it)."""
        from .chunks import _STRING_NAME

        rows = self.conn.execute("SELECT bstart, string FROM chunks ORDER BY bstart").fetchall()
        size = os.path.getsize(self.bib)
        names = set()
        for (start, string), after in zip(rows, rows[1:] + [(size, 0)]):
            if string:
                m = _STRING_NAME.match(self.source_text(start, after[0]))
                if m:
                    names.add(m.group(1).lower())
        return names

    def keywords(self) -> list[str]:
        return [
            k
            for (k,) in self.conn.execute(
                "SELECT keyword FROM keywords GROUP BY keyword ORDER BY count(*) DESC, min(seq)"
            )
        ]

    def counts(self, watched: Mapping[str, tuple[str, ...]]) -> dict[str, Any]:
        """What ``refbook stats`` counts, in SQL: entries per type and per year (None:
        no year), keywords, and per watched name the entries with none of its fields;
        each ordered as ``Counter.most_common`` orders (ties in order of first use)."""
        q = self.conn.execute
        # one pass over the entries (each pass reads every row: ~0.1-0.4 s at 100k), grouped
        # by what is counted; the few groups are summed here
        types: dict[str, list[int]] = {}  # type -> [count, first ord]
        years: dict[Any, int] = {}
        having = dict.fromkeys(watched, 0)
        for type_, year, fields, n, first in q(
            "SELECT type, year, fields, count(*), min(ord) FROM entries GROUP BY type, year, fields"
        ):
            seen = types.setdefault(type_, [0, first])
            seen[0] += n
            seen[1] = min(seen[1], first)
            years[year] = years.get(year, 0) + n
            for name, names in watched.items():
                if any(f" {f} " in fields for f in names):
                    having[name] += n
        ordered = sorted(types.items(), key=lambda kv: (-kv[1][0], kv[1][1]))
        keywords = dict(
            q(
                "SELECT keyword, count(*) AS n FROM keywords GROUP BY keyword "
                "ORDER BY n DESC, min(seq)"
            )
        )
        missing = {name: self.count - n for name, n in having.items()}
        return {
            "types": {t: c for t, (c, _) in ordered},
            "years": dict(sorted(years.items(), key=lambda kv: (kv[0] is not None, kv[0] or 0))),
            "keywords": keywords,
            "missing": missing,
        }

    def items(self) -> Iterator[tuple[int, str]]:
        """Every entry's (ord, JSON text), in file order (``list --json`` streams them)."""
        from .records import json_form

        for ord_, item in self.conn.execute("SELECT ord, item FROM data ORDER BY ord"):
            yield ord_, json_form(item)

    def listing(self, path_json: str, reverse: bool = False, raw: bool = False) -> Iterator[list]:
        """Every entry as an item of ``list --json``'s array writes it (its source
        added to the stored text by SQLite), in file order or reversed, in batches (of
        UTF-8 bytes with ``raw``)."""
        piece = "x.item || ?1 || (c.line + e.rel_line) || ?2"
        cursor = self.conn.execute(
            f"SELECT {f'CAST({piece} AS BLOB)' if raw else piece} FROM data x "
            "JOIN entries e ON e.ord = x.ord JOIN chunks c ON c.id = e.chunk "
            f"ORDER BY x.ord {'DESC' if reverse else ''}",
            (f',\n    "source": {{\n      "file": {path_json},\n      "line": ', "\n    }\n  }"),
        )
        while batch := cursor.fetchmany(2000):
            yield [piece for (piece,) in batch]

    def source_text(self, start: int, end: int) -> str:
        with self._source_lock:  # the language server's threads read sources at once
            if self._source is None:  # kept open: lint and export read many sources
                self._source = open(self.bib, "rb")  # noqa: SIM115
            self._source.seek(start)
            data = self._source.read(end - start)
        return data.decode(self.codec)

    def search_index(self, name: str) -> Any:
        """The cache's search index (None: its tables are not filled)."""
        from ..index import SearchIndex

        if "search" not in self.filled:
            return None
        return SearchIndex(self.conn, name, line_sql=LINE_SQL)
