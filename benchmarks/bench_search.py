"""Search benchmarks: cold (index build) and warm queries against grep.

    python benchmarks/bench_search.py              # tugboat.bib, 10k, 50k, 100k
    python benchmarks/bench_search.py 100000       # one generated size

For each file: ``refbook search`` whole-process wall time and peak RSS for five typical
queries (one word, two words, a field term, a phrase, a fuzzy miss), the first run with
no index (cold: parse + index build) and then warm; next to ``grep -ci`` for the same
word and a bare ``refbook.load`` of the file.  Targets (issue "search"): warm query at
100k <= 0.25 s and <= 5x grep; cold <= 2x the bare load.  The index goes to a temporary
cache directory.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_foundation import compile_bytecode, run, timed  # noqa: E402
from make_corpus import SIZES, SOURCE, generate  # noqa: E402

PY = sys.executable
QUERIES = ("knuth", "knuth typesetting", "author:knuth", '"literate programming"', "typsetting")


def grep_time(path: Path, word: str = "knuth", repeat: int = 5) -> float:
    """Best wall time of `grep -ci WORD FILE` writing to a pipe (with stdout on /dev/null,
    GNU grep stops at the first match, which would not be a fair baseline)."""
    import subprocess
    import time

    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        subprocess.run(["grep", "-ci", word, str(path)], stdout=subprocess.PIPE, check=False)
        best = min(best, time.perf_counter() - t0)
    return best


def bench_file(path: Path, cache: Path) -> None:
    env_cache = {"REFBOOK_CACHE_DIR": str(cache)}
    os.environ.update(env_cache)
    shutil.rmtree(cache, ignore_errors=True)
    search = [PY, "-m", "refbook", "--bib", str(path), "search"]
    load_t, load_rss = timed([PY, "-c", f"import refbook; refbook.load({str(path)!r})"])
    cold_t, cold_rss = run([*search, QUERIES[0]])
    grep_t = grep_time(path)
    print(f"\n{path.name}: {path.stat().st_size / 2**20:.0f} MiB")
    print(f"  bare refbook.load          {load_t:7.2f} s  {load_rss:6.0f} MiB")
    print(
        f"  cold (parse + index)       {cold_t:7.2f} s  {cold_rss:6.0f} MiB  "
        f"{cold_t / load_t:.2f}x load  {'OK' if cold_t <= 2 * load_t else 'MISSED'} (<= 2x)"
    )
    print(f"  grep -ci knuth             {grep_t:7.3f} s")
    for q in QUERIES:
        t, rss = timed([*search, q], repeat=5)
        verdict = (
            ("OK" if t <= 0.25 and t <= 5 * grep_t else "MISSED")
            if path.stat().st_size > 50 * 2**20
            else "(target is set at 100k entries)"
        )
        print(f"  warm {q!r:26s} {t:7.3f} s  {rss:6.0f} MiB  {t / grep_t:5.1f}x grep  {verdict}")


if __name__ == "__main__":
    sizes = [int(a) for a in sys.argv[1:]] or list(SIZES)
    compile_bytecode()
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs")
    with tempfile.TemporaryDirectory() as tmp:
        files = ([SOURCE] if not sys.argv[1:] and SOURCE.exists() else []) + [
            generate(n) for n in sizes
        ]
        for f in files:
            bench_file(f, Path(tmp) / "cache")
