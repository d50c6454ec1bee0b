"""tests/corpus: real .bib files from other projects (MANIFEST: provenance and licence).
The fast checks of ``benchmarks/fidelity.py`` run here; the benchmark runs them all and
prints a table (``python benchmarks/fidelity.py``)."""

from __future__ import annotations

import configparser
import hashlib
import json
import re
import sys

import pytest

import refbook
from refbook.csl import csl_items
from refbook.errors import RefbookError

from .conftest import REPO

CORPUS = REPO / "tests" / "corpus"
sys.path.insert(0, str(REPO / "benchmarks"))


def manifest() -> dict[str, dict[str, str]]:
    parser = configparser.ConfigParser(interpolation=None, comment_prefixes=("#",))
    parser.read(CORPUS / "MANIFEST", encoding="utf-8")
    return {name: dict(parser[name]) for name in parser.sections()}


FILES = sorted(manifest())
ENTITY = re.compile(r"&(?:[A-Za-z][A-Za-z0-9]*|#[0-9]+|#x[0-9A-Fa-f]+);")


def readable(name: str):
    try:
        return refbook.load(CORPUS / name)
    except RefbookError:
        return None


def test_manifest_gives_provenance_and_licence_of_every_file():
    files = manifest()
    assert len(files) >= 30
    on_disk = {p.name for p in CORPUS.iterdir() if p.is_file()} - {"MANIFEST", ".gitattributes"}
    assert on_disk == set(files)
    for name, meta in files.items():
        data = (CORPUS / name).read_bytes()
        assert hashlib.sha256(data).hexdigest() == meta["sha256"], name
        assert re.fullmatch(r"[\w.-]+/[\w.-]+", meta["repo"]) and meta["path"], name
        assert re.fullmatch(r"[0-9a-f]{40}", meta["commit"]), name
        assert meta["licence"] and (CORPUS / meta["licence_text"]).is_file(), name
    assert sum((CORPUS / n).stat().st_size for n in files) < 4_000_000


@pytest.mark.parametrize("name", FILES)
def test_every_file_reads_or_fails_with_one_line_naming_it(name):
    try:
        lib = refbook.load(CORPUS / name)
    except RefbookError as exc:
        message = str(exc)
        assert "\n" not in message and name in message
        return
    assert len(lib) > 0
    for problem in lib.problems:
        assert "\n" not in str(problem) and name in str(problem)


@pytest.mark.parametrize("name", FILES)
def test_csl_json_has_an_item_per_entry_and_no_entity(name):
    lib = readable(name)
    if lib is None:
        pytest.skip("not readable without --encoding (the error names the encoding)")
    entries = list(lib)
    items = csl_items(entries)
    assert len(items) == len(entries)
    assert len({i["id"].lower() for i in items}) == len(items)
    source = (CORPUS / name).read_text(encoding="utf-8", errors="replace")
    source = source.replace("\\&", "&").replace("\\#", "#")  # \&\#039; is the entity
    text = json.dumps(items, ensure_ascii=False)
    assert {m for m in ENTITY.findall(text) if m not in source} == set()


# files that had entries vanish, entities, crossrefs or math (the benchmark does them all)
EXPORTED = ["biblatex-examples.bib", "bbt-apa-examples-2660.bib", "biber-crossrefs.bib",
            "hott-book-references.bib", "bbt-language-field-1921.bib", "pybamm-citations.bib"]


@pytest.mark.parametrize("name", EXPORTED)
def test_formatted_export_lists_every_entry(name):
    from refbook.export import format_entries

    lib = readable(name)
    if lib is None:
        pytest.skip("not readable without --encoding (the error names the encoding)")
    pairs = format_entries(list(lib), "apa", "text")
    assert len(pairs) == len(lib)
    assert len({key for key, _ in pairs}) == len(lib)
    for _, text in pairs:
        assert "&amp;" not in text and "&Amp;" not in text and "&lt;" not in text


# files on which refbook's CSL-JSON equals pandoc's reading, field for field (see
# benchmarks/fidelity.py for the rest of the corpus and docs/export.md for why some
# fields of other files differ)
AGREEING = ["biblatex-examples.bib", "pandoc-averroes.bib", "pandoc-biblio.bib",
            "jabref-crossref.bib", "tidy-bibtexparser-crossref.bib"]


@pytest.mark.parametrize("name", AGREEING)
def test_fields_equal_pandocs_reading(name, tmp_path):
    import fidelity

    text = (CORPUS / name).read_text(encoding="utf-8")
    items, ast, rejected, why = fidelity.pandoc_reading(text, tmp_path)
    assert items is not None, why
    ours = csl_items(list(refbook.load(CORPUS / name)))
    agree, compared, differences, _ = fidelity.compare_with_pandoc(items, ast, ours, tmp_path,
                                                                   text)
    assert compared > 0
    assert differences == []
