"""The real-file corpus: .bib files from other projects, listed with provenance and licence
in tests/corpus/MANIFEST.  The files themselves are not committed (what is fetched from
other repositories stays out of this one): the tests read them through the ``corpus_dir``
fixture ($REFBOOK_CORPUS or ../shared/corpus/real) and skip when they are absent.
The fast checks of ``benchmarks/fidelity.py`` run here; the benchmark runs them all and
prints a table (``python benchmarks/fidelity.py --corpus DIR``)."""

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

from .conftest import CORPUS_MANIFEST, REPO

sys.path.insert(0, str(REPO / "benchmarks"))


def manifest() -> dict[str, dict[str, str]]:
    parser = configparser.ConfigParser(interpolation=None, comment_prefixes=("#",))
    parser.read(CORPUS_MANIFEST, encoding="utf-8")
    return {name: dict(parser[name]) for name in parser.sections()}


FILES = sorted(manifest())
ENTITY = re.compile(r"&(?:[A-Za-z][A-Za-z0-9]*|#[0-9]+|#x[0-9A-Fa-f]+);")


@pytest.fixture
def corpus(corpus_dir):
    return corpus_dir


def readable(corpus, name: str):
    try:
        return refbook.load(corpus / name)
    except RefbookError:
        return None


def test_manifest_gives_provenance_and_licence_of_every_file():
    files = manifest()
    assert len(files) >= 30
    for name, meta in files.items():
        assert re.fullmatch(r"[\w.-]+/[\w.-]+", meta["repo"]) and meta["path"], name
        assert re.fullmatch(r"[0-9a-f]{40}", meta["commit"]), name
        assert re.fullmatch(r"[0-9a-f]{64}", meta["sha256"]), name
        assert meta["licence"], name


def test_corpus_files_are_the_ones_listed(corpus):
    for name, meta in manifest().items():
        data = (corpus / name).read_bytes()
        assert hashlib.sha256(data).hexdigest() == meta["sha256"], name


@pytest.mark.parametrize("name", FILES)
def test_every_file_reads_or_fails_with_one_line_naming_it(corpus, name):
    try:
        lib = refbook.load(corpus / name)
    except RefbookError as exc:
        message = str(exc)
        assert "\n" not in message and name in message
        return
    assert len(lib) > 0
    for problem in lib.problems:
        assert "\n" not in str(problem) and name in str(problem)


@pytest.mark.parametrize("name", FILES)
def test_csl_json_has_an_item_per_entry_and_no_entity(corpus, name):
    lib = readable(corpus, name)
    if lib is None:
        pytest.skip("not readable without --encoding (the error names the encoding)")
    entries = list(lib)
    items = csl_items(entries)
    assert len(items) == len(entries)
    assert len({i["id"].lower() for i in items}) == len(items)
    source = (corpus / name).read_text(encoding="utf-8", errors="replace")
    source = source.replace("\\&", "&").replace("\\#", "#")  # \&\#039; is the entity
    text = json.dumps(items, ensure_ascii=False)
    assert {m for m in ENTITY.findall(text) if m not in source} == set()


# files that had entries vanish, entities, crossrefs or math (the benchmark does them all)
EXPORTED = [
    "biblatex-examples.bib",
    "bbt-apa-examples-2660.bib",
    "biber-crossrefs.bib",
    "hott-book-references.bib",
    "bbt-language-field-1921.bib",
    "pybamm-citations.bib",
]


@pytest.mark.parametrize("name", EXPORTED)
def test_formatted_export_lists_every_entry(corpus, name):
    from refbook.export import format_entries

    lib = readable(corpus, name)
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
AGREEING = [
    "biblatex-examples.bib",
    "pandoc-averroes.bib",
    "pandoc-biblio.bib",
    "jabref-crossref.bib",
    "tidy-bibtexparser-crossref.bib",
    "biber-xdata.bib",  # fields after a `%` comment inside an entry (biber reads them)
]


@pytest.mark.parametrize("name", AGREEING)
def test_fields_equal_pandocs_reading(corpus, name, tmp_path):
    import fidelity

    text = (corpus / name).read_text(encoding="utf-8")
    items, ast, rejected, why = fidelity.pandoc_reading(text, tmp_path)
    assert items is not None, why
    ours = csl_items(list(refbook.load(corpus / name)))
    agree, compared, differences, _ = fidelity.compare_with_pandoc(items, ast, ours, tmp_path, text)
    assert compared > 0
    assert differences == []


def test_the_benchmark_puts_known_differences_down_to_their_documented_reason():
    """The classifier of benchmarks/fidelity.py and docs/export.md agree on these."""
    import fidelity

    names = "@BOOK{L21,\n  AUTHOR = {{\\v S}omeone Smith},\n}\n"
    assert (
        fidelity.deliberate_reason("author", "Šomeone Smith", "Smith", names) == "bibtex-name-parts"
    )
    child = "@Article{c,\n  crossref = {p}\n}\n"
    parent = "@Article{p,\n  journal = AIJ,\n  title = {T},\n}\n"
    assert (
        fidelity.deliberate_reason("container-title", "aij", "AIJ", child, ancestors=parent)
        == "undefined-macro"
    )
    assert fidelity.deliberate_reason("container-title", "aij", "AIJ", child) is None
