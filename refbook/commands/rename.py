"""refbook rename"""

from __future__ import annotations

import click

from ._common import bib_option, bib_path, complete_keys


@click.command("rename")
@click.argument("old", shell_complete=complete_keys)
@click.argument("new")
@click.option("--in", "manuscripts", multiple=True, type=click.Path(exists=True, dir_okay=False),
              metavar="FILE", help="Also rename pandoc/LaTeX citations in FILE (repeatable).")
@bib_option
def command(old: str, new: str, manuscripts: tuple[str, ...]) -> int:
    """Rename a citation key; crossref/xdata/related references follow."""
    import sys

    from ..edits import rename, rename_in_manuscript
    from ..manuscript import syntax_for
    from ..store import atomic_write, editing

    with editing(bib_path()) as bib:
        rename(bib, old, new)
    for path in manuscripts:
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
        syntax = "latex" if syntax_for(path) == "latex" else "pandoc"
        new_text, count = rename_in_manuscript(text, old, new, syntax)
        if count:
            atomic_write(path, new_text.encode("utf-8"))
        sys.stderr.write(f"{path}: {count} citation(s) renamed\n")
    return 0
