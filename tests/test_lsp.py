"""refbook lsp, driven over stdio as an editor drives it (pytest-lsp): every feature in
every document language, exact ranges, the .bib changing on disk and going bad."""

from __future__ import annotations

import ast
import asyncio
import contextlib
import json
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from lsprotocol import types as t
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

pytestmark = pytest.mark.asyncio

BIB = """\
@book{knuth1984literate,
  author = {Donald E. Knuth},
  title = {Literate Programming},
  year = {1984},
  publisher = {CSLI},
  annotation = {The classic essay on programs as *literature*.},
  keywords = {programming, style},
  doi = {10.1093/comjnl/27.2.97},
}

@article{zahid2023dealing,
  author = {Zahid, Farhan},
  title = {Dealing with the TTP},
  journal = {Security Review},
  year = {2023},
  url = {javascript:alert(1)},
}

@incollection{part2020,
  author = {Ann Other},
  title = {A Part},
  year = {2020},
  crossref = {knuth1984literate},
}
"""


def span(text: str, needle: str, nth: int = 0) -> t.Range:
    """The range of the ``nth`` occurrence of ``needle`` in ``text`` (ASCII test texts)."""
    at = -1
    for _ in range(nth + 1):
        at = text.index(needle, at + 1)
    line = text.count("\n", 0, at)
    col = at - (text.rfind("\n", 0, at) + 1)
    return t.Range(t.Position(line, col), t.Position(line, col + len(needle)))


def end_of(text: str) -> t.Position:
    lines = text.split("\n")
    return t.Position(len(lines) - 1, len(lines[-1]))


async def until(check: Callable[[], object], timeout: float = 30.0) -> None:
    for _ in range(int(timeout / 0.05)):
        if check():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("timed out waiting for the server")


@contextlib.asynccontextmanager
async def server(
    root: Path, *args: str, editor: str = "visual-studio-code"
) -> AsyncIterator[LanguageClient]:
    client = await ClientServerConfig([sys.executable, "-m", "refbook", "lsp", *args]).start()
    result = await client.initialize_session(
        t.InitializeParams(
            capabilities=client_capabilities(editor),
            root_uri=root.as_uri(),
            workspace_folders=[t.WorkspaceFolder(root.as_uri(), root.name)],
        )
    )
    client.position_encoding = result.capabilities.position_encoding  # type: ignore[attr-defined]
    try:
        yield client
    finally:
        await client.shutdown_session()
    assert client.error is None


def open_doc(client: LanguageClient, path: Path, language_id: str, text: str) -> str:
    path.write_text(text)
    uri = path.as_uri()
    client.text_document_did_open(
        t.DidOpenTextDocumentParams(t.TextDocumentItem(uri, language_id, 1, text))
    )
    return uri


async def diagnostics(
    client: LanguageClient, uri: str, count: int | None = None
) -> list[t.Diagnostic]:
    await until(
        lambda: (
            uri in client.diagnostics and (count is None or len(client.diagnostics[uri]) == count)
        )
    )
    return sorted(
        client.diagnostics[uri], key=lambda d: (d.range.start.line, d.range.start.character)
    )


async def complete_at(client: LanguageClient, uri: str, at: t.Position) -> t.CompletionList:
    return await client.text_document_completion_async(
        t.CompletionParams(text_document=t.TextDocumentIdentifier(uri), position=at)
    )


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    (tmp_path / "references.bib").write_text(BIB)
    (tmp_path / "chapter2.md").write_text("Again @knuth1984literate.\n")
    return tmp_path


# -- every feature in every document language -------------------------------------------

# (file, language id, text, the typed completion to append, the unknown key, the prose
#  citation with no entry of that year, the matched prose citation and its conversion)
LANGUAGES = {
    "markdown": (
        "essay.md",
        "markdown",
        "Knuth [@knuth1984literate, p. 4] and @zahid2023dealng.\n(Zahid, 2021) and (Zahid, 2023).\n",
        "See @knu",
        "[@zahid2023dealing]",
    ),
    "quarto": (
        "essay.qmd",
        "quarto",
        "---\ntitle: T\n---\nAs @fig-map shows, Knuth [@knuth1984literate, p. 4] and @zahid2023dealng.\n"
        "(Zahid, 2021) and (Zahid, 2023).\n",
        "See [@knu",
        "[@zahid2023dealing]",
    ),
    "rmarkdown": (
        "essay.Rmd",
        "rmd",
        "```{r}\nx <- 'a@nobody'\n```\nKnuth [@knuth1984literate, p. 4] and @zahid2023dealng.\n"
        "(Zahid, 2021) and (Zahid, 2023).\n",
        "See @knu",
        "[@zahid2023dealing]",
    ),
    "latex": (
        "essay.tex",
        "latex",
        "\\usepackage{natbib}\nKnuth \\citep[p.~4]{knuth1984literate, zahid2023dealng}.\n"
        "% \\cite{nobody}\n(Zahid, 2023) wrote.\n",
        "See \\citet{knu",
        "\\citep{zahid2023dealing}",
    ),
    "typst": (
        "essay.typ",
        "typst",
        "Knuth @knuth1984literate[p. 4] and #cite(<zahid2023dealng>).\n(Zahid, 2021) and (Zahid, 2023).\n",
        "See #cite(<knu",
        "@zahid2023dealing",
    ),
}


@pytest.mark.parametrize("language", sorted(LANGUAGES))
async def test_every_feature_in_each_manuscript_language(workspace: Path, language: str) -> None:
    name, language_id, text, typed, converted = LANGUAGES[language]
    bib_uri = (workspace / "references.bib").as_uri()
    async with server(workspace) as client:
        uri = open_doc(client, workspace / name, language_id, text)
        doc = t.TextDocumentIdentifier(uri)
        prose = language != "latex"

        # diagnostics: the unknown key on its exact range; cite-check's year mismatch
        found = await diagnostics(client, uri, 2 if prose else 1)
        assert found[0].range == span(text, "zahid2023dealng")
        assert (found[0].code, found[0].message) == (
            "missing-citation",
            "no entry with key zahid2023dealng",
        )
        assert found[0].severity == t.DiagnosticSeverity.Error
        if prose:
            assert found[1].range == span(text, "Zahid, 2021")
            assert found[1].code == "year-mismatch"
            assert "zahid2023dealing is 2023" in found[1].message

        # completion after the trigger, replacing what was typed
        full = text + typed
        client.text_document_did_change(
            t.DidChangeTextDocumentParams(
                t.VersionedTextDocumentIdentifier(uri=uri, version=2),
                [t.TextDocumentContentChangeWholeDocument(full)],
            )
        )
        done = await client.text_document_completion_async(
            t.CompletionParams(text_document=doc, position=end_of(full))
        )
        assert done is not None and done.items[0].label == "knuth1984literate"
        item = done.items[0]
        assert item.text_edit.range == span(full, "knu", full.count("knu") - 1)
        assert item.detail == "Knuth (1984) Literate Programming"
        resolved = await client.completion_item_resolve_async(item)
        assert "Literate programming. CSLI" in resolved.documentation.value.replace("\\", "")
        assert "*literature*" in resolved.documentation.value.replace("\\", "")

        # hover: the formatted reference, the annotation, keywords, the DOI as a link
        at = span(full, "knuth1984literate").start
        hover = await client.text_document_hover_async(
            t.HoverParams(text_document=doc, position=at)
        )
        value = hover.contents.value
        assert "Knuth, D\\. E\\. \\(1984\\)\\. Literate programming\\." in value
        assert "\\*literature\\*" in value  # markup in the annotation is text, escaped
        assert "*Keywords:* programming, style" in value
        assert "(<https://doi.org/10.1093/comjnl/27.2.97>)" in value
        assert hover.range == span(full, "knuth1984literate")

        # definition: the entry's key in the .bib
        where = await client.text_document_definition_async(
            t.DefinitionParams(text_document=doc, position=at)
        )
        assert where == t.Location(bib_uri, span(BIB, "knuth1984literate"))

        # references: this document, the workspace's other manuscript, the entry
        refs = await client.text_document_references_async(
            t.ReferenceParams(
                text_document=doc, position=at, context=t.ReferenceContext(include_declaration=True)
            )
        )
        chapter = (workspace / "chapter2.md").as_uri()
        assert {(r.uri, r.range.start.line) for r in refs} == {
            (bib_uri, 0),
            (uri, span(full, "knuth1984literate").start.line),
            (chapter, 0),
        }

        # rename: one edit for the .bib (crossref follows) and every citation
        ready = await client.text_document_prepare_rename_async(
            t.PrepareRenameParams(text_document=doc, position=at)
        )
        assert ready == span(full, "knuth1984literate")
        edit = await client.text_document_rename_async(
            t.RenameParams(text_document=doc, position=at, new_name="knuth84")
        )
        assert [e.range for e in edit.changes[uri]] == [span(full, "knuth1984literate")]
        assert [e.new_text for e in edit.changes[chapter]] == ["knuth84"]
        bib_edits = edit.changes[bib_uri]
        assert [(e.range.start.line, e.new_text) for e in bib_edits] == [
            (0, "@book{knuth84,\n"),
            (span(BIB, "crossref").start.line, "  crossref = {knuth84},\n"),
        ]

        # code actions: the nearest key for the unknown one; prose turned into a citation
        actions = await client.text_document_code_action_async(
            t.CodeActionParams(
                text_document=doc,
                range=found[0].range,
                context=t.CodeActionContext(diagnostics=[found[0]]),
            )
        )
        fix = actions[0]
        assert fix.title == "Change to zahid2023dealing" and fix.is_preferred
        assert list(fix.edit.changes[uri]) == [t.TextEdit(found[0].range, "zahid2023dealing")]
        matched = span(full, "(Zahid, 2023)")
        actions = await client.text_document_code_action_async(
            t.CodeActionParams(
                text_document=doc, range=matched, context=t.CodeActionContext(diagnostics=[])
            )
        )
        assert [(a.title, list(a.edit.changes[uri])) for a in actions] == [
            (f"Cite as {converted}", [t.TextEdit(matched, converted)])
        ]


async def test_plain_text_gets_prose_diagnostics_only(workspace: Path) -> None:
    text = "As (Zahid, 2021) and [@nobody] say; @knu"
    async with server(workspace) as client:
        uri = open_doc(client, workspace / "notes.txt", "plaintext", text)
        found = await diagnostics(client, uri, 1)
        assert [(d.range, d.code) for d in found] == [(span(text, "Zahid, 2021"), "year-mismatch")]
        doc = t.TextDocumentIdentifier(uri)
        assert (
            await client.text_document_completion_async(
                t.CompletionParams(text_document=doc, position=end_of(text))
            )
            is None
        )
        actions = await client.text_document_code_action_async(
            t.CodeActionParams(
                text_document=doc,
                range=found[0].range,
                context=t.CodeActionContext(diagnostics=found),
            )
        )
        assert not actions


async def test_completion_matches_author_title_and_year_words_ranked_like_search(
    workspace: Path,
) -> None:
    async with server(workspace) as client:
        for typed, first in (
            ("@knuth lit", "knuth1984literate"),  # author and title words
            ("@ttp", "zahid2023dealing"),  # a title word
            ("@farhan", "zahid2023dealing"),  # a given name
            ("[@zah", "zahid2023dealing"),  # a key prefix
            ("@1984", "knuth1984literate"),
        ):
            uri = open_doc(client, workspace / "a.md", "markdown", typed)
            got = await client.text_document_completion_async(
                t.CompletionParams(
                    text_document=t.TextDocumentIdentifier(uri), position=end_of(typed)
                )
            )
            assert got.items[0].label == first, typed
            assert got.items[0].text_edit.range.start.character == typed.index("@") + 1
            if " " in typed:  # the words typed are what the client filters by
                assert got.items[0].filter_text == typed[1:]
        # not after an e-mail address
        uri = open_doc(client, workspace / "b.md", "markdown", "mail me at a@knu")
        got = await client.text_document_completion_async(
            t.CompletionParams(
                text_document=t.TextDocumentIdentifier(uri), position=end_of("mail me at a@knu")
            )
        )
        assert got is None


@pytest.mark.parametrize("editor", ["visual-studio-code", "neovim"])
async def test_completion_documentation_in_the_list_only_for_clients_that_do_not_resolve_it(
    workspace: Path, editor: str
) -> None:
    text = "See [@knu"
    async with server(workspace, editor=editor) as client:
        uri = open_doc(client, workspace / "a.md", "markdown", text)
        got = await complete_at(client, uri, end_of(text))
        item = got.items[0]
        assert item.label == "knuth1984literate"
        assert item.detail == "Knuth (1984) Literate Programming"
        # VS Code resolves documentation lazily: the list reads no entry's record
        assert (item.documentation is None) == (editor == "visual-studio-code")
        resolved = await client.completion_item_resolve_async(item)
        assert "*literature*" in resolved.documentation.value.replace("\\", "")


@pytest.mark.parametrize("editor", ["visual-studio-code", "neovim", "emacs"])
async def test_ranges_in_the_negotiated_position_encoding(workspace: Path, editor: str) -> None:
    text = "Ça 😀 [@nobody] et @knuth1984literate\n"

    def at(offset: int) -> int:  # a character offset in the negotiated code units
        encoding = str(getattr(client.position_encoding, "value", client.position_encoding))
        if encoding == "utf-32":
            return offset
        codec = "utf-8" if encoding == "utf-8" else "utf-16-le"
        return len(text[:offset].encode(codec)) // (1 if codec == "utf-8" else 2)

    async with server(workspace, editor=editor) as client:
        uri = open_doc(client, workspace / "a.md", "markdown", text)
        (found,) = await diagnostics(client, uri, 1)
        start = text.index("nobody")
        assert found.range == t.Range(
            t.Position(0, at(start)), t.Position(0, at(start + len("nobody")))
        )
        key = text.index("knuth")
        hover = await client.text_document_hover_async(
            t.HoverParams(
                text_document=t.TextDocumentIdentifier(uri), position=t.Position(0, at(key) + 2)
            )
        )
        assert hover.range == t.Range(
            t.Position(0, at(key)), t.Position(0, at(key + len("knuth1984literate")))
        )


async def test_hover_links_only_safe_urls(workspace: Path) -> None:
    text = "[@zahid2023dealing]"
    async with server(workspace) as client:
        uri = open_doc(client, workspace / "a.md", "markdown", text)
        hover = await client.text_document_hover_async(
            t.HoverParams(text_document=t.TextDocumentIdentifier(uri), position=t.Position(0, 5))
        )
        value = hover.contents.value
        assert "javascript" in value and "](<javascript" not in value
        assert "URL: javascript:alert\\(1\\)" in value


# -- the .bib: symbols, lint, changes on disk, malformed -------------------------------------


async def test_bib_symbols_and_lint_diagnostics_when_open(workspace: Path) -> None:
    bib = workspace / "references.bib"
    async with server(workspace) as client:
        text = BIB.replace("  year = {2023},\n", "  year = {2023},\n  pages = {1-5},\n")
        uri = open_doc(client, bib, "bibtex", text)
        found = await diagnostics(client, uri)
        dash = [d for d in found if d.code == "pages-dash"]
        line = span(text, "pages = {1-5},").start.line
        assert [d.range for d in dash] == [
            # lint's column: the value, to the end of the line
            t.Range(t.Position(line, len("  pages = ")), t.Position(line, len("  pages = {1-5},")))
        ]
        symbols = await client.text_document_document_symbol_async(
            t.DocumentSymbolParams(t.TextDocumentIdentifier(uri))
        )
        assert [s.name for s in symbols] == ["knuth1984literate", "zahid2023dealing", "part2020"]
        assert symbols[0].selection_range == span(text, "knuth1984literate")
        assert symbols[0].detail == "@book Literate Programming"


async def test_bib_changed_on_disk_is_picked_up_without_restart(workspace: Path) -> None:
    text = "[@newkey2024] and @knuth1984literate\n"
    async with server(workspace) as client:
        uri = open_doc(client, workspace / "a.md", "markdown", text)
        found = await diagnostics(client, uri, 1)
        assert found[0].range == span(text, "newkey2024")
        with (workspace / "references.bib").open("a") as fh:  # `refbook add` in a terminal
            fh.write("\n@misc{newkey2024, title = {New}, year = {2024}}\n")
        await diagnostics(client, uri, 0)  # published again: the key is known now
        got = await complete_at(client, uri, t.Position(0, 5))
        assert "newkey2024" in [i.label for i in got.items]


async def test_malformed_bib_keeps_the_last_good_state_and_says_where(workspace: Path) -> None:
    text = "[@knuth1984literate] [@zahid2023dealing]\n"
    bib = workspace / "references.bib"
    async with server(workspace) as client:
        uri = open_doc(client, workspace / "a.md", "markdown", text)
        assert await diagnostics(client, uri, 0) == []
        # half an edit: the first entry loses its closing brace
        broken = BIB.replace(
            "  doi = {10.1093/comjnl/27.2.97},\n}\n", "  doi = {10.1093/comjnl/27.2.97},\n"
        )
        bib_uri = open_doc(client, bib, "bibtex", broken)
        found = await diagnostics(client, bib_uri)
        assert any(d.code == "syntax" and d.severity == t.DiagnosticSeverity.Error for d in found)
        # the manuscript still resolves both keys from the last good state
        await asyncio.sleep(1.5)
        assert not client.diagnostics[uri]
        got = await complete_at(client, uri, t.Position(0, 5))
        assert got.items[0].label == "knuth1984literate"
        # and when the file is fixed, the .bib's syntax diagnostic goes away
        client.text_document_did_change(
            t.DidChangeTextDocumentParams(
                t.VersionedTextDocumentIdentifier(uri=bib_uri, version=2),
                [t.TextDocumentContentChangeWholeDocument(BIB)],
            )
        )
        await until(lambda: not any(d.code == "syntax" for d in client.diagnostics[bib_uri]))


async def test_unreadable_bib_on_disk_does_not_kill_the_server(workspace: Path) -> None:
    text = "[@knuth1984literate]\n"
    bib = workspace / "references.bib"
    async with server(workspace) as client:
        uri = open_doc(client, workspace / "a.md", "markdown", text)
        assert await diagnostics(client, uri, 0) == []
        bib.write_bytes(b"@book{x, title = {\xff\xfe caf\xe9}}\n")  # not UTF-8
        # the .bib is not open: its problem is published for it all the same
        (problem,) = await diagnostics(client, bib.as_uri(), 1)
        assert problem.code == "syntax" and "UTF-8" in problem.message
        got = await complete_at(client, uri, t.Position(0, 5))
        assert got.items[0].label == "knuth1984literate"  # the last good state serves


# -- the bibliography a document names -------------------------------------------------------


@pytest.mark.parametrize(
    "name, language_id, head",
    [
        ("a.md", "markdown", "---\nbibliography: refs/other.bib\n---\n"),
        ("a.qmd", "quarto", "---\nbibliography:\n  - refs/other.bib\n---\n"),
        ("a.tex", "latex", "\\addbibresource{refs/other.bib}\n"),
        ("b.tex", "latex", "\\bibliography{refs/other}\n"),
        ("a.typ", "typst", '#bibliography("refs/other.bib")\n'),
    ],
)
async def test_a_document_s_own_bibliography_is_used(
    workspace: Path, name: str, language_id: str, head: str
) -> None:
    (workspace / "refs").mkdir()
    (workspace / "refs" / "other.bib").write_text("@misc{otherkey, title = {Other}, year = 2001}\n")
    cite = {"latex": "\\cite{otherkey,knuth1984literate}", "typst": "@otherkey @knuth1984literate"}
    text = head + cite.get(language_id, "[@otherkey; @knuth1984literate]") + "\n"
    async with server(workspace) as client:
        uri = open_doc(client, workspace / name, language_id, text)
        found = await diagnostics(client, uri, 1)
        assert found[0].range == span(text, "knuth1984literate")  # not in that .bib


async def test_a_quarto_project_s_bibliography_is_used_for_its_qmd_files(
    workspace: Path,
) -> None:
    (workspace / "refs").mkdir()
    (workspace / "refs" / "book.bib").write_text("@misc{bookkey, title = {Book}, year = 2001}\n")
    (workspace / "_quarto.yml").write_text("project:\n  type: book\nbibliography: refs/book.bib\n")
    (workspace / "chapters").mkdir()
    text = "# One\n\n[@bookkey; @knuth1984literate]\n\nSee @b\n"
    async with server(workspace) as client:
        uri = open_doc(client, workspace / "chapters" / "one.qmd", "quarto", text)
        found = await diagnostics(client, uri, 2)  # not in the project's .bib; @b neither
        typed = t.Range(t.Position(4, 5), t.Position(4, 6))
        assert [d.range for d in found] == [span(text, "knuth1984literate"), typed]
        got = await complete_at(client, uri, end_of(text.rstrip("\n")))
        assert [i.label for i in got.items] == ["bookkey"]


async def test_bib_option_and_check_mode(workspace: Path, cli) -> None:
    other = workspace / "elsewhere.bib"
    other.write_text("@misc{onlyhere, title = {Here}}\n")
    out = cli("lsp", "--check", str(workspace), "--json")
    assert out.exit_code == 0
    info = json.loads(out.stdout)
    assert info["bib"] == str(workspace / "references.bib") and info["entries"] == 3
    out = cli("lsp", "--check", str(workspace), "--bib", str(other), "--json")
    assert json.loads(out.stdout)["bib"] == str(other)
    text = "[@onlyhere]\n"
    async with server(workspace, "--bib", str(other)) as client:
        uri = open_doc(client, workspace / "a.md", "markdown", text)
        assert await diagnostics(client, uri, 0) == []


async def test_no_cache_serves_without_the_library_cache(workspace: Path, cli, monkeypatch) -> None:
    cache = workspace / "cache"
    monkeypatch.setenv("REFBOOK_CACHE_DIR", str(cache))
    out = cli("--no-cache", "lsp", "--check", str(workspace), "--json")
    assert json.loads(out.stdout)["entries"] == 3
    assert not list(cache.rglob("*.sqlite"))  # read without it
    out = cli("lsp", "--check", str(workspace), "--json")
    assert json.loads(out.stdout)["entries"] == 3
    assert list(cache.rglob("*.sqlite"))  # the server's reading goes through the cache


# -- add an entry for a DOI (the edit is the user's to apply) -------------------------------


async def test_code_action_adds_an_entry_for_a_doi(workspace: Path, httpserver) -> None:
    record = {
        "type": "article-journal",
        "title": "Structured programming with go to statements",
        "author": [{"family": "Knuth", "given": "Donald E."}],
        "issued": {"date-parts": [[1974]]},
        "container-title": "ACM Computing Surveys",
        "DOI": "10.1145/356635.356640",
    }
    httpserver.expect_request("/10.1145/356635.356640").respond_with_json(record)
    (workspace / "refbook.toml").write_text(
        f'[check]\ndoi_resolver = "{httpserver.url_for("/").rstrip("/")}"\n'
        "[add]\nallow_private = true\n"
    )
    text = "Knuth also wrote doi:10.1145/356635.356640 and 10.1093/comjnl/27.2.97.\n"
    bib = workspace / "references.bib"
    applied: list[t.ApplyWorkspaceEditParams] = []
    async with server(workspace) as client:

        @client.feature(t.WORKSPACE_APPLY_EDIT)
        def apply(params: t.ApplyWorkspaceEditParams) -> t.ApplyWorkspaceEditResult:
            applied.append(params)
            return t.ApplyWorkspaceEditResult(applied=True)

        uri = open_doc(client, workspace / "a.md", "markdown", text)
        doc = t.TextDocumentIdentifier(uri)
        known = span(text, "10.1093/comjnl/27.2.97")  # an entry has it: nothing to add
        assert not await client.text_document_code_action_async(
            t.CodeActionParams(
                text_document=doc, range=known, context=t.CodeActionContext(diagnostics=[])
            )
        )
        at = span(text, "10.1145/356635.356640")
        actions = await client.text_document_code_action_async(
            t.CodeActionParams(
                text_document=doc, range=at, context=t.CodeActionContext(diagnostics=[])
            )
        )
        assert [a.title for a in actions] == ["Add an entry for DOI 10.1145/356635.356640"]
        # lsprotocol's client-side hook reads any code action that has a command as a
        # Command (its `command` field then holds the action's command as text)
        command = ast.literal_eval(actions[0].command)
        assert command["command"] == "refbook.addDoi"
        result = await client.workspace_execute_command_async(
            t.ExecuteCommandParams(command=command["command"], arguments=command["arguments"])
        )
        assert result == {"added": ["knuth1974structured"]}
        assert bib.read_text() == BIB  # the server itself never writes the .bib
        (edits,) = applied[0].edit.changes.values()
        assert edits[0].range.start.line == BIB.count("\n")
        assert "@article{knuth1974structured," in edits[0].new_text
        assert "doi = {10.1145/356635.356640}" in edits[0].new_text


async def test_hover_completion_and_resolve_at_once_answer_as_one_at_a_time(workspace: Path):
    """Hover and resolve run in worker threads and completion on the server's loop, all
    reading the library cache's one SQLite connection: asked all at once, they give the
    answers they give one at a time."""
    async with server(workspace) as client:
        text = "Knuth [@knuth1984literate] and [@zahid2023dealing].\nSee @"
        uri = open_doc(client, workspace / "essay.md", "markdown", text)
        doc = t.TextDocumentIdentifier(uri)
        await diagnostics(client, uri)
        hovers = [span(text, "knuth1984literate").start, span(text, "zahid2023dealing").start]
        at_end = end_of(text)

        def asks() -> list:
            out: list = []
            for at in hovers * 3:
                out.append(
                    client.text_document_hover_async(t.HoverParams(text_document=doc, position=at))
                )
                out.append(complete_at(client, uri, at_end))
            return out

        done = await complete_at(client, uri, at_end)
        items = done.items[:3]
        alone = [await a for a in asks()] + [
            await client.completion_item_resolve_async(i) for i in items
        ]
        together = await asyncio.gather(
            *asks(), *(client.completion_item_resolve_async(i) for i in items)
        )
        assert [json.dumps(_plain(a), sort_keys=True) for a in together] == [
            json.dumps(_plain(a), sort_keys=True) for a in alone
        ]
        assert all(a is not None for a in together)


def _plain(answer: object) -> object:
    from lsprotocol import converters

    return converters.get_converter().unstructure(answer)


async def test_symbols_of_an_edited_large_bib_are_the_buffer_s(tmp_path: Path):
    """A large .bib open as saved gets its symbols from the cache; once edited (lines
    added at its top), the symbols asked for before the server reads the edit again
    are the buffer's, not the saved file's (the last reading described the saved one)."""
    from refbook.lsp.server import LINT_APART_CHARS

    entry = "@article{{key{0},\n  title = {{Title {0}}},\n  abstract = {{{1}}},\n}}\n"
    filler = "words " * 110
    count = LINT_APART_CHARS // len(entry.format(0, filler)) + 2
    text = "".join(entry.format(i, filler) for i in range(count))
    assert len(text) >= LINT_APART_CHARS
    (tmp_path / "references.bib").write_text(text)
    async with server(tmp_path, "--bib", str(tmp_path / "references.bib")) as client:
        uri = open_doc(client, tmp_path / "references.bib", "bibtex", text)
        doc = t.TextDocumentIdentifier(uri)
        params = t.DocumentSymbolParams(text_document=doc)
        await until(lambda: uri in client.diagnostics, timeout=120)
        saved = await client.text_document_document_symbol_async(params)
        assert saved[1].selection_range.start.line == 4
        client.text_document_did_change(
            t.DidChangeTextDocumentParams(
                t.VersionedTextDocumentIdentifier(uri=uri, version=2),
                [
                    t.TextDocumentContentChangePartial(
                        range=t.Range(t.Position(0, 0), t.Position(0, 0)), text="% a\n% b\n% c\n"
                    )
                ],
            )
        )
        edited = await client.text_document_document_symbol_async(params)
        assert [s.name for s in edited[:2]] == ["key0", "key1"]
        assert edited[1].selection_range.start.line == 7
        assert edited[1].range.start.line == 7
