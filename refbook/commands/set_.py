"""refbook set"""

from __future__ import annotations

import click

from ._common import bib_option, bib_path, complete_keys


@click.command("set")
@click.argument("key", shell_complete=complete_keys)
@click.argument("assignments", nargs=-1, required=True)
@bib_option
def command(key: str, assignments: tuple[str, ...]) -> int:
    """Set fields: refbook set KEY field=value … (the value is BibTeX: {Braces} protect)."""
    from ..edits import set_fields
    from ..store import editing

    with editing(bib_path()) as bib:
        set_fields(bib, key, assignments)
    return 0
