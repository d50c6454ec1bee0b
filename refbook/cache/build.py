"""Building the cache: parse what is new, keep what is not.

Chunk mode (the usual case): the text is cut in chunks (``chunks.split``); the entries
of a chunk whose text and ``@string`` context the cache has are kept, and only the new
chunks are parsed, together with the ``@string`` chunks above them so that macros
resolve as in the whole file.  A cache of the same file is updated in place, in one
write transaction (``update``); a first run, a file that was read whole, a damaged or
older cache, or an update that changes most of the file writes a whole new version to a
temporary file that then takes the old one's place.  Many new chunks (a first run) are
parsed by a process pool over ranges of chunks, the results merged in file order.

Whole mode: a file whose entries depend on more than their own chunk and the macros
above (``crossref``/``xdata``), or which has parse problems of any kind (an unclosed
entry, duplicate keys or macros, a contradicting encoding header), is parsed whole, as
without the cache, and its records are not reused: every finding then comes out exactly
as the uncached run gives it.
"""

from __future__ import annotations

import bisect
import json
import os
import sqlite3
import time
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from .chunks import Chunk
from .db import SCHEMA_VERSION, read_meta, stat_meta
from .source import Source, inherits, read_source

POOL_MIN_CHUNKS = 1500  # fewer new chunks are parsed in this process (a pool costs ~0.1 s)


@dataclass
class Row:
    """One entry as the cache stores it (line and byte offsets relative to its chunk);
    the parts of the lazy tables only when they are wanted (``db.LAZY_TABLES``)."""

    key: str
    type: str = ""
    chunk: int = 0  # index of its chunk
    rel_line: int = 0
    rel_start: int = 0  # bytes, in the file's encoding
    rel_end: int = 0
    year: int | None = None
    light: str = "{}"  # JSON
    item: str = ""  # JSON text, as records.listing_form keeps it
    extra: str = "{}"  # JSON
    names: str = " "  # the names of its fields, each between spaces (entries.fields)
    keywords: list = field(default_factory=list)
    aliases: list = field(default_factory=list)
    doc: tuple | None = None  # index.doc_row without the line
    csl: str | None = None  # parts.csl_text
    lint: str | None = None  # parts.lint_record, JSON


@dataclass
class Outcome:
    """What a build did: for ``cache info`` and the benchmark."""

    result: str = "rebuilt"  # or "updated" (in place), "hit" (another process did it)
    mode: str = "chunks"
    reused: int = 0
    parsed: int = 0
    cut: int = 0  # chunks cut and hashed again (all of them, unless only a part changed)
    seconds: float = 0.0
    problems: list = field(default_factory=list)
    filled: list = field(default_factory=list)  # lazy tables filled (``lazy.fill``)


RECORD = "record"  # what a build makes of every entry (the lazy tables' parts aside)


def make_row(
    entry: Any,
    chunk: int,
    rel_line: int,
    rel_start: int,
    rel_end: int,
    parts: frozenset[str] = frozenset((RECORD,)),
) -> Row:
    """``entry`` as stored; ``rel_start``/``rel_end``: its byte span from its chunk's
    start; ``parts``: its record (``RECORD``) and which lazy tables' parts to make."""
    from .parts import csl_text, lint_record

    row = Row(entry.key, entry.type, chunk, rel_line, rel_start, rel_end)
    dump = json.dumps
    if RECORD in parts:
        from .records import entry_record, listing_form

        light, item, extra = entry_record(entry)
        row.year = entry.year
        row.light = dump(light, ensure_ascii=False, separators=(",", ":"))
        row.item = listing_form(item)
        row.extra = dump(extra, ensure_ascii=False, separators=(",", ":"))
        row.names = f" {' '.join(light['p'])} "
        row.keywords = light["k"]
        row.aliases = extra.get("a", [])
    if "search" in parts:
        from ..index import doc_row

        row.doc = doc_row(entry)[:-1]
    if "csl" in parts:
        row.csl = csl_text(entry)
    if "lint" in parts:
        row.lint = dump(lint_record(entry), ensure_ascii=False, separators=(",", ":"))
    return row


def parse_pieces(
    text: str,
    pieces: list[tuple[int, int, int, bool]],
    name: str,
    codec: str,
    parts: frozenset[str] = frozenset((RECORD,)),
) -> list | None:
    """Parse ``pieces`` of ``text`` (start, end, chunk index, wanted) as one file in this
    order; rows (``parts`` of them) of the entries of the wanted pieces (byte offsets in
    ``codec``), or None when anything in it is a problem (the caller then parses the
    whole file).  Runs in a worker process too."""
    from ..blocks import no_gc
    from ..errors import RefbookError
    from ..model import Library
    from ..store import BibFile

    mini = "".join(text[a:b] for a, b, _, _ in pieces)
    offsets, lines = [], []
    pos, line = 0, 0
    for a, b, _, _ in pieces:
        offsets.append(pos)
        lines.append(line)
        pos += b - a
        line += text.count("\n", a, b)
    try:
        bib = BibFile(mini, name=name)
    except RefbookError:
        return None
    lib = Library(bib)
    # (crossref/xdata problems only where they are written: the plain search is 10x
    # quicker than Library's pattern, 3 s of CPU over 100k entries)
    if bib.problems or (inherits(mini) and lib.problems):
        return None
    rows = []
    with no_gc():  # (a row's many small objects: the collector walked them for nothing, 20 %)
        for entry in lib:
            blk = entry._block
            i = bisect.bisect_right(offsets, blk.start) - 1
            start, _, chunk, wanted = pieces[i]
            if not wanted:
                continue
            a, b = blk.start - offsets[i], blk.end - offsets[i]
            span = _byte_span(text, start, a, b, codec)
            rows.append(make_row(entry, chunk, entry.line - 1 - lines[i], *span, parts))
    return rows


def _byte_span(text: str, start: int, a: int, b: int, codec: str) -> tuple[int, int]:
    """The characters ``a``..``b`` after ``start`` as bytes after ``start``."""
    head = len(text[start : start + a].encode(codec, "surrogatepass"))
    return head, head + len(text[start + a : start + b].encode(codec, "surrogatepass"))


def _pieces(chunks: list[Chunk], wanted: list[int]) -> list[tuple[int, int, int, bool]]:
    """The wanted chunks with every ``@string`` chunk above the last of them, in order."""
    want = set(wanted)
    last = max(wanted)
    return [
        (c.start, c.end, i, i in want)
        for i, c in enumerate(chunks[: last + 1])
        if i in want or c.is_string
    ]


def parse_new(
    text: str,
    chunks: list[Chunk],
    todo: list[int],
    name: str,
    codec: str,
    above: list[tuple[int, int, int, bool]] | None = None,
    parts: frozenset[str] = frozenset((RECORD,)),
) -> list | None:
    """Rows (``parts`` of them) of the entries of chunks ``todo``, parsed on all cores
    when there are many; ``above``: pieces of text before ``chunks`` to parse first
    (their ``@string`` chunks, when ``chunks`` is a part of the file)."""
    from .pool import cores, pooled

    if not todo:
        return []
    above = above or []
    workers = cores()
    if len(todo) < POOL_MIN_CHUNKS or workers < 2:
        return parse_pieces(text, above + _pieces(chunks, todo), name, codec, parts)
    size = -(-len(todo) // workers)
    groups = [above + _pieces(chunks, todo[i : i + size]) for i in range(0, len(todo), size)]
    job = partial(_parse_group, name=name, codec=codec, parts=parts)
    rows: list = []
    for found in pooled(job, text, groups):  # in file order
        if found is None:
            return None
        rows.extend(found)
    return rows


def _parse_group(
    text: str, pieces: list, *, name: str, codec: str, parts: frozenset[str]
) -> list | None:
    return parse_pieces(text, pieces, name, codec, parts)


def _old_rows(
    conn: sqlite3.Connection | None, meta: dict[str, str] | None, parts: frozenset[str]
) -> dict[str, list[Row]]:
    """The old version's entries by chunk identity (chunk mode only), with the lazy
    tables' ``parts`` (none when the old version lacks one of them)."""
    from .db import filled

    if conn is None or meta is None or meta.get("mode") != "chunks":
        return {}
    if not parts - {RECORD} <= filled(meta):
        return {}  # every entry is parsed again, its parts made with it
    cols = ["x.item", "extra.extra", "e.fields"]
    joins = ["JOIN data x ON x.ord = e.ord", "JOIN extra ON extra.ord = e.ord"]
    if "search" in parts:
        cols.append(
            "d.key, d.type, d.year, d.authors, d.author, d.title, d.container, "
            "d.keywords, d.annotation, d.abstract, d.doi, d.url"
        )
        joins.append("JOIN docs d ON d.rowid = e.ord")
    for name, table, column in (("csl", "csl", "item"), ("lint", "lintdata", "info")):
        if name in parts:
            cols.append(f"{table}.{column}")
            joins.append(f"JOIN {table} ON {table}.ord = e.ord")
    old: dict[str, list[Row]] = {}
    try:
        for (ident,) in conn.execute("SELECT ident FROM chunks"):
            old[ident] = []
        for r in conn.execute(
            "SELECT c.ident, e.key, e.type, e.rel_line, e.rel_start, e.rel_end, e.year, "
            f"e.light, {', '.join(cols)} FROM entries e JOIN chunks c ON c.id = e.chunk "
            f"{' '.join(joins)} ORDER BY e.ord"
        ):
            row = Row(r[1], r[2], 0, r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10])
            row.keywords = json.loads(row.light)["k"]
            row.aliases = json.loads(row.extra).get("a", [])
            rest = list(r[11:])
            if "search" in parts:
                row.doc, rest = tuple(rest[:12]), rest[12:]
            if "csl" in parts:
                row.csl = rest.pop(0)
            if "lint" in parts:
                row.lint = rest.pop(0)
            old.setdefault(r[0], []).append(row)
    except sqlite3.DatabaseError:
        return {}
    return old


def build(
    bib: str | os.PathLike,
    name: str,
    encoding: str | None,
    target: Path,
    old: sqlite3.Connection | None,
    needs: frozenset[str] = frozenset(),
) -> Outcome:
    """Bring the cache of ``bib`` at ``target`` up to date: in place when ``old`` (the
    cache file, opened for writing under the cache's lock) is a chunk-mode version of
    the same file, else as a whole new version, with the lazy tables the old version had
    filled and those in ``needs``."""
    from .db import filled
    from .parallel import FAILED, WRITTEN, build_new
    from .update import update

    t0 = time.perf_counter()
    src = read_source(bib, name, encoding)
    outcome = Outcome()
    meta = read_meta(old) if old is not None else None
    same = meta is not None and _same_file(meta, bib, encoding, src)
    if same and update(old, src, name, meta, outcome):  # type: ignore[arg-type]
        outcome.seconds = time.perf_counter() - t0
        return outcome
    parts = frozenset((RECORD, *needs, *(filled(meta) if meta is not None else ())))
    rows: list | None = None
    live = old if meta is not None else None
    if src.chunkable:
        old_rows = _old_rows(old, meta, parts) if same else {}
        todo = [i for i, c in enumerate(src.chunks) if c.ident not in old_rows]
        done = None if old_rows else build_new(target, bib, encoding, src, parts, outcome, live)
        if done == WRITTEN:  # a first run, on all cores
            outcome.parsed = outcome.cut = len(src.chunks)
            outcome.seconds = time.perf_counter() - t0
            return outcome
        fresh = None
        if done is None:
            fresh = parse_new(src.text, src.chunks, todo, name, src.codec, parts=parts)
        elif done == FAILED:  # the workers failed: parsed here
            fresh = parse_pieces(src.text, _pieces(src.chunks, todo), name, src.codec, parts)
        if fresh is not None:
            rows, outcome.parsed = _merge(src.chunks, old_rows, fresh, len(todo))
            outcome.reused = len(src.chunks) - len(todo)
            keys = [r.key.lower() for r in rows]
            if not rows or len(set(keys)) != len(keys):
                rows = None  # no entries, or duplicate keys: said as the uncached run says
    problems: list = []
    if rows is None:
        outcome.mode = "whole"
        rows, problems = whole_rows(src, bib, parts)
        outcome.parsed = len(src.chunks)
    outcome.cut = len(src.chunks)
    _write(target, bib, encoding, src, rows, problems, outcome, live, parts)
    outcome.seconds = time.perf_counter() - t0
    outcome.problems = problems
    return outcome


def _same_file(
    meta: dict[str, str], bib: str | os.PathLike, encoding: str | None, src: Source
) -> bool:
    """Whether a cache's rows can serve this reading of the file (same file, the same
    encoding asked for and found; entries kept chunk by chunk)."""
    return (
        meta.get("mode") == "chunks"
        and meta.get("path") == os.path.realpath(bib)
        and meta.get("encoding") == (encoding or "")
        and meta.get("codec") == src.codec
        and meta.get("bom") == str(bool(src.decoded.encoding.bom))
    )


def _merge(chunks: list[Chunk], old: dict[str, list[Row]], fresh: list, parsed: int) -> tuple:
    if not old:  # a first run: the parsed rows are all, in file order
        return fresh, parsed
    by_chunk: dict[int, list] = {}
    for row in fresh:
        by_chunk.setdefault(row.chunk, []).append(row)
    rows = []
    for i, c in enumerate(chunks):
        if i in by_chunk:
            rows.extend(by_chunk[i])
        else:
            for row in old.get(c.ident, ()):
                row.chunk = i
                rows.append(row)
    return rows, parsed


def whole_rows(src: Source, bib: str | os.PathLike, parts: frozenset[str]) -> tuple:
    """Rows (``parts`` of them) and problems of the file parsed whole, as without the
    cache."""
    from ..blocks import no_gc
    from ..model import Library
    from ..store import BibFile

    lib = Library(BibFile._decoded(src.decoded, bib, src.data))
    chunks, text, codec = src.chunks, src.text, src.codec
    starts = [c.start for c in chunks]
    rows = []
    with no_gc():
        for entry in lib:
            blk = entry._block
            i = bisect.bisect_right(starts, blk.start) - 1
            c = chunks[i]
            span = _byte_span(text, c.start, blk.start - c.start, blk.end - c.start, codec)
            rows.append(make_row(entry, i, entry.line - c.line, *span, parts))
    problems = [
        {
            "line": p.line,
            "severity": str(p.severity),
            "rule": p.rule,
            "message": p.message,
            "key": p.key,
            "column": p.column,
            "data": p.data,
        }
        for p in lib.problems
    ]
    return rows, problems


def file_meta(
    bib: str | os.PathLike, encoding: str | None, src: Source, mode: str
) -> dict[str, str]:
    """The meta rows that say which file (and which version of it) the cache holds."""
    import hashlib

    return {
        "schema": SCHEMA_VERSION,
        "path": os.path.realpath(bib),
        "encoding": encoding or "",
        "sha256": hashlib.sha256(src.data).hexdigest(),
        "built_at": repr(src.checked_at),  # when its content was read (db.is_racy)
        "mode": mode,
        "codec": src.codec,
        "bom": str(bool(src.decoded.encoding.bom)),
        **src.layout_meta(),
        **stat_meta(src.st),
    }


def _write(
    target: Path,
    bib: str | os.PathLike,
    encoding: str | None,
    src: Source,
    rows: list,
    problems: list,
    outcome: Outcome,
    live: sqlite3.Connection | None,
    parts: frozenset[str],
) -> None:
    """A whole new version (with the lazy tables' ``parts``), written to a temporary
    file that then replaces ``target`` (copied into it when ``live``, a valid cache file
    that readers may have open)."""
    from .db import LAZY_TABLES
    from .update import chunk_ords, insert_rows, ord_step
    from .version import complete, new_file

    conn, tmp = new_file(target, src)
    try:
        step = ord_step(len(src.chunks))
        ords = chunk_ords(rows, step)
        if ords is None:  # a chunk of very many entries: numbered one by one
            step = ord_step(len(rows))
            ords = [(i + 1) * step for i in range(len(rows))]
        lazy = parts & set(LAZY_TABLES)
        insert_rows(conn, rows, ords, range(1, len(src.chunks) + 1), lazy)
        complete(
            conn, tmp, target, bib, encoding, src, len(rows), problems, outcome, live, lazy, step
        )
    except BaseException:
        conn.close()
        _unlink(tmp)
        raise


def _install(
    conn: sqlite3.Connection, tmp: Path, target: Path, live: sqlite3.Connection | None
) -> None:
    """``tmp`` (open as ``conn``) in ``target``'s place.  A live cache file is written
    over in one transaction (SQLite's backup), so that its readers keep their version:
    renaming over a file in WAL mode would pair its open readers with the new file's
    log.  Anything else (no file, a damaged or older one) is replaced, its log, index
    and journal files with it."""
    if live is not None:
        conn.backup(live)
        conn.close()
        _unlink(tmp)
        return
    conn.close()
    for suffix in ("-wal", "-shm", "-journal"):
        _unlink(target.with_name(target.name + suffix))
    os.replace(tmp, target)


def _flush_soon(path: Path) -> None:
    """Write the new file's pages to the disk in a thread while the build and the command
    go on (the process waits for it at exit).  Left to the kernel, they (hundreds of MB
    at 100k entries) stay dirty for about 30 s, and the first update's commit, which
    syncs its new write-ahead log, waits for all of them (ext4's ordered mode writes
    them with it): 1 s more for the first outside edit after a first run at 100k."""
    import threading

    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return

    def flush() -> None:
        try:
            os.fsync(fd)
        except OSError:  # (not on a read-only descriptor everywhere: then left to the kernel)
            pass
        finally:
            os.close(fd)

    threading.Thread(target=flush, name="refbook cache flush").start()


def _unlink(path: Path) -> None:
    try:
        path.unlink()
    except FileNotFoundError:
        pass
