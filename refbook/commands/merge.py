"""refbook merge"""

from __future__ import annotations

import click

from ._common import bib_option, complete_keys, json_option, reported_edit


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

    with reported_edit(as_json) as edit:
        edit.extra["conflicts"] = merge(edit.bib, keep, drop, prefer, keep_ids=not no_ids)
    return 0
