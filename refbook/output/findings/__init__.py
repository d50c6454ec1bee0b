"""Findings (lint, check, cite-check, parse problems) in every CI-friendly format: one
module per format, one registry.

Each format is a module of this package with ``render(findings, run, stream)`` (lychee's
formatter files, httpie's output plugins); the formats that write as they go (plain,
json, github: ``Formatter.streams``) take findings as they come (an iterator: lint's
findings at 100k entries are never all held), the others a list; ``FORMATTERS`` below is the only list of
their names, and every findings command (``lint``, ``check``, ``cite-check``) takes its
``--format`` choices from ``NAMES``.  ``check`` and ``cite-check`` draw their own
``table`` and ``json`` (a table of every URL or citation; their documented JSON
schemas) and hand the other formats to ``render``.

Importing this package imports no format module (``refbook --help`` stays fast).
"""

from __future__ import annotations

import importlib
import sys
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import islice
from typing import IO, Any

from ...findings import Finding, Severity


@dataclass(frozen=True)
class Run:
    """What a formatter knows besides the findings: the ``tool`` that found them,
    ``rules`` (rule id -> one-line description, for SARIF rule metadata), ``passed``
    (the things checked without a finding: JUnit passing cases), ``extra`` (members
    merged into the JSON document) and, for a table, ``widths`` (the widest a column's
    cells can be, by column name, when the command knows it before the findings come:
    ``location``, ``key``) and ``progress`` (what its spinner says while they come)."""

    tool: str = "refbook"
    rules: Mapping[str, str] = field(default_factory=dict)
    passed: Sequence[str] = ()
    extra: Mapping[str, Any] = field(default_factory=dict)
    widths: Mapping[str, int] = field(default_factory=dict)
    progress: str = ""


@dataclass(frozen=True)
class Formatter:
    """One output format of findings: its name on the command line, the module of this
    package that renders it, and what it is for (shown in the docs)."""

    name: str
    module: str
    doc: str
    streams: bool = False  # writes each finding as it comes (else needs them all first)
    # drawn for a terminal, with its own spinner while findings come (the caller shows
    # none: two spinners, or one on stderr between rows on stdout, garble the screen)
    spins: bool = False

    def render(self, findings: Iterable[Finding], run: Run, stream: IO[str]) -> None:
        implementation = importlib.import_module(f"{__name__}.{self.module}")
        if not self.streams and not isinstance(findings, Sequence):
            findings = list(findings)
        implementation.render(findings, run, stream)


FORMATTERS: dict[str, Formatter] = {
    f.name: f
    for f in (
        Formatter("table", "table", "a rich table on a terminal", True, True),
        Formatter("plain", "plain", "file:line:col: severity: [rule] KEY: message", True),
        Formatter("json", "json_doc", "a list of finding objects plus a summary", True),
        Formatter("github", "github", "GitHub Actions workflow commands (annotations)", True),
        Formatter("sarif", "sarif_doc", "SARIF 2.1.0 (GitHub code scanning)"),
        Formatter("junit", "junit_doc", "JUnit XML (one test case per finding)"),
        Formatter("markdown", "markdown_doc", "a summary table for GitHub job summaries"),
    )
}
NAMES: tuple[str, ...] = tuple(FORMATTERS)
# findings written per write by the formats that write as they go (plain, json, github):
# few writes (stdout may be unbuffered), never the whole document in memory at once
BATCH = 2000


def summary(findings: Iterable[Finding]) -> dict[str, int]:
    """How many findings of each severity, by the severity's JSON name."""
    counts = Counter(f.severity for f in findings)
    return {s.value: counts.get(s, 0) for s in Severity}


def batches(findings: Iterable[Finding]) -> Iterator[list[Finding]]:
    """The findings ``BATCH`` at a time, as they come (``STREAMING`` noted: a finding
    made while the library cache is still being read goes out before the rest)."""
    from .. import STREAMING

    if isinstance(findings, Sequence):
        for start in range(0, len(findings), BATCH):
            yield list(findings[start : start + BATCH])
        return
    found = iter(findings)
    while batch := list(islice(found, BATCH)):
        STREAMING[0] = True
        yield batch


def streams(fmt: str, stream: IO[str] | None = None) -> bool:
    """Whether format ``fmt`` writes findings as they come to ``stream`` (stdout): not
    on a terminal, where a spinner shows until they are all made, except the table,
    which draws its rows as they come below its own spinner (``spins``)."""
    stream = stream or sys.stdout
    try:
        tty = stream.isatty()
    except (AttributeError, ValueError):
        tty = False
    formatter = FORMATTERS[fmt]
    return formatter.streams and (formatter.spins or not tty)


def spins(fmt: str) -> bool:
    """Whether format ``fmt`` shows its own spinner while findings come (``Run.progress``)."""
    return FORMATTERS[fmt].spins


def render(
    findings: Iterable[Finding],
    fmt: str,
    *,
    tool: str = "refbook",
    rules: Mapping[str, str] | None = None,
    passed: Iterable[str] = (),
    extra: Mapping[str, Any] | None = None,
    widths: Mapping[str, int] | None = None,
    progress: str = "",
    stream: IO[str] | None = None,
) -> None:
    """Write ``findings`` to ``stream`` (stdout) in format ``fmt`` (a name in ``NAMES``):
    a list, or an iterator (written as they come by the formats that can: ``streams``);
    ``widths`` and ``progress``: see ``Run``."""
    try:
        formatter = FORMATTERS[fmt]
    except KeyError:
        raise ValueError(f"unknown format {fmt!r}") from None
    run = Run(
        tool, dict(rules or {}), list(passed), dict(extra or {}), dict(widths or {}), progress
    )
    formatter.render(findings, run, stream or sys.stdout)


# the formats' own functions, for the Python API (``sarif(findings)`` is a dict)
def github_line(f: Finding) -> str:
    from .github import github_line as line

    return line(f)


def sarif(
    findings: Sequence[Finding], *, tool: str = "refbook", rules: Mapping[str, str] | None = None
) -> dict[str, Any]:
    from .sarif_doc import sarif_document

    return sarif_document(findings, Run(tool, dict(rules or {})))


def junit(findings: Sequence[Finding], *, tool: str = "refbook", passed: Iterable[str] = ()) -> str:
    from .junit_doc import junit_document

    return junit_document(findings, Run(tool, passed=list(passed)))


def markdown(findings: Sequence[Finding], *, tool: str = "refbook") -> str:
    from .markdown_doc import markdown_document

    return markdown_document(findings, Run(tool))
