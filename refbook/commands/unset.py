"""refbook unset"""

from __future__ import annotations

import click

from ._common import (
    bib_option,
    complete_fields,
    complete_keys,
    force_option,
    json_option,
    reported_edit,
)


@click.command("unset")
@click.argument("key", shell_complete=complete_keys)
@click.argument("fields", nargs=-1, required=True, shell_complete=complete_fields)
@force_option
@json_option
@bib_option
def command(key: str, fields: tuple[str, ...], force: bool, as_json: bool) -> int:
    """Remove fields from an entry; exit 1 if none of them was there."""
    from ..edits import unset_fields
    from ..output import warn

    with reported_edit(as_json, force=force) as edit:
        removed = unset_fields(edit.bib, key, fields)
        gone = {f.lower() for f in removed}
        absent = [f for f in dict.fromkeys(fields) if f.lower() not in gone]
        edit.extra["removed_fields"] = removed
        edit.extra["absent_fields"] = absent
        name = edit.bib.get(key).key
    if absent:
        warn(
            f"refbook: {name} has no field {', '.join(absent)}"
            + ("; nothing changed" if not removed else "")
        )
    return 0 if removed else 1
