"""An edited, unsaved .bib buffer read chunk by chunk, as the library cache reads a file.

The text is cut where the cache cuts it (``cache.chunks``: at each line that starts
with ``@``).  A reading keeps each chunk's entries, parse problems and per-entry lint
findings, lines counted from the chunk's first line.  The next reading finds the part
that changed (the text before and after it is the same), cuts it again and parses it
with the ``@string`` chunks above, the chunk before (comments that suppress lint rules)
and the chunk after (what an unclosed entry runs into); the other chunks are kept and
moved by lines.  A large file's chunks as saved stay indexes into ``Saved`` (its cache's
keys and lines, lint's findings of the saved file): no entry of it is held, a row is
read when asked for.  An edit costs the chunks it changed: the key set is patched (the
whole computed again only while keys repeat), each new entry gets a place between its
neighbours' (what ``Matcher.patched`` inserts by), and the rules over the whole library
run on the chunks parsed here.  ``@string`` defined twice, ``crossref``/``xdata``, no entry,
or an edit that changes an ``@string`` definition: the buffer is parsed whole again.

(Over 500 lines on purpose: ``Saved`` and ``BibReading`` share the chunk tables every
edit splices (starts, lines, parsed and ``@string`` indexes, places), and what the
server asks of a reading (keys, problems, lint by chunks and runs, symbols) reads
them; apart, each would reach into the other's.)
"""

from __future__ import annotations

import bisect
import itertools
import re
import threading
import weakref
from array import array
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..cache.chunks import _NL_AT
from ..cache.source import inherits as _inherits
from ..findings import Finding
from .bibfindings import (
    Chunk,
    Lean,
    Run,
    Table,
    library_findings,
    lint_piece,
    place,
    placer,
    relative,
)
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
    """One chunk of the buffer parsed here; lines are counted from the chunk's first line
    (0 for that line)."""

    entries: list[Any]  # model.Entry
    rel_lines: list[int]  # each entry's line
    problems: list[Finding]  # parse problems (line relative), file-wide ones left out
    string: bool = False  # a chunk with an @string definition
    names: tuple[str, ...] = ()  # the macros it defines (lower case)
    base: int = 0  # the chunk's first line (0-based) in the text parsed
    spans: list[tuple[int, int]] = field(default_factory=list)  # each entry's characters
    skip: dict[str, set[str]] = field(default_factory=dict)  # lint suppressions by key
    linted: tuple[Any, list[Lean]] | None = None  # (what they were made with, findings)
    ranks: frozenset[int] = frozenset()  # the severities (``rank``) of those findings
    edited: int = 0  # read again after an edit (it or its neighbours): which (the latest highest)
    places: list[float] = field(default_factory=list)  # each entry's place (``Cited.pos``)


class Saved:
    """The file as saved, as its library cache has it, shared by every reading edited
    from it: its chunks (``starts``, ``lines``: 0-based, each with the text's end last),
    its entries' keys and lines (in file order: an entry's place is its index), the
    first entry of each chunk (``first``), the macros its ``@string`` chunks define, and
    (once given) lint's findings of the file, by line.  Nothing per entry but its key
    and line: an entry is read by its row when asked for."""

    def __init__(self, text: str, library: Any, known: Any = None) -> None:
        from .cached import key_lines

        self.library = library
        starts = sorted({0, *[m.start() + 1 for m in _NL_AT.finditer(text)], len(text)})
        starts = starts if len(starts) > 1 else [0, 0]
        lines = _lines_of(text, starts)
        # (the server's snapshot of the file has its keys, and its lookup of them: the
        # same lists and dicts, not a second copy of 100,000 keys each, 17 MB at 100k)
        keys, lookup = known if known is not None else (None, None)
        self.keys, entry_lines = key_lines(library, keys)
        if self.keys is not keys:
            lookup = None
        first = [bisect.bisect_left(entry_lines, line) for line in lines[:-1]]
        first.append(len(self.keys))
        self.starts, self.lines = starts, lines  # (each reading's lists start as these)
        # (kept as machine integers: as lists, 200,000 int objects at 100k entries)
        self.entry_lines, self.first = array("q", entry_lines), array("q", first)
        self.names: dict[int, tuple[str, ...]] = {}
        found: dict[int, list[str]] = {}
        for m in _STRING_NAME.finditer(text):
            k = bisect.bisect_right(self.starts, m.start()) - 1
            if m.end() > self.starts[k + 1]:  # (read within its chunk only)
                m = _STRING_NAME.match(text, m.start(), self.starts[k + 1])  # type: ignore[assignment]
                if m is None:
                    continue
            found.setdefault(k, []).append(m.group(1).lower())
        self.names = {k: tuple(v) for k, v in found.items()}
        # (a lookup of as many keys as there are, each key found as itself: every key
        # once, case-insensitively, and no alias beside them)
        self.keyset: dict[str, str]
        if (
            lookup is not None
            and len(lookup) == len(self.keys)
            and all(lookup.get(k.lower()) == k for k in self.keys)
        ):
            self.keyset = lookup
        else:
            self.keyset = {k.lower(): k for k in self.keys}
        self.unique = len(self.keyset) == len(self.keys)
        self.aliases: list[tuple[str, str]] | None = None
        self._index: dict[str, int] | None = None
        self.findings: Table | None = None  # lint's of the file (absolute lines), by line

    @classmethod
    def make(cls, text: str, library: Any, known: Any = None) -> Saved | None:
        """The file as saved, ``text``, from its cache (``CachedLibrary``); None when the
        cache read it whole (it had problems) or a reading of it by chunks would not be
        the whole file's (a macro defined twice, keys the same).  ``known``: the keys in
        file order and their lookup (lower-cased key, or alias, -> key) the server has
        of the file already, shared when they are the file's."""
        if library.problems or _inherits(text):
            return None
        saved = cls(text, library, known)
        names = [n for k in sorted(saved.names) for n in saved.names[k]]
        if not saved.unique or len(set(names)) != len(names):
            return None
        return saved

    def index(self) -> dict[str, int]:
        """Key -> its entry's index (made when first asked for)."""
        if self._index is None:
            self._index = {k: j for j, k in enumerate(self.keys)}
        return self._index

    def alias_keys(self) -> list[tuple[str, str]]:
        if self.aliases is None:
            self.aliases = list(self.library.alias_keys())
        return self.aliases

    def take(self, saved: list[Any] | Table) -> None:
        """lint's findings of the file as saved (absolute lines: ``Run`` moves them and
        the lines their messages name), kept as a ``Table`` by line."""
        table = saved if isinstance(saved, Table) else Table.of(saved)
        self.findings = table.by_line()

    def found(self, k0: int, k1: int) -> tuple[Run, frozenset[int]]:
        """The findings on the lines of chunks ``k0``..``k1`` (exclusive), and their
        severities."""
        assert self.findings is not None
        a, b = self.lines[k0] + 1, self.lines[k1] + 1 if k1 < len(self.lines) - 1 else 1 << 62
        return self.findings.run(a, b), self.findings.severities(a, b)


class BibReading:
    """The buffer ``text`` in chunks (``starts``: each chunk's first character and, last,
    the text's length; ``lines``: each chunk's first line, 0-based, and the text's last),
    each a ``Piece`` (parsed here) or the index of a chunk of the file as saved
    (``saved``), unchanged but moved."""

    def __init__(
        self,
        text: str,
        path: str,
        starts: list[int],
        lines: list[int],
        pieces: list[Piece | int],
        whole: Any = None,
        saved: Saved | None = None,
        parsed_at: list[int] | None = None,
        strings: list[int] | None = None,
    ) -> None:
        self.text, self.path = text, path
        self.starts, self.lines, self.pieces = starts, lines, pieces
        self.whole = whole  # the Library, when the buffer was parsed whole
        self.saved = saved
        self.parsed_at = (  # the indexes of the pieces parsed here, in order
            parsed_at
            if parsed_at is not None
            else [i for i, p in enumerate(pieces) if isinstance(p, Piece)]
        )
        self.strings = (  # the indexes of the chunks with an @string definition
            strings if strings is not None else [i for i, _ in enumerate(pieces) if self._string(i)]
        )
        self.saved_stamp: Any = None  # the saved file's stat when its cache was read
        self.parsed = len(self.parsed_at) == len(pieces)  # nothing from the cache
        self.count = 0  # entries
        self.keyset: dict[str, str] | None = None  # lower-cased key -> key, keys unique
        self.changed: set[str] | None = None  # lower-cased keys an edit took out or put in
        # what ``changed`` is relative to: the saved file's library, or a reading (held
        # weakly: a chain of readings would keep every text of the buffer)
        self.parent: Any = None
        self.matcher: Any = None  # this reading's author-year matcher, once made
        # its text's number among the editor's texts of the .bib and where they changed
        # (``LibraryState.set_buffer``): the next edit's range is known from them
        self.mark: tuple[int, Any] | None = None
        # the parent's matcher and the change: keys gone, (entry, place) added
        self.base: tuple[Any, list[str], list[tuple[Any, float]]] | None = None
        self._problems: list[Finding] | None = None
        self._keys: list[str] | None = None
        with _MOVING:
            for i in self.parsed_at:
                p = pieces[i]
                if p.base != lines[i]:  # type: ignore[union-attr]
                    _move(p, lines[i])  # type: ignore[arg-type]

    def _string(self, i: int) -> bool:
        p = self.pieces[i]
        if isinstance(p, Piece):
            return p.string
        return self.saved is not None and p in self.saved.names

    def _names(self, i: int) -> tuple[str, ...]:
        p = self.pieces[i]
        if isinstance(p, Piece):
            return p.names
        return self.saved.names.get(p, ()) if self.saved is not None else ()

    @property
    def library(self) -> Any:
        """The saved file's ``CachedLibrary`` when chunks come from it."""
        return self.saved.library if self.saved is not None and not self.parsed else None

    @property
    def saved_token(self) -> Any:
        """Not None once the chunks from the cache have lint's findings of the file."""
        if self.saved is None or self.saved.findings is None:
            return None
        return ("saved", id(self.saved))

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
        place = 0.0
        for p in pieces:
            p.places = [place + j for j in range(len(p.entries))]
            place += len(p.entries)
        reading = cls(text, path, starts, lines, list(pieces), whole=lib if whole else None)
        reading.count = int(place)
        reading._full_keyset()
        return reading

    @classmethod
    def from_cache(cls, text: str, path: str, library: Any, known: Any = None) -> BibReading | None:
        """The buffer ``text``, which is the file as saved, from its library cache
        (``CachedLibrary``): entries are the cache's rows, read when asked for; None when
        the cache read the file whole (it had problems) or cut it otherwise."""
        saved = Saved.make(text, library, known)
        return None if saved is None else cls.from_saved(saved, text)

    @classmethod
    def from_saved(cls, saved: Saved, text: str) -> BibReading:
        """The buffer ``text``, the file as ``saved`` (nothing parsed)."""
        n = len(saved.starts) - 1
        reading = cls(
            text,
            saved.library.path,
            list(saved.starts),
            list(saved.lines),
            list(range(n)),
            saved=saved,
            parsed_at=[],
            strings=sorted(saved.names),
        )
        reading.count = len(saved.keys)
        reading.keyset = saved.keyset
        reading.parent, reading.changed = saved.library, set()
        return reading

    def edit(self, text: str, span: tuple[int, int] | None = None) -> BibReading:
        """The buffer after an edit: only the chunks the edit touched parsed again
        (``span``: the length of the start and of the end this text and ``text`` share at
        least, when the editor's changes say it; else the texts are compared)."""
        if text is self.text or (span is None and text == self.text):
            return self
        if self.whole is not None:
            return BibReading.parse(text, self.path, self.text)
        old = self.text
        if span is not None:
            head = min(span[0], len(old), len(text))
            tail = min(span[1], min(len(old), len(text)) - head)
        else:
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
        if not self._place(pieces, first, last):
            return BibReading.parse(text, self.path, old)  # (no room left between places)
        line_delta = text.count("\n", a, b + delta) - old.count("\n", a, b)
        shift = len(pieces) - (last - first)
        # (the chunks after the window moved; their lines as they were when none came or went)
        starts = self.starts[:first] + new_starts + _moved(self.starts[last:], delta)
        lines = self.lines[:first] + new_lines + _moved(self.lines[last:], line_delta)
        parsed_at = [i for i in self.parsed_at if i < first]
        parsed_at += range(first, first + len(pieces))
        parsed_at += [i + shift for i in self.parsed_at if i >= last]
        strings = [i for i in self.strings if i < first]
        strings += [first + j for j, p in enumerate(pieces) if p.string]
        strings += [i + shift for i in self.strings if i >= last]
        reading = BibReading(
            text,
            self.path,
            starts,
            lines,
            [*self.pieces[:first], *pieces, *self.pieces[last:]],
            saved=self.saved,
            parsed_at=parsed_at,
            strings=strings,
        )
        reading.saved_stamp = self.saved_stamp
        if reading.count_changes(self, first, last, pieces):
            return BibReading.parse(text, self.path, old)  # said as a whole parse says it
        return reading

    def count_changes(self, before: BibReading, first: int, last: int, pieces: list[Piece]) -> bool:
        """This reading's keys from ``before``'s, whose chunks ``first``..``last`` were
        replaced by ``pieces``: in proportion to the change while keys stay unique (the
        author-year matcher's changes kept in ``base``); whether to parse it whole
        instead (a macro defined twice, or no entry)."""
        names = [n for i in self.strings for n in self._names(i)]
        if len(set(names)) != len(names):
            return True
        gone = [k for i in range(first, last) for k in before._keys_of(i)]
        added = [(e, place) for p in pieces for e, place in zip(p.entries, p.places)]
        self.count = before.count - len(gone) + len(added)
        if not self.count:
            return True
        if before.changed == set():  # (the same entries as its parent)
            self.parent = before.parent
        else:
            self.parent = weakref.ref(before)
        self.changed = {k.lower() for k in gone} | {e.key.lower() for e, _ in added}
        if any(e.aliases for e, _ in added) or before._aliased(gone, first, last):
            self.changed = None  # (aliases change too: lookups compared whole)
        if before.keyset is not None:
            keyset = dict(before.keyset)
            for k in gone:
                del keyset[k.lower()]
            for e, _ in added:
                keyset.setdefault(e.key.lower(), e.key)
            if len(keyset) == self.count:
                self.keyset = keyset
                if before.matcher is not None:
                    self.base = (before.matcher, gone, added)
                return False
        self._full_keyset()
        return False

    def _full_keyset(self) -> None:
        keys = self.keys()
        keyset = {k.lower(): k for k in keys}
        self.keyset = keyset if len(keyset) == len(keys) else None

    def _aliased(self, keys: list[str], first: int, last: int) -> bool:
        """Whether an entry of chunks ``first``..``last`` (keyed ``keys``) has aliases."""
        for i in range(first, last):
            p = self.pieces[i]
            if isinstance(p, Piece) and any(e.aliases for e in p.entries):
                return True
        saved = self.saved
        return (
            saved is not None
            and bool(saved.alias_keys())
            and any(k in {key for _a, key in saved.alias_keys()} for k in keys)
        )

    def _keys_of(self, i: int) -> list[str]:
        p = self.pieces[i]
        if isinstance(p, Piece):
            return [e.key for e in p.entries]
        assert self.saved is not None
        return self.saved.keys[self.saved.first[p] : self.saved.first[p + 1]]

    def _places_of(self, i: int) -> list[float]:
        p = self.pieces[i]
        if isinstance(p, Piece):
            return p.places
        assert self.saved is not None
        return [float(j) for j in range(self.saved.first[p], self.saved.first[p + 1])]

    def _place(self, pieces: list[Piece], first: int, last: int) -> bool:
        """Give the entries of ``pieces`` (replacing chunks ``first``..``last``) places
        between those of the entries around them; False when there is no room."""
        count = sum(len(p.entries) for p in pieces)
        if not count:
            return True
        low = next(
            (self._places_of(i)[-1] for i in range(first - 1, -1, -1) if self._has_entries(i)),
            -1.0,
        )
        high = next(
            (self._places_of(i)[0] for i in range(last, len(self.pieces)) if self._has_entries(i)),
            None,
        )
        step = 1.0 if high is None else (high - low) / (count + 1)
        made = [low + step * (j + 1) for j in range(count)]
        if any(a >= b for a, b in zip([low, *made], [*made, high if high is not None else 1e300])):
            return False
        for p in pieces:
            p.places, made = made[: len(p.entries)], made[len(p.entries) :]
        return True

    def place(self, i: int, j: int) -> float:
        """The place of the ``j``-th entry of chunk ``i``."""
        p = self.pieces[i]
        if isinstance(p, Piece):
            return p.places[j]
        assert self.saved is not None
        return float(self.saved.first[p] + j)

    def _has_entries(self, i: int) -> bool:
        p = self.pieces[i]
        if isinstance(p, Piece):
            return bool(p.entries)
        assert self.saved is not None
        return self.saved.first[p + 1] > self.saved.first[p]

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
            for i in self.strings
            if i < first - 1 and self._string(i)
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

    def _walk(self) -> Iterator[tuple[int, Any, int, int]]:
        """(chunk index, entry, its line (0-based), its index in its chunk) of every
        entry, in order (entries of the saved file read from its cache as they come,
        in one pass)."""
        rows = _Rows(self.saved.library if self.saved is not None and not self.parsed else [])
        for i, p in enumerate(self.pieces):
            if isinstance(p, Piece):
                for j, (e, rel) in enumerate(zip(p.entries, p.rel_lines)):
                    yield i, e, self.lines[i] + rel, j
            else:
                assert self.saved is not None
                shift = self.lines[i] - self.saved.lines[p]
                for j in range(self.saved.first[p], self.saved.first[p + 1]):
                    yield i, rows[j], self.saved.entry_lines[j] + shift, j - self.saved.first[p]

    def entries(self) -> list[Any]:
        return [e for _i, e, _l, _j in self._walk()]

    def __iter__(self) -> Iterator[Any]:
        return iter(self.entries())

    def parsed_entries(self) -> list[Any]:
        """The entries of the chunks parsed here."""
        return [e for i in self.parsed_at for e in self.pieces[i].entries]  # type: ignore[union-attr]

    def spans(self) -> list[tuple[Any, int, int]]:
        """(entry, first character, end) of every entry in the buffer; an entry read
        from the cache runs to the next entry's line (as ``bibfile.cached_symbols``)."""
        out = []
        for i, e, _line, j in self._walk():
            p = self.pieces[i]
            if isinstance(p, Piece):
                a, b = p.spans[j]
                out.append((e, self.starts[i] + a, self.starts[i] + b))
            else:
                out.append((e, self.starts[i], self.starts[i + 1]))
        return out

    def keys(self) -> list[str]:
        if self._keys is None:
            self._keys = [k for i in range(len(self.pieces)) for k in self._keys_of(i)]
        return self._keys

    def lookup(self) -> dict[str, str]:
        """Lower-cased key (and ``ids`` alias) -> key, as citations resolve (the last of
        keys the same but for case; an alias never over a key)."""
        out = self.keyset
        if out is None:
            out = {k.lower(): k for k in self.keys()}
        aliases = self.alias_keys()
        if aliases:
            out = dict(out)
            for alias, key in aliases:
                out.setdefault(alias.lower(), key)
        return out

    def alias_keys(self) -> list[tuple[str, str]]:
        """(alias, key) of every entry's ``ids`` (a saved entry's from the cache's
        table, read once)."""
        out = [(a, e.key) for e in self.parsed_entries() for a in e.aliases]
        if self.saved is not None and not self.parsed and self.saved.alias_keys():
            index = self.saved.index()
            kept = self._kept_saved()
            out += [(a, k) for a, k in self.saved.alias_keys() if kept(index.get(k, -1))]
        return out

    def _kept_saved(self) -> Any:
        """Whether the saved file's entry of an index is in one of this reading's chunks."""
        assert self.saved is not None
        first = self.saved.first
        chunks = {p for p in self.pieces if not isinstance(p, Piece)}

        def kept(j: int) -> bool:
            return j >= 0 and bisect.bisect_right(first, j) - 1 in chunks

        return kept

    def line_of(self, entry: Any) -> int | None:
        """The 1-based line of ``entry`` (one of this reading's, or a saved row) now."""
        for i in self.parsed_at:
            p = self.pieces[i]
            for e, rel in zip(p.entries, p.rel_lines):  # type: ignore[union-attr]
                if e is entry:
                    return self.lines[i] + rel + 1
        if self.saved is None or not hasattr(entry, "ord"):
            return None
        j = self.saved.index().get(entry.key, -1)
        k = bisect.bisect_right(self.saved.first, j) - 1
        if j < 0 or k not in self.pieces:
            return None
        i = self.pieces.index(k)
        return self.saved.entry_lines[j] + self.lines[i] - self.saved.lines[k] + 1

    def edited_line(self, line: int) -> int:
        """Which edit read the chunk of the 1-based ``line`` again (0: none)."""
        p = self.pieces[self._line_chunk(line - 1)]
        return p.edited if isinstance(p, Piece) else 0

    def _line_chunk(self, line: int) -> int:
        return max(0, min(len(self.pieces) - 1, bisect.bisect_right(self.lines, line) - 1))

    def located(self) -> list[tuple[Any, int, int]]:
        """(entry, its piece's index, its line (1-based) in the buffer), in order."""
        return [(e, i, line + 1) for i, e, line, _j in self._walk()]

    def problems(self) -> list[Finding]:
        """The buffer's parse problems, as a whole parse finds them (lines 1-based)."""
        if self.whole is not None:
            return list(self.whole.problems)
        if self._problems is None:
            out = [
                place(f, self.lines[i])
                for i in self.parsed_at
                for f in self.pieces[i].problems  # type: ignore[union-attr]
            ]
            self._problems = out + ([] if self.keyset is not None else self._duplicate_keys())
        return list(self._problems)

    def _duplicate_keys(self) -> list[Finding]:
        seen: dict[str, int] = {}
        out = []
        for _i, e, line, _j in self._walk():
            lower = e.key.lower()
            if lower and lower not in seen:
                seen[lower] = line + 1
            elif lower:
                out.append(self._duplicate(e, line + 1, seen[lower]))
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
        if not self.parsed and saved is None and self.saved_token is None:
            return None
        with _MOVING:  # (a reading made meanwhile moves shared chunks' entries)
            return self._lint(rules, saved)

    def _lint(self, rules: list[Rule], saved: list[Any] | None) -> list[Finding]:
        head, chunks = self._lint_chunks(rules, saved)
        out = head + [placer(found)(f, at) for at, found, *_ in chunks for f in found]
        out.sort(key=lambda f: (f.line or 0, f.column or 0, f.rule))
        return out

    def lint_chunks(
        self, rules: list[Rule], saved: list[Any] | None = None
    ) -> tuple[list[Finding], list[Chunk]] | None:
        """``lint``'s findings not yet placed: the parse problems and the findings over
        the whole library (placed), and each chunk's per-entry findings as (the chunk's
        first line, 0-based; its findings, lines relative to it (``place`` puts one in
        the text); whether it was edited), in the text's order (a run of the saved
        file's chunks as one)."""
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

        if saved is not None and self.saved is not None and self.saved.findings is None:
            self.saved.take(saved)
        entries = self.parsed_entries()
        ctx = Context(today=_dt.date.today())
        if any(r.id == "unprotected-proper-noun" for r in rules):
            ctx.protected_words = protected_words(entries)
        skip: dict[str, set[str]] = {}
        for i in self.parsed_at:  # (by key: the last entry's comment wins, as in lint)
            p = self.pieces[i]
            if p.skip:  # type: ignore[union-attr]
                skip.update({e.key: p.skip[e.key] for e in p.entries if e.key in p.skip})  # type: ignore[union-attr]
        per_entry = [r for r in rules if r.check is not None]
        made_with = (tuple(r.id for r in per_entry), frozenset(ctx.protected_words))
        head = [f for f in self.problems() if f.rule not in RULES]
        chunks: list[Chunk] = []
        done = 0  # chunks before this index are in ``chunks``
        for i in [*self.parsed_at, len(self.pieces)]:
            if done < i:
                chunks += self._saved_chunks(done, i)
            if i < len(self.pieces):
                p = self.pieces[i]
                assert isinstance(p, Piece)
                lint_piece(self.path, p, per_entry, ctx, skip, made_with)
                if p.linted is not None and p.linted[1]:
                    chunks.append((self.lines[i], p.linted[1], p.edited, p.ranks))
            done = i + 1
        head += library_findings(self.path, entries, rules, ctx, skip)
        return head, chunks

    def _saved_chunks(self, i: int, j: int) -> list[Chunk]:
        """The saved file's findings of the chunks ``i``..``j`` (exclusive; all from the
        saved file, moved alike when they follow each other there)."""
        saved = self.saved
        if saved is None or saved.findings is None:
            return []
        k0, k1 = self.pieces[i], self.pieces[j - 1]
        assert isinstance(k0, int) and isinstance(k1, int)
        if k1 - k0 != j - 1 - i:  # (not one run: each on its own)
            return [c for x in range(i, j) for c in self._saved_chunks(x, x + 1)]
        found, ranks = saved.found(k0, k1 + 1)
        if not found:
            return []
        return [(self.lines[i] - saved.lines[k0] - 1, found, 0, ranks)]


class _Rows:
    """The saved file's entries by index, read in one pass in file order (those not
    asked for let go)."""

    def __init__(self, library: Any) -> None:
        self._rows = iter(library)
        self._at, self._row = -1, None

    def __getitem__(self, j: int) -> Any:
        while self._at < j:
            self._row = next(self._rows)
            self._at += 1
        return self._row


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


def _moved(numbers: list[int], by: int) -> list[int]:
    return [n + by for n in numbers] if by else numbers


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
        piece.spans.append((blk.start - starts[first + k], blk.end - starts[first + k]))
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
