"""Findings as Markdown: a heading with the counts and a table, for GitHub job
summaries (``>> $GITHUB_STEP_SUMMARY``) and pull-request comments."""

from __future__ import annotations

from collections.abc import Sequence
from typing import IO

from ...findings import Finding
from .. import visible
from . import Run, summary


def _md_cell(value: str) -> str:
    """A table cell of Markdown: one line, control characters visible, no markup (a
    value's ``[text](javascript:…)`` or ``<img>`` is shown as written)."""
    from ...safelinks import markdown_text

    return markdown_text(" ".join(visible(value).split()))


def markdown_document(findings: Sequence[Finding], run: Run) -> str:
    counts = summary(findings)
    lines = [
        f"### {run.tool}: {counts['error']} error(s), {counts['warning']} warning(s), "
        f"{counts['info']} note(s)",
        "",
    ]
    if findings:
        lines += ["| location | severity | rule | key | message |", "|---|---|---|---|---|"]
        for f in findings:
            cells = [
                _md_cell(f.location()),
                f.severity,
                f"`{f.rule}`",
                _md_cell(f.key or ""),
                _md_cell(f.message),
            ]
            lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def render(findings: Sequence[Finding], run: Run, stream: IO[str]) -> None:
    stream.write(markdown_document(findings, run))
