"""refbook lsp"""

from __future__ import annotations

import click

from ._common import bib_option, json_option, root_obj


@click.command("lsp")
@click.option("--stdio", is_flag=True, help="Speak over standard input/output (the default).")
@click.option(
    "--check",
    "check_dir",
    metavar="DIR",
    is_flag=False,
    flag_value=".",
    default=None,
    help="Do not serve: say which .bib the server would use for workspace DIR (default: .).",
)
@json_option
@bib_option
def command(stdio: bool, check_dir: str | None, as_json: bool) -> int:
    """Language server (LSP over stdio) for citations in Markdown, Quarto, R Markdown,
    LaTeX, Typst and plain text: completion of keys, hover with the formatted reference
    and annotation, diagnostics (unknown keys, cite-check's findings, lint on the .bib),
    go to definition, references, rename, symbols and code actions.  Editors start it;
    see docs/editors.md.  The .bib is found as every command finds it, or as a document
    names it (front matter `bibliography:`, \\bibliography, \\addbibresource)."""
    from ._common import bib_encoding, cache_enabled

    obj = root_obj()
    bib = obj.get("bib") or click.get_current_context().find_root().params.get("bib")
    if check_dir is not None:
        from ..lsp import describe
        from ..output import JSON, choose_mode, emit_json, emit_lines

        info = describe(check_dir, bib, bib_encoding(), cache_enabled())
        if choose_mode(as_json) == JSON:
            emit_json(info)
        else:
            emit_lines(
                [f"bibliography: {info['bib']}", f"entries: {info['entries']}"]
                + [f"problem: {p['line']}: {p['message']}" for p in info["problems"]]
            )
        return 0
    import os

    from ..lsp.server import serve

    serve(os.path.abspath(bib) if bib and bib != "-" else bib, bib_encoding(), cache_enabled())
    return 0
