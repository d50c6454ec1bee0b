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
    """Open one entry in $EDITOR; save it if it changed and still parses (on a parse error,
    asks on a terminal to edit again; without a terminal, or when you decline, your text
    is kept in a recovery file whose path is printed; an empty result saves nothing)."""
    import click as _click

    from ..editor import edit_text, interactive, keep_for_recovery
    from ..errors import InputError, UsageError
    from ..output import visible, warn

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
                problem = visible(str(exc).rstrip("."))
                if not interactive():
                    kept = keep_for_recovery(text, blk.key)
                    raise InputError(
                        f"{problem}; not saved (no terminal to edit again); your text is in {kept}"
                    ) from None
                if not _click.confirm(f"{problem}. Edit again?", default=True, err=True):
                    warn(f"refbook: not saved; your text is in {keep_for_recovery(text, blk.key)}")
                    status = 1
                    break
    return status
