"""Diagnostics after an edit, parsed by segments (refbook.lsp.incremental), equal those of
the whole document parsed again: on random documents and random edits that join and
split paragraphs, open and close code fences and front matter, and cut citations."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from refbook.lsp import features, incremental
from refbook.lsp.features import Document
from refbook.lsp.library import Snapshot, load_library

BIB = """\
@book{knuth1984literate,
  author = {Knuth, Donald E.},
  title = {Literate Programming},
  year = {1984},
}
@article{zahid2023dealing,
  author = {Zahid, Farhan},
  title = {Dealing with the TTP},
  year = {2023},
}
@article{zahid2023other,
  author = {Zahid, Farhan},
  title = {Another paper},
  year = {2023},
}
"""

MARKDOWN_LINES = [
    "",
    "",
    "Some prose about programs.",
    "As [@knuth1984literate, p. 4] shows.",
    "Unknown [@nokey2020] here.",
    "[see @zahid2023dealing; @missing",
    "also @knuth1984literate] and more",
    "@zahid2023dealing says so",
    "(Knuth, 1984) and (Smith, 2020).",
    "Knuth (1984) wrote; Knuth (1999) did not.",
    "(Zahid,",
    "2023) across lines",
    "Zahid (2023) is ambiguous.",
    "Smith and",
    "Jones (2021) argued",
    "```",
    "~~~",
    "code @insidecode and (Knuth, 1984)",
    "`inline @code",
    "still` code",
    "---",
    "title: x",
    "bibliography: refs.bib",
    "...",
    "# References",
    "# Method",
    "Knuth, D. E. (1984). Literate programming. Journal.",
    "A year in a link: Knuth [1984](#ref).",
    "[2023](https://x.org/@nokey) link",
    "@fig-map and @sec:intro are cross-references.",
    "`a` @nokey3 `b`",
]

LATEX_LINES = [
    "",
    "Prose with \\cite{knuth1984literate} here.",
    "\\parencite[p.~4]{zahid2023dealing,nokey}",
    "\\cites{knuth1984literate}{",
    "nokey2}",
    "\\cite{knuth1984literate,",
    "  unknownkey}",
    "% \\cite{commented}",
    "\\begin{thebibliography}{9}",
    "\\bibitem{x} \\cite{inbib}",
    "\\end{thebibliography}",
    "(Knuth, 1984) prose",
]


def snapshot() -> Snapshot:
    return Snapshot(load_library("refs.bib", text=BIB), "refs.bib")


def document(lines: list[str], language: str) -> Document:
    return Document("file:///tmp/doc", "\n".join(lines) + "\n", language)


def edits(vocabulary: list[str]) -> st.SearchStrategy:
    """A document and edits, each replacing a run of its lines by others."""
    line = st.sampled_from(vocabulary)
    edit = st.tuples(st.integers(0, 60), st.integers(0, 4), st.lists(line, max_size=4))
    return st.tuples(st.lists(line, max_size=60), st.lists(edit, min_size=1, max_size=8))


def check(lines: list[str], steps: list, language: str) -> None:
    snap = snapshot()
    for at, drop, insert in [(0, 0, []), *steps]:
        at = min(at, len(lines))
        lines = lines[:at] + insert + lines[at + drop :]
        doc = document(lines, language)
        expected = features.manuscript_diagnostics(doc, snap)
        assert incremental.manuscript_diagnostics(document(lines, language), snap) == expected
        # and as the JSON the server sends (made once per diagnostic, moved by lines)
        sent = incremental.manuscript_diagnostics(document(lines, language), snap, True)
        assert incremental.structured(sent) == expected


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(edits(MARKDOWN_LINES))
def test_markdown_by_segments_equals_the_whole_parse(case: tuple) -> None:
    check(*case, "markdown")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(edits(LATEX_LINES))
def test_latex_by_segments_equals_the_whole_parse(case: tuple) -> None:
    check(*case, "latex")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(edits(MARKDOWN_LINES))
def test_plain_text_by_segments_equals_the_whole_parse(case: tuple) -> None:
    check(*case, "text")


def test_an_edit_reparses_one_segment_of_a_long_document(monkeypatch) -> None:
    """2,000 lines of paragraphs: an edit in the middle parses only its paragraph."""
    lines = []
    for i in range(400):
        lines += [f"Para {i} cites [@knuth1984literate] and [@nokey{i}].", f"More {i}.", ""]
    snap = snapshot()
    incremental.manuscript_diagnostics(document(lines, "markdown"), snap)
    parsed: list[str] = []
    real = incremental.ms.find_key_citations

    def spy(text: str, *args: object, **kw: object) -> list:
        parsed.append(text)
        return real(text, *args, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(incremental.ms, "find_key_citations", spy)
    lines[600] = "Para 200 now cites [@nokeyedited]."
    found = incremental.manuscript_diagnostics(document(lines, "markdown"), snap)
    (segment,) = parsed  # that paragraph (or its first line), nothing else
    assert "Para 200 now cites [@nokeyedited].\n".startswith(segment) or segment.startswith(
        "Para 200 now cites [@nokeyedited].\n"
    )
    assert len(segment) <= len("Para 200 now cites [@nokeyedited].\nMore 200.\n\n")
    assert found == features.manuscript_diagnostics(document(lines, "markdown"), snap)
    assert [d.message for d in found if d.range.start.line == 600] == [
        "no entry with key nokeyedited"
    ]


KEYS = ["knuth1984literate", "zahid2023dealing", "zahid2023other", "nokey", "missing", "nokey3"]


def bib_with(keys: list[str]) -> str:
    return "".join(
        f"@article{{{key},\n  author = {{{'Zahid, Farhan' if 'zahid' in key else 'Knuth, Donald'}}},"
        f"\n  title = {{T {key}}},\n  year = {{{2023 if 'zahid' in key else 1984}}},\n}}\n"
        for key in keys
    )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.sampled_from(MARKDOWN_LINES), max_size=40),
    st.lists(st.lists(st.sampled_from(KEYS), min_size=1, max_size=6, unique=True), max_size=6),
)
def test_after_edits_of_the_bib_a_manuscript_s_diagnostics_equal_the_whole_parse(lines, bibs):
    """Each edit of the .bib a new reading (``Snapshot.follow``: segments judged before
    kept where none of their keys changed): the same as judging the document afresh."""
    doc = document(lines, "markdown")
    snap = snapshot()
    incremental.manuscript_diagnostics(doc, snap, True)
    for keys in bibs:
        after = Snapshot(load_library("refs.bib", text=bib_with(keys)), "refs.bib")
        after.follow(snap)
        after.prepare()
        snap = after
        sent = incremental.manuscript_diagnostics(document(lines, "markdown"), snap, True)
        assert incremental.structured(sent) == features.manuscript_diagnostics(doc, snap)


AUTHORS = ["Zahid, Farhan", "Knuth, Donald", "Smith, Ann", "Jones, Bo and Smith, Ann", None]
PROSE_LINES = [
    "",
    "(Knuth, 1984) here.",
    "(Zahid, 2023) says.",
    "(Smith, 2020) and (Smith, 2021).",
    "Jones and Smith (2020) argued.",
    "Smith et al. (2021) too.",
    "@k1 and [@k2; @k5]",
]


def prose_bib(entries: dict[int, tuple[str, int]]) -> str:
    return "".join(
        f"@article{{k{i},\n  author = {{{author}}},\n  title = {{T{i}}},\n  year = {{{year}}},\n}}\n"
        for i, (author, year) in sorted(entries.items())
    )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.sampled_from(PROSE_LINES), min_size=1, max_size=30),
    st.lists(
        st.tuples(
            st.integers(0, 5), st.sampled_from(AUTHORS), st.sampled_from([1984, 2020, 2021, 2023])
        ),
        min_size=1,
        max_size=8,
    ),
)
def test_prose_findings_after_edits_of_the_bib_read_by_chunks_equal_the_whole_parse(lines, steps):
    """The .bib open and edited (a reading by chunks, its author-year matcher patched
    at each edit): a manuscript's diagnostics, with what the reading before judged kept
    where the edit changed none of a segment's first authors' entries, are those of the
    same .bib read afresh."""
    from refbook.lsp.library import LibraryState

    entries = {i: (AUTHORS[i % 4], 2020 + i % 3) for i in range(6)}
    state = LibraryState("/nonexistent/refs.bib")
    state.set_buffer(prose_bib(entries))
    state.reload()
    doc = document(lines, "markdown")
    incremental.manuscript_diagnostics(doc, state.snapshot, True)
    for i, author, year in steps:
        if author is None:
            entries.pop(i, None)
        else:
            entries[i] = (author, year)
        if not entries:
            continue
        text = prose_bib(entries)
        state.set_buffer(text)
        state.reload()
        snap = state.snapshot
        sent = incremental.manuscript_diagnostics(document(lines, "markdown"), snap, True)
        fresh = Snapshot(load_library("refs.bib", text=text), "refs.bib")
        assert incremental.structured(sent) == features.manuscript_diagnostics(doc, fresh)


def test_a_bib_edit_judges_again_only_the_prose_of_the_authors_it_changed(monkeypatch):
    """After an edit of the open .bib that patches its matcher, the manuscript's prose
    citations of other first authors are not matched again (each edit of a 100k-entry
    .bib would otherwise match every one), and those of the author edited are."""
    from refbook.lsp.library import LibraryState
    from refbook.manuscript import Matcher

    entries = {i: (AUTHORS[i % 4], 2020 + i % 3) for i in range(6)}
    state = LibraryState("/nonexistent/refs.bib")
    state.set_buffer(prose_bib(entries))
    state.reload()
    lines = ["(Knuth, 1984) here.", "", "(Smith, 2023) says.", "", "(Zahid, 2021) too."]
    incremental.manuscript_diagnostics(document(lines, "markdown"), state.snapshot, True)
    matched: list[str] = []
    real = Matcher.match

    def match(self: Matcher, c):  # type: ignore[no-untyped-def]
        matched.append(c.text)
        return real(self, c)

    monkeypatch.setattr(Matcher, "match", match)
    entries[2] = ("Smith, Ann", 2023)  # (it was 2022)
    state.set_buffer(prose_bib(entries))
    state.reload()
    assert state.snapshot.matcher.patched_from is not None
    sent = incremental.manuscript_diagnostics(document(lines, "markdown"), state.snapshot, True)
    assert matched == ["(Smith, 2023)"]
    assert [d["message"] for d in sent if "Smith" in d["message"]] == []
