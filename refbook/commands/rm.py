"""refbook rm"""

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


@click.command("rm")
@click.argument("keys", nargs=-1, required=True, shell_complete=complete_keys)
@click.option("-y", "--yes", is_flag=True, help="Do not ask (needed when not on a terminal).")
@dry_run_option
@force_option
@json_option
@bib_option
def command(keys: tuple[str, ...], yes: bool, dry_run: bool, force: bool, as_json: bool) -> int:
    """Remove entries (asks for confirmation on a terminal)."""
    import sys

    from ..errors import UsageError
    from ..output import visible

    with reported_edit(as_json, force=force, dry_run=dry_run) as edit:
        bib = edit.bib
        blocks = [bib.get(k) for k in keys]
        if not yes:
            if not sys.stdin.isatty():
                raise UsageError(
                    "error: refusing to remove entries without --yes when not on a terminal"
                )
            if not click.confirm(visible(f"Remove {', '.join(b.key for b in blocks)}?")):
                edit.cancel()
                return 1
        for b in blocks:
            bib.remove_entry(b)
    return 0
