"""refbook list"""

from __future__ import annotations

from typing import Any

import click

from ._common import (
    bib_option,
    complete_keywords,
    complete_types,
    json_option,
    open_library,
    refuse_together,
)

SORTS = ("file", "key", "year", "author", "title", "type")


def sort_entries(entries: list, how: str, reverse: bool = False) -> list:
    if how in ("author", "title"):
        from ..latex import fold
    if how == "file":
        ordered = list(entries)
    elif how == "key":
        ordered = sorted(entries, key=lambda e: e.key.lower())
    elif how == "year":
        ordered = sorted(entries, key=lambda e: (e.year or 0, e.key.lower()))
    elif how == "author":
        ordered = sorted(entries, key=lambda e: (fold(e.author_label()), e.year or 0))
    elif how == "title":
        ordered = sorted(entries, key=lambda e: fold(e.title))
    else:
        ordered = sorted(entries, key=lambda e: (e.type, e.key.lower()))
    return ordered[::-1] if reverse else ordered


@click.command("list")
@click.option(
    "--sort",
    "sort",
    type=click.Choice(SORTS),
    default="file",
    show_default=True,
    help="Order of the entries.",
)
@click.option("--reverse", is_flag=True, help="Reverse the order.")
@click.option(
    "--type",
    "types",
    multiple=True,
    metavar="TYPE",
    help="Only entries of this type (repeatable).",
    shell_complete=complete_types,
)
@click.option(
    "--keyword",
    "keywords",
    multiple=True,
    shell_complete=complete_keywords,
    metavar="WORD",
    help="Only entries with this keyword (repeatable: all must match).",
)
@click.option("--keys", "keys_only", is_flag=True, help="One key per line (for xargs/pipes).")
@json_option
@bib_option
def command(
    sort: str,
    reverse: bool,
    types: tuple[str, ...],
    keywords: tuple[str, ...],
    keys_only: bool,
    as_json: bool,
) -> int:
    """List the entries of the bibliography.

    A table on a terminal; tab-separated KEY, AUTHORS, YEAR, TITLE, TYPE lines when piped.
    """
    from ..cache.library import CachedLibrary
    from ..output import choose_mode
    from ..output.records import render_keys, render_list

    refuse_together(
        click.get_current_context(),
        "keys_only",
        "as_json",
        "--keys prints keys alone; --json prints whole records",
    )
    lib = open_library(cached=True)
    if keys_only and not types and not keywords and sort in ("file", "key"):
        # keys alone, in file or key order: the keys, not the entries, are read
        keys = lib.keys()
        if sort == "key":
            keys = sorted(keys, key=str.lower)
        render_keys(keys[::-1] if reverse else keys)
        return 0 if keys else 1
    if as_json and isinstance(lib, CachedLibrary) and not types and not keywords and sort == "file":
        # every entry in file order: the cache keeps each as this writes it
        from ..output import emit_json_items, utf8_stdout

        binary = utf8_stdout()
        emit_json_items(lib.listing(reverse, raw=binary is not None), binary)
        return 0 if len(lib) else 1
    entries: list[Any] = list(lib)  # Entry or the cache's RecordEntry
    if types:
        wanted = {t.lower() for t in types}
        entries = [e for e in entries if e.type in wanted]
    for word in keywords:
        from ..latex import fold

        w = fold(word)
        entries = [e for e in entries if any(fold(k) == w for k in e.keywords)]
    entries = sort_entries(entries, sort, reverse)
    texts = lib.json_texts(entries) if isinstance(lib, CachedLibrary) else None
    render_list(entries, choose_mode(as_json), keys_only=keys_only, json_texts=texts)
    return 0 if entries else 1
