"""Findings one per line, as compilers write them: ``file:line:col: severity: [rule]
KEY: message``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import IO

from ...findings import Finding
from .. import visible
from . import BATCH, Run


def render(findings: Sequence[Finding], run: Run, stream: IO[str]) -> None:
    # a batch of lines per write: stdout may be unbuffered (PYTHONUNBUFFERED), and the
    # whole text of 190,000 findings at once is not needed
    for start in range(0, len(findings), BATCH):
        batch = findings[start : start + BATCH]
        stream.write(visible("".join(f.line_text() + "\n" for f in batch)))
