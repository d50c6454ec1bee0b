"""The lint rules as ``lint --list-rules`` shows them: a table, or JSON objects."""

from __future__ import annotations

from collections.abc import Sequence
from typing import IO, TYPE_CHECKING

from . import JSON, emit_json, emit_table

if TYPE_CHECKING:
    from ..lint import Rule


def render_rules(rules: Sequence[Rule], mode: str, stream: IO[str] | None = None) -> None:
    if mode == JSON:
        emit_json(
            [
                {
                    "id": r.id,
                    "family": r.family,
                    "severity": r.severity,
                    "fixable": r.fixable,
                    "doc": r.doc,
                }
                for r in rules
            ],
            stream,
        )
        return
    rows = [(r.id, r.family, r.severity, "yes" if r.fixable else "", r.doc) for r in rules]
    emit_table(("rule", "family", "severity", "fix", "description"), rows, mode, stream=stream)
