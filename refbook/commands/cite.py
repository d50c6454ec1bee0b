"""refbook cite"""

from __future__ import annotations

from typing import Any

import click

from ._common import (
    bib_option,
    complete_keys,
    get_config,
    json_option,
    open_library,
    requires,
    style_option,
)


@click.command("cite")
@click.argument("keys", nargs=-1, required=True, shell_complete=complete_keys)
@style_option
@click.option("--narrative", is_flag=True, help="Narrative form: Zahid (2023).")
@click.option(
    "--locator",
    metavar="TEXT",
    help='Page or other locator of the one work cited, e.g. "p. 12" (several '
    'works: KEY:"p. 12" each).',
)
@click.option(
    "--syntax",
    type=click.Choice(["text", "pandoc", "latex"]),
    default="text",
    show_default=True,
    help="Formatted text, or the citation to type in pandoc Markdown or LaTeX.",
)
@click.option("--copy", is_flag=True, help="Also put the citation on the clipboard.")
@json_option
@bib_option
def command(
    keys: tuple[str, ...],
    style: str | None,
    narrative: bool,
    locator: str | None,
    syntax: str,
    copy: bool,
    as_json: bool,
) -> int:
    """Print the in-text citation of one or several works.

    KEYS are citation keys, KEY:LOCATOR for a work's own locator, or pandoc's
    citation syntax; a work named twice is cited once.

    \b
      refbook cite zahid2023dealing                  (Zahid, 2023)
      refbook cite zahid2023dealing --narrative      Zahid (2023)
      refbook cite zahid2023dealing --locator "p. 12"
      refbook cite zahid2023dealing:"p. 12" biddle2019afghanistan
      refbook cite "[@zahid2023dealing, p. 12; @biddle2019afghanistan]"
      refbook cite zahid2023dealing --syntax pandoc  [@zahid2023dealing]
      refbook cite zahid2023dealing --syntax latex   \\parencite{zahid2023dealing}
    """
    from ..citing import latex_citation, pandoc_citation, parse_cite_args
    from ..export import cite_in_library
    from ..output import JSON, choose_mode, emit_json, emit_lines

    ctx = click.get_current_context()
    requires(
        ctx,
        "style",
        "--syntax text",
        syntax == "text",
        "pandoc and LaTeX citations are formatted later, by their own styles",
    )
    # text: pandoc formats the cached CSL items (the file is read when one is missing)
    lib: Any = open_library(
        cached=True,
        usable=lambda c: syntax != "text" or c.csl_complete(),
        needs=("csl",) if syntax == "text" else (),
    )

    def resolve(key: str) -> str | None:
        found = lib.get(key)
        return found.key if found is not None else None

    cites = parse_cite_args(keys, resolve, locator)
    entries = [lib[c.key] for c in cites]
    if syntax == "pandoc":
        text = pandoc_citation(cites, narrative)
    elif syntax == "latex":
        text = latex_citation(cites, narrative)
    else:
        cfg = get_config()
        style = style or cfg["export.style"]
        text = cite_in_library(
            lib,
            entries,
            style,
            narrative=narrative,
            cites=cites,
            pandoc=cfg["export.pandoc"] or None,
        )
    if choose_mode(as_json) == JSON:
        emit_json(
            {
                "keys": [e.key for e in entries],
                "syntax": syntax,
                "style": style if syntax == "text" else None,
                "narrative": narrative,
                "locator": locator,
                "works": [c.to_dict() for c in cites],
                "citation": text,
            }
        )
    else:
        emit_lines([text])
    if copy:
        _copy(text)
    return 0


def _copy(text: str) -> None:
    import shutil
    import subprocess

    from ..output import warn

    for tool in (["wl-copy"], ["xclip", "-selection", "clipboard"], ["pbcopy"], ["clip"]):
        if shutil.which(tool[0]):
            subprocess.run(tool, input=text.encode(), check=False)
            return
    warn("refbook: no clipboard tool found (wl-copy, xclip, pbcopy); printed only")
