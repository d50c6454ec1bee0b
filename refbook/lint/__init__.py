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
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..findings import Finding
from ..model import Entry

# isort: off
# the rules register themselves on import, in this order (``--list-rules`` shows it)
from . import fields, dois, strings, titles, urls, numbers, characters, authors  # noqa: F401

# isort: on
from .registry import RULES, Context, Issue, Rule, rule
from .titles import protected_words

if TYPE_CHECKING:
    from ..cache.records import CachedLibrary
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


def _position(entry: Entry, field_name: str | None) -> tuple[int, int | None]:
    """Line and column of a field's value in the file (or of the entry)."""
    if not field_name or entry.raw(field_name) is None:
        return entry.line, None
    line = entry.field_line(field_name)
    lines = re.split(r"\r\n|\r|\n", entry.source)  # every line ending, CR included
    index = line - entry.line
    if 0 <= index < len(lines):
        m = re.search(rf"(?i)\b{re.escape(field_name)}\s*=\s*", lines[index])
        if m:
            return line, m.end() + 1
    return line, None


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
    findings.  ``fixes``: also collect the safe fixes (``--fix``)."""
    rules = list(RULES.values()) if rules is None else rules
    ctx = Context(today=today or _dt.date.today())
    cached = not hasattr(lib, "bib")
    entries: list[Entry] = _Released(lib) if cached else list(lib)  # type: ignore[arg-type]
    per_entry = [r for r in rules if r.check is not None]
    if any(r.id == "unprotected-proper-noun" for r in rules):
        ctx.protected_words = protected_words(entries)
    skip = lib.suppressions() if cached else suppressions(lib.bib)  # type: ignore[union-attr]
    # parse problems that a rule reports (duplicate-string, duplicate-field) follow that
    # rule's selection and suppressions
    report = _Report(lib.path, skip, fixes)
    report.findings += [p for p in lib.problems if p.rule not in RULES]
    by_key = {e.key: e for e in (list.__iter__(entries) if cached else entries)}
    for r in rules:
        if r.check_file is not None:  # it reads the file's problems (a cached one has them)
            file = lib if cached else lib.bib  # type: ignore[union-attr]
            report.findings += [
                Finding(lib.path, i.line, r.severity, r.id, i.message, i.key)
                for i in r.check_file(file, ctx)
            ]
        elif r.check_all is not None:
            for issue in r.check_all(entries, ctx):
                report.add(r, by_key[issue.key], issue)
                if cached:  # what the finding read of it, let go
                    by_key[issue.key]._keep(LIBRARY_FIELDS)  # type: ignore[attr-defined]
    for e in entries.with_lint() if cached else entries:  # type: ignore[attr-defined]
        # entry by entry: a cached entry is read once, then let go
        for r in per_entry:
            for issue in r.check(e, ctx):  # type: ignore[misc]
                report.add(r, e, issue)
    report.findings.sort(key=lambda f: (f.line or 0, f.column or 0, f.rule))
    return LintResult(report.findings, report.fixes)


# what the rules over the whole library (and protected_words) read of every entry: a
# cached entry keeps these values between their passes (any other is read again)
LIBRARY_FIELDS = frozenset(
    ("title", "subtitle", "booktitle", "abstract", "keywords", "note", "doi", "journal")
    + ("journaltitle", "author", "editor")
)


class _Released(list):
    """A cached library's entries for lint: the first pass of the rules over the whole
    library reads their values in one query and each entry keeps only LIBRARY_FIELDS'
    (the later passes read nothing); the pass of the per-entry rules reads values and
    lint records in one query and lets each entry go: memory stays flat at 100k."""

    def __init__(self, lib: CachedLibrary) -> None:
        super().__init__(lib)
        self.lib = lib
        self.kept = False  # each entry keeps LIBRARY_FIELDS after a whole pass

    def __iter__(self) -> Iterator[Any]:
        if self.kept:
            return self._trimmed()
        return self._kept_pass()

    def _kept_pass(self) -> Iterator[Any]:
        for e in self.lib.read_parts(list.__iter__(self), ("item",)):
            yield e
            e._keep(LIBRARY_FIELDS)
        self.kept = True

    def _trimmed(self) -> Iterator[Any]:
        """The later passes: each entry lets go again of what the pass read besides the
        kept values (author-spelling's parsed names: ~200 MB at 100k if all were kept)."""
        for e in list.__iter__(self):
            yield e
            e._keep(LIBRARY_FIELDS)

    def with_lint(self) -> Iterator[Any]:
        return self._pass(("item", "lint"))

    def _pass(self, columns: tuple[str, ...]) -> Iterator[Any]:
        for e in self.lib.read_parts(list.__iter__(self), columns):
            yield e
            e._reset()


class _Report:
    """The findings and fixes of one run, issue by issue."""

    def __init__(self, path: str, skip: dict[str, set[str]], fixes: bool) -> None:
        self.path = path
        self.skip = skip
        self.want_fixes = fixes
        self.findings: list[Finding] = []
        self.fixes: list[tuple[str, str, str]] = []

    def add(self, r: Rule, e: Entry, issue: Issue) -> None:
        skip = self.skip.get(e.key, ())
        if r.id in skip or r.family in skip:
            return
        if issue.field and e.raw(issue.field) is None and e.inherited_from(issue.field):
            return  # a crossref/xdata parent's field: reported (and fixed) there
        line, col = (issue.line, None) if issue.line else _position(e, issue.field)
        self.findings.append(Finding(self.path, line, r.severity, r.id, issue.message, e.key, col))
        if self.want_fixes and issue.fix is not None and not e.duplicate_fields() and _editable(e):
            self.fixes.append((e.key, *issue.fix))  # (not in an entry that waits for a hand fix)


def _editable(entry: Entry) -> bool:
    """True when the store can edit the entry's text field by field (not when refbook's
    field scanner cannot split it: a fix there would fail; the finding stays)."""
    from ..bibtex import BibSyntaxError, scan_entry

    try:
        scan_entry(entry.source)
    except BibSyntaxError:
        return False
    return True


def apply_fixes(bib: BibFile, fixes: list[tuple[str, str, str]]) -> int:
    """Apply safe fixes to a ``BibFile`` (several fixes of one field: the last one wins,
    after the others, so acronym braces and a dash fix combine)."""
    done = 0
    for key, field_name, value in fixes:
        bib.set_field(key, field_name, value)
        done += 1
    return done
