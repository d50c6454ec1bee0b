"""A library cache damaged where its meta row does not show it (pages cut off or
overwritten while its write-ahead log holds frames, so the meta row still reads): the
command's output is the uncached one, without a traceback, and the cache is built anew.
Before, the first read of a damaged page failed mid-command ("database disk image is
malformed") with a traceback, on every run."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from refbook.cache.db import db_path

from .conftest import SHIPPED_BIB

COMMANDS = [
    ["list", "--json"],
    ["show", "zahid2023dealing"],
    ["show", "--json", "zahid2023dealing"],
    ["stats"],
    ["list", "--keys"],
    ["search", "--json", "taliban"],
    ["lint", "--json"],
    ["export", "--format", "csl-json"],
]

# a write whose frames stay in the log: the process ends without closing (as refbook's
# own processes do after an in-place update), so nothing is checkpointed
_FRAMES = """
import os, sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("INSERT OR REPLACE INTO meta VALUES ('frames', 'a test')")
os._exit(0)
"""


def _damage(cache: Path, how: str) -> None:
    subprocess.run([sys.executable, "-c", _FRAMES, str(cache)], check=True)
    assert cache.with_name(cache.name + "-wal").stat().st_size > 0
    data = bytearray(cache.read_bytes())
    if how == "truncated":
        data = data[: len(data) // 3]
    else:  # every other page after the first two overwritten
        for at in range(2 * 4096, len(data), 2 * 4096):
            data[at : at + 4096] = b"\xa5" * 4096
    cache.write_bytes(bytes(data))


@pytest.mark.parametrize("how", ["truncated", "overwritten"])
@pytest.mark.parametrize("words", COMMANDS, ids=" ".join)
def test_a_cache_damaged_behind_its_write_ahead_log_is_rebuilt_silently(cli, tmp_path, how, words):
    path = tmp_path / "refs.bib"
    shutil.copyfile(SHIPPED_BIB, path)
    expected = cli("--no-cache", "--bib", str(path), *words, cwd=tmp_path)
    cli("--bib", str(path), "list", "--keys", cwd=tmp_path)
    cli("--bib", str(path), *words, cwd=tmp_path)  # its tables filled
    _damage(db_path(path), how)
    out = cli("--bib", str(path), *words, cwd=tmp_path)
    assert (out.exit_code, out.stdout, out.stderr) == (
        expected.exit_code,
        expected.stdout,
        expected.stderr,
    )
    info = cli("--bib", str(path), "cache", "info", "--json", cwd=tmp_path)
    assert '"fresh": true' in info.stdout  # built anew


def test_damage_found_after_output_began_is_one_line_and_the_next_run_is_whole(cli, tmp_path):
    """Never a traceback: the command is run again when nothing was written yet (exit
    0, the uncached output), else (a stream already written: it cannot be taken back)
    one line and exit 3; the damaged cache is gone either way, so the next run is whole."""
    path = tmp_path / "refs.bib"
    shutil.copyfile(SHIPPED_BIB, path)
    expected = cli("--no-cache", "--bib", str(path), "list", cwd=tmp_path)
    cli("--bib", str(path), "list", cwd=tmp_path)
    _damage(db_path(path), "overwritten")
    out = cli("--bib", str(path), "list", cwd=tmp_path)
    assert out.exit_code in (0, 3) and "Traceback" not in out.stderr
    if out.exit_code == 3:
        assert out.stderr.count("\n") == 1 and "cache was damaged" in out.stderr
    again = cli("--bib", str(path), "list", cwd=tmp_path)
    assert (again.exit_code, again.stdout, again.stderr) == (0, expected.stdout, "")
