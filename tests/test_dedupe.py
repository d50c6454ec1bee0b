"""`refbook dedupe` reports copies of a work as one group, whatever their number, and
compares a bounded number of candidate pairs (figures: benchmarks/bench_dedupe.py)."""

from __future__ import annotations

import json

import refbook
from refbook import dedupe
from refbook.lint import lint, select_rules
from refbook.titles import significant_words, title_key

from .conftest import REPO


def entry(
    key: str, title: str, year: int = 2020, author: str = "Zahid, Farhan", doi: str = ""
) -> str:
    extra = f", doi={{{doi}}}" if doi else ""
    return f"@article{{{key}, author={{{author}}}, title={{{title}}}, year={{{year}}}{extra}}}\n"


def test_forty_copies_of_a_work_are_one_group(cli, tmp_path):
    """Before: every pair of copies was a row: 780 rows for 40 copies."""
    bib = tmp_path / "d.bib"
    bib.write_text(
        "".join(
            entry(f"copy{i:02d}", "Dealing with the TTP after the Withdrawal") for i in range(40)
        )
        + entry("other", "Something Else Entirely")
    )
    out = cli("dedupe", "--json", "--bib", str(bib))
    assert out.exit_code == 1
    groups = json.loads(out.stdout)
    assert groups == [
        {
            "keys": [f"copy{i:02d}" for i in range(40)],
            "kind": "same work",
            "confidence": 95,
            "evidence": ["same title", "same year 2020", "same first author"],
        }
    ]


def test_a_shared_doi_joins_copies_whatever_their_titles(tmp_path):
    lib = refbook.loads(
        entry("a", "Dealing with TTP", doi="10.1/X")
        + entry("b", "Dealing with the TTP (preprint)", doi="https://doi.org/10.1/x")
        + entry("c", "Dealing with TTP", doi="10.1/x")
    )
    [group] = dedupe.find_duplicates(list(lib))
    assert (group.keys, group.kind, group.confidence) == (("a", "b", "c"), "same work", 100)
    assert group.evidence[0] == "same DOI 10.1/x"


def test_one_title_in_several_years_is_one_similar_title_group():
    lib = refbook.loads(
        "".join(entry(f"ed{y}", "Editorial Comments", year=y) for y in range(1990, 2000))
        + entry("ed1990b", "Editorial Comments", 1990)
    )
    groups = dedupe.find_duplicates(list(lib))
    same = [g for g in groups if g.kind == "same work"]
    similar = [g for g in groups if g.kind == "similar title"]
    assert [g.keys for g in same] == [("ed1990", "ed1990b")]
    assert [(g.keys, g.confidence, g.evidence) for g in similar] == [
        (tuple(f"ed{y}" for y in range(1990, 2000)), 80, ["same title", "same first author"])
    ]


def test_near_identical_titles_are_a_pair_linking_their_groups():
    a = "The Rise of Taliban in Afghanistan in 2021 and Its Security Implications"
    b = "The Rise of the Taliban in Afghanistan in 2021 and Its Security Implications"
    lib = refbook.loads(
        "".join(entry(f"a{i}", a) for i in range(5)) + "".join(entry(f"b{i}", b) for i in range(5))
    )
    groups = dedupe.find_duplicates(list(lib))
    assert {g.keys for g in groups if g.kind == "same work" and len(g.keys) == 5} == {
        tuple(f"a{i}" for i in range(5)),
        tuple(f"b{i}" for i in range(5)),
    }
    [link] = [g for g in groups if len(g.keys) == 2]
    assert link.keys == ("a0", "b0") and link.evidence[0].startswith("title ")


def test_a_large_block_of_titles_is_still_searched():
    """Hundreds of titles sharing their first two words (a recurring column) exceed a
    block: they are split by the next word, and a near-duplicate among them is found."""
    titles = [
        f"Part Two: {w} notes on hyphenation number {i}"
        for i, w in enumerate(["Typesetting", "Fonts", "Macros"] * 150)
    ]
    text = "".join(
        entry(f"k{i}", t, year=1990 + i % 30, author=f"Author{i}, A.") for i, t in enumerate(titles)
    )
    text += entry(
        "dup",
        "Part Two: Typesetting notes on hyphenation number 3 ",
        year=1993,
        author="Author3, A.",
    )
    text += entry(
        "dup2",
        "Part Two: Typesetting notes on hyphenation numbr 6",
        year=1996,
        author="Author6, A.",
    )
    groups = dedupe.find_duplicates(list(refbook.loads(text)))
    keys = {g.keys for g in groups}
    assert ("k3", "dup") in keys  # the same title once normalised
    assert ("k6", "dup2") in keys  # 98 % similar


def test_copies_cost_no_pairwise_comparisons(monkeypatch):
    """10 copies of 300 works: before, 45 comparisons per work (13,500); now the copies
    are joined by their keys, and only distinct near-identical titles are compared."""
    calls = []
    real = dedupe.compare
    monkeypatch.setattr(dedupe, "compare", lambda a, b: calls.append(1) or real(a, b))
    text = "".join(
        entry(
            f"w{w}c{c}",
            f"Work number {w} on {('TeX', 'fonts', 'macros')[w % 3]}",
            year=2000 + w % 20,
        )
        for w in range(300)
        for c in range(10)
    )
    groups = dedupe.find_duplicates(list(refbook.loads(text)))
    assert sum(g.kind == "same work" for g in groups) == 300
    assert len(calls) < 600


def test_dedupe_reports_the_shipped_pair(cli):
    out = cli("dedupe", "--json", cwd=REPO)
    assert out.exit_code == 1
    pairs = json.loads(out.stdout)
    assert pairs[0]["keys"] == ["anwar2023pakistan", "mir2023pakistan"]
    assert pairs[0]["kind"] == "similar title"
    assert "same title" in pairs[0]["evidence"]


def test_one_title_key_for_dedupe_lint_and_add():
    """However a title is written (LaTeX accents, braces, case, punctuation), dedupe,
    lint's duplicate-title and add's duplicate check see one title: refbook/titles.py."""
    written = [
        r"{Schr{\"o}der's} {Border}: A History",
        "Schröder’s border — a history",
        "SCHRODER'S BORDER, A HISTORY",
    ]
    assert len({title_key(t) for t in written}) == 1
    assert significant_words(title_key("The Border of the State")) == ["border", "state"]
    source = "".join(entry(f"k{i}", t, author=f"Author{i}, A.") for i, t in enumerate(written))
    lib = refbook.loads(source)
    [group] = dedupe.find_duplicates(list(lib))
    assert set(group.keys) == {"k0", "k1", "k2"} and "same title" in group.evidence
    found = lint(lib, select_rules(["duplicate-title"])).findings
    assert sorted(f.key for f in found) == ["k1", "k2"]  # each a copy of k0's title


def test_compare_gives_its_evidence():
    lib = refbook.loads(
        entry("a", "Dealing with the TTP", doi="10.1/X")
        + entry("b", "Dealing with the TTP", doi="https://doi.org/10.1/x")
        + entry("c", "Dealing with the TTP", year=2021)
        + entry("d", "Something else entirely")
    )
    same_doi = dedupe.compare(lib["a"], lib["b"])
    assert same_doi is not None and same_doi.evidence == ["same DOI 10.1/x"]
    assert same_doi.confidence == 100
    same_title = dedupe.compare(lib["a"], lib["c"])
    assert same_title is not None and same_title.evidence[0] == "same title"
    assert "same first author" in same_title.evidence
    assert dedupe.compare(lib["a"], lib["d"]) is None
