"""refbook set"""

from __future__ import annotations

import click

from ._common import bib_option, complete_keys, json_option, reported_edit


@click.command("set")
@click.argument("key", shell_complete=complete_keys)
@click.argument("assignments", nargs=-1, required=True)
@json_option
@bib_option
def command(key: str, assignments: tuple[str, ...], as_json: bool) -> int:
    """Set fields: refbook set KEY field=value … (the value is BibTeX: {Braces} protect)."""
    from ..edits import set_fields

    with reported_edit(as_json) as edit:
        set_fields(edit.bib, key, assignments)
    return 0
