"""Rendering of link-check results: a progress bar and a table grouped by verdict on a
terminal; one line per problem when piped; JSON, JUnit, GitHub, Markdown and SARIF."""

from __future__ import annotations

from contextlib import contextmanager

from ..findings import Finding
from . import cell, console, emit_json

RULES = {
    "broken-url": "The URL does not answer (404/410, DNS failure, refused, redirect loop).",
    "broken-doi": "The DOI is not registered (Handle API responseCode 100).",
    "doi-mismatch": "The DOI's registered metadata describe another work.",
    "doi-metadata": "A field differs from the DOI's registered metadata.",
    "redirected": "The URL has moved permanently.",
    "blocked": "The site blocks automated checks (bot protection).",
    "timeout": "No answer in time.",
    "rate-limited": "The site asks to slow down (429).",
    "doi-syntax": "The DOI is malformed.",
    "url-syntax": "The URL is malformed.",
    "check-error": "The check failed for another reason.",
}


def _rule(r) -> str:
    kind = r.target.kind
    if r.verdict == "broken":
        return f"broken-{kind}"
    if r.verdict == "mismatch":
        return "doi-mismatch"
    if r.verdict == "error" and r.message.startswith(("not a DOI", "DOI ends", "doi field")):
        return "doi-syntax"
    if r.verdict == "error" and r.message.startswith(("not an http", "white space")):
        return "url-syntax"
    return {"error": "check-error"}.get(r.verdict, r.verdict)


def findings(results, bib: str, failing: set[str]) -> list[Finding]:
    from ..links import redact

    out = []
    for r in results:
        what = f"{r.target.kind} {redact(' '.join(r.target.value.split()))}"
        if r.verdict not in ("ok",):
            rule = _rule(r)
            severity = "error" if r.verdict in failing or rule.endswith("-syntax") else "warning"
            message = r.message if r.message.startswith(("url ", "DOI ")) else f"{what}: {r.message}"
            message = " ".join(message.split())  # one line, whatever the URL held
            out.append(Finding(bib, r.target.line, severity, rule, message, r.target.key))
        for w in r.warnings:
            out.append(Finding(bib, r.target.line, "warning", "doi-metadata",
                               f"doi {r.target.value}: {w}", r.target.key))
    return out


@contextmanager
def progress_bar(total: int):
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    with Progress("[bold]checking", BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=console(stderr=True), transient=True) as progress:
        task = progress.add_task("check", total=total)
        yield lambda _result: progress.advance(task)


def render(results, fmt: str, bib: str, failing: set[str]) -> None:
    from .findings import render as render_findings

    problems = findings(results, bib, failing)
    if fmt == "json":
        counts = {v: sum(r.verdict == v for r in results) for v in
                  ("ok", "redirected", "broken", "mismatch", "blocked", "timeout",
                   "rate-limited", "error")}
        emit_json({"results": [r.to_dict() for r in results], "summary": counts,
                   "findings": [f.to_dict() for f in problems]})
        return
    if fmt == "table":
        from rich.table import Table

        from ..links import redact

        colours = {"ok": "green", "redirected": "yellow", "broken": "red", "mismatch": "red",
                   "blocked": "magenta", "timeout": "magenta", "rate-limited": "magenta",
                   "error": "red"}
        table = Table(header_style="bold", title=f"refbook check: {len(results)} checked")
        for col in ("verdict", "key", "line", "kind", "target", "detail"):
            table.add_column(col, overflow="fold")
        order = {v: i for i, v in enumerate(("broken", "mismatch", "error", "redirected",
                                             "blocked", "timeout", "rate-limited", "ok"))}
        for r in sorted(results, key=lambda r: (order[r.verdict], r.target.line)):
            detail = r.message + ("".join(f"\n{w}" for w in r.warnings))
            table.add_row(cell(r.verdict, colours[r.verdict]), cell(r.target.key),
                          cell(r.target.line), cell(r.target.kind),
                          cell(redact(r.target.value)), cell(detail))
        console().print(table)
        return
    passed = [f"{r.target.key} {r.target.kind}" for r in results
              if r.verdict == "ok" and not r.warnings]
    render_findings(problems, fmt, tool="refbook check", rules=RULES, passed=passed)
