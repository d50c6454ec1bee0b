"""The library cache's lazy tables (refbook/cache/lazy.py): a first run stores what the
reading commands list, show and count; the CSL items, lint records and search tables
are filled by the first command that needs them, kept in step by later updates, and every
output stays the uncached one."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest

import refbook.cache.build as build
from refbook.cache import open_cached
from refbook.cache.db import db_path
from refbook.model import load

from .conftest import SHIPPED_BIB


@pytest.fixture
def bib(tmp_path: Path) -> Path:
    path = tmp_path / "refs.bib"
    shutil.copyfile(SHIPPED_BIB, path)
    return path


def _counts(path: Path) -> dict[str, object]:
    conn = sqlite3.connect(f"file:{db_path(path)}?mode=ro", uri=True)
    try:
        counts: dict[str, object] = {
            t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
            for t in ("entries", "csl", "lintdata", "docs", "words")
        }
        row = conn.execute("SELECT value FROM meta WHERE name = 'filled'").fetchone()
        counts["filled"] = row[0]
        return counts
    finally:
        conn.close()


def _same_as_uncached(cli, path: Path, tmp: Path, *args: str) -> str:
    warm = cli("--bib", str(path), *args, cwd=tmp)
    cold = cli("--no-cache", "--bib", str(path), *args, cwd=tmp)
    assert (warm.exit_code, warm.stdout, warm.stderr) == (cold.exit_code, cold.stdout, cold.stderr)
    return warm.stdout


def test_a_first_run_leaves_the_lazy_tables_to_the_commands_that_need_them(cli, bib, tmp_path):
    cli("--bib", str(bib), "list", "--json", cwd=tmp_path)
    n = _counts(bib)["entries"]
    assert n
    assert _counts(bib) == {
        "entries": n,
        "csl": 0,
        "lintdata": 0,
        "docs": 0,
        "words": 0,
        "filled": "",
    }
    _same_as_uncached(cli, bib, tmp_path, "search", "--json", "taliban")
    assert _counts(bib)["filled"] == "search"
    assert _counts(bib)["docs"] == n and _counts(bib)["words"] and not _counts(bib)["csl"]
    _same_as_uncached(cli, bib, tmp_path, "export", "--format", "csl-json")
    assert _counts(bib)["filled"] == "csl search" and _counts(bib)["csl"] == n
    _same_as_uncached(cli, bib, tmp_path, "lint", "--json")
    assert _counts(bib)["filled"] == "csl lint search" and _counts(bib)["lintdata"] == n
    # and warm once filled
    for args in (["search", "--json", "pakistan"], ["export", "--format", "ris"], ["lint"]):
        _same_as_uncached(cli, bib, tmp_path, *args)


def test_an_update_keeps_the_filled_tables_in_step_and_leaves_the_others(cli, bib, tmp_path):
    cli("--bib", str(bib), "search", "taliban", cwd=tmp_path)  # fills the search tables
    assert _counts(bib)["filled"] == "search"
    key = next(iter(load(bib))).key
    text = bib.read_text(encoding="utf-8")
    at = text.index("{" + key + ",")
    title = text.index("title", at)
    text = text[: title + 5] + text[title + 5 :].replace("{", "{Zanzibarian ", 1)
    bib.write_text(text, encoding="utf-8")
    cli("--bib", str(bib), "show", key, cwd=tmp_path)
    run = json.loads(db_path(bib).with_suffix(".run.json").read_text())
    assert (run["result"], run["parsed"]) == ("updated", 1)
    assert _counts(bib)["filled"] == "search" and not _counts(bib)["csl"]
    found = _same_as_uncached(cli, bib, tmp_path, "search", "--keys", "zanzibarian")
    assert found.split() == [key]
    _same_as_uncached(cli, bib, tmp_path, "search", "--json", "zanzibar")  # fuzzy: vocabulary
    out = _same_as_uncached(cli, bib, tmp_path, "export", "--format", "csl-json", key)
    assert "Zanzibarian" in out
    _same_as_uncached(cli, bib, tmp_path, "lint", "--json")
    # a later edit with every table filled
    bib.write_text(text.replace("Zanzibarian ", "Tanganyikan "), encoding="utf-8")
    assert _same_as_uncached(cli, bib, tmp_path, "search", "--keys", "tanganyikan").split() == [key]
    assert "Tanganyikan" in _same_as_uncached(cli, bib, tmp_path, "export", key)
    _same_as_uncached(cli, bib, tmp_path, "lint", "--json")
    assert _counts(bib)["filled"] == "csl lint search"


def test_a_whole_rebuild_keeps_the_tables_that_were_filled(cli, bib, tmp_path):
    cli("--bib", str(bib), "search", "taliban", cwd=tmp_path)
    text = bib.read_text(encoding="utf-8")
    bib.write_text(text.replace("title", "Title"), encoding="utf-8")  # every entry changed
    _same_as_uncached(cli, bib, tmp_path, "search", "--json", "taliban")
    run = json.loads(db_path(bib).with_suffix(".run.json").read_text())
    assert run["result"] == "rebuilt" and not run["filled"]
    assert _counts(bib)["filled"] == "search"


def test_a_cache_without_its_lazy_tables_still_answers_as_a_parse_does(cli, bib, tmp_path):
    from refbook.csl import to_csl

    cli("--bib", str(bib), "list", cwd=tmp_path)
    lib, _ = open_cached(bib)
    assert lib is not None
    parsed = list(load(bib))
    entries = list(lib)
    for cached, entry in zip(entries, parsed):
        assert to_csl(cached) == to_csl(entry)  # made from the record when not stored
    hits = lib.search_index().search("taliban").hits  # an index made in memory
    assert hits and [h.key for h in hits] == [
        h.key for h in open_cached(bib, needs=("search",))[0].search_index().search("taliban").hits
    ]
    with pytest.raises(LookupError):
        entries[0].field_line("title")  # a lint record: the command must ask for the table


def test_a_cold_build_on_all_cores_stores_what_one_process_does(cli, bib, tmp_path, monkeypatch):
    """The process pool (groups of chunks parsed in forked workers, the first group in
    this process, results merged in file order) gives the rows one process gives."""
    cli("--bib", str(bib), "list", cwd=tmp_path)
    conn = sqlite3.connect(f"file:{db_path(bib)}?mode=ro", uri=True)
    query = "SELECT e.key, e.ord, e.light, e.fields, x.item FROM entries e JOIN data x USING (ord)"
    alone = conn.execute(query).fetchall()
    conn.close()
    db_path(bib).unlink()
    monkeypatch.setattr(build, "POOL_MIN_CHUNKS", 1)
    monkeypatch.setattr("refbook.cache.pool.cores", lambda: 3)
    _same_as_uncached(cli, bib, tmp_path, "list", "--json")
    run = json.loads(db_path(bib).with_suffix(".run.json").read_text())
    assert run["result"] == "rebuilt"
    conn = sqlite3.connect(f"file:{db_path(bib)}?mode=ro", uri=True)
    assert conn.execute(query).fetchall() == alone
    conn.close()
    _same_as_uncached(cli, bib, tmp_path, "lint", "--json")  # lint records parsed in the pool
    _same_as_uncached(cli, bib, tmp_path, "export", "--format", "csl-json")


def test_a_first_run_writes_its_new_cache_file_to_the_disk_early(bib, monkeypatch):
    """The new file's pages are flushed (in a thread, while the command goes on), so that
    the first update's commit, which syncs its new write-ahead log, does not wait for
    hundreds of MB of them (ext4 writes them with it: ~1 s at 100k entries)."""
    import os
    import threading

    from refbook.cache import refresh

    synced: list[int] = []
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        synced.append(os.fstat(fd).st_ino)
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    assert refresh(bib).result == "rebuilt"
    for thread in threading.enumerate():
        if thread.name == "refbook cache flush":
            thread.join()
    assert db_path(bib).stat().st_ino in synced


def _lint_rows(path: Path) -> list[tuple[str, str]]:
    conn = sqlite3.connect(f"file:{db_path(path)}?mode=ro", uri=True)
    try:
        return conn.execute(
            "SELECT e.key, l.info FROM entries e JOIN lintdata l ON l.ord = e.ord ORDER BY e.ord"
        ).fetchall()
    finally:
        conn.close()


@pytest.mark.parametrize("command", [["lint", "--json"], ["check", "--offline", "--json"]])
def test_the_first_lint_after_a_cold_build_lints_one_parse_and_keeps_its_records(
    cli, bib, tmp_path, monkeypatch, command
):
    """After a cold `list`, the lint table is missing: lint (and check) parse the file
    once, run on that parse, and store its records; they used to parse it to fill the
    table, then read everything back from the cache (more than an uncached lint)."""
    import refbook.lint
    import refbook.store
    from refbook.model import Library

    other = tmp_path / "other.bib"  # the same text, its table filled the old way
    shutil.copyfile(bib, other)
    for path in (bib, other):
        cli("--bib", str(path), "list", "--keys", cwd=tmp_path)
    lib, _ = open_cached(other, needs=("lint",))
    assert lib is not None and _counts(other)["filled"] == "lint"
    parses: list[int] = []
    read_blocks = refbook.store.read_blocks
    linted: list[object] = []
    real_lint = refbook.lint.lint_findings
    with monkeypatch.context() as m:
        m.setattr(
            refbook.store,
            "read_blocks",
            lambda text, *a, **k: parses.append(len(text)) or read_blocks(text, *a, **k),
        )
        m.setattr(
            refbook.lint,
            "lint_findings",
            lambda lib, *a, **k: linted.append(lib) or real_lint(lib, *a, **k),
        )
        first = cli("--bib", str(bib), *command, cwd=tmp_path)
    assert parses == [len(bib.read_text(encoding="utf-8"))]  # the file, once
    if command[0] == "lint":
        assert [type(x) for x in linted] == [Library]  # that parse, linted
    assert _counts(bib)["filled"] == "lint"
    assert _lint_rows(bib) == _lint_rows(other)  # the records a fill makes
    uncached = cli("--no-cache", "--bib", str(bib), *command, cwd=tmp_path)
    warm = cli("--bib", str(bib), *command, cwd=tmp_path)
    for run in (first, warm):
        assert (run.exit_code, run.stdout, run.stderr) == (
            uncached.exit_code,
            uncached.stdout,
            uncached.stderr,
        )
