"""refbook show"""

from __future__ import annotations

import click

from ._common import bib_option, complete_keys, json_option, open_library, refuse_together


@click.command("show")
@click.argument("keys", nargs=-1, required=True, shell_complete=complete_keys)
@click.option(
    "--bibtex",
    "as_bibtex",
    is_flag=True,
    help="Print each entry's source text exactly as it is in the file.",
)
@json_option
@bib_option
def command(keys: tuple[str, ...], as_bibtex: bool, as_json: bool) -> int:
    """Show entries in full, with their annotation.

    KEYS are compared case-insensitively; an unknown key is an error with a suggestion.
    """
    from ..output import choose_mode
    from ..output.records import render_show, render_sources

    refuse_together(
        click.get_current_context(),
        "as_bibtex",
        "as_json",
        "--bibtex prints the source text; --json the decoded record, "
        'with the source in its "source" member',
    )
    lib = open_library(cached=True)
    entries = [lib[k] for k in keys]
    if as_bibtex:
        render_sources(entries)
    else:
        from ..cache.library import CachedLibrary

        texts = lib.json_texts(entries) if isinstance(lib, CachedLibrary) else None
        render_show(entries, choose_mode(as_json), json_texts=texts)
    return 0
