"""A .bib's text as located blocks: what ``BibFile`` is made of.

bibtexparser 2.x (no middleware) splits the text into blocks; here each block is found
again in the original text, so that it keeps its exact character span and line, and the
text between blocks stays where it was.  Its log messages (where a block was given up on)
are captured, not printed: ``refbook.diagnostics`` turns them into findings.
``parse_one_entry`` checks the text of one entry before an edit puts it in the file.
"""

from __future__ import annotations

import gc
import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from . import bibtex
from .errors import UsageError

if TYPE_CHECKING:
    from bibtexparser import Library as ParsedLibrary
    from bibtexparser.model import Entry as ParsedEntry

# an entry's start and key: "@article{key,"
KEY_NEAR = re.compile(r"@\s*[A-Za-z][\w-]*\s*[{(]\s*([^,\s{}()=]+)\s*,")
# bibtexparser's log message for a block it gave up on
ABORT_MSG = re.compile(
    r"Parsing of `(?P<type>[^`]*)` block \(line (?P<block>\d+)\) aborted on line (?P<line>\d+)"
    r"[^\n]*\n\s*(?P<detail>.*)",
    re.S,
)
_LONE_CR = re.compile(r"\r(?!\n)")


class Block:
    """One block of the file: an entry, ``@string``, ``@preamble``, ``@comment``, text between
    entries, or a block that failed to parse.  ``start``/``end`` are offsets in the original
    text; an edited block carries its new text, an appended one has no original span."""

    __slots__ = ("kind", "start", "end", "line", "key", "entry", "replacement", "new", "scope")

    def __init__(
        self, kind: str, start: int, end: int, line: int, key: str | None, entry: Any = None
    ) -> None:
        self.kind = kind  # entry | string | preamble | comment | text | invalid | removed
        self.start = start
        self.end = end
        self.line = line  # 1-based line of the block's first character
        self.key = key
        self.entry = entry  # bibtexparser.model.Entry for entries
        self.replacement: str | None = None  # the block's new text after an edit
        self.new = False
        # @string definitions above the block (see bibtex.MacroTable); None: all of them
        self.scope: int | None = None

    def __repr__(self) -> str:
        return f"<Block {self.kind} {self.key or ''} line {self.line}>"

    @property
    def edited(self) -> bool:
        """Whether the block carries new text (edited in this session): its ``entry`` was
        parsed from that text on its own, not from the file."""
        return self.replacement is not None


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@contextmanager
def no_gc() -> Iterator[None]:
    """The cyclic garbage collector paused while a file is parsed: parsing builds objects
    that all live on, which the collector would walk again and again for nothing (15 % of
    loading 500 entries, 8 % of 10,000)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def parse_blocks(text: str) -> tuple[ParsedLibrary, list[logging.LogRecord]]:
    """bibtexparser's block splitter, its log messages captured instead of printed."""
    import bibtexparser

    logger = logging.getLogger("bibtexparser")
    handler = _Collect()
    old = logger.propagate
    logger.addHandler(handler)
    logger.propagate = False
    try:
        library = bibtexparser.parse_string(text, parse_stack=[])
    finally:
        logger.removeHandler(handler)
        logger.propagate = old
    return library, handler.records


def lf_lines(text: str) -> str:
    """The text with each lone CR (the old Mac line ending) made an LF: the same length, so
    every offset holds, while line counts and bibtexparser's line numbers become right for
    CR files too."""
    return _LONE_CR.sub("\n", text) if "\r" in text else text


def locate_blocks(
    text: str, library: ParsedLibrary, macros: bibtex.MacroTable
) -> Iterator[tuple[Block, Any]]:
    """Each parsed block found again in ``text`` (already ``lf_lines``), in file order, with
    bibtexparser's block; ``@string`` macros are defined in ``macros`` as they come.  A
    block whose text cannot be found is skipped: it stays in the gap around it, verbatim."""
    from bibtexparser import model as bm

    pos = 0
    line = 1
    last = 0
    blocks = library.blocks
    for i, b in enumerate(blocks):
        raw: str = b.raw or ""
        start = text.find(raw, pos) if raw else -1
        if start < 0:
            continue
        line += text.count("\n", last, start)
        last = start
        end = start + len(raw)
        if isinstance(b, bm.ParsingFailedBlock) and i + 1 < len(blocks):
            end = start + _head_of_next(raw, blocks[i + 1].raw or "")
        pos = end
        if isinstance(b, bm.DuplicateBlockKeyBlock) and isinstance(b.ignore_error_block, bm.String):
            # bibtexparser's wrapper for a macro defined again: BibTeX accepts it
            blk = _define(macros, b.ignore_error_block, start, end, line)
        elif isinstance(b, (bm.Entry, bm.DuplicateBlockKeyBlock, bm.DuplicateFieldKeyBlock)):
            entry: Any = b if isinstance(b, bm.Entry) else b.ignore_error_block
            blk = Block("entry", start, end, line, entry.key, entry)
            blk.scope = macros.count
        elif isinstance(b, bm.String):
            blk = _define(macros, b, start, end, line)
        elif isinstance(b, bm.Preamble):
            blk = Block("preamble", start, end, line, None)
        elif isinstance(b, bm.ExplicitComment):
            blk = Block("comment", start, end, line, None)
        elif isinstance(b, bm.ImplicitComment):
            blk = Block("text", start, end, line, None)
        else:  # ParsingFailedBlock and anything new
            m = KEY_NEAR.match(raw)
            blk = Block("invalid", start, end, line, m.group(1) if m else None)
        yield blk, b


def _head_of_next(failed: str, following: str) -> int:
    """How much of a failed block's text is its own: bibtexparser ends a block it gave up
    on with the head of the next one (``@online{x\n@article``), which the next block's
    text starts with again.  Searched from after that head, the next block would be found
    further on (a later entry with the same head), and every entry between the two would
    vanish from the file's reading."""
    at = failed.rfind("@")
    while at > 0:
        if following.startswith(failed[at:]):
            return at
        at = failed.rfind("@", 0, at)
    return len(failed)


def _define(macros: bibtex.MacroTable, string: Any, start: int, end: int, line: int) -> Block:
    """An ``@string`` block; its macro is defined from here on (``bibtex.MacroTable``)."""
    blk = Block("string", start, end, line, string.key)
    blk.scope = macros.count
    macros.define(string.key, string.value)
    return blk


def duplicate_fields(entry: ParsedEntry) -> dict[str, list[int]]:
    """Field names written more than once in a (bibtexparser) entry, with the 1-based
    lines where each is written, relative to the parsed text."""
    lines: dict[str, list[int]] = {}
    for f in entry.fields:
        lines.setdefault(f.key.lower(), []).append(f.start_line + 1)
    return {name: at for name, at in lines.items() if len(at) > 1}


class DuplicateFieldError(UsageError):
    """The text of an entry to put in the file writes a field twice."""


def parse_one_entry(text: str) -> ParsedEntry:
    """The text of exactly one entry, parsed (for an edit): anything else, a field written
    twice, or a value refbook's grammar cannot split, is a ``UsageError``."""
    library, records = parse_blocks(bibtex.reader_text(text))
    from bibtexparser import model as bm

    for b in library.blocks:
        entry = getattr(b, "ignore_error_block", b)
        dups = duplicate_fields(entry) if isinstance(entry, bm.Entry) else {}
        if dups:  # (bibtexparser tells only exact-case repeats: Title and title are too)
            raise DuplicateFieldError(
                f"not a valid BibTeX entry: field {next(iter(dups))!r} written twice"
            )
    entries = [b for b in library.blocks if isinstance(b, bm.Entry)]
    others = [b for b in library.blocks if not isinstance(b, (bm.Entry, bm.ImplicitComment))]
    if len(entries) != 1 or others or library.failed_blocks:
        detail = ""
        for rec in records:
            m = ABORT_MSG.match(rec.getMessage())
            if m:
                detail = ": " + m.group("detail").strip()
        raise UsageError(f"not a single valid BibTeX entry{detail}")
    try:
        bibtex.scan_entry(text.strip())
    except bibtex.BibSyntaxError as exc:
        raise UsageError(f"not a valid BibTeX entry: {exc}") from None
    for f in entries[0].fields:
        try:
            bibtex.split_parts(f.value)
        except bibtex.BibSyntaxError as exc:
            raise UsageError(f"field {f.key!r}: {exc}") from None
    return entries[0]
