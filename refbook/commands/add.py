"""refbook add"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from .. import formats
from ..config import SETTINGS
from ..errors import EXIT_FINDINGS, EXIT_OK
from ._common import (
    bib_encoding,
    bib_path,
    bib_path_option,
    decode_input,
    get_config,
    input_encoding_option,
    json_option,
)

if TYPE_CHECKING:
    from ..edits import AddReport
    from ..importers import Draft


@click.command("add")
@click.argument("sources", nargs=-1)
@click.option(
    "--doi",
    "dois",
    multiple=True,
    metavar="DOI",
    help="Add by DOI (also a https://doi.org/… URL or doi: prefix); repeatable; "
    "'-' reads DOIs from stdin.",
)
@click.option(
    "--url",
    "urls",
    multiple=True,
    metavar="URL",
    help="Add a web page from its citation/Dublin Core/Open Graph meta tags.",
)
@click.option("--allow-private", is_flag=True, help=SETTINGS["add.allow_private"].help)
@click.option(
    "--from",
    "fmt",
    type=click.Choice(formats.names(reads=True)),
    help="Input format of FILE or stdin (default: detected).",
)
@click.option(
    "--force", is_flag=True, help="Add even when it duplicates an entry, or the .bib is read-only."
)
@click.option(
    "--merge",
    "merge_into",
    is_flag=True,
    help="Fill the duplicate entry's missing fields instead of adding.",
)
@click.option("--dry-run", is_flag=True, help="Print the diff that would be written.")
@click.option("--annotation", metavar="TEXT", help="Set the annotation of the new entries.")
@click.option("--keywords", metavar="A,B", help="Set the keywords of the new entries.")
@click.option("--edit", "edit_first", is_flag=True, help="Open each new entry in $EDITOR first.")
@input_encoding_option("FILE and stdin")
@json_option
@bib_path_option
def command(
    sources: tuple[str, ...],
    dois: tuple[str, ...],
    urls: tuple[str, ...],
    allow_private: bool,
    fmt: str | None,
    force: bool,
    merge_into: bool,
    dry_run: bool,
    annotation: str | None,
    keywords: str | None,
    edit_first: bool,
    as_json: bool,
    encoding: str | None,
) -> int:
    """Add references from DOIs, web pages, or BibTeX/BibLaTeX/RIS/CSL-JSON files
    (SOURCES: files, or - for stdin).

    Keys come from the key_pattern setting (default zahid2023dealing style), unique
    case-insensitively. A likely duplicate (same DOI, same title/year/first author, or a
    near-identical title) is reported with the evidence and not added, unless --force or
    --merge. The rest of the file is untouched; the write is atomic and locked.
    """
    import os
    import shlex

    from ..diffs import pending_diff
    from ..edits import AddReport, add
    from ..errors import UsageError
    from ..output import JSON, choose_mode, emit_document
    from ..output.edits import render_edit
    from ..store import editing

    cfg = get_config()
    path = bib_path()
    if path != "-" and not os.path.exists(path):
        from ..errors import InputError

        raise InputError(
            f"{path}: error: no such file; start a bibliography there with "
            f"`refbook init {shlex.quote(path)}`"
        )
    drafts, known = _fetched(
        dois, urls, path, allow_private or cfg["add.allow_private"], force or merge_into
    )
    drafts += _read_sources(sources, fmt, encoding)
    if not drafts and not known:
        raise UsageError("error: nothing to add (give --doi, --url, a file or -)")
    if edit_first:
        drafts = [_edited(d) for d in drafts]
    if drafts:
        with editing(path, force=force, encoding=bib_encoding(), dry_run=dry_run) as bib:
            report = add(
                bib,
                drafts,
                pattern=cfg["key_pattern"],
                force=force,
                merge_into=merge_into,
                annotation=annotation,
                keywords=keywords,
            )
            changes = bib.pending_changes()
            patch = pending_diff(bib, path) if dry_run else None
    else:
        report, changes, patch = AddReport(), [], ""
    report.skipped[:0] = known
    _warn_skipped_and_merged(report)
    extra = {
        "added": report.added,
        "merged": [{"key": k, "filled": f} for k, f in report.merged],
        "skipped": [{"source": s, "evidence": e} for s, e in report.skipped],
    }
    if dry_run:
        extra["diff"] = patch
        lines = []
    else:
        lines = report.added  # the new keys, one per line, for scripts
    mode = choose_mode(as_json)
    render_edit(path, changes, mode, saved=bool(changes) and not dry_run, lines=lines, extra=extra)
    if dry_run and patch and mode != JSON:
        emit_document(patch)  # a diff: exact when piped, like the file it would write
    return EXIT_FINDINGS if report.skipped and not report.added and not report.merged else EXIT_OK


def _fetched(
    dois: tuple[str, ...], urls: tuple[str, ...], path: str, allow_private: bool, refetch: bool
) -> tuple[list[Draft], list[tuple[str, list[str]]]]:
    """New entries from ``--doi`` (``-``: DOIs on stdin) and ``--url``, fetched through one
    session, and the DOIs already in the file (not fetched unless ``refetch``: ``--force``
    or ``--merge``), each with the keys that have it."""
    import sys

    from .. import importers
    from ..edits import known_dois
    from ..identifiers import normalize_doi
    from ..store import BibFile

    cfg = get_config()
    drafts: list[Draft] = []
    doi_list: list[str] = []
    for d in dois:
        doi_list += sys.stdin.read().split() if d == "-" else [d]
    known: list[tuple[str, list[str]]] = []
    if doi_list and not refetch:
        # a DOI already in the file is reported without asking the network (works offline)
        doi_list, known = known_dois(BibFile.read(path), [normalize_doi(d) for d in doi_list])
    if doi_list or urls:  # one session: its connections are kept alive between fetches
        from ..links.session import open_session
        from ..links.transport import user_agent

        net: dict[str, Any] = dict(
            allow_private=allow_private, user_agent=user_agent(cfg["check.mailto"])
        )
        session = open_session(allow_private=net["allow_private"], agent=net["user_agent"])
        for d in doi_list:
            drafts.append(
                importers.fetch_doi(
                    normalize_doi(d), cfg["check.doi_resolver"], session=session, **net
                )
            )
        for u in urls:
            drafts.append(importers.fetch_url(u, session=session, **net))
    return drafts, known


def _read_sources(sources: tuple[str, ...], fmt: str | None, encoding: str | None) -> list[Draft]:
    """New entries from files (``-``: stdin) in ``fmt`` (None: detected)."""
    import sys

    from ..output import warn

    drafts: list[Draft] = []
    for src in sources:
        if src == "-":
            from ..encoding import check_name, decode

            decoded = decode(
                sys.stdin.buffer.read(),
                "<stdin>",
                check_name(encoding) if encoding else None,
                detect=True,
                what="text",
            )
            for note in decoded.notes:
                warn(note)
            text, name = decoded.text, "<stdin>"
        else:
            text, name = decode_input(src, encoding).text, src
        drafts += formats.read(text, fmt, name)
    return drafts


def _warn_skipped_and_merged(report: AddReport) -> None:
    from ..output import warn

    for source, evidence in report.skipped:
        warn(
            f"refbook: not added ({source}): likely duplicate of "
            + "; ".join(evidence)
            + " (--force adds it, --merge fills the existing entry)"
        )
    for key, filled in report.merged:
        warn(f"refbook: merged into {key}: " + (", ".join(filled) or "nothing new"))


def _edited(draft: Draft) -> Draft:
    from ..editor import edit_text
    from ..store import Style

    text = Style().format_entry(draft.entry_type, draft.key or "newkey", list(draft.fields.items()))
    saved = edit_text(text)
    parsed = formats.get("bibtex").read(saved, "<editor>")
    if len(parsed) != 1:
        from ..editor import keep_for_recovery
        from ..errors import UsageError

        kept = keep_for_recovery(saved, draft.key or "newkey")
        raise UsageError(
            f"error: the edited text is not one BibTeX entry; nothing added; your text is in {kept}"
        )
    new = parsed[0]
    new.key = new.key if new.key != "newkey" else draft.key
    return new
