"""Adding and editing: every write through the store, only the touched entry changes,
duplicates caught, concurrent writers all land, a killed writer leaves a whole file."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from werkzeug import Response

import refbook

from .conftest import FIXTURES, REPO, SHIPPED_BIB

IMPORT = FIXTURES / "import"


def changed_entries(before: str, after: str) -> set[str]:
    """Keys of the entries whose text differs (entries added or removed included)."""
    a = {e.key: e.source for e in refbook.loads(before)}
    b = {e.key: e.source for e in refbook.loads(after)}
    return {k for k in a.keys() | b.keys() if a.get(k) != b.get(k)}


@pytest.mark.parametrize(
    "args, key",
    [
        (["annotate", "zahid2023dealing", "A new annotation."], "zahid2023dealing"),
        (["tag", "zahid2023dealing", "+border", "-IS-K"], "zahid2023dealing"),
        (["set", "biddle2019afghanistan", "note=Read twice", "volume=98"], "biddle2019afghanistan"),
        (["unset", "biddle2019afghanistan", "pages"], "biddle2019afghanistan"),
        (["rm", "--yes", "ehsan2022sco"], "ehsan2022sco"),
    ],
)
def test_each_edit_changes_only_its_entry(cli, tmp_bib, args, key):
    before = tmp_bib.read_text()
    out = cli(*args, "--bib", str(tmp_bib))
    assert out.exit_code == 0, out.stderr
    after = tmp_bib.read_text()
    assert changed_entries(before, after) == {key}
    # every byte outside that entry is unchanged
    old = refbook.loads(before)[key].source
    new_lib = refbook.loads(after)
    if key in new_lib:
        assert before.replace(old, "@") == after.replace(new_lib[key].source, "@")
    else:  # the entry goes with the comment lines right above it (its own notes)
        m = re.search(r"(?:^%[^\n]*\n)*" + re.escape(old + "\n\n"), before, re.M)
        assert m.group().startswith("% Note:")
        assert before[: m.start()] + before[m.end() :] == after


def test_edit_values(cli, tmp_bib):
    cli("annotate", "zahid2023dealing", "A new annotation.", "--bib", str(tmp_bib))
    cli("tag", "zahid2023dealing", "+border", "-IS-K", "--bib", str(tmp_bib))
    cli("set", "--bibtex", "biddle2019afghanistan", "note=Read {twice}", "--bib", str(tmp_bib))
    lib = refbook.load(tmp_bib)
    assert lib["zahid2023dealing"].annotation == "A new annotation."
    assert lib["zahid2023dealing"].keywords == [
        "TTP",
        "Pakistan",
        "Afghan Taliban",
        "counterterrorism",
        "United States",
        "border",
    ]
    assert lib["biddle2019afghanistan"]["note"] == "Read {twice}"
    assert (
        cli("unset", "biddle2019afghanistan", "nosuchfield", "--bib", str(tmp_bib)).exit_code == 1
    )


def test_rm_refuses_without_yes_off_a_terminal(cli, tmp_bib):
    before = tmp_bib.read_bytes()
    out = cli("rm", "ehsan2022sco", "--bib", str(tmp_bib), input="")
    assert out.exit_code == 2 and tmp_bib.read_bytes() == before


def test_rename_updates_crossrefs_and_manuscripts(cli, tmp_path):
    bib = tmp_path / "r.bib"
    bib.write_text(
        "@book{parent, title={P}, year={2020}}\n\n"
        "@incollection{child, title={C}, crossref={parent}, year={2020}}\n"
    )
    essay = tmp_path / "essay.md"
    essay.write_text("See [@parent, p. 3] and @parent; also [@child].\n")
    tex = tmp_path / "essay.tex"
    tex.write_text("\\parencite{child,parent} % \\cite{parent}\n")
    out = cli(
        "rename", "parent", "parent2020", "--in", str(essay), "--in", str(tex), "--bib", str(bib)
    )
    assert out.exit_code == 0, out.stderr
    lib = refbook.load(bib)
    assert lib["child"]["crossref"] == "parent2020" and "parent2020" in lib
    assert essay.read_text() == "See [@parent2020, p. 3] and @parent2020; also [@child].\n"
    assert tex.read_text() == "\\parencite{child,parent2020} % \\cite{parent}\n"
    taken = cli("rename", "child", "parent2020", "--bib", str(bib))
    assert taken.exit_code == 2 and "already exists" in taken.stderr


def test_merge_fills_fields_and_keeps_ids(cli, tmp_path):
    bib = tmp_path / "m.bib"
    bib.write_text(
        "@article{a, title={T}, year={2020}, doi={10.1/x}}\n\n"
        "@article{b, title={T}, year={2021}, pages={1--2}}\n"
    )
    conflict = cli("merge", "a", "b", "--bib", str(bib))
    assert conflict.exit_code == 2 and "differ in year" in conflict.stderr
    assert cli("merge", "a", "b", "--prefer", "keep", "--bib", str(bib)).exit_code == 0
    lib = refbook.load(bib)
    assert lib.keys() == ["a"]
    assert (lib["a"]["pages"], lib["a"]["year"], lib["a"]["ids"]) == ("1--2", "2020", "b")


# -- add ------------------------------------------------------------------------------------

CSL = {
    "type": "article-journal",
    "title": 'Border Trade in <span class="nocase">TTP</span> Areas',
    "container-title": "Journal of Border Studies",
    "volume": "12",
    "issue": "3",
    "page": "45-67",
    "DOI": "10.5555/border.2021",
    "author": [{"family": "Schröder", "given": "Jürgen"}, {"family": "Khan", "given": "R."}],
    "issued": {"date-parts": [[2021, 5]]},
}


@pytest.fixture
def resolver(httpserver):
    def negotiate(request):
        assert request.headers["Accept"] == "application/vnd.citationstyles.csl+json"
        doi = request.path.lstrip("/")
        if doi == "10.5555/border.2021":
            return Response(
                json.dumps(CSL), 200, content_type="application/vnd.citationstyles.csl+json"
            )
        if doi == "10.5555/broken-json":
            return Response("{not json", 200, content_type="application/json")
        if doi == "10.5555/slow":
            time.sleep(3)
            return Response("{}", 200)
        return Response("DOI Not Found", 404)

    import re as _re

    httpserver.expect_request(_re.compile(r"^/10\..*")).respond_with_handler(negotiate)
    httpserver.expect_request("/page").respond_with_data(
        "<html><head><title>Fallback</title>"
        '<meta name="citation_title" content="Pakistan Seeks US Help">'
        '<meta name="citation_author" content="Dawi, Akmal">'
        '<meta name="citation_publication_date" content="2023/06/05">'
        '<meta property="og:site_name" content="Voice of America">'
        "</head><body>x</body></html>",
        content_type="text/html",
    )
    return {"REFBOOK_DOI_RESOLVER": httpserver.url_for("").rstrip("/")}


def test_add_by_doi_appends_one_entry_in_the_files_style(cli, tmp_bib, resolver):
    before = tmp_bib.read_text()
    out = cli(
        "add",
        "--allow-private",
        "--doi",
        "https://doi.org/10.5555/border.2021",
        "--bib",
        str(tmp_bib),
        env=resolver,
    )
    assert out.exit_code == 0, out.stderr
    assert out.stdout.strip() == "schroder2021border"
    after = tmp_bib.read_text()
    assert after.startswith(before)  # nothing before it changed
    added = after[len(before) :]
    assert added.startswith(
        "\n@article{schroder2021border,\n  author = {Schröder, Jürgen and Khan, R.},"
    )
    e = refbook.load(tmp_bib)["schroder2021border"]
    assert (e.title, e.container, e.volume, e.number, e.pages, e.doi, e.year) == (
        "Border Trade in TTP Areas",
        "Journal of Border Studies",
        "12",
        "3",
        "45–67",
        "10.5555/border.2021",
        2021,
    )
    assert e["title"] == "Border Trade in {TTP} Areas"


def test_add_same_doi_again_is_a_duplicate(cli, tmp_bib, resolver):
    cli(
        "add",
        "--allow-private",
        "--doi",
        "10.5555/border.2021",
        "--bib",
        str(tmp_bib),
        env=resolver,
    )
    before = tmp_bib.read_bytes()
    again = cli(
        "add",
        "--allow-private",
        "--doi",
        "doi:10.5555/BORDER.2021",
        "--bib",
        str(tmp_bib),
        env=resolver,
    )
    assert again.exit_code == 1
    assert "likely duplicate of schroder2021border: same DOI 10.5555/border.2021" in again.stderr
    assert tmp_bib.read_bytes() == before
    forced = cli(
        "add",
        "--allow-private",
        "--doi",
        "10.5555/border.2021",
        "--force",
        "--bib",
        str(tmp_bib),
        env=resolver,
    )
    assert forced.stdout.strip() == "schroder2021bordera"


def test_add_merge_fills_missing_fields(cli, tmp_path, resolver):
    bib = tmp_path / "m.bib"
    bib.write_text(
        "@article{mine,\n  title = {Border Trade in {TTP} Areas},\n  year = {2021},\n"
        "  doi = {10.5555/border.2021},\n}\n"
    )
    out = cli(
        "add",
        "--allow-private",
        "--doi",
        "10.5555/border.2021",
        "--merge",
        "--bib",
        str(bib),
        env=resolver,
    )
    assert out.exit_code == 0 and "merged into mine" in out.stderr
    e = refbook.load(bib)["mine"]
    assert (
        e["journal"] == "Journal of Border Studies" and e["title"] == "Border Trade in {TTP} Areas"
    )


@pytest.mark.parametrize(
    "doi, code, message",
    [
        ("10.5555/unknown", 1, "DOI 10.5555/unknown not found"),
        ("10.5555/broken-json", 6, "malformed CSL-JSON"),
    ],
)
def test_add_doi_errors_leave_the_file_untouched(cli, tmp_bib, resolver, doi, code, message):
    before = tmp_bib.read_bytes()
    out = cli("add", "--allow-private", "--doi", doi, "--bib", str(tmp_bib), env=resolver)
    assert out.exit_code == code and message in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1
    assert tmp_bib.read_bytes() == before


def test_add_doi_timeout(cli, tmp_bib, resolver, monkeypatch):
    import refbook.importers as imp

    real = imp.fetch_doi
    monkeypatch.setattr(
        imp, "fetch_doi", lambda doi, resolver, **kw: real(doi, resolver, **{**kw, "timeout": 0.5})
    )
    before = tmp_bib.read_bytes()
    out = cli(
        "add", "--allow-private", "--doi", "10.5555/slow", "--bib", str(tmp_bib), env=resolver
    )
    assert out.exit_code == 6 and "did not answer" in out.stderr
    assert tmp_bib.read_bytes() == before


def test_add_url_reads_meta_tags(cli, tmp_path, resolver, httpserver):
    bib = tmp_path / "u.bib"
    bib.write_text("")
    out = cli("add", "--allow-private", "--url", httpserver.url_for("/page"), "--bib", str(bib))
    assert out.exit_code == 0, out.stderr
    e = refbook.load(bib)[out.stdout.strip()]
    assert e.type == "online" and e.title == "Pakistan Seeks US Help"
    assert e.authors[0].family == "Dawi" and e.container == "Voice of America"
    assert e["date"] == "2023-06-05" and e["urldate"] == time.strftime("%Y-%m-%d")


def test_add_files_ris_csljson_and_stdin(cli, tmp_path):
    bib = tmp_path / "f.bib"
    bib.write_text("% my bibliography\n")
    out = cli("add", str(IMPORT / "zotero.ris"), str(IMPORT / "zotero.json"), "--bib", str(bib))
    assert out.exit_code == 0, out.stderr
    assert out.stdout.split() == [
        "sakhi2022taliban",
        "kugelman2023pakistans",
        "wani2022geopolitical",
        "schroder1972grenzen",
    ]
    lib = refbook.load(bib)
    assert lib["sakhi2022taliban"]["pages"] == "383--401"
    assert lib["kugelman2023pakistans"]["urldate"] == "2024-01-05"
    assert lib["schroder1972grenzen"]["address"] == "Stuttgart"
    piped = cli(
        "add",
        "-",
        "--bib",
        str(bib),
        input="@misc{pasted2020, title={Pasted Entry}, year={2020}}\n",
    )
    assert piped.stdout.strip() == "pasted2020"
    bad = cli("add", "-", "--bib", str(bib), input="@misc{broken, title={x}\n")
    assert bad.exit_code == 3


def test_add_dry_run_prints_the_diff(cli, tmp_bib):
    before = tmp_bib.read_bytes()
    out = cli(
        "add",
        "-",
        "--dry-run",
        "--annotation",
        "Why it matters.",
        "--keywords",
        "a, b",
        "--bib",
        str(tmp_bib),
        input="@misc{new2020, title={New}, year={2020}}\n",
    )
    assert out.exit_code == 0
    assert (
        "+@misc{new2020,\n" in out.stdout and "+  annotation = {Why it matters.},\n" in out.stdout
    )
    assert tmp_bib.read_bytes() == before


def test_csl_json_round_trip_export_then_add(cli, tmp_path):
    """CSL-JSON exported by refbook and read back by `refbook add` gives the same data."""
    exported = cli("export", "--format", "csl-json", cwd=REPO).stdout
    src = tmp_path / "all.json"
    src.write_text(exported)
    bib = tmp_path / "back.bib"
    bib.write_text("")
    assert cli("add", str(src), "--force", "--bib", str(bib)).exit_code == 0
    original = list(refbook.load(SHIPPED_BIB))
    again = list(refbook.load(bib))
    assert len(again) == 27
    from refbook.csl import to_csl

    # compared as CSL data: CSL stores titles in sentence case with protected words, so
    # the BibTeX written back is the sentence-case form of the same title
    for e, back in zip(original, again):
        key = e.key
        a, b = to_csl(e), to_csl(back)
        for field in (
            "type",
            "author",
            "title",
            "container-title",
            "issued",
            "volume",
            "issue",
            "page",
            "DOI",
            "URL",
            "annote",
            "keyword",
        ):
            assert a.get(field) == b.get(field), (key, field, a.get(field), b.get(field))


# -- the editor -----------------------------------------------------------------------------


def test_edit_runs_the_editor_without_a_shell(cli, tmp_bib, tmp_path):
    folder = tmp_path / "my editors"
    folder.mkdir()
    script = folder / "ed it.py"
    script.write_text(
        "import sys\np = sys.argv[-1]\nt = open(p).read()\n"
        "open(p, 'w').write(t.replace('116--128', '116--129'))\n"
    )
    env = {"EDITOR": f"{sys.executable} '{script}'", "VISUAL": ""}
    before = tmp_bib.read_text()
    out = cli("edit", "biddle2019afghanistan", "--bib", str(tmp_bib), env=env)
    assert out.exit_code == 0, out.stderr
    assert changed_entries(before, tmp_bib.read_text()) == {"biddle2019afghanistan"}
    assert refbook.load(tmp_bib)["biddle2019afghanistan"]["pages"] == "116--129"
    injected = tmp_path / "pwned"
    env = {"EDITOR": f"true; touch {injected}", "VISUAL": ""}
    cli("edit", "biddle2019afghanistan", "--bib", str(tmp_bib), env=env)
    assert not injected.exists()


def test_annotate_in_the_editor_saves_nothing_when_empty(cli, tmp_bib, tmp_path):
    script = tmp_path / "empty.py"
    script.write_text("import sys\nopen(sys.argv[-1], 'w').write('')\n")
    before = tmp_bib.read_bytes()
    out = cli(
        "annotate",
        "zahid2023dealing",
        "--bib",
        str(tmp_bib),
        env={"EDITOR": f"{sys.executable} {script}", "VISUAL": ""},
    )
    assert out.exit_code == 0 and tmp_bib.read_bytes() == before


# -- concurrency and crashes ---------------------------------------------------------------


def test_twenty_concurrent_adds_all_land(tmp_path):
    bib = tmp_path / "c.bib"
    shutil.copyfile(SHIPPED_BIB, bib)
    original = {e.key: e.source for e in refbook.load(bib)}
    env = {**os.environ, "REFBOOK_CACHE_DIR": str(tmp_path / "cache")}
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "refbook", "--bib", str(bib), "add", "-"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
        )
        for _ in range(20)
    ]
    for i, p in enumerate(procs):
        p.stdin.write(
            f"@misc{{conc{i}, title={{Concurrent Entry Number {i}}}, year={{2020}}}}\n".encode()
        )
        p.stdin.close()
    codes = [p.wait(timeout=120) for p in procs]
    assert codes == [0] * 20, [p.stderr.read() for p in procs]
    lib = refbook.load(bib)
    assert not lib.problems
    assert {f"conc{i}" for i in range(20)} <= set(lib.keys())
    assert all(lib[k].source == src for k, src in original.items())


def test_a_write_killed_midway_leaves_the_old_or_the_new_file(tmp_path):
    big = tmp_path / "big.bib"
    text = "".join(
        f"@misc{{k{i}, title={{Entry {i} " + "x" * 200 + "}, year={2000}}\n\n" for i in range(20000)
    )
    big.write_text(text)
    new_text = text.replace("@misc{k0, title={Entry 0", "@misc{k0, title={Changed 0", 1)
    script = (
        "import refbook, sys\n"
        "lib = refbook.load(sys.argv[1])\n"
        "lib['k0']['title'] = 'Changed 0 ' + 'x' * 200\n"
        "print('ready', flush=True)\n"
        "lib.save()\n"
    )
    env = {**os.environ, "REFBOOK_CACHE_DIR": str(tmp_path / "cache")}
    outcomes = set()
    for delay in (0.0, 0.002, 0.005, 0.01, 0.02, 0.05):
        big.write_text(text)
        p = subprocess.Popen(
            [sys.executable, "-c", script, str(big)], stdout=subprocess.PIPE, env=env
        )
        p.stdout.readline()
        time.sleep(delay)
        p.send_signal(signal.SIGKILL)
        p.wait()
        now = big.read_text()
        assert now in (text, new_text)
        outcomes.add(now == new_text)
        leftovers = [x for x in big.parent.iterdir() if x.name.startswith(".big.bib.")]
        for x in leftovers:  # a killed writer may leave its temporary file, never a torn .bib
            x.unlink()
    assert Path(big).exists()


def test_edit_reopens_the_editor_after_a_parse_error(cli, tmp_bib, tmp_path):
    """First save is broken BibTeX: refbook says so, asks, and opens the editor again."""
    counter = tmp_path / "count"
    script = tmp_path / "ed.py"
    script.write_text(
        "import sys, pathlib\n"
        f"c = pathlib.Path({str(counter)!r})\n"
        "n = int(c.read_text()) if c.exists() else 0\n"
        "c.write_text(str(n + 1))\n"
        "p = sys.argv[-1]\n"
        "t = open(p).read()\n"
        "t = t.replace('116--128', '116--130')\n"
        # first save: the closing brace deleted; second: the user puts it back
        "open(p, 'w').write(t.rstrip().rstrip('}') if n == 0 else t.rstrip() + '\\n}\\n')\n"
    )
    before = tmp_bib.read_text()
    # the question is asked on a terminal only (without one, see test_usage.py)
    from .test_usage import run_on_terminal

    code, err = run_on_terminal(
        ["edit", "biddle2019afghanistan", "--bib", str(tmp_bib)],
        "y\n",
        {"EDITOR": f"{sys.executable} {script}", "VISUAL": ""},
    )
    assert code == 0, err
    assert counter.read_text() == "2" and "Edit again?" in err
    assert changed_entries(before, tmp_bib.read_text()) == {"biddle2019afghanistan"}
    assert refbook.load(tmp_bib)["biddle2019afghanistan"]["pages"] == "116--130"


def test_edit_unchanged_saves_nothing(cli, tmp_bib):
    before = os.stat(tmp_bib).st_mtime_ns
    out = cli(
        "edit", "biddle2019afghanistan", "--bib", str(tmp_bib), env={"EDITOR": "true", "VISUAL": ""}
    )
    assert out.exit_code == 0 and os.stat(tmp_bib).st_mtime_ns == before


def test_add_edit_opens_the_new_entry_first(cli, tmp_path):
    bib = tmp_path / "a.bib"
    bib.write_text("")
    script = tmp_path / "ed.py"
    script.write_text(
        "import sys\np = sys.argv[-1]\nt = open(p).read()\n"
        "open(p, 'w').write(t.replace('Draft Title', 'Edited Title'))\n"
    )
    out = cli(
        "add",
        "-",
        "--edit",
        "--bib",
        str(bib),
        input="@misc{draft2020, title={Draft Title}, year={2020}}\n",
        env={"EDITOR": f"{sys.executable} {script}", "VISUAL": ""},
    )
    assert out.exit_code == 0, out.stderr
    assert refbook.load(bib)["draft2020"].title == "Edited Title"


@pytest.mark.parametrize(
    "args, expected",
    [
        (
            ["annotate", "zahid2023dealing", "A new annotation."],
            [{"change": "modified", "key": "zahid2023dealing"}],
        ),
        (
            ["tag", "zahid2023dealing", "+border"],
            [{"change": "modified", "key": "zahid2023dealing"}],
        ),
        (
            ["set", "biddle2019afghanistan", "note=Read twice"],
            [{"change": "modified", "key": "biddle2019afghanistan"}],
        ),
        (
            ["unset", "biddle2019afghanistan", "pages"],
            [{"change": "modified", "key": "biddle2019afghanistan"}],
        ),
        (
            ["rm", "--yes", "ehsan2022sco", "biddle2019afghanistan"],
            [
                {"change": "removed", "key": "biddle2019afghanistan"},
                {"change": "removed", "key": "ehsan2022sco"},
            ],
        ),
        (
            ["rename", "biddle2019afghanistan", "biddle2019after"],
            [{"change": "modified", "key": "biddle2019after", "old_key": "biddle2019afghanistan"}],
        ),
    ],
)
def test_edits_report_what_changed_in_json(cli, tmp_bib, args, expected):
    out = cli(*args, "--json", "--bib", str(tmp_bib))
    assert out.exit_code == 0, out.stderr
    report = json.loads(out.stdout)
    assert report["path"] == str(tmp_bib) and report["saved"] is True
    assert [{k: v for k, v in c.items() if k != "line"} for c in report["changes"]] == expected
    text = tmp_bib.read_text().splitlines()
    for change in report["changes"]:
        if change["change"] == "modified":  # the line is where the entry now starts
            assert text[change["line"] - 1].endswith("{" + change["key"] + ",")


def test_add_json_reports_keys_and_lines_and_dry_run_diff(cli, tmp_bib):
    entry = "@misc{new2024, title = {A New Work}, author = {Doe, Jane}, year = 2024}\n"
    dry = json.loads(
        cli("add", "-", "--dry-run", "--json", "--bib", str(tmp_bib), input=entry).stdout
    )
    assert dry["saved"] is False and "+@misc{new2024," in dry["diff"]
    assert dry["added"] == ["new2024"]
    out = json.loads(cli("add", "-", "--json", "--bib", str(tmp_bib), input=entry).stdout)
    assert out["saved"] is True and out["added"] == ["new2024"]
    [change] = out["changes"]
    assert change["change"] == "added"
    assert tmp_bib.read_text().splitlines()[change["line"] - 1] == "@misc{new2024,"
    again = cli("add", "-", "--json", "--bib", str(tmp_bib), input=entry)
    assert again.exit_code == 1
    report = json.loads(again.stdout)
    assert report["changes"] == [] and report["skipped"][0]["evidence"]


def test_no_change_is_reported_as_nothing_saved(cli, tmp_bib):
    before = tmp_bib.read_bytes()
    current = refbook.load(tmp_bib)["zahid2023dealing"].annotation
    out = json.loads(
        cli("annotate", "zahid2023dealing", current, "--json", "--bib", str(tmp_bib)).stdout
    )
    assert out == {"path": str(tmp_bib), "saved": False, "changes": []}
    assert tmp_bib.read_bytes() == before


def test_set_on_an_entry_with_a_duplicate_field_is_a_clear_error(cli, tmp_path):
    """It printed "not a single valid BibTeX entry" with no file and no line."""
    path = tmp_path / "references.bib"
    text = "@misc{ok, title={Fine}}\n\n@misc{twice,\n  title = {One},\n  title = {Two},\n}\n"
    path.write_text(text)
    out = cli("set", "twice", "note=x", cwd=tmp_path)
    assert out.exit_code == 3
    assert out.stderr.strip() == (
        "refbook: references.bib:5: error: twice: field 'title' written twice (lines 4 and 5); "
        "BibTeX reads the first; remove one (refbook edit twice) before editing this entry"
    )
    assert path.read_text() == text
    assert cli("set", "ok", "note=x", cwd=tmp_path).exit_code == 0
    assert "note={x}" in path.read_text()
