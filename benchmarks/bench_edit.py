"""`refbook annotate` and `refbook add` on a 50k-entry file, next to the bare load.

    python benchmarks/bench_edit.py [N]      # default 50,000 entries

Target (issue "adding and editing"): within 1.5x of the load (the write splices the one
changed entry into the original text; nothing is re-serialised).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_foundation import compile_bytecode, run, timed  # noqa: E402
from make_corpus import generate  # noqa: E402

PY = sys.executable


def main(n: int) -> None:
    compile_bytecode()
    src = generate(n)
    with tempfile.TemporaryDirectory() as tmp:
        bib = Path(tmp) / "b.bib"
        shutil.copyfile(src, bib)
        env_cache = str(Path(tmp) / "cache")
        os.environ["REFBOOK_CACHE_DIR"] = env_cache
        load_t, load_rss = timed([PY, "-c", f"import refbook; refbook.load({str(bib)!r})"])
        key = subprocess.run(
            [PY, "-m", "refbook", "--bib", str(bib), "list", "--keys"],
            capture_output=True,
            text=True,
        ).stdout.split()[0]
        ann_t, ann_rss = run(
            [PY, "-m", "refbook", "--bib", str(bib), "annotate", key, "Benchmark annotation."]
        )
        entry = Path(tmp) / "new.bib"
        entry.write_text("@misc{benchadd, title={A Brand New Work on Typesetting}, year={2024}}\n")
        add_t, add_rss = run([PY, "-m", "refbook", "--bib", str(bib), "add", str(entry)])
        print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs; {n:,} entries")
        print(f"  bare refbook.load   {load_t:6.2f} s  {load_rss:5.0f} MiB")
        for label, t, rss in (
            ("refbook annotate", ann_t, ann_rss),
            ("refbook add", add_t, add_rss),
        ):
            print(
                f"  {label:18s}  {t:6.2f} s  {rss:5.0f} MiB  {t / load_t:.2f}x load  "
                f"{'OK' if t <= 1.5 * load_t else 'MISSED'} (<= 1.5x)"
            )


if __name__ == "__main__":
    main(int(sys.argv[1]) if sys.argv[1:] else 50_000)
