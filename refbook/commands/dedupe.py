"""refbook dedupe"""

from __future__ import annotations

from typing import Any

import click

from ._common import bib_option, json_option, open_library


@click.command("dedupe")
@json_option
@bib_option
def command(as_json: bool) -> int:
    """List likely duplicates with the evidence and a confidence: "same work" (same DOI,
    or same title, year and first author) and "similar title" (shown, never merged).
    Exit code 1 when any is found. Merge with `refbook merge KEEP DROP`."""
    from ..dedupe import find_duplicates
    from ..output import JSON, busy, choose_mode, emit_json, emit_table

    with busy("looking for duplicates…"):
        entries: list[Any] = list(open_library(cached=True))  # the cache's RecordEntry too
        dups = find_duplicates(entries)
        del entries  # (the room they took serves to draw the table: at 100k ~100 MB)
    mode = choose_mode(as_json)
    if mode == JSON:
        emit_json([d.to_dict() for d in dups])
    elif dups:
        from ..output.tables import Column

        emit_table(
            (
                Column("kind"),
                "confidence",
                Column("keys", flexible=True),
                Column("evidence", flexible=True),
            ),
            [(d.kind, f"{d.confidence} %", " ".join(d.keys), "; ".join(d.evidence)) for d in dups],
            mode,
        )
    return 1 if dups else 0
