"""Findings as SARIF 2.1.0, for GitHub code scanning and other SARIF viewers."""

from __future__ import annotations

from collections.abc import Sequence
from typing import IO, Any

from ... import PROJECT_URL
from ...findings import Finding, Severity
from .. import json_text
from . import Run

LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


def _result(f: Finding, rule_index: int) -> dict[str, Any]:
    region: dict[str, int] = {}
    if f.line is not None:
        region["startLine"] = f.line
        if f.column is not None:
            region["startColumn"] = f.column
    location: dict[str, Any] = {"artifactLocation": {"uri": f.path}}
    if region:
        location["region"] = region
    return {
        "ruleId": f.rule,
        "ruleIndex": rule_index,
        "level": LEVELS[f.severity],
        "message": {"text": f"{f.key}: {f.message}" if f.key else f.message},
        "locations": [{"physicalLocation": location}],
    }


def sarif_document(findings: Sequence[Finding], run: Run) -> dict[str, Any]:
    """The SARIF log: one run of ``run.tool``, its rules (with their descriptions from
    ``run.rules``) and one result per finding."""
    from ... import __version__

    rule_ids = sorted({f.rule for f in findings} | set(run.rules))
    driver = {
        "name": run.tool,
        "version": __version__,
        "informationUri": PROJECT_URL,
        "rules": [{"id": r, "shortDescription": {"text": run.rules.get(r, r)}} for r in rule_ids],
    }
    return {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [
            {
                "tool": {"driver": driver},
                "results": [_result(f, rule_ids.index(f.rule)) for f in findings],
            }
        ],
    }


def render(findings: Sequence[Finding], run: Run, stream: IO[str]) -> None:
    stream.write(json_text(sarif_document(findings, run)) + "\n")
