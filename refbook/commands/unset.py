"""refbook unset"""

from __future__ import annotations

import click

from ._common import bib_option, bib_path, complete_keys


@click.command("unset")
@click.argument("key", shell_complete=complete_keys)
@click.argument("fields", nargs=-1, required=True)
@bib_option
def command(key: str, fields: tuple[str, ...]) -> int:
    """Remove fields from an entry; exit 1 if none of them was there."""
    from ..edits import unset_fields
    from ..store import editing

    with editing(bib_path()) as bib:
        removed = unset_fields(bib, key, fields)
    return 0 if removed else 1
