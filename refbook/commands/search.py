"""refbook search"""

from __future__ import annotations

import click

from ._common import (
    bib_encoding,
    bib_option,
    bib_path,
    cached_library,
    json_option,
    refuse_together,
)

HELP = """Search the bibliography; results ranked best first.

\b
  refbook search taliban border        words are ANDed, any field
  refbook search '"security paradox"'  exact phrase
  refbook search author:siddique       field terms: author/a title/t year/y
                                       keyword/k journal/j type key doi
                                       annotation/note abstract
  refbook search 'year:2019-2023'      also year:2023, year:>=2020, year:<2020
  refbook search 'ttp -india'          -word or NOT word excludes
  refbook search 'cpec OR trade'       OR, and (parentheses) to group
  refbook search 'title~"^The"'        field~regex (regular expression)
  refbook search 'talib*'              prefix

Matching ignores accents, LaTeX, case and punctuation (Schröder = Schr{\\"o}der =
Schroder; cross-border = cross border). A query with an upper-case letter is
case-sensitive. A word that matches nothing is replaced by the nearest indexed
word, and stderr says so. No result: exit code 1. Malformed query: exit code 2.

The search index is part of the library cache (see `refbook cache`), updated
automatically whenever the file changes.
"""


@click.command("search", help=HELP)
@click.argument("query", nargs=-1, required=True)
@click.option(
    "--sort",
    type=click.Choice(["relevance", "year", "author", "key"]),
    default="relevance",
    show_default=True,
    help="Order of the results.",
)
@click.option("--limit", type=click.IntRange(min=1), metavar="N", help="Show at most N results.")
@click.option("--count", "count_only", is_flag=True, help="Print only the number of results.")
@click.option("--keys", "keys_only", is_flag=True, help="One key per line (for pipes).")
@click.option(
    "--no-index",
    is_flag=True,
    help="Do not use (or build) the library cache (as refbook --no-cache).",
)
@click.option("--no-fuzzy", is_flag=True, help="Do not replace words that match nothing.")
@json_option
@bib_option
def command(
    query: tuple[str, ...],
    sort: str,
    limit: int | None,
    count_only: bool,
    keys_only: bool,
    no_index: bool,
    no_fuzzy: bool,
    as_json: bool,
) -> int:
    from ..errors import NotFoundError
    from ..index import memory_index
    from ..output import choose_mode, warn
    from ..output.search import render_corrections, render_results

    ctx = click.get_current_context()
    refuse_together(ctx, "keys_only", "as_json", "--keys prints keys alone")
    refuse_together(
        ctx,
        "count_only",
        ("keys_only", "limit", "sort"),
        "--count prints the number of all results",
    )
    text = " ".join(query)
    cached = None if no_index else cached_library(needs=("search",))
    if cached is not None:
        index, problems = cached.search_index(), cached.problems
    else:
        from ..model import load

        lib = load(bib_path(), bib_encoding())
        index, problems = memory_index(lib), lib.problems
    for problem in problems:
        warn(str(problem))
    result = index.search(
        text, sort=None if sort == "relevance" else sort, limit=limit, fuzzy=not no_fuzzy
    )
    render_corrections(result)
    if result.total == 0:
        if count_only:
            render_results(result, choose_mode(as_json), count_only=True)
            return 1
        raise NotFoundError(f"no results for {text!r}")
    render_results(result, choose_mode(as_json), keys_only=keys_only, count_only=count_only)
    return 0
