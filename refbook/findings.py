"""Findings: what lint, check and cite-check (and the store's parser) report.

A finding is plain data; ``refbook.output.findings`` renders lists of them as a table,
``file:line:col: severity: [rule] KEY: message`` lines, JSON, GitHub workflow commands,
SARIF or JUnit.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import Enum
from typing import Any


class TextEnum(str, Enum):
    """An enum whose members are their text: ``Severity.ERROR == "error"``, printed and
    written to JSON as ``error`` (``enum.StrEnum`` from Python 3.11 on)."""

    def __str__(self) -> str:
        return str.__str__(self)

    def __format__(self, spec: str) -> str:
        return str.__format__(self, spec)


class Severity(TextEnum):
    """How bad a finding is, worst first; ``rank`` orders them (``<`` compares the text,
    as for any ``str``)."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        return _RANK[self]

    def at_least(self, threshold: Severity | str) -> bool:
        """Whether this severity is ``threshold`` or worse (``--fail-on``)."""
        return _RANK[self] >= _RANK[Severity(threshold)]


_RANK = {Severity.ERROR: 3, Severity.WARNING: 2, Severity.INFO: 1}


@dataclass(frozen=True)
class Finding:
    path: str
    line: int | None  # 1-based; None when the finding is about the file as a whole
    severity: Severity  # a plain "error", "warning" or "info" is taken as the member
    rule: str  # stable id, e.g. "syntax", "duplicate-key", "pages-dash", "broken-url"
    message: str
    key: str | None = None  # the entry concerned, when there is one
    column: int | None = None  # 1-based
    data: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    def __post_init__(self) -> None:
        if type(self.severity) is not Severity:  # "error" from older callers: the member
            object.__setattr__(self, "severity", Severity(self.severity))

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
        d: dict[str, Any] = {
            "path": self.path,
            "line": self.line,
            "severity": self.severity,
            "rule": self.rule,
            "message": self.message,
            "key": self.key,
            "column": self.column,
        }
        if self.data:
            d["data"] = dict(self.data)
        return d


def fails(findings: Iterable[Finding], fail_on: Severity | str = Severity.ERROR) -> bool:
    """True when any finding is at least as severe as ``fail_on`` (``lint --fail-on``)."""
    threshold = Severity(fail_on)
    return any(f.severity.at_least(threshold) for f in findings)
