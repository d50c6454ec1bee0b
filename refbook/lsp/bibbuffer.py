"""An edited, unsaved .bib buffer read chunk by chunk, as the library cache reads a file.

The text is cut where the cache cuts it (``cache.chunks``: at each line that starts
with ``@``).  A reading keeps each chunk's entries, parse problems and per-entry lint
findings, lines counted from the chunk's first line.  The next reading finds the part
that changed (the text before and after it is the same), cuts it again and parses it
with the ``@string`` chunks above, the chunk before (comments that suppress lint rules)
and the chunk after (what an unclosed entry runs into); the other chunks are kept and
moved by lines.  A large file's first edited reading takes the chunks' entries from the
library cache (rows, nothing parsed).  What depends on the whole file is derived from
the chunks each time: keys, duplicate keys, and (every chunk parsed here) lint's rules
over the whole library.  ``@string`` defined twice, ``crossref``/``xdata``, no entry,
or an edit that changes an ``@string`` definition: the buffer is parsed whole again.
"""

from __future__ import annotations

import bisect
import itertools
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..cache.chunks import _NL_AT, split
from ..cache.source import inherits as _inherits
from ..findings import Finding
from .bibfindings import Chunk, Lean, lean, library_findings, lint_piece, place, relative
from .documents import common_prefix, common_suffix

if TYPE_CHECKING:
    from ..lint.registry import Rule

# parse problems found over the whole file: derived from every chunk, not from one
_FILE_WIDE = ("duplicate-key", "duplicate-string")
_MOVING = threading.Lock()
_EDITS = itertools.count(1)
# an @string definition anywhere (bibtexparser reads one in the middle of a line too)
_STRING_AT = re.compile(r"(?i)@\s*string\s*[{(]")
_STRING_NAME = re.compile(r"(?i)@\s*string\s*[{(]\s*([^\s=#{}(),\"]+)")
_STRING_DEF = re.compile(r"(?i)@\s*string\s*[{(][^@]*")


@dataclass(eq=False)
class Piece:
    """One chunk of the buffer as read; lines are counted from the chunk's first line
    (0 for that line)."""

    entries: list[Any]  # model.Entry (parsed here) or cache RecordEntry (the saved file)
    rel_lines: list[int]  # each entry's line
    problems: list[Finding]  # parse problems (line relative), file-wide ones left out
    string: bool = False  # a chunk with an @string definition
    names: tuple[str, ...] = ()  # the macros it defines (lower case)
    base: int = 0  # parsed: the chunk's first line (0-based) in the text parsed
    spans: list[tuple[int, int]] | None = None  # parsed: each entry's characters in the chunk
    saved_line: int = 0  # a cached entry's line - 1 - this: its relative line
    skip: dict[str, set[str]] = field(default_factory=dict)  # lint suppressions by key
    linted: tuple[Any, list[Lean]] | None = None  # (what they were made with, findings)
    ranks: frozenset[int] = frozenset()  # the severities (``rank``) of those findings
    edited: int = 0  # read again after an edit (it or its neighbours): which (the latest highest)


class BibReading:
    """The buffer ``text`` in chunks (``starts``: each chunk's first character and, last,
    the text's length; ``lines``: each chunk's first line, 0-based), with a ``Piece``
    for each."""

    def __init__(
        self,
        text: str,
        path: str,
        starts: list[int],
        lines: list[int],
        pieces: list[Piece],
        whole: Any = None,
    ) -> None:
        self.text, self.path = text, path
        self.starts, self.lines, self.pieces = starts, lines, pieces
        self.whole = whole  # the Library, when the buffer was parsed whole
        self.library: Any = None  # the saved file's CachedLibrary, when rows come from it
        self.saved_stamp: Any = None  # the saved file's stat when that library was read
        self.saved_aliases: list[tuple[str, str]] | None = None  # that library's
        self.saved_token: Any = None  # the saved file's lint findings its chunks have
        self._problems: list[Finding] | None = None
        self._keys: list[str] | None = None
        self.parsed = all(p.spans is not None for p in pieces)  # nothing from the cache
        with _MOVING:
            for i, p in enumerate(pieces):
                if p.spans is not None and p.base != lines[i]:
                    _move(p, lines[i])

    # -- readings ----------------------------------------------------------------------

    @classmethod
    def parse(cls, text: str, path: str, since: str | None = None) -> BibReading:
        """Every chunk of ``text`` parsed (in one parse of the whole text), those that
        differ from ``since`` (the text before an edit) marked edited; raises the store's
        ``InputError`` as a whole parse does (no entry could be read)."""
        from ..model import Library
        from ..store import BibFile

        bib = BibFile(text, name=path)
        lib = Library(bib)
        cuts = [0, *[m.start() + 1 for m in _NL_AT.finditer(text)], len(text)]
        starts = sorted(set(cuts))
        if len(starts) == 1:
            starts = [0, 0]
        lines = _lines_of(text, starts)
        pieces = _distribute(lib, text, starts, lines, 0, len(starts) - 1)
        whole = _inherits(text) or _twice(pieces)
        if since is not None:
            head = common_prefix(since, text)
            end = len(text) - common_suffix(since, text, min(len(since), len(text)) - head)
            edit = next(_EDITS)
            for i, p in enumerate(pieces):
                p.edited = edit if starts[i] <= end and head < starts[i + 1] else 0
        return cls(text, path, starts, lines, pieces, whole=lib if whole else None)

    @classmethod
    def from_cache(cls, text: str, path: str, library: Any) -> BibReading | None:
        """The buffer ``text``, which is the file as saved, from its library cache
        (``CachedLibrary``): entries are the cache's rows; None when the cache read the
        file whole (it had problems) or cut it otherwise."""
        if library.problems or _inherits(text):
            return None
        chunks = split(text)
        starts = [c.start for c in chunks] + [len(text)]
        lines = [c.line - 1 for c in chunks]
        pieces = []
        for c in chunks:
            names = (
                _STRING_NAME.findall(text, c.start, c.end)
                if "@" in text[c.start + 1 : c.end] or c.is_string
                else []
            )
            pieces.append(
                Piece(
                    [],
                    [],
                    [],
                    string=bool(names),
                    names=tuple(n.lower() for n in names),
                    saved_line=c.line - 1,
                )
            )
        if _twice(pieces):
            return None
        for entry in library:
            i = bisect.bisect_right(lines, entry.line - 1) - 1
            if i < 0:
                return None
            piece = pieces[i]
            piece.entries.append(entry)
            piece.rel_lines.append(entry.line - 1 - lines[i])
        reading = cls(text, path, starts, lines, pieces)
        reading.library = library
        return reading

    def edit(self, text: str) -> BibReading:
        """The buffer after an edit: only the chunks the edit touched parsed again."""
        if text == self.text:
            return self
        if self.whole is not None:
            return BibReading.parse(text, self.path, self.text)
        old = self.text
        head = common_prefix(old, text)
        tail = common_suffix(old, text, min(len(old), len(text)) - head)
        n = len(self.pieces)
        first = max(0, self._chunk_at(max(head - 1, 0)) - 1)
        last = min(n, self._chunk_at(len(old) - tail) + 2)  # exclusive
        a, b = self.starts[first], self.starts[last]
        delta = len(text) - len(old)
        window = text[a : b + delta]
        local = [0, *[m.start() + 1 for m in _NL_AT.finditer(window)], len(window)]
        local = sorted(set(local))
        new_starts = [a + s for s in local[:-1]]
        if not new_starts:
            return BibReading.parse(text, self.path, old)
        if _strings_in(old[a:b]) != _strings_in(window) or _inherits(window):
            return BibReading.parse(text, self.path, old)  # macros below change
        line_a = self.lines[first]
        new_lines = [line_a + n_ for n_ in _lines_of(window, local)[:-1]]
        after = text[b + delta : self.starts[last + 1] + delta] if last < n else ""
        pieces = self._parse_window(text, first, window, local, after)
        if pieces is None:
            return BibReading.parse(text, self.path, old)
        edit = next(_EDITS)
        for p in pieces:
            p.edited = edit
        line_delta = text.count("\n", a, b + delta) - old.count("\n", a, b)
        starts = [
            *self.starts[:first],
            *new_starts,
            *(s + delta for s in self.starts[last:]),
        ]
        lines = [*self.lines[:first], *new_lines, *(x + line_delta for x in self.lines[last:])]
        reading = BibReading(
            text, self.path, starts, lines, [*self.pieces[:first], *pieces, *self.pieces[last:]]
        )
        reading.library = None if reading.parsed else self.library
        reading.saved_stamp = self.saved_stamp
        reading.saved_aliases = self.saved_aliases
        reading.saved_token = self.saved_token
        if _twice(reading.pieces) or not any(p.entries for p in reading.pieces):
            return BibReading.parse(text, self.path, old)  # said as a whole parse says it
        return reading

    def _chunk_at(self, offset: int) -> int:
        return max(0, min(len(self.pieces) - 1, bisect.bisect_right(self.starts, offset) - 1))

    def _parse_window(
        self, text: str, first: int, window: str, local: list[int], after: str
    ) -> list[Piece] | None:
        """The window's chunks parsed with every ``@string`` chunk above them, the chunk
        before them (its comments above the first entry) and ``after``, the chunk after
        them (what an unclosed entry runs into); None when that text cannot be read
        alone."""
        from ..errors import RefbookError
        from ..model import Library
        from ..store import BibFile

        above = [
            text[self.starts[i] : self.starts[i + 1]]
            for i in range(first)
            if self.pieces[i].string and i != first - 1
        ]
        if first > 0:
            above.append(text[self.starts[first - 1] : self.starts[first]])
        prefix = "".join(above)
        try:
            bib = BibFile(prefix + window + after, name=self.path)
        except RefbookError:
            return None
        lib = Library(bib)
        starts = [len(prefix) + s for s in local]
        mini_lines = _lines_of(prefix + window, starts)
        return _distribute(lib, prefix + window + after, starts, mini_lines, 0, len(starts) - 1)

    # -- what the server asks of it ----------------------------------------------------

    def entries(self) -> list[Any]:
        return [e for p in self.pieces for e in p.entries]

    def __iter__(self) -> Iterator[Any]:
        return iter(self.entries())

    def spans(self) -> list[tuple[Any, int, int]]:
        """(entry, first character, end) of every entry in the buffer; an entry read
        from the cache runs to the next entry's line (as ``bibfile.cached_symbols``)."""
        out = []
        for i, p in enumerate(self.pieces):
            for j, e in enumerate(p.entries):
                if p.spans is not None:
                    a, b = p.spans[j]
                    out.append((e, self.starts[i] + a, self.starts[i] + b))
                else:
                    out.append((e, self.starts[i], self.starts[i + 1]))
        return out

    def keys(self) -> list[str]:
        if self._keys is None:
            self._keys = [e.key for p in self.pieces for e in p.entries]
        return self._keys

    def alias_keys(self) -> list[tuple[str, str]]:
        """(alias, key) of every entry's ``ids`` (a cached entry's from the cache's
        table, read once)."""
        out = [
            (a, e.key)
            for p in self.pieces
            if p.spans is not None
            for e in p.entries
            for a in e.aliases
        ]
        if self.library is not None:
            if self.saved_aliases is None:
                self.saved_aliases = self.library.alias_keys()
            if self.saved_aliases:
                saved = {e.key for p in self.pieces if p.spans is None for e in p.entries}
                out += [(a, k) for a, k in self.saved_aliases if k in saved]
        return out

    def edited_line(self, line: int) -> int:
        """Which edit read the chunk of the 1-based ``line`` again (0: none)."""
        return self.pieces[self._line_chunk(line - 1)].edited

    def _line_chunk(self, line: int) -> int:
        return max(0, min(len(self.pieces) - 1, bisect.bisect_right(self.lines, line) - 1))

    def located(self) -> list[tuple[Any, int, int]]:
        """(entry, its piece's index, its line (1-based) in the buffer), in order."""
        return [
            (e, i, self.lines[i] + rel + 1)
            for i, p in enumerate(self.pieces)
            for e, rel in zip(p.entries, p.rel_lines)
        ]

    def problems(self) -> list[Finding]:
        """The buffer's parse problems, as a whole parse finds them (lines 1-based)."""
        if self.whole is not None:
            return list(self.whole.problems)
        if self._problems is None:
            out = [place(f, self.lines[i]) for i, p in enumerate(self.pieces) for f in p.problems]
            self._problems = out + self._duplicate_keys()
        return list(self._problems)

    def _duplicate_keys(self) -> list[Finding]:
        lower = [k.lower() for k in self.keys()]
        if len(set(lower)) == len(lower):
            return []
        seen: dict[str, int] = {}
        out = []
        for i, p in enumerate(self.pieces):
            for e, rel in zip(p.entries, p.rel_lines):
                lower = e.key.lower()
                if lower and lower not in seen:
                    seen[lower] = self.lines[i] + rel + 1
                elif lower:
                    out.append(self._duplicate(e, self.lines[i] + rel + 1, seen[lower]))
        return out

    def _duplicate(self, e: Any, line: int, first: int) -> Finding:
        from ..findings import Severity

        return Finding(
            self.path,
            line,
            Severity.ERROR,
            "duplicate-key",
            f"duplicate key {e.key!r} (also on line {first}); both entries are kept",
            e.key,
        )

    def lint(self, rules: list[Rule], saved: list[Any] | None = None) -> list[Finding] | None:
        """lint's findings with ``rules`` (parse problems first, as ``lint.lint`` gives
        them), each chunk's per-entry findings made once per chunk.  When chunks come
        from the cache, their findings are ``saved``'s, lint's of the file as saved (None:
        not known, and so is the answer), and the rules over the whole library run on
        the chunks parsed here only (the proper nouns too): lint of the buffer says the
        rest."""
        if self.whole is not None:
            from ..lint import lint

            return lint(self.whole, rules, fixes=False).findings
        if not self.parsed and saved is None:
            return None
        with _MOVING:  # (a reading made meanwhile moves shared chunks' entries)
            return self._lint(rules, saved)

    def _lint(self, rules: list[Rule], saved: list[Any] | None) -> list[Finding]:
        head, chunks = self._lint_chunks(rules, saved)
        out = head + [place(f, at) for at, found, *_ in chunks for f in found]
        out.sort(key=lambda f: (f.line or 0, f.column or 0, f.rule))
        return out

    def lint_chunks(
        self, rules: list[Rule], saved: list[Any] | None = None
    ) -> tuple[list[Finding], list[Chunk]] | None:
        """``lint``'s findings not yet placed: the parse problems and the findings over
        the whole library (placed), and each chunk's per-entry findings as (the chunk's
        first line, 0-based; its findings, lines relative to it (``place`` puts one in
        the text); whether it was edited), in the text's order."""
        if self.whole is not None:
            return self.lint(rules, saved) or [], []
        if not self.parsed and saved is None and self.saved_token is None:
            return None
        with _MOVING:
            return self._lint_chunks(rules, saved)

    def _lint_chunks(
        self, rules: list[Rule], saved: list[Any] | None
    ) -> tuple[list[Finding], list[Chunk]]:
        import datetime as _dt

        from ..lint import RULES, Context, protected_words

        if saved is not None:
            self._take_saved(saved)
        entries = [e for p in self.pieces if p.spans is not None for e in p.entries]
        ctx = Context(today=_dt.date.today())
        if any(r.id == "unprotected-proper-noun" for r in rules):
            ctx.protected_words = protected_words(entries)
        skip: dict[str, set[str]] = {}
        for p in self.pieces:  # (by key: the last entry's comment wins, as in lint)
            if p.skip:
                skip.update({e.key: p.skip[e.key] for e in p.entries if e.key in p.skip})
        per_entry = [r for r in rules if r.check is not None]
        made_with = (tuple(r.id for r in per_entry), frozenset(ctx.protected_words))
        head = [f for f in self.problems() if f.rule not in RULES]
        chunks = []
        for i, p in enumerate(self.pieces):
            if p.spans is not None:
                lint_piece(self.path, p, per_entry, ctx, skip, made_with)
            if p.linted is not None and p.linted[1]:
                chunks.append((self.lines[i], p.linted[1], p.edited, p.ranks))
        head += library_findings(self.path, entries, rules, ctx, skip)
        return head, chunks

    def _take_saved(self, saved: list[Any]) -> None:
        """Each chunk from the cache given the findings of ``saved`` on its lines (once
        per list: the chunks are shared by the readings after it)."""
        token = ("saved", id(saved))
        if self.saved_token == token:  # (this reading's, or the one it is an edit of)
            return
        kept = [(p.saved_line, p) for p in self.pieces if p.spans is None]
        self.saved_token = token
        if not kept or all(p.linted is not None and p.linted[0] == token for _, p in kept):
            return
        firsts = [line for line, _ in kept]
        found: dict[int, list[Finding]] = {}
        for f in saved:
            k = bisect.bisect_right(firsts, (f.line or 1) - 1) - 1
            if k >= 0:
                found.setdefault(k, []).append(f)
        for k, (line, p) in enumerate(kept):
            p.linted = (token, [lean(f, line) for f in found.get(k, ())])
            p.ranks = frozenset(f.severity.rank for f in p.linted[1])


def _move(piece: Piece, line: int) -> None:
    """A parsed chunk's entries told that the chunk starts on ``line`` (0-based) now:
    what they say of their lines (lint's positions, other entries' lines in messages)
    is then the text's, as a whole parse gives them."""
    by = line - piece.base
    for e in piece.entries:
        e._block.line += by
        for f in e._block.entry.fields:
            if f._start_line is not None:
                f._start_line += by
    piece.base = line


def _twice(pieces: list[Piece]) -> bool:
    """Whether a macro is defined twice (every definition's users change with it)."""
    names = [n for p in pieces if p.string for n in p.names]
    return len(set(names)) != len(names)


def _strings_in(text: str) -> list[str]:
    """The ``@string`` definitions in ``text`` (a line need not start with them)."""
    return [m.group(0) for m in _STRING_DEF.finditer(text)]


def _lines_of(text: str, starts: list[int]) -> list[int]:
    """The 0-based line of each offset in ``starts`` (sorted)."""
    out, line, pos = [], 0, 0
    for s in starts:
        line += text.count("\n", pos, s)
        pos = s
        out.append(line)
    return out


def _distribute(
    lib: Any,
    text: str,
    starts: list[int],
    lines: list[int],
    first: int,
    last: int,
) -> list[Piece]:
    """Pieces for the chunks ``first``..``last`` (starting at ``starts``, on ``lines``)
    from the parse ``lib`` of ``text``: the entries that start in each, the problems on
    its lines, its lint suppressions."""
    from ..lint import suppressions

    pieces = [
        Piece(
            [],
            [],
            [],
            string=_STRING_AT.search(text, starts[k], starts[k + 1]) is not None,
            base=lines[k],
            spans=[],
        )
        for k in range(first, last)
    ]
    begin, end = starts[first], starts[last]
    for entry in lib:
        blk = entry._block
        if not begin <= blk.start < end:
            continue
        k = bisect.bisect_right(starts, blk.start) - 1 - first
        piece = pieces[k]
        piece.entries.append(entry)
        piece.rel_lines.append(entry.line - 1 - lines[first + k])
        piece.spans.append((blk.start - starts[first + k], blk.end - starts[first + k]))  # type: ignore[union-attr]
    line_begin = lines[first]
    for f in lib.problems:
        line = (f.line or 1) - 1  # (a problem without a line: the first)
        if (
            f.rule in _FILE_WIDE
            or line < line_begin
            or starts[last] < len(text)
            and (line >= lines[last])
        ):
            continue
        k = bisect.bisect_right(lines, line, first, last) - 1 - first
        pieces[k].problems.append(relative(f, lines[first + k]))
    skip = suppressions(lib.bib)
    for k, p in enumerate(pieces):
        p.skip = {e.key: skip[e.key] for e in p.entries if e.key in skip}
        if p.string:
            p.names = tuple(
                n.lower()
                for n in _STRING_NAME.findall(text, starts[first + k], starts[first + k + 1])
            )
    return pieces
