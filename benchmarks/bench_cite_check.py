"""cite-check on a 10,000-line manuscript with 2,000 citations against a 10k-entry
bibliography, next to the bare load of that bibliography (target: under 2x).

    python benchmarks/bench_cite_check.py
"""

from __future__ import annotations

import os
import random
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_foundation import compile_bytecode, timed  # noqa: E402
from make_corpus import DATA, generate  # noqa: E402

PY = sys.executable


def manuscript(bib: Path, lines: int = 10_000, citations: int = 2_000) -> Path:
    sys.path.insert(0, str(HERE.parent))
    import refbook

    lib = refbook.load(bib)
    rng = random.Random(7)
    entries = [e for e in lib if e.authors and e.year]
    out = []
    every = lines // citations
    for i in range(lines):
        text = f"Line {i} of the essay discusses the argument in some detail (see Table {i % 9})."
        if i % every == 0:
            e = rng.choice(entries)
            names = [p.family for p in e.authors]
            who = names[0] + (
                " et al." if len(names) > 2 else f" & {names[1]}" if len(names) == 2 else ""
            )
            text += f" As argued before ({who}, {e.year}), and [@{e.key}]."
        out.append(text)
    path = DATA / "manuscript-10000.md"
    path.write_text("\n".join(out) + "\n", encoding="utf-8")
    return path


if __name__ == "__main__":
    bib = generate(10_000)
    essay = manuscript(bib)
    compile_bytecode()
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs (best of 3 runs each)")
    load_t, load_rss = timed([PY, "-c", f"import refbook; refbook.load({str(bib)!r})"], repeat=3)
    check_t, check_rss = timed(
        [PY, "-m", "refbook", "--bib", str(bib), "cite-check", str(essay), "--format", "json"],
        repeat=3,
    )
    print(f"  bare load (10k entries)        {load_t:6.2f} s  {load_rss:5.0f} MiB")
    print(
        f"  cite-check (10k lines, 2k+2k)  {check_t:6.2f} s  {check_rss:5.0f} MiB  "
        f"{check_t / load_t:.2f}x load  {'OK' if check_t <= 2 * load_t else 'MISSED'} (< 2x)"
    )
