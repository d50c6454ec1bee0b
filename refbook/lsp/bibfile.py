"""The .bib's own features in the editor: its diagnostics (parse problems and lint's
findings; a large file linted by a child process) and its document symbols (a large
file as saved: from the library cache, without parsing it)."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lsprotocol import types as lsp

from ..findings import Finding, Severity
from .bibfindings import Table
from .documents import LineIndex, TextIndex
from .features import _BIB_KEY, SOURCE, Document, finding_diagnostic

if TYPE_CHECKING:
    from .bibbuffer import BibReading
    from .bibfindings import Chunk
    from .library import Snapshot

# a lint of a large .bib that takes longer than this (a hung child) gives no findings,
# so that the file's diagnostics are published again on its next change
LINT_APART_SECONDS = 900
# the most diagnostics a .bib is given (``maxDiagnostics``: VS Code and Theia show at
# most 1,000 a file); the one that says how many more there are has this code
MAX_DIAGNOSTICS = 1000
LIMIT_CODE = "more-findings"


def bib_diagnostics(
    text: str,
    path: str,
    problems: Sequence[Finding],
    encoding: str = "utf-16",
    linted: list[Finding] | Table | None = None,
) -> list[lsp.Diagnostic]:
    """The .bib's own diagnostics: what the latest reading found wrong and, when it read,
    lint's findings (as ``refbook lint`` with the configured rules; ``linted``: those
    findings, when ``lint_apart`` made them)."""
    index = TextIndex(text, encoding)
    findings: list[Any] = [*problems, *(linted or [])]
    if linted is None:
        found = lint_text(text, path)
        findings = findings if found is None else found
    seen = set()
    out = []
    for f in findings:
        if (f.line, f.rule, f.message) not in seen:
            seen.add((f.line, f.rule, f.message))
            out.append(finding_diagnostic(f, index))
    return out


def lint_text(text: str, path: str) -> list[Finding] | None:
    """lint's findings of ``text`` (parse problems first), None when no entry is read."""
    from ..errors import RefbookError
    from ..lint import lint
    from ..model import Library
    from ..store import BibFile

    try:
        return lint(Library(BibFile(text, name=path)), lint_rules(path)).findings
    except RefbookError:
        return None


def chosen_diagnostics(
    text: str,
    head: list[Finding],
    chunks: list[Chunk],
    limit: int,
    encoding: str = "utf-16",
    edited: Callable[[int], int] | None = None,
    known: tuple[list[int], list[int]] | None = None,
) -> list[lsp.Diagnostic]:
    """The .bib's diagnostics of the findings ``head`` and ``chunks`` (as
    ``bibfindings.choose`` takes them): every one up to ``limit`` (0: no limit); past it,
    ``limit`` chosen and one more saying how many were left out (``known``: lines whose
    start is known, and those starts)."""
    from .bibfindings import choose

    found, total = choose(head, chunks, limit, edited)
    if len(found) == total:
        return bib_diagnostics(text, "", [], encoding, found)
    index = LineIndex(text, [max((f.line or 1) - 1, 0) for f in found], encoding, known)
    return [finding_diagnostic(f, index) for f in found] + [
        limit_diagnostic(len(found), total, limit)
    ]


def chosen_texts(
    text: str,
    head: list[Finding],
    chunks: list[Chunk],
    limit: int,
    memo: dict[Any, str],
    encoding: str = "utf-16",
    edited: Callable[[int], int] | None = None,
    known: tuple[list[int], list[int]] | None = None,
) -> list[str]:
    """``chosen_diagnostics`` as the protocol's JSON texts, each made once while its
    finding and the text of its line stay the same (``memo``: the last call's, replaced
    by this one's): after an edit of a large .bib, most of the 1,000 published are
    those published before (their ranges are read off their lines)."""
    import json

    from .bibfindings import _distinct, choose
    from .incremental import unstructured

    found, total = choose(head, chunks, limit, edited)
    if len(found) == total:
        found = _distinct(found)  # (as ``bib_diagnostics`` publishes them)
    index = LineIndex(text, [max((f.line or 1) - 1, 0) for f in found], encoding, known)
    made: dict[Any, str] = {}
    out = []
    for f in found:
        start, end = index.line_span(max((f.line or 1) - 1, 0))
        ident = (text[start:end], encoding, f.line, f.column, f.severity, f.rule, f.message, f.key)
        sent = made.get(ident) or memo.get(ident)
        if sent is None:
            sent = json.dumps(unstructured(finding_diagnostic(f, index)))
        made[ident] = sent
        out.append(sent)
    if len(found) < total:
        out.append(json.dumps(unstructured(limit_diagnostic(len(found), total, limit))))
    memo.clear()
    memo.update(made)
    return out


def limit_diagnostic(shown: int, total: int, limit: int) -> lsp.Diagnostic:
    """What a .bib with more findings than ``limit`` says on its first line."""
    return lsp.Diagnostic(
        lsp.Range(lsp.Position(0, 0), lsp.Position(0, 0)),
        f"{total - shown:,} more findings not shown: the editor is sent {limit:,} "
        "(those of the entries you edited first, then errors, warnings and information "
        "in file order); `refbook lint` lists every one (the limit is the server's "
        "maxDiagnostics option)",
        severity=lsp.DiagnosticSeverity.Information,
        code=LIMIT_CODE,
        source=SOURCE,
    )


def lint_rules(path: str) -> list[Any]:
    """The lint rules ``refbook lint`` runs on the .bib at ``path`` (its configuration)."""
    from ..config import load_config
    from ..lint import select_rules

    cfg = load_config(Path(path).parent)
    return select_rules(cfg["lint.select"], cfg["lint.ignore"])


def lint_apart(
    text: str, path: str, saved: bool, encoding: str | None = None, use_cache: bool = True
) -> Table:
    """``refbook lint --json`` of a large .bib in a child process (the server's memory
    and its loop kept free): of the file itself when ``saved`` (the buffer is the file
    as saved, read in the server's ``encoding``), else of the buffer ``text``."""
    import subprocess
    import sys
    import threading

    command = [sys.executable, "-m", "refbook", *(() if use_cache else ("--no-cache",))]
    if saved and encoding:
        command += ["--encoding", encoding]
    command += ["--bib", path if saved else "-", "lint", "--json"]
    try:
        child = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL if saved else subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            cwd=str(Path(path).parent),
        )
    except OSError:
        return Table(path)
    timer = threading.Timer(LINT_APART_SECONDS, child.kill)  # (a hung child)
    timer.start()
    if not saved:
        threading.Thread(target=_feed, args=(child.stdin, text), daemon=True).start()
    try:
        assert child.stdout is not None
        return read_findings(child.stdout, path)
    except (OSError, ValueError):
        return Table(path)
    finally:
        timer.cancel()
        child.kill()
        child.wait()
        if child.stdout is not None:
            child.stdout.close()


def _feed(stdin: Any, text: str) -> None:
    """The buffer to the child's standard input, a piece at a time (no second copy of a
    74 MB text as bytes)."""
    try:
        for start in range(0, len(text), 1 << 20):
            stdin.write(text[start : start + (1 << 20)].encode("utf-8"))
        stdin.close()
    except OSError:  # (the child has gone)
        pass


def read_findings(stream: Any, path: str) -> Table:
    """The findings of ``refbook lint --json``'s document read from the bytes ``stream``
    one at a time (at 235,000 findings the whole document's text and objects at once
    took 280 MB of the server's memory), kept as a ``Table`` (columns, each text once),
    in line order."""
    import codecs
    import json

    decoder, text_of = json.JSONDecoder(), codecs.getincrementaldecoder("utf-8")()
    out = Table(path)
    buf, pos, started = "", 0, False
    while True:
        block = stream.read(1 << 20)
        buf = buf[pos:] + text_of.decode(block, final=not block)
        pos = 0
        if not started:
            at = buf.find("[", buf.find('"findings"'))
            if at < 0 or buf.find('"findings"') < 0:
                if not block:
                    return out.done().by_line()
                pos = 0
                continue
            pos, started = at + 1, True
        while True:
            while pos < len(buf) and buf[pos] in " \t\r\n,":
                pos += 1
            if buf.startswith("]", pos):
                return out.done().by_line()
            try:
                item, end = decoder.raw_decode(buf, pos)
            except ValueError:
                if not block:
                    raise
                break  # the rest of the item comes with the next block
            pos = end
            key = item.get("key")
            out.add(
                item.get("line"),
                Severity(item["severity"]),
                item["rule"],
                item["message"],
                key if isinstance(key, str) else None,
                item.get("column"),
            )


def bib_symbols(doc: Document, reading: BibReading | None = None) -> list[lsp.DocumentSymbol]:
    """One symbol an entry of the .bib: its key, type and title (``reading``: the
    buffer's text by chunks, when the server has it: nothing is parsed again)."""
    from ..model import Entry
    from ..store import BibFile

    if reading is not None:
        spans = reading.spans()
    else:
        bib = BibFile(doc.text, name=doc.path)
        spans = [(Entry(bib, b), b.start, b.end) for b in bib.entries()]
    out = []
    for entry, start, end in spans:
        m = _BIB_KEY.match(doc.text, doc.text.rfind("\n", 0, start) + 1)  # (from its line)
        sel = doc.range(m.start(1), m.end(1)) if m else doc.range(start, start)
        title = entry.title
        out.append(
            lsp.DocumentSymbol(
                name=entry.key or "?",
                kind=lsp.SymbolKind.Struct,
                range=doc.range(start, end),
                selection_range=sel,
                detail=f"@{entry.type}" + (f" {title}" if title else ""),
            )
        )
    return out


def cached_symbols(doc: Document, snapshot: Snapshot) -> list[lsp.DocumentSymbol]:
    """``bib_symbols`` of a .bib the cache serves (the buffer is the file as saved),
    without parsing it: each entry's line, type and title from the cache, its key found
    on that line; a symbol's range runs to the next entry's line."""
    from itertools import islice

    text = doc.text
    rows = [(e.line - 1, e.key, e.type, e.title) for e in snapshot.library]
    newlines = re.finditer("\n", text)
    out = []
    line_at, start = 0, 0  # a line number and where it starts
    heads = []
    for line, key, type_, title in rows:
        if line > line_at:  # skip to that line (the scan runs once, in C)
            m = next(islice(newlines, line - line_at - 1, None), None)
            line_at, start = line, (m.end() if m else len(text))
        end = text.find("\n", start)
        heads.append((line, text[start : len(text) if end < 0 else end], key, type_, title))
    last_line = text.count("\n")
    tail = text[text.rfind("\n") + 1 :]
    end_of_text = lsp.Position(last_line, TextIndex(tail, doc.encoding).position(len(tail))[1])
    for i, (line, head, key, type_, title) in enumerate(heads):
        m = _BIB_KEY.match(head)
        index = TextIndex(head, doc.encoding)
        a, b = (m.start(1), m.end(1)) if m else (0, 0)
        sel = lsp.Range(
            lsp.Position(line, index.position(a)[1]), lsp.Position(line, index.position(b)[1])
        )
        until = lsp.Position(heads[i + 1][0], 0) if i + 1 < len(heads) else end_of_text
        out.append(
            lsp.DocumentSymbol(
                name=key,
                kind=lsp.SymbolKind.Struct,
                range=lsp.Range(lsp.Position(line, 0), until),
                selection_range=sel,
                detail=f"@{type_}" + (f" {title}" if title else ""),
            )
        )
    return out
