"""Findings one per line, as compilers write them: ``file:line:col: severity: [rule]
KEY: message``."""

from __future__ import annotations

from collections.abc import Iterable
from typing import IO

from ...findings import Finding
from .. import visible
from . import Run, batches


def render(findings: Iterable[Finding], run: Run, stream: IO[str]) -> None:
    # a batch of lines per write: stdout may be unbuffered (PYTHONUNBUFFERED), and the
    # whole text of 190,000 findings at once is not needed
    for batch in batches(findings):
        stream.write(visible("".join(f.line_text() + "\n" for f in batch)))
