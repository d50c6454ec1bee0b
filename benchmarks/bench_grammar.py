"""The BibTeX grammar sweep at scale: many generated documents through every command.

    python benchmarks/bench_grammar.py              # 500 documents, data formats only
    python benchmarks/bench_grammar.py 3000         # more
    python benchmarks/bench_grammar.py 200 --pandoc # also the citation styles (slower)
    python benchmarks/bench_grammar.py 500 --seed 7

The generator and the checks are those of tests/test_grammar.py (tests/bibgen.py; needs
the test extras: pip install -e '.[test]'), run in-process without shrinking.  Prints how
many documents and commands ran, what the documents held (entries, line endings, macro
redefinitions, duplicate keys), the failures grouped by kind with the smallest document
of each kind, and the time per document.  Exit code 1 when anything failed.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import re
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from hypothesis import HealthCheck, Phase, given, seed, settings  # noqa: E402

from tests.bibgen import Document, check_document, documents  # noqa: E402


def _runner():
    from refbook.cli import run

    def run_cli(argv: list[str]) -> tuple[int, str, str]:
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = run(argv)
        return code, out.getvalue(), err.getvalue()

    return run_cli


def _kind(failure: str) -> str:
    """A failure's kind: its first line with paths, keys and numbers taken out."""
    first = failure.splitlines()[0]
    first = re.sub(r"/\S+", "PATH", first)
    first = re.sub(r"'[^']*'|\[[^\]]*\]|\{.*\}", "…", first)
    return re.sub(r"\d+", "N", first)[:160]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", nargs="?", type=int, default=500, help="documents (default 500)")
    parser.add_argument("--pandoc", action="store_true", help="also run the citation styles")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    home = Path(tempfile.mkdtemp(prefix="refbook-grammar-"))
    os.environ["REFBOOK_CACHE_DIR"] = str(home / "cache")
    os.environ["REFBOOK_CONFIG_DIR"] = str(home / "config")
    for name in [
        n
        for n in os.environ
        if n.startswith("REFBOOK_") and n not in ("REFBOOK_CACHE_DIR", "REFBOOK_CONFIG_DIR")
    ]:
        del os.environ[name]
    bib = home / "gen.bib"
    run_cli = _runner()
    stats: Counter[str] = Counter()
    kinds: Counter[str] = Counter()
    smallest: dict[str, tuple[Document, list[str]]] = {}
    started = time.perf_counter()

    @seed(args.seed)
    @settings(
        max_examples=args.n,
        deadline=None,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(doc=documents())
    def sweep(doc: Document) -> None:
        bib.write_bytes(doc.text.encode("utf-8"))
        stats["documents"] += 1
        stats["entries"] += len(doc.entries)
        stats[f"line ending {doc.newline!r}"] += 1
        keys = [k.lower() for k, _ in doc.entries]
        stats["with a duplicate key"] += len(set(keys)) < len(keys)
        names = re.findall(r"@string\s*[{(]\s*([^\s=]+)", doc.text, re.I)
        stats["with a macro defined twice"] += len({n.lower() for n in names}) < len(names)
        # what only BibTeX/biber/pandoc read (docs/bibtex.md): bibtexparser reads doc.plain
        stats["with an odd head or % comments"] += doc.plain != doc.text.lstrip("\ufeff")
        failures = check_document(doc, str(bib), run_cli, pandoc=args.pandoc)
        stats["failed documents"] += bool(failures)
        for failure in failures:
            kind = _kind(failure)
            kinds[kind] += 1
            if kind not in smallest or len(doc.text) < len(smallest[kind][0].text):
                smallest[kind] = (doc, [failure])

    sweep()
    elapsed = time.perf_counter() - started
    print(
        f"grammar sweep: {stats['documents']} documents, {stats['entries']} entries, "
        f"{'with' if args.pandoc else 'without'} pandoc styles, seed {args.seed}"
    )
    for label in sorted(k for k in stats if k not in ("documents", "entries", "failed documents")):
        print(f"  {label:32s} {stats[label]:6d}")
    print(
        f"  {'time per document':32s} {elapsed / max(stats['documents'], 1) * 1000:6.0f} ms "
        f"({elapsed:.0f} s in all)"
    )
    print(f"failed documents: {stats['failed documents']}")
    for kind, count in kinds.most_common():
        doc, failure = smallest[kind]
        print(f"\n[{count}x] {kind}\n  smallest document: {doc.text!r}\n  {failure[0][:600]}")
    return 1 if stats["failed documents"] else 0


if __name__ == "__main__":
    sys.exit(main())
