"""refbook merge"""

from __future__ import annotations

import click

from ._common import bib_option, bib_path, complete_keys


@click.command("merge")
@click.argument("keep", shell_complete=complete_keys)
@click.argument("drop", shell_complete=complete_keys)
@click.option("--prefer", type=click.Choice(["keep", "drop"]),
              help="Which value wins when both entries have a field.")
@click.option("--no-ids", is_flag=True, help="Do not record DROP in KEEP's ids field.")
@bib_option
def command(keep: str, drop: str, prefer: str | None, no_ids: bool) -> int:
    """Merge DROP into KEEP: missing fields are filled, DROP is removed, and its key is
    kept in ids = {DROP} so old citations still resolve (biblatex)."""
    from ..edits import merge
    from ..store import editing

    with editing(bib_path()) as bib:
        merge(bib, keep, drop, prefer, keep_ids=not no_ids)
    return 0
