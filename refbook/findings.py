"""Findings: what lint, check and cite-check (and the store's parser) report.

A finding is plain data; ``refbook.output.findings`` renders lists of them as a table,
``file:line:col: severity: [rule] KEY: message`` lines, JSON, GitHub workflow commands,
SARIF or JUnit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

SEVERITIES = ("error", "warning", "info")
SEVERITY_RANK = {"error": 3, "warning": 2, "info": 1}


@dataclass(frozen=True)
class Finding:
    path: str
    line: int | None  # 1-based; None when the finding is about the file as a whole
    severity: str  # "error" | "warning" | "info"
    rule: str  # stable id, e.g. "syntax", "duplicate-key", "pages-dash", "broken-url"
    message: str
    key: str | None = None  # the entry concerned, when there is one
    column: int | None = None  # 1-based
    data: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    def location(self) -> str:
        loc = self.path
        if self.line is not None:
            loc += f":{self.line}"
            if self.column is not None:
                loc += f":{self.column}"
        return loc

    def __str__(self) -> str:
        """``references.bib:12: error: message (near key X)``: the parser's one-line form."""
        near = f" (near key {self.key})" if self.key else ""
        return f"{self.location()}: {self.severity}: {self.message}{near}"

    def line_text(self) -> str:
        """``references.bib:12:3: warning: [rule] KEY: message``: the compiler-style form."""
        key = f"{self.key}: " if self.key else ""
        return f"{self.location()}: {self.severity}: [{self.rule}] {key}{self.message}"

    def to_dict(self) -> dict[str, Any]:
        # by hand: dataclasses.asdict deep-copies, which is slow for 100k findings
        d = {"path": self.path, "line": self.line, "severity": self.severity, "rule": self.rule,
             "message": self.message, "key": self.key, "column": self.column}
        if self.data:
            d["data"] = dict(self.data)
        return d


def worst(findings: list[Finding]) -> str | None:
    """The most severe severity present, or None for no findings."""
    best = None
    for f in findings:
        if best is None or SEVERITY_RANK[f.severity] > SEVERITY_RANK[best]:
            best = f.severity
    return best


def fails(findings: list[Finding], fail_on: str = "error") -> bool:
    """True when any finding is at least as severe as ``fail_on``."""
    threshold = SEVERITY_RANK[fail_on]
    return any(SEVERITY_RANK[f.severity] >= threshold for f in findings)
