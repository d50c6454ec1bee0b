"""LaTeX decoding: the fast path gives exactly what pylatexenc gives, logos survive."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import refbook
from refbook import latex
from refbook.latex import decode_with_pylatexenc, to_text

from .conftest import FIXTURES, SHIPPED_BIB


def reference(value: str) -> str:
    return " ".join(decode_with_pylatexenc(value).replace("\xa0", " ").split())


def latex_values(path) -> list[str]:
    values = set()
    for entry in refbook.load(path):
        for field in entry.fields:
            value = entry.get(field)
            if value and any(c in value for c in "\\{}$%~"):
                values.add(value)
    return sorted(values)


@pytest.mark.parametrize(
    "value, text",
    [
        (r"Schr{\"o}der", "Schröder"),
        (r"Schr\"{o}der", "Schröder"),
        (r"Mu\d{h}ammad", "Muḥammad"),
        (r"Dezs{\H{o}} Nagy", "Dezső Nagy"),
        (r"\v Sime\v{c}ek", "Šimeček"),
        (r"{\"\i}le and {\'{\i}}", "ïle and í"),
        (r"Stra{\ss}e, {\O}ster, \l{}\'od\'z", "Straße, Øster, łódź"),
        (r"``Quoted''---and~tied--ranges", "“Quoted”—and tied–ranges"),
        (r"Tom \& Jerry", "Tom & Jerry"),
    ],
)
def test_common_latex_is_decoded_by_the_fast_path(value, text):
    assert latex._fast(value) is not None  # no pylatexenc run for these
    assert to_text(value) == text == reference(value)


def test_tex_logos_are_kept_not_dropped():
    # pylatexenc alone drops macros it does not know: "The \TeX book" became "The book"
    assert to_text(r"The \TeX{}book and \LaTeXe") == "The TeXbook and LaTeX2ε"
    assert to_text(r"{\MF} and \BibTeX\ users") == "METAFONT and BibTeX users"
    assert to_text(r"$\alpha$ in \LaTeX") == reference(r"$\alpha$ in \LaTeX") == "α in LaTeX"


def test_a_bare_ampersand_stays():
    # a LaTeX error BibTeX users make all the time; pylatexenc would drop it as a column
    assert to_text("Tom & Jerry") == "Tom & Jerry"
    assert to_text(r"Tom & Jerry in $x$") == "Tom & Jerry in x"


def test_pylatexenc_warnings_do_not_reach_the_terminal(tmp_path, cli):
    bib = tmp_path / "refs.bib"
    bib.write_text("@misc{a, title = {Odd \\url{} title}, year = 2020}\n")
    result = cli("--bib", str(bib), "show", "a")
    assert result.exit_code == 0
    assert "WARNING" not in result.stderr + result.stdout


@pytest.mark.parametrize("path", [SHIPPED_BIB, FIXTURES / "paper_as_printed.bib"])
def test_same_text_as_pylatexenc_on_the_shipped_files(path):
    for value in latex_values(path):
        assert to_text(value) == reference(value), value


def test_same_text_as_pylatexenc_on_every_tugboat_value(tugboat):
    values = latex_values(tugboat)
    assert len(values) > 2000
    fast = [v for v in values if latex._fast(v) is not None]
    assert len(fast) > 0.95 * len(values)  # the point of the fast path
    for value in values:
        assert to_text(value) == reference(value), value


FRAGMENTS = [
    "a",
    "b",
    "é",
    " ",
    "\n",
    "{",
    "}",
    "{}",
    "\\'",
    '\\"',
    "\\v",
    "\\H",
    "\\c",
    "\\d",
    "\\^",
    "\\`",
    "\\~",
    "\\=",
    "\\.",
    "\\u",
    "\\k",
    "\\r",
    "\\t",
    "\\i",
    "\\j",
    "\\TeX",
    "\\ss",
    "\\o",
    "\\l",
    "\\AA",
    "\\&",
    "\\,",
    "\\ ",
    "\\/",
    "\\-",
    "\\\\",
    "\\tt",
    "\\emph",
    "\\acro",
    "\\relax",
    "\\char",
    "\\begin",
    "\\end",
    "\\url",
    "\\dots",
    "~",
    "-",
    "--",
    "---",
    "`",
    "``",
    "'",
    "''",
    "!",
    "?",
    "$",
    "%",
    "&",
    "\\%",
    "\\_",
    "\\#",
    "[",
    "]",
    "1",
    "x",
]


@settings(max_examples=3000, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(st.sampled_from(FRAGMENTS), max_size=12))
def test_same_text_as_pylatexenc_on_generated_latex(parts):
    value = "".join(parts)
    assert to_text(value) == reference(value)


def test_search_finds_words_written_as_logos(tmp_path, cli):
    bib = tmp_path / "refs.bib"
    bib.write_text(
        "@book{companion, title = {The {\\LaTeX} Companion}, year = 2004}\n"
        "@book{texbook, title = {The \\TeX book}, year = 1984}\n"
        "@book{other, title = {Typesetting}, year = 1990}\n"
    )
    result = cli("--bib", str(bib), "search", "--keys", "latex")
    assert result.exit_code == 0
    assert result.stdout.split() == ["companion"]
    # "\TeX book" is "TeXbook" to TeX, as it is to refbook
    assert cli("--bib", str(bib), "search", "--keys", "texbook").stdout.split() == ["texbook"]
