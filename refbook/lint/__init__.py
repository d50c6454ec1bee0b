"""Lint rules: the defects a real reference list has, each a small function.

A rule has a stable id, a family, a default severity, a one-line doc, and a function
``check(entry, ctx)`` that yields ``Issue`` records (message, field, optional safe fix).
Library-wide rules (duplicates, spellings) are ``check_all(entries, ctx)``; rules about
the file's other blocks (``@string``) are ``check_file(file, ctx)`` (the ``BibFile``, or a
cached library's parse problems) and give a line.  Rules
are registered with ``@rule``; ``refbook lint --select/--ignore`` take ids or families.

Findings point at the field's value in the file (line and column).  Safe fixes are field
edits applied through the store (minimal diff, atomic, locked); unsafe changes are never
automatic.  Suppress a rule for one entry with a comment line right above it::

    % refbook: ignore[pages-dash, missing-urldate]

The package: ``registry`` (``RULES``, one registry from rule id to rule, filled by
``@rule``; ``Issue``, ``Context``), the rules by what they look at (``fields``, ``dois``,
``strings``, ``titles``, ``urls``, ``numbers``, ``characters``, ``authors``), and here the
runner: ``select_rules``, ``suppressions``, ``lint``, ``apply_fixes``.
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..findings import Finding

# isort: off
# the rules register themselves on import, in this order (``--list-rules`` shows it)
from . import fields, dois, strings, titles, urls, numbers, characters, authors  # noqa: F401

# isort: on
from .registry import RULES, Context, Issue, Rule, rule
from .runner import _Report, lint_findings  # noqa: F401  (_Report: the language server's)
from .titles import protected_words

if TYPE_CHECKING:
    from ..cache.library import CachedLibrary
    from ..model import Library
    from ..store import BibFile

__all__ = [
    "RULES",
    "Context",
    "Issue",
    "LintResult",
    "Rule",
    "apply_fixes",
    "lint",
    "lint_findings",
    "protected_words",
    "rule",
    "select_rules",
    "suppressions",
    "tail_suppressions",
]


# -- running ------------------------------------------------------------------------------


def select_rules(select: Iterable[str] = (), ignore: Iterable[str] = ()) -> list[Rule]:
    """Rules chosen by id or family; unknown names are a ``UsageError``."""
    from ..errors import UsageError

    names = {r.id for r in RULES.values()} | {r.family for r in RULES.values()}
    for n in [*select, *ignore]:
        if n not in names:
            raise UsageError(
                f"error: unknown lint rule or family {n!r} (see `refbook lint --list-rules`)"
            )
    chosen = [r for r in RULES.values() if not select or r.id in select or r.family in select]
    return [r for r in chosen if r.id not in ignore and r.family not in ignore]


_IGNORE = re.compile(r"%\s*refbook:\s*ignore\[([^\]]*)\]")


def suppressions(bib: BibFile) -> dict[str, set[str]]:
    """``% refbook: ignore[rule, ...]`` in the comment lines right above each entry."""
    out: dict[str, set[str]] = {}
    prev = None
    for blk in bib.blocks:
        if blk.kind == "entry" and prev is not None and prev.kind == "text":
            ids = tail_suppressions(bib.block_text(prev))
            if ids:
                out[blk.key or ""] = ids
        prev = blk
    return out


def tail_suppressions(text: str) -> set[str]:
    """The rule ids named in the ``%`` comment lines that end ``text`` (the text right
    above an entry)."""
    ids: set[str] = set()
    for line in reversed(text.rstrip().splitlines()):
        if not line.lstrip().startswith("%"):
            break
        for m in _IGNORE.finditer(line):
            ids |= {x.strip() for x in m.group(1).split(",") if x.strip()}
    return ids


@dataclass
class LintResult:
    findings: list[Finding]
    fixes: list[tuple[str, str, str]]  # (key, field, new value)


def lint(
    lib: Library | CachedLibrary,
    rules: list[Rule] | None = None,
    *,
    today: _dt.date | None = None,
    fixes: bool = True,
) -> LintResult:
    """Run the rules over a ``Library`` (or one read from the library cache: entries are
    then read one at a time and let go); parse problems come first as ``syntax``
    findings.  ``fixes``: also collect the safe fixes (``--fix``).  ``lint_findings``
    gives the same findings one at a time, never all held."""
    found: list[tuple[str, str, str]] | None = [] if fixes else None
    findings = list(lint_findings(lib, rules, today=today, fixes=found))
    return LintResult(findings, found or [])


def apply_fixes(bib: BibFile, fixes: list[tuple[str, str, str]]) -> int:
    """Apply safe fixes to a ``BibFile`` (several fixes of one field: the last one wins,
    after the others, so acronym braces and a dash fix combine)."""
    done = 0
    for key, field_name, value in fixes:
        bib.set_field(key, field_name, value)
        done += 1
    return done
