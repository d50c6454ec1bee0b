"""refbook tag"""

from __future__ import annotations

import click

from ._common import bib_option, bib_path, complete_keys


@click.command("tag", context_settings={"ignore_unknown_options": True})
@click.argument("key", shell_complete=complete_keys)
@click.argument("changes", nargs=-1, required=True)
@bib_option
def command(key: str, changes: tuple[str, ...]) -> int:
    """Add (+word) or remove (-word) keywords: refbook tag KEY +border -pakistan"""
    import sys

    from ..edits import tag
    from ..store import editing

    with editing(bib_path()) as bib:
        words = tag(bib, key, changes)
    sys.stdout.write(", ".join(words) + "\n")
    return 0
