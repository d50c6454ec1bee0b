"""refbook cite-check"""

from __future__ import annotations

from typing import Any

import click

from ..errors import EXIT_FINDINGS, EXIT_OK
from ..output.findings import NAMES as FINDINGS_FORMATS
from ._common import (
    bib_path_option,
    complete_keys,
    get_config,
    input_encoding_option,
    open_library,
    refuse_together,
    requires,
)


@click.command("cite-check")
@click.argument(
    "manuscripts", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False)
)
@click.option(
    "--markup",
    "--syntax",  # its first name, kept: "syntax" now means a citation's own syntax only
    "markup",
    type=click.Choice(["markdown", "latex", "typst"]),
    help="The manuscripts' markup (default: by extension; .tex is LaTeX, .typ Typst, "
    "others Markdown/plain text with pandoc and author-year citations).",
)
@click.option("--uncited", is_flag=True, help="Also report entries that are never cited.")
@click.option(
    "--ignore",
    "ignore",
    multiple=True,
    metavar="KEY",
    shell_complete=complete_keys,
    help="Never report KEY as uncited (repeatable; also manuscript.ignore_uncited).",
)
@click.option(
    "--fail-on",
    type=click.Choice(["citation", "uncited"]),
    default="citation",
    show_default=True,
    help="'uncited' also fails on uncited entries.",
)
@click.option("--format", "fmt", type=click.Choice(FINDINGS_FORMATS), help="Output format.")
@click.option("--json", "as_json", is_flag=True, help="Same as --format json.")
@input_encoding_option("the manuscripts")
@bib_path_option
def command(
    manuscripts: tuple[str, ...],
    markup: str | None,
    uncited: bool,
    ignore: tuple[str, ...],
    fail_on: str,
    fmt: str | None,
    as_json: bool,
    encoding: str | None,
) -> int:
    """Check a manuscript's citations against the bibliography.

    Finds pandoc ([@key]), LaTeX (\\cite{key}, \\parencite…) and author-year citations
    ((Zahid, 2023), (Anwar et al., 2023), Biddle (2019)), skips code and the manuscript's
    own reference list, and reports each citation as matched, ambiguous, year-mismatch
    or missing. Exit code 1 when a citation is missing, mismatched or ambiguous (or, with
    --fail-on uncited, when an entry is never cited).
    """
    from ..encoding import check_name
    from ..manuscript import check_manuscripts
    from ..output import busy, choose_mode, warn
    from ..output.manuscript import render

    ctx = click.get_current_context()
    refuse_together(ctx, "as_json", "fmt", "--json is --format json", when=fmt != "json")
    requires(
        ctx,
        "ignore",
        "--uncited or --fail-on uncited",
        uncited or fail_on == "uncited",
        "it only silences the uncited report",
    )
    ignored = [*get_config()["manuscript.ignore_uncited"], *ignore]
    if encoding:
        check_name(encoding)
    with busy("checking citations…"):
        lib: Any = open_library(cached=True)  # keys, names and years: the cache has them
        result = check_manuscripts(
            lib, manuscripts, markup=markup, ignore_uncited=ignored, encoding=encoding
        )
    for note in result.notes:
        warn(note)
    fmt = "json" if as_json else fmt or ("table" if choose_mode(False) == "rich" else "plain")
    report_uncited = uncited or fail_on == "uncited"
    render(result, fmt, lib.path, uncited=report_uncited)
    bad = any(c.status is None or c.status.fails for c in result.citations)
    if fail_on == "uncited" and result.uncited:
        bad = True
    return EXIT_FINDINGS if bad else EXIT_OK
