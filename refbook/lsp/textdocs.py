"""The editor's documents as the server keeps them: pygls's ``TextDocument``, with an
incremental change applied by splicing the text at the change's offsets.

pygls applies a change by splitting the whole text into lines and writing them all out
again: for a 74 MB .bib (100,000 entries, 2 million lines) that is 1.7 s on the server's
loop for each keystroke and 260 MB of short-lived line strings.  Here the change's lines
are found by counting newlines (in C, 64 KiB at a time) and the text is cut and joined
once (``splice``: without copying the text's two parts beside it); the characters of the
change's two lines are converted from the client's units by pygls's own codec, so the
result is the text pygls makes.  A text with line breaks other
than ``\\n`` and ``\\r\\n`` (pygls counts ``\\r``, form feeds, U+2028… as line ends too),
and a change that starts or ends past the last line, are left to pygls.
"""

from __future__ import annotations

import re
from typing import Any

from lsprotocol import types as lsp
from pygls.workspace.text_document import TextDocument
from pygls.workspace.workspace import Workspace

from .documents import line_start

# what str.splitlines ends a line at, besides "\n" and "\r\n"
_OTHER_BREAK = re.compile("[\v\f\x1c\x1d\x1e\x85\u2028\u2029]|\r(?!\n)")
_OTHER_ENDS = "\v\f\x1c\x1d\x1e\x85\u2028\u2029"


def plain_breaks(text: str) -> bool:
    """Whether only "\n" and "\r\n" end lines in ``text`` (``_OTHER_BREAK`` nowhere in
    it), by string searches: the expression took 2 s over a 74 MB .bib at the first
    keystroke.  (A lone "\r": fewer "\r\n" than "\r".)"""
    ends = _OTHER_ENDS[:5] if text.isascii() else _OTHER_ENDS  # (isascii: known at once)
    if any(c in text for c in ends):
        return False
    return "\r" not in text or text.count("\r") == text.count("\r\n")


class SplicedDocument(TextDocument):
    """A ``TextDocument`` whose incremental changes cost the change, not the text."""

    _plain: bool | None = None  # only "\n" and "\r\n" end lines in the text
    # a line and where it starts (the last change's): the next change's line is counted
    # from there (typing goes on near it), not from the text's start (37 MB of newlines
    # counted per keystroke in the middle of a 74 MB .bib)
    _near: tuple[int, int] = (0, 0)
    _edits: Edits | None = None

    @property
    def edits(self) -> Edits:
        """Where each change changed the text (``Edits``)."""
        if self._edits is None:
            self._edits = Edits()
        return self._edits

    def _apply_incremental_change(self, change: lsp.TextDocumentContentChangePartial) -> None:
        source = self.source
        if self._plain is None:
            self._plain = plain_breaks(source)
        spliced = self._spliced(source, change) if self._plain else None
        if spliced is None:
            super()._apply_incremental_change(change)
            self._plain, self._near = None, (0, 0)
            self.edits.add(None)
            return
        self._source, at = spliced
        # (the text after the change is the old text's last ``tail`` characters)
        self.edits.add((at, len(self._source) - at - len(change.text)))
        # (a change can make a lone "\r" where it cuts or joins the text)
        around = _OTHER_BREAK.search(self._source, max(at - 1, 0), at + len(change.text) + 2)
        self._plain = around is None

    def _apply_full_change(self, change: lsp.TextDocumentContentChangeEvent) -> None:
        super()._apply_full_change(change)
        self._plain, self._near = None, (0, 0)  # (a new text: looked at again)
        self.edits.add(None)

    def _line_start(self, source: str, line: int) -> int | None:
        """Where the 0-based ``line`` starts, counted from the last change's line when
        it is at or above it."""
        near, at = self._near
        found = line_start(source, line - near, at) if line >= near else line_start(source, line)
        if found is not None:  # (the text before a change is the same after it)
            self._near = (line, found)
        return found

    def _spliced(
        self, source: str, change: lsp.TextDocumentContentChangePartial
    ) -> tuple[str, int] | None:
        """``source`` with ``change`` made, as pygls makes it, and where the change starts
        (None: leave it to pygls)."""
        start, end = change.range.start, change.range.end
        if (end.line, end.character) < (start.line, start.character):
            return None  # (what pygls makes of a range that ends before it starts)
        first = self._line_start(source, start.line)
        if first == len(source) and (not source or source.endswith("\n")):
            return source + change.text, first  # on the line after the last (as pygls)
        a = self._offset(source, first, start.character)
        last = line_start(source, end.line - start.line, first) if first is not None else None
        b = self._offset(source, last, end.character)
        if a is None or b is None or b < a:
            return None
        return splice(source, a, b, change.text), a

    def _offset(self, source: str, begin: int | None, character: int) -> int | None:
        """The offset of the client's ``character`` on the line starting at ``begin``."""
        if begin is None or begin >= len(source):
            return None  # past the last line: pygls's own rules
        stop = source.find("\n", begin)
        text = source[begin : len(source) if stop < 0 else stop + 1]
        where = self._position_codec.position_from_client_units([text], lsp.Position(0, character))
        return begin + where.character


# characters of the text kept each side of a change in the stretch ``splice`` replaces
# (doubled while the stretch occurs earlier in the text), and the most it takes
_AROUND, _AROUND_MOST = 64, 1 << 16


def splice(source: str, a: int, b: int, text: str) -> str:
    """``source[:a] + text + source[b:]``, made without copying the two parts of
    ``source`` first: the stretch around ``a``..``b`` replaced where it first occurs,
    once it first occurs there (``str.replace`` writes the new text once).  The join of
    two slices held a second copy of a 74 MB .bib beside the old and the new text at
    every keystroke.  (A stretch that occurs earlier even 64 KiB wide, or a change of
    most of the text: the join.)"""
    size = len(source)
    around = _AROUND
    while b - a <= size // 2 and around <= _AROUND_MOST:
        lo, hi = max(a - around, 0), min(b + around, size)
        stretch = source[lo:hi]
        if source.find(stretch, 0, hi) == lo:  # (its first occurrence: the change's)
            return source.replace(stretch, source[lo:a] + text + source[b:hi], 1)
        around *= 2
    return "".join((source[:a], text, source[b:]))


class Edits:
    """Where a document's text changed, change by change: each text it has had is
    numbered (``serial``, one more per change) and ``span`` says in which stretch one
    differs from an earlier one, so a reading of the .bib after an edit takes the
    change's range instead of comparing two 74 MB texts.  Changes are kept in one tuple,
    replaced whole (read from a reading thread while the loop adds to it)."""

    KEPT = 512  # changes kept (a reading further behind compares the texts)

    def __init__(self) -> None:
        # (the latest serial; each change's (start, end) kept: the length of the text's
        # start and end it left as they were, or None: not known)
        self._log: tuple[int, tuple[tuple[int, int] | None, ...]] = (0, ())

    @property
    def serial(self) -> int:
        return self._log[0]

    def add(self, kept: tuple[int, int] | None) -> None:
        serial, changes = self._log
        self._log = (serial + 1, (*changes[1 - self.KEPT :], kept))

    def span(self, since: int, now: int) -> tuple[int, int] | None:
        """(the length of the start, of the end) the texts numbered ``since`` and ``now``
        share at least (the changes between them touched neither); None when not known."""
        serial, changes = self._log
        first = len(changes) - (serial - since)  # (the index of the change after ``since``)
        if now < since or first < 0 or first + now - since > len(changes):
            return None
        head = tail = 1 << 62
        for kept in changes[first : first + now - since]:
            if kept is None:
                return None
            head, tail = min(head, kept[0]), min(tail, kept[1])
        return head, tail


def splice_changes(workspace: Workspace) -> None:
    """Make ``workspace`` keep the documents it opens from now on as ``SplicedDocument``s."""
    create = workspace._create_text_document

    def spliced(*args: Any, **kwargs: Any) -> TextDocument:
        doc = create(*args, **kwargs)
        if type(doc) is TextDocument:  # (only pygls's own: it has nothing more)
            doc.__class__ = SplicedDocument
        return doc

    workspace._create_text_document = spliced  # type: ignore[method-assign]
