"""refbook merge"""

from __future__ import annotations

import click

from ._common import (
    bib_option,
    complete_keys,
    dry_run_option,
    force_option,
    json_option,
    reported_edit,
)


@click.command("merge")
@click.argument("keep", shell_complete=complete_keys)
@click.argument("drop", shell_complete=complete_keys)
@click.option(
    "--prefer",
    type=click.Choice(["keep", "drop"]),
    help="Which value wins when both entries have a field.",
)
@click.option("--no-ids", is_flag=True, help="Do not record DROP in KEEP's ids field.")
@dry_run_option
@force_option
@json_option
@bib_option
def command(
    keep: str,
    drop: str,
    prefer: str | None,
    no_ids: bool,
    dry_run: bool,
    force: bool,
    as_json: bool,
) -> int:
    """Merge DROP into KEEP: missing fields are filled, DROP is removed, and its key is
    kept in ids = {DROP} so old citations still resolve (biblatex)."""
    from ..edits import merge

    with reported_edit(as_json, force=force, dry_run=dry_run) as edit:
        edit.extra["conflicts"] = merge(edit.bib, keep, drop, prefer, keep_ids=not no_ids)
    return 0
