"""Findings as SARIF 2.1.0, for GitHub code scanning and other SARIF viewers."""

from __future__ import annotations

from collections.abc import Sequence
from typing import IO, Any

from ... import PROJECT_URL
from ...findings import Finding, Severity
from .. import json_text
from . import Run, batches

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
    rule_ids = _rule_ids(findings, run)
    index = {r: i for i, r in enumerate(rule_ids)}
    return _document([_result(f, index[f.rule]) for f in findings], rule_ids, run)


def _rule_ids(findings: Sequence[Finding], run: Run) -> list[str]:
    return sorted({f.rule for f in findings} | set(run.rules))


def _document(results: list[dict[str, Any]], rule_ids: list[str], run: Run) -> dict[str, Any]:
    from ... import __version__

    driver = {
        "name": run.tool,
        "version": __version__,
        "informationUri": PROJECT_URL,
        "rules": [{"id": r, "shortDescription": {"text": run.rules.get(r, r)}} for r in rule_ids],
    }
    return {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{"tool": {"driver": driver}, "results": results}],
    }


_RESULTS = '"results": []'
_PAD = " " * 8  # a result's indent in the document


def render(findings: Sequence[Finding], run: Run, stream: IO[str]) -> None:
    """The document ``json_text`` gives, its results written a batch at a time: at
    235,000 findings the whole document's objects and text took ~900 MB."""
    rule_ids = _rule_ids(findings, run)
    index = {r: i for i, r in enumerate(rule_ids)}
    head, tail = json_text(_document([], rule_ids, run)).rsplit(_RESULTS, 1)
    if not findings:
        stream.write(head + _RESULTS + tail + "\n")
        return
    stream.write(head + '"results": [\n')
    first = True
    for batch in batches(findings):
        items = (
            _PAD + json_text(_result(f, index[f.rule])).replace("\n", "\n" + _PAD) for f in batch
        )
        stream.write(("" if first else ",\n") + ",\n".join(items))
        first = False
    stream.write("\n      ]" + tail + "\n")
