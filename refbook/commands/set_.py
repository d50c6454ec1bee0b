"""refbook set"""

from __future__ import annotations

import click

from ._common import (
    bib_option,
    complete_assignments,
    complete_keys,
    force_option,
    json_option,
    reported_edit,
)


@click.command("set")
@click.argument("key", shell_complete=complete_keys)
@click.argument("assignments", nargs=-1, required=True, shell_complete=complete_assignments)
@click.option(
    "--bibtex",
    "as_bibtex",
    is_flag=True,
    help="The values are BibTeX ({TTP} protects case, \\emph{…}, $…$), not text.",
)
@force_option
@json_option
@bib_option
def command(
    key: str, assignments: tuple[str, ...], as_bibtex: bool, force: bool, as_json: bool
) -> int:
    """Set fields: refbook set KEY field=value …

    The value is text and reads back as typed (50% and R&D are written \\% and \\&);
    with --bibtex it is written as BibTeX, braces and LaTeX commands included. Braces
    must pair up either way (exit 2 otherwise, nothing written)."""
    from ..edits import set_fields

    with reported_edit(as_json, force=force) as edit:
        set_fields(edit.bib, key, assignments, as_bibtex=as_bibtex)
    return 0
