"""Export benchmarks: refbook's APA reference list next to one plain pandoc --citeproc run.

    python benchmarks/bench_export.py          # 100, 1,000 and 3,600 entries (tugboat.bib)

For each size: refbook export (wall, peak RSS) and, in the same run, pandoc --citeproc
on refbook's own CSL-JSON for the same entries (so both format identical data); the output
of both is compared.  Also: export of the shipped references.bib in each style (target
under 1 s).  Target (issue "export"): identical output in at most half pandoc's time at
1,000 entries and above.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from bench_foundation import compile_bytecode, run  # noqa: E402
from make_corpus import SOURCE, split_source  # noqa: E402

PY = sys.executable


def main() -> None:
    compile_bytecode()
    import refbook
    from refbook.export import STYLES, pandoc_executable, style_path

    pandoc = pandoc_executable()
    print(
        f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, "
        f"{subprocess.run([pandoc, '--version'], capture_output=True, text=True).stdout.split()[1]}"
    )
    header, entries = split_source(SOURCE.read_text(encoding="utf-8"))
    with tempfile.TemporaryDirectory() as tmp:
        for n in (100, 1000, len(entries)):
            bib = Path(tmp) / f"t{n}.bib"
            bib.write_text(header + "\n".join(entries[:n]), encoding="utf-8")
            csl = Path(tmp) / f"t{n}.json"
            out = subprocess.run(
                [PY, "-m", "refbook", "--bib", str(bib), "export", "--format", "csl-json"],
                capture_output=True,
                text=True,
                check=True,
            )
            csl.write_text(out.stdout, encoding="utf-8")
            ours_t, ours_rss = run(
                [
                    PY,
                    "-m",
                    "refbook",
                    "--bib",
                    str(bib),
                    "export",
                    "-o",
                    str(Path(tmp) / "ours.txt"),
                ]
            )
            t0 = time.perf_counter()
            plain = subprocess.run(
                [
                    pandoc,
                    "--citeproc",
                    "-f",
                    "markdown",
                    "-t",
                    "plain",
                    "--wrap=none",
                    f"--csl={style_path('apa')}",
                    f"--bibliography={csl}",
                ],
                input="---\nnocite: |\n  @*\n---\n",
                capture_output=True,
                text=True,
                check=True,
            )
            pandoc_t = time.perf_counter() - t0
            ours = (Path(tmp) / "ours.txt").read_text()
            same = [p.strip() for p in ours.split("\n\n")] == [
                p.strip() for p in plain.stdout.strip().split("\n\n")
            ]
            print(f"\n{n} entries")
            print(f"  refbook export (APA, text)   {ours_t:7.2f} s  {ours_rss:6.0f} MiB")
            print(
                f"  plain pandoc --citeproc      {pandoc_t:7.2f} s  ({ours_t / pandoc_t:.2f}x)  "
                f"identical output: {same}"
            )
    shipped = HERE.parent / "references.bib"
    print("\nshipped references.bib (target < 1 s each)")
    for style in STYLES:
        t, _ = run([PY, "-m", "refbook", "--bib", str(shipped), "export", "--style", style])
        print(f"  {style:10s} {t:5.2f} s  {'OK' if t < 1 else 'MISSED'}")
    del refbook


if __name__ == "__main__":
    main()
