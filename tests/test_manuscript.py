"""refbook cite-check: citations found in every syntax, matched, with positions; the
paper behind the shipped bibliography as real data."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import refbook
from refbook.manuscript import CitationStatus, cited_keys, find_citations

from .conftest import FIXTURES, REPO

M = FIXTURES / "manuscripts"
REFS = str(M / "refs.bib")

# Every in-text citation of the paper's body, read off the paper by hand (line, text, key).
PAPER_CITATIONS = [
    (27, "(Chaudhuri & Shende, 2020)", "chaudhuri2020dealing"),
    (29, "(Siddiqui, 2020)", "siddiqui2020irrefutable"),
    (37, "(Khurasani, 2022)", "khurasani2022tehrikitaliban"),
    (39, "(Adeeb & Shabbir, 2018)", "adeeb2018pakistan"),
    (39, "(Biddle, 2019)", "biddle2019afghanistan"),  # written "(Biddle (Biddle, 2019))"
    (39, "(Mir, 2023)", "mir2023pakistan"),
    (41, "(Idrees & Naazer, 2022)", "idrees2022dynamics"),
    (41, "(Sakhi, 2022)", "sakhi2022taliban"),
    (43, "(Ehsan & Bilal, 2022)", "ehsan2022sco"),
    (43, "(Wani, 2022)", "wani2022geopolitical"),
    (103, "(Zahid, 2023)", "zahid2023dealing"),
    (107, "(Jan & Islam, 2022)", "jan2022rise"),
    (111, "(Altaf, Zahid, & Sial, 2022)", "altaf2022critical"),
    (115, "(Mehlman & Hess, 2022)", "mehlman2022comparative"),
    (
        117,
        "(Akram & Riaz, *Pak-Afghan Relations: A Case of Taliban Regime Past and Present*, 2023)",
        "akram2023pak",
    ),
    (145, "(Aimal, [2021](#))", "aimal2021evolution"),
    (149, "(Kaura, [2022](#))", "kaura2022pakistan"),
    (153, "(Siddique, [2023](#))", "siddique2023collision"),
    (157, "(PTI, [2023](#))", "pti2023pakistan"),
    (163, "(Khan, [2023](#))", "khan2023trading"),
    (163, "(Akram, *Pak Afghan Economic Ties: Opening New Vistas*, [2022](#))", "akram2022pak"),
    (165, "(Kuo, [2023](#))", "kuo2023china"),
    (171, "(Anwar, Salikuddin, & Watkins, [2023](#))", "anwar2023pakistan"),
    (173, "(Firdous, [2023](#))", "firdous2023ttps"),
    (177, "(Kugelman, 2023)", "kugelman2023pakistans"),
    (179, "(Dawi, 2023)", "dawi2023pakistan"),
]


def test_the_paper_every_citation_found_and_matched(cli, paper):
    out = cli("cite-check", str(paper), "--json", cwd=REPO)
    assert out.exit_code == 0, out.stdout
    data = json.loads(out.stdout)
    got = [(c["line"], c["text"], c["keys"]) for c in data["citations"]]
    assert got == [(line, text, [key]) for line, text, key in PAPER_CITATIONS]
    assert all(c["status"] == "matched" for c in data["citations"])
    # every reference is cited; only the paper's own entry is not
    assert data["uncited"] == ["kaleem2023understanding"]


def test_the_paper_no_false_hits_and_reference_list_skipped(paper):
    text = paper.read_text()
    cites = find_citations(text, str(paper))
    lines = {c.line for c in cites}
    assert 13 not in lines  # "(Fall 2023)"
    assert 19 not in lines  # the paper's own citation line "Kaleem, M., & Iqbal, S. (2023)."
    ref_start = next(
        i for i, ln in enumerate(text.splitlines(), 1) if ln.startswith("## References")
    )
    assert max(lines) < ref_start


def test_the_paper_uncited_with_ignore_list(cli, paper):
    out = cli("cite-check", str(paper), "--uncited", "--fail-on", "uncited", cwd=REPO)
    assert out.exit_code == 1
    assert out.stdout.strip().endswith("[uncited-entry] kaleem2023understanding: never cited")
    ok = cli(
        "cite-check",
        str(paper),
        "--fail-on",
        "uncited",
        "--ignore",
        "kaleem2023understanding",
        cwd=REPO,
    )
    assert ok.exit_code == 0 and ok.stdout == ""


def _check(cli, name, *extra):
    out = cli("cite-check", str(M / name), "--bib", REFS, "--json", *extra)
    return out, json.loads(out.stdout)


def test_markdown_essay_all_syntaxes_and_statuses(cli):
    out, data = _check(cli, "essay.md")
    assert out.exit_code == 1
    got = [
        (c["line"], c["column"], c["syntax"], c["status"], c["keys"] or c["candidates"])
        for c in data["citations"]
    ]
    assert got == [
        (3, 19, "pandoc", "matched", ["schroder2019", "who2021"]),
        (3, 56, "pandoc", "matched", ["garcia2018"]),
        (4, 1, "pandoc", "matched", ["smith2020first"]),
        (5, 16, "pandoc", "missing", []),
        (7, 9, "prose", "matched", ["schroder2019"]),
        (7, 38, "prose", "matched", ["garcia2018"]),
        (8, 2, "prose", "matched", ["garcia2018"]),
        (8, 41, "prose", "matched", ["who2021"]),
        (9, 2, "prose", "matched", ["schroder2019"]),
        (9, 26, "prose", "matched", ["who2021"]),
        (9, 49, "prose", "matched", ["smith2020first"]),
        (9, 67, "prose", "matched", ["schroder2019"]),
        (10, 5, "prose", "matched", ["who2021"]),
        (10, 42, "prose", "matched", ["smith2020second"]),
        (12, 14, "prose", "year-mismatch", ["schroder2019"]),
        (12, 51, "prose", "ambiguous", ["smith2020first", "smith2020second"]),
        (12, 75, "prose", "missing", []),
        (13, 15, "prose", "matched", ["smith2020second"]),
    ]
    assert data["uncited"] == ["uncited2017"]
    assert data["summary"] == {"matched": 14, "ambiguous": 1, "year-mismatch": 1, "missing": 2}


def test_plain_lines(cli):
    out = cli("cite-check", str(M / "essay.md"), "--bib", REFS)
    lines = out.stdout.splitlines()
    assert f"{M / 'essay.md'}:12:75: error: [missing-citation] (Jones, 2021): no entry" in lines
    assert (
        f"{M / 'essay.md'}:12:14: error: [year-mismatch] (Schroder & Weber, 2015): no entry "
        "of that year; schroder2019 is 2019"
    ) in lines
    assert len(lines) == 4


def test_latex(cli):
    out, data = _check(cli, "essay.tex")
    got = [(c["line"], c["column"], c["status"], c["keys"]) for c in data["citations"]]
    assert got == [
        (3, 13, "matched", ["schroder2019"]),
        (3, 41, "matched", ["garcia2018", "who2021"]),
        (4, 1, "matched", ["smith2020first"]),
        (4, 25, "matched", ["smith2020second"]),
        (4, 62, "missing", []),
        (6, 12, "matched", ["who2021"]),
        (7, 1, "matched", ["uncited2017"]),
    ]
    assert data["uncited"] == []  # \nocite counts


def test_nocite_star_and_syntax_option(tmp_path, cli):
    tex = tmp_path / "all.txt"
    tex.write_text("\\nocite{*}\n")
    for option in ("--markup", "--syntax"):  # --syntax: the option's first name, kept
        out = cli("cite-check", str(tex), option, "latex", "--bib", REFS, "--json")
        assert json.loads(out.stdout)["uncited"] == []


def test_github_and_sarif(cli):
    gh = cli("cite-check", str(M / "essay.md"), "--bib", REFS, "--format", "github").stdout
    assert (
        f"::error file={M / 'essay.md'},line=12,col=75,title=(Jones%2C 2021) "
        "[missing-citation]::no entry" in gh
    )
    sarif = json.loads(
        cli("cite-check", str(M / "essay.md"), "--bib", REFS, "--format", "sarif").stdout
    )
    assert len(sarif["runs"][0]["results"]) == 4


def test_cited_keys_api_and_export_cited_in(cli):
    lib = refbook.load(REFS)
    assert cited_keys(lib, [str(M / "essay.tex")]) == [
        "smith2020first",
        "smith2020second",
        "schroder2019",
        "garcia2018",
        "who2021",
        "uncited2017",
    ]
    out = cli("export", "--cited-in", str(M / "essay.md"), "--format", "json", "--bib", REFS)
    assert [e["id"] for e in json.loads(out.stdout)] == [
        "smith2020first",
        "smith2020second",
        "schroder2019",
        "garcia2018",
        "who2021",
    ]


ESSAY = (
    "# Essay\n\nThe TTP regrouped [@zahid2023dealing, p. 4; @biddle2019afghanistan], "
    "as @kuo2023china notes.\n"
)


def test_render_markdown_with_reference_list(cli, tmp_path):
    essay = tmp_path / "essay.md"
    essay.write_text(ESSAY)
    out = cli("render", str(essay), cwd=REPO)
    assert out.exit_code == 0
    assert "The TTP regrouped (Biddle, 2019; Zahid, 2023, p. 4), as Kuo (2023) notes." in out.stdout
    assert "# References" in out.stdout
    assert (
        "Biddle, S. (2019). Afghanistan after America. *Foreign Affairs*, *98*(1), 116–128."
        in out.stdout
    )
    assert "nocase" not in out.stdout and "Mir, A." not in out.stdout  # only cited works


def test_render_annotated_other_style_and_heading(cli, tmp_path):
    essay = tmp_path / "essay.md"
    essay.write_text(ESSAY)
    out = cli(
        "render", str(essay), "--annotated", "--style", "ieee", "--heading", "Works", cwd=REPO
    ).stdout
    assert "# Works" in out and "\\[1\\]" in out
    assert "> Interview-based piece on extending the China-Pakistan Economic Corridor" in out


def test_render_docx_and_html(cli, tmp_path):
    essay = tmp_path / "essay.md"
    essay.write_text(ESSAY)
    target = tmp_path / "essay.docx"
    assert cli("render", str(essay), "--to", "docx", "-o", str(target), cwd=REPO).exit_code == 0
    assert target.read_bytes()[:2] == b"PK"
    html = cli("render", str(essay), "--to", "html", cwd=REPO).stdout
    assert html.startswith("<!DOCTYPE html>") and 'href="#ref-zahid2023dealing"' in html
    assert cli("render", str(essay), "--to", "docx", cwd=REPO).exit_code == 2


def test_render_stops_on_missing_citation(cli, tmp_path):
    essay = tmp_path / "bad.md"
    essay.write_text("Missing [@nobody2020] here.\n")
    out = cli("render", str(essay), cwd=REPO)
    assert out.exit_code == 1 and out.stdout == ""
    assert (
        f"{essay}:1:9: error: [missing-citation] [@nobody2020]: no entry with key nobody2020"
        in out.stderr
    )
    anyway = cli("render", str(essay), "--allow-missing", cwd=REPO)
    assert anyway.exit_code == 0 and "Missing (**nobody2020?**) here." in anyway.stdout


def test_render_json(cli, tmp_path):
    essay = tmp_path / "essay.md"
    essay.write_text(ESSAY)
    out = json.loads(cli("render", str(essay), "--json", cwd=REPO).stdout)
    assert out["rendered"] is True and out["problems"] == []
    assert out["cited"] == ["biddle2019afghanistan", "kuo2023china", "zahid2023dealing"]
    assert out["text"] == cli("render", str(essay), cwd=REPO).stdout
    bad = tmp_path / "bad.md"
    bad.write_text("Missing [@nobody2020] here.\n")
    failed = cli("render", str(bad), "--json", cwd=REPO)
    assert failed.exit_code == 1
    report = json.loads(failed.stdout)
    assert report["rendered"] is False and "text" not in report
    assert [p["text"] for p in report["problems"]] == ["[@nobody2020]"]


@pytest.mark.parametrize("status", list(CitationStatus))
def test_cite_check_exit_code_comes_from_the_status_not_its_message(cli, monkeypatch, status):
    """Statuses are an enum carrying their rule and CI meaning: rewording a message cannot
    change what fails.  Before: the exit code compared with the literal "matched"."""
    from refbook.manuscript import Matcher

    def match(self, c):
        c.status, c.message = status, "worded like nothing before"
        return c

    monkeypatch.setattr(Matcher, "match", match)
    out = cli("cite-check", str(M / "essay.md"), "--bib", REFS, "--format", "sarif")
    assert out.exit_code == (0 if status is CitationStatus.MATCHED else 1)
    rules = {r["ruleId"] for r in json.loads(out.stdout)["runs"][0]["results"]}
    assert rules == ({status.rule} if status.rule else set())
    data = json.loads(cli("cite-check", str(M / "essay.md"), "--bib", REFS, "--json").stdout)
    assert list(data["summary"]) == ["matched", "ambiguous", "year-mismatch", "missing"]
    assert {c["status"] for c in data["citations"]} == {status.value}


# -- the forms the language server needs: key offsets, natbib/biblatex, Typst, Quarto -----


def _keys(text: str, syntax: str) -> list[tuple[str, str]]:
    """(key, the text at its offsets) for every key citation."""
    from refbook.manuscript import find_key_citations

    return [
        (k, text[a:b])
        for c in find_key_citations(text, syntax)
        for k, (a, b) in zip(c.keys, c.spans)
    ]


def test_key_offsets_are_exact_in_pandoc_syntax():
    text = "See [@{odd key}, p. 4; -@b2] and @c3. Also [see @d4:]"
    assert _keys(text, "pandoc") == [
        ("odd key", "odd key"),
        ("b2", "b2"),
        ("c3", "c3"),
        ("d4", "d4"),
    ]


def test_natbib_and_biblatex_forms_with_multicite():
    text = (
        "\\citealp[see][p.~4]{a1, a2} \\Citeauthor*{b} \\citeyearpar{c} \\citenum{d}\n"
        "\\cites[p.~1]{e}[p.~2]{f,g} \\supercite{h} \\citetitle{i} % \\cite{comment}\n"
    )
    assert [k for k, _ in _keys(text, "latex")] == [
        "a1",
        "a2",
        "b",
        "c",
        "d",
        "e",
        "f",
        "g",
        "h",
        "i",
    ]
    assert all(k == at for k, at in _keys(text, "latex"))


def test_typst_references_and_cite_calls():
    text = (
        "= Intro <intro>\n"
        'As @knuth84 shows (#cite(<lamport94>, supplement: [p. 7])) and #cite(label("x-1")).\n'
        "See @intro, mail a@b.org, `@code` // @comment\n"
        "/* @block */ @last.\n"
    )
    assert _keys(text, "typst") == [
        ("knuth84", "knuth84"),
        ("lamport94", "lamport94"),
        ("x-1", "x-1"),
        ("last", "last"),
    ]


def test_quarto_crossrefs_and_front_matter_are_not_citations():
    text = "---\ntitle: x\nauthor: me @home\n---\nSee @fig-map and [@sec:intro; @real] and \\@ref(x).\n"
    assert [k for k, _ in _keys(text, "pandoc")] == ["real"]


def test_rename_in_a_typst_manuscript(tmp_path):
    from refbook.edits import rename_in_manuscript

    text, count = rename_in_manuscript("@old and #cite(<old>) and @older\n", "old", "new", "typst")
    assert (text, count) == ("@new and #cite(<new>) and @older\n", 2)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "Smith",
                "Jones",
                " ",
                "\n",
                "and",
                " & ",
                ", ",
                "et al.",
                "'s",
                "(2020)",
                "(n.d.)",
                "(2020, p. 4)",
                "van",
                "de",
                "x",
                ".",
                "(",
                ")",
                "[",
                "@k",
                "Ann-Marie",
                "O'Neil",
            ]
        ),
        max_size=40,
    )
)
def test_narrative_scan_finds_what_a_full_scan_finds(parts: list[str]) -> None:
    """The narrative citations are looked for only before a year in parentheses; the
    matches are exactly those of the pattern run over the whole text."""
    from refbook.manuscript import _NARRATIVE, _narrative_matches

    text = "".join(parts)
    assert [m.span() for m in _narrative_matches(text)] == [
        m.span() for m in _NARRATIVE.finditer(text)
    ]


_NAMES = ["Smith", "Jones", "Khan", "Lee"]
_RECORD = st.tuples(
    st.lists(st.sampled_from(_NAMES), min_size=1, max_size=3),
    st.integers(2019, 2021),
    st.sampled_from(["Alpha", "Beta", "Gamma"]),
)


def _matcher_of(records: list[tuple[str, list[str], int, str, float]]):
    from refbook.manuscript import Cited, Matcher

    cited = [Cited(key, year, title, pos) for key, _n, year, title, pos in records]
    return Matcher(cited, {}, [names for _k, names, *_ in records])


def _answers(matcher) -> list[tuple]:
    from refbook.manuscript import Citation

    out = []
    for first in _NAMES:
        for second in ["", *_NAMES]:
            for year in ("2019", "2020", "2020a", "2020b", "2021", "n.d."):
                for et_al in (False, True):
                    authors = [first, second] if second else [first]
                    c = Citation("m.md", 1, 1, "x", "prose", [], authors, et_al, year)
                    c = matcher.match(c)
                    out.append((c.status, c.matched, c.candidates, c.message))
    return out


@settings(max_examples=150, deadline=None)
@given(
    st.lists(_RECORD, min_size=1, max_size=12),
    st.lists(st.integers(0, 11), max_size=5),
    st.lists(st.tuples(st.floats(0, 1), _RECORD), max_size=5),
)
def test_a_patched_matcher_matches_as_one_built_after_the_change(records, gone, added):
    """The language server patches the author-year matcher after an edit of the .bib
    (``Matcher.patched``: the entries taken out and put in, each at its place in the
    file) instead of building it again from 100k entries: every citation matches,
    with the same candidates and messages in the same order, as with a matcher built
    from the entries after the change."""
    before = [
        (f"k{i}", names, year, title, float(i)) for i, (names, year, title) in enumerate(records)
    ]
    out = {before[i % len(before)][0] for i in gone}
    after = [r for r in before if r[0] not in out]
    new = []
    for j, (where, (names, year, title)) in enumerate(added):
        pos = where * len(before) + j * 1e-6 + 1e-9  # (between the places of others)
        new.append((f"n{j}", names, year, title, pos))
    after = sorted(after + new, key=lambda r: r[4])
    from refbook.manuscript import Cited

    patched = _matcher_of(before).patched(
        sorted(out),
        [Cited(k, year, title, pos) for k, _n, year, title, pos in new],
        [names for _k, names, *_ in new],
    )
    assert patched is not None
    assert _answers(patched) == _answers(_matcher_of(after))
    assert [e.key for e in patched.entries] == [r[0] for r in after]


@settings(max_examples=200, deadline=None)
@given(
    st.lists(_RECORD, min_size=1, max_size=12),
    st.lists(st.integers(0, 11), max_size=5),
    st.lists(st.tuples(st.floats(0, 1), st.one_of(_RECORD, st.integers(0, 11))), max_size=5),
)
def test_a_patched_matcher_says_which_first_authors_may_match_otherwise(records, gone, added):
    """``Matcher.patched`` says which first authors' entries it changed (the language
    server judges again only the author-year citations of those after an edit of the
    .bib): a citation of any other first author matches as before the patch, also when
    entries taken out are put back as they were, at the same place among the others or
    elsewhere."""
    from refbook.manuscript import Cited, _name_key

    before = [
        (f"k{i}", names, year, title, float(i)) for i, (names, year, title) in enumerate(records)
    ]
    out = {before[i % len(before)][0] for i in gone}
    new = []
    for j, (where, record) in enumerate(added):
        pos = where * len(before) + j * 1e-6 + 1e-9  # (between the places of others)
        if isinstance(record, int):  # an entry taken out, put back as it was
            key, names, year, title, _pos = before[record % len(before)]
            if key not in out or key in {r[0] for r in new}:
                continue
        else:
            key, (names, year, title) = f"n{j}", record
        new.append((key, names, year, title, pos))
    matcher = _matcher_of(before)
    patched = matcher.patched(
        sorted(out),
        [Cited(k, year, title, pos) for k, _n, year, title, pos in new],
        [names for _k, names, *_ in new],
    )
    assert patched is not None
    after = sorted([r for r in before if r[0] not in out] + new, key=lambda r: r[4])
    assert _answers(patched) == _answers(_matcher_of(after))
    ((was, touched),) = list(patched.ancestors())
    assert was is matcher
    for first, then, now in zip(_firsts(), _answers(matcher), _answers(patched)):
        if _name_key(first) not in touched:
            assert then == now


def _firsts() -> list[str]:
    """The first author of each citation ``_answers`` matches, in its order."""
    return [first for first in _NAMES for _ in range((1 + len(_NAMES)) * 6 * 2)]
