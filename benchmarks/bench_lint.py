"""lint and fmt --check benchmarks next to the bare load, in the same run.

    python benchmarks/bench_lint.py            # 10k, 50k, 100k entries
    python benchmarks/bench_lint.py 10000

Targets (issue "lint and fmt"): lint with every rule except the fuzzy similar-title rule
within 2x of the bare load; similar-title timed on its own (sub-quadratic by blocking).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_foundation import compile_bytecode, timed  # noqa: E402
from make_corpus import SIZES, generate  # noqa: E402

PY = sys.executable


def bench(n: int) -> None:
    path = str(generate(n))
    cli = [PY, "-m", "refbook", "--bib", path]
    figures = {
        "bare refbook.load": timed([PY, "-c", f"import refbook; refbook.load({path!r})"]),
        "lint (all but similar-title)": timed(
            [*cli, "lint", "--ignore", "similar-title", "--format", "plain"]
        ),
        "  same, --format json": timed(
            [*cli, "lint", "--ignore", "similar-title", "--format", "json"]
        ),
        "lint --select similar-title": timed([*cli, "lint", "--select", "similar-title"]),
        "fmt --check": timed([*cli, "fmt", "--check"]),
    }
    load = figures["bare refbook.load"][0]
    print(f"\n{n:,} entries")
    for label, (wall, rss) in figures.items():
        print(f"  {label:32s} {wall:7.2f} s  {rss:6.0f} MiB  {wall / load:5.2f}x load")
    lint_t = figures["lint (all but similar-title)"][0]
    print(
        f"  target lint <= 2x load: {lint_t / load:.2f}x {'OK' if lint_t <= 2 * load else 'MISSED'}"
    )


if __name__ == "__main__":
    compile_bytecode()
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs")
    for size in [int(a) for a in sys.argv[1:]] or list(SIZES):
        bench(size)
