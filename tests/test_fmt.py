"""refbook fmt: one canonical layout, no data lost, idempotent."""

from __future__ import annotations

import json
import shutil

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from refbook.fmt import Layout, data_signature, format_text
from refbook.store import BibFile

from .conftest import FIXTURES, REPO, SHIPPED_BIB

PARSEABLE = sorted((FIXTURES / "store").glob("*.bib")) + [
    FIXTURES / "paper_as_printed.bib", SHIPPED_BIB,
    FIXTURES / "malformed" / "one_bad_among_good.bib",
    FIXTURES / "malformed" / "stray_at.bib",
]
LAYOUTS = [Layout(), Layout(align=True, sort="key"), Layout(quote='"', field_case="upper",
                                                           indent="\t", sort="year")]


@pytest.mark.parametrize("layout", LAYOUTS, ids=["default", "aligned-sorted", "quotes-upper"])
@pytest.mark.parametrize("path", PARSEABLE, ids=lambda p: p.name)
def test_data_preserved_and_idempotent(path, layout):
    bib = BibFile.read(path)
    once = format_text(bib, layout)
    formatted = BibFile(once)
    assert data_signature(formatted) == data_signature(bib)
    assert format_text(formatted, layout) == once


def test_tugboat_data_preserved(tugboat):
    bib = BibFile.read(tugboat)
    once = format_text(bib, Layout())
    after = BibFile(once)
    assert data_signature(after) == data_signature(bib)
    assert len(after.entries()) == len(bib.entries())


def test_canonical_layout():
    bib = BibFile('@ARTICLE{k,  YEAR=2020,Title="A {B} c",\n\tauthor = {X, Y}}\n')
    assert format_text(bib, Layout()) == (
        "@article{k,\n  author = {X, Y},\n  title = {A {B} c},\n  year = 2020,\n}\n")
    assert format_text(bib, Layout(align=True)).splitlines()[1] == "  author = {X, Y},"


def test_macros_concatenation_strings_and_comments_are_kept():
    text = (FIXTURES / "store" / "strings_concat.bib").read_text()
    out = format_text(BibFile(text), Layout())
    assert '@string{tug = "TUGboat"}' in out
    assert '  title = "Literate " # "Programming",' in out
    assert "  journal = tug," in out
    assert "  month = sep," in out
    comments = format_text(BibFile.read(FIXTURES / "store" / "comments.bib"), Layout())
    assert "This free text between entries is a comment to BibTeX." in comments
    assert "% refbook: ignore[missing-annotation]\n@misc{b2021," in comments


def test_sorting_moves_comments_with_their_entry():
    bib = BibFile("% header\n\n% about z\n@misc{z, title={Z}, year={2001}}\n\n"
                  "% about a\n@misc{a, title={A}, year={2002}}\n")
    out = format_text(bib, Layout(sort="key"))
    assert out == ("% header\n\n% about a\n@misc{a,\n  title = {A},\n  year = {2002},\n}\n\n"
                   "% about z\n@misc{z,\n  title = {Z},\n  year = {2001},\n}\n")


_name = st.sampled_from(["title", "author", "year", "note", "pages", "journal", "doi"])
_value = st.text(alphabet="abc XYZ-.,:0123", min_size=0, max_size=12)


@settings(max_examples=80, deadline=None)
@given(fields=st.lists(st.tuples(_name, _value), min_size=1, max_size=6,
                       unique_by=lambda f: f[0]),
       spaces=st.sampled_from([" ", "", "\n    ", "\t"]),
       quote=st.booleans())
def test_property_fmt_twice_is_fmt_once(fields, spaces, quote):
    body = f",{spaces}".join(
        f"{n}{spaces}={spaces}" + (f'"{v}"' if quote else f"{{{v}}}") for n, v in fields)
    text = f"@article{{k,{spaces}{body}}}\n\n@misc{{m, title = {{M}}}}\n"
    bib = BibFile(text)
    once = format_text(bib, Layout())
    again = BibFile(once)
    assert format_text(again, Layout()) == once
    assert data_signature(again) == data_signature(bib)


def test_cli_check_diff_stdout_and_in_place(cli, tmp_path):
    assert cli("fmt", "--check", cwd=REPO).exit_code == 0  # the shipped file is formatted
    path = tmp_path / "p.bib"
    shutil.copyfile(FIXTURES / "paper_as_printed.bib", path)
    before = path.read_bytes()
    check = cli("fmt", "--check", "--bib", str(path))
    assert check.exit_code == 1
    assert check.stdout.splitlines() == [f"{path}:69: would reformat mir2023pakistan"]
    out = cli("fmt", "--bib", str(path))
    assert out.exit_code == 0 and out.stdout.startswith("% The reference list")
    assert path.read_bytes() == before
    diff = cli("fmt", "--diff", "--sort", "year", "--bib", str(path))
    assert diff.stdout.startswith(f"--- {path}\n+++ {path}\n")  # absolute: no a/ prefix
    sorted_out = cli("fmt", "--sort", "year", "--bib", str(path)).stdout
    assert cli("fmt", "-i", "--sort", "year", "--bib", str(path)).exit_code == 0
    assert path.read_text() == sorted_out
    assert cli("fmt", "--check", "--sort", "year", "--bib", str(path)).exit_code == 0
    assert data_signature(BibFile.read(path)) == data_signature(BibFile(before.decode()))


def test_cli_json_reports(cli, tmp_path):
    path = tmp_path / "p.bib"
    shutil.copyfile(FIXTURES / "paper_as_printed.bib", path)
    check = cli("fmt", "--check", "--json", "--bib", str(path))
    assert check.exit_code == 1
    [report] = json.loads(check.stdout)
    assert report["would_change"] is True
    assert report["entries"] == [{"key": "mir2023pakistan", "line": 69}]
    written = json.loads(cli("fmt", "-i", "--json", "--bib", str(path)).stdout)
    assert written == [{"path": str(path), "saved": True,
                        "entries": [{"key": "mir2023pakistan", "line": 69}]}]
    again = json.loads(cli("fmt", "-i", "--json", "--bib", str(path)).stdout)
    assert again[0]["saved"] is False and again[0]["entries"] == []
