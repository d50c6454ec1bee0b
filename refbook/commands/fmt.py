"""refbook fmt"""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from ._common import (
    bib_encoding,
    bib_option,
    bib_path,
    force_option,
    get_config,
    json_option,
    refuse_together,
)

if TYPE_CHECKING:
    from ..fmt import Layout


@click.command("fmt")
@click.argument("files", nargs=-1, type=click.Path())
@click.option("-i", "--in-place", is_flag=True, help="Rewrite the file (atomic, locked).")
@click.option(
    "--check",
    is_flag=True,
    help="Write nothing; list the entries that would change; exit 1 if any.",
)
@click.option("--diff", "show_diff", is_flag=True, help="Print the unified diff instead.")
@click.option(
    "--sort",
    type=click.Choice(["none", "key", "year"]),
    help="Order of the entries (default: fmt.sort).",
)
@click.option("--align/--no-align", default=None, help="Align '=' in each entry (fmt.align).")
@force_option
@json_option
@bib_option
def command(
    files: tuple[str, ...],
    in_place: bool,
    check: bool,
    show_diff: bool,
    sort: str | None,
    align: bool | None,
    force: bool,
    as_json: bool,
) -> int:
    """Format the bibliography in one canonical layout, keeping every value exactly.

    FILES default to the bibliography in use (--bib). Prints the formatted file on stdout unless -i/--in-place, --check or --diff is given.
    Field names lower case, two-space indent, braces, fields in a fixed order (see
    docs/lint.md), one blank line between entries; @string, @preamble and comments kept.
    Configure in [fmt] of refbook.toml.
    """
    import dataclasses

    from ..fmt import Layout

    refuse_together(
        click.get_current_context(),
        "in_place",
        ("check", "show_diff"),
        "-i rewrites the file; --check and --diff write nothing",
    )

    layout = Layout.from_config(get_config())
    if sort:
        layout = dataclasses.replace(layout, sort=sort)
    if align is not None:
        layout = dataclasses.replace(layout, align=align)
    from ..output import JSON, choose_mode, emit_json

    mode = choose_mode(as_json)
    encoding = bib_encoding()
    results = [
        _one(path, layout, in_place, check, show_diff, mode, force, encoding)
        for path in (list(files) or [bib_path()])
    ]
    if mode == JSON:
        emit_json([report for _, report in results])
    return max(status for status, _ in results)


def _one(
    path: str,
    layout: Layout,
    in_place: bool,
    check: bool,
    show_diff: bool,
    mode: str,
    force: bool = False,
    encoding: str | None = None,
) -> tuple[int, dict]:
    from ..fmt import changed_entries, check_lossless, format_text
    from ..output.edits import render_fmt
    from ..store import BibFile, editing

    report: dict = {"path": path}
    if in_place:
        with editing(path, force=force, encoding=encoding) as bib:
            new = format_text(bib, layout)
            check_lossless(bib, new)
            differs = new != bib.text
            changed = changed_entries(bib, layout) if differs else []
            if differs:
                bib.replace_all(new)
        report.update(saved=differs, entries=_entries(changed))
        render_fmt(report, mode)
        return 0, report
    bib = BibFile.read(path, encoding)
    new = format_text(bib, layout)
    if check:  # nothing is written: no need to prove the output lossless
        changed = changed_entries(bib, layout)
        report.update(would_change=new != bib.text, entries=_entries(changed), name=bib.name)
        render_fmt(report, mode)
        return (1 if new != bib.text else 0), report
    check_lossless(bib, new)
    if show_diff:
        from ..diffs import unified_diff

        report["diff"] = unified_diff(bib.text, new, path)
    else:
        report["text"] = new
    render_fmt(report, mode)
    return 0, report


def _entries(changed: list[tuple[int, str]]) -> list[dict]:
    return [{"key": key, "line": line} for line, key in changed]
