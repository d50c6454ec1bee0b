"""refbook stats"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Any

import click

from ._common import bib_option, json_option, open_library

if TYPE_CHECKING:
    from ..cache.library import CachedLibrary
    from ..model import Library

# fields whose absence is worth counting in an annotated bibliography
WATCHED_FIELDS = ("author", "title", "year", "doi", "url", "annotation", "keywords")


# what counts as having each watched field
ALTERNATIVES = {"annotation": ("annotation", "annote"), "year": ("year", "date")}


def compute_stats(lib: Library | CachedLibrary) -> dict[str, Any]:
    from ..cache.library import CachedLibrary

    if isinstance(lib, CachedLibrary):  # the library cache counts in SQL
        watched = {name: ALTERNATIVES.get(name, (name,)) for name in WATCHED_FIELDS}
        counts = lib.counts(watched)
        by_year: Counter[str] = Counter()
        for y, n in counts["years"].items():
            by_year[str(y) if y else "n.d."] += n
        return {
            "file": lib.path,
            "entries": len(lib),
            "types": counts["types"],
            "years": dict(sorted(by_year.items())),
            "keywords": counts["keywords"],
            "missing": counts["missing"],
        }
    types: Counter[str] = Counter()
    years: Counter[str] = Counter()
    keywords: Counter[str] = Counter()
    missing: Counter[str] = Counter()
    for e in lib:
        types[e.type] += 1
        years[str(e.year) if e.year else "n.d."] += 1
        keywords.update(e.keywords)
        for name in WATCHED_FIELDS:
            present = any(e.has(n) for n in ALTERNATIVES.get(name, (name,)))
            if not present:
                missing[name] += 1
    return {
        "file": lib.path,
        "entries": len(lib),
        "types": dict(types.most_common()),
        "years": dict(sorted(years.items())),
        "keywords": dict(keywords.most_common()),
        "missing": {name: missing[name] for name in WATCHED_FIELDS},
    }


@click.command("stats")
@json_option
@bib_option
def command(as_json: bool) -> int:
    """Counts per entry type, year and keyword, and how many entries miss key fields."""
    from ..output import choose_mode
    from ..output.records import render_stats

    render_stats(compute_stats(open_library(cached=True)), choose_mode(as_json))
    return 0
