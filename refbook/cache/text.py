"""What the cache reads from the .bib's text itself, for lint: the suppression comments
(``% refbook: ignore[rule]``) right above entries, found by scanning the bytes between
entries (the entries' byte spans are in the cache) rather than by parsing the file."""

from __future__ import annotations

import bisect
import re
from typing import Any

_MARK = re.compile(rb"refbook:\s*ignore\[")
_BLOCK = 1 << 22


def _marks(path: str) -> list[int]:
    """Byte offsets of every ``refbook: ignore[`` in the file (read in blocks)."""
    found: list[int] = []
    overlap = 64
    with open(path, "rb") as fh:
        base = 0
        tail = b""
        while True:
            data = fh.read(_BLOCK)
            if not data:
                break
            window = tail + data
            start = base - len(tail)
            found += [start + m.start() for m in _MARK.finditer(window) if m.end() > len(tail)]
            tail = window[-overlap:]
            base += len(data)
    return sorted(set(found))


def suppressions(lib: Any) -> dict[str, set[str]]:
    """As ``refbook.lint.suppressions`` on the parsed file: for each entry, the rule ids of
    the ``%`` comment lines right above it.  The text between two entries is read by byte
    span; when another block (an ``@``) may end among the comment lines, the file is
    parsed as without a cache."""
    from ..lint import suppressions as parsed_suppressions
    from ..lint import tail_suppressions

    marks = _marks(lib.path)
    if not marks:  # the usual case: no suppression anywhere
        return {}
    spans = lib.spans()
    starts = [s for _, s, _ in spans]
    wanted = set()
    for mark in marks:
        i = bisect.bisect_right(starts, mark)
        if (i and mark < spans[i - 1][2]) or i == len(spans):
            continue  # inside an entry (a value), or after the last one: no suppression
        wanted.add(i)
    out: dict[str, set[str]] = {}
    for i in sorted(wanted):
        begin = spans[i - 1][2] if i else 0
        text = lib.source_text(begin, spans[i][1])
        if not i:
            text = text.removeprefix("\ufeff")
        if "@" in text and not _tail_is_text(text):
            from ..model import load  # where the block above ends: as the parser reads it

            return parsed_suppressions(load(lib.path, lib.encoding).bib)
        ids = tail_suppressions(text)
        if ids:
            out[spans[i][0] or ""] = ids
    return out


def _tail_is_text(text: str) -> bool:
    """Whether the ``%`` lines that end ``text`` surely lie in the text right above the
    entry, and stop where the parser's text block stops them: no block starts or ends
    among them (no ``@``, ``}`` or ``)``), and the line above them is no comment line,
    nor can a part of it be one (no ``%``, or no block ending on it)."""
    lines = text.rstrip().splitlines()
    i = len(lines)
    while i and lines[i - 1].lstrip().startswith("%"):
        i -= 1
    if any(c in line for line in lines[i:] for c in "@})"):
        return False
    stop = lines[i - 1] if i else ""
    return "%" not in stop or not any(c in stop for c in "@})")
