"""An edited .bib buffer read by chunks (refbook.lsp.bibbuffer) gives the keys, document
symbols and diagnostics (parse problems and lint) of the same text parsed whole, after
random edits: entries opened and not closed, stray ``@``, duplicate keys and fields,
``@string`` macros added, suppression comments, fields moved to other lines."""

from __future__ import annotations

import os
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from refbook.errors import RefbookError
from refbook.lint import RULES, lint
from refbook.lsp import bibfile
from refbook.lsp.bibbuffer import BibReading
from refbook.lsp.features import Document
from refbook.model import Library
from refbook.store import BibFile

ROOT = Path(__file__).resolve().parent.parent
TEXT = (ROOT / "references.bib").read_text(encoding="utf-8")
RULE_LIST = list(RULES.values())
PIECES = [
    "@",
    "\n@article{dup,\n  title = {Afghan {Taliban} Politics},\n  year = 2020,\n}\n",
    "}",
    "{",
    "\n",
    "\n\n",
    "  title = {The {TTP} and Pakistan},\n",
    "% refbook: ignore[missing-annotation, missing-urldate]\n",
    ",",
    "x",
    '"',
    "@string{foo = {Bar}}\n",
    "  journal = foo,\n",
    "  doi = {10.1000/xyz},\n",
]


def whole(text: str) -> tuple[list[str], list[str], list[tuple]]:
    lib = Library(BibFile(text, name="x.bib"))
    doc = Document("file:///x.bib", text, "bibtex")
    return (
        [e.key for e in lib],
        sorted(map(repr, lint(lib, RULE_LIST, fixes=False).findings)),
        _symbols(doc, None),
    )


def chunked(reading: BibReading) -> tuple[list[str], list[str], list[tuple]]:
    doc = Document("file:///x.bib", reading.text, "bibtex")
    return reading.keys(), sorted(map(repr, reading.lint(RULE_LIST) or [])), _symbols(doc, reading)


def _symbols(doc: Document, reading: BibReading | None) -> list[tuple]:
    return [
        (s.name, s.range, s.selection_range, s.detail) for s in bibfile.bib_symbols(doc, reading)
    ]


edit = st.tuples(st.floats(0, 1), st.booleans(), st.sampled_from(PIECES), st.integers(1, 60))
edits = st.lists(edit, min_size=1, max_size=20)


def apply(text: str, where: float, insert: bool, piece: str, length: int) -> str:
    at = int(where * len(text))
    return text[:at] + piece + text[at:] if insert else text[:at] + text[at + length :]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(edits)
def test_a_buffer_read_by_chunks_equals_the_whole_parse_after_random_edits(steps):
    reading = BibReading.parse(TEXT, "x.bib")
    text = TEXT
    for step in steps:
        new = apply(text, *step)
        try:
            expected = whole(new)
        except RefbookError:  # no entry can be read: the whole parse refuses it too
            continue
        reading = reading.edit(new)
        assert chunked(reading) == expected
        text = new


def test_an_edit_parses_only_the_chunks_it_touches(monkeypatch):
    reading = BibReading.parse(TEXT, "x.bib")
    at = TEXT.index("@", len(TEXT) // 2)
    parsed: list[int] = []
    real = BibFile.__init__

    def spy(self, text, *args, **kwargs):
        parsed.append(len(text))
        real(self, text, *args, **kwargs)

    monkeypatch.setattr(BibFile, "__init__", spy)
    edited = reading.edit(TEXT[:at] + "% a comment\n" + TEXT[at:])
    assert len(parsed) == 1 and parsed[0] < len(TEXT) // 4
    kept = sum(a is b for a, b in zip(reading.pieces, edited.pieces))
    assert kept >= len(reading.pieces) - 5


def test_a_buffer_starting_from_the_cache_keeps_its_rows_and_follows_edits(tmp_path):
    from refbook.cache import open_cached

    bib = tmp_path / "references.bib"
    bib.write_text(TEXT, encoding="utf-8")
    os.environ.setdefault("REFBOOK_CACHE_DIR", str(tmp_path / "cache"))
    cached, _ = open_cached(str(bib), None)
    assert cached is not None
    reading = BibReading.from_cache(TEXT, str(bib), cached)
    assert reading is not None and reading.keys() == [e.key for e in cached]
    at = TEXT.index("@", len(TEXT) // 2)
    new = TEXT[:at] + "@misc{added2024, title = {New}}\n" + TEXT[at:]
    edited = reading.edit(new)
    lib = Library(BibFile(new, name=str(bib)))
    assert edited.keys() == [e.key for e in lib]
    assert [(e.key, line) for e, _, line in edited.located()] == [(e.key, e.line) for e in lib]
    assert edited.problems() == []
    dup = edited.edit(new + "@misc{added2024, title = {Twice}}\n")
    assert [f.rule for f in dup.problems()] == ["duplicate-key"]
    assert dup.lint(RULE_LIST) is None  # rows of the cache: lint's findings come from lint


def test_a_large_edited_buffer_knows_the_dois_of_its_saved_and_edited_entries(tmp_path):
    from refbook.cache import open_cached
    from refbook.lsp.library import Snapshot

    bib = tmp_path / "references.bib"
    bib.write_text(TEXT, encoding="utf-8")
    os.environ.setdefault("REFBOOK_CACHE_DIR", str(tmp_path / "cache"))
    cached, _ = open_cached(str(bib), None)
    reading = BibReading.from_cache(TEXT, str(bib), cached)
    assert reading is not None
    new = TEXT + "@misc{added2024, title = {New}, doi = {10.5555/Added.2024}}\n"
    snap = Snapshot(reading.edit(new), str(bib))
    saved_doi = next(e.doi for e in cached if e.doi)
    assert snap.has_doi(saved_doi.lower())
    assert snap.has_doi("10.5555/added.2024")
    assert not snap.has_doi("10.5555/nowhere")


class _Trickle:
    """A byte stream that gives a few bytes at a time (a pipe read in pieces)."""

    def __init__(self, data: bytes, size: int) -> None:
        self.data, self.size, self.at = data, size, 0

    def read(self, _n: int) -> bytes:
        piece = self.data[self.at : self.at + self.size]
        self.at += len(piece)
        return piece


def test_lint_s_json_read_a_finding_at_a_time_gives_every_finding(tmp_path):
    """The server reads a large .bib's ``refbook lint --json`` from the child's pipe one
    finding at a time: the same findings as the document parsed whole, wherever the
    pipe cuts it (inside a finding, inside a multi-byte character)."""
    import io
    import json

    from refbook.findings import Finding
    from refbook.output.findings import render

    text = "".join(
        f"@article{{k{i},\n  title = {{Éé “{i}” the ﬁle}},\n  year = {{20x{i}}},\n  pages = {{9--{i}}},\n}}\n"
        for i in range(40)
    )
    findings = lint(Library(BibFile(text, name="a.bib")), list(RULES.values())).findings
    out = io.StringIO()
    render(findings, "json", stream=out)
    data = out.getvalue().encode("utf-8")
    expected = [
        Finding("a.bib", f["line"], f["severity"], f["rule"], f["message"], f["key"], f["column"])
        for f in json.loads(data)["findings"]
    ]
    assert len(expected) > 100
    for size in (1, 7, 4096, len(data)):
        got = bibfile.read_findings(_Trickle(data, size), "a.bib")
        assert [f.finding() for f in got] == expected
    empty = io.StringIO()
    render([], "json", stream=empty)
    assert list(bibfile.read_findings(_Trickle(empty.getvalue().encode(), 3), "a.bib")) == []


_FINDING = st.tuples(
    st.integers(0, 6), st.sampled_from(["error", "warning", "info"]), st.sampled_from("abc")
)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(_FINDING, max_size=6),
    st.lists(st.tuples(st.lists(_FINDING, max_size=6), st.integers(0, 3)), max_size=8),
    st.integers(0, 12),
)
def test_the_findings_chosen_are_the_first_by_edit_severity_and_position(head, chunks, limit):
    """What a .bib with more findings than the limit publishes (``bibfindings.choose``):
    the same as every finding placed, sorted by edit (latest first), severity and
    position, each (line, rule, message) once, cut at the limit."""
    from refbook.findings import Finding
    from refbook.lsp.bibfindings import choose, relative

    at = 0
    made, every = [], []  # the chunks as lint_chunks gives them; each finding with its edit
    for found, edit in chunks:
        rel = [
            Finding("a.bib", at + 1 + line, sev, rule, f"{rule} {at}") for line, sev, rule in found
        ]
        made.append(
            (at, [relative(f, at) for f in rel], edit, frozenset(f.severity.rank for f in rel))
        )
        every += [(edit, f) for f in rel]
        at += 7
    placed_head = [Finding("a.bib", 1 + line, sev, rule, "head") for line, sev, rule in head]

    def edited(line: int) -> int:
        return made[(line - 1) // 7][2] if 0 < line <= at else 0

    every += [(edited(f.line or 0), f) for f in placed_head]
    got, total = choose(placed_head, made, limit, edited)
    assert total == len(every)
    key = lambda c: (-c[0], -c[1].severity.rank, c[1].line, c[1].rule, c[1].message)  # noqa: E731
    expected = [f for _e, f in sorted(every, key=key)]
    seen, distinct = set(), []
    for f in expected:
        if (f.line, f.rule, f.message) not in seen:
            seen.add((f.line, f.rule, f.message))
            distinct.append(f)
    if limit and len(every) > limit:
        expected = distinct[:limit]
    assert [(f.line, f.rule) for f in got] == sorted((f.line, f.rule) for f in got)

    def ident(f: Finding) -> tuple:
        return (f.line, f.rule, f.message, f.severity.value)

    assert sorted(map(ident, got)) == sorted(map(ident, expected))


def _open_saved(tmp_path, monkeypatch, text: str):
    """A .bib saved as ``text``, open in the editor as saved, served from its cache as a
    large file's is (the limits made small)."""
    from refbook.lsp import library

    monkeypatch.setattr(library, "BUILD_APART_BYTES", 0)
    monkeypatch.setattr(library, "MATCHER_NOW_ENTRIES", 3)
    monkeypatch.setenv("REFBOOK_CACHE_DIR", str(tmp_path / "cache"))
    bib = tmp_path / "references.bib"
    bib.write_text(text, encoding="utf-8")
    state = library.LibraryState(str(bib))
    state.set_buffer(text)
    state.reload()
    assert state.snapshot is not None and state.snapshot.cached
    return state


def test_an_edit_of_a_large_bib_is_read_without_its_saved_entries(tmp_path, monkeypatch):
    """A large .bib open as saved, then edited: the edit is read (keys, problems,
    lint's findings of the saved file moved below the edit, the matcher) from the
    cache's keys and lines and the chunks the edit touched, no entry of the saved file
    read (100k of them held were 174 MB of the server's memory)."""
    from refbook.cache.library import CachedLibrary
    from refbook.lint import lint as lint_whole

    state = _open_saved(tmp_path, monkeypatch, TEXT)
    _ = state.snapshot.matcher
    state._prepare_edits()
    rules = [r for r in RULE_LIST if r.check_all is None]  # (per entry: all known)
    saved = lint_whole(Library(BibFile(TEXT, name=state.path)), rules, fixes=False).findings
    state.take_saved_lint(state.stamp, saved)

    def no_rows(self):
        raise AssertionError("an entry of the saved file was read")

    monkeypatch.setattr(CachedLibrary, "__iter__", no_rows)
    at = TEXT.index("@", len(TEXT) // 2)
    new = TEXT[:at] + "% a\n% b\n@misc{added2024, title = {New}}\n" + TEXT[at:]
    state.set_buffer(new)
    state.reload()
    reading, snap = state.reading, state.snapshot
    assert reading is not None and reading.library is not None and snap.reading is reading
    lib = Library(BibFile(new, name=state.path))
    assert reading.keys() == [e.key for e in lib]
    assert reading.problems() == []
    assert sorted(map(repr, reading.lint(rules) or [])) == sorted(
        map(repr, lint_whole(lib, rules, fixes=False).findings)
    )
    assert snap.has("added2024") and "matcher" in snap.__dict__


def test_prose_citations_follow_an_edit_of_a_large_bib_at_once(tmp_path, monkeypatch):
    """After an edit of a large .bib (an entry's year changed), the first diagnostics
    of the manuscripts match author-year citations against the buffer as edited: the
    matcher of the reading before is patched, not built again in a thread while the
    one before serves (seconds at 100k entries, its findings stale meanwhile)."""
    from refbook.manuscript import Citation, CitationStatus, Matcher

    state = _open_saved(tmp_path, monkeypatch, TEXT)
    assert state.snapshot.matcher is not None  # (built when a manuscript had prose)
    entry = next(e for e in Library(BibFile(TEXT, name="x.bib")) if e.authors and e.year)
    family, year = entry.authors[0].family, entry.year
    line = next(
        n
        for n, text in enumerate(TEXT.split("\n"))
        if text.strip().startswith("year") and n > entry.line
    )
    lines = TEXT.split("\n")
    lines[line] = lines[line].replace(str(year), str(year + 7))
    for text in ("\n".join(lines), TEXT, "\n".join(lines)):  # edited, undone, again
        state.set_buffer(text)
        state.reload()
        matcher = state.snapshot.matcher_now()
        assert matcher is not None
        whole = Matcher(list(Library(BibFile(text, name="x.bib"))))
        for cited in (year, year + 7):
            c = Citation("m.md", 1, 1, "x", "prose", [], [family], False, str(cited))
            assert _matched(matcher, c) == _matched(whole, c)
    c = Citation("m.md", 1, 1, "x", "prose", [], [family], False, str(year + 7))
    assert matcher.match(c).status is not CitationStatus.YEAR_MISMATCH


def test_a_large_bib_s_chunks_share_the_snapshot_s_keys(tmp_path, monkeypatch):
    """The chunks of a large .bib open as saved (``bibbuffer.Saved``) take the keys and
    their lookup of the snapshot that serves the file (100,000 keys twice were 17 MB of
    the server's memory); with an alias among them, a lookup of their own."""
    state = _open_saved(tmp_path, monkeypatch, TEXT)
    state._prepare_edits()
    assert state._saved_chunks is not None
    saved, snap = state._saved_chunks[1], state.snapshot
    assert saved.keys is snap.keys and saved.keyset is snap.lookup
    at = TEXT.index("@", len(TEXT) // 2)
    aliased = TEXT[:at] + "@misc{aliased1, ids = {other1}, title = {T}}\n" + TEXT[at:]
    (tmp_path / "b").mkdir()
    state = _open_saved(tmp_path / "b", monkeypatch, aliased)
    state._prepare_edits()
    saved, snap = state._saved_chunks[1], state.snapshot
    assert "other1" in snap.lookup and "other1" not in saved.keyset
    assert saved.keyset == {k.lower(): k for k in snap.keys}


def test_garbage_is_collected_before_what_lives_is_frozen():
    """``library._settle`` freezes what a reading made: a reference cycle that is garbage
    then is collected first, not kept for the server's life."""
    import gc
    import weakref

    from refbook.lsp.library import _settle

    class Node:
        pass

    cycle = Node()
    cycle.me = cycle  # type: ignore[attr-defined]
    gone = weakref.ref(cycle)
    del cycle
    enabled = gc.isenabled()
    gc.disable()  # (as while a reading parses: nothing collected meanwhile)
    try:
        _settle()
        assert gone() is None
    finally:
        gc.unfreeze()
        if enabled:
            gc.enable()


def test_an_edit_of_a_large_bib_keeps_no_text_of_the_buffer_before_it(tmp_path, monkeypatch):
    """After the next edit is read, no frame holds the buffer's text before it: a title
    decoded by pylatexenc while an edit was read (the matcher patched) left an exception
    whose traceback's frames held the reading's locals (the buffer, 74 MB at 100k
    entries), frozen by the collector's freeze for the server's life."""
    import gc
    import sys
    import types

    state = _open_saved(tmp_path, monkeypatch, TEXT)
    _ = state.snapshot.matcher
    at = TEXT.index("@", len(TEXT) // 2)
    texts = [
        TEXT[:at]
        + f"@misc{{added{n}, title = {{\\v{{S}}ebek's \\emph{{notes}} {n}}}}}\n"
        + TEXT[at:]
        for n in range(2)
    ]
    for text in texts:
        state.set_buffer(text)
        state.reload()
        assert "matcher" in state.snapshot.__dict__  # (patched: the titles decoded)
    gc.unfreeze()  # (what was frozen is seen by get_referrers again)
    try:
        me = sys._getframe()
        held = [r for r in gc.get_referrers(texts[0]) if r is not me and r is not texts]
        assert not [r for r in held if isinstance(r, types.FrameType)]
        assert not held
    finally:
        gc.freeze()


def _matched(matcher, citation) -> tuple:
    import copy

    c = matcher.match(copy.copy(citation))
    return c.status, c.matched, c.message


_ROW = st.tuples(
    st.one_of(st.none(), st.integers(1, 30)),
    st.sampled_from(["error", "warning", "info"]),
    st.sampled_from(["dup", "miss", "sim"]),
    st.sampled_from(["no annotation", "same title as a (line 3)", "see lines 2 and 9", "é 😋"]),
    st.one_of(st.none(), st.sampled_from(["k1", "k2", "Ünï:1"])),
    st.one_of(st.none(), st.integers(0, 40)),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_ROW, max_size=40), st.integers(0, 12))
def test_a_table_of_findings_gives_the_findings_it_was_given(rows, limit):
    """lint's findings of a large .bib as saved are kept as columns (``bibfindings.Table``):
    each row is the finding it was made from, in line order (a finding without a line
    counted as on the first, the order among equal lines kept); the severities of a run
    of lines, each severity's findings, and what ``choose`` publishes are those of the
    findings themselves."""
    from refbook.findings import Finding, Severity
    from refbook.lsp.bibfindings import Table, choose, whole

    found = [Finding("a.bib", line, Severity(sev), *rest) for line, sev, *rest in rows]
    table = Table.of(found).by_line()
    ordered = sorted(found, key=lambda f: f.line or 1)
    assert [f.finding() for f in table] == ordered
    for a, b in ((0, 1 << 62), (3, 9), (1, 2), (30, 31)):
        on = [f for f in ordered if a <= (f.line or 1) < b]
        run = table.run(a, b)
        assert [f.finding() for f in run] == on
        assert table.severities(a, b) == frozenset(f.severity.rank for f in on)
        for rank in (1, 2, 3):
            assert [f.finding() for f in run.of_rank(rank)] == [
                f for f in on if f.severity.rank == rank
            ]
    lined = [f for f in found if f.line is not None]
    as_list, _ = choose([], [whole(lined)], limit)
    as_table, total = choose([], [whole(Table.of(lined))], limit)
    assert total == len(lined)
    assert as_table == as_list


def test_an_edit_s_findings_from_the_saved_table_are_a_fresh_lint_s(tmp_path, monkeypatch):
    """The saved file's findings read from ``refbook lint --json`` (a ``Table``), moved
    below an edit that adds lines, are those of the edited text linted whole."""
    import io

    from refbook.lint import lint as lint_whole
    from refbook.output.findings import render

    state = _open_saved(tmp_path, monkeypatch, TEXT)
    state._prepare_edits()
    rules = [r for r in RULE_LIST if r.check_all is None]
    saved = lint_whole(Library(BibFile(TEXT, name=state.path)), rules, fixes=False).findings
    out = io.StringIO()
    render(saved, "json", stream=out)
    table = bibfile.read_findings(io.BytesIO(out.getvalue().encode("utf-8")), state.path)
    assert len(table) == len(saved) > 10
    state.take_saved_lint(state.stamp, table)
    at = TEXT.index("@", len(TEXT) // 3)
    new = TEXT[:at] + "@misc{fresh,\n  title = {Fresh},\n}\n\n" + TEXT[at:]
    state.set_buffer(new)
    state.reload()
    reading = state.reading
    assert reading is not None and reading.library is not None
    expected = lint_whole(Library(BibFile(new, name=state.path)), rules, fixes=False).findings
    assert sorted(map(repr, reading.lint(rules) or [])) == sorted(map(repr, expected))


def _position(text: str, offset: int):
    from lsprotocol import types as lsp

    line = text.count("\n", 0, offset)
    return lsp.Position(line, offset - (text.rfind("\n", 0, offset) + 1))


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(edit, min_size=1, max_size=4), min_size=1, max_size=6))
def test_a_buffer_read_by_chunks_from_the_editor_s_changes_equals_the_whole_parse(batches):
    """The editor's changes (several between two readings, as while typing) say where the
    text changed (``textdocs.Edits``), and the reading after them, told that instead of
    comparing the texts, is the whole parse of the text."""
    from lsprotocol import types as lsp
    from pygls.workspace import PositionCodec

    from refbook.lsp.textdocs import SplicedDocument

    doc = SplicedDocument("file:///x.bib", TEXT, 1, position_codec=PositionCodec("utf-32"))
    reading = BibReading.parse(TEXT, "x.bib")
    reading.mark = (doc.edits.serial, doc.edits)
    for batch in batches:
        for where, insert, piece, length in batch:
            text = doc.source
            at = int(where * len(text))
            end = at if insert else min(len(text), at + length)
            change = lsp.TextDocumentContentChangePartial(
                range=lsp.Range(_position(text, at), _position(text, end)),
                text=piece if insert else "",
            )
            doc.apply_change(change)
        new = doc.source
        try:
            expected = whole(new)
        except RefbookError:  # no entry can be read: the whole parse refuses it too
            continue
        # (None: a change pygls made, past the last line: the texts compared)
        span = doc.edits.span(reading.mark[0], doc.edits.serial)
        reading = reading.edit(new, span)
        reading.mark = (doc.edits.serial, doc.edits)
        assert chunked(reading) == expected


def test_an_edit_of_the_open_bib_is_read_without_comparing_the_texts(monkeypatch):
    """The .bib open in the editor and edited: the reading takes where the text changed
    from the editor's changes (comparing two 74 MB texts was ~60 ms per edit), also
    after an edit undone (the file as saved again) and for several changes at once."""
    from lsprotocol import types as lsp

    from refbook.lsp import bibbuffer
    from refbook.lsp.library import LibraryState
    from refbook.lsp.textdocs import SplicedDocument

    doc = SplicedDocument("file:///x.bib", TEXT, 1)
    state = LibraryState("x.bib")  # (no such file: the buffer alone)
    state.set_buffer(doc.source, (doc.edits.serial, doc.edits))
    state.reload()

    def compared(*args: object) -> int:
        raise AssertionError("the old and the new text compared")

    monkeypatch.setattr(bibbuffer, "common_prefix", compared)
    line = TEXT.split("\n").index(next(t for t in TEXT.split("\n") if t.startswith("@"))) + 2
    at = lsp.Position(line, 2)
    for changes in (["x"], [""], ["a", "b"]):
        for text in changes:
            end = lsp.Position(line, 3) if not text else at
            doc.apply_change(lsp.TextDocumentContentChangePartial(lsp.Range(at, end), text))
        state.set_buffer(doc.source, (doc.edits.serial, doc.edits))
        state.reload()
        assert state.reading is not None and state.reading.text is doc.source
        assert chunked(state.reading) == whole(doc.source)


def test_the_bib_s_diagnostics_as_json_made_once_are_those_made_afresh():
    """The .bib's diagnostics are sent as JSON made once per finding and the text of its
    line (``bibfile.chosen_texts``, kept from one edit to the next): after edits that
    move findings to other lines, change their lines' text or their messages, what is
    sent is what converting the diagnostics afresh gives, under the limit and over it."""
    import json

    from refbook.lsp import incremental
    from refbook.lsp.bibfindings import whole as one_chunk

    lines = TEXT.split("\n")
    at = next(i for i, t in enumerate(lines) if t.strip().startswith("title"))
    first = lint(Library(BibFile(TEXT, name="x.bib")), RULE_LIST, fixes=False).findings
    ends = {(f.line or 1) - 1 for f in first[:40]}  # lines of findings, made longer
    texts = [
        TEXT,
        "\n".join(lines[:at] + ["", "  "] + lines[at:]),  # later findings two lines down
        "\n".join(t + "   " if i in ends else t for i, t in enumerate(lines)),
        TEXT.replace("}", "} ", 3),
    ]
    for limit in (0, 5):
        memo: dict = {}
        for text in texts * 2:
            found = lint(Library(BibFile(text, name="x.bib")), RULE_LIST, fixes=False).findings
            sent = bibfile.chosen_texts(text, [], [one_chunk(found)], limit, memo)
            fresh = bibfile.chosen_diagnostics(text, [], [one_chunk(found)], limit)
            assert [json.loads(d) for d in sent] == [incremental.unstructured(d) for d in fresh]
        assert memo
