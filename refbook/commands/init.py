"""refbook init"""

from __future__ import annotations

import click

from ._common import json_option, root_obj


@click.command("init")
@click.argument("path", required=False, metavar="[PATH]")
@click.option(
    "--config",
    "with_config",
    is_flag=True,
    help="Also write refbook.toml in the current directory, naming PATH.",
)
@json_option
def command(path: str | None, with_config: bool, as_json: bool) -> int:
    """Start a bibliography: a new PATH (default: references.bib, or --bib) with a short
    header and no entries; --config also writes refbook.toml. Never overwrites a file
    (exit 5 when one exists)."""
    from ..output import JSON, choose_mode, emit_json, emit_lines
    from ..project import init_project

    target = path or root_obj().get("bib") or "references.bib"
    if target == "-":
        raise click.UsageError("init writes a file; - (standard input) is not one")
    created = init_project(target, config="refbook.toml" if with_config else None)
    if choose_mode(as_json) == JSON:
        emit_json({"created": created.paths})
    else:
        emit_lines([f"created {p}" for p in created.paths])
    return 0
