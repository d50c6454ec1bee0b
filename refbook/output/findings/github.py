"""Findings as GitHub Actions workflow commands (``::error file=…,line=…,title=…::message``),
which show as annotations on the pull request."""

from __future__ import annotations

from collections.abc import Iterable
from typing import IO

from ...findings import Finding, Severity
from .. import visible
from . import Run, batches

LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def _escape_data(s: str) -> str:
    # control characters visible (GitHub's log viewer reads ANSI escapes), then the
    # workflow-command escapes of %, CR and LF
    return visible(s).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_prop(s: str) -> str:
    return _escape_data(s).replace(":", "%3A").replace(",", "%2C")


def github_line(f: Finding) -> str:
    """One finding as one workflow command."""
    props = [f"file={_escape_prop(f.path)}"]
    if f.line is not None:
        props.append(f"line={f.line}")
    if f.column is not None:
        props.append(f"col={f.column}")
    title = f"{f.key} [{f.rule}]" if f.key else f"[{f.rule}]"
    props.append(f"title={_escape_prop(title)}")
    return f"::{LEVELS[f.severity]} {','.join(props)}::{_escape_data(f.message)}"


def render(findings: Iterable[Finding], run: Run, stream: IO[str]) -> None:
    for batch in batches(findings):  # a batch per write (plain.py says why)
        stream.write("".join(github_line(f) + "\n" for f in batch))
