"""Commands that must not do the wrong thing quietly: options that contradict each other
are a usage error, each cited work has its own locator, a no-op says so, nothing typed in
an editor is lost, rendered documents read as a reader expects, documented queries work,
and a bibliography can be started."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import refbook

from .conftest import FIXTURES, REPO, SHIPPED_BIB


def run_on_terminal(
    args: list[str], typed: str, env: dict[str, str], timeout: float = 120
) -> tuple[int, str]:
    """Run refbook with its standard input on a pseudo-terminal where ``typed`` was typed
    ahead; (exit code, stderr)."""
    import pty

    master, slave = pty.openpty()
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "refbook", *args],
            stdin=slave,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env={**os.environ, **env, "PYTHONPATH": str(REPO)},
        )
        os.write(master, typed.encode())
        _, err = proc.communicate(timeout=timeout)
    finally:
        os.close(slave)
        os.close(master)
    return proc.returncode, err.decode()


# -- options that contradict each other -----------------------------------------------------

CONFLICTS = [
    (["export", "--style", "chicago", "--format", "ris"], ("--format", "--style")),
    (["export", "--format", "ris", "--annotated"], ("--format", "--annotated")),
    (["export", "--format", "csl-json", "--to", "html"], ("--format", "--to")),
    (["export", "--format", "json", "--standalone"], ("--format", "--standalone")),
    (["export", "--normalize"], ("--normalize", "--format bibtex")),
    (["export", "--format", "ris", "--normalize"], ("--normalize", "--format bibtex")),
    (["cite", "zahid2023dealing", "--syntax", "latex", "--style", "mla"], ("--style", "--syntax")),
    (
        ["cite", "zahid2023dealing", "biddle2019afghanistan", "--locator", "p. 4"],
        ("--locator", "KEY:"),
    ),
    (["check", "--dois-only", "--urls-only"], ("--dois-only", "--urls-only")),
    (["check", "--json", "--format", "sarif"], ("--json", "--format")),
    (["check", "--offline", "--timeout", "3"], ("--offline", "--timeout")),
    (["check", "--offline", "--no-cache"], ("--offline", "--no-cache")),
    (["cite-check", "README.md", "--json", "--format", "github"], ("--json", "--format")),
    (["cite-check", "README.md", "--ignore", "adeeb2018pakistan"], ("--ignore", "--uncited")),
    (["list", "--keys", "--json"], ("--keys", "--json")),
    (["show", "zahid2023dealing", "--bibtex", "--json"], ("--bibtex", "--json")),
    (["search", "cpec", "--keys", "--json"], ("--keys", "--json")),
    (["search", "cpec", "--count", "--limit", "1"], ("--count", "--limit")),
    (["search", "cpec", "--count", "--keys"], ("--count", "--keys")),
    (["lint", "--dry-run"], ("--dry-run", "--fix")),
    (["lint", "--fix", "--format", "json"], ("--fix", "--format")),
    (["lint", "--json", "--format", "sarif"], ("--json", "--format")),
    (["lint", "--list-rules", "--fix"], ("--list-rules", "--fix")),
    (["fmt", "-i", "--check"], ("--in-place", "--check")),
    (["fmt", "-i", "--diff"], ("--in-place", "--diff")),
]


@pytest.mark.parametrize("args, named", CONFLICTS, ids=[" ".join(a) for a, _ in CONFLICTS])
def test_conflicting_options_are_a_usage_error(cli, tmp_bib, args, named):
    """Before: exit 0 with one of the options silently ignored (fmt -i --check even
    rewrote the file)."""
    before = tmp_bib.read_bytes()
    out = cli(*args, "--bib", str(tmp_bib), cwd=REPO, input="")
    assert out.exit_code == 2, (out.stdout, out.stderr)
    assert out.stdout == ""
    for name in named:
        assert name in out.stderr, out.stderr
    assert "Traceback" not in out.stderr
    assert tmp_bib.read_bytes() == before


def test_options_that_go_together_still_work(cli):
    assert (
        cli("export", "biddle2019afghanistan", "--format", "json", "--json", cwd=REPO).exit_code
        == 0
    )
    assert cli("check", "--offline", "--json", "--format", "json", cwd=REPO).exit_code == 0
    assert (
        cli(
            "export", "biddle2019afghanistan", "--format", "bibtex", "--normalize", cwd=REPO
        ).exit_code
        == 0
    )
    rules = json.loads(cli("lint", "--list-rules", "--json", "--select", "pages", cwd=REPO).stdout)
    assert rules and {r["family"] for r in rules} == {"pages"}


# -- cite ------------------------------------------------------------------------------------


def test_cite_gives_each_work_its_own_locator(cli):
    """Before: --locator went on every work, "(Biddle, 2019, p. 4; Zahid, 2023, p. 4)"."""
    expected = "(Biddle, 2019; Zahid, 2023, p. 4)"
    out = cli("cite", 'zahid2023dealing:"p. 4"', "biddle2019afghanistan", cwd=REPO)
    assert out.exit_code == 0 and out.stdout.strip() == expected
    out = cli("cite", "[@zahid2023dealing, p. 4; @biddle2019afghanistan]", cwd=REPO)
    assert out.stdout.strip() == expected
    out = cli(
        "cite",
        "zahid2023dealing:p. 4",
        "biddle2019afghanistan:pp. 116-118",
        "--syntax",
        "pandoc",
        cwd=REPO,
    )
    assert out.stdout.strip() == "[@zahid2023dealing, p. 4; @biddle2019afghanistan, pp. 116-118]"
    out = cli(
        "cite", "zahid2023dealing:p. 4", "biddle2019afghanistan", "--syntax", "latex", cwd=REPO
    )
    assert out.stdout.strip() == r"\parencites[4]{zahid2023dealing}{biddle2019afghanistan}"
    out = cli("cite", "[see @zahid2023dealing, p. 4]", "--json", cwd=REPO)
    works = json.loads(out.stdout)["works"]
    assert works == [
        {"key": "zahid2023dealing", "locator": "p. 4", "prefix": "see", "suppress_author": False}
    ]
    assert json.loads(out.stdout)["citation"] == "(see Zahid, 2023, p. 4)"


def test_cite_names_a_work_once(cli):
    """Before: `cite a a` printed "(Zahid, 2023, 2023)"."""
    assert (
        cli("cite", "zahid2023dealing", "zahid2023dealing", cwd=REPO).stdout.strip()
        == "(Zahid, 2023)"
    )
    assert (
        cli(
            "cite", "zahid2023dealing", "ZAHID2023dealing", "--syntax", "pandoc", cwd=REPO
        ).stdout.strip()
        == "[@zahid2023dealing]"
    )
    out = cli("cite", "zahid2023dealing:p. 4", "zahid2023dealing:p. 9", cwd=REPO)
    assert out.exit_code == 2 and "twice with different locators" in out.stderr


def test_a_key_with_a_colon_is_a_key(cli, tmp_path):
    bib = tmp_path / "c.bib"
    bib.write_text("@book{DBLP:books/x, author={Knuth, Donald}, title={TeX}, year={1984}}\n")
    out = cli("cite", "DBLP:books/x", "--syntax", "pandoc", "--bib", str(bib))
    assert out.stdout.strip() == "[@DBLP:books/x]"
    out = cli("cite", "DBLP:books/x:p. 3", "--syntax", "pandoc", "--bib", str(bib))
    assert out.stdout.strip() == "[@DBLP:books/x, p. 3]"


# -- unset, edit -----------------------------------------------------------------------------


def test_unset_of_an_absent_field_says_so(cli, tmp_bib):
    """Before: exit 1 and not a word."""
    before = tmp_bib.read_bytes()
    out = cli("unset", "zahid2023dealing", "nosuch", "--bib", str(tmp_bib))
    assert out.exit_code == 1
    assert "zahid2023dealing has no field nosuch; nothing changed" in out.stderr
    assert tmp_bib.read_bytes() == before
    out = cli("unset", "biddle2019afghanistan", "pages", "nosuch", "--bib", str(tmp_bib))
    assert out.exit_code == 0 and "has no field nosuch" in out.stderr
    assert "pages" not in refbook.load(tmp_bib)["biddle2019afghanistan"].fields


def test_edit_without_a_terminal_keeps_the_text_and_says_where(cli, tmp_bib, tmp_path):
    """Before: it prompted "Edit again? [Y/n]" with nobody to answer, and exited 130 with
    the user's edit lost."""
    script = tmp_path / "ed.py"
    script.write_text(
        "import sys\np = sys.argv[-1]\nt = open(p).read()\n"
        "open(p, 'w').write(t.replace('116--128', '116--130').rstrip().rstrip('}'))\n"
    )
    before = tmp_bib.read_bytes()
    out = cli(
        "edit",
        "biddle2019afghanistan",
        "--bib",
        str(tmp_bib),
        input="",
        env={"EDITOR": f"{sys.executable} {script}", "VISUAL": ""},
    )
    assert out.exit_code == 3, out.stderr
    assert "Edit again" not in out.stderr
    m = re.search(r"your text is in (\S+)", out.stderr)
    assert m, out.stderr
    assert "116--130" in Path(m.group(1)).read_text()
    assert tmp_bib.read_bytes() == before


def test_edit_declined_on_a_terminal_keeps_the_text(tmp_bib, tmp_path):
    script = tmp_path / "ed.py"
    script.write_text(
        "import sys\np = sys.argv[-1]\nt = open(p).read()\n"
        "open(p, 'w').write(t.replace('116--128', '116--131').rstrip().rstrip('}'))\n"
    )
    before = tmp_bib.read_bytes()
    code, err = run_on_terminal(
        ["edit", "biddle2019afghanistan", "--bib", str(tmp_bib)],
        "n\n",
        {
            "EDITOR": f"{sys.executable} {script}",
            "VISUAL": "",
            "REFBOOK_CACHE_DIR": str(tmp_path / "cache"),
        },
    )
    assert code == 1 and "Edit again?" in err
    kept = Path(re.search(r"your text is in (\S+)", err).group(1))
    assert "116--131" in kept.read_text()
    assert tmp_bib.read_bytes() == before


# -- render ----------------------------------------------------------------------------------

ESSAY = """---
title: "Borders: an essay"
author: A. Student
---

# Introduction

The TTP regrouped [@zahid2023dealing, p. 4; @biddle2019afghanistan].

::: aside
A note the author fenced on purpose.
:::
"""


def test_render_markdown_keeps_the_front_matter_and_reads_like_export(cli, tmp_path):
    """Before: the YAML title was dropped, and the references came in pandoc-internal
    Markdown: `116--128` and `:::` divs around every entry."""
    essay = tmp_path / "essay.md"
    essay.write_text(ESSAY)
    out = cli("render", str(essay), cwd=REPO)
    assert out.exit_code == 0, out.stderr
    text = out.stdout
    assert text.startswith('---\ntitle: "Borders: an essay"\nauthor: A. Student\n---\n')
    exported = cli("export", "biddle2019afghanistan", "--to", "markdown", cwd=REPO).stdout.strip()
    assert exported in text  # the same line as `export --to markdown`, with its en dash
    assert "116–128" in text and "116--128" not in text
    assert "::: aside" in text  # the author's own div is kept
    assert text.count(":::") == 2 and "csl-entry" not in text and "{#" not in text
    assert "\n# References\n" in text


def test_render_html_is_titled_by_the_document(cli, tmp_path):
    """Before: every page was titled "Rendered manuscript"."""
    essay = tmp_path / "essay.md"
    essay.write_text(ESSAY)
    html = cli("render", str(essay), "--to", "html", cwd=REPO).stdout
    assert "<title>Borders: an essay</title>" in html
    essay.write_text(ESSAY.split("---\n", 2)[2])
    html = cli("render", str(essay), "--to", "html", cwd=REPO).stdout
    assert "<title>Introduction</title>" in html
    essay.write_text("Just [@zahid2023dealing].\n")
    html = cli("render", str(essay), "--to", "html", cwd=REPO).stdout
    assert "<title>essay</title>" in html


def test_allow_missing_help_says_what_the_output_shows(cli, tmp_path):
    """Before: the help said pandoc marks a missing citation "???"; it prints **key?**."""
    essay = tmp_path / "essay.md"
    essay.write_text("Missing [@nobody2020].\n")
    out = cli("render", str(essay), "--allow-missing", cwd=REPO)
    assert "**nobody2020?**" in out.stdout
    helptext = " ".join(cli("render", "--help").stdout.split())
    assert "**key?**" in helptext and "???" not in helptext


# -- search ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    ["SCHRODER", 'Schr{\\"o}der', 'Schr\\"{o}der', "Schroder", "schröder", "author:SCHRODER"],
)
def test_the_documented_spellings_find_schroeder(cli, query):
    """docs/search.md: `Schröder`, `Schroder`, `SCHRODER` match each other; the README
    lists `Schr{\\"o}der` as a query.  Before: no results for SCHRODER or the LaTeX."""
    out = cli(
        "search", query, "--keys", "--no-fuzzy", "--bib", str(FIXTURES / "store" / "unicode.bib")
    )
    assert out.exit_code == 0, out.stderr
    assert out.stdout.split() == ["schroder2013"]


def test_mixed_case_still_asks_for_its_case(cli):
    bib = str(FIXTURES / "store" / "unicode.bib")
    assert cli("search", "schrODER", "--keys", "--no-fuzzy", "--bib", bib).exit_code == 1
    assert cli("search", 'author~"Schr.der"', "--keys", "--bib", bib).exit_code == 0
    assert cli("search", 'author~"SCHR.DER"', "--keys", "--bib", bib).exit_code == 1


# -- add ------------------------------------------------------------------------------------


def test_add_doi_already_in_the_file_asks_no_server(cli, tmp_bib, httpserver):
    """Before: the resolver was asked first, so offline it failed with exit 6."""
    before = tmp_bib.read_bytes()
    out = cli(
        "add",
        "--doi",
        "https://doi.org/10.1177/09749284221127807",
        "--bib",
        str(tmp_bib),
        env={"REFBOOK_DOI_RESOLVER": httpserver.url_for("").rstrip("/")},
    )
    assert out.exit_code == 1, out.stderr
    assert (
        "not added (DOI 10.1177/09749284221127807): likely duplicate of "
        "wani2022geopolitical: same DOI 10.1177/09749284221127807"
    ) in out.stderr
    assert httpserver.log == []
    assert tmp_bib.read_bytes() == before


@pytest.mark.parametrize("style, written", [(", ", "a, b"), (",", "a,b"), ("; ", "a; b")])
def test_add_keywords_in_the_files_own_style(cli, tmp_path, style, written):
    """Before: `--keywords a,b` wrote {a,b} whatever the file used."""
    bib = tmp_path / "k.bib"
    bib.write_text(f"@misc{{x, title={{X}}, year={{2020}}, keywords={{one{style}two}}}}\n")
    out = cli(
        "add",
        "-",
        "--keywords",
        "a,b",
        "--bib",
        str(bib),
        input="@misc{new2021, title={A New Thing}, year={2021}}\n",
    )
    assert out.exit_code == 0, out.stderr
    assert f"keywords = {{{written}}}" in bib.read_text()
    out = cli("tag", "new2021", "+c", "--bib", str(bib))
    assert refbook.load(bib)["new2021"].raw("keywords") == "{" + style.join("abc") + "}"


def test_dry_run_diff_headers_have_no_doubled_slash(cli, tmp_bib):
    out = cli(
        "add",
        "-",
        "--dry-run",
        "--bib",
        str(tmp_bib),
        input="@misc{new2021, title={A New Thing}, year={2021}}\n",
    )
    assert out.exit_code == 0
    assert f"--- {tmp_bib}\n+++ {tmp_bib}\n" in out.stdout
    assert "a//" not in out.stdout
    out = cli(
        "add",
        "-",
        "--dry-run",
        "--bib",
        "references.bib",
        cwd=tmp_bib.parent,
        input="@misc{new2021, title={A New Thing}, year={2021}}\n",
    )
    assert "--- a/references.bib\n+++ b/references.bib\n" in out.stdout


# -- init -----------------------------------------------------------------------------------


def test_init_starts_a_bibliography_and_never_overwrites(cli, tmp_path):
    """Before: no `refbook init`; `add` to a missing file said only "no such file"."""
    out = cli("add", "-", "--bib", "new.bib", input="@misc{a, title={A}, year={2020}}\n")
    assert out.exit_code == 3 and "refbook init new.bib" in out.stderr
    assert "refbook init" in cli("list").stderr  # no references.bib anywhere
    out = cli("init", "--config")
    assert out.exit_code == 0, out.stderr
    assert out.stdout.split("\n")[:2] == ["created references.bib", "created refbook.toml"]
    header = (tmp_path / "references.bib").read_text()
    assert header.startswith("% references.bib: an annotated bibliography")
    assert "@" not in header  # nothing BibTeX could take for an entry
    assert cli("config", "--json").exit_code == 0
    assert cli("lint").exit_code == 0
    out = cli("add", "-", input="@misc{first2020, title={First Work}, year={2020}}\n")
    assert out.exit_code == 0 and refbook.load(tmp_path / "references.bib").keys() == ["first2020"]
    text = (tmp_path / "references.bib").read_bytes()
    out = cli("init")
    assert out.exit_code == 5 and "already exists" in out.stderr
    assert (tmp_path / "references.bib").read_bytes() == text
    out = cli("init", "thesis/refs.bib", "--json")
    assert out.exit_code == 5 and "no such directory" in out.stderr
    (tmp_path / "thesis").mkdir()
    out = cli("init", "thesis/refs.bib", "--json")
    assert json.loads(out.stdout) == {"created": ["thesis/refs.bib"]}


def test_init_refuses_before_writing_anything(cli, tmp_path):
    (tmp_path / "refbook.toml").write_text("bib = 'other.bib'\n")
    out = cli("init", "--config")
    assert out.exit_code == 5 and "refbook.toml" in out.stderr
    assert not (tmp_path / "references.bib").exists()
    assert (tmp_path / "refbook.toml").read_text() == "bib = 'other.bib'\n"


def test_shipped_bib_is_untouched_by_these_tests():
    assert refbook.load(SHIPPED_BIB)["zahid2023dealing"]
