"""Typed text comes back as typed: what `annotate`, `set` and `add` write reads back
identical in `show --json`, in CSL-JSON, and in pandoc's own BibLaTeX reader; text BibTeX
cannot store (a lone brace) is refused with exit 2 and the file untouched."""

from __future__ import annotations

import json
import os
import subprocess

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import refbook
from refbook.latex import to_text
from refbook.plaintext import check_braces, to_bibtex

ONE_ENTRY = """@article{smith2020,
  author = {Smith, Jane},
  title = {A Title},
  journal = {Journal},
  year = {2020},
}
"""
TYPED = "Attacks rose 50% in 2023 & the TTP regrouped"

# printable text, heavy on the characters LaTeX and BibTeX treat specially
SPECIALS = list("\\{}%&#$_~^-'`!?\"<>,.@=| ")
typed_text = st.text(
    st.one_of(
        st.sampled_from(SPECIALS),
        st.characters(blacklist_categories=("Cc", "Cs", "Co", "Cn", "Zl", "Zp", "Zs")),
    ),
    min_size=1,
    max_size=40,
).filter(lambda s: s.strip() and s.isprintable())


def balanced(text: str) -> bool:
    try:
        check_braces(text)
    except refbook.errors.UsageError:
        return False
    return True


def as_read(text: str) -> str:
    """BibTeX (and refbook) collapse white space; nothing else may change."""
    return " ".join(text.split())


def _bib(tmp_path, text: str = ONE_ENTRY):
    path = tmp_path / "refs.bib"
    path.write_text(text, encoding="utf-8")
    return path


def _show(cli, bib, key: str = "smith2020") -> dict:
    out = cli("show", key, "--json", "--bib", str(bib))
    assert out.exit_code == 0, out.stderr
    return json.loads(out.stdout)[0]


def _csl(cli, bib, key: str = "smith2020") -> dict:
    out = cli("export", key, "--format", "csl-json", "--bib", str(bib))
    assert out.exit_code == 0, out.stderr
    return json.loads(out.stdout)[0]


# -- the examples of the issue --------------------------------------------------------------


def test_annotation_with_percent_and_ampersand_reads_back_whole(cli, tmp_bib):
    assert cli("annotate", "zahid2023dealing", TYPED, "--bib", str(tmp_bib)).exit_code == 0
    assert _show(cli, tmp_bib, "zahid2023dealing")["annotation"] == TYPED
    assert _csl(cli, tmp_bib, "zahid2023dealing")["annote"] == TYPED
    out = cli("export", "zahid2023dealing", "--annotated", "--bib", str(tmp_bib))
    assert TYPED in out.stdout
    # the later words are searchable
    out = cli("search", "regrouped", "--keys", "--bib", str(tmp_bib))
    assert out.stdout.split() == ["zahid2023dealing"]
    # and the file is valid for LaTeX: the specials are escaped
    assert r"annotation = {Attacks rose 50\% in 2023 \& the TTP regrouped}" in tmp_bib.read_text()


def test_set_note_with_percent(cli, tmp_bib):
    out = cli("set", "biddle2019afghanistan", "note=Bought at 50% off", "--bib", str(tmp_bib))
    assert out.exit_code == 0, out.stderr
    assert _csl(cli, tmp_bib, "biddle2019afghanistan")["note"] == "Bought at 50% off"


@pytest.mark.parametrize("assignment", ["title={unbalanced", "note=a } b", "note=} {"])
@pytest.mark.parametrize("bibtex", [False, True])
def test_a_lone_brace_is_a_usage_error_and_nothing_is_written(cli, tmp_bib, assignment, bibtex):
    before = tmp_bib.read_bytes()
    args = ["set", *(["--bibtex"] if bibtex else []), "biddle2019afghanistan", assignment]
    out = cli(*args, "--bib", str(tmp_bib))
    assert out.exit_code == 2
    assert "Traceback" not in out.stderr
    assert "biddle2019afghanistan" in out.stderr and "unbalanced" in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1
    assert tmp_bib.read_bytes() == before


def test_annotate_with_a_lone_brace_is_refused_not_cut(cli, tmp_bib):
    before = tmp_bib.read_bytes()
    out = cli("annotate", "zahid2023dealing", "see section {3", "--bib", str(tmp_bib))
    assert out.exit_code == 2 and "unbalanced '{'" in out.stderr
    assert tmp_bib.read_bytes() == before


def test_set_bibtex_keeps_case_protection_and_latex(cli, tmp_bib):
    out = cli(
        "set",
        "--bibtex",
        "biddle2019afghanistan",
        r"title=The {TTP} and \emph{Dawn}",
        "--bib",
        str(tmp_bib),
    )
    assert out.exit_code == 0, out.stderr
    lib = refbook.load(tmp_bib)
    assert lib["biddle2019afghanistan"].raw("title") == r"{The {TTP} and \emph{Dawn}}"
    # as text the same braces are characters of the title
    cli("set", "biddle2019afghanistan", "title=The {TTP}", "--bib", str(tmp_bib))
    assert _show(cli, tmp_bib, "biddle2019afghanistan")["title"] == "The {TTP}"


def test_verbatim_fields_are_written_as_typed(cli, tmp_bib):
    url = "https://example.org/a_b%20c?x=1&y=2#top"
    out = cli(
        "set", "biddle2019afghanistan", f"url={url}", "doi=10.1000/a_b%c", "--bib", str(tmp_bib)
    )
    assert out.exit_code == 0, out.stderr
    e = refbook.load(tmp_bib)["biddle2019afghanistan"]
    assert e.raw("url") == "{" + url + "}"
    assert e.url == url and e.doi == "10.1000/a_b%c"


def test_a_bare_percent_already_in_a_file_is_text_not_a_comment(tmp_path):
    lib = refbook.loads("@misc{a, title = {Up 50% on 2022}, note = {50\\% and 5%}}")
    assert lib["a"].title == "Up 50% on 2022"
    assert lib["a"].text("note") == "50% and 5%"


@pytest.mark.parametrize(
    "latex, text",
    [
        (r"\textasciicircum{}", "^"),
        (r"\textasciitilde{}", "~"),
        (r"\textbackslash{}", "\\"),
        (r"\textless{}a\textgreater{}", "<a>"),
        (r"\textbar{}", "|"),
        (r"\textunderscore{}", "_"),
    ],
)
def test_escaped_characters_read_as_themselves(latex, text):
    assert to_text(latex) == text


def test_tex_ligatures_typed_as_text_stay_as_typed():
    for typed in ("a--b", "a---b", "''quoted''", "``x``", "!`", "?`", "x~y", "^_^"):
        assert to_text(to_bibtex(typed)) == typed


# -- the property -----------------------------------------------------------------------------


@settings(
    max_examples=int(os.environ.get("TEXT_EXAMPLES", 60)),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.filter_too_much],
)
@given(text=typed_text)
@example(text=TYPED)
@example(text=r"C:\new\{dir} 100% R&D #1 $5 a_b ~x^2 -- '' `` !` ?`")
def test_any_printable_text_reads_back_as_typed(cli, tmp_path, text):
    bib = _bib(tmp_path)
    before = bib.read_bytes()
    runs = [  # options first, then "--": text may start with "-"
        ("annotate", "--bib", str(bib), "smith2020", "--", text),
        ("set", "--bib", str(bib), "smith2020", "--", f"title={text}", f"note={text}"),
    ]
    for args in runs:
        out = cli(*args)
        if not balanced(text):
            assert out.exit_code == 2 and "unbalanced" in out.stderr, out.stderr
            assert bib.read_bytes() == before
            continue
        assert out.exit_code == 0, out.stderr
    if not balanced(text):
        return
    shown = _show(cli, bib)
    assert shown["annotation"] == as_read(text)
    assert shown["title"] == as_read(text)
    csl = _csl(cli, bib)
    assert csl["annote"] == as_read(text)
    assert csl_text(csl["note"]) == smart(as_read(text))
    # add --annotation, and a CSL-JSON file (title is rich text there: HTML-escaped)
    import html

    src = tmp_path / "new.json"
    src.write_text(
        json.dumps(
            [
                {
                    "type": "book",
                    "title": html.escape(text, quote=False),
                    "note": text,
                    "issued": {"date-parts": [[1999]]},
                    "author": [{"family": "Doe", "given": "J."}],
                }
            ]
        )
    )
    out = cli("add", str(src), f"--annotation={text}", "--force", "--bib", str(bib))
    assert out.exit_code == 0, out.stderr
    new = out.stdout.split()[-1]
    shown = _show(cli, bib, new)
    assert shown["annotation"] == as_read(text)
    assert shown["title"] == as_read(text)
    assert csl_text(_csl(cli, bib, new)["note"]) == smart(as_read(text))


def _pandoc() -> str:
    from refbook.export import pandoc_executable

    return pandoc_executable()


def csl_text(value: str) -> str:
    """A CSL-JSON rich-text field as a reader sees it: refbook writes apostrophes and TeX's
    quotation marks typographically there (a straight ' reads to citeproc as a quotation
    mark), and protects a note that starts "Word:" from citeproc's note-variable syntax
    with a nocase span (issue 13)."""
    import re

    return smart(re.sub(r'<span class="nocase">(.*?)</span>', r"\1", value))


def smart(text: str) -> str:
    """The same text as pandoc's typography sees it, applied to both sides: its reader
    types quotes (' and ` become ’ and ‘; refbook keeps what was typed), and its CSL-JSON
    writer gives ² as <sup>2</sup>."""
    import unicodedata

    text = unicodedata.normalize("NFKC", text)
    for tag in ("<sup>", "</sup>", "<sub>", "</sub>"):
        text = text.replace(tag, "")
    return text.replace("’", "'").replace("‘", "'").replace("`", "'")


@settings(
    max_examples=int(os.environ.get("PANDOC_EXAMPLES", 12)),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.filter_too_much],
)
@given(texts=st.lists(typed_text.filter(balanced), min_size=1, max_size=25))
@example(texts=[TYPED, r"C:\new\{dir} 100% R&D #1 $5 a_b ~x^2 -- '' !` ?`"])
def test_pandoc_reads_the_same_text(cli, tmp_path, texts):
    entries = "\n".join(f"@misc{{k{i},\n  title = {{T}},\n}}\n" for i in range(len(texts)))
    bib = _bib(tmp_path, entries)
    for i, text in enumerate(texts):
        out = cli("set", f"k{i}", f"note={text}", "--bib", str(bib))
        assert out.exit_code == 0, out.stderr
    proc = subprocess.run(
        [_pandoc(), "-f", "biblatex", "-t", "csljson", str(bib)],
        capture_output=True,
        text=True,
        encoding="utf-8",
        check=True,
    )
    theirs = {item["id"]: item.get("note", "") for item in json.loads(proc.stdout)}
    ours = {
        item["id"]: item.get("note", "")
        for item in json.loads(cli("export", "--format", "csl-json", "--bib", str(bib)).stdout)
    }
    for i, text in enumerate(texts):
        assert csl_text(ours[f"k{i}"]) == smart(as_read(text))
        assert smart(theirs[f"k{i}"]) == smart(as_read(text)), (text, bib.read_text())
