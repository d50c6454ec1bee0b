"""The lint runner: the rules over a library, the findings given in file order as they
are made, never all held at once.

Two passes over the entries, each reading one entry at a time (a cached library's rows
from SQLite as a stream): the first feeds the rules over the whole library
(``lint.library``: compact facts) and the proper nouns the file protects; the second
runs the per-entry rules, and reports there the rules over the whole library on the
entries they flagged.  The findings go out sorted by line, column and rule (ties in the
order the rules made them, as a sort of all of them gives): every finding of an entry
lies on its lines, and entries come in file order, so a finding is written once the pass
has reached the entry whose first line is past it.
"""

from __future__ import annotations

import bisect
import datetime as _dt
import heapq
import re
from array import array
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from ..findings import Finding
from ..model import Entry
from .library import Flag, LibraryPass
from .registry import RULES, Context, Issue, Rule
from .titles import WORD_FIELDS, ProtectedWords

if TYPE_CHECKING:
    from ..cache.library import CachedLibrary
    from ..model import Library

# a finding waiting for its place: (line, column, rule, two numbers for the order the
# rules made it in, the finding)
_Waiting = tuple[int, int, str, int, int, Finding]


def lint_findings(
    lib: Library | CachedLibrary,
    rules: list[Rule] | None = None,
    *,
    today: _dt.date | None = None,
    fixes: list[tuple[str, str, str]] | None = None,
) -> Iterator[Finding]:
    """The findings of ``rules`` over ``lib`` (parse problems as ``syntax`` findings
    among them), sorted by line, column and rule; ``fixes``: a list to add the safe
    fixes to (``--fix``)."""
    from . import suppressions

    rules = list(RULES.values()) if rules is None else rules
    ctx = Context(today=today or _dt.date.today())
    cached = not hasattr(lib, "bib")
    rows: _Rows = _CachedRows(lib) if cached else _ParsedRows(lib)  # type: ignore[arg-type]
    skip = lib.suppressions() if cached else suppressions(lib.bib)  # type: ignore[union-attr]
    report = _Report(lib.path, skip, fixes is not None)
    waiting: list[_Waiting] = []
    # parse problems that a rule reports (duplicate-string, duplicate-field) follow that
    # rule's selection and suppressions
    head = [p for p in lib.problems if p.rule not in RULES]
    passes: list[tuple[Rule, LibraryPass]] = []
    for r in rules:
        if r.check_file is not None:  # it reads the file's problems (a cached one has them)
            file = lib if cached else lib.bib  # type: ignore[union-attr]
            head += [
                Finding(lib.path, i.line, r.severity, r.id, i.message, i.key)
                for i in r.check_file(file, ctx)
            ]
        elif r.library_pass is not None:
            passes.append((r, r.library_pass(ctx)))
    for n, f in enumerate(head):
        _wait(waiting, f, n, 0)
    words = ProtectedWords() if any(r.id == "unprotected-proper-noun" for r in rules) else None
    if passes or words is not None:
        for at, e in enumerate(rows.first()):
            for _, found in passes:
                found.see(at, e)
            if words is not None:
                words.see(e)
        if words is not None:
            ctx.protected_words = words.found()
    flagged = _Flagged(rows, passes)
    per_entry = [r for r in rules if r.check is not None]
    for at, e in enumerate(rows.second()):
        while waiting and waiting[0][0] < e.line:
            yield heapq.heappop(waiting)[-1]
        flagged.reach(at, e)
        for r, n, issue in flagged.issues(at, e):
            _wait(waiting, report.finding(r, e, issue), n, 0)
        n = 0
        for r in per_entry:
            for issue in r.check(e, ctx):  # type: ignore[misc]
                _wait(waiting, report.finding(r, e, issue), at, n)
                n += 1
    while waiting:
        yield heapq.heappop(waiting)[-1]
    if fixes is not None:
        fixes += report.fixes


def _wait(waiting: list[_Waiting], f: Finding | None, first: int, second: int) -> None:
    if f is not None:
        heapq.heappush(waiting, (f.line or 0, f.column or 0, f.rule, first, second, f))


class _Rows:
    """The library's entries for the two passes, one at a time, and again by place."""

    def first(self) -> Iterator[Any]:
        raise NotImplementedError

    def second(self) -> Iterator[Any]:
        raise NotImplementedError

    def narrow(self, names: tuple[str, ...]) -> Iterator[Any]:
        """The entries again, in file order, asked for the values of ``names`` alone."""
        raise NotImplementedError

    def entry_at(self, at: int) -> Any:
        raise NotImplementedError

    def last_of_key(self) -> dict[int, int]:
        """For each entry whose key a later entry has too (the same case): the place of
        the last one (the rules over the whole library name entries by key: their
        findings are reported at the last entry of that key, as they always were)."""
        raise NotImplementedError


class _ParsedRows(_Rows):
    def __init__(self, lib: Library) -> None:
        self.entries: list[Entry] = list(lib)

    def first(self) -> Iterator[Entry]:
        return iter(self.entries)

    def second(self) -> Iterator[Entry]:
        return iter(self.entries)

    def narrow(self, names: tuple[str, ...]) -> Iterator[Entry]:
        return iter(self.entries)

    def entry_at(self, at: int) -> Entry:
        return self.entries[at]

    def last_of_key(self) -> dict[int, int]:
        last = {e.key: at for at, e in enumerate(self.entries)}
        return {at: last[e.key] for at, e in enumerate(self.entries) if last[e.key] != at}


class _CachedRows(_Rows):
    """A cached library's rows, read as a stream in file order (what each pass asks of
    an entry in one query), each entry let go once the pass moves on."""

    def __init__(self, lib: CachedLibrary) -> None:
        self.lib = lib
        self.ords = array("q")  # each place's ord, filled by the first pass read

    def _pass(self, columns: tuple[str, ...]) -> Iterator[Any]:
        record = not self.ords
        for e in self.lib.read_parts(iter(self.lib), columns):
            if record:
                self.ords.append(e.ord)
            yield e

    def first(self) -> Iterator[Any]:
        if not self.ords:
            for e in self.narrow(_FIRST_FIELDS):
                self.ords.append(e.ord)
                yield e
            return
        yield from self.narrow(_FIRST_FIELDS)

    def narrow(self, names: tuple[str, ...]) -> Iterator[Any]:
        for e, values in self.lib.read_values(iter(self.lib), names):
            yield _Narrow(e, dict(zip(names, values)))

    def second(self) -> Iterator[Any]:
        return self._pass(("item", "lint"))

    def entry_at(self, at: int) -> Any:
        return self.lib.entry_by_ord(self.ords[at])

    def last_of_key(self) -> dict[int, int]:
        out: dict[int, int] = {}
        for ords in self.lib.repeated_keys():
            last = bisect.bisect_left(self.ords, ords[-1])
            for ord_ in ords[:-1]:
                out[bisect.bisect_left(self.ords, ord_)] = last
        return out


# the fields the first pass reads: the rules over the whole library's (``see``; a name
# not among them is read from the whole record, as before) and the protected words'
_FIRST_FIELDS = ("doi", *WORD_FIELDS)


class _Narrow:
    """A cached entry with some of its values read out of its record by SQLite (no
    record decoded); what else is asked of it, the entry answers."""

    __slots__ = ("entry", "values")

    def __init__(self, entry: Any, values: dict[str, str | None]) -> None:
        self.entry = entry
        self.values = values

    def get(self, name: str, default: Any = None) -> Any:
        name = name.lower()
        if name not in self.values:
            return self.entry.get(name, default)
        value = self.values[name]
        return default if value is None else value

    def __getitem__(self, name: str) -> str:
        value = self.get(name)
        if value is None:
            raise KeyError(name)
        return value

    def __getattr__(self, name: str) -> Any:
        return getattr(self.entry, name)


class _Flagged:
    """The flags of the rules over the whole library, by the place of the entry they
    are reported at, given as the second pass reaches it (kept in arrays: the
    generated 100k library has 134k of them)."""

    def __init__(self, rows: _Rows, passes: list[tuple[Rule, LibraryPass]]) -> None:
        self.rows = rows
        self.rules: list[tuple[Rule, LibraryPass, _Flags]] = []
        self.named: dict[int, _Name] = {}  # the entries messages name: key and line
        self.wanted: set[int] = set()
        moved: dict[int, int] | None = None
        for r, found in passes:
            flags = _Flags()
            for n, flag in enumerate(found.flags(rows.entry_at)):
                flags.add(n, flag)
            if flags.at and moved is None:
                moved = rows.last_of_key()
            flags.arrange(moved or {})
            self.rules.append((r, found, flags))
            self.wanted.update(o for o in flags.other if o >= 0)

    def reach(self, at: int, e: Any) -> None:
        if at in self.wanted:
            self.named[at] = _Name(e.key, e.line)

    def issues(self, at: int, e: Any) -> Iterator[tuple[Rule, int, Issue]]:
        """The issues reported at entry ``e`` (at place ``at``), rule by rule, each with
        its rank in the order its rule made them."""
        for r, found, flags in self.rules:
            for n, flagged_at, other_at in flags.take(at):
                flagged = e if flagged_at == at else self.rows.entry_at(flagged_at)
                text = flags.texts.get(n)
                if text is None:
                    other = self.named.get(other_at) or self.rows.entry_at(other_at)
                    text = found.message(flagged, other)
                yield r, n, Issue(text, found.field, key=flagged.key)


class _Flags:
    """One rule's flags: the flagged entries' places, the places their messages name,
    the messages made already; ``arrange``d by the place each is reported at."""

    def __init__(self) -> None:
        self.at = array("q")
        self.other = array("q")
        self.texts: dict[int, str] = {}
        self.rank = array("q")  # each flag's number in the rule's order, in place order
        self.where = array("q")  # the place each is reported at, in place order
        self.next = 0

    def add(self, n: int, flag: Flag) -> None:
        self.at.append(flag.at)
        self.other.append(flag.other if flag.text is None else -1)
        if flag.text is not None:
            self.texts[n] = flag.text

    def arrange(self, moved: dict[int, int]) -> None:
        where = [moved.get(at, at) for at in self.at] if moved else self.at
        if all(a <= b for a, b in zip(where, where[1:])):
            self.rank = array("q", range(len(where)))
            self.where = array("q", where)
            return
        order = sorted(range(len(where)), key=lambda n: (where[n], n))
        self.rank = array("q", order)
        self.where = array("q", (where[n] for n in order))

    def take(self, at: int) -> Iterator[tuple[int, int, int]]:
        """(number, flagged place, named place) of the flags reported at place ``at``."""
        i = self.next
        while i < len(self.where) and self.where[i] == at:
            n = self.rank[i]
            yield n, self.at[n], self.other[n]
            i += 1
        self.next = i


class _Name:
    __slots__ = ("key", "line")

    def __init__(self, key: str, line: int) -> None:
        self.key = key
        self.line = line


_LINE_END = re.compile(r"\r\n|\r|\n")  # every line ending, CR included
_FIELD_STARTS: dict[str, re.Pattern[str]] = {}


def _field_start(field_name: str) -> re.Pattern[str]:
    found = _FIELD_STARTS.get(field_name)
    if found is None:
        found = _FIELD_STARTS[field_name] = re.compile(rf"(?i)\b{re.escape(field_name)}\s*=\s*")
    return found


def _position(
    entry: Entry, field_name: str | None, lines: list[str] | None = None
) -> tuple[int, int | None]:
    """Line and column of a field's value in the file (or of the entry); ``lines``: the
    entry's source split into lines, when split already."""
    if not field_name or entry.raw(field_name) is None:
        return entry.line, None
    line = entry.field_line(field_name)
    if lines is None:
        lines = _LINE_END.split(entry.source)
    index = line - entry.line
    if 0 <= index < len(lines):
        m = _field_start(field_name).search(lines[index])
        if m:
            return line, m.end() + 1
    return line, None


class _Report:
    """The findings and fixes of one run, issue by issue."""

    def __init__(self, path: str, skip: dict[str, set[str]], fixes: bool) -> None:
        self.path = path
        self.skip = skip
        self.want_fixes = fixes
        self.findings: list[Finding] = []
        self.fixes: list[tuple[str, str, str]] = []
        self.split: tuple[Any, list[str] | None] = (None, None)  # an entry and its lines

    def add(self, r: Rule, e: Entry, issue: Issue) -> None:
        found = self.finding(r, e, issue)
        if found is not None:
            self.findings.append(found)

    def finding(self, r: Rule, e: Entry, issue: Issue) -> Finding | None:
        """The finding of ``issue`` about entry ``e`` (its fix noted), or None when
        suppressed or about an inherited field."""
        skip = self.skip.get(e.key, ())
        if r.id in skip or r.family in skip:
            return None
        if issue.field and e.raw(issue.field) is None and e.inherited_from(issue.field):
            return None  # a crossref/xdata parent's field: reported (and fixed) there
        if issue.line:
            line, col = issue.line, None
        else:
            if e is not self.split[0]:  # an entry's findings come together: split it once
                self.split = (e, None)
            if self.split[1] is None and issue.field and e.raw(issue.field) is not None:
                self.split = (e, _LINE_END.split(e.source))
            line, col = _position(e, issue.field, self.split[1])
        if self.want_fixes and issue.fix is not None and not e.duplicate_fields() and _editable(e):
            self.fixes.append((e.key, *issue.fix))  # (not in an entry that waits for a hand fix)
        return Finding(self.path, line, r.severity, r.id, issue.message, e.key, col)


def _editable(entry: Entry) -> bool:
    """True when the store can edit the entry's text field by field (not when refbook's
    field scanner cannot split it: a fix there would fail; the finding stays)."""
    from ..bibtex import BibSyntaxError, scan_entry

    try:
        scan_entry(entry.source)
    except BibSyntaxError:
        return False
    return True
