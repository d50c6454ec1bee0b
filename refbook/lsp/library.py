"""The bibliography behind the language server: read through refbook's public API,
re-read when the file changes on disk, the last good state kept while the file is
malformed.

``load_library`` is the one place entries are read; a faster reader (the library cache)
is switched in there.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

from ..errors import RefbookError
from ..findings import Finding, Severity

if TYPE_CHECKING:
    from ..index import SearchIndex
    from ..manuscript import Matcher
    from ..model import Entry, Library


def load_library(path: str, encoding: str | None = None, text: str | None = None) -> Library:
    """The library at ``path`` (or, when the editor has it open, its buffer ``text``)."""
    from ..model import Library, load
    from ..store import BibFile

    if text is not None:
        return Library(BibFile(text, name=path))
    return load(path, encoding)


@dataclass
class Snapshot:
    """One good reading of the bibliography, with the indexes features ask for, each
    built when first needed."""

    library: Library
    from_disk: bool
    path: str

    @cached_property
    def text(self) -> str:
        """The .bib's text as read (for positions of entries)."""
        bib = getattr(self.library, "bib", None)
        if bib is not None:
            return bib.text
        from ..encoding import read_text

        return read_text(self.path).text

    @cached_property
    def entries(self) -> list[Entry]:
        return list(self.library)

    @cached_property
    def by_key(self) -> dict[str, Entry]:
        """Lower-cased key (and ``ids`` alias) -> entry, as citations resolve."""
        out = {e.key.lower(): e for e in self.entries}
        for e in self.entries:
            for alias in e.aliases:
                out.setdefault(alias.lower(), e)
        return out

    @cached_property
    def sorted_keys(self) -> list[tuple[str, str]]:
        """(lower-cased key, key), sorted: key prefixes by bisection."""
        return sorted((e.key.lower(), e.key) for e in self.entries)

    @cached_property
    def matcher(self) -> Matcher:
        from ..manuscript import Matcher

        return Matcher(self.entries)

    @cached_property
    def index(self) -> SearchIndex:
        """The search index, ranked as ``refbook search`` ranks: the library cache's (kept
        fresh by ``refbook.cache``) for the file as saved, an in-memory one for a buffer."""
        from ..cache import open_cached
        from ..index import memory_index

        if self.from_disk:
            try:
                cached, _warnings = open_cached(self.path)
            except (OSError, RefbookError):
                cached = None
            if cached is not None:
                return cached.search_index()
        return memory_index(self.library)


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
    ``problems`` what the latest reading found wrong (shown on the .bib)."""

    path: str
    encoding: str | None = None
    snapshot: Snapshot | None = None
    problems: list[Finding] = field(default_factory=list)
    buffer: str | None = None  # the editor's unsaved text of the .bib, when it is open
    _stamp: tuple[int, int, int] | None = None
    _good_errors: int = 0
    _stale: bool = False

    def current(self) -> Snapshot | None:
        """The snapshot to serve, re-read first when the file changed on disk (or the
        editor's buffer of it changed)."""
        if self._stale or (
            self.buffer is None and (self.snapshot is None or _stamp(self.path) != self._stamp)
        ):
            self.reload()
        return self.snapshot

    def changed_on_disk(self) -> bool:
        return self.buffer is None and _stamp(self.path) != self._stamp

    def set_buffer(self, text: str | None) -> None:
        """The editor's text of the .bib (None: closed, serve the file on disk); read
        when next asked for."""
        self.buffer = text
        self._stale = True

    def reload(self) -> None:
        """Read the file (or the buffer); a reading with new syntax errors, or one that
        fails, leaves the last good snapshot serving and says why in ``problems``."""
        stamp = _stamp(self.path)
        self._stale = False
        try:
            library = load_library(self.path, self.encoding, self.buffer)
            problems = list(library.problems)
        except RefbookError as exc:
            self._stamp = stamp
            self.problems = [_read_error(self.path, exc)]
            return
        self._stamp = stamp
        self.problems = problems
        errors = _errors(problems)
        if self.snapshot is not None and errors > self._good_errors:
            return  # malformed since the last good reading: keep serving that
        self._good_errors = errors
        self.snapshot = Snapshot(library, self.buffer is None, self.path)
        _settle()


def _settle() -> None:
    """Move what is alive now (the library just read) out of the garbage collector's
    sight: a long-running server would otherwise walk every entry's objects again in
    each full collection, a pause of seconds at 100k entries while the user types."""
    import gc

    gc.freeze()


def _read_error(path: str, exc: RefbookError) -> Finding:
    """A reading that failed as one finding (the message names its line when it can)."""
    import re

    message = str(exc)
    m = re.search(r":(\d+):", message)
    return Finding(
        path, int(m.group(1)) if m else 1, Severity.ERROR, "syntax", message.split(": error: ")[-1]
    )
