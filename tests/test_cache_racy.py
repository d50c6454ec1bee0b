"""The cache's "racily clean" rule (refbook/cache/db.py), done as git does it: a file's
content is compared only while a change could still carry the mtime the cache saw."""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import time
from pathlib import Path

import pytest

from refbook.cache import db
from refbook.cache.db import db_path, is_fresh, is_racy, open_read_only, read_meta

SHIPPED_BIB = Path(__file__).resolve().parents[1] / "references.bib"


def _meta(path: Path) -> dict[str, str]:
    conn = open_read_only(db_path(path))
    assert conn is not None
    meta = read_meta(conn)
    conn.close()
    assert meta is not None
    return meta


@pytest.fixture
def hashed(monkeypatch) -> list[str]:
    """The files whose content the run compares (calls of ``db.file_sha256``)."""
    calls: list[str] = []
    real = db.file_sha256

    def counting(path: str | os.PathLike) -> str:
        calls.append(str(path))
        return real(path)

    monkeypatch.setattr(db, "file_sha256", counting)
    return calls


def test_the_command_after_a_save_by_refbook_compares_the_stat_only(cli, tmp_path, hashed):
    """The save's own update reads the file once it is past the racy window, so the next
    command finds the cache fresh by its stat alone, as a warm one does: no content
    compared, nothing written to the cache (a small file too: it waits < 50 ms)."""
    path = tmp_path / "refs.bib"
    shutil.copyfile(SHIPPED_BIB, path)
    cli("--bib", str(path), "show", "zahid2023dealing", cwd=tmp_path)  # builds the cache
    for tag in ("+racy", "+again"):
        tagged = cli("--bib", str(path), "tag", "zahid2023dealing", tag, cwd=tmp_path)
        assert tagged.exit_code == 0
        hashed.clear()
        warm = cli("--bib", str(path), "show", "zahid2023dealing", "--json", cwd=tmp_path)
        assert hashed == []  # the save's own refresh checked the file for good
        uncached = cli("--no-cache", "--bib", str(path), "show", "zahid2023dealing", "--json")
        assert warm.stdout == uncached.stdout and tag[1:] in warm.stdout
    assert not is_racy(path.stat().st_mtime_ns, float(_meta(path)["built_at"]))


def _forged(path: Path, built_after: float, **changes: str) -> dict[str, str]:
    """A cache's meta for ``path`` as it is now, checked ``built_after`` seconds after its
    mtime, holding other content (a change that kept size, mtime, inode and ctime)."""
    st = path.stat()
    return {
        "path": os.path.realpath(path),
        "encoding": "",
        **db.stat_meta(st),
        "sha256": hashlib.sha256(b"what the file held before").hexdigest(),
        "built_at": repr(st.st_mtime_ns / 1e9 + built_after),
        **changes,
    }


def test_sub_second_mtimes_are_racy_for_a_clock_tick_only(tmp_path, hashed):
    path = tmp_path / "refs.bib"
    path.write_text("@misc{a, title = {x}}\n", encoding="utf-8")
    os.utime(path, ns=(time.time_ns(), 1_700_000_000_123_456_789))
    # checked within the lag of the mtime: a later change could keep it, so compare
    assert not is_fresh(_forged(path, 0.01), path, None) and len(hashed) == 1
    assert not is_fresh(_forged(path, -5.0), path, None)  # an mtime ahead of the check
    # checked more than a tick later: any later change has a later mtime
    assert is_fresh(_forged(path, 0.2), path, None) and len(hashed) == 2


def test_whole_second_mtimes_keep_the_two_second_window(tmp_path, hashed):
    path = tmp_path / "refs.bib"
    path.write_text("@misc{a, title = {x}}\n", encoding="utf-8")
    os.utime(path, (1_700_000_000, 1_700_000_000))
    assert not is_fresh(_forged(path, 1.5), path, None) and len(hashed) == 1
    assert is_fresh(_forged(path, 2.5), path, None) and len(hashed) == 1


def test_a_change_that_puts_the_mtime_back_moves_the_ctime(tmp_path, hashed):
    path = tmp_path / "refs.bib"
    path.write_text("@misc{a, title = {x}}\n", encoding="utf-8")
    os.utime(path, ns=(time.time_ns(), 1_700_000_000_123_456_789))
    meta = _forged(path, 60.0, ctime_ns="1")  # long clean, but its ctime was another
    assert not is_fresh(meta, path, None) and len(hashed) == 1


def test_a_content_check_records_the_moment_it_started(cli, tmp_path):
    path = tmp_path / "refs.bib"
    shutil.copyfile(SHIPPED_BIB, path)
    hour_ago = time.time() - 3600
    os.utime(path, (hour_ago, hour_ago))
    before = time.time()
    cli("--bib", str(path), "list", "--keys", cwd=tmp_path)  # builds
    built = float(_meta(path)["built_at"])
    assert before <= built <= time.time()
    os.utime(path, (hour_ago + 1, hour_ago + 1))  # touched: compared, then settled
    before = time.time()
    cli("--bib", str(path), "list", "--keys", cwd=tmp_path)
    meta = _meta(path)
    assert before <= float(meta["built_at"]) <= time.time()
    assert meta["mtime_ns"] == str(path.stat().st_mtime_ns)


def test_a_cache_without_the_ctime_gains_it_when_settled(cli, tmp_path, hashed):
    path = tmp_path / "refs.bib"
    shutil.copyfile(SHIPPED_BIB, path)
    hour_ago = time.time() - 3600
    os.utime(path, (hour_ago, hour_ago))
    cli("--bib", str(path), "list", "--keys", cwd=tmp_path)  # builds
    conn = sqlite3.connect(db_path(path))
    conn.execute("DELETE FROM meta WHERE name = 'ctime_ns'")  # as written before it was kept
    conn.commit()
    conn.close()
    hashed.clear()
    cli("--bib", str(path), "list", "--keys", cwd=tmp_path)  # compares, settles
    cli("--bib", str(path), "list", "--keys", cwd=tmp_path)
    assert len(hashed) == 1 and _meta(path)["ctime_ns"] == str(path.stat().st_ctime_ns)
