"""refbook rename"""

from __future__ import annotations

import click

from ._common import bib_option, bib_path, complete_keys, json_option


@click.command("rename")
@click.argument("old", shell_complete=complete_keys)
@click.argument("new")
@click.option("--in", "manuscripts", multiple=True, type=click.Path(exists=True, dir_okay=False),
              metavar="FILE", help="Also rename pandoc/LaTeX citations in FILE (repeatable).")
@json_option
@bib_option
def command(old: str, new: str, manuscripts: tuple[str, ...], as_json: bool) -> int:
    """Rename a citation key; crossref/xdata/related references follow."""

    from ..edits import rename, rename_in_manuscript
    from ..manuscript import syntax_for
    from ..output import choose_mode, warn
    from ..output.edits import render_edit
    from ..store import atomic_write, editing

    bib_file = bib_path()
    with editing(bib_file) as bib:
        rename(bib, old, new)
        changes = bib.pending_changes()
    renamed_in: dict[str, int] = {}
    for path in manuscripts:
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
        syntax = "latex" if syntax_for(path) == "latex" else "pandoc"
        new_text, count = rename_in_manuscript(text, old, new, syntax)
        if count:
            atomic_write(path, new_text.encode("utf-8"))
        warn(f"{path}: {count} citation(s) renamed")
        renamed_in[path] = count
    render_edit(bib_file, changes, choose_mode(as_json), extra={"manuscripts": renamed_in})
    return 0
