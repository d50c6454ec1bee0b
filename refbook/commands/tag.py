"""refbook tag"""

from __future__ import annotations

import click

from ._common import bib_option, bib_path, complete_keys, json_option


@click.command("tag", context_settings={"ignore_unknown_options": True})
@click.argument("key", shell_complete=complete_keys)
@click.argument("changes", nargs=-1, required=True)
@json_option
@bib_option
def command(key: str, changes: tuple[str, ...], as_json: bool) -> int:
    """Add (+word) or remove (-word) keywords: refbook tag KEY +border -pakistan"""
    from ..edits import tag
    from ..output import choose_mode
    from ..output.edits import render_edit
    from ..store import editing

    path = bib_path()
    with editing(path) as bib:
        words = tag(bib, key, changes)
        done = bib.pending_changes()
    render_edit(path, done, choose_mode(as_json), lines=[", ".join(words)],
                extra={"keywords": words})
    return 0
