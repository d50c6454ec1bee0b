"""Render findings (lint, check, cite-check, parse problems) in every CI-friendly format:

- ``table``: rich table on a terminal
- ``plain``: ``file:line:col: severity: [rule] KEY: message`` (compiler style, one per line)
- ``json``: a list of finding objects plus a summary
- ``github``: workflow commands (``::error file=…,line=…,title=…::message``)
- ``sarif``: SARIF 2.1.0
- ``junit``: JUnit XML (one test case per finding, plus passing cases when given)
- ``markdown``: a summary table for GitHub job summaries
"""

from __future__ import annotations

import re
import sys
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

from .. import PROJECT_URL
from ..findings import Finding, Severity
from . import cell, json_text, visible

FORMATS = ("table", "plain", "json", "github", "sarif", "junit", "markdown")
GITHUB_LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}
SARIF_LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


def summary(findings: Sequence[Finding]) -> dict[str, int]:
    counts = Counter(f.severity for f in findings)
    return {s.value: counts.get(s, 0) for s in Severity}


def render(
    findings: Sequence[Finding],
    fmt: str,
    *,
    tool: str = "refbook",
    rules: dict[str, str] | None = None,
    passed: Iterable[str] = (),
    extra: dict[str, Any] | None = None,
    stream=None,
) -> None:
    """Write ``findings`` to ``stream`` (stdout) in format ``fmt``.

    ``rules`` maps rule ids to one-line descriptions (SARIF rule metadata); ``passed``
    names the things checked without a finding (JUnit passing cases); ``extra`` is merged
    into the JSON document."""
    out = stream or sys.stdout
    if fmt == "table":
        _table(findings, tool)
    elif fmt == "plain":
        # whole documents in one write each: stdout may be unbuffered (PYTHONUNBUFFERED)
        out.write(visible("".join(f.line_text() + "\n" for f in findings)))
    elif fmt == "json":
        doc = {"findings": [f.to_dict() for f in findings], "summary": summary(findings)}
        doc.update(extra or {})
        out.write(json_text(doc) + "\n")
    elif fmt == "github":
        out.write("".join(github_line(f) + "\n" for f in findings))
    elif fmt == "sarif":
        out.write(json_text(sarif(findings, tool=tool, rules=rules)) + "\n")
    elif fmt == "junit":
        out.write(junit(findings, tool=tool, passed=passed))
    elif fmt == "markdown":
        out.write(markdown(findings, tool=tool))
    else:
        raise ValueError(f"unknown format {fmt!r}")


def _table(findings: Sequence[Finding], tool: str) -> None:
    from rich.table import Table

    from . import console

    colours = {Severity.ERROR: "red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}
    table = Table(header_style="bold", title=f"{tool}: {len(findings)} finding(s)")
    for col in ("location", "severity", "rule", "key", "message"):
        table.add_column(col, overflow="fold")
    for f in findings:
        table.add_row(
            cell(f.location()),
            cell(f.severity, colours.get(f.severity, "")),
            cell(f.rule),
            cell(f.key or ""),
            cell(f.message),
        )
    console().print(table)


def _escape_data(s: str) -> str:
    # control characters visible (GitHub's log viewer reads ANSI escapes), then the
    # workflow-command escapes of %, CR and LF
    return visible(s).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_prop(s: str) -> str:
    return _escape_data(s).replace(":", "%3A").replace(",", "%2C")


def github_line(f: Finding) -> str:
    level = GITHUB_LEVELS[f.severity]
    props = [f"file={_escape_prop(f.path)}"]
    if f.line is not None:
        props.append(f"line={f.line}")
    if f.column is not None:
        props.append(f"col={f.column}")
    title = f"{f.key} [{f.rule}]" if f.key else f"[{f.rule}]"
    props.append(f"title={_escape_prop(title)}")
    return f"::{level} {','.join(props)}::{_escape_data(f.message)}"


def sarif(
    findings: Sequence[Finding], *, tool: str = "refbook", rules: dict[str, str] | None = None
) -> dict[str, Any]:
    from .. import __version__

    rule_ids = sorted({f.rule for f in findings} | set(rules or {}))
    results = []
    for f in findings:
        region: dict[str, int] = {}
        if f.line is not None:
            region["startLine"] = f.line
            if f.column is not None:
                region["startColumn"] = f.column
        location: dict[str, Any] = {"artifactLocation": {"uri": f.path}}
        if region:
            location["region"] = region
        text = f"{f.key}: {f.message}" if f.key else f.message
        results.append(
            {
                "ruleId": f.rule,
                "ruleIndex": rule_ids.index(f.rule),
                "level": SARIF_LEVELS[f.severity],
                "message": {"text": text},
                "locations": [{"physicalLocation": location}],
            }
        )
    return {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": tool,
                        "version": __version__,
                        "informationUri": PROJECT_URL,
                        "rules": [
                            {"id": r, "shortDescription": {"text": (rules or {}).get(r, r)}}
                            for r in rule_ids
                        ],
                    }
                },
                "results": results,
            }
        ],
    }


_NOT_XML = re.compile("[\ufffe\uffff]")


def _xml_text(s: str) -> str:
    """Text XML 1.0 can hold: control characters (which not even a character reference
    may name there) visible, and the two non-characters too."""
    return _NOT_XML.sub(lambda m: f"\\u{ord(m.group()):04x}", visible(s))


def junit(findings: Sequence[Finding], *, tool: str = "refbook", passed: Iterable[str] = ()) -> str:
    from xml.sax.saxutils import escape
    from xml.sax.saxutils import quoteattr as _quoteattr

    def quoteattr(s: str) -> str:
        return _quoteattr(_xml_text(s))

    passed = list(passed)
    failures = [f for f in findings if f.severity is Severity.ERROR]
    cases = []
    for f in findings:
        name = f"{f.key or f.path} [{f.rule}]"
        body = escape(_xml_text(f.line_text()))
        if f.severity is Severity.ERROR:
            inner = (
                f"<failure message={quoteattr(f.message)} type={quoteattr(f.rule)}>{body}</failure>"
            )
        else:
            inner = f"<system-out>{body}</system-out>"
        cases.append(
            f"    <testcase classname={quoteattr(f.path)} name={quoteattr(name)}>{inner}</testcase>"
        )
    for name in passed:
        cases.append(f"    <testcase classname={quoteattr(tool)} name={quoteattr(name)}/>")
    total = len(findings) + len(passed)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<testsuites name={quoteattr(tool)} tests="{total}" failures="{len(failures)}">\n'
        f'  <testsuite name={quoteattr(tool)} tests="{total}" failures="{len(failures)}" errors="0">\n'
        + "\n".join(cases)
        + ("\n" if cases else "")
        + "  </testsuite>\n</testsuites>\n"
    )


def _md_cell(value: str) -> str:
    """A table cell of Markdown: one line, control characters visible, no markup (a
    value's ``[text](javascript:…)`` or ``<img>`` is shown as written)."""
    from ..safelinks import markdown_text

    return markdown_text(" ".join(visible(value).split()))


def markdown(findings: Sequence[Finding], *, tool: str = "refbook") -> str:
    counts = summary(findings)
    lines = [
        f"### {tool}: {counts['error']} error(s), {counts['warning']} warning(s), "
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
