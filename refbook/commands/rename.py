"""refbook rename"""

from __future__ import annotations

import click

from ._common import bib_option, bib_path, complete_keys, force_option, json_option


@click.command("rename")
@click.argument("old", shell_complete=complete_keys)
@click.argument("new")
@click.option("--in", "manuscripts", multiple=True, type=click.Path(exists=True, dir_okay=False),
              metavar="FILE", help="Also rename pandoc/LaTeX citations in FILE (repeatable).")
@force_option
@json_option
@bib_option
def command(old: str, new: str, manuscripts: tuple[str, ...], force: bool, as_json: bool) -> int:
    """Rename a citation key; crossref/xdata/related references follow.

    With --in, every manuscript is read and checked before anything is written, and the
    .bib and the manuscripts are all renamed or none is."""
    import sys

    from ..edits import rename, rename_in_manuscript
    from ..manuscript import syntax_for
    from ..output import choose_mode
    from ..output.edits import render_edit
    from ..store import editing, refuse_readonly, stage_write

    texts = []
    for path in manuscripts:  # all of them readable, decodable and writable first
        texts.append((path, _read(path)))
        if not force:
            refuse_readonly(path)
    bib_file = bib_path()
    staged = []
    renamed_in: dict[str, int] = {}
    try:
        with editing(bib_file, force=force) as bib:
            rename(bib, old, new)
            changes = bib.pending_changes()
            for path, text in texts:
                syntax = "latex" if syntax_for(path) == "latex" else "pandoc"
                new_text, count = rename_in_manuscript(text, old, new, syntax)
                if count:
                    staged.append(stage_write(path, new_text.encode("utf-8")))
                renamed_in[path] = count
    except BaseException:
        for s in staged:
            s.discard()
        raise
    for s in staged:  # the .bib is saved: the manuscripts follow
        s.commit()
    for path, count in renamed_in.items():
        sys.stderr.write(f"{path}: {count} citation(s) renamed\n")
    render_edit(bib_file, changes, choose_mode(as_json), extra={"manuscripts": renamed_in})
    return 0


def _read(path: str) -> str:
    from pathlib import Path

    from ..errors import InputError

    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: error: cannot read ({exc.strerror}); nothing renamed") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise InputError(f"{path}:{line}: error: not UTF-8 text (byte 0x{data[exc.start]:02X}); "
                         "nothing renamed") from None
