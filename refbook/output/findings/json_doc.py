"""Findings as one JSON document: ``{"findings": [...], "summary": {...}}`` plus the
command's ``extra`` members."""

from __future__ import annotations

from collections.abc import Sequence
from typing import IO, Any

from ...findings import Finding
from .. import json_text
from . import Run, summary


def render(findings: Sequence[Finding], run: Run, stream: IO[str]) -> None:
    doc: dict[str, Any] = {
        "findings": [f.to_dict() for f in findings],
        "summary": summary(findings),
    }
    doc.update(run.extra)
    stream.write(json_text(doc) + "\n")
