"""A first build on all cores (``refbook.cache.parallel``): batches of chunks taken by
this process and forked workers, each writing its rows as it goes.  Whatever the split,
and whatever happens to a worker, the cache holds what one process makes of the file,
and every command's output is the uncached one."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import time
from pathlib import Path

import pytest

import refbook.cache.build as build
import refbook.cache.parallel as parallel
from refbook.cache.db import db_path

from .conftest import SHIPPED_BIB

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="forked workers only")

ROWS = (
    "SELECT e.ord, e.key, e.lkey, e.type, e.chunk, e.rel_line, e.rel_start, e.rel_end, "
    "e.year, e.light, e.fields, x.item, extra.extra FROM entries e JOIN data x USING (ord) "
    "JOIN extra USING (ord) ORDER BY e.ord"
)
OTHERS = ("SELECT * FROM keywords ORDER BY seq", "SELECT * FROM aliases ORDER BY alias, ord")


@pytest.fixture
def bib(tmp_path: Path) -> Path:
    path = tmp_path / "refs.bib"
    shutil.copyfile(SHIPPED_BIB, path)
    return path


def _stored(path: Path) -> list:
    conn = sqlite3.connect(f"file:{db_path(path)}?mode=ro", uri=True)
    try:
        return [conn.execute(q).fetchall() for q in (ROWS, *OTHERS)]
    finally:
        conn.close()


def _last_run(path: Path) -> dict:
    return json.loads(db_path(path).with_suffix(".run.json").read_text())


def _same_as_uncached(cli, path: Path, tmp: Path, *args: str) -> None:
    warm = cli("--bib", str(path), *args, cwd=tmp)
    cold = cli("--no-cache", "--bib", str(path), *args, cwd=tmp)
    assert (warm.exit_code, warm.stdout, warm.stderr) == (cold.exit_code, cold.stdout, cold.stderr)


def _one_process(cli, path: Path, tmp: Path) -> list:
    """The rows one process stores (no pool: fewer chunks than it takes)."""
    cli("--bib", str(path), "list", cwd=tmp)
    assert _last_run(path)["result"] == "rebuilt"
    stored = _stored(path)
    db_path(path).unlink()
    return stored


@pytest.fixture
def small_batches(monkeypatch):
    """Every chunk count worth the pool, in batches of three chunks."""
    monkeypatch.setattr(build, "POOL_MIN_CHUNKS", 1)
    monkeypatch.setattr(parallel, "BATCH_MIN", 1)
    monkeypatch.setattr(parallel, "BATCH_MAX", 3)


@pytest.mark.parametrize("cores", [2, 3])
def test_batches_written_by_several_processes_are_what_one_process_stores(
    cli, bib, tmp_path, monkeypatch, small_batches, cores
):
    alone = _one_process(cli, bib, tmp_path)
    taken = tmp_path / "taken"
    take = parallel._Shared.take

    parent = os.getpid()

    def counted(self):  # which process took which batch (the workers' memory is theirs)
        n = take(self)
        if n is not None:
            with taken.open("a") as fh:
                fh.write(f"{os.getpid()} {n}\n")
        for _ in range(1000):  # this process waits until a worker has taken one
            if os.getpid() != parent or n is None:
                break
            if any(pid != str(parent) for pid in taken.read_text().split()[::2]):
                break
            time.sleep(0.01)
        return n

    monkeypatch.setattr(parallel._Shared, "take", counted)
    monkeypatch.setattr("refbook.cache.pool.cores", lambda: cores)
    _same_as_uncached(cli, bib, tmp_path, "list", "--json")
    assert _last_run(bib)["result"] == "rebuilt" and _last_run(bib)["mode"] == "chunks"
    assert _stored(bib) == alone
    groups = parallel.batches(parallel_chunks(bib), cores)
    pairs = [line.split() for line in taken.read_text().splitlines()]
    assert sorted(int(n) for _, n in pairs) == list(range(len(groups))) and len(groups) > 5
    assert len({pid for pid, _ in pairs}) >= 2
    assert not list(db_path(bib).parent.glob("*.part.*"))  # the workers' files are gone
    _same_as_uncached(cli, bib, tmp_path, "show", "zahid2023dealing")
    _same_as_uncached(cli, bib, tmp_path, "search", "--json", "taliban")


def parallel_chunks(path: Path) -> list:
    from refbook.cache.source import read_source

    return read_source(path, str(path), None).chunks


def test_the_batches_cover_every_chunk_once_with_the_string_chunks_above(bib):
    chunks = parallel_chunks(bib)
    groups = parallel.batches(chunks, 2)
    wanted = [i for g in groups for _, _, i, want in g if want]
    assert wanted == list(range(len(chunks)))
    for group in groups:
        first = min(i for _, _, i, want in group if want)
        strings = [i for i, c in enumerate(chunks) if c.is_string and i < first]
        assert [i for _, _, i, want in group if not want] == strings
        assert group == build._pieces(chunks, [i for _, _, i, want in group if want])


@pytest.mark.parametrize("how", ["dies", "raises"])
def test_a_worker_that_fails_leaves_the_chunks_to_this_process(
    cli, bib, tmp_path, monkeypatch, small_batches, how
):
    """A worker killed mid-build (out of memory, a signal) or failing: the build parses
    the chunks in this process, the cache is what one process stores, no scratch file
    stays behind."""
    alone = _one_process(cli, bib, tmp_path)
    parent = os.getpid()
    take = parallel._Shared.take

    failed = tmp_path / "failed"

    def failing(self):
        n = take(self)
        if os.getpid() != parent and n is not None:
            failed.touch()
            if how == "dies":
                os._exit(9)
            raise RuntimeError("a worker's error")
        return n

    monkeypatch.setattr(parallel._Shared, "take", failing)
    _same_as_uncached(cli, bib, tmp_path, "list", "--json")
    assert failed.exists()
    run = _last_run(bib)
    chunks = len(parallel_chunks(bib))
    assert (run["result"], run["mode"], run["parsed"]) == ("rebuilt", "chunks", chunks)
    assert _stored(bib) == alone
    assert not list(db_path(bib).parent.glob("*.tmp*")) + list(db_path(bib).parent.glob("*.part*"))


def test_a_parse_problem_in_any_batch_means_the_file_is_read_whole(
    cli, bib, tmp_path, small_batches
):
    text = bib.read_text(encoding="utf-8")
    bib.write_text(text + "\n@misc{zahid2023dealing, title = {Twice}}\n", encoding="utf-8")
    _same_as_uncached(cli, bib, tmp_path, "list", "--json")
    assert _last_run(bib)["mode"] == "whole"
    _same_as_uncached(cli, bib, tmp_path, "lint", "--json")
    bib.write_text(text + "\n@misc{broken, title = {Unclosed}\n", encoding="utf-8")
    _same_as_uncached(cli, bib, tmp_path, "list", "--json")
    assert _last_run(bib)["mode"] == "whole"
