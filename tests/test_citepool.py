"""``refbook cite`` from the works a citation depends on (``export.citepool``): the same
text as citeproc gives with the whole library cited first (``format_citation(...,
all_entries=whole)``, the oracle), for every bundled style, and a small pool."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from refbook.citing import parse_cite_args
from refbook.export import STYLES, cite_in_library, format_citation
from refbook.export.citepool import citation_pool, style_facts
from refbook.model import load

FILLER = "".join(
    f"@article{{fill{i}, author = {{Person{i}, Ann}}, title = {{Filler {i}}}, "
    f"journal = {{J}}, year = {{{1990 + i % 20}}}}}\n"
    for i in range(12)
)
BIB = (
    FILLER
    + r"""
@article{smith2020a, author = {Smith, John}, title = {First work}, journal = {J}, year = {2020}}
@article{fillx, author = {Zed, Zoe}, title = {Between}, journal = {J}, year = {2001}}
@article{smith2020b, author = {Smith, John}, title = {Second work}, journal = {J}, year = {2020}}
@book{smithjane, author = {Smith, Jane}, title = {Other Smith}, publisher = {P}, year = {2019}}
@article{brown1, author = {Brown, Al and Green, Bo and White, Cy}, title = {Et al one},
  journal = {J}, year = {2018}}
@article{brown2, author = {Brown, Al and Black, Di and Grey, Ed}, title = {Et al two},
  journal = {J}, year = {2018}}
@misc{report1, title = {Annual report}, year = {2020}}
@misc{report2, title = {Annual report}, year = {2020}, note = {second}}
@book{edited, editor = {Smith, John}, title = {Edited volume}, publisher = {P}, year = {2020}}
@article{dup, author = {Dupont, Luc}, title = {Dup one}, journal = {J}, year = {2010}}
@article{Dup, author = {Dupont, Luc}, title = {Dup two}, journal = {J}, year = {2010}}
@article{van, author = {van der Berg, Piet}, title = {Particle}, journal = {J}, year = {2015}}
@article{berg, author = {Berg, Karl}, title = {No particle}, journal = {J}, year = {2015}}
"""
    + FILLER.replace("fill", "tail").replace("Person", "Tailor")
)

# (keys as typed, narrative, locator); several keys, locators of their own
CASES = [
    (("smith2020b",), False, None),
    (("smith2020b",), True, None),
    (("smith2020a",), False, "p. 12"),
    (("smithjane", "smith2020a", "smith2020b"), False, None),
    (("brown1", "report2"), False, None),
    (("report1",), True, None),
    (("edited", 'smith2020b:"pp. 3-4"'), False, None),
    (("van", "berg"), False, None),
    (("fill3", "fill4", "fill5", "tail7"), False, None),
]


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory) -> Any:
    path = tmp_path_factory.mktemp("pool") / "refs.bib"
    path.write_text(BIB, encoding="utf-8")
    return load(path)


def _cite(lib: Any, keys: tuple[str, ...], locator: str | None) -> tuple[list, list]:
    cites = parse_cite_args(keys, lambda k: lib[k].key if k in lib else None, locator)
    return cites, [lib[c.key] for c in cites]


@pytest.mark.parametrize("style", sorted(STYLES))
def test_pool_citation_is_the_whole_library_one(library: Any, style: str) -> None:
    whole = list(library)
    for keys, narrative, locator in CASES:
        cites, entries = _cite(library, keys, locator)
        want = format_citation(entries, style, narrative=narrative, cites=cites, all_entries=whole)
        got = cite_in_library(library, entries, style, narrative=narrative, cites=cites)
        assert got == want, (style, keys, narrative, locator)


@pytest.mark.parametrize("style", ["apa", "ieee", "vancouver"])
def test_duplicate_key_cited(library: Any, style: str) -> None:
    """The second "dup" is exported (and cited) as dup-2, in the pool as in the library."""
    whole = list(library)
    second = [e for e in whole if e.key == "Dup"]
    want = format_citation(second, style, all_entries=whole)
    assert cite_in_library(library, second, style) == want


def test_cached_library_gives_the_same(tmp_path: Path) -> None:
    from refbook.cache import open_cached

    path = tmp_path / "refs.bib"
    path.write_text(BIB, encoding="utf-8")
    cached = open_cached(path, needs=("csl",))[0]
    assert cached is not None and cached.csl_complete()
    whole = list(cached)
    for style in ("apa", "chicago", "ieee", "vancouver"):
        for keys, narrative, locator in CASES[:5] + CASES[-1:]:
            cites, entries = _cite(cached, keys, locator)
            by_ord = {e.ord: e for e in whole}
            same = [by_ord[e.ord] for e in entries]
            want = format_citation(same, style, narrative=narrative, cites=cites, all_entries=whole)
            got = cite_in_library(cached, entries, style, narrative=narrative, cites=cites)
            assert got == want, (style, keys)
    dup = [e for e in whole if e.key == "Dup"]
    assert cite_in_library(cached, dup, "apa") == format_citation(dup, "apa", all_entries=whole)


def test_pool_is_small(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """At 2,000 works citeproc is given a few: the cited ones, their namesakes, the last."""
    import refbook.export.pandoc as pandoc_module

    works = [
        f"@article{{k{i}, author = {{Author{i}, A.}}, title = {{T{i}}}, journal = {{J}}, "
        f"year = {{{2000 + i % 20}}}}}\n"
        for i in range(2000)
    ]
    works.insert(1000, "@article{same, author = {Author7, B.}, title = {T}, year = {2007}}\n")
    text = "".join(works)
    path = tmp_path / "big.bib"
    path.write_text(text, encoding="utf-8")
    lib = load(path)
    sizes: list[int] = []
    real = pandoc_module.with_references

    def counting(items: list[dict[str, Any]]) -> str:
        sizes.append(len(items))
        return real(items)

    monkeypatch.setattr(pandoc_module, "with_references", counting)
    assert cite_in_library(lib, [lib["k7"]], "apa") == "(A. Author7, 2007)"
    assert sizes and max(sizes) == 3  # k7, same (a namesake), the last work
    sizes.clear()
    assert cite_in_library(lib, [lib["k1500"]], "ieee") == "[1502]"
    # k1500, the last work, a filler for the gap between; the run that tells numbers
    # from other digits has two more fillers
    assert sorted(sizes) == [3, 5]


def test_style_facts() -> None:
    assert style_facts("ieee").numbered and style_facts("ieee").numbers_in_order
    assert style_facts("vancouver").numbered
    apa = style_facts("apa")
    assert not (apa.numbered or apa.note or apa.labelled)


def test_numbered_style_sorting_its_bibliography_uses_the_whole_library(
    library: Any, tmp_path: Path
) -> None:
    from refbook.export.pandoc import style_path

    text = style_path("ieee").read_text(encoding="utf-8")
    head, tail = text.split("<bibliography", 1)
    layout = tail.index("<layout")
    tail = tail[:layout] + '<sort><key variable="title"/></sort>' + tail[layout:]
    sorted_style = tmp_path / "sorted.csl"
    sorted_style.write_text(head + "<bibliography" + tail, encoding="utf-8")
    entries = [library["smith2020b"]]
    assert citation_pool(library, entries, str(sorted_style)) is None
    want = format_citation(entries, str(sorted_style), all_entries=list(library))
    assert cite_in_library(library, entries, str(sorted_style)) == want


RENDER_BIB = (
    BIB
    + r"""
@article{aliased, author = {Alias, Al}, title = {Aliased}, journal = {J}, year = {2011},
  ids = {oldkey}}
"""
)
DOCS = [
    "Text [@smith2020b; @brown1, p. 3] and @report2.\n",
    "---\nnocite: |\n  @fill3, @Dup\n---\n\nSee [@dup] and [@oldkey].\n",
    "Cited by id: [@Dup-2] and [-@van].\n",
    "---\nnocite: '@*'\n---\n\nAll [@berg].\n",
]


@pytest.mark.parametrize("style", ["apa", "ieee"])
def test_render_with_the_named_works_is_the_whole_library_one(tmp_path: Path, style: str) -> None:
    from refbook.export import cited_works, render_document

    path = tmp_path / "refs.bib"
    path.write_text(RENDER_BIB, encoding="utf-8")
    lib = load(path)
    for doc in DOCS:
        want = render_document(doc, list(lib), style=style)
        works = cited_works(doc, lib)
        if "@*" in doc:
            assert works is None
            continue
        assert works is not None and len(works[0]) < 6
        assert render_document(doc, works[0], style=style, ids=works[1]) == want, doc
    from refbook.cache import open_cached

    cached = open_cached(path, needs=("csl",))[0]
    for doc in DOCS[:3]:
        works = cited_works(doc, cached)
        assert works is not None
        got = render_document(doc, works[0], style=style, ids=works[1])
        assert got == render_document(doc, list(lib), style=style), doc


def test_numbered_style_with_keys_pandoc_reads_otherwise(tmp_path: Path) -> None:
    """Keys pandoc does not read whole in [@key] ("a--b" is read "a"): their works are not
    cited first and have no number; the numbers after them are one less.  When the part
    read is another work's key, that work would be cited there: the whole library."""
    path = tmp_path / "refs.bib"
    odd = "".join(
        f"@article{{{key}, author = {{Quirk, Q}}, title = {{Q}}, journal = {{J}}, year = {{2001}}}}\n"
        for key in ("trail.", "anon:TB21-2--c1")
    )
    path.write_text(odd + FILLER.replace("fill4,", "fill4--c1,"), encoding="utf-8")
    lib = load(path)
    whole = list(lib)
    for style in ("ieee", "vancouver"):
        for keys in (("fill5",), ("fill3", "fill5", "fill6"), ("fill11",)):
            entries = [lib[k] for k in keys]
            assert citation_pool(lib, entries, style) is not None
            want = format_citation(entries, style, all_entries=whole)
            assert cite_in_library(lib, entries, style) == want, (style, keys)
    cached = load_cached(path)
    entries = [cached["fill5"]]
    whole = list(cached)
    want = format_citation([e for e in whole if e.key == "fill5"], "ieee", all_entries=whole)
    assert cite_in_library(cached, entries, "ieee") == want
    path.write_text(odd + FILLER.replace("fill4,", "fill3--c1,"), encoding="utf-8")
    lib = load(path)
    entries = [lib["fill5"]]
    assert citation_pool(lib, entries, "ieee") is None
    assert cite_in_library(lib, entries, "ieee") == format_citation(
        entries, "ieee", all_entries=list(lib)
    )


def load_cached(path: Path) -> Any:
    from refbook.cache import open_cached

    cached = open_cached(path, needs=("csl",))[0]
    assert cached is not None
    return cached
