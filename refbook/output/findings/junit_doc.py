"""Findings as JUnit XML: one test case per finding (errors fail), plus a passing case
for each thing checked without a finding."""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from typing import IO
from xml.sax.saxutils import escape
from xml.sax.saxutils import quoteattr as _quoteattr

from ...findings import Finding, Severity
from .. import visible
from . import Run, batches

_NOT_XML = re.compile("[\ufffe\uffff]")


def _xml_text(s: str) -> str:
    """Text XML 1.0 can hold: control characters (which not even a character reference
    may name there) visible, and the two non-characters too."""
    return _NOT_XML.sub(lambda m: f"\\u{ord(m.group()):04x}", visible(s))


def quoteattr(s: str) -> str:
    return _quoteattr(_xml_text(s))


def _case(f: Finding) -> str:
    name = f"{f.key or f.path} [{f.rule}]"
    body = escape(_xml_text(f.line_text()))
    if f.severity is Severity.ERROR:
        inner = f"<failure message={quoteattr(f.message)} type={quoteattr(f.rule)}>{body}</failure>"
    else:
        inner = f"<system-out>{body}</system-out>"
    return f"    <testcase classname={quoteattr(f.path)} name={quoteattr(name)}>{inner}</testcase>"


def junit_document(findings: Sequence[Finding], run: Run) -> str:
    out = io.StringIO()
    render(findings, run, out)
    return out.getvalue()


def render(findings: Sequence[Finding], run: Run, stream: IO[str]) -> None:
    """The document, its test cases written a batch at a time (the counts come first)."""
    tool = quoteattr(run.tool)
    failures = sum(f.severity is Severity.ERROR for f in findings)
    total = len(findings) + len(run.passed)
    stream.write(
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<testsuites name={tool} tests="{total}" failures="{failures}">\n'
        f'  <testsuite name={tool} tests="{total}" failures="{failures}" errors="0">\n'
    )
    for batch in batches(findings):
        stream.write("".join(_case(f) + "\n" for f in batch))
    passed = (f"    <testcase classname={tool} name={quoteattr(name)}/>\n" for name in run.passed)
    stream.write("".join(passed) + "  </testsuite>\n</testsuites>\n")
