"""`refbook dedupe` on large files full of copies, next to the bare load.

    python benchmarks/bench_dedupe.py                 # 10k and 100k entries
    python benchmarks/bench_dedupe.py 20000           # one size
    python benchmarks/bench_dedupe.py 100000 --timeout 600

Two corpora per size, generated from ../shared/corpus/tugboat.bib (benchmarks/data/, not
committed):

- ``gen-N``: tugboat's ~3,650 entries copied until N (each entry ~N/3,650 times, fresh
  keys): benchmarks/make_corpus.py.
- ``dup10-N``: N/10 distinct works, each 10 times.  The works are tugboat's entries, then
  the same entries a year later (same title, another year: "similar title"), then with
  "Part 2: " before the title (thousands of titles that share their first two words).

Target (issue 14): ``refbook dedupe`` within 2x the bare ``refbook.load`` of the same file,
and at most 500 MiB, at 100k entries, also when every entry has 10 copies.  Each figure is
one whole process (wall seconds, peak RSS); a run longer than --timeout is reported as such.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterable
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_foundation import compile_bytecode  # noqa: E402
from make_corpus import DATA, KEY, SOURCE, build, generate  # noqa: E402

PY = sys.executable
_YEAR = re.compile(r"(\byear\s*=\s*[{\"]?\s*)(\d{4})", re.I)
_TITLE = re.compile(r"(\btitle\s*=\s*[{\"])", re.I)


def generate_dup10(n: int, source: Path = SOURCE) -> Path:
    """N/10 distinct works (see the module doc), each copied 10 times with fresh keys."""

    def works(entries: list[str]) -> Iterable[str]:
        for i in range(n // 10):
            variant, base = divmod(i, len(entries))
            work = entries[base]
            if variant:
                work = KEY.sub(lambda m, v=variant: f"{m.group(1)}{m.group(2)}-v{v}", work, count=1)
                if variant % 2:
                    work = _YEAR.sub(
                        lambda m, v=variant: f"{m.group(1)}{int(m.group(2)) + v}", work, count=1
                    )
                else:
                    work = _TITLE.sub(lambda m, v=variant: f"{m.group(1)}Part {v}: ", work, count=1)
            for copy in range(10):
                yield KEY.sub(lambda m, c=copy: f"{m.group(1)}{m.group(2)}-d{c}", work, count=1)

    return build(f"dup10-{n}.bib", works, source)


def run(argv: list[str], timeout: float, env: dict[str, str]) -> tuple[float, float | None]:
    """(wall seconds, peak RSS MiB) of one process; (timeout, None) if it ran too long."""
    t0 = time.perf_counter()
    try:
        proc = subprocess.run(
            ["/usr/bin/time", "-f", "%M", *argv],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            timeout=timeout,
            env=env,
        )
    except subprocess.TimeoutExpired:
        return timeout, None
    wall = time.perf_counter() - t0
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{argv} failed: {proc.stderr[-400:]}")
    return wall, int(proc.stderr.strip().splitlines()[-1]) / 1024


def bench(path: Path, timeout: float) -> None:
    env = {**os.environ, "REFBOOK_CACHE_DIR": str(DATA / "cache")}
    load_t, load_rss = run([PY, "-c", f"import refbook; refbook.load({str(path)!r})"], 3600, env)
    t, rss = run([PY, "-m", "refbook", "--bib", str(path), "dedupe", "--json"], timeout, env)
    groups = (
        subprocess.run(
            [PY, "-m", "refbook", "--bib", str(path), "dedupe", "--json"],
            capture_output=True,
            text=True,
            env=env,
            timeout=timeout * 2,
        ).stdout.count('"kind"')
        if rss
        else None
    )
    entries = sum(1 for line in path.open(encoding="utf-8") if re.match(r"@(?!string)", line, re.I))
    print(f"{path.name}: {entries:,} entries, {path.stat().st_size / 2**20:.0f} MB")
    print(f"  bare refbook.load   {load_t:7.2f} s  {load_rss:5.0f} MiB")
    if rss is None:
        print(f"  refbook dedupe      > {timeout:.0f} s (stopped)  MISSED")
        return
    ok_t = t <= 2 * load_t
    ok_m = rss <= 500
    print(
        f"  refbook dedupe      {t:7.2f} s  {rss:5.0f} MiB  {t / load_t:.2f}x load  "
        f"{groups:,} groups  time {'OK' if ok_t else 'MISSED'} (<= 2x), "
        f"memory {'OK' if ok_m else 'MISSED'} (<= 500 MiB; load alone {load_rss:.0f})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[10_000, 100_000])
    parser.add_argument("--timeout", type=float, default=900.0)
    args = parser.parse_args()
    compile_bytecode()
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs")
    for n in args.sizes:
        bench(generate(n), args.timeout)
        bench(generate_dup10(n), args.timeout)


if __name__ == "__main__":
    main()
