"""refbook rename"""

from __future__ import annotations

import click

from ._common import (
    bib_encoding,
    bib_path,
    bib_path_option,
    complete_keys,
    decode_input,
    force_option,
    input_encoding_option,
    json_option,
)


@click.command("rename")
@click.argument("old", shell_complete=complete_keys)
@click.argument("new")
@click.option(
    "--in",
    "manuscripts",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False),
    metavar="FILE",
    help="Also rename pandoc/LaTeX citations in FILE (repeatable).",
)
@input_encoding_option("the --in files")
@force_option
@json_option
@bib_path_option
def command(
    old: str,
    new: str,
    manuscripts: tuple[str, ...],
    force: bool,
    as_json: bool,
    encoding: str | None,
) -> int:
    """Rename a citation key; crossref/xdata/related references follow.

    With --in, every manuscript is read (in its own encoding) and checked before anything
    is written, and the .bib and the manuscripts are all renamed or none is."""

    from ..edits import rename, rename_in_manuscript
    from ..manuscript import markup_for
    from ..output import choose_mode
    from ..output.edits import render_edit
    from ..store import editing, refuse_readonly, stage_write

    renamed_in: dict[str, int] = {}
    rewrites: list[tuple[str, bytes]] = []
    for path in manuscripts:  # every manuscript readable, decodable and writable first
        decoded = decode_input(path, encoding, "manuscript")
        if not force:
            refuse_readonly(path)
        syntax = {"latex": "latex", "typst": "typst"}.get(markup_for(path), "pandoc")
        new_text, count = rename_in_manuscript(decoded.text, old, new, syntax)
        if count:
            try:
                rewrites.append((path, decoded.encoding.encode(new_text)))
            except UnicodeEncodeError:
                from ..errors import InputError

                raise InputError(
                    f"{path}: error: the key {new!r} cannot be written in "
                    f"{decoded.encoding.name}, the file's encoding; nothing "
                    "renamed"
                ) from None
        renamed_in[path] = count
    bib_file = bib_path()
    staged = []
    try:
        with editing(bib_file, force=force, encoding=bib_encoding()) as bib:
            rename(bib, old, new)
            changes = bib.pending_changes()
            for path, data in rewrites:
                staged.append(stage_write(path, data))
    except BaseException:
        for s in staged:
            s.discard()
        raise
    for s in staged:  # the .bib is saved: the manuscripts follow
        s.commit()
    render_edit(
        bib_file,
        changes,
        choose_mode(as_json),
        extra={"manuscripts": renamed_in},
        notes=[f"{path}: {count} citation(s) renamed" for path, count in renamed_in.items()],
    )
    return 0
