"""refbook annotate"""

from __future__ import annotations

import click

from ._common import bib_option, bib_path, complete_keys


@click.command("annotate")
@click.argument("key", shell_complete=complete_keys)
@click.argument("text", required=False)
@bib_option
def command(key: str, text: str | None) -> int:
    """Set an entry's annotation (opens $EDITOR when TEXT is not given)."""
    from ..edits import annotate, entry
    from ..store import editing

    with editing(bib_path()) as bib:
        if text is None:
            from ..editor import edit_text

            current = entry(bib, key).annotation
            text = edit_text(current + "\n", suffix=".txt").strip()
            if not text or text == current:
                return 0  # nothing saved on an empty or unchanged result
        annotate(bib, key, text)
    return 0
