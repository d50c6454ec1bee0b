"""Findings one per line, as compilers write them: ``file:line:col: severity: [rule]
KEY: message``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import IO

from ...findings import Finding
from .. import visible
from . import Run


def render(findings: Sequence[Finding], run: Run, stream: IO[str]) -> None:
    # the whole document in one write: stdout may be unbuffered (PYTHONUNBUFFERED)
    stream.write(visible("".join(f.line_text() + "\n" for f in findings)))
