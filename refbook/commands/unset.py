"""refbook unset"""

from __future__ import annotations

import click

from ._common import bib_option, bib_path, complete_keys, json_option


@click.command("unset")
@click.argument("key", shell_complete=complete_keys)
@click.argument("fields", nargs=-1, required=True)
@json_option
@bib_option
def command(key: str, fields: tuple[str, ...], as_json: bool) -> int:
    """Remove fields from an entry; exit 1 if none of them was there."""
    from ..edits import unset_fields
    from ..output import choose_mode
    from ..output.edits import render_edit
    from ..store import editing

    path = bib_path()
    with editing(path) as bib:
        removed = unset_fields(bib, key, fields)
        changes = bib.pending_changes()
    render_edit(path, changes, choose_mode(as_json), extra={"removed_fields": removed})
    return 0 if removed else 1
