"""Building a cache file: parse what is new, keep what is not, write a whole new version.

Chunk mode (the usual case): the text is cut in chunks (``chunks.split``); the entries
of a chunk whose text and ``@string`` context the old version has are copied from it,
and only the new chunks are parsed, together with the ``@string`` chunks above them so
that macros resolve as in the whole file.  Many new chunks (a first run) are parsed by a
process pool over ranges of chunks, the results merged in file order.

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
import re
import sqlite3
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .chunks import Chunk, split, string_names
from .db import ENTRY_COLUMNS, INDEXES, SCHEMA, SCHEMA_VERSION, read_meta, stat_meta

_CROSSREF = re.compile(r"(?i)\b(?:crossref|xdata)\s*=")
POOL_MIN_CHUNKS = 1500  # fewer new chunks are parsed in this process (a pool costs ~0.1 s)
# codecs whose byte offsets can be read back chunk by chunk (no state, no BOM per piece)
_UNSAFE_CODECS = ("utf-16", "utf-32", "utf_16", "utf_32")


class NotCacheable(Exception):
    """This file is read without a cache (its encoding cannot be sliced by bytes)."""


@dataclass
class Row:
    """One entry as the cache stores it (offsets and line relative to its chunk)."""

    key: str
    type: str
    chunk: int  # index of its chunk
    rel_line: int
    rel_start: int
    rel_end: int
    year: int | None
    light: str  # JSON
    item: str  # JSON text
    extra: str  # JSON
    doc: tuple  # index.doc_row, its line relative to the chunk
    csl: str | None = None  # records.csl_text
    lint: str = "{}"  # records.lint_record, JSON


@dataclass
class Outcome:
    """What a build did: for ``cache info`` and the benchmark."""

    mode: str = "chunks"
    reused: int = 0
    parsed: int = 0
    seconds: float = 0.0
    problems: list = field(default_factory=list)


def make_row(entry: Any, chunk: int, rel_line: int, rel_start: int, rel_end: int) -> Row:
    from ..index import doc_row
    from .records import csl_text, entry_record, lint_record

    light, item, extra = entry_record(entry)
    dump = json.dumps
    lint = lint_record(entry)
    return Row(
        entry.key,
        entry.type,
        chunk,
        rel_line,
        rel_start,
        rel_end,
        entry.year,
        dump(light, ensure_ascii=False, separators=(",", ":")),
        item,
        dump(extra, ensure_ascii=False, separators=(",", ":")),
        doc_row(entry)[:-1] + (rel_line,),
        csl_text(entry),
        dump(lint, ensure_ascii=False, separators=(",", ":")),
    )


def parse_pieces(text: str, pieces: list[tuple[int, int, int, bool]], name: str) -> list | None:
    """Parse ``pieces`` of ``text`` (start, end, chunk index, wanted) as one file in this
    order; rows of the entries of the wanted pieces, or None when anything in it is a
    problem (the caller then parses the whole file).  Runs in a worker process too."""
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
    if bib.problems or lib.problems:
        return None
    rows = []
    for entry in lib:
        blk = entry._block
        i = bisect.bisect_right(offsets, blk.start) - 1
        _, _, chunk, wanted = pieces[i]
        if not wanted:
            continue
        rows.append(
            make_row(
                entry,
                chunk,
                entry.line - 1 - lines[i],
                blk.start - offsets[i],
                blk.end - offsets[i],
            )
        )
    return rows


def _pieces(chunks: list[Chunk], wanted: list[int]) -> list[tuple[int, int, int, bool]]:
    """The wanted chunks with every ``@string`` chunk above the last of them, in order."""
    want = set(wanted)
    last = max(wanted)
    return [
        (c.start, c.end, i, i in want)
        for i, c in enumerate(chunks[: last + 1])
        if i in want or c.is_string
    ]


def parse_new(text: str, chunks: list[Chunk], todo: list[int], name: str) -> list | None:
    """Rows of the entries of chunks ``todo``, parsed on all cores when there are many."""
    if not todo:
        return []
    workers = min(os.cpu_count() or 1, 8)
    if len(todo) < POOL_MIN_CHUNKS or workers < 2:
        return parse_pieces(text, _pieces(chunks, todo), name)
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    size = -(-len(todo) // workers)
    groups = [todo[i : i + size] for i in range(0, len(todo), size)]
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else None
    with ProcessPoolExecutor(len(groups), mp_context=multiprocessing.get_context(method)) as pool:
        futures = [
            pool.submit(parse_pieces, text, _pieces(chunks, group), name) for group in groups
        ]
        results = [f.result() for f in futures]  # in file order
    if any(r is None for r in results):
        return None
    return [row for rows in results for row in rows]  # type: ignore[union-attr]


def _old_rows(conn: sqlite3.Connection | None, meta: dict[str, str] | None) -> dict[str, list]:
    """The old version's entries by chunk identity (chunk mode only)."""
    if conn is None or meta is None or meta.get("mode") != "chunks":
        return {}
    old: dict[str, list] = {}
    try:
        for (ident,) in conn.execute("SELECT ident FROM chunks"):
            old[ident] = []
        for row in conn.execute(
            "SELECT e.chunk, e.key, e.type, e.rel_line, e.rel_start, e.rel_end, e.year, "
            "e.light, x.item, x.extra, d.key, d.type, d.year, d.authors, d.author, d.title, "
            "d.container, d.keywords, d.annotation, d.abstract, d.doi, d.url, c.item, l.info "
            "FROM entries e JOIN data x ON x.ord = e.ord JOIN docs d ON d.rowid = e.ord + 1 "
            "JOIN csl c ON c.ord = e.ord JOIN lintdata l ON l.ord = e.ord ORDER BY e.ord"
        ):
            doc = (*row[10:22], row[3])
            old.setdefault(row[0], []).append((*row[1:10], doc, row[22], row[23]))
    except sqlite3.DatabaseError:
        return {}
    return old


def build(
    bib: str | os.PathLike,
    name: str,
    encoding: str | None,
    target: Path,
    old: sqlite3.Connection | None,
) -> Outcome:
    """Write a new version of the cache of ``bib`` to ``target`` (renamed into place)."""
    from ..blocks import lf_lines as _lf_lines
    from ..encoding import read_bytes
    from ..store import _decode

    t0 = time.perf_counter()
    st = os.stat(bib)  # before reading: a change after this makes the cache stale
    data = read_bytes(Path(bib), "a .bib file")
    decoded = _decode(data, name, encoding)
    codec = decoded.encoding.codec
    if codec.lower().startswith(_UNSAFE_CODECS):
        raise NotCacheable(codec)
    text = _lf_lines(decoded.text)
    chunks = split(text)
    outcome = Outcome()
    rows: list | None = None
    names = string_names(text, chunks)
    if not decoded.notes and not _CROSSREF.search(text) and len(set(names)) == len(names):
        old_rows = _old_rows(old, read_meta(old) if old is not None else None)
        todo = [i for i, c in enumerate(chunks) if c.ident not in old_rows]
        fresh = parse_new(text, chunks, todo, name)
        if fresh is not None:
            rows, outcome.parsed = _merge(chunks, old_rows, fresh, len(todo))
            outcome.reused = len(chunks) - len(todo)
            keys = [r.key.lower() for r in rows]
            if not rows or len(set(keys)) != len(keys):
                rows = None  # no entries, or duplicate keys: said as the uncached run says
    problems: list = []
    if rows is None:
        outcome.mode = "whole"
        rows, problems = _whole(decoded, bib, data, chunks)
        outcome.parsed = len(chunks)
    _write(target, bib, encoding, st, data, decoded, text, chunks, rows, problems, outcome)
    outcome.seconds = time.perf_counter() - t0
    outcome.problems = problems
    return outcome


def _merge(chunks: list[Chunk], old: dict[str, list], fresh: list, parsed: int) -> tuple:
    by_chunk: dict[int, list] = {}
    for row in fresh:
        by_chunk.setdefault(row.chunk, []).append(row)
    rows = []
    for i, c in enumerate(chunks):
        if i in by_chunk:
            rows.extend(by_chunk[i])
        else:
            rows.extend(Row(r[0], r[1], i, *r[2:]) for r in old.get(c.ident, ()))
    return rows, parsed


def _whole(decoded: Any, bib: str | os.PathLike, data: bytes, chunks: list[Chunk]) -> tuple:
    """Rows and problems of the file parsed whole, as without the cache."""
    from ..model import Library
    from ..store import BibFile

    lib = Library(BibFile._decoded(decoded, bib, data))
    starts = [c.start for c in chunks]
    rows = []
    for entry in lib:
        blk = entry._block
        i = bisect.bisect_right(starts, blk.start) - 1
        c = chunks[i]
        rows.append(make_row(entry, i, entry.line - c.line, blk.start - c.start, blk.end - c.start))
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


def _write(
    target: Path,
    bib: str | os.PathLike,
    encoding: str | None,
    st: os.stat_result,
    data: bytes,
    decoded: Any,
    text: str,
    chunks: list[Chunk],
    rows: list,
    problems: list,
    outcome: Outcome,
) -> None:
    import hashlib

    from ..index import fill_search
    from ..paths import SQLITE_APPLICATION_ID

    enc = decoded.encoding
    tmp = target.with_name(f"{target.name}.{os.getpid()}.tmp")
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        tmp.unlink()
    except FileNotFoundError:
        pass
    conn = sqlite3.connect(tmp)
    try:
        conn.execute("PRAGMA journal_mode=OFF")
        conn.execute("PRAGMA synchronous=OFF")
        conn.execute(f"PRAGMA application_id = {SQLITE_APPLICATION_ID}")
        conn.executescript(SCHEMA)
        table, docs = _entry_rows(rows, chunks, text, enc)
        conn.executemany(f"INSERT INTO entries VALUES ({', '.join('?' * ENTRY_COLUMNS)})", table)
        del table
        conn.executemany(
            "INSERT INTO data VALUES (?, ?, ?)",
            ((ord_, r.item, r.extra) for ord_, r in enumerate(rows)),
        )
        conn.executemany(
            "INSERT INTO csl VALUES (?, ?)", ((ord_, r.csl) for ord_, r in enumerate(rows))
        )
        conn.executemany(
            "INSERT INTO lintdata VALUES (?, ?)", ((ord_, r.lint) for ord_, r in enumerate(rows))
        )
        conn.executemany("INSERT INTO keywords VALUES (?, ?, ?)", _keyword_rows(rows))
        conn.executemany("INSERT INTO present VALUES (?, ?)", _present_rows(rows))
        conn.executemany("INSERT INTO aliases VALUES (?, ?)", _alias_rows(rows).items())
        if outcome.mode == "chunks":  # those with no entry too: not parsed again
            conn.executemany(
                "INSERT OR IGNORE INTO chunks VALUES (?)", ((c.ident,) for c in chunks)
            )
        conn.executescript(INDEXES)
        fill_search(conn, docs)
        meta = {
            "schema": SCHEMA_VERSION,
            "path": os.path.realpath(bib),
            "encoding": encoding or "",
            "sha256": hashlib.sha256(data).hexdigest(),
            "built_at": repr(time.time()),
            "entries": str(len(rows)),
            "problems": json.dumps(problems, ensure_ascii=False),
            "mode": outcome.mode,
            "codec": enc.codec,
            "strings": json.dumps(sorted(set(string_names(text, chunks)))),
            **stat_meta(st),
        }
        conn.executemany("INSERT INTO meta VALUES (?, ?)", meta.items())
        conn.commit()
        conn.close()
        os.replace(tmp, target)  # atomic: readers see the old version or the new one
    except BaseException:
        conn.close()
        try:
            tmp.unlink()
        except OSError:
            pass
        raise


def _entry_rows(
    rows: list[Row], chunks: list[Chunk], text: str, enc: Any
) -> tuple[list[tuple], list[tuple]]:
    """The rows of the ``entries`` table (with each entry's byte span in the file, in
    the file's encoding after its BOM) and the search documents with their line."""
    byte_starts = []
    pos = len(enc.encode("")) if enc.bom else 0
    for c in chunks:
        byte_starts.append(pos)
        pos += len(text[c.start : c.end].encode(enc.codec, "surrogatepass"))
    table = []
    docs = []
    for ord_, r in enumerate(rows):
        c = chunks[r.chunk]
        piece = text[c.start : c.end]
        bstart = byte_starts[r.chunk] + len(piece[: r.rel_start].encode(enc.codec))
        bend = bstart + len(piece[r.rel_start : r.rel_end].encode(enc.codec))
        line = c.line + r.rel_line
        table.append(
            (
                ord_,
                r.key,
                r.key.lower(),
                r.type,
                line,
                r.year,
                bstart,
                bend,
                c.ident,
                r.rel_line,
                r.rel_start,
                r.rel_end,
                r.light,
            )
        )
        docs.append(r.doc[:-1] + (line,))
    return table, docs


def _alias_rows(rows: list[Row]) -> dict[str, int]:
    """Each alias (``ids``) that is not also a key, to the first entry that has it."""
    keys = {r.key.lower() for r in rows}
    aliases: dict[str, int] = {}
    for ord_, r in enumerate(rows):
        for alias in json.loads(r.extra).get("a", ()):
            if alias.lower() not in keys:
                aliases.setdefault(alias.lower(), ord_)
    return aliases


def _keyword_rows(rows: list) -> Any:
    for ord_, r in enumerate(rows):
        for pos, word in enumerate(json.loads(r.light)["k"]):
            yield ord_, (ord_ << 16) + pos, word


def _present_rows(rows: list) -> Any:
    for ord_, r in enumerate(rows):
        for name in json.loads(r.light)["p"]:
            yield ord_, name
