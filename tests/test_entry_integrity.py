"""An entry's identity and its own text: `rm`/`merge` take the entry's comment lines with it,
`ids` aliases (what `merge` records) resolve wherever a key is looked up, and `add` never
writes an entry from input that is not what it claims to be."""

from __future__ import annotations

import json
import shutil

import pytest

import refbook

from .conftest import SHIPPED_BIB

MIR_COMMENT = "% Suspected duplicate: anwar2023pakistan has the same title"


# -- comment blocks go with their entry ---------------------------------------------------------


def test_rm_removes_the_comment_block_above_the_entry(cli, tmp_bib):
    assert MIR_COMMENT in tmp_bib.read_text()
    out = cli("rm", "--yes", "mir2023pakistan", "--bib", str(tmp_bib))
    assert out.exit_code == 0, out.stderr
    text = tmp_bib.read_text()
    assert MIR_COMMENT not in text and text.count("Institute of Peace, 2023); both are kept") == 1
    # the entry before and the one after keep their own comments and spacing
    assert "\n}\n\n@online{pti2023pakistan," in text
    assert refbook.load(tmp_bib).problems == []


def test_merge_removes_the_dropped_entrys_comment_block(cli, tmp_bib):
    out = cli(
        "merge", "anwar2023pakistan", "mir2023pakistan", "--prefer", "keep", "--bib", str(tmp_bib)
    )
    assert out.exit_code == 0, out.stderr
    assert MIR_COMMENT not in tmp_bib.read_text()


@pytest.mark.parametrize(
    "command",
    [
        ("rm", "--yes", "mir2023pakistan"),
        ("merge", "anwar2023pakistan", "mir2023pakistan", "--prefer", "keep"),
    ],
)
def test_dry_run_shows_the_comment_going_and_writes_nothing(cli, tmp_bib, command):
    before = tmp_bib.read_bytes()
    out = cli(*command, "--dry-run", "--bib", str(tmp_bib))
    assert out.exit_code == 0, out.stderr
    assert "-" + MIR_COMMENT in out.stdout and "-@report{mir2023pakistan," in out.stdout
    assert tmp_bib.read_bytes() == before
    out = cli(*command, "--dry-run", "--json", "--bib", str(tmp_bib))
    report = json.loads(out.stdout)
    assert report["saved"] is False and MIR_COMMENT in report["diff"]


def test_comments_not_attached_to_the_entry_stay(tmp_path):
    from refbook.store import BibFile

    text = (
        "% Encoding: UTF-8\n@misc{first, title={F}}\n\n% a loose note\n\n"
        "@misc{b, title={B}}\n% about c\n   % more about c\n@misc{c, title={C}}\n"
    )
    bib = BibFile(text)
    bib.remove_entry("first")  # the file's header comment is not the first entry's
    assert (
        bib.render() == "% Encoding: UTF-8\n\n% a loose note\n\n@misc{b, title={B}}\n"
        "% about c\n   % more about c\n@misc{c, title={C}}\n"
    )
    bib = BibFile(text)
    bib.remove_entry("c")
    assert (
        bib.render() == "% Encoding: UTF-8\n@misc{first, title={F}}\n\n% a loose note\n\n"
        "@misc{b, title={B}}\n"
    )
    bib = BibFile(text)
    bib.remove_entry("b")  # the blank line that separated b from what follows stays
    assert (
        bib.render() == "% Encoding: UTF-8\n@misc{first, title={F}}\n\n% a loose note\n\n"
        "% about c\n   % more about c\n@misc{c, title={C}}\n"
    )


# -- ids aliases ----------------------------------------------------------------------------------


@pytest.fixture
def merged(cli, tmp_path):
    bib = tmp_path / "references.bib"
    shutil.copyfile(SHIPPED_BIB, bib)
    out = cli(
        "merge", "anwar2023pakistan", "mir2023pakistan", "--prefer", "keep", "--bib", str(bib)
    )
    assert out.exit_code == 0, out.stderr
    assert "ids = {mir2023pakistan}" in bib.read_text()
    return bib


def test_show_cite_export_find_an_entry_by_its_old_key(cli, merged):
    out = cli("show", "mir2023pakistan", "--json", "--bib", str(merged))
    assert out.exit_code == 0, out.stderr
    assert json.loads(out.stdout)[0]["id"] == "anwar2023pakistan"
    out = cli("cite", "MIR2023pakistan", "--syntax", "pandoc", "--bib", str(merged))
    assert out.stdout.strip() == "[@anwar2023pakistan]"
    out = cli("cite", "mir2023pakistan", "--bib", str(merged))
    assert out.exit_code == 0 and "Anwar" in out.stdout
    out = cli("export", "mir2023pakistan", "--format", "csl-json", "--bib", str(merged))
    assert json.loads(out.stdout)[0]["id"] == "anwar2023pakistan"
    assert refbook.load(merged)["mir2023pakistan"].key == "anwar2023pakistan"
    assert refbook.load(merged)["anwar2023pakistan"].aliases == ["mir2023pakistan"]


def test_cite_check_and_render_resolve_old_keys(cli, merged, tmp_path):
    essay = tmp_path / "essay.md"
    essay.write_text("Pakistan hesitated [@mir2023pakistan, p. 3].\n")
    out = cli("cite-check", str(essay), "--json", "--bib", str(merged))
    assert out.exit_code == 0, out.stdout
    citation = json.loads(out.stdout)["citations"][0]
    assert citation["status"] == "matched" and citation["keys"] == ["anwar2023pakistan"]
    out = cli("render", str(essay), "--bib", str(merged))
    assert out.exit_code == 0, out.stderr
    assert "(Anwar et al., 2023, p. 3)" in out.stdout and "???" not in out.stdout
    out = cli("export", "--cited-in", str(essay), "--format", "json", "--bib", str(merged))
    assert [e["id"] for e in json.loads(out.stdout)] == ["anwar2023pakistan"]


def test_rename_of_an_alias_renames_the_alias_and_its_citations(cli, merged, tmp_path):
    essay = tmp_path / "essay.md"
    essay.write_text("See [@mir2023pakistan].\n")
    out = cli("rename", "mir2023pakistan", "mir2023", "--in", str(essay), "--bib", str(merged))
    assert out.exit_code == 0, out.stderr
    lib = refbook.load(merged)
    assert "anwar2023pakistan" in lib and lib["anwar2023pakistan"].aliases == ["mir2023"]
    assert essay.read_text() == "See [@mir2023].\n"


def test_a_new_key_never_takes_an_alias(cli, merged, tmp_path):
    out = cli("rename", "zahid2023dealing", "mir2023pakistan", "--bib", str(merged))
    assert out.exit_code == 2 and "already exists" in out.stderr


# -- add: input that is not what it claims -----------------------------------------------------


@pytest.mark.parametrize(
    "data, message",
    [
        ('[{"type": "book", "title": "T", "author": "x"}]', "'author' must be a list of names"),
        ('[{"type": "book", "title": "T", "author": ["x"]}]', "'author' must be a list of name"),
        ('{"not": "a list"}', "not CSL-JSON"),
        ('[{"type": "book"}]', "no title"),
        ('[{"type": "book", "title": "T"}, 3]', "item 2: expected an object"),
        ('[{"type": "book", "title": "T", "issued": "2020"}]', "'issued' must be a date"),
        ('[{"type": "book", "title": {"x": 1}}]', "'title' must be a string"),
        ('[{"type": "book", "title": "A {lone brace"}]', "unbalanced '{'"),
        ('["just a string"]', "item 1: expected an object"),
    ],
)
def test_add_rejects_json_that_is_not_csl(cli, tmp_bib, tmp_path, data, message):
    src = tmp_path / "in.json"
    src.write_text(data)
    before = tmp_bib.read_bytes()
    out = cli("add", str(src), "--bib", str(tmp_bib))
    assert out.exit_code == 3, out.stderr
    assert message in out.stderr and str(src) in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1 and "Traceback" not in out.stderr
    assert tmp_bib.read_bytes() == before


@pytest.mark.parametrize(
    "source, fmt",
    [
        ("TY  - JOUR\nAU  - Doe, J.\nPY  - 2020\nER  - \n", "ris"),
        ("@misc{notitle, author = {Doe, J.}, year = {2020}}\n", "bibtex"),
    ],
)
def test_add_never_writes_an_entry_without_a_title(cli, tmp_bib, tmp_path, source, fmt):
    src = tmp_path / f"in.{fmt}"
    src.write_text(source)
    before = tmp_bib.read_bytes()
    out = cli("add", str(src), "--bib", str(tmp_bib))
    assert out.exit_code == 3 and "no title" in out.stderr, out.stderr
    assert tmp_bib.read_bytes() == before


def test_add_is_all_or_nothing(cli, tmp_bib, tmp_path):
    src = tmp_path / "in.json"
    src.write_text('[{"type": "book", "title": "Good"}, {"type": "book"}]')
    before = tmp_bib.read_bytes()
    assert cli("add", str(src), "--bib", str(tmp_bib)).exit_code == 3
    assert tmp_bib.read_bytes() == before


def test_csl_text_is_escaped_and_markup_kept(cli, tmp_path):
    bib = tmp_path / "refs.bib"
    bib.write_text("")
    src = tmp_path / "in.json"
    src.write_text(
        json.dumps(
            [
                {
                    "type": "article-journal",
                    "title": 'R&amp;D at 50% in <i>Dawn</i>: the <span class="nocase">TTP</span>',
                    "author": [{"family": "Smith & Co"}],
                    "container-title": "J_Stat",
                    "issued": {"date-parts": [[2020]]},
                }
            ]
        )
    )
    out = cli("add", str(src), "--bib", str(bib))
    assert out.exit_code == 0, out.stderr
    e = refbook.load(bib)[out.stdout.split()[-1]]
    assert e.raw("title") == r"{R\&D at 50\% in \emph{Dawn}: the {TTP}}"
    assert e.title == "R&D at 50% in Dawn: the TTP"
    assert e.container == "J_Stat"
    assert [str(p) for p in e.authors] == ["Smith & Co"]  # one corporate name, not "Co, Smith &"


def test_merge_keeps_the_dropped_entrys_own_aliases(cli, merged):
    out = cli(
        "merge", "zahid2023dealing", "anwar2023pakistan", "--prefer", "keep", "--bib", str(merged)
    )
    assert out.exit_code == 0, out.stderr
    lib = refbook.load(merged)
    assert lib["zahid2023dealing"].aliases == ["anwar2023pakistan", "mir2023pakistan"]
    assert lib["mir2023pakistan"].key == "zahid2023dealing"
