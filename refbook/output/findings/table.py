"""Findings as a rich table, for a terminal."""

from __future__ import annotations

from collections.abc import Sequence
from typing import IO

from ...findings import Finding, Severity
from .. import cell, console
from . import Run

COLOURS = {Severity.ERROR: "red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}


def render(findings: Sequence[Finding], run: Run, stream: IO[str]) -> None:
    from rich.table import Table

    table = Table(header_style="bold", title=f"{run.tool}: {len(findings)} finding(s)")
    for col in ("location", "severity", "rule", "key", "message"):
        table.add_column(col, overflow="fold")
    for f in findings:
        table.add_row(
            cell(f.location()),
            cell(f.severity, COLOURS.get(f.severity, "")),
            cell(f.rule),
            cell(f.key or ""),
            cell(f.message),
        )
    console(file=stream).print(table)
