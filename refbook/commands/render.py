"""refbook render"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from ._common import (
    bib_path,
    bib_path_option,
    get_config,
    input_encoding_option,
    json_option,
    open_library,
    style_option,
)

if TYPE_CHECKING:
    from ..manuscript import CheckResult


@click.command("render")
@click.argument("essay", type=click.Path(exists=True, dir_okay=False))
@style_option
@click.option(
    "-t",
    "--to",
    "to",
    type=click.Choice(["markdown", "html", "docx"]),
    default="markdown",
    show_default=True,
    help="Output format.",
)
@click.option(
    "-o",
    "--output",
    metavar="FILE",
    help="Write to FILE (required for docx; atomically, missing folders created).",
)
@click.option("--annotated", is_flag=True, help="Put each annotation under its reference.")
@click.option(
    "--heading", default="References", show_default=True, help="Heading of the reference list."
)
@click.option(
    "--allow-missing",
    is_flag=True,
    help="Render even when a citation has no entry (pandoc prints its key in "
    "bold with a question mark: **key?**).",
)
@input_encoding_option("the essay")
@json_option
@bib_path_option
def command(
    essay: str,
    style: str | None,
    to: str,
    output: str | None,
    annotated: bool,
    heading: str,
    allow_missing: bool,
    as_json: bool,
    encoding: str | None,
) -> int:
    """Render a pandoc-Markdown essay: citations formatted, reference list appended.

    Citations are pandoc's ([@key], [@key, p. 12], @key). A citation with no entry stops
    the render with the cite-check report (exit 1) unless --allow-missing.
    """
    import os

    from ..encoding import check_name
    from ..export import cited_works, render_document
    from ..manuscript import MATCHED, check_manuscripts

    if to == "docx" and not output:
        raise click.UsageError("--to docx needs -o FILE")
    if output:
        from ..store import check_output

        check_output(output, (bib_path(), essay))  # before pandoc runs, not after
    from ..output import JSON, choose_mode, emit_json, warn

    json_mode = choose_mode(as_json) == JSON
    if encoding:
        check_name(encoding)
    # from the library cache when it has every entry's CSL item
    lib: Any = open_library(cached=True, usable=lambda c: c.csl_complete(), needs=("csl",))
    result = check_manuscripts(lib, [essay], markup="markdown", encoding=encoding)
    for note in result.notes:
        warn(note)
    keyed = [c for c in result.citations if c.syntax == "pandoc"]
    cfg = get_config()
    report = {
        "essay": essay,
        "to": to,
        "style": style or cfg["export.style"],
        "output": output,
        "rendered": False,
        "cited": sorted({k for c in keyed for k in c.matched}),
        "problems": [c.to_dict() for c in keyed if c.status is not MATCHED],
    }
    if not allow_missing and report["problems"]:
        return _stop(report, result, json_mode, lib.path)
    from ..errors import InputError

    source = result.texts[str(essay)]
    # pandoc's citeproc reads only the works cited (or in nocite): those, unless @*
    works = cited_works(source, lib)
    entries, ids = works if works is not None else (list(lib), None)
    try:
        text = render_document(
            source,
            entries,
            ids=ids,
            style=style or cfg["export.style"],
            to=to,
            output=output,
            annotated=annotated,
            heading=heading,
            pandoc=cfg["export.pandoc"] or None,
            title=os.path.splitext(os.path.basename(essay))[0],
        )
    except InputError as exc:  # pandoc could not read the essay: say which file
        raise InputError(f"{essay}: {exc}") from None
    report["rendered"] = True
    if json_mode:
        emit_json(report if output else {**report, "text": text})
    elif not output:
        from ..output import emit_document

        emit_document(text)
    return 0


def _stop(report: dict[str, Any], result: CheckResult, json_mode: bool, bib: str) -> int:
    """The render refused: citations without an entry, reported (JSON on stdout, else the
    cite-check report on stderr: stdout is for the document); exit 1."""
    import sys

    from ..manuscript import MATCHED
    from ..output import emit_json, warn
    from ..output.manuscript import render as render_report

    if json_mode:
        emit_json(report)
        return 1
    result.citations = [
        c for c in result.citations if c.syntax == "pandoc" and c.status is not MATCHED
    ]
    render_report(result, "plain", bib, uncited=False, stream=sys.stderr)
    warn("refbook: render stopped: citations without an entry (--allow-missing renders anyway)")
    return 1
