"""The tables a build leaves empty until a command first needs them (``db.LAZY_TABLES``).

A first run stores what ``list``, ``show``, ``stats`` and completion read (each entry's
record, list form, keywords, aliases, byte span); the CSL items (``csl``: export, cite,
render), lint records (``lint``: lint, check) and the search tables
(``search``: search, ``-q``, the language server) are filled by the first command that
asks for them (``open_cached(needs=...)``), by the one writer under the cache's lock, and
named in the meta row ``FILLED``.  From then on an update keeps them in step (a table not
filled is left alone) and a whole rebuild makes them with the rest.

The CSL items and the search rows are made from the stored records (the same items and
rows a parsed entry gives: the matrix tests compare them with uncached runs); the lint
records ask about the text as written, so the file is parsed again for them, on all
cores, and only when it is still the version the cache holds.  A command that lints
(lint, check) does not ask for that parse when the file is smaller than
``cache.PARSE_FILL_BYTES``: it parses the file once itself, runs on that parse, and the
records are stored from it (``store_lint``).
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Collection, Iterator
from typing import Any

from .db import FILLED, filled, read_meta
from .snapshot import Snapshot

CSL_SLICE = 20_000  # records read at a time for the CSL items (memory stays bounded)


def missing(meta: dict[str, str], needs: Collection[str]) -> frozenset[str]:
    """The tables of ``needs`` a cache whose ``meta`` this is has not filled."""
    return frozenset(needs) - filled(meta)


def fill(
    conn: sqlite3.Connection,
    bib: str | os.PathLike,
    name: str,
    encoding: str | None,
    tables: Collection[str],
) -> list[str]:
    """Fill the lazy ``tables`` of the cache (``conn``: opened for writing, under the
    cache's lock, holding a fresh version of ``bib``), in one transaction; the tables
    filled (a lint fill is skipped when the file no longer is the cached version)."""
    meta = read_meta(conn)
    if meta is None:
        return []
    todo = sorted(missing(meta, tables))
    if not todo:
        return []
    done = []
    conn.execute("BEGIN IMMEDIATE")
    try:
        snap = Snapshot(conn, meta, bib)
        lib = _library(snap, name, encoding)
        for table in todo:
            if table == "search":
                _fill_search(conn, lib)
            elif table == "csl":
                _fill_csl(conn)
            elif table == "lint" and not _fill_lint(conn, bib, name, encoding, meta):
                continue
            done.append(table)
        now = " ".join(sorted(filled(meta) | set(done)))
        conn.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (FILLED, now))
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return done


def _library(snap: Snapshot, name: str, encoding: str | None) -> Any:
    from .library import CachedLibrary

    return CachedLibrary(snap, name, encoding)


def _fill_search(conn: sqlite3.Connection, lib: Any) -> None:
    """The search tables, from the records (``index.doc_row`` of each ``RecordEntry``)."""
    from ..index import doc_row, fill_index, insert_docs_sql

    def docs() -> Iterator[tuple]:
        for e in lib.read_parts(iter(lib), ("item", "extra")):
            yield (e.ord, *doc_row(e)[:-1], None)
            e._reset()

    conn.executemany(insert_docs_sql(), docs())
    fill_index(conn)


_RECORDS = (
    "SELECT e.ord, e.key, e.type, e.year, e.light, x.item, extra.extra FROM entries e "
    "JOIN data x ON x.ord = e.ord JOIN extra ON extra.ord = e.ord "
    "WHERE e.ord > ? ORDER BY e.ord LIMIT ?"
)


def _fill_csl(conn: sqlite3.Connection) -> None:
    """Every entry's CSL item, made from its record on all cores, a slice at a time."""
    from .pool import cores, pooled

    after = 0
    while batch := conn.execute(_RECORDS, (after, CSL_SLICE)).fetchall():
        after = batch[-1][0]
        size = -(-len(batch) // cores()) if len(batch) >= 1000 else len(batch)
        groups = [batch[i : i + size] for i in range(0, len(batch), size)]
        for texts in pooled(_csl_texts, None, groups):
            conn.executemany("INSERT INTO csl VALUES (?, ?)", texts)


def _csl_texts(_shared: Any, records: list[tuple]) -> list[tuple[int, str | None]]:
    """(ord, ``parts.csl_text``) of each record (a worker's share)."""
    from .entry import RecordEntry
    from .parts import csl_text
    from .records import json_form

    out = []
    for ord_, key, type_, year, light, item, extra in records:
        entry = RecordEntry(None, ord_, key, type_, 0, year, light, (0, 0))
        entry._given("item", json_form(item))
        entry._given("extra", extra)
        out.append((ord_, csl_text(entry)))
    return out


def _fill_lint(
    conn: sqlite3.Connection,
    bib: str | os.PathLike,
    name: str,
    encoding: str | None,
    meta: dict[str, str],
) -> bool:
    """Every entry's lint record, from the file parsed again as the build parses it;
    False when the file is not the cached version any more (or does not parse so)."""
    import hashlib

    from .build import parse_new, whole_rows
    from .source import read_source

    src = read_source(bib, name, encoding)
    if hashlib.sha256(src.data).hexdigest() != meta.get("sha256"):
        return False
    parts = frozenset(("lint",))
    if meta.get("mode") == "chunks":
        every = list(range(len(src.chunks)))
        rows = parse_new(src.text, src.chunks, every, name, src.codec, parts=parts)
    else:
        rows = whole_rows(src, bib, parts)[0]
    return rows is not None and _insert_lint(conn, [(r.key, r.lint) for r in rows])


def _insert_lint(conn: sqlite3.Connection, records: list[tuple[str, str]]) -> bool:
    """Insert (key, lint record text) of every entry in file order, when their keys are
    the cached entries' (else nothing: False)."""
    ords = conn.execute("SELECT ord, key FROM entries ORDER BY ord").fetchall()
    if [k for _, k in ords] != [k for k, _ in records]:
        return False
    conn.executemany(
        "INSERT INTO lintdata VALUES (?, ?)", ((o, r) for (o, _), (_, r) in zip(ords, records))
    )
    return True


def lint_text(entry: Any) -> str:
    """An entry's lint record as the lint table keeps it (``build.make_row``'s form)."""
    import json

    from .parts import lint_record

    return json.dumps(lint_record(entry), ensure_ascii=False, separators=(",", ":"))


def store_lint(conn: sqlite3.Connection, digest: str, records: list[tuple[str, str]]) -> bool:
    """The lint records of a parse the command made anyway (``open_cached(parse=True)``:
    (key, ``lint_text``) of every entry, in file order) stored as the lint table, when
    the cache holds the version of the file whose SHA-256 is ``digest`` and has none
    yet, in one transaction; whether they were.  (``conn``: opened for writing, under
    the cache's lock.)"""
    conn.execute("BEGIN IMMEDIATE")
    try:
        meta = read_meta(conn)
        done = (
            meta is not None
            and meta.get("sha256") == digest
            and "lint" in missing(meta, ("lint",))
            and _insert_lint(conn, records)
        )
        if done and meta is not None:
            now = " ".join(sorted(filled(meta) | {"lint"}))
            conn.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (FILLED, now))
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return bool(done)
