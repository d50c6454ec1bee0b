"""Issue 13, items 1-6: what the reader of an essay sees from real .bib files.  Each test
is a minimal case of a defect found on real files (the corpus of tests/corpus/MANIFEST); pandoc's own BibLaTeX
reader is the reference where the issue is silent."""

from __future__ import annotations

import json
import re
import textwrap

import pytest

import refbook
from refbook.csl import to_csl
from refbook.latex import to_text


def write(tmp_path, text: str, name: str = "refs.bib"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def csl(cli, bib) -> list[dict]:
    out = cli("--bib", str(bib), "export", "--format", "csl-json")
    assert out.exit_code == 0, out.stderr
    return json.loads(out.stdout)


def references(text: str) -> list[str]:
    return [" ".join(p.split()) for p in text.strip().split("\n\n") if p.strip()]


# -- 1. no entry vanishes from a formatted list ------------------------------------------------


def test_entries_sharing_a_key_are_all_listed_with_a_warning(cli, tmp_path):
    bib = write(
        tmp_path,
        """\
        @article{a, author = {One, Ann}, title = {First}, journal = {J}, year = 2001}

        @article{a, author = {Two, Bob}, title = {Second}, journal = {J}, year = 2002}
        """,
    )
    out = cli("--bib", str(bib), "export")
    assert out.exit_code == 0
    refs = references(out.stdout)
    assert len(refs) == 2 and "First" in out.stdout and "Second" in out.stdout
    assert f"{bib}:3: warning: duplicate key 'a' (also on line 1); exported as 'a-2'" in out.stderr
    assert [i["id"] for i in csl(cli, bib)] == ["a", "a-2"]


def test_entries_without_a_key_are_all_listed(cli, tmp_path):
    bib = write(
        tmp_path,
        "\n".join(
            f"@article{{, author = {{Author{n}, A.}}, title = {{Work {n}}}, journal = {{J}}, "
            f"year = {2000 + n}}}"
            for n in range(5)
        ),
    )
    out = cli("--bib", str(bib), "export", "--style", "ieee")
    assert len(references(out.stdout)) == 5
    ids = [i["id"] for i in csl(cli, bib)]
    assert ids == ["line-1", "line-2", "line-3", "line-4", "line-5"]
    assert "entry without a key; exported as 'line-1'" in out.stderr
    html = cli("--bib", str(bib), "export", "--to", "html").stdout
    assert html.count('class="csl-entry"') == 5


def test_a_note_that_looks_like_a_csl_variable_keeps_the_entry_and_the_note(cli, tmp_path):
    # Mendeley writes note = {ID: TN_...}; citeproc reads "Name: value" at the start of a
    # note as a variable: the item took the id TN_... and the note vanished
    import subprocess

    from refbook.export import pandoc_executable

    bib = write(
        tmp_path,
        """\
        @misc{k, author = {Doe, J.}, title = {T}, year = 2000, note = {ID: TN_x123}}
        @misc{m, author = {Roe, R.}, title = {U}, year = 2001, note = {Translation: by me}}
        """,
    )
    page = cli("--bib", str(bib), "export", "--to", "html", "--standalone")
    assert page.exit_code == 0 and 'id="k"' in page.stdout and "TN_x123" not in page.stdout
    back = subprocess.run(
        [pandoc_executable(), "-f", "csljson", "-t", "csljson"],
        input=json.dumps(csl(cli, bib)),
        capture_output=True,
        text=True,
        check=True,
    )
    items = json.loads(back.stdout)
    assert [i["id"] for i in items] == ["k", "m"]
    assert "TN_x123" in items[0]["note"] and "by me" in items[1]["note"]


def test_an_id_made_for_a_duplicate_never_takes_another_entrys_key(tmp_path):
    from refbook.csl import csl_items

    lib = refbook.loads("@misc{a, title={X}}\n@misc{a, title={Y}}\n@misc{a-2, title={Z}}\n")
    assert [i["id"] for i in csl_items(list(lib))] == ["a", "a-3", "a-2"]


# -- 2. plain Unicode in CSL-JSON: no HTML entities anywhere ----------------------------------

SPECIAL = r"Tom \& Jerry <b> \"q\" 'a' > 1"
FIELDS = (
    "title",
    "journal",
    "booktitle",
    "publisher",
    "note",
    "series",
    "address",
    "edition",
    "howpublished",
    "institution",
)


def test_an_escaped_ampersand_is_an_ampersand(cli, tmp_path):
    bib = write(
        tmp_path,
        r"""
        @article{cg, author = {Doe, Jane}, title = {Crystals \& Growth},
          journal = {Crystal Growth \& Design}, year = 2020, volume = 3, pages = {1--5}}
        """,
    )
    item = csl(cli, bib)[0]
    assert item["container-title"] == "Crystal Growth & Design"
    assert item["title"] == "Crystals & growth"
    for style in ("apa", "mla", "chicago", "ieee"):
        text = cli("--bib", str(bib), "export", "--style", style).stdout
        assert "Crystal Growth & Design" in text, (style, text)
        assert "&Amp;" not in text and "&amp;" not in text
    html = cli("--bib", str(bib), "export", "--to", "html").stdout
    assert "Crystal Growth &amp; Design" in html and "&amp;amp;" not in html


@pytest.mark.parametrize("field", FIELDS)
def test_special_characters_in_every_field_survive_text_markdown_and_html(cli, tmp_path, field):
    value = r"A \& B < C > D ``E'' `F' G's"
    fields = {"author": "Doe, Jane", "title": "Title", "year": "2020"}
    fields[field] = value
    body = ", ".join(f"{k} = {{{v}}}" for k, v in fields.items())
    etype = {
        "journal": "article",
        "booktitle": "incollection",
        "institution": "report",
        "howpublished": "misc",
    }.get(field, "book")
    bib = write(tmp_path, f"@{etype}{{k, {body}}}\n")
    item = csl(cli, bib)[0]
    rendered = json.dumps(item, ensure_ascii=False)
    assert "&amp;" not in rendered and "&lt;" not in rendered and "&gt;" not in rendered
    for style in ("apa", "chicago", "ieee"):
        text = cli("--bib", str(bib), "export", "--style", style).stdout
        md = cli("--bib", str(bib), "export", "--style", style, "--to", "markdown").stdout
        html = cli("--bib", str(bib), "export", "--style", style, "--to", "html").stdout
        for out in (text, md):
            assert "&amp;" not in out and "&lt;" not in out and "&Amp;" not in out, (style, out)
        if "A & B" in text:  # the style prints this field
            # quotation marks as the style's locale sets them (citeproc's flip-flop)
            assert "< C > D" in text and "“E”" in text and re.search("[‘“]F[’”]", text)
            assert "A &amp; B &lt; C &gt; D" in html
            assert "&amp;amp;" not in html and "&amp;lt;" not in html
            assert "A & B \\< C \\> D" in md or "A & B < C > D" in md


def test_math_delimiters_become_text_not_entities(cli, tmp_path):
    bib = write(
        tmp_path,
        r"""
        @article{m, author = {Doe, Jane}, title = {Growth of {GaN} $<$111$>$ and
          $\mathrm{cm}^{-1}$ Bands}, journal = {J}, year = 2020}
        """,
    )
    item = csl(cli, bib)[0]
    assert "$" not in item["title"] and "&lt;" not in item["title"]
    assert "<111>" in item["title"]
    assert "cm<sup>−1</sup>" in item["title"]
    text = cli("--bib", str(bib), "export").stdout
    assert "<111>" in text and "cm⁻¹" in text and "$" not in text
    html = cli("--bib", str(bib), "export", "--to", "html").stdout
    assert "&lt;111&gt;" in html and "cm<sup>−1</sup>" in html


# -- 3. crossref and xdata ----------------------------------------------------------------------

WESTFAHL = r"""
@InBook{westfahl:space,
  author       = {Westfahl, Gary},
  title        = {The True Frontier},
  subtitle     = {Confronting and Avoiding the Realities of Space in {American}
                  Science Fiction Films},
  pages        = {55--65},
  crossref     = {westfahl:frontier},
}

@Collection{westfahl:frontier,
  editor       = {Westfahl, Gary},
  title        = {Space and Beyond},
  date         = 2000,
  subtitle     = {The Frontier Theme in Science Fiction},
  booktitle    = {Space and Beyond},
  booksubtitle = {The Frontier Theme in Science Fiction},
  publisher    = {Greenwood},
  location     = {Westport, Conn. and London},
}
"""


def test_a_crossref_child_inherits_its_parents_fields(cli, tmp_path):
    bib = write(tmp_path, WESTFAHL)
    text = cli("--bib", str(bib), "export").stdout
    assert (
        "Westfahl, G. (2000b). The true frontier: Confronting and avoiding the realities "
        "of space in American science fiction films. In G. Westfahl (Ed.), Space and "
        "beyond: The frontier theme in science fiction (pp. 55–65). Greenwood."
    ) in " ".join(text.split())
    child = refbook.load(bib)["westfahl:space"]
    assert child.year == 2000 and child.inherited_from("booktitle") == "westfahl:frontier"
    assert child.get("publisher") == "Greenwood" and child.editors[0].last == "Westfahl"
    assert "booktitle" not in child.fields  # the file keeps the entry's own fields
    assert cli("--bib", str(bib), "cite", "westfahl:space").stdout.strip() == "(Westfahl, 2000b)"


def test_lint_sees_inherited_fields_and_reports_a_missing_parent(cli, tmp_path):
    bib = write(
        tmp_path,
        WESTFAHL + "\n@inproceedings{lost, author = {A, B}, title = {T}, crossref = {nowhere}}\n",
    )
    out = json.loads(cli("--bib", str(bib), "lint", "--json", "--select", "required-fields").stdout)
    findings = {(f["key"], f["rule"], f["severity"]) for f in out["findings"]}
    assert ("westfahl:space", "required-fields", "error") not in findings
    assert ("lost", "crossref", "warning") in findings
    assert ("lost", "required-fields", "error") in findings  # nothing to inherit from
    message = next(f["message"] for f in out["findings"] if f["rule"] == "crossref")
    assert message == "crossref parent 'nowhere' not found; nothing inherited"


def test_search_finds_a_child_by_its_inherited_container(cli, tmp_path):
    bib = write(tmp_path, WESTFAHL)
    # "beyond" is only in the parent's title, which is the child's booktitle
    keys = cli("--bib", str(bib), "search", "beyond", "--keys").stdout.split()
    assert sorted(keys) == ["westfahl:frontier", "westfahl:space"]


def test_cite_check_matches_a_child_by_its_inherited_year(cli, tmp_path):
    bib = write(
        tmp_path,
        """\
        @incollection{smith:ch, author = {Smith, Ann}, title = {A Chapter},
          crossref = {volume}}
        @collection{volume, editor = {Roe, Rita}, title = {The Volume}, year = 1999,
          publisher = {P}}
        """,
    )
    paper = tmp_path / "paper.md"
    paper.write_text("It was argued (Smith, 1999), and others agree (Roe, 1999).\n")
    out = json.loads(cli("--bib", str(bib), "cite-check", str(paper), "--json").stdout)
    status = {c["text"]: (c["status"], c["keys"]) for c in out["citations"]}
    assert status["(Smith, 1999)"] == ("matched", ["smith:ch"])


def test_cascading_crossrefs_and_biblatex_field_names(tmp_path):
    lib = refbook.loads(r"""
        @mvbook{works, author = {Knuth, Donald E.}, title = {Computers \& Typesetting},
                publisher = {Addison-Wesley}, date = 1984, volumes = 5}
        @book{texbook, title = {The {\TeX}book}, volume = {A}, crossref = {works}}
        @inbook{ch1, title = {The Name of the Game}, pages = {1--4}, crossref = {texbook}}
        @periodical{jcg, title = {Computers and Graphics}, issuetitle = {Semantic 3D Media},
                    volume = 35, number = 4, year = 2011}
        @article{art, author = {Doe, J.}, title = {A Paper}, pages = {1--9}, crossref = {jcg}}
        """)
    book, chapter, article = lib["texbook"], lib["ch1"], lib["art"]
    assert book.get("maintitle") == r"Computers \& Typesetting" and book.get("title") != book.get(
        "maintitle"
    )
    assert chapter.get("booktitle") == r"The {\TeX}book"
    assert chapter.get("maintitle") == r"Computers \& Typesetting"
    assert chapter.get("bookauthor") == "Knuth, Donald E." and chapter.authors[0].last == "Knuth"
    assert chapter.year == 1984 and chapter.get("publisher") == "Addison-Wesley"
    assert article.get("journaltitle") == "Computers and Graphics"
    assert to_csl(article)["container-title"] == "Computers and Graphics"
    assert to_csl(article)["issue"] == "4"
    assert "volumes" in book.inherited and "volumes" in chapter.inherited


def test_xdata_fields_are_inherited_and_take_precedence_over_crossref(tmp_path):
    lib = refbook.loads("""
        @xdata{pub, publisher = {Xdata Press}, location = {London}}
        @book{parent, title = {Parent}, publisher = {Crossref Press}, year = 1999}
        @inbook{child, title = {Child}, xdata = {pub}, crossref = {parent}}
        """)
    child = lib["child"]
    assert child.get("publisher") == "Xdata Press" and child.get("location") == "London"
    assert child.get("booktitle") == "Parent" and child.year == 1999


def test_a_crossref_cycle_is_a_warning_not_a_hang(cli, tmp_path):
    bib = write(
        tmp_path,
        """\
        @book{c1, title = {One}, crossref = {c3}}
        @book{c2, title = {Two}, crossref = {c1}}
        @book{c3, title = {Three}, crossref = {c2}, year = 2000}
        """,
    )
    out = cli("--bib", str(bib), "export")
    assert out.exit_code == 0 and len(references(out.stdout)) == 3
    assert "warning: crossref cycle c1 -> c3 -> c2 -> c1; not followed" in out.stderr
    assert out.stderr.count("crossref cycle") == 1


def test_edits_and_fixes_never_copy_inherited_fields_into_the_child(cli, tmp_path):
    bib = write(
        tmp_path,
        WESTFAHL.replace(
            "  publisher    = {Greenwood},",
            "  publisher    = {Greenwood},\n  doi          = {https://doi.org/10.1000/XYZ},",
        ),
    )
    before = bib.read_text()
    assert cli("--bib", str(bib), "set", "westfahl:space", "note=Read twice").exit_code == 0
    assert cli("--bib", str(bib), "lint", "--fix").exit_code in (0, 1)
    after = bib.read_text()
    child = after[after.index("@InBook") : after.index("@Collection")]
    assert re.search(r"note\s+= \{Read twice\}", child)
    for name in ("doi", "publisher", "booktitle", "year", "date"):
        assert f"{name} " not in child.lower().replace("note", ""), name
    assert "doi          = {10.1000/XYZ}" in after  # fixed where it is written
    assert after.count("\n") == before.count("\n") + 1


# -- 4. et al. ------------------------------------------------------------------------------------


def test_and_others_gives_et_al(cli, tmp_path):
    bib = write(
        tmp_path,
        """\
        @article{bennett, author = {Bennett, James and Lanning, Stan and others},
          title = {The Netflix Prize}, journal = {Proceedings of KDD Cup}, year = 2007}
        """,
    )
    assert cli("--bib", str(bib), "cite", "bennett").stdout.strip() == "(Bennett et al., 2007)"
    text = cli("--bib", str(bib), "export").stdout
    assert text.startswith("Bennett, J., Lanning, S., et al. (2007).")
    assert csl(cli, bib)[0]["author"][-1] == {"literal": "others"}


def test_et_al_written_as_a_name_and_particles_after_the_given_name():
    item = item_of("""@article{x, title = {T}, journal = {J}, year = 2017, author = {Lin, Zhouhan
        and Santos, Cicero Nogueira dos and Isard, M. and et al.}}""")
    assert item["author"][1] == {
        "family": "Santos",
        "given": "Cicero Nogueira",
        "dropping-particle": "dos",
    }
    assert item["author"][-1] == {"literal": "others"}
    assert (
        refbook.loads("@misc{m, author = {Doe, J. and family=Brown, given=Brian, prefix=de}}")
        .get("m")
        .authors[1]
        .family
        == "de Brown"
    )


# -- 5. BibLaTeX fields ---------------------------------------------------------------------------


def item_of(text: str) -> dict:
    lib = refbook.loads(text)
    return to_csl(next(iter(lib)))


def test_subtitle_titleaddon_and_container_subtitles():
    item = item_of(r"""@article{a, author = {Doe, J.}, title = {Main Title},
        subtitle = {A Subtitle}, titleaddon = {An Addon}, journaltitle = {Journal},
        journalsubtitle = {Its Subtitle}, date = 2000}""")
    assert item["title"] == "Main title: A subtitle. An addon"
    assert item["container-title"] == "Journal: Its Subtitle"
    chapter = item_of(r"""@incollection{c, author = {Doe, J.}, title = {Chapter},
        booktitle = {The Book}, booksubtitle = {What It Is About}, date = 2000}""")
    assert chapter["container-title"] == "The book: What it is about"
    book = item_of(r"""@book{b, author = {Doe, J.}, maintitle = {Collected Works},
        title = {Letters}, volume = 2, date = 2000}""")
    assert book["title"] == "Collected works" and book["volume-title"] == "Letters"


def test_langid_other_than_english_keeps_the_title_as_written():
    item = item_of(r"""@book{averroes, author = {Averroes}, langid = {german},
        title = {Des Averroës Abhandlung: "`Über die Möglichkeit der Conjunktion"'},
        date = 1892}""")
    assert item["language"] == "de-DE"
    assert item["title"].startswith("Des Averroës Abhandlung: ")
    assert "Möglichkeit der Conjunktion" in item["title"]
    english = item_of("@book{e, title = {The Ways of Words}, langid = {english}, date = 1}")
    assert english["title"] == "The ways of words" and english["language"] == "en-US"


def test_date_ranges_origdate_and_eventdate():
    item = item_of("""@book{r, title = {T}, date = {1984/1986}, origdate = {1781},
        eventdate = {2019-06-03/2019-06-07}, urldate = {2020-01-02}}""")
    assert item["issued"] == {"date-parts": [[1984], [1986]]}
    assert item["original-date"] == {"date-parts": [[1781]]}
    assert item["event-date"] == {"date-parts": [[2019, 6, 3], [2019, 6, 7]]}
    assert item["accessed"] == {"date-parts": [[2020, 1, 2]]}
    circa = item_of("@book{c, title = {T}, date = {1990~}}")
    assert circa["issued"] == {"date-parts": [[1990]], "circa": True}


def test_arxiv_eprints_translators_and_editor_roles():
    item = item_of(r"""@online{x, author = {Doe, J.}, title = {Deep Things},
        eprint = {1706.03762}, eprinttype = {arXiv}, eprintclass = {cs.CL}, date = 2017,
        translator = {Smith, Tom}, editora = {Roe, Rita}, editoratype = {compiler}}""")
    assert item["URL"] == "https://arxiv.org/abs/1706.03762"
    assert item["number"] == "arXiv:1706.03762 [cs.CL]"
    assert item["translator"] == [{"family": "Smith", "given": "Tom"}]
    assert item["compiler"] == [{"family": "Roe", "given": "Rita"}]
    bibtex_style = item_of(r"""@misc{y, title = {T}, eprint = {2101.00001},
        archivePrefix = {arXiv}, primaryClass = {hep-th}, year = 2021}""")
    assert bibtex_style["URL"] == "https://arxiv.org/abs/2101.00001"


# -- 6. names and LaTeX ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value, family, particle",
    [
        (r"\"Unal, T\"ulay", "Ünal", None),
        (r"T{\"u}lay {\"U}nal", "Ünal", None),
        (r"\"{U}nal, T.", "Ünal", None),
        ("Jean de La Fontaine", "La Fontaine", "de"),
        ("Ludwig van Beethoven", "Beethoven", "van"),
        (r"Charles Louis Xavier Joseph de la Vall{\'e}e Poussin", "Vallée Poussin", "de la"),
        (r"Maria {\'e}tienne de Santos", "Santos", "étienne de"),
        ("O'Meara, Dominic", "O’Meara", None),
        ("Molins A,", "Molins A", None),  # "Last," with no first name: BibTeX's reading
    ],
)
def test_names_keep_accents_and_follow_the_von_rule(value, family, particle):
    person = item_of(f"@book{{n, author = {{{value}}}, title = {{T}}, year = 2000}}")["author"][0]
    assert person["family"] == family
    assert person.get("non-dropping-particle") == particle


def test_sorting_tricks_hyphens_quotes_and_backticks(cli, tmp_path):
    bib = write(
        tmp_path,
        r"""
        @book{knuth, author = {Knuth, Donald E.}, year = "{\noopsort{1973b}}1973",
          title = {A Methodology\hyphen Independent Study of \mkbibquote{Quoted} and
                   \enquote{Enquoted} Words, `Single' ones, and It's}, publisher = {P}}
        """,
    )
    item = csl(cli, bib)[0]
    assert item["issued"] == {"date-parts": [[1973]]}
    assert "methodology-independent" in item["title"]
    text = cli("--bib", str(bib), "export").stdout
    assert text.startswith("Knuth, D. E. (1973).")
    assert "“Quoted”" in text and "“Enquoted”" in text and "`" not in text
    lint = json.loads(cli("--bib", str(bib), "lint", "--json", "--select", "year-format").stdout)
    assert lint["findings"] == []
    assert to_text(r"`Single' and ``double''") == "‘Single’ and “double”"


def test_math_is_never_marked_up_inside(tmp_path):
    item = item_of(r"""@article{m, title = {Raman Bands at 520 $\mathrm{cm}^{-1}$ in
        {Si} and $\frac{A}{B}$ Ratios}, journal = {J}, year = 2000}""")
    title = item["title"]
    assert "cm<sup>−1</sup>" in title
    # math that has no Unicode form stays TeX, whole, protected from case changes
    assert '<span class="nocase">$\\frac{A}{B}$</span>' in title
    assert to_text(r"$\alpha$-helix and H$_2$O at $10^{-3}$") == "α-helix and H₂O at 10⁻³"


def test_lint_fix_skips_an_entry_with_a_comment_line_inside(cli, tmp_path):
    # biber's test files (bbt-apa-examples-2660.bib of the corpus) comment out fields with
    # %; bibtexparser reads such an entry, refbook's field scanner cannot edit it: the
    # finding is reported and the fix left for a hand edit (it was a traceback)
    bib = write(
        tmp_path,
        """\
        @article{a, author = {A, B}, title = {T}, journal = {J}, year = 2000,
          pages = {1-2},
        %  note = {commented out},
        }
        """,
    )
    before = bib.read_bytes()
    out = cli("--bib", str(bib), "lint", "--fix", "--dry-run")
    assert out.exit_code == 0 and "Traceback" not in out.stderr
    assert bib.read_bytes() == before
    lint = json.loads(cli("--bib", str(bib), "lint", "--json").stdout)
    assert any(f["rule"] == "pages-dash" for f in lint["findings"])
