"""refbook set"""

from __future__ import annotations

import click

from ._common import bib_option, bib_path, complete_keys, json_option


@click.command("set")
@click.argument("key", shell_complete=complete_keys)
@click.argument("assignments", nargs=-1, required=True)
@json_option
@bib_option
def command(key: str, assignments: tuple[str, ...], as_json: bool) -> int:
    """Set fields: refbook set KEY field=value … (the value is BibTeX: {Braces} protect)."""
    from ..edits import set_fields
    from ..output import choose_mode
    from ..output.edits import render_edit
    from ..store import editing

    path = bib_path()
    with editing(path) as bib:
        set_fields(bib, key, assignments)
        changes = bib.pending_changes()
    render_edit(path, changes, choose_mode(as_json))
    return 0
