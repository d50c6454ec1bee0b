"""The library cache (refbook/cache): every read command gives the same output warm, cold
and with --no-cache; it is never stale; a broken cache is rebuilt; an unwritable one is
skipped with one warning; concurrent readers and writers see whole versions only."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from refbook.cache.db import db_path

from .conftest import FIXTURES, REPO, SHIPPED_BIB

FILES = {
    "shipped": SHIPPED_BIB,
    "paper_as_printed": FIXTURES / "paper_as_printed.bib",
    "strings": FIXTURES / "store" / "strings_concat.bib",
    "duplicate_keys": FIXTURES / "store" / "duplicate_keys.bib",
    "latex": FIXTURES / "store" / "latex.bib",
    "crlf": FIXTURES / "store" / "crlf.bib",
    "bom": FIXTURES / "store" / "bom.bib",
    "corporate": FIXTURES / "store" / "corporate.bib",
    "ranking": FIXTURES / "search" / "ranking.bib",
}
# files for the commands wired later (export, lint, cite text, render): other layouts,
# encodings, parse problems
MORE_FILES = {
    "comments": FIXTURES / "store" / "comments.bib",
    "quotes": FIXTURES / "store" / "quotes.bib",
    "parens": FIXTURES / "store" / "parens.bib",
    "preamble": FIXTURES / "store" / "preamble.bib",
    "unicode": FIXTURES / "store" / "unicode.bib",
    "latin1": FIXTURES / "encoding" / "emacs-latin1.bib",
    "cp1252": FIXTURES / "encoding" / "windows-1252-header.bib",
    "one_bad": FIXTURES / "malformed" / "one_bad_among_good.bib",
    "duplicate_field": FIXTURES / "malformed" / "duplicate_field.bib",
    "stray_at": FIXTURES / "malformed" / "stray_at.bib",
}
# what lint reads besides values: suppression comments in every place (after an entry on
# its line, after an @comment, with blank lines), macros undefined or defined further
# down, fields on later lines, fixable findings
LINT = """% refbook: ignore[missing-annotation]
@string{jn = "Journal of Tests"}

@article{acro2020,
  author = {Smith, John and Doe, Jane},
  title = {The TTP and CPEC in Pakistan},
  journal = jn,
  year = {2020}, pages = {1-10},
  doi = {https://doi.org/10.1234/abc},
  url = {http://example.com/pakist-an},
}
% refbook: ignore[missing-annotation, pages]

@article{supp2021, author = {Smyth, John and Doe, Jane}, title = {The Pakistan Question},
  journal = later # " Review", year = 2021, doi = {10.1234/ABC}, pages = {9-3}}
@comment{x}
% refbook: ignore[pages-dash]
@misc{aftercomment, title = {Something {Pakistan}ish}, pages = {3-4}, year = {1999}}
@book{sameline, title = {A}, year = {2001}} % refbook: ignore[required-fields]
@book{next, title = {B}, year = {2999}, publisher = undefinedmac, note = {50% off & more}}

@string{later = "Later"}
@online{web, title = {Web Page}, url = {https://x.org/a.}, year = {2023}}
@article{swap, title = {Volume and {Number}}, journal = jn, volume = 2, number = 98,
  year = {1998}, date = {1997}}
"""
CROSSREF = """@string{pub = "Pub House"}

@mvbook{parent, title = {The Whole Work}, publisher = pub, author = {Doe, Jane}, year = 2001}

@book{child, crossref = {parent}, title = {A Volume}, volume = 2}

@inbook{orphan, crossref = {missing}, title = {Lost}, year = 1999}
"""


def _keys(path: Path) -> list[str]:
    import refbook

    return list(refbook.load(path).keys())


def _commands(path: Path, tmp: Path) -> list[list[str]]:
    keys = _keys(path)
    first, last = keys[0], keys[-1]
    essay = tmp / "essay.md"
    essay.write_text(
        f"As [@{first}, p. 3] argues, and [@{last}; @missing-key] (Zahid, 2023; Doe 2001).\n",
        encoding="utf-8",
    )
    return [
        ["cite", first, f"{last}:p. 4"],
        ["cite", "--syntax", "latex", first],
        ["cite", "--json", last],
        ["cite-check", str(essay)],
        ["cite-check", "--json", str(essay)],
        ["dedupe"],
        ["dedupe", "--json"],
        ["list"],
        ["list", "--json"],
        ["list", "--json", "--reverse"],
        ["list", "--keys", "--sort", "author"],
        ["list", "--keys"],
        ["list", "--keys", "--sort", "key", "--reverse"],
        ["list", "--type", "article", "--sort", "title"],
        ["list", "--sort", "year", "--reverse"],
        ["show", first, last],
        ["show", first, "--json"],
        ["show", "--bibtex", last],
        ["show", first.upper()],
        ["show", "no-such-key-zz"],
        ["stats"],
        ["stats", "--json"],
        ["search", "the"],
        ["search", "--json", "year:1900-2100"],
        ["search", "nosuchwordqq"],
    ]


def _run_all(cli, path: Path, tmp: Path, *flags: str) -> list[tuple[int, str, str]]:
    return [
        (r.exit_code, r.stdout, r.stderr)
        for r in (cli(*flags, "--bib", str(path), *args, cwd=tmp) for args in _commands(path, tmp))
    ]


@pytest.mark.parametrize("name", list(FILES) + ["crossref"])
def test_every_read_command_is_the_same_warm_cold_and_uncached(cli, tmp_path, name):
    if name == "crossref":
        path = tmp_path / "crossref.bib"
        path.write_text(CROSSREF, encoding="utf-8")
    else:
        path = tmp_path / FILES[name].name
        shutil.copyfile(FILES[name], path)
    uncached = _run_all(cli, path, tmp_path, "--no-cache")
    assert not db_path(path).exists()
    cold = _run_all(cli, path, tmp_path)  # the first command builds the cache
    assert db_path(path).exists()
    warm = _run_all(cli, path, tmp_path)
    assert cold == uncached
    assert warm == uncached


def _wired_commands(path: Path, tmp: Path, pandoc: bool) -> list[list[str]]:
    keys = _keys(path)
    first, last = keys[0], keys[-1]
    essay = tmp / "essay.md"
    essay.write_text(f"As [@{first}, p. 3] argues, and [@{last}; @missing-key].\n", "utf-8")
    lines = [["export", "--format", f] for f in ("csl-json", "csl-yaml", "ris", "biblatex")]
    lines += [
        ["export", "--format", "bibtex"],
        ["export", "--format", "bibtex", "--normalize"],
        ["export", "--json"],
        ["export", "--format", "csl-json", first, last],
        ["export", "--format", "ris", last, first],
        ["export", "-q", "the", "--format", "csl-json"],
        ["export", "--cited-in", str(essay), "--format", "csl-yaml"],
        ["export", "--format", "csl-json", "no-such-key-zz"],
        ["lint"],
        ["lint", "--json"],
        ["lint", "--select", "strings", "--select", "url", "--format", "sarif"],
        ["lint", "--ignore", "annotated", "--fail-on", "info"],
    ]
    if pandoc:  # formatted by pandoc from the stored CSL items
        lines += [
            ["export"],
            ["export", "--style", "ieee", "--to", "html", "--annotated"],
            ["export", "--json", "--style", "chicago", "--to", "markdown"],
            ["cite", "--style", "ieee", last, first],
            ["render", "--allow-missing", str(essay)],
        ]
    return lines


PANDOC_FILES = ("shipped", "crossref", "duplicate_keys", "latin1", "lint", "strings")


@pytest.mark.parametrize(
    "name", list(FILES) + list(MORE_FILES) + ["crossref", "lint", "lint_plain"]
)
def test_export_lint_cite_render_are_the_same_warm_cold_and_uncached(cli, tmp_path, name):
    """The commands wired to the cache later (every export format, formatted export, lint,
    cite's text, render): identical output warm, cold and with --no-cache."""
    # lint_plain: no other block between entries, so the suppressions are read by span
    texts = {"crossref": CROSSREF, "lint": LINT, "lint_plain": LINT.replace("@comment{x}\n", "")}
    if name in texts:
        path = tmp_path / f"{name}.bib"
        path.write_text(texts[name], encoding="utf-8")
    else:
        source = {**FILES, **MORE_FILES}[name]
        path = tmp_path / source.name
        shutil.copyfile(source, path)
    commands = _wired_commands(path, tmp_path, name in PANDOC_FILES)

    def run_all(*flags: str) -> list[tuple[int, str, str]]:
        return [
            (r.exit_code, r.stdout, r.stderr)
            for r in (cli(*flags, "--bib", str(path), *a, cwd=tmp_path) for a in commands)
        ]

    uncached = run_all("--no-cache")
    assert not db_path(path).exists()
    cold = run_all()
    assert db_path(path).exists()
    warm = run_all()
    for args, u, c, w in zip(commands, uncached, cold, warm):
        assert c == u, args
        assert w == u, args


def test_warm_show_and_completion_import_no_parser(tmp_path):
    """A warm run reads rows: neither bibtexparser nor pylatexenc is imported."""
    env = {**os.environ, "REFBOOK_CACHE_DIR": str(tmp_path / "cache")}
    bib = str(SHIPPED_BIB)
    code = (
        "import atexit, sys\n"
        "def report():\n"
        "    heavy = sorted(m for m in sys.modules if m.split('.')[0] in "
        "('bibtexparser', 'pylatexenc'))\n"
        "    sys.stderr.write('HEAVY=' + ','.join(heavy) + '\\n')\n"
        "atexit.register(report)\n"
        "from refbook.cli import run\n"
        "run(sys.argv[1:])\n"
    )
    for args in (
        ["show", "zahid2023dealing"],
        ["list", "--json"],
        ["stats"],
        ["search", "taliban"],
        ["show", "--bibtex", "zahid2023dealing"],
        ["export", "--format", "csl-json"],
        ["export", "--format", "ris"],
        ["export", "--format", "biblatex"],
        ["export", "--format", "bibtex", "--normalize"],
        ["export", "--style", "ieee", "--to", "html"],
        ["cite", "zahid2023dealing"],
        ["lint"],
        ["lint", "--json"],
    ):
        argv = [sys.executable, "-c", code, "--bib", bib, *args]
        subprocess.run(argv, env=env, capture_output=True, check=True)  # cold: builds
        warm = subprocess.run(argv, env=env, capture_output=True, text=True, check=True)
        assert "HEAVY=\n" in warm.stderr, (args, warm.stderr)
    plain = tmp_path / "lint.bib"  # suppression comments read by byte span, no parse
    plain.write_text(LINT.replace("@comment{x}\n", ""), encoding="utf-8")
    argv = [sys.executable, "-c", code, "--bib", str(plain), "lint"]
    subprocess.run(argv, env=env, capture_output=True)
    warm = subprocess.run(argv, env=env, capture_output=True, text=True)
    assert "missing-annotation" in warm.stdout and "HEAVY=\n" in warm.stderr, warm.stderr
    complete = subprocess.run(
        [sys.executable, "-c", code],
        env={
            **env,
            "_REFBOOK_COMPLETE": "bash_complete",
            "COMP_WORDS": f"refbook --bib {bib} show zah",
            "COMP_CWORD": "4",
        },
        capture_output=True,
        text=True,
    )
    assert "zahid2023dealing" in complete.stdout
    assert "HEAVY=\n" in complete.stderr


def _outputs(cli, path: Path, tmp: Path, *flags: str) -> list[tuple[int, str, str]]:
    return [
        (r.exit_code, r.stdout, r.stderr)
        for r in (
            cli(*flags, "--bib", str(path), *args, cwd=tmp)
            for args in (
                ["list", "--json"],
                ["stats", "--json"],
                ["search", "--keys", "a"],
                ["export", "--format", "csl-json"],
                ["lint", "--json"],
            )
        )
    ]


EDITS = st.lists(
    st.tuples(
        st.sampled_from(["title", "retype", "add", "remove", "macro", "break", "fix", "same"]),
        st.integers(0, 30),
        st.text("abcxyz ", min_size=1, max_size=6),
    ),
    min_size=1,
    max_size=6,
)


def _outside_edit(path: Path, kind: str, n: int, word: str) -> None:
    """An outside writer (an editor, git) changes the text; ``same`` keeps the size and
    the mtime (the racily-clean case)."""
    text = path.read_text(encoding="utf-8")
    keys = [k for k in _keys(path)] or ["x"]
    key = keys[n % len(keys)]
    if kind == "title" and "{" + key + "," in text:
        at = text.index("{" + key + ",")
        end = text.find("\n}", at)
        text = text[:end] + f",\n  note = {{{word}}}" + text[end:]
    elif kind == "add":
        text += f"\n@misc{{new{n}{len(text)}, title = {{{word} added}}, year = {{20{n:02d}}}}}\n"
    elif kind == "remove" and text.count("\n@") > 2:
        starts = [i for i in range(len(text)) if text.startswith("\n@", i)]
        a = starts[n % len(starts)]
        b = next((s for s in starts if s > a), len(text))
        text = text[:a] + text[b:]
    elif kind == "macro":
        text = f'@string{{mac{n} = "{word}"}}\n' + text
    elif kind == "break":
        text += "\n@article{broken" + str(n) + ", title = {unclosed\n"
    elif kind == "fix":
        text = text.replace("title = {unclosed\n", "title = {closed}}\n")
    elif kind == "same":
        st_before = path.stat()
        swapped = text.replace("e", "E", 1) if "e" in text else text
        path.write_text(swapped, encoding="utf-8")
        os.utime(path, ns=(st_before.st_atime_ns, st_before.st_mtime_ns))
        return
    path.write_text(text, encoding="utf-8")


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(edits=EDITS)
def test_random_edits_warm_output_equals_uncached(cli, tmp_path, edits):
    """Random edits, by refbook (tag, set) and by an outside writer (including one that
    keeps size and mtime), each followed by a warm run compared with an uncached one."""
    path = tmp_path / "prop.bib"
    shutil.copyfile(FIXTURES / "search" / "ranking.bib", path)
    _outputs(cli, path, tmp_path)  # build the cache
    for kind, n, word in edits:
        if kind == "retype":  # an edit by refbook itself
            keys = _keys(path)
            if keys:
                key = keys[n % len(keys)]
                cli("--bib", str(path), "tag", key, f"+{word.strip() or 'w'}", cwd=tmp_path)
                cli("--bib", str(path), "set", key, f"year={1990 + n}", cwd=tmp_path)
        else:
            _outside_edit(path, kind, n, word)
        assert _outputs(cli, path, tmp_path) == _outputs(cli, path, tmp_path, "--no-cache")


@pytest.mark.parametrize("damage", ["garbage", "truncated", "old-schema", "foreign", "empty"])
def test_a_broken_cache_is_rebuilt_silently(cli, tmp_path, damage):
    path = tmp_path / "refs.bib"
    shutil.copyfile(SHIPPED_BIB, path)
    expected = cli("--no-cache", "--bib", str(path), "list", "--json", cwd=tmp_path)
    cli("--bib", str(path), "list", cwd=tmp_path)
    cache = db_path(path)
    data = cache.read_bytes()
    if damage == "garbage":
        cache.write_bytes(b"\x00garbage" * 500)
    elif damage == "truncated":
        cache.write_bytes(data[: len(data) // 3])
    elif damage == "empty":
        cache.write_bytes(b"")
    else:
        conn = sqlite3.connect(cache)
        if damage == "old-schema":
            conn.execute("UPDATE meta SET value = '0' WHERE name = 'schema'")
        else:
            conn.execute("PRAGMA application_id = 7")
        conn.commit()
        conn.close()
    out = cli("--bib", str(path), "list", "--json", cwd=tmp_path)
    assert (out.exit_code, out.stdout, out.stderr) == (0, expected.stdout, "")
    warm = cli("--bib", str(path), "cache", "info", "--json", cwd=tmp_path)
    info = json.loads(warm.stdout)
    assert info["fresh"] is True and info["entries"] == 27


@pytest.mark.skipif(
    os.geteuid() == 0 if hasattr(os, "geteuid") else False, reason="root writes anywhere"
)
def test_a_read_only_cache_directory_means_one_warning_and_no_cache(cli, tmp_path, monkeypatch):
    cache = tmp_path / "ro-cache"
    cache.mkdir()
    cache.chmod(0o555)
    monkeypatch.setenv("REFBOOK_CACHE_DIR", str(cache))
    try:
        out = cli("--bib", str(SHIPPED_BIB), "list", "--keys", cwd=tmp_path)
        expected = cli("--no-cache", "--bib", str(SHIPPED_BIB), "list", "--keys", cwd=tmp_path)
    finally:
        cache.chmod(0o755)
    assert out.exit_code == 0 and out.stdout == expected.stdout
    assert out.stderr.count("warning") == 1 and "running without it" in out.stderr


def test_a_cache_directory_that_cannot_be_created_means_one_warning(cli, tmp_path, monkeypatch):
    """A file where the cache directory should be: no directory can be made there (this
    holds for root too)."""
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x")
    monkeypatch.setenv("REFBOOK_CACHE_DIR", str(blocker))
    out = cli("--bib", str(SHIPPED_BIB), "show", "zahid2023dealing", "--json", cwd=tmp_path)
    expected = cli(
        "--no-cache", "--bib", str(SHIPPED_BIB), "show", "zahid2023dealing", "--json", cwd=tmp_path
    )
    assert out.exit_code == 0 and out.stdout == expected.stdout
    assert out.stderr.count("\n") == 1 and "running without it" in out.stderr


def test_cache_info_and_clear(cli, tmp_path):
    path = tmp_path / "refs.bib"
    shutil.copyfile(SHIPPED_BIB, path)
    before = json.loads(cli("--bib", str(path), "cache", "info", "--json", cwd=tmp_path).stdout)
    assert before["exists"] is False and before["file"] == str(db_path(path))
    cli("--bib", str(path), "list", cwd=tmp_path)
    built = json.loads(cli("--bib", str(path), "cache", "info", "--json", cwd=tmp_path).stdout)
    assert built["exists"] and built["entries"] == 27 and built["size"] > 0
    assert built["last_run"]["result"] == "rebuilt"
    cli("--bib", str(path), "list", cwd=tmp_path)
    warm = json.loads(cli("--bib", str(path), "cache", "info", "--json", cwd=tmp_path).stdout)
    assert warm["last_run"]["result"] == "hit"
    cleared = json.loads(cli("cache", "clear", "--json", cwd=tmp_path).stdout)
    assert cleared["removed"] >= 1
    assert not db_path(path).exists()


def test_an_outside_edit_reparses_only_the_changed_chunk(cli, tmp_path):
    path = tmp_path / "refs.bib"
    shutil.copyfile(SHIPPED_BIB, path)
    cli("--bib", str(path), "list", cwd=tmp_path)
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("Dealing with {TTP}", "Dealing anew with {TTP}"), encoding="utf-8")
    out = cli("--bib", str(path), "show", "zahid2023dealing", "--json", cwd=tmp_path)
    assert "Dealing anew" in json.loads(out.stdout)[0]["title"]
    last = json.loads(db_path(path).with_suffix(".run.json").read_text())
    assert last["result"] == "updated" and last["parsed"] == 1


def test_readers_and_writers_at_once_see_whole_versions_and_lose_no_edit(tmp_path):
    """10 readers and 2 writers (separate processes): every read is a whole, valid
    listing; every edit lands; the cache ends fresh and equal to an uncached read."""
    path = tmp_path / "refs.bib"
    shutil.copyfile(SHIPPED_BIB, path)
    env = {**os.environ, "REFBOOK_CACHE_DIR": str(tmp_path / "cache")}
    rb = [sys.executable, "-m", "refbook", "--bib", str(path)]
    keys = _keys(path)
    subprocess.run([*rb, "list"], env=env, check=True, capture_output=True)
    failures: list[str] = []

    def reader() -> None:
        for _ in range(3):
            r = subprocess.run([*rb, "list", "--json"], env=env, capture_output=True, text=True)
            if r.returncode != 0 or len(json.loads(r.stdout)) != 27:
                failures.append(f"reader: {r.returncode} {r.stderr[-300:]}")

    def writer(w: int) -> None:
        for i in range(3):
            r = subprocess.run(
                [*rb, "tag", keys[w * 5 + i], f"+writer{w}-{i}"],
                env=env,
                capture_output=True,
                text=True,
            )
            if r.returncode != 0:
                failures.append(f"writer: {r.stderr[-300:]}")

    threads = [threading.Thread(target=reader) for _ in range(10)]
    threads += [threading.Thread(target=writer, args=(w,)) for w in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []
    warm = subprocess.run([*rb, "list", "--json"], env=env, capture_output=True, text=True)
    cold = subprocess.run(
        [*rb, "--no-cache", "list", "--json"], env=env, capture_output=True, text=True
    )
    assert warm.stdout == cold.stdout
    tags = {k for e in json.loads(warm.stdout) for k in e["keywords"] if k.startswith("writer")}
    assert tags == {f"writer{w}-{i}" for w in range(2) for i in range(3)}


def test_no_module_of_the_cache_prints(tmp_path):
    for path in (REPO / "refbook" / "cache").glob("*.py"):
        source = path.read_text(encoding="utf-8")
        assert "print(" not in source and "sys.stdout" not in source and "sys.stderr" not in source


@pytest.mark.parametrize(
    "words",
    [
        ["show", "z"],
        ["tag", "zahid2023dealing", "+pa"],
        ["tag", "zahid2023dealing", "-"],
        ["list", "--keyword", "b"],
        ["unset", "zahid2023dealing", "a"],
    ],
)
def test_completion_is_the_same_with_and_without_the_cache(tmp_path, words):
    env = {
        **os.environ,
        "REFBOOK_CACHE_DIR": str(tmp_path / "cache"),
        "_REFBOOK_COMPLETE": "bash_complete",
    }

    def complete(*flags: str) -> str:
        line = ["refbook", *flags, "--bib", str(SHIPPED_BIB), *words]
        out = subprocess.run(
            [sys.executable, "-m", "refbook"],
            env={**env, "COMP_WORDS": " ".join(line), "COMP_CWORD": str(len(line) - 1)},
            capture_output=True,
            text=True,
        )
        return out.stdout

    uncached = complete("--no-cache")
    assert uncached.strip() and not (tmp_path / "cache").exists()
    assert complete() == uncached  # cold: builds the cache
    assert complete() == uncached  # warm
