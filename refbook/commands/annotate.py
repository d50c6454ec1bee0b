"""refbook annotate"""

from __future__ import annotations

import click

from ._common import bib_option, bib_path, complete_keys, json_option


@click.command("annotate")
@click.argument("key", shell_complete=complete_keys)
@click.argument("text", required=False)
@json_option
@bib_option
def command(key: str, text: str | None, as_json: bool) -> int:
    """Set an entry's annotation (opens $EDITOR when TEXT is not given)."""
    from ..edits import annotate, entry
    from ..output import choose_mode
    from ..output.edits import render_edit
    from ..store import editing

    path = bib_path()
    with editing(path) as bib:
        if text is None:
            from ..editor import edit_text

            current = entry(bib, key).annotation
            text = edit_text(current + "\n", suffix=".txt").strip()
        if text and text != entry(bib, key).annotation:  # nothing saved when empty/unchanged
            annotate(bib, key, text)
        changes = bib.pending_changes()
    render_edit(path, changes, choose_mode(as_json))
    return 0
