"""Findings as one JSON document: ``{"findings": [...], "summary": {...}}`` plus the
command's ``extra`` members."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import IO, Any

from ...findings import Finding, Severity
from .. import json_text
from . import Run, batches, summary


def render(findings: Iterable[Finding], run: Run, stream: IO[str]) -> None:
    if "findings" in run.extra:  # (an extra member named so replaces the list)
        listed = list(findings)
        document = {"findings": [f.to_dict() for f in listed], "summary": summary(listed)}
        stream.write(json_text({**document, **run.extra}) + "\n")
        return
    # the text json_text gives the whole document, written a batch of findings at a time
    # as they come (the summary last): at 190,000 findings the document's objects and
    # text took ~400 MB at once
    counts: Counter[Severity] = Counter()
    first = True
    for batch in batches(findings):
        counts.update(f.severity for f in batch)
        items = ",\n".join(_item(f) for f in batch)
        stream.write(('{\n  "findings": [\n' if first else ",\n") + items)
        first = False
    rest: dict[str, Any] = {"summary": {s.value: counts.get(s, 0) for s in Severity}}
    rest.update(run.extra)
    if first:  # no finding
        stream.write(json_text({"findings": [], **rest}) + "\n")
        return
    stream.write("\n  ],\n" + json_text(rest)[2:] + "\n")


def _item(f: Finding) -> str:
    """A finding as an item of the document's list: indented two levels."""
    return "    " + json_text(f.to_dict()).replace("\n", "\n    ")
