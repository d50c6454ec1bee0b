"""Findings as one JSON document: ``{"findings": [...], "summary": {...}}`` plus the
command's ``extra`` members."""

from __future__ import annotations

from collections.abc import Sequence
from typing import IO, Any

from ...findings import Finding
from .. import json_text
from . import BATCH, Run, summary


def render(findings: Sequence[Finding], run: Run, stream: IO[str]) -> None:
    rest: dict[str, Any] = {"summary": summary(findings)}
    rest.update(run.extra)
    if not findings or "findings" in rest:  # (an extra member named so replaces the list)
        stream.write(json_text({"findings": [f.to_dict() for f in findings], **rest}) + "\n")
        return
    # the text json_text gives the whole document, written a batch of findings at a time:
    # at 190,000 findings the document's objects and text took ~400 MB at once
    stream.write('{\n  "findings": [\n')
    for start in range(0, len(findings), BATCH):
        items = (_item(f) for f in findings[start : start + BATCH])
        stream.write((",\n" if start else "") + ",\n".join(items))
    stream.write("\n  ],\n" + json_text(rest)[2:] + "\n")


def _item(f: Finding) -> str:
    """A finding as an item of the document's list: indented two levels."""
    return "    " + json_text(f.to_dict()).replace("\n", "\n    ")
