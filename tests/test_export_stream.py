"""``export --format F`` from the library cache writes the document in pieces
(``formats.write_parts``), each entry's stored record and CSL item read in one pass and
let go once written: the same bytes as ``--no-cache`` for every format, and never every
entry's record held at once.  (tests/test_cache.py's matrix runs every format over the
fixtures; this adds what it does not have: xdata, ids taken by a later key, characters
the cached JSON text escapes, a lone brace, selections out of file order.)"""

from __future__ import annotations

from pathlib import Path

import pytest

from refbook import formats
from refbook.cache import open_cached
from refbook.cache.db import db_path
from refbook.cache.parts import Selection

# inheritance (crossref, xdata, a missing parent), a key written twice and one taken by
# a later entry's made-up id (dup-2), @string and #, non-ASCII, a C1 control and a bidi
# override (the cache's JSON escapes them, json.dumps does not), an entry with no title,
# year or author, a quoted value with a lone brace (written as given by biblatex)
HARD = """@string{pub = "Pub House"}
@string{jn = "Journal of Tests"}

@xdata{shared, publisher = pub # " Ltd", address = {Lahore}}

@mvbook{parent, title = {The Whole Work}, author = {Doe, Jane}, year = 2001, xdata = {shared}}

@book{child, crossref = {parent}, title = {A Volume}, volume = 2}

@inbook{orphan, crossref = {missing}, title = {Lost}, year = 1999}

@article{dup, author = {Şahin, Ümit and {World Health Organization}}, title = {Ağ ve Çay},
  journal = jn, year = {2020}, month = mar, pages = {1--10}, doi = {10.1234/ABC}}

@article{DUP, title = {Second of the key}, journal = jn, year = 2021, keywords = {a, b}}

@misc{dup-2, title = {Taken id}, howpublished = {Web}, urldate = {2024-01-02},
  url = {https://example.org/x}}

@misc{bare}

@techreport{ctl, title = {Control \u0085 and \u202e override}, institution = {Inst},
  year = 2019, annote = {Noted}, note = {tab\there}}

@online{brace, title = "A lone { brace", url = {https://x.org/a}, year = 2023}

@phdthesis{thesis, author = {Lee, Kim}, title = {Über alles}, school = {Uni}, date = {2018-05-01}}
"""


def _path(tmp_path: Path) -> Path:
    path = tmp_path / "hard.bib"
    path.write_text(HARD, encoding="utf-8")
    return path


SELECTIONS = ([], ["thesis", "dup", "parent", "ctl"], ["brace", "child"])


@pytest.mark.parametrize("fmt", formats.names(writes=True))
def test_a_warm_export_is_the_uncached_one(cli, tmp_path, fmt):
    path = _path(tmp_path)

    def run_all(*flags: str) -> list[tuple[int, str, str]]:
        runs = (
            cli(*flags, "--bib", str(path), "export", "--format", fmt, *keys) for keys in SELECTIONS
        )
        return [(r.exit_code, r.stdout, r.stderr) for r in runs]

    uncached = run_all("--no-cache")
    assert not db_path(path).exists()
    assert all(code == 0 and out for code, out, _ in uncached)
    cold = run_all()
    assert db_path(path).exists()
    warm = run_all()
    assert cold == uncached
    assert warm == uncached
    if formats.get(fmt).csl_ids:  # the ids made unique are said, and the same
        assert "DUP-3" in uncached[0][1]


@pytest.mark.parametrize("fmt", formats.names(writes=True))
def test_a_cached_export_is_written_an_entry_at_a_time(cli, tmp_path, fmt):
    """Each entry's piece comes while the next entries are still unread, and no more than
    the entry being written holds its stored parts."""
    text = "".join(
        f"@article{{k{i}, author = {{Doe, J{i}}}, title = {{T {i}}}, journal = {{J}},"
        f" year = {2000 + i % 20}, doi = {{10.1/{i}}}}}\n\n"
        for i in range(60)
    )
    path = tmp_path / "many.bib"
    path.write_text(text, encoding="utf-8")
    assert cli("--bib", str(path), "export", "--format", "csl-json").exit_code == 0
    lib, _ = open_cached(path, needs=("csl", "lint"))
    assert lib is not None and hasattr(lib, "csl_texts")
    entries = Selection(lib, list(lib))
    pieces = formats.write_parts(entries, fmt)
    holding = []
    count = 0
    for _ in pieces:
        count += 1
        holding.append(sum(1 for e in list.__iter__(entries) if e._cached))
    assert count >= len(entries)  # a piece per entry at least, never the whole at once
    assert max(holding) <= 1
    whole = formats.write(load_uncached(path), fmt)
    assert "".join(formats.write_parts(Selection(lib, list(lib)), fmt)) == whole


def load_uncached(path: Path) -> list:
    from refbook.model import load

    return list(load(str(path)))
