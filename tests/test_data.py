"""The shipped references.bib: the paper's 26 references plus the paper itself, accurate,
annotated, and with the source list's defects repaired and recorded."""

from __future__ import annotations

import re

import pytest

import refbook

from .conftest import SHIPPED_BIB

# minimal required fields per entry type (BibLaTeX data model; "a|b" means either)
REQUIRED = {
    "article": ["author", "title", "journal|journaltitle", "year|date"],
    "book": ["author|editor", "title", "publisher|organization", "year|date"],
    "incollection": ["author", "title", "booktitle", "year|date"],
    "report": ["author", "title", "institution", "year|date"],
    "online": ["title", "url", "year|date"],
    "misc": ["title", "year|date"],
}
KEY_PATTERN = re.compile(r"^[a-z]+\d{4}[a-z0-9]+$")
DOI = re.compile(r"^10\.\d{4,9}/\S+$")
URL = re.compile(r"^https?://[A-Za-z0-9.-]+(/[A-Za-z0-9._~:/?#\[\]@!$&'()*+,;=%-]*)?$")


@pytest.fixture(scope="module")
def lib():
    return refbook.load(SHIPPED_BIB)


def test_27_entries_and_no_parse_problems(lib):
    assert len(lib) == 27
    assert lib.problems == []


def test_keys_follow_one_pattern_and_are_unique(lib):
    keys = lib.keys()
    assert all(KEY_PATTERN.match(k) for k in keys), [k for k in keys if not KEY_PATTERN.match(k)]
    assert len({k.lower() for k in keys}) == len(keys)
    for e in lib:
        first = e.authors[0].family if e.authors else ""
        stem = re.sub(r"[^a-z]", "", refbook.model.fold(first))
        assert e.key.startswith(stem + str(e.year)), e.key


@pytest.mark.parametrize("entry_type", sorted(REQUIRED))
def test_required_fields_per_type(lib, entry_type):
    for e in lib:
        if e.type != entry_type:
            continue
        for need in REQUIRED[entry_type]:
            assert any(e.get(name) for name in need.split("|")), (e.key, need)


def test_every_type_is_known(lib):
    assert {e.type for e in lib} <= set(REQUIRED)


def test_dois_and_urls_are_clean(lib):
    for e in lib:
        if e.get("doi"):
            assert DOI.match(e["doi"]), (e.key, e["doi"])
            assert not e["doi"].lower().startswith(("http", "doi:"))
        if e.get("url"):
            url = e["url"]
            assert URL.match(url), (e.key, url)
            assert "\\" not in url and "{" not in url and " " not in url
            assert not url.endswith((".", ",", "}")), (e.key, url)
            # hyphenation artefacts of the printed list ("pakist-an", "ch" + "ina-...")
            assert not re.search(r"pakist-an|/ch/|afghani-stan|tali-ban", url), (e.key, url)


def test_every_entry_is_annotated_with_keywords(lib):
    for e in lib:
        sentences = [s for s in re.split(r"(?<=[.!?])\s+", e.annotation) if s.strip()]
        assert 1 <= len(sentences) <= 4, (e.key, e.annotation)
        assert len(e.keywords) >= 2, e.key


def test_the_papers_own_entry(lib):
    e = lib["kaleem2023understanding"]
    assert [p.family for p in e.authors] == ["Kaleem", "Iqbal"]
    assert e.container == "Global Foreign Policies Review"
    assert (e.volume, e.number, e.pages, e.year) == ("VI", "IV", "21–36", 2023)
    assert e.doi == "10.31703/gfpr.2023(vi-iv).03"


def _entry_by(lib, family: str, year: int):
    found = [e for e in lib if e.authors and e.authors[0].family == family and e.year == year]
    assert len(found) == 1, (family, year, found)
    return found[0]


def test_source_defects_are_repaired(lib):
    dawi = _entry_by(lib, "Dawi", 2023)
    assert (
        "/a/pakistan-seeks-us-help-against-pakistani-taliban-in-afghanistan/7397076.html"
        in dawi.url
    )
    kuo = _entry_by(lib, "Kuo", 2023)
    assert kuo.url == (
        "https://thediplomat.com/2023/06/china-pakistan-and-the-taliban-cpec-in-afghanistan/"
    )
    biddle = _entry_by(lib, "Biddle", 2019)
    assert (biddle.volume, biddle.number) == ("98", "1")
    wani = _entry_by(lib, "Wani", 2022)
    assert (wani.volume, wani.number) == ("78", "4")
    assert wani.doi == "10.1177/09749284221127807"


def test_repairs_are_recorded_next_to_the_entry(lib):
    """Nothing is silently changed: each repaired entry has a '% Repair:' comment above it."""
    text = SHIPPED_BIB.read_text(encoding="utf-8")
    for family, year in (("Dawi", 2023), ("Kuo", 2023), ("Biddle", 2019), ("Wani", 2022)):
        e = _entry_by(lib, family, year)
        before = text[: text.index(e.source)].rstrip().rsplit("\n}", 1)[-1]
        assert "% Repair:" in before, (e.key, before[-300:])


def test_suspected_duplicate_is_kept_and_noted(lib):
    mir = _entry_by(lib, "Mir", 2023)
    anwar = _entry_by(lib, "Anwar", 2023)
    assert refbook.model.fold(mir.title) == refbook.model.fold(anwar.title)
    text = SHIPPED_BIB.read_text(encoding="utf-8")
    for e, other in ((mir, anwar), (anwar, mir)):
        before = text[: text.index(e.source)].rstrip().rsplit("\n}", 1)[-1]
        assert "Suspected duplicate" in before and other.key in before, e.key


def test_corporate_author_is_one_name(lib):
    pti = _entry_by(lib, "PTI", 2023)
    assert pti.authors[0].literal == "PTI"
    assert pti.raw("author") in ("{{PTI}}", '"{PTI}"')


def test_acronyms_and_proper_nouns_are_protected(lib):
    for e in lib:
        title = e.get("title")
        for word in ("TTP", "Pakistan", "Afghanistan", "Taliban", "CPEC"):
            for m in re.finditer(rf"\b{word}\b", title):
                before = title[: m.start()]
                assert before.count("{") > before.count("}"), (e.key, word, title)
