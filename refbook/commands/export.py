"""refbook export"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import click

from .. import formats
from ._common import (
    bib_option,
    bib_path,
    complete_keys,
    complete_styles,
    get_config,
    json_option,
    open_library,
    refuse_together,
    requires,
)

if TYPE_CHECKING:
    from ..model import Entry, Library


def select_entries(
    lib: Library, keys: tuple[str, ...], query: str | None, cited_in: tuple[str, ...]
) -> list[Entry]:
    """Entries by key (``-`` reads keys from stdin), by search query, or cited in files;
    all entries when nothing is given."""
    import sys

    chosen: list[Entry] = []
    if keys:
        names: list[str] = []
        for k in keys:
            names += sys.stdin.read().split() if k == "-" else [k]
        chosen += [lib[k] for k in names]
    if query:
        try:
            from ..index import select
        except ImportError:  # pragma: no cover - the search module ships with refbook
            raise click.UsageError("-q needs refbook's search module") from None
        chosen += select(lib, query)
    if cited_in:
        from ..manuscript import check_manuscripts
        from ..output import warn

        result = check_manuscripts(lib, list(cited_in))  # manuscripts' encodings detected
        for note in result.notes:
            warn(note)
        cited = {k for c in result.citations for k in c.matched}
        chosen += [e for e in lib if e.key in cited]
    if not (keys or query or cited_in):
        return list(lib)
    seen: set[str] = set()
    out: list[Entry] = []
    for e in chosen:
        if e.key not in seen:
            seen.add(e.key)
            out.append(e)
    return out


@click.command("export")
@click.argument("keys", nargs=-1, shell_complete=complete_keys)
@click.option(
    "-f",
    "--format",
    "fmt",
    type=click.Choice(formats.names(writes=True)),
    help="A data format instead of formatted citations.",
)
@click.option(
    "-s",
    "--style",
    metavar="NAME|FILE.csl",
    shell_complete=complete_styles,
    help="apa, mla, chicago, harvard, ieee, vancouver, or a .csl file "
    "(default: export.style, apa).",
)
@click.option(
    "-t",
    "--to",
    "to",
    type=click.Choice(["text", "markdown", "html"]),
    default="text",
    show_default=True,
    help="Output markup for formatted citations.",
)
@click.option("--annotated", is_flag=True, help="Follow each entry with its annotation.")
@click.option(
    "--standalone", is_flag=True, help="With --to html: one self-contained page with a search box."
)
@click.option("--normalize", is_flag=True, help="With --format bibtex: canonical layout.")
@click.option("-q", "--query", metavar="QUERY", help="Entries matching a search query.")
@click.option(
    "--cited-in",
    multiple=True,
    metavar="FILE",
    type=click.Path(exists=True),
    help="Entries cited in a manuscript (repeatable).",
)
@click.option(
    "-o",
    "--output",
    metavar="FILE",
    help="Write to FILE (atomically; missing folders are created).",
)
@json_option
@bib_option
def command(
    keys: tuple[str, ...],
    fmt: str | None,
    style: str | None,
    to: str,
    annotated: bool,
    standalone: bool,
    normalize: bool,
    query: str | None,
    cited_in: tuple[str, ...],
    output: str | None,
    as_json: bool,
) -> int:
    """Export entries: formatted citations (APA, MLA, Chicago, Harvard, IEEE, Vancouver,
    any .csl) or data (BibTeX, BibLaTeX, CSL-JSON, CSL-YAML, RIS, JSON).

    KEYS select entries (- reads keys from stdin, e.g. from `refbook search … --keys`);
    default: all. Styles are applied by pandoc's citeproc (pandoc 3, from the
    pypandoc-binary package, or REFBOOK_PANDOC) on refbook's CSL-JSON.

    --json alone is --format json (refbook's schema); with --style it gives each
    formatted reference as {"key", "style", "to", "reference"}, in the style's order.
    """

    from .. import export
    from ..output import warn

    ctx = click.get_current_context()
    refuse_together(
        ctx,
        "fmt",
        ("style", "to", "annotated", "standalone"),
        "--format writes data; --style, --to, --annotated and --standalone "
        "shape formatted citations",
    )
    normalizing = [f.name for f in formats.FORMATS.values() if f.normalizes]
    requires(
        ctx,
        "normalize",
        " or ".join(f"--format {name}" for name in normalizing),
        fmt in normalizing,
    )
    if output:
        from ..store import check_output

        check_output(output, (bib_path(), *cited_in))  # before the work, not after
    lib, entries = _chosen(keys, query, cited_in, fmt)
    if not entries:
        from ..errors import NotFoundError

        raise NotFoundError("no entries selected")
    cfg = get_config()
    if as_json and not fmt and not style:
        fmt = "json"
    if as_json and fmt and fmt != "json":
        raise click.UsageError("--json is --format json; give one or the other")
    if fmt is None or formats.get(fmt).csl_ids:
        # CSL ids must be unique, or citeproc keeps one of the entries that share one
        for e, message in export.id_changes(entries):
            warn(f"{lib.path}:{e.line}: warning: {message}")
    parts: Iterable[str]  # the document in pieces: a large export is never held whole
    if fmt:
        parts = formats.write_parts(entries, fmt, normalize=normalize)
    else:
        _warn_incomplete(entries, lib.path)
        if as_json and (standalone or annotated):
            raise click.UsageError(
                "--json gives the references alone (no --standalone or --annotated)"
            )
        if standalone and to != "html":
            raise click.UsageError("--standalone needs --to html")
        formatted = _formatted(
            entries,
            style or cfg["export.style"],
            to,
            annotated=annotated,
            standalone=standalone,
            as_json=as_json,
            pandoc=cfg["export.pandoc"] or None,
        )
        parts = [formatted]
    _emit(parts, output)
    return 0


def _emit(parts: Iterable[str], output: str | None) -> None:
    """The document to ``-o`` (atomically) or to stdout, piece by piece."""
    if output:
        from ..store import write_output

        write_output(output, "".join(parts).encode("utf-8"))
    else:
        from ..output import emit_document_parts

        emit_document_parts(parts)


def _chosen(
    keys: tuple[str, ...], query: str | None, cited_in: tuple[str, ...], fmt: str | None
) -> tuple[Any, list[Entry]]:
    """The library and the entries to export: from the library cache when it has every
    entry's CSL item (one that could not be made is said as the uncached run says it)."""
    # the cache's lazy tables read: CSL items; search (biblatex reads the few values it
    # needs as written from their entries' text: no lint table, no parse of the file)
    needs = ["csl", *(["search"] if query else [])]
    lib: Any = open_library(cached=True, usable=lambda c: c.csl_complete(), needs=needs)
    entries = select_entries(lib, keys, query, cited_in)
    if hasattr(lib, "csl_texts"):
        from ..cache.parts import Selection

        entries = Selection(lib, entries)  # type: ignore[arg-type]
    return lib, entries


def _warn_incomplete(entries: list[Entry], path: str) -> None:
    """Entries a style renders without a year or a title: said, not refused."""
    from ..output import warn

    for e in entries:
        if not e.year and not e.title:
            said = "has no year or title; rendered as pandoc does (n.d.)"
        elif not e.year:
            said = "has no year; rendered as pandoc does (n.d.)"
        elif not e.title:
            said = "has no title"
        else:
            continue
        warn(f"{path}:{e.line}: warning: {e.key or 'entry without a key'} {said}")


def _formatted(
    entries: list[Entry],
    style: str,
    to: str,
    *,
    annotated: bool,
    standalone: bool,
    as_json: bool,
    pandoc: str | None,
) -> str:
    """The entries formatted by pandoc's citeproc: a reference list, a standalone HTML
    page, or (``as_json``) each reference as a JSON record, in the style's order."""
    from .. import export
    from ..output import busy

    with busy(f"formatting {len(entries)} references ({style}) with pandoc…"):
        if as_json:
            from ..output import json_text

            pairs = export.format_entries(entries, style, to, pandoc=pandoc)
            records = [
                {"key": key, "style": style, "to": to, "reference": ref} for key, ref in pairs
            ]
            return json_text(records) + "\n"
        if standalone:
            return export.standalone_page(entries, style, pandoc=pandoc)
        return export.format_bibliography(entries, style, to, annotated, pandoc=pandoc)
