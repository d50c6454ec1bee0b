"""The library cache updated in place (refbook/cache/update.py): an outside edit rewrites
the rows of the changed entries only, a reader keeps the version it started with while a
writer updates, and a writer killed in the middle of an update leaves the last version."""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from refbook.cache import open_cached, refresh
from refbook.cache.db import db_path
from refbook.cache.records import json_form
from refbook.cache.update import NoRoom, kept_chunks, spread

from .conftest import SHIPPED_BIB


def _ords(path: Path) -> dict[str, int]:
    conn = sqlite3.connect(f"file:{db_path(path)}?mode=ro", uri=True)
    try:
        return dict(conn.execute("SELECT key, ord FROM entries ORDER BY ord"))
    finally:
        conn.close()


def _last_run(path: Path) -> dict:
    return json.loads(db_path(path).with_suffix(".run.json").read_text())


def _same_as_uncached(cli, path: Path, tmp: Path) -> None:
    for args in (["list", "--json"], ["search", "--json", "the"], ["stats", "--json"]):
        warm = cli("--bib", str(path), *args, cwd=tmp)
        cold = cli("--no-cache", "--bib", str(path), *args, cwd=tmp)
        assert (warm.exit_code, warm.stdout, warm.stderr) == (
            cold.exit_code,
            cold.stdout,
            cold.stderr,
        )


@pytest.fixture
def bib(tmp_path: Path) -> Path:
    path = tmp_path / "refs.bib"
    shutil.copyfile(SHIPPED_BIB, path)
    return path


def _entry_text(text: str, key: str) -> tuple[int, int]:
    """The span of entry ``key``: from its ``@`` to the next line-start ``@``."""
    at = text.rindex("\n@", 0, text.index("{" + key + ",")) + 1
    end = text.find("\n@", at)
    return at, (len(text) if end < 0 else end + 1)


def test_an_outside_edit_rewrites_only_the_changed_entries_rows(cli, bib, tmp_path):
    cli("--bib", str(bib), "list", cwd=tmp_path)
    before = _ords(bib)
    inode = db_path(bib).stat().st_ino
    keys = list(before)
    edited, removed = keys[5], keys[9]
    text = bib.read_text(encoding="utf-8")
    a, b = _entry_text(text, removed)
    text = text[:a] + text[b:]  # one entry removed
    a, _ = _entry_text(text, keys[2])
    new = "@misc{inserted2024, title = {Put in the middle}, year = 2024}\n\n"
    text = text[:a] + new + text[a:]  # one added before the third
    at = text.index("{" + edited + ",")
    title = text.index("title", at)
    text = text[: title + 5] + text[title + 5 :].replace("{", "{Retitled ", 1)
    bib.write_text(text, encoding="utf-8")
    out = cli("--bib", str(bib), "show", edited, "--json", cwd=tmp_path)
    assert json.loads(out.stdout)[0]["title"].startswith("Retitled ")
    run = _last_run(bib)
    assert run["result"] == "updated" and run["parsed"] == 2
    assert db_path(bib).stat().st_ino == inode  # the same file, updated in place
    after = _ords(bib)
    unchanged = [k for k in keys if k not in (edited, removed)]
    assert {k: after[k] for k in unchanged} == {k: before[k] for k in unchanged}
    assert removed not in after
    assert before[keys[1]] < after["inserted2024"] < before[keys[2]]
    assert before[keys[4]] < after[edited] < before[keys[6]]
    _same_as_uncached(cli, bib, tmp_path)


def test_moved_entries_come_out_in_the_new_order(cli, bib, tmp_path):
    cli("--bib", str(bib), "list", cwd=tmp_path)
    text = bib.read_text(encoding="utf-8")
    keys = list(_ords(bib))
    a, b = _entry_text(text, keys[-1])
    last = text[a:b].rstrip("\n") + "\n\n"
    text = text[:a] + text[b:]
    a, _ = _entry_text(text, keys[0])
    bib.write_text(text[:a] + last + text[a:], encoding="utf-8")  # the last one first
    cli("--bib", str(bib), "list", cwd=tmp_path)
    assert _last_run(bib)["result"] == "updated"
    _same_as_uncached(cli, bib, tmp_path)
    order = sorted(_ords(bib).items(), key=lambda kv: kv[1])
    assert [k for k, _ in order] == [keys[-1], *keys[:-1]]


def test_no_room_between_two_entries_means_a_whole_new_version(cli, bib, tmp_path, monkeypatch):
    """Entries added again and again at one place halve the gap of numbers there; when
    none is left, the cache is written whole (numbers spread again), output unchanged."""
    import refbook.cache.update as update

    monkeypatch.setattr(update, "ORD_STEP", 8)
    cli("--bib", str(bib), "list", cwd=tmp_path)
    results = []
    for n in range(5):
        text = bib.read_text(encoding="utf-8")
        a, _ = _entry_text(text, "zahid2023dealing")
        added = f"@misc{{added{n}, title = {{Added {n}}}, year = 2001}}\n\n"
        bib.write_text(text[:a] + added + text[a:], encoding="utf-8")
        cli("--bib", str(bib), "list", cwd=tmp_path)
        results.append(_last_run(bib)["result"])
        _same_as_uncached(cli, bib, tmp_path)
    assert results[0] == "updated" and "rebuilt" in results


def test_spread_and_kept_chunks():
    assert spread(10, 20, 1, 4) == [15]
    assert spread(10, None, 2, 4) == [14, 18]
    with pytest.raises(NoRoom):
        spread(10, 11, 1, 4)

    class C:
        def __init__(self, ident: str) -> None:
            self.ident = ident

    old = [(1, "a"), (2, "b"), (3, "c"), (4, "d")]
    # c moved to the front, b changed, e added: a and d are kept where they were
    kept = kept_chunks(old, [C("c"), C("a"), C("x"), C("d"), C("e")])  # type: ignore[list-item]
    assert kept in ({1: 0, 3: 3}, {0: 2, 3: 3})
    assert len(kept) == 2


def test_a_reader_keeps_its_version_while_a_writer_updates(bib):
    """A command that opened the cache reads the version it opened to the end, while
    another updates the file under it; the next command sees the new version."""
    refresh(bib)
    lib, _ = open_cached(bib)
    assert lib is not None
    text = bib.read_text(encoding="utf-8")
    bib.write_text(text.replace("Dealing with {TTP}", "Dealing anew with {TTP}"), encoding="utf-8")
    assert refresh(bib).result == "updated"
    assert "Dealing with" in lib["zahid2023dealing"].title
    assert all("Dealing anew" not in e.title for e in lib)
    fresh, _ = open_cached(bib)
    assert fresh is not None and "Dealing anew" in fresh["zahid2023dealing"].title
    assert len(fresh) == len(lib)


_STOPPED_WRITER = """
import sys, time
from pathlib import Path
import refbook.cache.update as update

def stop(conn):
    Path(sys.argv[2]).write_text("in the transaction")
    time.sleep(120)

update.finish = stop
from refbook.cache import refresh
refresh(sys.argv[1])
"""


def test_a_writer_killed_mid_update_leaves_the_last_version(cli, bib, tmp_path):
    cli("--bib", str(bib), "list", cwd=tmp_path)
    expected_old = cli("--bib", str(bib), "list", "--json", cwd=tmp_path).stdout
    text = bib.read_text(encoding="utf-8")
    bib.write_text(text.replace("Dealing with {TTP}", "Dealing anew with {TTP}"), encoding="utf-8")
    marker = tmp_path / "marker"
    writer = subprocess.Popen(
        [sys.executable, "-c", _STOPPED_WRITER, str(bib), str(marker)], env=dict(os.environ)
    )
    try:
        deadline = time.monotonic() + 120
        while not marker.exists() and writer.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert marker.exists(), "the writer never reached its commit"
    finally:
        writer.send_signal(signal.SIGKILL)
        writer.wait()
    # the file as the dead writer left it: the last committed version, whole
    conn = sqlite3.connect(f"file:{db_path(bib)}?mode=ro", uri=True)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    titles = [json.loads(json_form(i))["title"] for (i,) in conn.execute("SELECT item FROM data")]
    conn.close()
    assert any("Dealing with" in t for t in titles) and not any("anew" in t for t in titles)
    # reading the old text through it again gives the old output; the new text, the new
    bib.write_text(text, encoding="utf-8")
    assert cli("--bib", str(bib), "list", "--json", cwd=tmp_path).stdout == expected_old
    bib.write_text(text.replace("Dealing with {TTP}", "Dealing anew with {TTP}"), encoding="utf-8")
    _same_as_uncached(cli, bib, tmp_path)


def _large(path: Path, copies: int = 24) -> list[str]:
    """A file of ``copies`` times the shipped entries (fresh keys), several 64 KiB
    blocks long: an update then cuts only the part that changed.  Its keys."""
    import re

    text = SHIPPED_BIB.read_text(encoding="utf-8")
    head, _, entries = text.partition("\n@")
    entries = "@" + entries
    parts = [head + "\n"]
    for c in range(copies):
        parts.append(re.sub(r"^(@\w+\{)([^,\s]+)", rf"\g<1>\g<2>-c{c}", entries, flags=re.M))
    path.write_text("\n".join(parts), encoding="utf-8")
    return re.findall(r"^@\w+\{([^,\s]+),", path.read_text(encoding="utf-8"), re.M)


def test_an_edit_in_a_large_file_cuts_only_the_changed_part(cli, tmp_path):
    """Edits that shift the lines and bytes after them (longer title, entry added,
    entry removed, lines added) each cut a few chunks again; lines, byte spans
    (``show --bibtex``), search and listings stay those of the uncached run."""
    path = tmp_path / "large.bib"
    keys = _large(path)
    assert path.stat().st_size > 6 * 65536
    cli("--bib", str(path), "list", cwd=tmp_path)
    middle, later = keys[len(keys) // 2], keys[len(keys) * 3 // 4]

    def start_of(text: str, key: str) -> int:
        return text.rindex("\n@", 0, text.index("{" + key + ",")) + 1

    def longer(t: str) -> str:
        return t.replace("{" + middle + ",", "{" + middle + ",\n  note = {Now\n longer},", 1)

    def added(t: str) -> str:
        at = start_of(t, later)
        return t[:at] + "@misc{added-here, title = {Added}}\n\n" + t[at:]

    def removed(t: str) -> str:
        at = start_of(t, later)
        return t[:at] + t[t.index("\n@", at) + 1 :]

    def lines(t: str) -> str:
        return t.replace("{" + middle + ",", "{" + middle + ",\n\n\n", 1)

    def two_neighbours(t: str) -> str:  # a small part, all of it changed
        other = keys[len(keys) * 2 // 3]
        at = start_of(t, other)
        before = t.rindex("title = {", 0, at)  # the entry above it
        t = t[:before] + "title = {One " + t[before + len("title = {") :]
        return t.replace("{" + other + ",", "{" + other + ",\n  note = {Two},", 1)

    edits = [longer, added, removed, lines, two_neighbours]
    for edit in edits:
        path.write_text(edit(path.read_text(encoding="utf-8")), encoding="utf-8")
        cli("--bib", str(path), "stats", cwd=tmp_path)
        run = _last_run(path)
        assert run["result"] == "updated" and run["cut"] < len(keys) // 4, run
        for args in (["show", "--bibtex", keys[-1]], ["show", "--json", middle]):
            warm = cli("--bib", str(path), *args, cwd=tmp_path)
            assert warm.stdout == cli("--no-cache", "--bib", str(path), *args, cwd=tmp_path).stdout
        _same_as_uncached(cli, path, tmp_path)


_IMPORTS = """
import atexit, sys
def report():
    sys.stderr.write("MODULES=" + ",".join(sorted(sys.modules)) + "\\n")
atexit.register(report)
from refbook.cli import run
run(sys.argv[1:])
"""
# what a warm `show KEY` or key completion must not import: the parser, the LaTeX
# decoder, the decoding of files, findings, TOML (no config file here), rich (piped)
_NOT_ON_THE_WARM_PATH = (
    "bibtexparser",
    "pylatexenc",
    "refbook.latex",
    "refbook.model",
    "refbook.encoding",
    "refbook.findings",
    "tomllib",
    "rich",
    "hashlib",
)


def test_warm_show_and_completion_import_only_what_they_need(tmp_path):
    env = {**os.environ, "REFBOOK_CACHE_DIR": str(tmp_path / "cache")}
    bib = tmp_path / "refs.bib"
    shutil.copyfile(SHIPPED_BIB, bib)
    argv = [sys.executable, "-c", _IMPORTS, "--bib", str(bib), "show", "zahid2023dealing"]
    subprocess.run(argv, env=env, cwd=tmp_path, capture_output=True, check=True)  # builds
    # built right after the file was written: racily clean, its content is compared (and
    # hashlib imported) until a run long enough after the last change records that the
    # content matched; the runs after it compare the stat only
    hour_ago = time.time() - 3600
    os.utime(bib, (hour_ago, hour_ago))
    settled = subprocess.run(argv, env=env, cwd=tmp_path, capture_output=True, text=True)
    assert "hashlib" in settled.stderr.split("MODULES=")[1].split(",")
    completing = {"COMP_WORDS": f"refbook --bib {bib} show zah", "COMP_CWORD": "4"}
    completing["_REFBOOK_COMPLETE"] = "bash_complete"

    def run(args: list[str], extra: dict[str, str]) -> subprocess.CompletedProcess:
        return subprocess.run(
            args, env={**env, **extra}, cwd=tmp_path, capture_output=True, text=True
        )

    runs = {"show": run(argv, {}), "completion": run([sys.executable, "-c", _IMPORTS], completing)}
    assert "zahid2023dealing" in runs["completion"].stdout
    for name, proc in runs.items():
        modules = proc.stderr.split("MODULES=")[1].split(",")
        heavy = [
            m
            for m in modules
            if m.split(".")[0] in _NOT_ON_THE_WARM_PATH or m in _NOT_ON_THE_WARM_PATH
        ]
        assert heavy == [], (name, heavy)


@pytest.mark.parametrize("encoding", ["utf-8", "latin-1:backslashreplace", "utf-16"])
def test_list_json_is_the_same_whatever_the_output_encoding(tmp_path, encoding):
    """``list --json`` from the cache writes UTF-8 bytes straight to a UTF-8 stdout and
    text otherwise: the same bytes as the uncached run either way."""
    bib = tmp_path / "refs.bib"
    shutil.copyfile(SHIPPED_BIB, bib)
    env = {**os.environ, "REFBOOK_CACHE_DIR": str(tmp_path / "cache"), "PYTHONIOENCODING": encoding}
    runs = [
        subprocess.run(
            [sys.executable, "-m", "refbook", *flags, "--bib", str(bib), "list", "--json"],
            env=env,
            capture_output=True,
        )
        for flags in ([], [], ["--no-cache"])
    ]
    assert runs[0].stdout == runs[1].stdout == runs[2].stdout and b"Zahid" in runs[
        2
    ].stdout.replace(b"\x00", b"")
