"""Findings as Markdown: a heading with the counts and a table, for GitHub job
summaries (``>> $GITHUB_STEP_SUMMARY``) and pull-request comments."""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import IO

from ...findings import Finding
from .. import visible
from . import Run, batches, summary


def _md_cell(value: str) -> str:
    """A table cell of Markdown: one line, control characters visible, no markup (a
    value's ``[text](javascript:…)`` or ``<img>`` is shown as written)."""
    from ...safelinks import markdown_text

    return markdown_text(" ".join(visible(value).split()))


def markdown_document(findings: Sequence[Finding], run: Run) -> str:
    out = io.StringIO()
    render(findings, run, out)
    return out.getvalue()


def _row(f: Finding) -> str:
    cells = [
        _md_cell(f.location()),
        f.severity,
        f"`{f.rule}`",
        _md_cell(f.key or ""),
        _md_cell(f.message),
    ]
    return "| " + " | ".join(cells) + " |"


def render(findings: Sequence[Finding], run: Run, stream: IO[str]) -> None:
    """The heading with the counts, then the table a batch of rows at a time."""
    counts = summary(findings)
    stream.write(
        f"### {run.tool}: {counts['error']} error(s), {counts['warning']} warning(s), "
        f"{counts['info']} note(s)\n\n"
    )
    if findings:
        stream.write("| location | severity | rule | key | message |\n|---|---|---|---|---|\n")
        for batch in batches(findings):
            stream.write("".join(_row(f) + "\n" for f in batch))
