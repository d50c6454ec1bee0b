"""A .bib with more findings than the editor is sent (``maxDiagnostics``, an
initialization option): the limit's diagnostics, the entries edited first, then the worst
and the first in the file, and one diagnostic saying how many were left out; driven over
stdio as an editor drives it (pytest-lsp)."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types as t
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

from .test_lsp import open_doc, until

pytestmark = pytest.mark.asyncio

WORDS = ["Alpha", "Bravo", "Charlie", "Delta", "Echo", "Foxtrot", "Golf", "Hotel", "India"]
WORDS += ["Juliet", "Kilo", "Lima"]


def entry(i: int) -> str:
    pages = "  pages = {9--5},\n" if i == 10 else ""  # the one error
    return (
        f"@article{{k{i},\n  author = {{Ann Author}},\n  title = {{{WORDS[i]}}},\n"
        f"  journal = {{J}},\n  year = {{2020}},\n{pages}}}\n\n"
    )


BIB = "".join(entry(i) for i in range(12))  # 12 "no annotation" warnings, 1 error


def line_of(text: str, needle: str) -> int:
    return text.count("\n", 0, text.index(needle))


@contextlib.asynccontextmanager
async def server(root: Path, options: Any) -> AsyncIterator[LanguageClient]:
    client = await ClientServerConfig([sys.executable, "-m", "refbook", "lsp"]).start()
    await client.initialize_session(
        t.InitializeParams(
            capabilities=client_capabilities("visual-studio-code"),
            root_uri=root.as_uri(),
            initialization_options=options,
        )
    )
    try:
        yield client
    finally:
        await client.shutdown_session()
    assert client.error is None


def published(client: LanguageClient, uri: str) -> list[tuple[int, int, int, str, str]]:
    return [
        (d.range.start.line, d.range.start.character, d.range.end.character, str(d.code), d.message)
        for d in client.diagnostics[uri]
    ]


def change(client: LanguageClient, uri: str, version: int, at: int, text: str) -> None:
    where = t.Range(t.Position(at, 0), t.Position(at, 0))
    client.text_document_did_change(
        t.DidChangeTextDocumentParams(
            t.VersionedTextDocumentIdentifier(uri=uri, version=version),
            [t.TextDocumentContentChangePartial(range=where, text=text)],
        )
    )


async def test_a_bib_gets_at_most_max_diagnostics_the_edited_entries_first(tmp_path: Path):
    (tmp_path / "references.bib").write_text(BIB)
    async with server(tmp_path, {"maxDiagnostics": 4}) as client:
        uri = open_doc(client, tmp_path / "references.bib", "bibtex", BIB)
        await until(lambda: uri in client.diagnostics)
        head = len("@article{k0,")
        pages = line_of(BIB, "pages = {9--5}")
        # the error first, then the first warnings in the file; what was left out, said
        assert published(client, uri) == [
            (0, 0, head, "missing-annotation", "k0: no annotation"),
            (7, 0, head, "missing-annotation", "k1: no annotation"),
            (14, 0, head, "missing-annotation", "k2: no annotation"),
            (
                pages,
                len("  pages = "),  # the value, to the end of the line
                len("  pages = {9--5},"),
                "pages-reversed",
                "k10: page range '9--5' is reversed",
            ),
            (
                0,
                0,
                0,
                "more-findings",
                "9 more findings not shown: the editor is sent 4 (those "
                "of the entries you edited first, then errors, warnings and information in file "
                "order); `refbook lint` lists every one (the limit is the server's maxDiagnostics "
                "option)",
            ),
        ]
        # an entry edited in the middle of the file: its findings first
        k6 = line_of(BIB, "title = {Golf}")
        change(client, uri, 2, k6 + 1, "  pages = {1-5},\n")
        text = BIB.replace("  title = {Golf},\n", "  title = {Golf},\n  pages = {1-5},\n")
        await until(lambda: any(d.code == "pages-dash" for d in client.diagnostics[uri]))
        found = published(client, uri)
        assert [(line, code) for line, _a, _b, code, _m in found] == [
            (0, "missing-annotation"),  # the first warning: room for one more
            (line_of(text, "@article{k6"), "missing-annotation"),
            (line_of(text, "pages = {1-5}"), "pages-dash"),
            (line_of(text, "pages = {9--5}"), "pages-reversed"),
            (0, "more-findings"),
        ]
        assert found[-1][4].startswith("10 more findings not shown")


async def test_no_limit_and_a_limit_the_bib_is_under_publish_every_finding(tmp_path: Path):
    (tmp_path / "references.bib").write_text(BIB)
    for options in ({"maxDiagnostics": 0}, {"maxDiagnostics": 13}, None):
        async with server(tmp_path, options) as client:
            uri = open_doc(client, tmp_path / "references.bib", "bibtex", BIB)
            await until(lambda uri=uri: uri in client.diagnostics)
            codes = [code for *_r, code, _m in published(client, uri)]
            assert codes == ["missing-annotation"] * 11 + ["pages-reversed", "missing-annotation"]


async def test_a_bad_max_diagnostics_is_said_and_the_default_kept(tmp_path: Path):
    big = "".join(entry(i % 12).replace(f"k{i % 12},", f"k{i},") for i in range(1100))
    (tmp_path / "references.bib").write_text(big)
    async with server(tmp_path, {"maxDiagnostics": "ten"}) as client:
        uri = open_doc(client, tmp_path / "references.bib", "bibtex", big)
        await until(lambda: uri in client.diagnostics, timeout=120)
        assert len(client.diagnostics[uri]) == 1001  # the default: 1,000, and the summary
        assert client.diagnostics[uri][-1].code == "more-findings"
        messages = [m.message for m in client.messages]
        assert "refbook: maxDiagnostics must be a whole number >= 0, not 'ten'" in messages


async def test_an_edited_large_bib_gets_the_edited_entry_s_findings_within_the_limit(
    tmp_path: Path,
):
    """A large .bib (its findings from lint of the saved file, its chunks from the
    cache): an entry edited near its end is among the 1,000 published."""
    from refbook.lsp.server import LINT_APART_CHARS

    filler = "words " * 150
    one = "@article{{key{0},\n  title = {{Title {0}}},\n  abstract = {{{1}}},\n}}\n"
    count = LINT_APART_CHARS // len(one.format(0, filler)) + 2
    assert count > 1000  # each entry: "no annotation"
    text = "".join(one.format(i, filler) for i in range(count))
    (tmp_path / "references.bib").write_text(text)
    async with server(tmp_path, None) as client:
        uri = open_doc(client, tmp_path / "references.bib", "bibtex", text)
        await until(lambda: uri in client.diagnostics, timeout=120)
        assert len(client.diagnostics[uri]) == 1001
        last = line_of(text, f"title = {{Title {count - 3}}}")
        change(client, uri, 2, last + 1, "  pages = {1-5},\n")
        edited = last + 1

        def seen() -> bool:
            return any(
                d.code == "pages-dash" and d.range.start.line == edited
                for d in client.diagnostics[uri]
            )

        await until(seen, timeout=120)
        found = client.diagnostics[uri]
        assert len(found) == 1001 and found[-1].code == "more-findings"
        assert (last - 1, "missing-annotation") in [(d.range.start.line, d.code) for d in found]
