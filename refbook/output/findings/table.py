"""Findings as a rich table, for a terminal: drawn as they come (``tables.draw``: in
batches with fixed column widths when there are many)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import IO, Any

from ...findings import Finding, Severity
from .. import cell
from ..tables import Column, draw
from . import Run

COLOURS = {Severity.ERROR: "red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}


def render(findings: Iterable[Finding], run: Run, stream: IO[str]) -> None:
    columns = (
        # a line number is at most the file's size in bytes (``Run.widths``)
        Column("location", widest=run.widths.get("location")),
        Column("severity", widest=max(len(s.value) for s in Severity)),
        Column("rule", widest=max(map(len, run.rules), default=None)),
        Column("key", widest=run.widths.get("key")),
        Column("message", flexible=True),
    )
    draw(
        columns,
        _rows(findings),
        title=run.tool,
        counted=lambda n: f"{run.tool}: {n} finding(s)",
        progress=run.progress or None,
        stream=stream,
    )


def _rows(findings: Iterable[Finding]) -> Iterator[tuple[Any, ...]]:
    for f in findings:
        yield (
            f.location(),
            cell(f.severity, COLOURS.get(f.severity, "")),
            f.rule,
            f.key or "",
            f.message,
        )
