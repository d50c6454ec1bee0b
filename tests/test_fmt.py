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
    FIXTURES / "paper_as_printed.bib",
    SHIPPED_BIB,
    FIXTURES / "malformed" / "one_bad_among_good.bib",
    FIXTURES / "malformed" / "stray_at.bib",
]
LAYOUTS = [
    Layout(),
    Layout(align=True, sort="key"),
    Layout(quote='"', field_case="upper", indent="\t", sort="year"),
]


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
        "@article{k,\n  author = {X, Y},\n  title = {A {B} c},\n  year = 2020,\n}\n"
    )
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
    bib = BibFile(
        "% header\n\n% about z\n@misc{z, title={Z}, year={2001}}\n\n"
        "% about a\n@misc{a, title={A}, year={2002}}\n"
    )
    out = format_text(bib, Layout(sort="key"))
    assert out == (
        "% header\n\n% about a\n@misc{a,\n  title = {A},\n  year = {2002},\n}\n\n"
        "% about z\n@misc{z,\n  title = {Z},\n  year = {2001},\n}\n"
    )


_name = st.sampled_from(["title", "author", "year", "note", "pages", "journal", "doi"])
_value = st.text(alphabet="abc XYZ-.,:0123", min_size=0, max_size=12)


@settings(max_examples=80, deadline=None)
@given(
    fields=st.lists(st.tuples(_name, _value), min_size=1, max_size=6, unique_by=lambda f: f[0]),
    spaces=st.sampled_from([" ", "", "\n    ", "\t"]),
    quote=st.booleans(),
)
def test_property_fmt_twice_is_fmt_once(fields, spaces, quote):
    body = f",{spaces}".join(
        f"{n}{spaces}={spaces}" + (f'"{v}"' if quote else f"{{{v}}}") for n, v in fields
    )
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
    assert written == [
        {"path": str(path), "saved": True, "entries": [{"key": "mir2023pakistan", "line": 69}]}
    ]
    again = json.loads(cli("fmt", "-i", "--json", "--bib", str(path)).stdout)
    assert again[0]["saved"] is False and again[0]["entries"] == []


# -- files fmt refused (issue 13, item 8): the layout must handle them ----------------------

CRLF_MULTILINE = (
    "% header\r\n\r\n@comment{a comment\r\nover two lines}\r\n\r\n"
    "@article{a,\r\n  title = {A title\r\n    on two lines},\r\n  year = 2020,\r\n}\r\n"
)


def test_crlf_file_with_multiline_comment_and_value(cli, tmp_path):
    """A second CR was added (\\r\\r\\n) and fmt refused: 'formatting would change the data'."""
    path = tmp_path / "crlf.bib"
    path.write_bytes(CRLF_MULTILINE.replace("  year = 2020,\r\n", "  YEAR = 2020\r\n").encode())
    out = cli("fmt", "-i", "--bib", str(path))
    assert out.exit_code == 0, out.stderr
    assert path.read_bytes() == CRLF_MULTILINE.encode()
    assert b"\r\r" not in path.read_bytes()
    assert cli("fmt", "--check", "--bib", str(path)).exit_code == 0


def test_several_blank_lines_in_free_text(cli, tmp_path):
    path = tmp_path / "blank.bib"
    path.write_text(
        "@misc{a, title={A}}\n\nsome notes\n\n\n\nmore notes\n  indented\n\n\n@misc{b, title={B}}\n"
    )
    out = cli("fmt", "-i", "--bib", str(path))
    assert out.exit_code == 0, out.stderr
    assert path.read_text() == (
        "@misc{a,\n  title = {A},\n}\n\nsome notes\n\nmore notes\n"
        "  indented\n\n@misc{b,\n  title = {B},\n}\n"
    )
    assert cli("fmt", "--check", "--bib", str(path)).exit_code == 0


def test_crlf_comment_lines_stay_one_paragraph():
    bib = BibFile("% ----\r\n% TITLE\r\n% ----\r\n@misc{a, title={A}}\r\n")
    assert format_text(bib, Layout()) == (
        "% ----\r\n% TITLE\r\n% ----\r\n@misc{a,\r\n  title = {A},\r\n}\r\n"
    )


def test_classic_mac_line_ends_are_kept():
    bib = BibFile("% Encoding: UTF-8\r\r@misc{a,\r  TITLE = {A}}\r")
    out = format_text(bib, Layout())
    assert out == "% Encoding: UTF-8\r\r@misc{a,\r  title = {A},\r}\r"
    assert data_signature(BibFile(out)) == data_signature(bib)


def test_rest_of_an_unparseable_entry_stays_with_it():
    """biber's xdata.bib: an entry bibtexparser gives up on mid-way (a '%' after a value);
    a blank line put between its two halves made the rest parse as another entry."""
    text = (
        "@book{ok, title={T}}\n\n@BOOK{broken,\n  AUTHOR = {A and B}, % a comment, with "
        "a comma\n  EDITOR = {C},\n}\n\n@book{next, title={U}}\n"
    )
    bib = BibFile(text)
    out = format_text(bib, Layout())
    assert (
        "@BOOK{broken,\n  AUTHOR = {A and B}, % a comment, with a comma\n  EDITOR = {C},\n}" in out
    )
    assert data_signature(BibFile(out)) == data_signature(bib)
