"""The bibliography behind the language server: read through the library cache
(``refbook.cache``), re-read when the file changes on disk, the last good state kept while
the file is malformed, and never on the editor's request path.

A saved .bib is served from its cache: the keys, aliases and search tables come from
SQLite, an entry is read by its row when a feature needs it (hover, a completion item's
documentation), and the author-year matcher is built when a document first has prose
citations.  Only an edited, unsaved buffer of the .bib is parsed whole (``load_library``).
Reading (building the cache of a large file takes a minute cold) happens in a thread,
and the cache of a large file is built by a child process, so that requests keep being
answered meanwhile with the last good snapshot (or nothing, before the first one).

(Over 500 lines on purpose: ``Snapshot`` serves one reading and ``LibraryState`` makes
them, and an edited buffer's reading hands the next its matcher and its changed keys
through both.)
"""

from __future__ import annotations

import logging
import os
import threading
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

from ..errors import RefbookError
from ..findings import Finding, Severity
from .cached import BUILD_APART_BYTES, open_library

if TYPE_CHECKING:
    from ..index import SearchIndex
    from ..manuscript import Matcher
    from ..model import Entry, Library
    from .bibbuffer import Saved

log = logging.getLogger(__name__)
# completion ranks at most this many matches of its words: exact for any word in up to
# 10 % of a 100k library (a common surname); past that, BM25 over all matches alone takes
# 0.1-0.6 s, beyond the latency an editor can wait for (a cost bound at 100k entries)
RANK_AT_MOST = 10_000
# a larger library's author-year matcher is built in a thread (seconds at 100k)
MATCHER_NOW_ENTRIES = 5000
_MATCHER_LOCK = threading.Lock()
_BUILDING = threading.Lock()


def load_library(path: str, encoding: str | None = None, text: str | None = None) -> Library:
    """The library at ``path`` parsed whole (or, when the editor has it open, its buffer
    ``text``): what the cache cannot serve."""
    from ..model import Library, load
    from ..store import BibFile

    if text is not None:
        return Library(BibFile(text, name=path))
    return load(path, encoding)


@dataclass
class Snapshot:
    """One good reading of the bibliography: a ``CachedLibrary`` (the .bib as saved) or a
    parsed ``Library`` (an edited buffer), with the indexes features ask for, each built
    when first needed."""

    library: Any
    path: str
    on_matcher: Callable[[], None] | None = None
    # the matcher of the reading before (an edited .bib's): serves while this one's builds
    previous_matcher: Matcher | None = None
    superseded: bool = False  # a newer reading serves: its matcher is the one to build
    # the reading before's (an edited .bib's) manuscript segments judged, and its keys
    before: tuple[dict[Any, Any], dict[str, str]] | None = field(default=None, repr=False)
    _matcher_thread: threading.Thread | None = field(default=None, init=False, repr=False)

    @property
    def cached(self) -> bool:
        return hasattr(self.library, "search_index")

    @property
    def reading(self) -> Any:
        """The ``bibbuffer.BibReading`` of an edited buffer this snapshot serves, or None."""
        return self.library if hasattr(self.library, "pieces") else None

    def follow(self, before: Snapshot) -> None:
        """This reading of an edited buffer replaces ``before``: its matcher serves while
        this one's is built, and what it made of manuscripts' segments is kept where it
        holds (``incremental``)."""
        self.previous_matcher = before.__dict__.get("matcher") or before.previous_matcher
        self.before = (before.__dict__.get("_segment_diagnostics", {}), before.lookup)
        before.superseded, before.before = True, None
        reading = self.reading
        if reading is not None and reading.changed is not None:
            parent = _held(reading.parent)
            if parent is before.library:  # the keys the edit took out or put in: no
                self.__dict__["_changed_keys"] = reading.changed  # comparing 100k keys
            elif _held(getattr(parent, "parent", None)) is before.library and (
                parent.changed is not None  # (a reading not served: it had errors)
            ):
                self.__dict__["_changed_keys"] = reading.changed | parent.changed

    def line_of(self, entry: Any) -> int:
        """The entry's line (1-based) in the text served (an edited buffer's own)."""
        if self.reading is None:
            return int(entry.line)
        line = self.reading.line_of(entry)
        return int(entry.line if line is None else line)

    def prepare(self) -> None:
        """Build what diagnostics need (in the reading thread, not in a request); the
        sorted keys wait for the first completion (130 ms at 100k entries less before
        the first diagnostics); an edited buffer's author-year matcher is the one
        before it patched when there was one (in proportion to the edit)."""
        _ = self.lookup
        reading = self.reading
        if reading is not None and reading.base is not None and "matcher" not in self.__dict__:
            patched = _patched(*reading.base)
            reading.base = None
            if patched is not None:
                self.__dict__["matcher"] = reading.matcher = patched
                self.previous_matcher = None

    @cached_property
    def text(self) -> str:
        """The parsed .bib's text (for positions of entries)."""
        bib = getattr(self.library, "bib", None)
        if bib is not None:
            return bib.text
        if self.reading is not None:
            return str(self.reading.text)
        from ..encoding import read_text

        return read_text(self.path).text

    @cached_property
    def keys(self) -> list[str]:
        """Every key, in file order."""
        if self.cached or self.reading is not None:
            return self.library.keys()
        return [e.key for e in self.library]

    @cached_property
    def lookup(self) -> dict[str, str]:
        """Lower-cased key (and ``ids`` alias) -> key, as citations resolve."""
        if self.reading is not None:
            return self.reading.lookup()  # (kept up to date by the edits)
        out = {k.lower(): k for k in self.keys}
        aliases = (
            self.library.alias_keys()
            if self.cached or self.reading is not None
            else self._parsed_aliases()
        )
        for alias, key in aliases:
            out.setdefault(alias.lower(), key)
        return out

    def _parsed_aliases(self) -> list[tuple[str, str]]:
        return [(a, e.key) for e in self.library for a in e.aliases]

    @cached_property
    def _parsed(self) -> dict[str, Entry]:
        out: dict[str, Entry] = {}
        for e in self.reading.parsed_entries() if self.reading is not None else self.library:
            out.setdefault(e.key.lower(), e)
        return out

    def has(self, key: str) -> bool:
        return key.lower() in self.lookup

    def entry(self, key: str) -> Any:
        """The entry cited as ``key`` (read by its row from the cache), or None."""
        found = self.lookup.get(key.lower())
        if found is None:
            return None
        if self.cached:
            return self.library.find(found)
        entry = self._parsed.get(found.lower())
        if entry is None and self.reading is not None and self.reading.library is not None:
            return self.reading.library.find(found)  # (a chunk of the file as saved)
        return entry

    @cached_property
    def sorted_keys(self) -> list[tuple[str, str]]:
        """(lower-cased key, key), sorted: key prefixes by bisection."""
        return sorted((k.lower(), k) for k in self.keys)

    @cached_property
    def matcher(self) -> Matcher:
        """Author-year matching (built when a document first has prose citations)."""
        from ..manuscript import Matcher

        if self.cached:  # slim records: what matching reads, not 100k entries
            cited, families = _matching_records(self.library)
            return Matcher(cited, dict(self.library.alias_keys()), families)
        if self.reading is not None:  # each record with its place (``Matcher.patched``)
            cited, families = _matching_records(None, self.reading)
            aliases: dict[str, str] = {}
            for alias, key in self.reading.alias_keys():  # (the first of an alias wins)
                aliases.setdefault(alias, key)
            made = Matcher(cited, aliases, families)
            self.reading.matcher = made
            return made
        return Matcher(list(self.library))

    def matcher_now(self) -> Matcher | None:
        """The matcher if it can be had now: a large library's is built in a thread
        (seconds at 100k entries), ``on_matcher`` called when it is ready; meanwhile
        the previous reading's (an edited .bib's last), else None."""
        if "matcher" in self.__dict__ or len(self) <= MATCHER_NOW_ENTRIES:
            return self.matcher
        with _MATCHER_LOCK:
            if self._matcher_thread is None:
                self._matcher_thread = threading.Thread(target=self._build_matcher, daemon=True)
                self._matcher_thread.start()
        return self.previous_matcher

    def _build_matcher(self) -> None:
        try:
            with _BUILDING:  # one at a time, and only for the reading that serves
                if self.superseded:
                    return
                _ = self.matcher
            self.previous_matcher = None
            _settle()
        except Exception:  # the server goes on without prose matching
            log.exception("matching %s", self.path)
            return
        if self.on_matcher is not None:
            self.on_matcher()

    @cached_property
    def index(self) -> SearchIndex:
        """The search index, ranked as ``refbook search`` ranks: the library cache's search
        tables for the file as saved, an in-memory one for a buffer."""
        from ..index import memory_index

        if self.cached:
            return self.library.search_index()
        if self.reading is not None and self.reading.library is not None:
            return self.reading.library.search_index()  # the saved file's (see search_keys)
        return memory_index(self.reading.entries() if self.reading else self.library)

    def search_keys(self, words: list[str], every: bool, limit: int) -> list[str]:
        """The keys of the entries with every (else any) of ``words`` as a word prefix,
        best first, ranked as ``refbook search`` ranks (BM25 with its field weights, then
        newest, then key).  From the cache's search tables, without the count a search
        makes; when a prefix matches more than ``RANK_AT_MOST`` entries (``@t``, ``@tex``
        in a TeX library), the best of the first ``RANK_AT_MOST`` in file order."""
        joiner = " " if every else " OR "
        saved = self.reading is not None and self.reading.library is not None
        if not self.cached and not saved:
            query = joiner.join(f"{w}*" for w in words)
            return [h.key for h in self.index.search(query, limit=limit, fuzzy=False).hits]
        from ..index import BM25, RANKED

        match = (" AND " if every else " OR ").join(
            '"' + w.replace('"', '""') + '"*' for w in words
        )
        sql = (
            f"SELECT d.key FROM (SELECT rowid, {BM25} AS score FROM fts "
            f"WHERE fts MATCH ? LIMIT {RANK_AT_MOST}) s JOIN docs d ON d.rowid = s.rowid "
            f"ORDER BY {RANKED} LIMIT ?"
        )
        found = [k for (k,) in self.index.conn.execute(sql, (match, limit))]
        # an edited buffer's keys ranked by the saved file's index (its entries as saved):
        # those the buffer still has
        return [k for k in found if self.has(k)] if saved else found

    def has_doi(self, doi: str) -> bool:
        """Whether an entry has ``doi`` (normalised)."""
        from ..identifiers import normalize_doi

        if self.cached:
            return any(normalize_doi(d) == doi for d in self.library.dois_like(doi))
        entries = self.reading.entries() if self.reading is not None else self.library
        if self.reading is not None and self.reading.library is not None:
            # a large edited buffer: the DOIs of the file as saved asked of the cache
            # (reading each kept entry's record would keep it too), then its edits'
            # (an entry deleted since the save still counts until the save)
            saved = self.reading.library.dois_like(doi)
            if any(normalize_doi(d) == doi for d in saved):
                return True
            entries = self.reading.parsed_entries()
        return any(e.doi and normalize_doi(e.doi) == doi for e in entries)

    def __len__(self) -> int:
        if self.reading is not None:
            return int(self.reading.count)
        return len(self.keys)


def _matching_records(entries: Any, reading: Any = None) -> tuple[list[Any], list[list[str]]]:
    """Slim records for author-year matching (``manuscript.matching_records``), each with
    its place in the file (``Cited.pos``: its index in the file as saved; of an edited
    buffer's ``reading``, the place its chunk gave it)."""
    from ..manuscript import Cited, cited_families, matching_records

    if reading is None:
        cited, families = matching_records(entries)
        for i, c in enumerate(cited):
            c.pos = float(i)
        return cited, families
    out, families = [], []
    for i, e, _line, j in reading._walk():
        families.append(cited_families(e))
        out.append(Cited(e.key, e.year, e.title, reading.place(i, j)))
        if hasattr(e, "ord") and hasattr(e, "_reset"):  # (a row: what was read let go)
            e._reset()
    return out, families


def _held(parent: Any) -> Any:
    """A reading's parent (held weakly when a reading)."""
    return parent() if isinstance(parent, weakref.ref) else parent


def _patched(matcher: Any, gone: list[str], added: list[tuple[Any, float]]) -> Any:
    """``matcher`` with the entries keyed ``gone`` out and the parsed ``added`` (each with
    its place) in."""
    from ..manuscript import Cited, cited_families

    if any(e.aliases for e, _ in added):
        return None
    records = [Cited(e.key, e.year, e.title, place) for e, place in added]
    return matcher.patched(gone, records, [cited_families(e) for e, _ in added])


def _stamp(path: str) -> tuple[int, int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_mtime_ns, st.st_size, st.st_ino


def _errors(findings: list[Finding]) -> int:
    return sum(1 for f in findings if f.severity is Severity.ERROR)


@dataclass
class LibraryState:
    """A .bib file as the server serves it: ``snapshot`` is the last good reading;
    ``problems`` what the latest reading found wrong (shown on the .bib).  Readings run
    in a thread; ``on_change`` is called (from that thread) after each one."""

    path: str
    encoding: str | None = None
    snapshot: Snapshot | None = None
    problems: list[Finding] = field(default_factory=list)
    buffer: str | None = None  # the editor's text of the .bib, when it is open
    buffer_saved: bool = False  # that text is the file as saved (as last read)
    reading: Any = None  # the edited buffer by chunks (bibbuffer.BibReading), when edited
    read_buffer: str | None = None  # the buffer as last read (None: the file on disk)
    saved_lint: tuple[Any, Any] | None = None  # lint of the file as saved (stat, its Table)
    use_cache: bool = True  # False: ``refbook --no-cache lsp`` (every reading parses)
    on_change: Callable[[], None] | None = None
    _stamp: tuple[int, int, int] | None = None
    # the file as saved: its stamp, its text (None: let go), length and hash
    _saved: tuple[Any, str | None, int, int] | None = None
    _kept: tuple[Any, Snapshot] | None = None  # its cache's snapshot (its stamp), when edited
    # a large file as saved by chunks, made when it is opened (its stamp): its first edit
    # starts from it
    _saved_chunks: tuple[Any, Saved] | None = None
    _marked: tuple[str | None, tuple[int, Any]] | None = None  # the buffer and its mark
    _good_errors: int = 0
    _stale: bool = False
    _reader: threading.Thread | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _idle: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        self._idle.set()

    @property
    def stamp(self) -> tuple[int, int, int] | None:
        """The file's stat as last read."""
        return self._stamp

    @property
    def loading(self) -> bool:
        return not self._idle.is_set()

    def current(self) -> Snapshot | None:
        """The snapshot to serve now; a new reading is started (not awaited) when the
        file changed on disk or the editor's buffer of it changed."""
        if self._stale or (
            self.buffer is None and (self.snapshot is None or _stamp(self.path) != self._stamp)
        ):
            self.start_reading()
        return self.snapshot

    def wait(self, timeout: float) -> Snapshot | None:
        """The snapshot once the reading in flight is done (at most ``timeout`` s)."""
        self._idle.wait(timeout)
        return self.snapshot

    def changed_on_disk(self) -> bool:
        return self.buffer is None and not self.loading and _stamp(self.path) != self._stamp

    def set_buffer(self, text: str | None, mark: tuple[int, Any] | None = None) -> None:
        """The editor's text of the .bib (None: closed, serve the file on disk); read
        when next asked for.  ``mark``: its number among the document's texts and where
        they changed (``textdocs.Edits``): an edited reading takes the change's range
        from them."""
        self._marked = (text, mark) if mark is not None else None
        self.buffer = text
        self._stale = True

    def _mark_of(self, text: str) -> tuple[int, Any] | None:
        """``text``'s mark (``set_buffer``), when it is the buffer last set."""
        marked = self._marked
        return marked[1] if marked is not None and marked[0] is text else None

    def start_reading(self) -> None:
        with self._lock:
            self._stale = False
            if self.loading:
                return  # the reader looks again when it is done
            self._idle.clear()
            self._reader = threading.Thread(target=self._read_loop, daemon=True)
            self._reader.start()

    def _read_loop(self) -> None:
        try:
            while True:
                started = (_stamp(self.path), self.buffer)
                self.reload()
                with self._lock:
                    if (_stamp(self.path), self.buffer) == started and not self._stale:
                        self._idle.set()
                        break
                    self._stale = False
        except Exception:  # never fatal: the last good state keeps serving
            log.exception("reading %s", self.path)
            self._idle.set()
        if self.on_change is not None:
            self.on_change()
        try:
            self._prepare_edits()
        except Exception:  # (the first edit makes it then)
            log.exception("reading %s by chunks", self.path)

    def _prepare_edits(self) -> None:
        """A large .bib open as saved: its chunks made now, after its diagnostics (a
        second at 100k entries), not on its first edit."""
        snap, buffer, stamp = self.snapshot, self.buffer, self._stamp
        if (
            buffer is None
            or not self.buffer_saved
            or self.reading is not None
            or snap is None
            or not snap.cached
            or len(buffer) < BUILD_APART_BYTES
            or (self._saved_chunks is not None and self._saved_chunks[0] == stamp)
        ):
            return
        from .bibbuffer import Saved

        saved = Saved.make(buffer, snap.library, (snap.keys, snap.lookup))
        if saved is not None:
            self._saved_chunks = (stamp, saved)
            if self.saved_lint is not None and self.saved_lint[0] == stamp:
                saved.take(self.saved_lint[1])

    def take_saved_lint(self, stamp: Any, found: Any) -> None:
        """lint's findings of the file as saved (its ``stamp``): kept by its chunks."""
        self.saved_lint = (stamp, found)
        made = self._saved_chunks
        if made is not None and made[0] == stamp and made[1].findings is None:
            made[1].take(found)

    def reload(self) -> None:
        """Read the file (or the buffer, when it differs from the file) here and now; a
        reading with new syntax errors, or one that fails, leaves the last good snapshot
        serving and says why in ``problems``."""
        stamp = _stamp(self.path)
        buffer = self.buffer
        edited = buffer if buffer is not None and not self._is_saved(buffer) else None
        self._saved = self._saved if buffer is not None else None
        self.buffer_saved = buffer is not None and edited is None
        kept = self._kept[1] if self._kept and self._kept[0] == stamp and buffer else None
        self._kept = self._kept if buffer is not None else None
        try:
            if edited is not None:
                library, problems = self._read_buffer(edited)
            else:
                moved = self.reading and self.reading.library and self.reading.saved_stamp != stamp
                if buffer is None or moved:
                    self.reading = None  # (saved: a large file's next edit starts from its cache)
                elif (
                    self.reading is not None
                    and self.reading.saved is not None
                    and self.reading.saved_stamp == stamp
                    and kept
                ):
                    # the edits undone: the file as saved again, its cache's matcher
                    from .bibbuffer import BibReading

                    self.reading = BibReading.from_saved(self.reading.saved, buffer)
                    self.reading.saved_stamp = stamp
                    self.reading.matcher = kept.__dict__.get("matcher")
                elif self.reading is not None:  # the saved text by chunks, for what
                    self.reading, _ = self._read_buffer(buffer)  # follows
                if kept is not None:  # (an edit undone: the cache's reading of it again)
                    library = kept.library
                elif self.use_cache:
                    library = open_library(self.path, self.encoding)
                else:
                    library = load_library(self.path, self.encoding)
                problems = list(library.problems)
        except RefbookError as exc:
            self._stamp = stamp
            self.problems = [_read_error(self.path, exc)]
            self.reading, self.read_buffer = None, buffer
            return
        if self.reading is not None and buffer is not None and self.reading.text is buffer:
            self.reading.mark = self._mark_of(buffer)  # (the next edit's span from it)
        self.read_buffer = buffer
        self._stamp = stamp
        self.problems = problems
        errors = _errors(problems)
        if self.snapshot is not None and errors > self._good_errors:
            return  # malformed since the last good reading: keep serving that
        self._good_errors = errors
        if kept is not None and library is kept.library:
            kept.superseded, self.snapshot = False, kept
            return
        snapshot = Snapshot(library, self.path, self.on_change)
        if edited is not None and self.snapshot is not None:
            if self.snapshot.cached:  # served again if the edits are undone
                self._kept = (stamp, self.snapshot)
            snapshot.follow(self.snapshot)
        snapshot.prepare()
        self.snapshot = snapshot
        _settle()

    def _is_saved(self, buffer: str) -> bool:
        """Whether the editor's ``buffer`` is the file as saved (then the cache serves
        it).  Once an edited reading follows the buffer, the saved text is not kept (74
        MB at 100,000 entries): its length and hash are compared."""
        stamp = _stamp(self.path)
        if (self._saved is None or self._saved[0] != stamp) and self._saved_text() is None:
            return False
        assert self._saved is not None
        _stamp_, text, size, digest = self._saved
        if text is not None:
            return text == buffer
        return len(buffer) == size and hash(buffer) == digest

    def _saved_text(self) -> str | None:
        """The file as saved, when the editor has it open; read again when the file
        changed or it was let go (the buffer itself when the same: one copy, found so
        without reading the file whole when it can be: ``holds_text``)."""
        from ..encoding import holds_text, read_text

        buffer = self.buffer
        if buffer is None:
            self._saved = None
            return None
        stamp = _stamp(self.path)
        if self._saved is not None and self._saved[0] == stamp and self._saved[1] is not None:
            return self._saved[1]
        try:
            if holds_text(self.path, buffer, self.encoding):
                text = buffer
            else:
                text = read_text(self.path, self.encoding).text
        except (OSError, RefbookError):
            self._saved = None
            return None
        text = buffer if text == buffer else text
        self._saved = (stamp, text, len(text), hash(text))
        return text

    def _span(self, reading: Any, text: str) -> tuple[int, int] | None:
        """The length of the start and of the end ``reading``'s text and the buffer
        ``text`` share at least, from the editor's changes between them (None: not
        known; the texts are compared)."""
        mark, now = reading.mark, self._mark_of(text)
        if mark is None or now is None or mark[1] is not now[1]:
            return None
        span: tuple[int, int] | None = now[1].span(mark[0], now[0])
        return span

    def _read_buffer(self, text: str) -> tuple[Any, list[Finding]]:
        """The edited buffer ``text`` by chunks (``bibbuffer.BibReading``) and its parse
        problems: the last reading of it edited, else (a large file) the saved file's
        cache rows edited, else parsed (every chunk's findings then made here)."""
        from ..blocks import no_gc
        from .bibbuffer import BibReading

        with no_gc():  # (objects that live on: the collector would walk them for nothing)
            reading = self.reading
            snap = self.snapshot
            if reading is not None and reading.library and reading.saved_stamp != self._stamp:
                reading = None  # the file changed on disk: its cache rows with it
            saved = self._saved_text() if reading is None else None
            if (
                reading is None
                and saved is not None
                and len(saved) >= BUILD_APART_BYTES  # (a small file: every chunk parsed)
                and snap is not None
                and snap.cached
            ):
                made = self._saved_chunks
                if made is not None and made[0] == self._stamp and made[1].library is snap.library:
                    reading = BibReading.from_saved(made[1], saved)
                else:
                    known = (snap.keys, snap.lookup)
                    reading = BibReading.from_cache(saved, self.path, snap.library, known)
                if reading is not None:
                    reading.saved_stamp = self._stamp
                    reading.matcher = snap.__dict__.get("matcher")  # (the same entries)
            if reading is not None:
                reading = reading.edit(text, self._span(reading, text))
            else:
                reading = BibReading.parse(text, self.path, saved)
            self.reading = reading
            if self._saved is not None:  # (the reading follows the buffer from now on)
                self._saved = (self._saved[0], None, *self._saved[2:])
            return reading, reading.problems()


def _settle() -> None:
    """Move what is alive now (the library just read) out of the garbage collector's
    sight: a long-running server would otherwise walk every entry's objects again in
    each full collection, a pause of seconds at 100k entries while the user types.
    What is garbage now is collected first (it walks only what is not frozen yet:
    what the reading made): frozen, a cycle would live as long as the server.  One did
    each time a title was decoded by pylatexenc while an edited .bib was read (its
    end-of-stream exception's traceback, whose frames held the reading, its snapshot
    and the buffer's 74 MB text before the edit)."""
    import gc

    gc.collect()
    gc.freeze()


def _read_error(path: str, exc: RefbookError) -> Finding:
    """A reading that failed as one finding (the message names its line when it can)."""
    import re

    message = str(exc)
    m = re.search(r":(\d+):", message)
    return Finding(
        path, int(m.group(1)) if m else 1, Severity.ERROR, "syntax", message.split(": error: ")[-1]
    )
