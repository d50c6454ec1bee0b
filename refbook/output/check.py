"""Rendering of link-check results: a progress bar and a table grouped by verdict on a
terminal; one line per problem when piped; JSON, JUnit, GitHub, Markdown and SARIF."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import IO, Any

from ..findings import Finding, Severity
from ..identifiers import redact
from ..links.verdicts import Result, Verdict
from . import (
    STREAMING,
    RecordText,
    cell,
    console,
    json_record_items,
    json_records_text,
    record_text,
)

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
    "excluded": "Not checked: matches an exclude pattern (--exclude, check.exclude).",
    "retracted": "The cited work has been retracted (Crossref, Retraction Watch).",
    "withdrawn": "The cited work has been withdrawn or removed.",
    "expression-of-concern": "The publisher has issued an expression of concern about the work.",
    "corrected": "The work has a correction (erratum, corrigendum, addendum).",
    "update-notice": "The DOI is a retraction or correction notice, not the work itself.",
    "has-published-version": "The cited preprint has been published (--update-preprints).",
}


def findings(results: Sequence[Result], bib: str, strict: bool = False) -> list[Finding]:
    """A finding for each result that is not ``ok`` (severity and rule from its verdict),
    and a ``doi-metadata`` warning for each field that differs from the DOI's record."""
    out = []
    for r in results:
        rule = r.rule
        if rule is not None:
            what = f"{r.target.kind} {redact(' '.join(r.target.value.split()))}"
            if r.target.field:  # an arXiv e-print's DOI, the entry having no doi field
                what += f" (from {r.target.field})"
            message = (
                r.message
                if r.message.startswith(("url ", "DOI ")) and not r.target.field
                else f"{what}: {r.message}"
            )
            message = " ".join(message.split())  # one line, whatever the URL held
            out.append(Finding(bib, r.target.line, r.severity(strict), rule, message, r.target.key))
        for w in r.warnings:
            out.append(
                Finding(
                    bib,
                    r.target.line,
                    Severity.WARNING,
                    "doi-metadata",
                    f"doi {r.target.value}: {w}",
                    r.target.key,
                )
            )
    return out


@contextmanager
def progress_bar(total: int) -> Iterator[Callable[[Result], None]]:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    with Progress(
        "[bold]checking",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console(stderr=True),
        transient=True,
    ) as progress:
        task = progress.add_task("check", total=total)
        yield lambda _result: progress.advance(task)


COLOURS = {
    Verdict.OK: "green",
    Verdict.REDIRECTED: "yellow",
    Verdict.BROKEN: "red",
    Verdict.MISMATCH: "red",
    Verdict.BLOCKED: "magenta",
    Verdict.TIMEOUT: "magenta",
    Verdict.RATE_LIMITED: "magenta",
    Verdict.ERROR: "red",
    Verdict.EXCLUDED: "dim",
    Verdict.RETRACTED: "bold red",
    Verdict.WITHDRAWN: "bold red",
    Verdict.CONCERN: "yellow",
    Verdict.CORRECTED: "yellow",
    Verdict.NOTICE: "yellow",
    Verdict.SUPERSEDED: "cyan",
}


class EncodedResults:
    """The JSON records of results, made as the results come in: ``add`` them as they
    come (the checker's ``progress``), ``encode_some`` while the checker waits on the
    network (its ``idle``), and ``render`` finds them made.  Encoding 500 results took
    5-10 ms after the last answer; the checker waits most of the time."""

    def __init__(self) -> None:
        self._new: list[Result] = []
        self._made: dict[int, tuple[Result, RecordText]] = {}  # by id (the result kept)

    def add(self, result: Result) -> None:
        self._new.append(result)

    def encode_some(self) -> bool:
        """A few of the results added encoded; False when none was waiting."""
        if not self._new:
            return False
        for result in self._new[-8:]:
            self._made[id(result)] = (result, record_text(result.to_dict()))
        del self._new[-8:]
        return True

    def record(self, result: Result) -> dict[str, Any] | RecordText:
        made = self._made.get(id(result))
        return made[1] if made is not None and made[0] is result else result.to_dict()


def render(
    results: Sequence[Result],
    fmt: str,
    bib: str,
    strict: bool = False,
    *,
    stream: IO[str] | None = None,
    encoded: EncodedResults | None = None,
) -> None:
    """``results`` on ``stream`` (stdout) in format ``fmt``: check's own JSON schema and
    table of every target, else its findings (``output.findings``); ``encoded``: JSON
    records made already."""
    from .findings import render as render_findings

    problems = findings(results, bib, strict)
    if fmt == "json":
        from collections import Counter

        counted = Counter(r.verdict for r in results)
        made = encoded or EncodedResults()
        doc = {
            "results": [made.record(r) for r in results],
            "summary": {v.value: counted.get(v, 0) for v in Verdict},
            "findings": [f.to_dict() for f in problems],
        }
        (stream or sys.stdout).write(json_records_text(doc) + "\n")  # one write, as emit_json
        return
    if fmt == "table":
        from .tables import Column, draw

        ordered = sorted(results, key=lambda r: (r.verdict.order, r.target.line))
        columns = (
            Column("verdict", widest=max(len(v.value) for v in Verdict)),
            Column("key"),
            Column("line", widest=max((len(str(r.target.line)) for r in results), default=0)),
            Column("kind"),
            Column("target", flexible=True),
            Column("detail", flexible=True),
        )
        rows = (
            (
                cell(r.verdict, COLOURS[r.verdict]),
                r.target.key,
                r.target.line,
                r.target.kind,
                redact(r.target.value),
                r.message + ("".join(f"\n{w}" for w in r.warnings)),
            )
            for r in ordered
        )
        draw(columns, rows, title=f"refbook check: {len(results)} checked", stream=stream)
        return
    passed = [
        f"{r.target.key} {r.target.kind}"
        for r in results
        if r.verdict is Verdict.OK and not r.warnings
    ]
    render_findings(problems, fmt, tool="refbook check", rules=RULES, passed=passed, stream=stream)


def render_each(
    results: Iterable[Result],
    fmt: str,
    bib: str,
    strict: bool = False,
    *,
    stream: IO[str] | None = None,
) -> None:
    """``render``'s text for results as they come (an iterator: ``check --offline``):
    each written, or only its finding kept, as it passes, so that the results are never
    all held (at 100k entries 88,000 results and their JSON document took ~80 MB).  The
    table sorts them by verdict: it takes them all."""
    stream = stream or sys.stdout
    if fmt == "table":
        render(list(results), fmt, bib, strict, stream=stream)
        return
    if fmt == "json":
        _json_each(results, bib, strict, stream)
        return
    from .findings import FORMATTERS
    from .findings import render as render_findings

    passed: list[str] = []  # JUnit's passing cases (the other formats show none)

    def found() -> Iterator[Finding]:
        for r in results:
            if r.verdict is Verdict.OK and not r.warnings:
                passed.append(f"{r.target.key} {r.target.kind}")
            else:
                yield from findings((r,), bib, strict)

    if FORMATTERS[fmt].streams:  # written as they come (``passed`` not written)
        render_findings(found(), fmt, tool="refbook check", rules=RULES, stream=stream)
        return
    problems = list(found())  # (the findings only: a few hundred at 100k entries)
    render_findings(problems, fmt, tool="refbook check", rules=RULES, passed=passed, stream=stream)


def _json_each(results: Iterable[Result], bib: str, strict: bool, stream: IO[str]) -> None:
    """``render``'s JSON document, its results written a batch at a time as they come
    (their summary and findings, which follow them, kept as they pass)."""
    from collections import Counter
    from itertools import islice

    from .findings import BATCH

    counted: Counter[Verdict] = Counter()
    problems: list[Finding] = []

    def noted(batch: list[Result]) -> list[Result]:
        counted.update(r.verdict for r in batch)
        problems.extend(findings(batch, bib, strict))
        return batch

    each = iter(results)
    first = True
    while batch := noted(list(islice(each, BATCH))):
        items = json_record_items(r.to_dict() for r in batch)
        STREAMING[0] = True  # written while the library cache is still being read
        stream.write(('{\n  "results": [\n    ' if first else ",\n    ") + items)
        first = False
    rest = {
        "summary": {v.value: counted.get(v, 0) for v in Verdict},
        "findings": [f.to_dict() for f in problems],
    }
    if first:  # no result
        stream.write(json_records_text({"results": [], **rest}) + "\n")
        return
    stream.write("\n  ],\n" + json_records_text(rest)[2:] + "\n")
