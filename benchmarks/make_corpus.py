"""Generate large .bib files for benchmarks by multiplying ../shared/corpus/tugboat.bib.

    python benchmarks/make_corpus.py            # 10k, 50k and 100k entries
    python benchmarks/make_corpus.py 25000      # one size

Each copy of an entry gets a fresh key (``<key>-c<N>``); @string macros are kept once at
the top, so the files parse like the original.  Output: benchmarks/data/gen-<N>.bib
(ignored by git); an existing file of the right size is reused.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterable
from pathlib import Path

HERE = Path(__file__).resolve().parent
SOURCE = HERE.parent.parent / "shared" / "corpus" / "tugboat.bib"
DATA = HERE / "data"
SIZES = (10_000, 50_000, 100_000)
_ENTRY = re.compile(r"^@(?!string|preamble|comment)\w+\s*\{", re.I | re.M)


def split_source(text: str) -> tuple[str, list[str]]:
    """(header with @string macros and comments, entry texts)."""
    starts = [m.start() for m in _ENTRY.finditer(text)]
    header = text[: starts[0]]
    entries = [text[a:b].rstrip() + "\n" for a, b in zip(starts, starts[1:] + [len(text)])]
    return header, entries


KEY = re.compile(r"^(@\w+\s*\{\s*)([^,\s]+)", re.M)


def build(
    name: str, entries_of: Callable[[list[str]], Iterable[str]], source: Path = SOURCE
) -> Path:
    """benchmarks/data/NAME: the source's header, then the entries ``entries_of`` makes of
    the source's entries; built once (an existing file is reused)."""
    DATA.mkdir(exist_ok=True)
    out = DATA / name
    if out.exists() and out.stat().st_size > 0:
        return out
    header, entries = split_source(source.read_text(encoding="utf-8"))
    tmp = out.with_suffix(".tmp")
    tmp.write_text(header + "".join(text + "\n" for text in entries_of(entries)), encoding="utf-8")
    tmp.replace(out)
    return out


def generate(n: int, source: Path = SOURCE) -> Path:
    def copies(entries: list[str]) -> Iterable[str]:
        for i in range(n):
            copy, base = divmod(i, len(entries))
            text = entries[base]
            if copy:
                text = KEY.sub(lambda m, c=copy: f"{m.group(1)}{m.group(2)}-c{c}", text, count=1)
            yield text

    return build(f"gen-{n}.bib", copies, source)


def bench_files(argv: list[str], sizes: Iterable[int]) -> list[Path]:
    """The files a benchmark runs on: the sizes given on its command line, else
    tugboat.bib itself (when present) and ``sizes``."""
    given = [int(a) for a in argv]
    return ([SOURCE] if not given and SOURCE.exists() else []) + [
        generate(n) for n in given or sizes
    ]


if __name__ == "__main__":
    sizes = [int(a) for a in sys.argv[1:]] or list(SIZES)
    for size in sizes:
        print(generate(size))
