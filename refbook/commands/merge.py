"""refbook merge"""

from __future__ import annotations

import click

from ._common import bib_option, bib_path, complete_keys, json_option


@click.command("merge")
@click.argument("keep", shell_complete=complete_keys)
@click.argument("drop", shell_complete=complete_keys)
@click.option("--prefer", type=click.Choice(["keep", "drop"]),
              help="Which value wins when both entries have a field.")
@click.option("--no-ids", is_flag=True, help="Do not record DROP in KEEP's ids field.")
@json_option
@bib_option
def command(keep: str, drop: str, prefer: str | None, no_ids: bool, as_json: bool) -> int:
    """Merge DROP into KEEP: missing fields are filled, DROP is removed, and its key is
    kept in ids = {DROP} so old citations still resolve (biblatex)."""
    from ..edits import merge
    from ..output import choose_mode
    from ..output.edits import render_edit
    from ..store import editing

    path = bib_path()
    with editing(path) as bib:
        conflicts = merge(bib, keep, drop, prefer, keep_ids=not no_ids)
        changes = bib.pending_changes()
    render_edit(path, changes, choose_mode(as_json), extra={"conflicts": conflicts})
    return 0
