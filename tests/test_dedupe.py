"""`refbook dedupe` reports copies of a work as one group, whatever their number, and
compares a bounded number of candidate pairs (figures: benchmarks/bench_dedupe.py)."""

from __future__ import annotations

import json

import refbook
from refbook import dedupe


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
