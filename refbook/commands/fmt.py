"""refbook fmt"""

from __future__ import annotations

import click

from ._common import bib_option, bib_path, get_config


@click.command("fmt")
@click.argument("files", nargs=-1, type=click.Path())
@click.option("-i", "--in-place", is_flag=True, help="Rewrite the file (atomic, locked).")
@click.option("--check", is_flag=True,
              help="Write nothing; list the entries that would change; exit 1 if any.")
@click.option("--diff", "show_diff", is_flag=True, help="Print the unified diff instead.")
@click.option("--sort", type=click.Choice(["none", "key", "year"]),
              help="Order of the entries (default: fmt.sort).")
@click.option("--align/--no-align", default=None, help="Align '=' in each entry (fmt.align).")
@bib_option
def command(files: tuple[str, ...], in_place: bool, check: bool, show_diff: bool,
            sort: str | None, align: bool | None) -> int:
    """Format the bibliography in one canonical layout, keeping every value exactly.

    FILES default to the bibliography in use (--bib). Prints the formatted file on stdout unless -i/--in-place, --check or --diff is given.
    Field names lower case, two-space indent, braces, fields in a fixed order (see
    docs/lint.md), one blank line between entries; @string, @preamble and comments kept.
    Configure in [fmt] of refbook.toml.
    """
    import dataclasses

    from ..fmt import Layout

    layout = Layout.from_config(get_config())
    if sort:
        layout = dataclasses.replace(layout, sort=sort)
    if align is not None:
        layout = dataclasses.replace(layout, align=align)
    return max(_one(path, layout, in_place, check, show_diff)
               for path in (list(files) or [bib_path()]))


def _one(path: str, layout, in_place: bool, check: bool, show_diff: bool) -> int:
    import difflib
    import sys

    from ..fmt import changed_entries, check_lossless, format_text
    from ..store import BibFile, editing

    if in_place:
        with editing(path) as bib:
            new = format_text(bib, layout)
            check_lossless(bib, new)
            if new != bib.text:
                bib.replace_all(new)
        return 0
    bib = BibFile.read(path)
    new = format_text(bib, layout)
    if check:  # nothing is written: no need to prove the output lossless
        changed = changed_entries(bib, layout)
        for line, key in changed:
            sys.stdout.write(f"{bib.name}:{line}: would reformat {key}\n")
        if new != bib.text and not changed:
            sys.stdout.write(f"{bib.name}: would reformat (spacing between entries)\n")
        return 1 if new != bib.text else 0
    check_lossless(bib, new)
    if show_diff:
        sys.stdout.writelines(difflib.unified_diff(
            bib.text.splitlines(keepends=True), new.splitlines(keepends=True),
            fromfile=f"a/{path}", tofile=f"b/{path}"))
        return 0
    sys.stdout.write(new)
    return 0
