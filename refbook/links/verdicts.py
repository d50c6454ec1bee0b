"""What ``check`` says of one DOI or URL: a ``Verdict`` and the ``Result`` that carries it.

Everything that depends on a verdict -- whether it fails a CI run, the severity and rule
id of its finding, its place in the table -- is read from the enum, never from the
wording of a message, so that messages can be reworded freely.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from ..findings import Severity, TextEnum
from ..identifiers import redact
from .targets import Target


class FailsWhen(Enum):
    """A verdict's meaning in CI: whether it makes ``check`` exit 1."""

    ALWAYS = "always"
    STRICT = "strict"  # only with --strict
    NEVER = "never"


class Verdict(TextEnum):
    """A check's verdict; the value is what JSON shows.

    Each member carries ``order`` (its place in the table: problems first),
    ``fails_when`` (its CI meaning) and ``rule`` (the rule id of its finding in SARIF,
    JUnit, GitHub and the other findings formats; ``{kind}`` is ``doi`` or ``url``;
    None: no finding)."""

    order: int
    fails_when: FailsWhen
    rule: str | None

    def __new__(cls, value: str, order: int, fails_when: FailsWhen, rule: str | None) -> Verdict:
        member = str.__new__(cls, value)
        member._value_ = value
        member.order = order
        member.fails_when = fails_when
        member.rule = rule
        return member

    # value, order in the table, CI meaning, rule id; listed in the JSON summary's order
    OK = "ok", 13, FailsWhen.NEVER, None
    REDIRECTED = "redirected", 9, FailsWhen.NEVER, "redirected"
    BROKEN = "broken", 2, FailsWhen.ALWAYS, "broken-{kind}"
    MISMATCH = "mismatch", 3, FailsWhen.ALWAYS, "doi-mismatch"
    BLOCKED = "blocked", 10, FailsWhen.STRICT, "blocked"
    TIMEOUT = "timeout", 11, FailsWhen.STRICT, "timeout"
    RATE_LIMITED = "rate-limited", 12, FailsWhen.STRICT, "rate-limited"
    ERROR = "error", 4, FailsWhen.STRICT, "check-error"
    EXCLUDED = "excluded", 14, FailsWhen.NEVER, "excluded"
    # what the registration agency says happened to the work since (Crossref's
    # ``updated-by``, Retraction Watch's records included): retractions come first
    RETRACTED = "retracted", 0, FailsWhen.ALWAYS, "retracted"
    WITHDRAWN = "withdrawn", 1, FailsWhen.ALWAYS, "withdrawn"
    CONCERN = "expression-of-concern", 5, FailsWhen.NEVER, "expression-of-concern"
    CORRECTED = "corrected", 6, FailsWhen.NEVER, "corrected"
    NOTICE = "notice", 7, FailsWhen.NEVER, "update-notice"  # the DOI is itself a notice
    SUPERSEDED = "has-published-version", 8, FailsWhen.NEVER, "has-published-version"

    def fails(self, strict: bool = False) -> bool:
        """Whether this verdict fails the run (with ``--strict`` or without)."""
        return self.fails_when is FailsWhen.ALWAYS or (
            strict and self.fails_when is FailsWhen.STRICT
        )

    def severity(self, strict: bool = False) -> Severity:
        """The severity of this verdict's finding."""
        if self.fails(strict):
            return Severity.ERROR
        return Severity.INFO if self is Verdict.EXCLUDED else Severity.WARNING

    @property
    def cacheable(self) -> bool:
        """Whether a result with this verdict is kept in the results cache: the DOI or URL
        answered (failures are always checked again)."""
        return self in _CACHEABLE


_CACHEABLE = frozenset(
    {
        Verdict.OK,
        Verdict.REDIRECTED,
        Verdict.RETRACTED,
        Verdict.WITHDRAWN,
        Verdict.CONCERN,
        Verdict.CORRECTED,
        Verdict.NOTICE,
        Verdict.SUPERSEDED,
    }
)

# the rule id of a malformed DOI or URL (verdict ``error``, but failing even without
# --strict): "doi-syntax" or "url-syntax"
MALFORMED_RULE = "{kind}-syntax"


@dataclass
class Result:
    target: Target
    verdict: Verdict
    message: str
    status: int | None = None
    final_url: str | None = None
    warnings: list[str] = field(default_factory=list)  # metadata differences
    cached: bool = False
    # why no answer came, when the network itself may be at fault (transport's causes)
    cause: str | None = None
    # the DOI or URL itself is malformed (verdict ERROR): fails the run even without --strict
    malformed: bool = False
    # what the verdict rests on, as data for JSON and for --update-preprints: "update"
    # (the notice: type, DOI, date, source), "published" (the published version: DOI,
    # venue, title, year), "points_to" (the work a mismatched DOI really names)
    details: dict[str, Any] = field(default_factory=dict)

    def fails(self, strict: bool = False, fail_on: Severity | str = Severity.ERROR) -> bool:
        """Whether this result fails the run: its finding is at least ``fail_on``
        (``--fail-on``; by default only errors fail)."""
        severities = [self.severity(strict)] if self.rule else []
        if self.warnings:  # fields that differ from the DOI's record: warnings
            severities.append(Severity.WARNING)
        return any(s.at_least(fail_on) for s in severities)

    def severity(self, strict: bool = False) -> Severity:
        return Severity.ERROR if self.malformed else self.verdict.severity(strict)

    @property
    def rule(self) -> str | None:
        """The rule id of this result's finding (None for ``ok``)."""
        rule = MALFORMED_RULE if self.malformed else self.verdict.rule
        return rule.format(kind=self.target.kind) if rule else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.target.key,
            "kind": self.target.kind,
            "value": redact(self.target.value),
            "line": self.target.line,
            "verdict": self.verdict,
            "status": self.status,
            "message": self.message,
            "final_url": redact(self.final_url) if self.final_url else None,
            "warnings": self.warnings,
            "cached": self.cached,
            **({"from_field": self.target.field} if self.target.field else {}),
            **self.details,
        }
