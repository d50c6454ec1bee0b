"""refbook rename"""

from __future__ import annotations

import click

from ._common import (
    bib_encoding,
    bib_path,
    bib_path_option,
    complete_keys,
    decode_input,
    input_encoding_option,
    json_option,
)


@click.command("rename")
@click.argument("old", shell_complete=complete_keys)
@click.argument("new")
@click.option("--in", "manuscripts", multiple=True, type=click.Path(exists=True, dir_okay=False),
              metavar="FILE", help="Also rename pandoc/LaTeX citations in FILE (repeatable).")
@input_encoding_option("the --in files")
@json_option
@bib_path_option
def command(old: str, new: str, manuscripts: tuple[str, ...], as_json: bool,
            encoding: str | None) -> int:
    """Rename a citation key; crossref/xdata/related references follow.

    Each --in file is read (and written back) in its own encoding; all of them are read
    and their new text prepared before anything is written."""
    import sys

    from ..edits import rename, rename_in_manuscript
    from ..manuscript import syntax_for
    from ..output import choose_mode
    from ..output.edits import render_edit
    from ..store import atomic_write, editing

    renamed_in: dict[str, int] = {}
    rewrites: list[tuple[str, bytes]] = []
    for path in manuscripts:  # every manuscript readable and writable, or nothing is done
        decoded = decode_input(path, encoding, "manuscript")
        syntax = "latex" if syntax_for(path) == "latex" else "pandoc"
        new_text, count = rename_in_manuscript(decoded.text, old, new, syntax)
        if count:
            try:
                rewrites.append((path, decoded.encoding.encode(new_text)))
            except UnicodeEncodeError:
                from ..errors import InputError

                raise InputError(f"{path}: error: the key {new!r} cannot be written in "
                                 f"{decoded.encoding.name}, the file's encoding; nothing "
                                 "renamed") from None
        renamed_in[path] = count
    bib_file = bib_path()
    with editing(bib_file, encoding=bib_encoding()) as bib:
        rename(bib, old, new)
        changes = bib.pending_changes()
    for path, data in rewrites:
        atomic_write(path, data)
    for path, count in renamed_in.items():
        sys.stderr.write(f"{path}: {count} citation(s) renamed\n")
    render_edit(bib_file, changes, choose_mode(as_json), extra={"manuscripts": renamed_in})
    return 0
