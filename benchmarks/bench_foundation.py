"""Foundation benchmarks: load, list --json, no-op save, and start-up time.

    python benchmarks/bench_foundation.py             # 10k, 50k, 100k entries
    python benchmarks/bench_foundation.py 10000       # one size

Each figure is one whole process (wall seconds, peak RSS from the kernel's rusage), run in
the same session next to bare ``bibtexparser.parse_file`` on the same file.  Targets (issue
"Foundation"): refbook's load within 1.3x of the bare parse; a no-op save of 100k entries
within 1.5x of the load; ``refbook --help`` within 1.5x of ``python -c "import click"``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from make_corpus import SIZES, generate  # noqa: E402

PY = sys.executable


def run(argv: list[str]) -> tuple[float, float]:
    """(wall seconds, peak RSS MiB) of one child process, measured with /usr/bin/time."""
    wall, rss, _cpu = run_with_cpu(argv)
    return wall, rss


def run_with_cpu(argv: list[str]) -> tuple[float, float, float]:
    """(wall seconds, peak RSS MiB, CPU seconds user+system, children included) of one
    child process, measured with /usr/bin/time."""
    t0 = time.perf_counter()
    proc = subprocess.run(
        ["/usr/bin/time", "-f", "%M %U %S", *argv],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    wall = time.perf_counter() - t0
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{argv} failed: {proc.stderr[-400:]}")
    rss, user, system = proc.stderr.strip().splitlines()[-1].split()
    return wall, int(rss) / 1024, float(user) + float(system)


def compile_bytecode() -> None:
    """Write refbook's .pyc files, as a regular install does: an editable install under
    PYTHONDONTWRITEBYTECODE=1 (set on some machines) would otherwise compile every
    module from source on every run, about 30 ms that no user pays."""
    import compileall

    compileall.compile_dir(HERE.parent / "refbook", quiet=1)


def timed(argv: list[str], repeat: int = 1) -> tuple[float, float]:
    """Best wall time of ``repeat`` runs, and the peak RSS of that run."""
    return min((run(argv) for _ in range(repeat)), key=lambda r: r[0])


def bench_size(n: int) -> None:
    path = generate(n)
    bare = [PY, "-c", f"import bibtexparser; bibtexparser.parse_file({str(path)!r})"]
    load = [PY, "-c", f"import refbook; refbook.load({str(path)!r})"]
    listing = [PY, "-m", "refbook", "--bib", str(path), "list", "--json"]
    noop_save = [PY, "-c", f"import refbook; lib = refbook.load({str(path)!r}); lib.save()"]
    # edits the first entry and then restores it, saving twice: the file ends as it began
    edit_save = [
        PY,
        "-c",
        f"import refbook; lib = refbook.load({str(path)!r}); "
        "e = next(iter(lib)); e['note'] = 'benchmark'; lib.save(); "
        "del e['note']; lib.save()",
    ]
    figures = {}
    for label, argv in (
        ("bare bibtexparser.parse_file", bare),
        ("refbook.load", load),
        ("refbook list --json", listing),
        ("load + no-op save", noop_save),
        ("load + edit one entry + save (x2)", edit_save),
    ):
        # best of several runs where they are short: this kind of machine is noisy
        figures[label] = timed(argv, repeat=3 if n <= 10_000 else 2 if n <= 50_000 else 1)
    base = figures["bare bibtexparser.parse_file"][0]
    print(f"\n{n:,} entries ({path.stat().st_size / 2**20:.0f} MiB)")
    for label, (wall, rss) in figures.items():
        print(f"  {label:36s} {wall:7.2f} s  {rss:7.0f} MiB  {wall / base:5.2f}x bare parse")
    load_t = figures["refbook.load"][0]
    print(
        f"  target load <= 1.3x bare: {load_t / base:.2f}x "
        f"{'OK' if load_t <= 1.3 * base else 'MISSED'}"
    )
    save_only = figures["load + no-op save"][0]
    print(
        f"  target no-op save (load+save) <= 1.5x load: {save_only / load_t:.2f}x "
        f"{'OK' if save_only <= 1.5 * load_t else 'MISSED'}"
    )


def bench_startup() -> None:
    click_t, click_rss = timed([PY, "-c", "import click"], repeat=7)
    help_t, help_rss = timed([PY, "-m", "refbook", "--help"], repeat=7)
    version_t, _ = timed([PY, "-m", "refbook", "--version"], repeat=7)
    print("\nstart-up (best of 7)")
    print(f"  python -c 'import click'  {click_t * 1000:6.0f} ms  {click_rss:5.0f} MiB")
    print(
        f"  refbook --help            {help_t * 1000:6.0f} ms  {help_rss:5.0f} MiB  "
        f"{help_t / click_t:.2f}x  {'OK' if help_t <= 1.5 * click_t else 'MISSED'} (<= 1.5x)"
    )
    print(f"  refbook --version         {version_t * 1000:6.0f} ms")


if __name__ == "__main__":
    sizes = [int(a) for a in sys.argv[1:]] or list(SIZES)
    compile_bytecode()
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs")
    bench_startup()
    for size in sizes:
        bench_size(size)
