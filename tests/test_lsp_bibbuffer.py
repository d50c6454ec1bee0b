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


edits = st.lists(
    st.tuples(st.floats(0, 1), st.booleans(), st.sampled_from(PIECES), st.integers(1, 60)),
    min_size=1,
    max_size=20,
)


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
    assert bibfile.read_findings(_Trickle(empty.getvalue().encode(), 3), "a.bib") == []


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
