"""refbook lint: every rule finds its defect (and only it), with line numbers; fixes are
safe and minimal; output formats for CI."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import xml.etree.ElementTree as ET

import pytest

import refbook
from refbook.lint import RULES, lint, select_rules

from .conftest import FIXTURES, REPO

AS_PRINTED = FIXTURES / "paper_as_printed.bib"


def run(text: str, rule_id: str) -> list[str]:
    lib = refbook.loads(text, "t.bib")
    result = lint(lib, select_rules([rule_id]), today=dt.date(2026, 11, 24))
    return [f"{f.key}:{f.message}" for f in result.findings if f.rule == rule_id]


# one defective and one clean example per rule: (rule, bad entries, good entries)
CASES = [
    (
        "required-fields",
        "@article{a, title={T}, year={2020}}",
        "@article{a, author={X, Y}, title={T}, journal={J}, year={2020}}",
    ),
    ("duplicate-field", "@misc{a, title={T},\n  Title={U}}", "@misc{a, title={T}, note={U}}"),
    ("missing-annotation", "@misc{a, title={T}}", "@misc{a, title={T}, annote={Why.}}"),
    (
        "missing-urldate",
        "@online{a, title={T}, url={https://x.org}, year={2020}}",
        "@online{a, title={T}, url={https://x.org}, year={2020}, urldate={2024-01-02}}",
    ),
    (
        "doi-prefix",
        "@misc{a, title={T}, doi={https://doi.org/10.1000/x}}",
        "@misc{a, title={T}, doi={10.1000/x}}",
    ),
    ("doi-syntax", "@misc{a, title={T}, doi={10.1000/x.}}", "@misc{a, title={T}, doi={10.1000/x}}"),
    (
        "duplicate-doi",
        "@misc{a, title={T}, doi={10.1/X}}\n@misc{b, title={U}, doi={10.1/x}}",
        "@misc{a, title={T}, doi={10.1/X}}\n@misc{b, title={U}, doi={10.1/y}}",
    ),
    (
        "duplicate-string",
        '@string{j = "J"}\n@STRING{J = "K"}\n@misc{a, title={T}, journal=j}',
        '@string{j = "J"}\n@string{k = "K"}\n@misc{a, title={T}, journal=j # k}',
    ),
    (
        "undefined-string",
        '@misc{a, title={T}, journal=j}\n@string{j = "J"}',
        '@string{j = "J"}\n@misc{a, title={T}, journal=j # { x}, month=jan, year=2020}',
    ),
    (
        "duplicate-title",
        "@misc{a, title={The Same: Title}}\n@misc{b, title={the same title}}",
        "@misc{a, title={The Same Title}}\n@misc{b, title={Another Title}}",
    ),
    (
        "similar-title",
        "@misc{a, title={Border Trade Between Neighbours}}\n"
        "@misc{b, title={Border Trade Between Neighbors}}",
        "@misc{a, title={Border Trade Between Neighbours}}\n@misc{b, title={Border Trade in Asia}}",
    ),
    (
        "unprotected-acronym",
        "@misc{a, title={The TTP and CPEC}}",
        "@misc{a, title={The {TTP} and {CPEC}}}",
    ),
    (
        "unprotected-proper-noun",
        "@misc{a, title={Trade with Pakistan}}",
        "@misc{a, title={Trade with {Pakistan}}}",
    ),
    (
        "url-syntax",
        "@misc{a, title={T}, url={www.example.org/x}}",
        "@misc{a, title={T}, url={https://www.example.org/x}}",
    ),
    (
        "url-split",
        "@misc{a, title={T}, url={https://example.org/ch\n   ina/x}}",
        "@misc{a, title={T}, url={https://example.org/china/x}}",
    ),
    (
        "url-latex",
        r"@misc{a, title={T}, url={https://example.org/a\_b}}",
        "@misc{a, title={T}, url={https://example.org/a_b}}",
    ),
    (
        "url-trailing",
        "@misc{a, title={T}, url={https://example.org/x.}}",
        "@misc{a, title={T}, url={https://example.org/x}}",
    ),
    (
        "url-hyphenation",
        "@misc{a, title={Pakistan Seeks Help}, "
        "url={https://example.org/a/pakist-an-seeks-help/1.html}}",
        "@misc{a, title={Cease-fire Talks}, url={https://example.org/cease-fire-talks}}",
    ),
    ("pages-dash", "@misc{a, title={T}, pages={21-36}}", "@misc{a, title={T}, pages={21--36}}"),
    (
        "pages-reversed",
        "@misc{a, title={T}, pages={36--21}}",
        "@misc{a, title={T}, pages={1059--67}}",
    ),
    ("year-format", "@misc{a, title={T}, year={'23}}", "@misc{a, title={T}, year={2023}}"),
    ("year-future", "@misc{a, title={T}, year={2031}}", "@misc{a, title={T}, year={2026}}"),
    (
        "year-date-mismatch",
        "@misc{a, title={T}, year={2022}, date={2023-02}}",
        "@misc{a, title={T}, year={2023}, date={2023-02}}",
    ),
    (
        "volume-number-swap",
        "@article{a, title={T}, volume={1}, number={98}}",
        "@article{a, title={T}, volume={98}, number={1}}",
    ),
    (
        "bare-special",
        "@misc{a, title={Up 50% in R&D}, url={https://x.org/a%20b}}",
        r"@misc{a, title={Up 50\% in R\&D}, url={https://x.org/a%20b}}",
    ),
    (
        "non-ascii",
        "@misc{a, author={Mu\u1e25ammad, A.}, title={T}}",
        "@misc{a, author={Schr\u00f6der, J.}, title={T}}",
    ),
    (
        "control-character",
        "@misc{a, title={T \x1b]0;pwned\x07 \x1b[2J}}",
        "@misc{a, title={T\twith a tab}, note={two\n  lines}}",
    ),
    (
        "author-spelling",
        "@misc{a, author={Siddique, Ahmed and Khan, Imran}, title={T}}\n"
        "@misc{b, author={Siddiqui, Ahmed and Khan, Imran}, title={U}}",
        # different initials; no co-author or venue in common; one name the start of the other
        "@misc{a, author={Siddique, A. and Khan, I.}, title={T}}\n"
        "@misc{b, author={Siddiqui, N. and Khan, I.}, title={U}}\n"
        "@misc{c, author={Rahtz, S.}, title={V}}\n@misc{d, author={Rahz, S.}, title={W}}\n"
        "@article{e, author={Martin, J. and Wang, L.}, title={X}, journal={J}}\n"
        "@article{f, author={Martinez, J. and Wan, L.}, title={Y}, journal={J}}",
    ),
]


def test_every_rule_has_a_case():
    assert {c[0] for c in CASES} == set(RULES)
    for r in RULES.values():
        assert r.severity in ("error", "warning", "info") and r.doc.endswith((".", ")"))


@pytest.mark.parametrize("rule_id, bad, good", CASES, ids=[c[0] for c in CASES])
def test_rule_finds_the_defect_and_not_the_clean_form(rule_id, bad, good):
    assert run(bad, rule_id), f"{rule_id} missed: {bad}"
    assert run(good, rule_id) == [], f"{rule_id} false positive: {good}"


# expected (line, rule, key) on the paper's list as printed
EXPECTED_AS_PRINTED = {
    (13, "pages-dash", "adeeb2018pakistan"),
    (31, "pages-dash", "akram2023pak"),
    (36, "unprotected-acronym", "anwar2023pakistan"),
    (47, "volume-number-swap", "biddle2019afghanistan"),
    (49, "pages-dash", "biddle2019afghanistan"),
    (57, "url-hyphenation", "dawi2023pakistan"),
    (62, "unprotected-acronym", "kuo2023china"),
    (65, "url-split", "kuo2023china"),
    (71, "duplicate-title", "mir2023pakistan"),
    (96, "volume-number-swap", "wani2022geopolitical"),
    (98, "pages-dash", "wani2022geopolitical"),
    (99, "doi-prefix", "wani2022geopolitical"),
    (104, "unprotected-acronym", "zahid2023dealing"),
}


def test_finds_each_defect_of_the_printed_list_with_line_numbers():
    result = lint(refbook.load(AS_PRINTED))
    got = {(f.line, f.rule, f.key) for f in result.findings}
    assert got >= EXPECTED_AS_PRINTED
    # the two Siddiques are different people (A. and N.): not one author spelled two ways
    assert not [f for f in result.findings if f.rule == "author-spelling"]


def test_shipped_bibliography_has_no_errors(cli):
    out = cli("lint", cwd=REPO)
    assert out.exit_code == 0, out.stdout
    assert " error: " not in out.stdout
    assert "[duplicate-title] mir2023pakistan" in out.stdout


def test_plain_lines_and_exit_code(cli):
    out = cli("lint", "--bib", str(AS_PRINTED))
    assert out.exit_code == 1  # url-split is an error
    assert (
        f"{AS_PRINTED}:57:9: warning: [url-hyphenation] dawi2023pakistan: hyphenation "
        "artefact in URL: pakist-an (the title has pakistan)"
    ) in out.stdout.splitlines()
    warn_only = cli("lint", "--bib", str(AS_PRINTED), "--select", "pages")
    assert warn_only.exit_code == 0
    assert (
        cli("lint", "--bib", str(AS_PRINTED), "--select", "pages", "--fail-on", "warning").exit_code
        == 1
    )


def test_select_ignore_and_unknown_rule(cli):
    out = cli("lint", "--bib", str(AS_PRINTED), "--select", "url", "--ignore", "url-split")
    rules = {line.split("[")[1].split("]")[0] for line in out.stdout.splitlines()}
    assert rules == {"url-hyphenation"}
    bad = cli("lint", "--select", "no-such-rule", "--bib", str(AS_PRINTED))
    assert bad.exit_code == 2 and "unknown lint rule or family 'no-such-rule'" in bad.stderr


def test_config_selects_rules(cli, tmp_path):
    shutil.copyfile(AS_PRINTED, tmp_path / "references.bib")
    (tmp_path / "refbook.toml").write_text('[lint]\nignore = ["titles", "annotated", "url"]\n')
    out = cli("lint", cwd=tmp_path)
    assert "[unprotected-acronym]" not in out.stdout and "[url-split]" not in out.stdout
    assert "[pages-dash]" in out.stdout and out.exit_code == 0


def test_inline_suppression(tmp_path, cli):
    path = tmp_path / "s.bib"
    path.write_text(
        "% refbook: ignore[pages-dash, titles]\n"
        "@misc{a, title={The TTP}, pages={1-2}}\n\n"
        "@misc{b, title={The TTP}, pages={1-2}}\n"
    )
    out = cli("lint", "--bib", str(path), "--select", "pages", "--select", "titles")
    keys = [line.split("] ")[1].split(":")[0] for line in out.stdout.splitlines()]
    assert keys == ["b", "b"]


def test_fix_dry_run_prints_the_diff_and_writes_nothing(cli, tmp_path):
    path = tmp_path / "p.bib"
    shutil.copyfile(AS_PRINTED, path)
    before = path.read_bytes()
    out = cli("lint", "--fix", "--dry-run", "--bib", str(path))
    assert path.read_bytes() == before
    assert "-  pages = {23-38},\n+  pages = {23--38},\n" in out.stdout
    assert "+  doi = {10.1177/09749284221127807}," in out.stdout
    assert "pakistan-seeks-us-help" in out.stdout
    assert "+  title = {Is Pakistan Poised to Take on the {TTP}?}," in out.stdout


def test_fix_applies_safe_fixes_with_a_minimal_diff(cli, tmp_path):
    path = tmp_path / "p.bib"
    shutil.copyfile(AS_PRINTED, path)
    before = path.read_text().splitlines()
    assert cli("lint", "--fix", "--bib", str(path)).exit_code == 0
    after = path.read_text().splitlines()
    assert len(before) == len(after)
    changed = [(a, b) for a, b in zip(before, after) if a != b]
    # pages (4), doi (1), url hyphenation (1), acronym titles (5)
    assert len(changed) == 11, changed
    assert all(a.split("=")[0] == b.split("=")[0] for a, b in changed)
    again = lint(refbook.load(path))
    fixable = {r.id for r in RULES.values() if r.fixable}
    assert not [f for f in again.findings if f.rule in fixable]
    # unsafe problems are left for a person: the split URL and the swapped volume
    assert {f.rule for f in again.findings} >= {"url-split", "volume-number-swap"}


def test_json_github_sarif_junit_formats(cli):
    bib = str(AS_PRINTED)
    data = json.loads(cli("lint", "--json", "--bib", bib).stdout)
    assert data["summary"]["error"] == 1
    first = next(f for f in data["findings"] if f["rule"] == "url-hyphenation")
    assert (first["line"], first["column"], first["key"]) == (57, 9, "dawi2023pakistan")
    gh = cli("lint", "--format", "github", "--bib", bib).stdout.splitlines()
    assert (
        f"::error file={bib},line=65,col=9,title=kuo2023china [url-split]::URL split by "
        "white space" in "\n".join(gh)
    )
    sarif = json.loads(cli("lint", "--format", "sarif", "--bib", bib).stdout)
    assert sarif["version"] == "2.1.0"
    results = sarif["runs"][0]["results"]
    rules = [r["id"] for r in sarif["runs"][0]["tool"]["driver"]["rules"]]
    assert all(rules[r["ruleIndex"]] == r["ruleId"] for r in results)
    split = next(r for r in results if r["ruleId"] == "url-split")
    assert split["level"] == "error"
    assert split["locations"][0]["physicalLocation"]["region"] == {
        "startLine": 65,
        "startColumn": 9,
    }
    junit = ET.fromstring(cli("lint", "--format", "junit", "--bib", bib).stdout)
    assert junit.get("failures") == "1"
    assert len(junit.findall(".//failure")) == 1


def test_list_rules(cli):
    out = cli("lint", "--list-rules")
    assert out.exit_code == 0
    assert len(out.stdout.splitlines()) == len(RULES) + 1


DUPLICATE_FIELD = (
    "@article{first,\n  title = {One},\n  pages = {1-2},\n}\n\n"
    "@article{twice,\n  title = {Two},\n  year = {2020},\n  title = {Again},\n"
    "  pages = {3-4},\n}\n\n@article{last,\n  pages = {5-6},\n}\n"
)


def test_duplicate_field_is_a_finding_and_the_rest_is_fixed(cli, tmp_path):
    """'lint --fix --dry-run' said "not a single valid BibTeX entry" (no file, no line)."""
    path = tmp_path / "d.bib"
    path.write_text(DUPLICATE_FIELD)
    out = cli("lint", "--bib", str(path), "--select", "duplicate-field")
    assert (
        f"{path}:9: error: [duplicate-field] twice: field 'title' written twice (lines 7 "
        "and 9); BibTeX reads the first: remove one"
    ) in out.stdout.splitlines()
    assert out.stdout.count("[duplicate-field]") == 1  # not also as a [syntax] problem
    dry = cli("lint", "--bib", str(path), "--fix", "--dry-run")
    assert dry.exit_code == 0, dry.stderr
    assert "+  pages = {1--2}," in dry.stdout and "+  pages = {5--6}," in dry.stdout
    assert "3--4" not in dry.stdout  # the entry waits for the hand fix
    assert "2 fix(es) would be applied" in dry.stderr
    assert path.read_text() == DUPLICATE_FIELD
    fixed = cli("lint", "--bib", str(path), "--fix")
    assert fixed.exit_code == 0, fixed.stderr
    assert path.read_text() == DUPLICATE_FIELD.replace("{1-2}", "{1--2}").replace("{5-6}", "{5--6}")


def test_duplicate_field_can_be_suppressed():
    text = "% refbook: ignore[duplicate-field]\n" + DUPLICATE_FIELD.split("\n\n")[1] + "\n"
    assert run(text, "duplicate-field") == []


# -- precision on real files (issue 13, item 11): benchmarks/lint_precision.py measures it --


def test_proper_nouns_need_evidence_that_survives_title_case_and_sentence_starts():
    """Better BibTeX braces every word of a title-case title; on a 7,166-entry file the rule
    flagged Growth, Light, Quantum... 6,437 times.  A title's first word is no evidence."""
    text = (
        "@misc{a, title={Limits for {{Absorption}} and {{Growth}} by {{Light}} in the {{Visible}}}}\n"
        "@misc{b, title={Growth of Light Emitting Nanowires on Silicon}}\n"
        "@misc{c, title={{The} trouble with tribbles}}\n"
        "@misc{d, title={Notes on The trouble with tribbles}}\n"
    )
    assert run(text, "unprotected-proper-noun") == []


def test_proper_noun_from_a_sentence_case_title_is_found():
    text = (
        "@misc{a, title={Elections in {Balochistan} and the federal budget}}\n"
        "@misc{b, title={The insurgency in Balochistan revisited}}\n"
        "@misc{c, title={Balochistan after the elections}}\n"
    )  # first word: no finding
    assert run(text, "unprotected-proper-noun") == [
        "b:unprotected proper noun(s) in title: Balochistan"
    ]


def test_a_word_the_file_writes_in_lower_case_is_not_a_proper_noun():
    text = (
        "@misc{a, title={Measuring the {Current} in a wire}}\n"
        "@misc{b, title={A study of Current flows}, abstract={the current was measured}}\n"
    )
    assert run(text, "unprotected-proper-noun") == []


def test_author_spelling_leaves_different_people_alone():
    """Wang/Wan, Chen/Cheng, Martinez/Martin were paired; LaTeX accents are not spellings."""
    text = (
        "@article{a, author={Wang, L. and Chen, X. and Martinez, J. and Kratochv{\\'\\i}l, J.},"
        " title={T}, journal={J}}\n"
        "@article{b, author={Wan, L. and Cheng, X. and Martin, J. and Kratochv\u00edl, J. and "
        "Wang, L.}, title={U}, journal={J}}\n"
    )
    assert run(text, "author-spelling") == []


def test_a_findings_line_holds_after_a_backslash_at_a_line_end_above():
    """bibtexparser does not count a line break right after a backslash (``\\TeX\\`` at
    the end of a line, as in tugboat.bib): every field line below it came out one line
    early, and the column was lost."""
    lib = refbook.loads(
        "@article{a, title = {Update for \\TeX\\\n  devices}, year = 2000}\n\n"
        "@article{b,\n  title = {X},\n  pages = {1-2},\n}\n",
        "drift.bib",
    )
    found = [f for f in lint(lib).findings if f.rule == "pages-dash"]
    assert [(f.line, f.column) for f in found] == [(6, 11)]
