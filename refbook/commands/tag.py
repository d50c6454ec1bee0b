"""refbook tag"""

from __future__ import annotations

import click

from ._common import (
    bib_option,
    complete_keys,
    complete_keywords,
    force_option,
    json_option,
    reported_edit,
)


@click.command("tag", context_settings={"ignore_unknown_options": True})
@click.argument("key", shell_complete=complete_keys)
@click.argument("changes", nargs=-1, required=True, shell_complete=complete_keywords)
@force_option
@json_option
@bib_option
def command(key: str, changes: tuple[str, ...], force: bool, as_json: bool) -> int:
    """Add (+word) or remove (-word) keywords: refbook tag KEY +border -pakistan"""
    from ..edits import tag

    with reported_edit(as_json, force=force) as edit:
        words = tag(edit.bib, key, changes)
        edit.lines.append(", ".join(words))
        edit.extra["keywords"] = words
    return 0
