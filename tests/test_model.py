"""The typed view of entries and the public Python API."""

from __future__ import annotations

import pytest

import refbook
from refbook.errors import NotFoundError
from refbook.model import Person, fold, normalize_doi, parse_names, to_text

from .conftest import FIXTURES


def test_latex_is_decoded_for_display():
    assert to_text(r"Schr{\"o}der") == "Schröder"
    assert to_text(r"Schr\"{o}der") == "Schröder"
    assert to_text(r"Mu\d{h}ammad") == "Muḥammad"
    assert to_text(r"{TTP} and the {L}a{T}e{X}") == "TTP and the LaTeX"
    assert to_text("21--36") == "21–36"
    assert to_text("plain  text\n with   spaces") == "plain text with spaces"


def test_fold_ignores_accents_and_case():
    assert fold("Schröder") == fold("SCHRODER") == "schroder"
    assert fold("Muḥammad") == "muhammad"
    assert fold("Çelik") == "celik"


def test_names_split_into_parts_and_corporate_names_stay_whole():
    people = parse_names(r"{PTI} and van der Berg, Jr., Hans and Schr{\"o}der, J. and Jane Doe")
    assert people[0] == Person(literal="PTI")
    assert people[1].von == "van der" and people[1].last == "Berg" and people[1].jr == "Jr."
    assert people[1].first == "Hans" and people[1].family == "van der Berg"
    assert people[2].last == "Schröder" and people[2].first == "J."
    assert people[3].last == "Doe" and people[3].first == "Jane"
    assert people[0].to_csl() == {"literal": "PTI"}
    assert people[1].to_csl() == {
        "family": "Berg",
        "given": "Hans",
        "non-dropping-particle": "van der",
        "suffix": "Jr.",
    }


def test_doi_normalisation():
    assert normalize_doi("https://doi.org/10.1177/09749284221127807") == "10.1177/09749284221127807"
    assert normalize_doi("doi:10.1000/ABC") == "10.1000/abc"
    assert normalize_doi(" http://dx.doi.org/10.1/X ") == "10.1/x"


def test_entry_fields_macros_and_typed_parts():
    lib = refbook.load(FIXTURES / "store" / "strings_concat.bib")
    e = lib["knuth1984"]
    assert e["journal"] == "TUGboat"
    assert e["title"] == "Literate Programming"
    assert e["publisher"] == "American Mathematical Society (Providence)"
    assert e["month"] == "September"
    assert e.year == 1984
    assert e.date == "1984-09"
    assert e.raw("journal") == "tug"
    assert e.container == "TUGboat"
    assert e.line == 4


def test_entry_plain_text_and_authors_from_latex():
    e = refbook.load(FIXTURES / "store" / "latex.bib")["latex2009"]
    assert [p.family for p in e.authors] == ["Schröder", "Schröder", "Muḥammad", "Çelik"]
    assert e.title == "TTP and the LaTeX escapes: 50% of Études — a test"
    assert e.pages == "21–36"
    assert e.author_label() == "Schröder et al."


def test_library_lookup_is_case_insensitive_and_suggests():
    lib = refbook.load(FIXTURES / "store" / "field_order.bib")
    assert lib["ZETA2019"].key == "zeta2019"
    assert "Zeta2019" in lib
    with pytest.raises(NotFoundError, match=r"did you mean 'zeta2019'\?"):
        lib["zeta2091"]


def test_library_edit_and_save_through_the_api(tmp_path):
    path = tmp_path / "lib.bib"
    path.write_text((FIXTURES / "store" / "field_order.bib").read_text())
    lib = refbook.load(path)
    lib["zeta2019"]["note"] = "edited in a notebook"
    assert lib["zeta2019"]["note"] == "edited in a notebook"
    lib.add("book", "new2024", {"title": "A New Book", "year": "2024"})
    assert lib.save() is True
    again = refbook.load(path)
    assert again.keys() == ["zeta2019", "new2024"]
    assert again["new2024"].title == "A New Book"
    assert again["zeta2019"].get("note") == "edited in a notebook"


def test_to_dict_schema():
    d = refbook.load(FIXTURES / "store" / "corporate.bib")["pti2023"].to_dict()
    assert d["id"] == "pti2023"
    assert d["type"] == "online"
    assert d["author"] == [{"literal": "PTI"}]
    assert d["issued"] == "2023"
    assert d["container-title"] == "Deccan Herald"
    assert d["source"]["line"] == 1
