"""refbook annotate"""

from __future__ import annotations

import click

from ._common import bib_option, complete_keys, force_option, json_option, reported_edit


@click.command("annotate")
@click.argument("key", shell_complete=complete_keys)
@click.argument("text", required=False)
@force_option
@json_option
@bib_option
def command(key: str, text: str | None, force: bool, as_json: bool) -> int:
    """Set an entry's annotation (opens $EDITOR when TEXT is not given)."""
    from ..edits import annotate, entry

    with reported_edit(as_json, force=force) as edit:
        current = entry(edit.bib, key).annotation
        if text is None:
            from ..editor import edit_text

            text = edit_text(current + "\n", suffix=".txt").strip()
        if text and text != current:  # nothing saved on an empty or unchanged result
            annotate(edit.bib, key, text)
    return 0
