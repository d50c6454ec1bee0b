"""The library cache: one SQLite file per .bib behind every read command.

It keeps each entry as a JSON record (what ``list``, ``show``, ``stats`` and completion
need: raw and decoded fields, names, year, aliases), the byte span of its source, the
file's parse problems, and the full-text search tables.  A warm run opens the file
read-only and reads the rows it needs (one row for ``show KEY``), with neither
bibtexparser nor pylatexenc imported.  When the .bib changed, only the chunks of it not
seen before are parsed (``build``); the store calls ``refresh`` after each save, so the
run after an edit by refbook is warm too.

``open_cached`` never fails because of the cache: a cache directory that cannot be
written means one warning and a run without the cache; a corrupt, foreign or old cache
file is rebuilt without a word.  ``REFBOOK_CACHE_DIR`` moves it (``refbook.paths``);
``refbook --no-cache`` skips it.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Collection
from pathlib import Path
from typing import Any, NamedTuple

from .db import db_path, is_fresh, library_dir, open_read_only, read_meta

__all__ = ["CacheInfo", "clear", "info", "open_cached", "recover", "refresh", "warm_snapshot"]


def _run_file(path: Path) -> Path:
    return path.with_suffix(".run.json")


def _note_run(path: Path, result: dict[str, Any]) -> None:
    """What this run did, for ``refbook cache info`` (best effort: never an error)."""
    import json

    try:
        _run_file(path).write_text(json.dumps(result), encoding="utf-8")
    except OSError:
        pass


def _note_hit(path: Path, mode: str | None) -> None:
    """``_note_run`` of a warm run, without the json module (a warm run's start-up)."""
    try:
        said = f'"{mode}"' if mode in ("chunks", "whole") else "null"
        _run_file(path).write_text(f'{{"result": "hit", "mode": {said}}}', encoding="utf-8")
    except OSError:
        pass


def _snapshot(path: Path, bib: str | os.PathLike, encoding: str | None, settle: bool = True) -> Any:
    """The fresh cache file of ``bib`` opened for reading, or None; ``settle``: record a
    content check that makes it clean for good (``db.settle``)."""
    from .snapshot import Snapshot

    conn = open_read_only(path)
    if conn is None:
        return None
    meta = read_meta(conn)
    if meta is None or not is_fresh(meta, bib, encoding, path if settle else None):
        conn.close()
        return None
    return Snapshot(conn, meta, bib)


def warm_snapshot(bib: str | os.PathLike, encoding: str | None = None) -> Any:
    """The cache of ``bib`` when it is fresh (a warm run), as a ``Snapshot``, else None
    (absent, stale, not cacheable): nothing is built.  Key completion's fast path
    (``refbook.completion``) reads it; ``open_cached`` starts with it."""
    if str(bib) == "-":
        return None
    try:
        os.stat(bib)
    except OSError:
        return None  # the uncached read says what is wrong with it
    path = db_path(bib)
    snap = _snapshot(path, bib, cache_encoding(encoding))
    if snap is not None:
        _note_hit(path, snap.meta.get("mode"))
    return snap


def open_cached(
    bib: str | os.PathLike,
    encoding: str | None = None,
    *,
    busy: Any = None,
    needs: Collection[str] = (),
    parse: bool = False,
) -> tuple[Any, list[str]]:
    """(the library of ``bib`` read through its cache, or None: read it without; warnings
    to show).  ``busy`` (a context manager factory) wraps a rebuild; ``needs``: the lazy
    tables the command reads (``db.LAZY_TABLES``: "csl", "lint", "search"), filled first
    when the cache has not filled them yet.  ``parse``: when what is missing is the lint
    table, which is made by parsing the file, the library comes back parsed (a
    ``model.Library``, as without the cache) and the table is filled from that same
    parse (``parsed_filling_lint``), instead of a parse to fill it, then a read of
    everything back (lint, check)."""
    from .library import CachedLibrary

    given = encoding
    encoding = cache_encoding(encoding)
    name = str(bib)
    snap = warm_snapshot(bib, encoding)
    if snap is not None and snap.filled.issuperset(needs):
        return CachedLibrary(snap, name, encoding), []
    by_parse = frozenset(needs) & {"lint"} if parse and _parse_fills(bib) else frozenset()
    if snap is not None:  # the tables the command reads are filled first
        snap.conn.close()
        if by_parse and snap.filled.issuperset(frozenset(needs) - by_parse):
            return parsed_filling_lint(bib, given, busy), []
    if name == "-" or not os.path.exists(bib):
        return None, []  # the uncached read says what is wrong with it
    path = db_path(bib)
    # a first build parses every entry anyway: it makes their lint records too
    fill = frozenset(needs) - by_parse if path.exists() else needs
    try:
        try:
            outcome = refresh(bib, encoding, busy=busy, needs=fill)
        except sqlite3.Error as exc:
            if not is_damage(exc):
                raise
            _discard(path)  # damaged beyond what its header says: built anew
            outcome = refresh(bib, encoding, busy=busy, needs=fill)
    except OSError as exc:
        return None, [_unwritable(path, exc)]
    except sqlite3.Error as exc:
        return None, [_unwritable(path, exc)]
    if outcome is None:
        return None, []
    # no write right after the build's (a file saved within the last few ms is still
    # racily clean: the next run records its check)
    snap = _snapshot(path, bib, encoding, settle=False)
    if snap is not None and not snap.filled.issuperset(needs) and by_parse:
        snap.conn.close()
        if snap.filled.issuperset(fill):
            return parsed_filling_lint(bib, given, busy), []
        return None, []
    if snap is None or not snap.filled.issuperset(needs):
        if snap is not None:  # changed again meanwhile: read it whole this once
            snap.conn.close()
        return None, []
    return CachedLibrary(snap, name, encoding), []


# up to this size a command that needs the lint table parses the file once itself (its
# parse's memory is no concern: ~170 MiB at 7 MiB); a larger file's table is filled on
# all cores, a part at a time, and read back (at 70 MiB a parse held whole is 1.3 GiB)
PARSE_FILL_BYTES = 16 << 20


def _parse_fills(bib: str | os.PathLike) -> bool:
    try:
        return os.stat(bib).st_size < PARSE_FILL_BYTES
    except OSError:
        return False


def parsed_filling_lint(bib: str | os.PathLike, encoding: str | None, busy: Any = None) -> Any:
    """``bib`` parsed as without the cache (``model.load``), its entries' lint records
    stored from that parse when the cache holds that version of the file and has none
    yet (``lazy.store_lint``; skipped, never waited for, while another writer is at
    work); None when it cannot be read so (the caller's uncached read says why)."""
    import hashlib
    from contextlib import nullcontext

    from ..errors import RefbookError
    from ..model import Library
    from ..store import BibFile

    try:
        with (busy or nullcontext)():
            parsed = BibFile.read(bib, encoding)
            lib = Library(parsed)
            from .lazy import lint_text

            records = [(e.key, lint_text(e)) for e in lib]
    except RefbookError:
        return None
    if parsed.raw is not None:
        _store_lint(bib, hashlib.sha256(parsed.raw).hexdigest(), records)
    return lib


def _store_lint(bib: str | os.PathLike, digest: str, records: list[tuple[str, str]]) -> None:
    """``lazy.store_lint`` under the writer's lock, if it is free (best effort)."""
    from filelock import FileLock, Timeout

    from .db import open_write
    from .lazy import store_lint

    path = db_path(bib)
    try:
        with FileLock(str(path.with_name(path.name + ".lock")), timeout=0):
            conn = open_write(path)
            if conn is not None:
                try:
                    store_lint(conn, digest, records)
                finally:
                    conn.close()
    except (Timeout, OSError, sqlite3.Error):
        pass  # the next command that needs them fills them


# SQLite's result codes for a damaged file: SQLITE_CORRUPT, SQLITE_NOTADB
_DAMAGED = (11, 26)


def recover(exc: BaseException) -> bool | None:
    """After a command failed with ``exc``: when it is SQLite saying a file is damaged
    and this process read a library cache, those cache files are removed (under their
    writer's lock; the next read builds them anew) and the answer is True when nothing
    read from them can have been written out yet (the command can run again, the same
    as with a sound cache), False when it may have; None: not a damaged cache (the
    error is not the cache's)."""
    import sys

    from .db import OPENED

    if not OPENED or not is_damage(exc):
        return None
    for path in set(OPENED):
        _discard(path)
    OPENED.clear()
    output = sys.modules.get("refbook.output")
    return output is None or not output.STREAMING[0]


def is_damage(exc: BaseException) -> bool:
    """``exc`` is SQLite saying a file is damaged (corrupt, or not a database)."""
    if not isinstance(exc, sqlite3.DatabaseError):
        return False
    code = getattr(exc, "sqlite_errorcode", None)  # Python >= 3.11
    if code is not None:
        return code & 0xFF in _DAMAGED
    return any(w in str(exc) for w in ("malformed", "not a database"))


def _discard(path: Path) -> None:
    from filelock import FileLock, Timeout

    try:
        with FileLock(str(path.with_name(path.name + ".lock")), timeout=LOCK_SECONDS):
            for suffix in ("", "-wal", "-shm", "-journal"):
                try:
                    path.with_name(path.name + suffix).unlink()
                except FileNotFoundError:
                    pass
    except (Timeout, OSError):
        pass


def _unwritable(path: Path, exc: Exception) -> str:
    reason = getattr(exc, "strerror", None) or str(exc)
    return (
        f"refbook: warning: cannot write the cache in {path.parent} ({reason}); running without it"
    )


LOCK_SECONDS = 600.0  # a writer waits this long for another one (a first run at 100k: ~1 min)


def refresh(
    bib: str | os.PathLike,
    encoding: str | None = None,
    *,
    busy: Any = None,
    needs: Collection[str] = (),
) -> Any:
    """Bring the cache of ``bib`` up to date (parsing only what changed), with the lazy
    tables ``needs`` filled, as the one writer (a lock file beside the cache file); the
    build's ``Outcome``, or None when the file is not cacheable or another writer held
    the lock too long.  OSError/sqlite3.Error when the cache cannot be written."""
    from filelock import FileLock, Timeout

    from .source import NotCacheable

    path = db_path(bib)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with FileLock(str(path.with_name(path.name + ".lock")), timeout=LOCK_SECONDS):
            outcome = _bring_up_to_date(path, bib, encoding, busy, frozenset(needs))
    except NotCacheable:
        return None
    except Timeout:
        return None
    _note_run(
        path,
        {
            "result": outcome.result,
            "mode": outcome.mode,
            "reused": outcome.reused,
            "parsed": outcome.parsed,
            "cut": outcome.cut,
            "filled": outcome.filled,
            "seconds": round(outcome.seconds, 3),
        },
    )
    return outcome


def _bring_up_to_date(
    path: Path, bib: str | os.PathLike, encoding: str | None, busy: Any, needs: frozenset[str]
) -> Any:
    """``refresh``'s work, under the cache's lock: a build when the cache is not fresh
    (another writer may have made it so meanwhile), then the lazy tables still missing."""
    import time
    from contextlib import nullcontext

    from .build import Outcome, build
    from .db import open_write
    from .lazy import fill, missing

    t0 = time.perf_counter()
    conn = open_write(path)
    try:
        meta = read_meta(conn) if conn is not None else None
        if meta is not None and is_fresh(meta, bib, encoding):
            outcome = Outcome("hit", meta.get("mode", "chunks"))  # another writer did it
        else:
            with (busy or nullcontext)():
                outcome = build(bib, str(bib), encoding, path, conn, needs)
            if conn is not None:
                conn.close()
            conn = open_write(path)  # the new version (a whole one replaced the file)
            meta = read_meta(conn) if conn is not None else None
        if conn is not None and meta is not None and missing(meta, needs):
            with (busy or nullcontext)():
                outcome.filled = fill(conn, bib, str(bib), encoding, needs)
            outcome.seconds = time.perf_counter() - t0
    finally:
        if conn is not None:
            conn.close()
    return outcome


def cache_encoding(option: str | None) -> str | None:
    """The user's ``--encoding`` as the cache records it (its codec's name)."""
    if not option:
        return None
    import codecs

    try:
        return codecs.lookup(option).name
    except LookupError:
        return option


def after_save(bib: str | os.PathLike, encoding: Any) -> None:
    """Called by the store after it saved ``bib`` (``encoding``: the file's
    ``Encoding``): update the cache now, if there is one, so that the next command is
    warm.  Never raises: a failure only leaves the cache stale, and the next read
    rebuilds it."""
    try:
        if not db_path(bib).exists():
            return
        from . import build  # noqa: F401  (the update needs it: imported while the file ages)

        _past_racy_window(bib)
        option = encoding.codec if getattr(encoding, "source", "") == "option" else None
        refresh(bib, option)
    except Exception:  # noqa: BLE001  (the save succeeded; the cache is only a copy)
        pass


def _past_racy_window(bib: str | os.PathLike) -> None:
    """Wait, if need be, until the file just saved is older than its timestamps' lag
    (``db.RACY_FINE_SECONDS``: 50 ms at most) before the cache reads it: that read then
    checks it for good, and the next command compares its stat only, as a warm one does,
    instead of its content and a write to record it (``db.settle``: ~20-50 ms at 10k
    entries, ~0.1 s at 100k).  The update's own start-up usually takes most of the
    window; whole-second timestamps (a 2 s window): no wait, the next command compares
    the content, once."""
    from .db import RACY_FINE_SECONDS, racy_window

    mtime_ns = os.stat(bib).st_mtime_ns
    if racy_window(mtime_ns) != RACY_FINE_SECONDS:
        return
    wait = mtime_ns / 1e9 + RACY_FINE_SECONDS - time.time()
    if 0 < wait <= RACY_FINE_SECONDS:
        time.sleep(wait + 0.001)


class CacheInfo(NamedTuple):  # not a dataclass: that import is ~10 ms of a warm run
    directory: str
    file: str | None
    exists: bool
    size: int
    entries: int | None
    mode: str | None
    fresh: bool | None
    last_run: dict[str, Any] | None
    total_size: int
    files: int

    def to_dict(self) -> dict[str, Any]:
        return self._asdict()


def info(bib: str | os.PathLike | None, encoding: str | None = None) -> CacheInfo:
    """Where the cache is, how big, and what the last run of ``bib`` did."""
    encoding = cache_encoding(encoding)
    directory = library_dir()
    files = [p for p in directory.glob("*.sqlite")] if directory.is_dir() else []
    total = sum(p.stat().st_size for p in files)
    if bib is None or str(bib) == "-":
        return CacheInfo(str(directory), None, False, 0, None, None, None, None, total, len(files))
    path = db_path(bib)
    exists = path.is_file()
    entries = mode = fresh = None
    conn = open_read_only(path) if exists else None
    if conn is not None:
        meta = read_meta(conn)
        if meta is not None:
            entries = int(meta.get("entries", "0"))
            mode = meta.get("mode")
            fresh = os.path.exists(bib) and is_fresh(meta, bib, encoding)
        conn.close()
    import json

    try:
        last = json.loads(_run_file(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        last = None
    size = path.stat().st_size if exists else 0
    return CacheInfo(
        str(directory), str(path), exists, size, entries, mode, fresh, last, total, len(files)
    )


def clear() -> tuple[int, int]:
    """Remove every cache file of refbook's library cache (and the old search index);
    (files removed, bytes freed)."""
    from ..paths import cache_dir

    removed = freed = 0
    for directory in (library_dir(), cache_dir() / "search"):
        if not directory.is_dir():
            continue
        for p in directory.iterdir():
            if p.suffix in (".sqlite", ".json", ".tmp") or p.name.endswith(
                (".tmp", "-wal", "-shm", "-journal")
            ):
                try:
                    size = p.stat().st_size
                    p.unlink()
                except OSError:
                    continue
                removed += 1
                freed += size
    return removed, freed
