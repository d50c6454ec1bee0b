"""What showing control characters visibly costs (issue 19): whole commands as a user runs
them, on a generated file, with the output piped to /dev/null.

    python benchmarks/bench_output_safety.py                  # 50k entries
    python benchmarks/bench_output_safety.py 10000 --compare ../main

``--compare PATH`` runs the same commands with another checkout's ``refbook`` package
first on ``PYTHONPATH`` (e.g. the main branch), in the same session, alternating runs.
Figures: the median of five wall-clock runs, in seconds.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from make_corpus import generate  # noqa: E402

COMMANDS = (
    ("list (plain)", ["list"]),
    ("list --json", ["list", "--json"]),
    ("search (warm index)", ["search", "tex", "--limit", "50"]),
    ("lint --format junit", ["lint", "--format", "junit"]),
)


def timed(argv: list[str], env: dict[str, str]) -> float:
    t0 = time.perf_counter()
    proc = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{argv} failed: {proc.stderr[-400:]!r}")
    return time.perf_counter() - t0


def main() -> None:
    args = sys.argv[1:]
    compare = None
    if "--compare" in args:
        i = args.index("--compare")
        compare = str(Path(args[i + 1]).resolve())
        del args[i : i + 2]
    size = int(args[0]) if args else 50_000
    bib = generate(size)
    with tempfile.TemporaryDirectory() as cache:
        base = {**os.environ, "REFBOOK_CACHE_DIR": cache, "NO_COLOR": "1"}
        variants = {"this checkout": {**base, "PYTHONPATH": str(HERE.parent)}}
        if compare:
            variants[f"{compare}"] = {**base, "PYTHONPATH": compare}
        print(f"{size} entries ({bib.name}); median of 5 runs, seconds")
        print(f"{'command':<24}" + "".join(f"{name[-28:]:>30}" for name in variants))
        for label, argv in COMMANDS:
            full = [sys.executable, "-m", "refbook", *argv, "--bib", str(bib)]
            for env in variants.values():  # warm caches and the index
                timed(full, env)
            times: dict[str, list[float]] = {name: [] for name in variants}
            for _ in range(5):
                for name, env in variants.items():
                    times[name].append(timed(full, env))
            print(
                f"{label:<24}" + "".join(f"{statistics.median(t):>30.3f}" for t in times.values())
            )


if __name__ == "__main__":
    main()
