"""The language server's pure functions, without a client: positions, what is typed,
the .bib a document names, minimal edits."""

from __future__ import annotations

from pathlib import Path

import pytest
from lsprotocol import types as t

from refbook.lsp import documents as docs
from refbook.lsp.features import text_edits


def test_positions_count_utf16_code_units_as_lsp_says() -> None:
    text = "a😀é [@key]\nnext"
    index = docs.TextIndex(text)
    at = text.index("key")
    assert index.position(at) == (0, 7)  # 😀 is two UTF-16 code units
    assert index.offset(0, 7) == at
    assert docs.TextIndex(text, "utf-8").position(at) == (0, 10)
    assert docs.TextIndex(text, "utf-32").position(at) == (0, 6)
    assert index.position(text.index("next")) == (1, 0)
    assert index.offset(5, 0) == len(text)  # past the end: the end


@pytest.mark.parametrize(
    "language, before, query",
    [
        ("markdown", "see [@knu", "knu"),
        ("markdown", "see @knuth lit", "knuth lit"),
        ("markdown", "[@a; @zah", "zah"),
        ("quarto", "@{odd", "odd"),
        ("latex", "\\citep[p.~4]{a, knu", "knu"),
        ("latex", "\\textcite{", ""),
        ("latex", "\\cites{a}{kn", "kn"),
        ("typst", "#cite(<knu", "knu"),
        ("typst", "as @knu", "knu"),
    ],
)
def test_the_key_being_typed(language: str, before: str, query: str) -> None:
    typed = docs.typed_key(before, len(before), language)
    assert typed is not None and typed.query == query
    assert before[typed.start : typed.end] == before[len(before) - len(query) :].rstrip()


@pytest.mark.parametrize(
    "language, before",
    [
        ("markdown", "mail a@knu"),
        ("markdown", "no at sign"),
        ("latex", "\\section{knu"),
        ("text", "@knu"),
        ("bibtex", "@book{knu"),
    ],
)
def test_no_completion_outside_a_citation(language: str, before: str) -> None:
    assert docs.typed_key(before, len(before), language) is None


def test_named_bibliographies_resolved_against_the_document(tmp_path: Path) -> None:
    (tmp_path / "a.bib").write_text("")
    (tmp_path / "b.bib").write_text("")
    doc = str(tmp_path / "x.md")
    front = "---\ntitle: x\nbibliography: [a.bib, missing.bib, b.bib]\n---\ntext\n"
    assert docs.named_bibliographies(front, "markdown", doc) == [
        str(tmp_path / "a.bib"),
        str(tmp_path / "b.bib"),
    ]
    csl = "---\nbibliography: refs.json\n---\n"
    assert docs.named_bibliographies(csl, "markdown", doc) == []
    tex = "\\bibliography{a,b}\n"
    assert docs.named_bibliographies(tex, "latex", str(tmp_path / "x.tex")) == [
        str(tmp_path / "a.bib"),
        str(tmp_path / "b.bib"),
    ]


def test_a_quarto_project_s_bibliography_serves_its_documents(tmp_path: Path) -> None:
    (tmp_path / "refs").mkdir()
    (tmp_path / "refs" / "book.bib").write_text("")
    (tmp_path / "_quarto.yml").write_text(
        "project:\n  type: book\nbibliography: refs/book.bib\nformat:\n  html: default\n"
    )
    chapters = tmp_path / "chapters"
    chapters.mkdir()
    chapter = str(chapters / "one.qmd")
    book = str(tmp_path / "refs" / "book.bib")
    # a chapter without front matter: the project's, relative to the project's folder
    assert docs.named_bibliographies("# One\n\n[@key]\n", "quarto", chapter) == [book]
    assert docs.named_bibliographies("text\n", "markdown", str(chapters / "two.md")) == [book]
    # the document's own front matter first
    (chapters / "own.bib").write_text("")
    own = "---\nbibliography: own.bib\n---\n"
    assert docs.named_bibliographies(own, "quarto", chapter) == [str(chapters / "own.bib")]
    # a folder's _metadata.yml before the project's
    (chapters / "_metadata.yml").write_text("bibliography:\n  - own.bib\n")
    assert docs.named_bibliographies("x\n", "quarto", chapter) == [str(chapters / "own.bib"), book]
    # LaTeX and Typst documents do not take Quarto's metadata; nor does a folder outside
    assert docs.named_bibliographies("x\n", "latex", str(chapters / "a.tex")) == []
    outside = tmp_path.parent / f"{tmp_path.name}-elsewhere"
    outside.mkdir()
    assert docs.named_bibliographies("x\n", "quarto", str(outside / "a.qmd")) == []


def test_text_edits_touch_only_the_changed_lines() -> None:
    old = "one\ntwo\nthree\nfour\n"
    new = "one\nTWO\nthree\nfour\nfive\n"
    assert text_edits(old, new) == [
        t.TextEdit(t.Range(t.Position(1, 0), t.Position(2, 0)), "TWO\n"),
        t.TextEdit(t.Range(t.Position(4, 0), t.Position(4, 0)), "five\n"),
    ]


def test_language_by_file_name_first() -> None:
    assert docs.language_of("file:///x/a.qmd", "markdown") == "quarto"
    assert docs.language_of("file:///x/a.Rmd", "markdown") == "rmarkdown"
    assert docs.language_of("untitled:1", "typst") == "typst"
    assert docs.language_of("untitled:1", "") == "text"


@pytest.mark.parametrize("saved", [True, False])
def test_a_large_bib_linted_apart_gives_the_same_diagnostics(tmp_path: Path, saved: bool) -> None:
    """The server lints a large .bib in a child process (`refbook lint --json`): the
    diagnostics are those of the lint it runs in-process for a small one."""
    from refbook.lsp.bibfile import bib_diagnostics, lint_apart

    text = (
        "@book{knuth1984,\n  title = {Literate Programming},\n  year = {1984},\n}\n"
        "@article{dup,\n  author = {A, B},\n  title = {T},\n  pages = {1-2},\n}\n"
        "@misc{dup,\n  title = {Again},\n}\n"
    )
    path = tmp_path / "references.bib"
    path.write_text(text if saved else "@misc{other, title = {On disk}}\n")
    expected = bib_diagnostics(text, str(path), [])
    assert expected  # (a test of something)
    assert bib_diagnostics(text, str(path), [], linted=lint_apart(text, str(path), saved)) == (
        expected
    )


def test_symbols_of_a_cached_bib_without_parsing_it(tmp_path: Path, monkeypatch) -> None:
    """A large .bib open as saved gets its symbols from the cache: the same names,
    details and key ranges as parsing it, each range from its entry's line."""
    from refbook.lsp.bibfile import bib_symbols, cached_symbols
    from refbook.lsp.features import Document
    from refbook.lsp.library import LibraryState

    monkeypatch.setenv("REFBOOK_CACHE_DIR", str(tmp_path / "cache"))
    text = (
        "% a comment line\n@book{knuth1984,\n  title = {Literate Programming},\n}\n\n"
        "  @article{zahid2023,\n  title = {Dealing with the TTP — ünïcode},\n}\n"
        "@misc{ünï, title = {Short}}\n"
    )
    path = tmp_path / "references.bib"
    path.write_text(text, encoding="utf-8")
    state = LibraryState(str(path))
    state.reload()
    assert state.snapshot is not None and state.snapshot.cached
    for encoding in ("utf-16", "utf-8"):
        doc = Document(path.as_uri(), text, "bibtex", encoding)
        parsed, cached = bib_symbols(doc), cached_symbols(doc, state.snapshot)
        assert [(s.name, s.detail, s.selection_range) for s in cached] == [
            (s.name, s.detail, s.selection_range) for s in parsed
        ]
        assert [s.range.start.line for s in cached] == [1, 5, 8]
        assert cached[-1].range.end == t.Position(9, 0)  # the end of the document


def test_reading_the_bib_never_holds_up_a_request(tmp_path: Path, monkeypatch) -> None:
    """A reading (a cold cache build takes a minute at 100k entries) runs in a thread:
    the server is answered at once with what is known (nothing, then the previous
    snapshot), and told when the new one is ready."""
    import threading

    from refbook.lsp import library

    path = tmp_path / "references.bib"
    path.write_text("@misc{first, title = {One}}\n")
    release = threading.Event()
    real = library.open_library

    def slow(p: str, encoding: str | None = None) -> object:
        assert release.wait(30), "the test never released the reading"
        return real(p, encoding)

    monkeypatch.setenv("REFBOOK_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(library, "open_library", slow)
    told = threading.Event()
    state = library.LibraryState(str(path), on_change=told.set)
    assert state.current() is None and state.loading  # not read yet: nothing, at once
    release.set()
    assert told.wait(30) and not state.loading
    first = state.current()
    assert first is not None and first.has("first")
    # changed on disk: the old snapshot serves until the new one is read
    release.clear()
    told.clear()
    path.write_text("@misc{second, title = {Two}}\n")
    assert state.current() is first and state.loading
    release.set()
    assert told.wait(30)
    assert state.current() is not first and state.current().has("second")  # type: ignore[union-attr]


def test_a_cached_snapshot_resolves_keys_aliases_and_dois_as_citations_do(
    tmp_path: Path, monkeypatch
) -> None:
    """The server's snapshot of a saved .bib reads the cache: keys case-insensitively,
    ``ids`` aliases to their entry, DOIs normalised; an entry read by its row."""
    from refbook.lsp.library import LibraryState

    monkeypatch.setenv("REFBOOK_CACHE_DIR", str(tmp_path / "cache"))
    path = tmp_path / "references.bib"
    path.write_text(
        "@book{Knuth1984,\n  author = {Knuth, Donald},\n  title = {Literate Programming},\n"
        "  year = {1984},\n  ids = {knuthlp, lp84},\n  doi = {10.1093/COMJNL/27.2.97},\n}\n"
        "@misc{other, title = {Other}, year = {2001}}\n"
    )
    state = LibraryState(str(path))
    state.reload()
    snap = state.snapshot
    assert snap is not None and snap.cached
    assert snap.has("knuth1984") and snap.has("LP84") and not snap.has("nokey")
    assert snap.entry("lp84").key == "Knuth1984"
    assert snap.entry("knuthlp").title == "Literate Programming"
    assert snap.has_doi("10.1093/comjnl/27.2.97") and not snap.has_doi("10.1000/none")
    assert snap.matcher.by_key["knuthlp"].key == "Knuth1984"
    assert snap.search_keys(["literate"], True, 10) == ["Knuth1984"]


def test_completion_ranks_a_common_author_like_search_past_a_thousand_matches(
    tmp_path: Path, monkeypatch
) -> None:
    """An author with 1,500 entries (a Smith in a large shared library): the entry whose
    title also has the word ranks first in completion as in ``refbook search``, although
    it comes last in the file (a ranking over the first 1,000 matches missed it)."""
    from refbook.lsp.library import LibraryState

    monkeypatch.setenv("REFBOOK_CACHE_DIR", str(tmp_path / "cache"))
    path = tmp_path / "references.bib"
    entries = [
        f"@article{{smith{i}, author = {{Smith, Anna}}, title = {{Report number {i}}}, "
        "year = {2001}}\n"
        for i in range(1500)
    ]
    entries.append(
        "@article{smithsmith, author = {Smith, Anna}, title = {Smith on Smith}, year = {1990}}\n"
    )
    path.write_text("".join(entries))
    state = LibraryState(str(path))
    state.reload()
    snap = state.snapshot
    assert snap is not None and snap.cached
    top = snap.search_keys(["smith"], True, 5)
    assert top[0] == "smithsmith"


def test_a_large_bib_linted_apart_is_read_in_the_servers_encoding(tmp_path: Path) -> None:
    """``refbook lsp --encoding latin-1``: the child that lints a large saved .bib reads
    it in that encoding too (without it the child could not decode the file and the
    .bib's lint findings vanished)."""
    from refbook.lsp.bibfile import lint_apart

    path = tmp_path / "latin1.bib"
    text = "@article{muller, author = {M\u00fcller, J\u00fcrgen}, year = {2001}}\n"
    path.write_bytes(text.encode("latin-1"))
    found = lint_apart(text, str(path), True, "latin-1")
    assert any(f.rule == "required-fields" and f.key == "muller" for f in found)


def test_the_cache_connection_serves_one_thread_at_a_time(tmp_path: Path, monkeypatch) -> None:
    """The library cache's connection is shared by the server's threads (hover and
    resolve in workers, completion on the loop): a statement waits while another
    thread is in a call into it."""
    import threading

    from refbook.lsp.library import LibraryState

    monkeypatch.setenv("REFBOOK_CACHE_DIR", str(tmp_path / "cache"))
    path = tmp_path / "references.bib"
    path.write_text("@book{knuth1984,\n  title = {Literate Programming},\n}\n", encoding="utf-8")
    state = LibraryState(str(path))
    state.reload()
    snap = state.snapshot
    assert snap is not None and snap.cached
    conn = snap.library._store.conn
    found: list[object] = []
    with conn.lock:  # another thread in a call into the connection
        reader = threading.Thread(target=lambda: found.append(snap.library.find("knuth1984")))
        reader.start()
        reader.join(0.5)
        assert reader.is_alive() and not found  # it waits
    reader.join(10)
    assert found and found[0].key == "knuth1984"  # type: ignore[attr-defined]


class _ClosedStdout:
    """Standard output after the client has gone (it said exit, or died)."""

    def write(self, data: bytes) -> None:
        raise ValueError("I/O operation on closed file.")


def test_work_left_when_the_client_has_gone_stops_without_a_traceback() -> None:
    """A large .bib's diagnostics still being made when the client says exit were
    written to a closed stdout: a traceback per message in the editor's log (the
    benchmark counted 18,720 lines of them at 100k)."""
    from refbook.lsp.server import create_server, guarded

    server = create_server()
    server.protocol.writer = _ClosedStdout()  # type: ignore[attr-defined]
    server.publish_texts("file:///refs.bib", ['{"message": "x"}'])  # no error
    ran: list[bool] = []
    assert guarded(server, lambda: ran.append(True) or "answer", "none")() == "none"
    assert ran == []
