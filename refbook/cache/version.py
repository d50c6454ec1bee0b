"""A whole new version of a cache file: made in a temporary file (``new_file``), its
rows written by the caller (one process, or several: ``parallel``), then completed and
put in place (``complete``)."""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path
from typing import Any

from .db import INDEXES, SCHEMA
from .source import Source


def new_file(target: Path, src: Source) -> tuple[sqlite3.Connection, Path]:
    """A new version's temporary file, its tables made and its chunks written, in a
    transaction (journal and syncs off: the file counts only once renamed into place)."""
    from ..index import SEARCH_SCHEMA, run_script
    from ..paths import SQLITE_APPLICATION_ID
    from .build import _unlink

    tmp = target.with_name(f"{target.name}.{os.getpid()}.tmp")
    target.parent.mkdir(parents=True, exist_ok=True)
    _unlink(tmp)
    conn = sqlite3.connect(tmp, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode=OFF")
        conn.execute("PRAGMA synchronous=OFF")
        conn.execute(f"PRAGMA application_id = {SQLITE_APPLICATION_ID}")
        conn.execute("BEGIN")
        run_script(conn, SCHEMA)
        run_script(conn, SEARCH_SCHEMA)
        conn.executemany(
            "INSERT INTO chunks VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                (i + 1, c.ident, c.line, c.bstart, c.start, c.end, c.is_string)
                for i, c in enumerate(src.chunks)
            ),
        )
    except BaseException:
        conn.close()
        _unlink(tmp)
        raise
    return conn, tmp


def complete(
    conn: sqlite3.Connection,
    tmp: Path,
    target: Path,
    bib: str | os.PathLike,
    encoding: str | None,
    src: Source,
    entries: int,
    problems: list,
    outcome: Any,
    live: sqlite3.Connection | None,
    lazy: frozenset[str],
    step: int,
) -> None:
    """A new version whose rows are written: its indexes, search index and meta rows,
    then in ``target``'s place (``_install``)."""
    from ..index import fill_index, run_script
    from .build import _flush_soon, _install, file_meta
    from .db import FILLED
    from .update import ORD_META

    if conn.in_transaction:
        conn.execute("COMMIT")
    if live is None:  # renamed into place: most of its pages are written by now
        _flush_soon(tmp)
    conn.execute("BEGIN")
    run_script(conn, INDEXES)
    if "search" in lazy:
        fill_index(conn)
    meta = {
        **file_meta(bib, encoding, src, outcome.mode),
        "entries": str(entries),
        "problems": json.dumps(problems, ensure_ascii=False),
        ORD_META: str(step),
        FILLED: " ".join(sorted(lazy)),
    }
    conn.executemany("INSERT INTO meta VALUES (?, ?)", meta.items())
    conn.execute("COMMIT")
    conn.execute("PRAGMA journal_mode=WAL")  # readers and an updating writer at once
    _install(conn, tmp, target, live)
