"""Whatever BibTeX and biber accept, refbook loads: duplicate ``@string`` macros, macros
read in file order (as BibTeX, biber and pandoc do), and a generated sweep of the grammar
(entries, ``@string``/``@preamble``/``@comment``, both delimiters, ``#``, duplicates,
case variants, free text, line endings) run through every command that reads the file."""

from __future__ import annotations

import json
import re

import pytest
from hypothesis import HealthCheck, given, settings

import refbook
from refbook.export import run_pandoc

from .bibgen import Document, Runner, check_document, documents
from .conftest import REPO

# the file of issue 20: every command ended in AttributeError: 'String' object has no
# attribute 'fields'
HAXBY = (
    '@string{HaxbyJV = "Haxby, J. V."}\n'
    '@string{HaxbyJV = "Haxby, James V."}\n'
    "@article{zz, title={T}, author=HaxbyJV, year=2020}\n"
)

# the same macro redefined between entries, a macro built from another, one that refers
# to itself, a forward reference and an undefined macro
SCOPES = """@misc{fwd, title={F}, note = later # "/" # nowhere}
@string{a = "first"}
@string{later = "Later"}
@misc{k1, title={A}, note = a}
@string{b = a # "-b"}
@STRING{A = "second"}
@string{c = c # "-self"}
@string{b = b # "+"}
@misc{k2, title={B}, note = a # ", " # b # ", " # c}
"""


def test_a_macro_defined_twice_loads_and_warns_once_with_both_lines(cli, tmp_path):
    path = tmp_path / "f.bib"
    path.write_text(HAXBY)
    out = cli("--bib", str(path), "list", "--json")
    assert out.exit_code == 0, out.stderr
    assert "Traceback" not in out.stderr
    [entry] = json.loads(out.stdout)
    assert entry["fields"]["author"] == "Haxby, James V."  # the later definition
    assert out.stderr.splitlines() == [
        f"{path}:2: warning: duplicate @string 'HaxbyJV' (lines 1 and 2); entries from line 2 "
        "on use the later definition, as in BibTeX and biber"
    ]


def test_redefinition_with_the_same_text_and_in_another_case(tmp_path):
    lib = refbook.loads(
        '@string{j = "J"}\n\n@STRING{J = "J"}\n@string{k="K"}\n'
        '@String(K = "L")\n@string{k = {M}}\n@misc{a, journal = j # k}\n',
        "s.bib",
    )
    assert lib["a"]["journal"] == "JM"
    assert [(p.line, p.rule, p.message) for p in lib.problems] == [
        (
            3,
            "duplicate-string",
            "duplicate @string 'J' (lines 1 and 3), with the same text each time",
        ),
        (
            5,
            "duplicate-string",
            "duplicate @string 'k' (lines 4, 5 and 6); each entry uses the "
            "definition above it, as in BibTeX and biber",
        ),
    ]
    assert lib.problems[1].data == {"name": "k", "lines": [4, 5, 6]}


def test_macros_are_read_in_file_order():
    lib = refbook.loads(SCOPES)
    assert lib["k1"]["note"] == "first"
    # b was evaluated where it was defined (with the first a); c did not exist yet inside
    # its own definition; b's redefinition extends the earlier b
    assert lib["k2"]["note"] == "second, first-b+, c-self"
    # used above its definition: not defined yet there, so its name (as pandoc shows it)
    assert lib["fwd"]["note"] == "later/nowhere"
    assert lib.bib.strings == {"a": "second", "later": "Later", "b": "first-b+", "c": "c-self"}


def test_macro_values_agree_with_pandocs_bibtex_reader():
    """pandoc's reader is the oracle for what an entry means (the brief)."""
    for fmt in ("bibtex", "biblatex"):
        csl = json.loads(run_pandoc(["-f", fmt, "-t", "csljson"], SCOPES + HAXBY))
        theirs = {e["id"]: e.get("note") for e in csl}
        lib = refbook.loads(SCOPES + HAXBY)
        ours = {e.key: e.get("note") for e in lib}
        assert ours == theirs, fmt
        assert (
            lib["zz"].authors[0].given
            == next(e for e in csl if e["id"] == "zz")["author"][0]["given"]
        )


def test_fmt_refuses_a_sort_that_would_move_an_entry_across_a_redefinition(cli, tmp_path):
    path = tmp_path / "references.bib"
    path.write_text(
        '@string{j = "One"}\n\n@misc{b, title={B}, journal=j}\n\n'
        '@string{j = "Two"}\n\n@misc{a, title={A}, journal=j}\n'
    )
    (tmp_path / "refbook.toml").write_text('[fmt]\nsort = "key"\n')
    before = path.read_bytes()
    out = cli("fmt", "-i", cwd=tmp_path)
    assert path.read_bytes() == before
    assert out.exit_code == 3 and "nothing written" in out.stderr


def test_lint_reports_the_duplicate_once_and_follows_select_and_ignore(cli, tmp_path):
    path = tmp_path / "f.bib"
    path.write_text(HAXBY)
    out = cli("lint", "--bib", str(path), "--select", "strings")
    assert [ln for ln in out.stdout.splitlines() if "HaxbyJV" in ln] == [
        f"{path}:2: warning: [duplicate-string] duplicate @string 'HaxbyJV' (lines 1 and 2); "
        "entries from line 2 on use the later definition, as in BibTeX and biber"
    ]
    assert out.exit_code == 0  # a warning: fails only with --fail-on warning
    assert (
        "duplicate-string"
        not in cli("lint", "--bib", str(path), "--ignore", "duplicate-string").stdout
    )
    assert (
        cli(
            "lint", "--bib", str(path), "--select", "duplicate-string", "--fail-on", "warning"
        ).exit_code
        == 1
    )


def test_docs_examples_run_as_shown(cli):
    """The console examples of docs/bibtex.md, run from the repository root."""
    text = (REPO / "docs" / "bibtex.md").read_text()
    examples = re.findall(r"```console\n(.*?)```", text, re.S)
    assert examples
    for block in examples:
        for command, expected in re.findall(r"^\$ (.*)\n((?:(?!\$ ).*\n)*)", block, re.M):
            args = command.split()[1:]
            merged = "--json" not in args
            out = cli(*args, cwd=REPO)
            got = (out.stderr + out.stdout) if merged else out.stdout
            assert got == expected, command


@pytest.mark.parametrize("text", [HAXBY, SCOPES])
def test_every_reading_command_survives_the_issue_files(cli, tmp_path, text):
    path = tmp_path / "f.bib"
    path.write_text(text)
    for args in (
        ["list"],
        ["show", "k2" if "k2" in text else "zz"],
        ["stats"],
        ["search", "t"],
        ["export", "--format", "ris"],
        ["lint"],
        ["fmt", "--check"],
        ["dedupe"],
    ):
        out = cli("--bib", str(path), *args)
        assert "Traceback" not in out.stderr, (args, out.stderr)
        assert out.exit_code in (0, 1), (args, out.exit_code, out.stderr)


# -- what the generator found ---------------------------------------------------------------


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_line_numbers_with_every_line_ending(newline, tmp_path, cli):
    text = "% header\n@misc{a, title={A}}\n\n@misc{a,\n  title={B},\n  note = x}\n"
    path = tmp_path / "f.bib"
    path.write_bytes(text.replace("\n", newline).encode())
    lib = refbook.load(path)
    assert [(e.key, e.line, e.field_line("note")) for e in lib] == [("a", 2, 2), ("a", 4, 6)]
    assert [(p.line, p.rule) for p in lib.problems] == [(4, "duplicate-key")]
    out = cli("--bib", str(path), "lint", "--select", "undefined-string")
    assert f"{path}:6:10: warning: [undefined-string]" in out.stdout
    assert lib.bib.newline == newline
    lib.bib.set_field("a", "abstract", "two\nlines")
    assert "two" + newline + "lines" in lib.bib.render()


def test_a_file_of_macros_and_preambles_only_is_a_bibliography(cli, tmp_path):
    path = tmp_path / "macros.bib"
    path.write_text('@preamble{"\\newcommand{\\noop}[1]{#1}"}\n@string{j = "J"}\n')
    out = cli("--bib", str(path), "list")
    assert (out.exit_code, out.stderr) == (1, f"refbook: {path}: no entries\n")
    assert refbook.load(path).bib.strings == {"j": "J"}


def test_fmt_keeps_comment_paragraphs_and_crlf_macros(cli, tmp_path):
    path = tmp_path / "f.bib"
    path.write_bytes(
        b"@string{j = {A} #\r\n  {B}}\r\n% one\r\n\r\n\r\n% two\r\n"
        b"@misc{k, title={T}, journal=j}\r\n"
    )
    out = cli("--bib", str(path), "fmt")
    assert out.exit_code == 0, out.stderr
    data = out.stdout.encode()
    assert b"\r\r" not in data and data.count(b"\n") == data.count(b"\r\n")
    assert b"@string{j = {A} #\r\n  {B}}\r\n" in data and b"% two\r\n" in data


# -- the generated sweep ------------------------------------------------------------------


def _runner(cli) -> Runner:
    def run(argv: list[str]) -> tuple[int, str, str]:
        out = cli(*argv)
        return out.exit_code, out.stdout, out.stderr

    return run


@settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(doc=documents())
def test_generated_documents_load_in_every_command(cli, tmp_path, doc: Document):
    path = tmp_path / "gen.bib"
    path.write_bytes(doc.text.encode("utf-8"))
    failures = check_document(doc, str(path), _runner(cli))
    assert not failures, "\n".join(failures) + "\n--- document:\n" + doc.text


@settings(
    max_examples=4,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(doc=documents(max_blocks=5))
def test_generated_documents_through_pandoc_styles(cli, tmp_path, doc: Document):
    path = tmp_path / "gen.bib"
    path.write_bytes(doc.text.encode("utf-8"))
    failures = check_document(doc, str(path), _runner(cli), pandoc=True)
    assert not failures, "\n".join(failures) + "\n--- document:\n" + doc.text


# -- `@ article{` and `%` comments, read as BibTeX, biber and pandoc read them -------------

# white space (a line break too) after the `@` and before the delimiter: BibTeX and biber
# read all of these; pandoc reads the ones without white space after the `@`
HEADS = (
    "@ article{h1, title={One}, year=2001}\n"
    "@\narticle{h2, title={Two}, year=2002}\n"
    "@article\n  {h3, title={Three}, year=2003}\n"
    "@ string{pub = {Pub}}\n"
    "@ misc (h4, title={Four}, publisher=pub)\n"
    "@article {h5,\n  title = {Five},\n  year = 2005}\n"
)

# `%` to the end of the line is a comment inside a block and at the top level (biber and
# pandoc), so an entry commented out line by line is no entry; inside a value it is text
COMMENTS = """%@ARTICLE{c1,
%  title = {Commented out},
%}
@ARTICLE{c1, title={Real one}, year=2000}
@article{c2,
  title = {Two},
% note = {commented out, with a } and a " and @article{x,},
  year = 2002}
@article{c3, % a comment after the key
  title = {Three}, % volume = {9},
  year = 2003, volume = {5}}
@article{c4, title = % a comment before the value
  {Four}, year=2004}
x %@article{c5, title={after free text}}
@article{c6, title = {10\\% of cases}, note = "50\\% of", year=2006}
"""


def _fields(lib) -> dict[str, dict[str, str]]:
    return {e.key: {n: e.text(n, None) for n in ("title", "year", "note", "volume")} for e in lib}


def test_white_space_in_a_block_head_is_read_as_bibtex_and_biber_read_it(cli, tmp_path):
    path = tmp_path / "heads.bib"
    path.write_text(HEADS)
    out = cli("--bib", str(path), "list", "--json")
    assert (out.exit_code, out.stderr) == (0, "")  # no "stray '@'" warning
    records = json.loads(out.stdout)
    assert [(r["id"], r["title"], r["source"]["line"]) for r in records] == [
        ("h1", "One", 1),
        ("h2", "Two", 2),
        ("h3", "Three", 4),
        ("h4", "Four", 7),
        ("h5", "Five", 8),
    ]
    assert records[3]["fields"]["publisher"] == "Pub"  # the @string was read too
    lib = refbook.load(path)
    assert lib["h5"].field_line("year") == 10
    # pandoc reads those without white space after the `@`, and reads them the same
    readable = "".join(HEADS.splitlines(keepends=True)[i] for i in (3, 4, 7, 8, 9))
    csl = json.loads(run_pandoc(["-f", "biblatex", "-t", "csljson"], readable))
    assert {e["id"]: e["title"] for e in csl} == {"h3": "Three", "h5": "Five"}
    # a no-op save is byte-identical, an edit touches its field alone
    lib.bib.save(force=True)
    assert path.read_text() == HEADS
    assert cli("--bib", str(path), "set", "h2", "volume=7").exit_code == 0
    assert cli("--bib", str(path), "set", "h1", "title=Uno").exit_code == 0
    assert path.read_text() == HEADS.replace(
        "{Two}, year=2002}", "{Two}, year=2002, volume={7}}"
    ).replace("{One}", "{Uno}")


def test_percent_comments_are_read_as_biber_and_pandoc_read_them(tmp_path):
    lib = refbook.loads(COMMENTS, "c.bib")
    assert lib.problems == []
    assert _fields(lib) == {
        "c1": {"title": "Real one", "year": "2000", "note": None, "volume": None},
        "c2": {"title": "Two", "year": "2002", "note": None, "volume": None},
        "c3": {"title": "Three", "year": "2003", "note": None, "volume": "5"},
        "c4": {"title": "Four", "year": "2004", "note": None, "volume": None},
        "c6": {"title": "10% of cases", "year": "2006", "note": "50% of", "volume": None},
    }
    assert [e.line for e in lib] == [4, 5, 9, 12, 15]
    csl = json.loads(run_pandoc(["-f", "biblatex", "-t", "csljson"], COMMENTS))
    theirs = {
        e["id"]: {n: e.get(n) for n in ("title", "note", "volume")}
        | {"year": str(e["issued"]["date-parts"][0][0])}
        for e in csl
    }
    ours = {k: {n: v for n, v in f.items()} for k, f in _fields(lib).items()}
    assert ours == theirs


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("{10% of cases}", "10% of cases"),
        ('"50% of" # { x % y}', "50% of x % y"),
        ("{Multi % comment\n  line}", "Multi % comment line"),
        ("{a {nested % here}, b}", "a nested % here, b"),
    ],
)
def test_a_percent_inside_a_value_is_part_of_it(value, text):
    """BibTeX, biber and pandoc all keep it in the value (where LaTeX, and pandoc's
    reading of the value, then take it for a comment: lint's bare-special says so)."""
    lib = refbook.loads(f"@misc{{k, title = {value}, year = 2020}}\n", "v.bib")
    assert lib["k"].title == text
    assert lib["k"]["year"] == "2020"


def test_edits_and_fmt_keep_comment_lines_inside_entries(cli, tmp_path):
    path = tmp_path / "c.bib"
    path.write_text(COMMENTS)
    lib = refbook.load(path)
    lib.bib.save(force=True)
    assert path.read_text() == COMMENTS  # no-op save
    assert cli("--bib", str(path), "set", "c2", "note=N").exit_code == 0
    assert cli("--bib", str(path), "set", "c4", "title=Vier").exit_code == 0
    assert cli("--bib", str(path), "set", "c3", "volume=6").exit_code == 0
    want = (
        COMMENTS.replace("  year = 2002}", "  year = 2002,\n  note = {N}}")
        .replace("{Four}", "{Vier}")
        .replace("volume = {5}", "volume = {6}")
    )
    assert path.read_text() == want
    # fmt keeps an entry with comment lines as written (which field would a comment
    # go with?) and lays out the others; a second run changes nothing
    assert cli("--bib", str(path), "fmt", "-i").exit_code == 0
    after = path.read_text()
    assert "% note = {commented out" in after and "% volume = {9}," in after
    assert "% a comment before the value\n  {Vier}" in after
    assert "@article{c6,\n  title = {10\\% of cases}," in after
    assert cli("--bib", str(path), "fmt", "--check").exit_code == 0
    # an edited entry may hold comment lines too
    lib = refbook.load(path)
    lib.bib.replace_entry("c1", "@article{c1,\n% old = {x},\n  title = {Re},\n}")
    assert [(f.key, f.value) for f in lib.bib.find("c1").entry.fields] == [("title", "{Re}")]


@pytest.mark.parametrize(
    ("text", "keys"),
    [
        ("@misc{a%2Fb, title={T}}\n@misc{c, title={U}}\n", ["a%2Fb", "c"]),  # as for BibTeX
        ("@misc{% the key is on the next line\n  k1, title={T}}\n", ["k1"]),
        ("@comment{ 50% @misc{x, title={X}} }\n@misc{c, title={U}}\n", ["c"]),
        ('@misc{q, title = "a % in quotes, {and} braces", year = 2000}\n', ["q"]),
        ("@misc{open, title = {never closed\n\n@misc{next, title={N}, % c\n year=1}\n", ["next"]),
        # (found by bench_grammar: a preamble's quoted text was once taken for a key)
        ('@preamble{"\\noop{#1}"} @ online (k2, % c\n url = {u})\n@string{s = "x"}', ["k2"]),
    ],
)
def test_reader_text_keeps_offsets_and_reads_these_as_before(text, keys):
    from refbook.bibtex import reader_text

    view = reader_text(text)
    assert len(view) == len(text)
    assert [i for i, c in enumerate(view) if c == "\n"] == [
        i for i, c in enumerate(text) if c == "\n"
    ]
    lib = refbook.loads(text, "k.bib")
    assert [e.key for e in lib] == keys
    if "q" in keys:
        assert lib["q"]["title"] == "a % in quotes, {and} braces" and lib["q"]["year"] == "2000"
    if "next" in keys:
        assert lib["next"]["year"] == "1"


def test_entries_after_a_broken_key_are_read_when_its_next_head_comes_again(cli, tmp_path):
    # bibtexparser ends the broken block with the next block's head (`@article`); that head
    # was searched for after itself, found at the later `@article{dup`, and the five
    # entries between vanished without a word (found by the language server's property test)
    middle = "".join(
        f"@book{{m{i},\n  title = {{Middle {i}}},\n  year = 2001,\n}}\n\n" for i in range(5)
    )
    dup = "@article{dup,\n  title = {Again},\n  year = 2020,\n}\n"
    text = f"@online{{broken\n{dup}\n{middle}{dup}"
    bib = tmp_path / "references.bib"
    bib.write_text(text, encoding="utf-8")
    keys = cli("--no-cache", "--bib", str(bib), "list", "--keys").stdout.split()
    assert [k for k in keys if k.startswith("m")] == [f"m{i}" for i in range(5)]
    assert "m3" in refbook.load(str(bib)).keys()
