"""refbook edit"""

from __future__ import annotations

import click

from ._common import bib_option, bib_path, complete_keys


@click.command("edit")
@click.argument("key", shell_complete=complete_keys)
@bib_option
def command(key: str) -> int:
    """Open one entry in $EDITOR; save it if it changed and still parses (re-opens the
    editor on a parse error; an empty result saves nothing)."""
    import click as _click

    from ..editor import edit_text
    from ..errors import UsageError
    from ..store import editing

    with editing(bib_path()) as bib:
        blk = bib.get(key)
        original = bib.block_text(blk)
        text = original
        while True:
            text = edit_text(text).strip("\n")
            if not text.strip() or text == original:
                return 0
            try:
                bib.replace_entry(blk, text)
                return 0
            except UsageError as exc:
                if not _click.confirm(f"{str(exc).rstrip('.')}. Edit again?", default=True,
                                      err=True):
                    return 1
