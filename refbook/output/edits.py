"""Reports of edits: annotate, tag, set, unset, rm, rename, edit, merge, add, fmt.

Plain mode keeps the Unix habit of quiet success (plus whatever line a command has to
say, such as the keys ``add`` created); ``--json`` always gives the same object, so that
scripts can tell what changed and where:

    {"path": "references.bib", "saved": true,
     "changes": [{"change": "modified", "key": "zahid2023dealing", "line": 320}], ...}
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from typing import IO, Any

from . import JSON, emit_document, emit_json, emit_lines, warn


def render_edit(
    path: str | os.PathLike | None,
    changes: Sequence,
    mode: str,
    *,
    saved: bool | None = None,
    lines: Iterable[str] = (),
    extra: dict[str, Any] | None = None,
    notes: Iterable[str] = (),
    stream: IO[str] | None = None,
) -> None:
    """``changes`` are ``store.Change`` records; ``saved`` defaults to "anything changed";
    ``notes`` go to stderr in every mode (what was done besides the .bib)."""
    for note in notes:
        warn(note)
    if mode == JSON:
        emit_json(
            {
                "path": str(path) if path is not None else None,
                "saved": bool(changes) if saved is None else saved,
                "changes": [c.to_dict() for c in changes],
                **(extra or {}),
            },
            stream,
        )
    else:
        emit_lines(lines, stream)


def render_fmt(report: dict[str, Any], mode: str, stream: IO[str] | None = None) -> None:
    """One file's ``refbook fmt`` result; in JSON mode the command prints the list of
    reports at the end instead."""
    if mode == JSON:
        return
    if "would_change" in report:
        lines = [
            f"{report['name']}:{e['line']}: would reformat {e['key']}" for e in report["entries"]
        ]
        if report["would_change"] and not report["entries"]:
            lines.append(f"{report['name']}: would reformat (spacing between entries)")
        emit_lines(lines, stream)
    elif "diff" in report:
        emit_document(report["diff"], stream)
    elif "text" in report:
        emit_document(report["text"], stream)


def render_fixes(
    path: str, count: int, patch: str | None = None, stream: IO[str] | None = None
) -> None:
    """What ``lint --fix`` did to ``path``: with ``patch`` (``--dry-run``) the diff it
    would write on stdout, and the number of fixes on stderr."""
    if patch is None:
        warn(f"{count} fix(es) applied to {path}")
        return
    emit_document(patch, stream)
    warn(f"{count} fix(es) would be applied (dry run: nothing written)")
