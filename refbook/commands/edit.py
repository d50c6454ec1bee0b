"""refbook edit"""

from __future__ import annotations

import click

from ._common import bib_option, complete_keys, force_option, json_option, reported_edit


@click.command("edit")
@click.argument("key", shell_complete=complete_keys)
@force_option
@json_option
@bib_option
def command(key: str, force: bool, as_json: bool) -> int:
    """Open one entry in $EDITOR; save it if it changed and still parses (re-opens the
    editor on a parse error; an empty result saves nothing)."""
    import click as _click

    from ..editor import edit_text
    from ..errors import UsageError
    from ..output import visible

    status = 0
    with reported_edit(as_json, force=force) as edit:
        bib = edit.bib
        blk = bib.get(key)
        original = bib.block_text(blk)
        text = original
        while True:
            text = edit_text(text).strip("\n")
            if not text.strip() or text == original:
                break
            try:
                bib.replace_entry(blk, text)
                break
            except UsageError as exc:
                if not _click.confirm(visible(f"{str(exc).rstrip('.')}. Edit again?"),
                                      default=True, err=True):
                    status = 1
                    break
    return status
