"""The findings of an edited .bib buffer's chunks (``bibbuffer``): each chunk's kept with
lines counted from its first line and placed in the text when published, and what the
server publishes of them when there are more than it sends (``choose``: at most
``limit``, the edited chunks' first, then the worst and the first in the text, and one
diagnostic saying how many were left out).
"""

from __future__ import annotations

import bisect
import re
from array import array
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any

from ..findings import Finding, Severity

if TYPE_CHECKING:
    from ..lint.registry import Rule
    from .bibbuffer import Piece

# a line number in a parse problem's message, and as ``relative`` keeps it
_LINE_IN = re.compile(r"(\blines? )(\d+(?:(?:, | and )\d+)*)")
_NUMBER = re.compile(r"\d+")
_REL_LINE = re.compile(r"\0(-?\d+)\0")
_SEVERITY_OF = {s.rank: s for s in Severity}


class Lean:
    """A lint finding as a chunk keeps it: ``Finding``'s fields but ``data``, in slots
    (a 100,000-entry file has 235,000 findings: ~70 bytes each instead of ~700);
    ``place`` makes the ``Finding``."""

    __slots__ = ("path", "line", "severity", "rule", "message", "key", "column")

    def __init__(
        self,
        path: str,
        line: int | None,
        severity: Severity,
        rule: str,
        message: str,
        key: str | None = None,
        column: int | None = None,
    ) -> None:
        self.path, self.line, self.severity, self.rule = path, line, severity, rule
        self.message, self.key, self.column = message, key, column

    def finding(self) -> Finding:
        return Finding(
            self.path, self.line, self.severity, self.rule, self.message, self.key, self.column
        )


# a chunk's findings: (its first line, 0-based; the findings, lines relative to it;
# the edit that read it again (0: none; the latest highest); the severities among them)
Chunk = tuple[int, Any, int, frozenset[int]]  # (findings: a list or a ``Run``)


def lint_piece(
    path: str, p: Piece, rules: list[Rule], ctx: Any, skip: dict[str, set[str]], made_with: Any
) -> None:
    """A parsed chunk's per-entry findings (kept while the rules, the proper nouns and
    its entries' suppressions stay the same)."""
    from ..lint import _Report as Report

    mine = (made_with, tuple(frozenset(skip.get(e.key, ())) for e in p.entries))
    if p.linted is not None and p.linted[0] == mine:
        return
    report = Report(path, skip, False)
    for e in p.entries:
        for r in rules:
            for issue in r.check(e, ctx):  # type: ignore[misc]
                report.add(r, e, issue)
    p.linted = (mine, [lean(f, p.base) for f in report.findings])
    p.ranks = frozenset(f.severity.rank for f in p.linted[1])


def library_findings(
    path: str, entries: list[Any], rules: list[Rule], ctx: Any, skip: dict[str, set[str]]
) -> list[Finding]:
    """The findings of the rules over the whole library, over ``entries``."""
    from ..lint import _Report as Report

    by_key = {e.key: e for e in entries}
    report = Report(path, skip, False)
    for r in rules:
        if r.check_all is not None:
            for issue in r.check_all(entries, ctx):
                report.add(r, by_key[issue.key], issue)
    return report.findings


def relative(f: Finding, at: int) -> Finding:
    """A problem of a chunk that starts on line ``at`` (0-based), its line and the lines
    its message names counted from there."""
    from dataclasses import replace

    return replace(f, line=(f.line or 1) - 1 - at, message=_relative_message(f.message, at))


def _relative_message(message: str, at: int) -> str:
    def rel(m: re.Match[str]) -> str:
        return m.group(1) + _NUMBER.sub(lambda n: f"\0{int(n.group(0)) - 1 - at}\0", m.group(2))

    return _LINE_IN.sub(rel, message)


def lean(f: Any, at: int) -> Lean:
    """``relative``, kept as a ``Lean`` finding (``f``: a ``Finding`` or a ``Lean``)."""
    message = _relative_message(f.message, at)
    return Lean(f.path, (f.line or 1) - 1 - at, f.severity, f.rule, message, f.key, f.column)


def place(f: Any, at: int) -> Finding:
    """``relative``'s problem (or a ``Lean`` one) back in the text, its chunk starting
    on line ``at``."""
    from dataclasses import replace

    message = _REL_LINE.sub(lambda m: str(int(m.group(1)) + at + 1), f.message)
    if isinstance(f, Lean):
        line = (f.line or 0) + at + 1
        return Finding(f.path, line, f.severity, f.rule, message, f.key, f.column)
    return replace(f, line=(f.line or 0) + at + 1, message=message)


class Table:
    """Findings as columns: lint's of a large .bib as saved (235,000 at 100,000 entries
    were as many objects, their lines' int objects and the arenas the JSON reading left
    between them: ~100 MB of the server's memory; as columns ~5 MB, each distinct text
    (rule, message, key) once, in one string).  A row is made a ``Lean`` when asked for
    (``table[i]``); rows with a line are in line order once ``by_line`` has put them so."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.lines = array("i")  # 1 where a finding has no line (``lineless``: which)
        self.columns = array("i")  # -1: none
        self.ranks = array("b")  # the severity's ``rank``
        self.rules, self.messages, self.keys = array("i"), array("i"), array("i")  # texts; -1: none
        self.lineless: set[int] = set()
        self._texts: list[str] | None = []  # (while rows are added)
        self._numbers: dict[str, int] | None = {}
        self._joined, self._starts = "", array("q", [0])
        self._by_rank: dict[int, tuple[array[int], array[int]]] | None = None

    @classmethod
    def of(cls, found: Iterable[Any], path: str = "") -> Table:
        """The findings ``found`` (``Finding``s or ``Lean``s) as a table, in their order."""
        table = cls(path)
        for f in found:
            table.add(f.line, f.severity, f.rule, f.message, f.key, f.column)
            table.path = table.path or f.path
        return table.done()

    def add(
        self,
        line: int | None,
        severity: Severity,
        rule: str,
        message: str,
        key: str | None,
        column: int | None,
    ) -> None:
        if line is None:
            self.lineless.add(len(self.lines))
        self.lines.append(1 if line is None else line)
        self.columns.append(-1 if column is None else column)
        self.ranks.append(severity.rank)
        self.rules.append(self._number(rule))
        self.messages.append(self._number(message))
        self.keys.append(-1 if key is None else self._number(key))

    def _number(self, text: str) -> int:
        assert self._numbers is not None and self._texts is not None
        n = self._numbers.get(text)
        if n is None:
            n = self._numbers[text] = len(self._texts)
            self._texts.append(text)
        return n

    def done(self) -> Table:
        """No more rows: the texts kept as one string (a string object per key was 7 MB)."""
        if self._texts is not None:
            self._joined = "".join(self._texts)
            self._starts = array("q", [0])
            for t in self._texts:
                self._starts.append(self._starts[-1] + len(t))
            self._texts = self._numbers = None
        return self

    def _text(self, n: int) -> str:
        return self._joined[self._starts[n] : self._starts[n + 1]]

    def __len__(self) -> int:
        return len(self.lines)

    def __getitem__(self, i: int) -> Lean:
        column, key = self.columns[i], self.keys[i]
        return Lean(
            self.path,
            None if i in self.lineless else self.lines[i],
            _SEVERITY_OF[self.ranks[i]],
            self._text(self.rules[i]),
            self._text(self.messages[i]),
            None if key < 0 else self._text(key),
            None if column < 0 else column,
        )

    def __iter__(self) -> Iterator[Lean]:
        return (self[i] for i in range(len(self)))

    def by_line(self) -> Table:
        """This table with its rows in line order (itself when they are; a row without a
        line counts as on the first, as lint's order keeps it)."""
        lines = self.lines
        if all(lines[i] <= lines[i + 1] for i in range(len(lines) - 1)):
            return self
        order = sorted(range(len(lines)), key=lines.__getitem__)
        out = Table(self.path)
        out._texts = out._numbers = None
        out._joined, out._starts = self._joined, self._starts
        for name in ("lines", "columns", "ranks", "rules", "messages", "keys"):
            column = getattr(self, name)
            setattr(out, name, array(column.typecode, [column[i] for i in order]))
        where = {i: j for j, i in enumerate(order) if i in self.lineless}
        out.lineless = set(where.values())
        return out

    def of_rank(self, rank: int) -> tuple[array[int], array[int]]:
        """The rows of a severity (``rank``), in order, and their lines."""
        if self._by_rank is None:
            made: dict[int, tuple[array[int], array[int]]] = {}
            for i, (r, line) in enumerate(zip(self.ranks, self.lines)):
                rows = made.get(r)
                if rows is None:
                    rows = made[r] = (array("i"), array("i"))
                rows[0].append(i)
                rows[1].append(line)
            self._by_rank = made
        return self._by_rank.get(rank, (array("i"), array("i")))

    def severities(self, a: int = 0, b: int = 1 << 62) -> frozenset[int]:
        """The ranks of the findings on lines ``a``..``b`` (exclusive)."""
        self.of_rank(0)
        assert self._by_rank is not None
        return frozenset(
            rank
            for rank, (_rows, lines) in self._by_rank.items()
            if bisect.bisect_left(lines, a) < bisect.bisect_left(lines, b)
        )

    def run(self, a: int = 0, b: int = 1 << 62) -> Run:
        """The findings on lines ``a``..``b`` (exclusive) of this table (in line order)."""
        lines = self.lines
        return Run(self, bisect.bisect_left(lines, a), bisect.bisect_left(lines, b), a, b)


class Run:
    """Findings of a run of the saved file's chunks: rows ``lo``..``hi`` of a ``Table``
    in line order (on lines ``a``..``b``), lines (and the lines their messages name) as in
    the saved file (``place`` moves them), with those of each severity (``of_rank``) at
    hand: ``choose`` takes the first of a severity without walking the others (a
    100k-entry file's run has 235,000); a finding is made when it is reached."""

    def __init__(self, table: Table, lo: int, hi: int, a: int, b: int) -> None:
        self.table, self.lo, self.hi, self.a, self.b = table, lo, hi, a, b

    def __len__(self) -> int:
        return self.hi - self.lo

    def __iter__(self) -> Iterator[Lean]:
        table = self.table
        return (table[i] for i in range(self.lo, self.hi))

    def of_rank(self, rank: int) -> Iterator[Lean]:
        rows, lines = self.table.of_rank(rank)
        x, y = bisect.bisect_left(lines, self.a), bisect.bisect_left(lines, self.b)
        table = self.table
        return (table[rows[j]] for j in range(x, y))

    @staticmethod
    def place(f: Any, at: int) -> Finding:
        """``f`` moved by ``at`` + 1 lines (``at``: as ``place`` takes it)."""
        by = at + 1
        message = f.message
        if by and "line" in message:
            message = _LINE_IN.sub(
                lambda m: m.group(1) + _NUMBER.sub(lambda n: str(int(n.group(0)) + by), m.group(2)),
                message,
            )
        return Finding(f.path, (f.line or 1) + by, f.severity, f.rule, message, f.key, f.column)


def placer(found: list[Any]) -> Callable[[Any, int], Finding]:
    """How the findings of a chunk (``found``) are put back in the text."""
    return Run.place if isinstance(found, Run) else place


def whole(found: list[Any] | Table) -> Chunk:
    """Findings placed in the text already, as one chunk (``place`` leaves them so; a
    ``Table``'s as one run, by line)."""
    if isinstance(found, Table):
        table = found.by_line()
        return (-1, table.run(), 0, table.severities())
    return (-1, found, 0, frozenset(f.severity.rank for f in found))


def choose(
    head: list[Finding],
    chunks: list[Chunk],
    limit: int,
    edited: Callable[[int], int] | None = None,
) -> tuple[list[Finding], int]:
    """At most ``limit`` (0: no limit) of the findings ``head`` (placed; ``edited``
    says which edit read a line's chunk again) and those of ``chunks`` (``lint_chunks``),
    in the text's order, and how many there are in all.  When there are more: the
    edited chunks' first (the latest edit's first), then by severity (errors first),
    then by position; only those chosen are placed (a 100k-entry file has 235,000)."""
    total = len(head) + sum(len(chunk[1]) for chunk in chunks)
    if not limit or total <= limit:
        out = head + [placer(found)(f, at) for at, found, *_ in chunks for f in found]
    else:
        marked = edited or (lambda line: 0)
        chosen = [(mark, place(f, at)) for at, found, mark, _ in chunks if mark for f in found]
        chosen += [(marked(f.line or 1), f) for f in head]
        seen = {_ident(f) for _, f in chosen}
        picked = 0
        for rank in (3, 2, 1):  # the first of each severity in the text, worst first
            for at, found, mark, ranks in chunks:
                if picked >= limit:
                    break
                if not mark and rank in ranks:
                    run = isinstance(found, Run)  # (by line: taken up to the limit's line)
                    put, line = placer(found), None
                    for f in found.of_rank(rank) if isinstance(found, Run) else found:
                        if run and picked >= limit and f.line != line:
                            break
                        line = f.line
                        if f.severity.rank == rank and _ident(g := put(f, at)) not in seen:
                            seen.add(_ident(g))
                            chosen.append((0, g))
                            picked += 1
        chosen.sort(key=lambda c: (-c[0], -c[1].severity.rank, *_position(c[1]), c[1].message))
        out = _distinct([f for _, f in chosen])[:limit]
    out.sort(key=_position)
    return out, total


def _position(f: Finding) -> tuple[int, int, str]:
    return (f.line or 0, f.column or 0, f.rule)


def _ident(f: Finding) -> tuple[int | None, str, str]:
    return (f.line, f.rule, f.message)


def _distinct(found: list[Finding]) -> list[Finding]:
    """Each (line, rule, message) once, as ``bibfile.bib_diagnostics`` publishes them."""
    seen: set[tuple[Any, ...]] = set()
    out = []
    for f in found:
        if (f.line, f.rule, f.message) not in seen:
            seen.add((f.line, f.rule, f.message))
            out.append(f)
    return out
