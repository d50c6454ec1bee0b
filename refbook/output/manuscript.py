"""Rendering of cite-check results: findings (plain/github/sarif/junit), a table of every
citation on a terminal, and the documented JSON schema."""

from __future__ import annotations

from typing import IO

from ..findings import Finding, Severity
from ..manuscript import CheckResult, CitationStatus
from . import RICH, emit_json, emit_table

RULES = {
    "missing-citation": "A citation has no entry in the bibliography.",
    "year-mismatch": "A citation's year differs from the entry of that author.",
    "ambiguous-citation": "A citation matches several entries.",
    "uncited-entry": "An entry of the bibliography is never cited.",
}


def findings(result: CheckResult, bib_name: str, *, uncited: bool) -> list[Finding]:
    out = []
    for c in result.citations:
        if c.status is not None and c.status.rule is not None:
            out.append(
                Finding(
                    c.path,
                    c.line,
                    Severity.ERROR,
                    c.status.rule,
                    c.message or "no entry",
                    c.text,
                    c.column,
                )
            )
    if uncited:
        for key in result.uncited:
            out.append(
                Finding(bib_name, None, Severity.WARNING, "uncited-entry", "never cited", key)
            )
    return out


def render(
    result: CheckResult,
    fmt: str,
    bib_name: str,
    *,
    uncited: bool,
    stream: IO[str] | None = None,
) -> None:
    """``result`` on ``stream`` (stdout) in format ``fmt``: its own JSON schema and
    table of every citation, else its findings (``output.findings``)."""
    from .findings import render as render_findings

    problems = findings(result, bib_name, uncited=uncited)
    if fmt == "json":
        emit_json(
            {
                "citations": [c.to_dict() for c in result.citations],
                "uncited": result.uncited,
                "summary": {
                    status.value: sum(c.status is status for c in result.citations)
                    for status in CitationStatus
                },
            },
            stream,
        )
        return
    if fmt == "table":
        from .tables import Column

        rows = (
            (
                f"{c.path}:{c.line}:{c.column}",
                c.text,
                c.status,
                ", ".join(c.matched or c.candidates),
                c.message,
            )
            for c in result.citations
        )
        paths = {c.path for c in result.citations}
        lines = max((c.line for c in result.citations), default=0)
        places = max((c.column for c in result.citations), default=0)
        columns = (
            # the widest location: the longest path, the last line, the last column
            Column("location", widest=max(map(len, paths), default=0) + len(f":{lines}:{places}")),
            Column("citation", flexible=True),
            Column("status", widest=max(len(s.value) for s in CitationStatus)),
            Column("entries", flexible=True),
            Column("note", flexible=True),
        )
        emit_table(columns, rows, RICH, stream=stream)
        if uncited and result.uncited:
            emit_table(("uncited entry",), [(k,) for k in result.uncited], RICH, stream=stream)
        return
    render_findings(problems, fmt, tool="refbook cite-check", rules=RULES, stream=stream)
