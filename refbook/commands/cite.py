"""refbook cite"""

from __future__ import annotations

import click

from ._common import bib_option, complete_keys, get_config, json_option, open_library


@click.command("cite")
@click.argument("keys", nargs=-1, required=True, shell_complete=complete_keys)
@click.option("-s", "--style", metavar="NAME|FILE.csl", help="Citation style (default apa).")
@click.option("--narrative", is_flag=True, help="Narrative form: Zahid (2023).")
@click.option("--locator", metavar="TEXT", help='Page or other locator, e.g. "p. 12".')
@click.option("--syntax", type=click.Choice(["text", "pandoc", "latex"]), default="text",
              show_default=True, help="Formatted text, or the citation to type in pandoc "
                                      "Markdown or LaTeX.")
@click.option("--copy", is_flag=True, help="Also put the citation on the clipboard.")
@json_option
@bib_option
def command(keys, style, narrative, locator, syntax, copy, as_json) -> int:
    """Print the in-text citation of one or several works.

    \b
      refbook cite zahid2023dealing                  (Zahid, 2023)
      refbook cite zahid2023dealing --narrative      Zahid (2023)
      refbook cite zahid2023dealing --locator "p. 12"
      refbook cite zahid2023dealing --syntax pandoc  [@zahid2023dealing]
      refbook cite zahid2023dealing --syntax latex   \\parencite{zahid2023dealing}
    """
    from ..export import format_citation
    from ..output import JSON, choose_mode, emit_json, emit_lines

    lib = open_library()
    entries = [lib[k] for k in keys]
    if syntax == "pandoc":
        loc = f", {locator}" if locator else ""
        if narrative:
            text = " ".join(f"@{e.key}" + (f" [{locator}]" if locator else "") for e in entries)
        else:
            text = "[" + "; ".join(f"@{e.key}{loc}" for e in entries) + "]"
    elif syntax == "latex":
        cmd = "\\textcite" if narrative else "\\parencite"
        page = ""
        if locator:
            page = "[" + locator.removeprefix("p. ").removeprefix("pp. ") + "]"
        text = f"{cmd}{page}{{{','.join(e.key for e in entries)}}}"
    else:
        cfg = get_config()
        style = style or cfg["export.style"]
        text = format_citation(entries, style, narrative=narrative, locator=locator,
                               all_entries=list(lib), pandoc=cfg["export.pandoc"] or None)
    if choose_mode(as_json) == JSON:
        emit_json({"keys": [e.key for e in entries], "syntax": syntax,
                   "style": style if syntax == "text" else None,
                   "narrative": narrative, "locator": locator, "citation": text})
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
