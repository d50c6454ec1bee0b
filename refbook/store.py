"""Read and write a .bib file without ever damaging it.

The file is parsed once with bibtexparser 2.x (no middleware: values are decoded lazily
by ``refbook.model``).  Every block keeps its character span in the original text, and
the text *between* blocks is kept too, so rendering an unchanged file gives back the
same bytes, and an edit splices just the changed entry into the original text: a
``git diff`` shows that entry alone.  bibtexparser's writer is never used, because it
re-lays-out every entry.

Writes are atomic (temporary file in the same directory, fsync, rename, file mode kept),
serialised by a lock (``filelock``, kept in the user cache directory so that no lock file
appears next to the user's .bib), and refused when the file changed on disk since it was
read.  ``editing(path)`` takes the lock *before* reading, so concurrent read-modify-write
cycles (twenty ``refbook add`` at once) all succeed.

The parts that stand on their own live beside it: ``refbook.blocks`` (the text as located
blocks), ``refbook.diagnostics`` (parse problems as findings), ``refbook.filestyle`` (the
file's own way of writing entries) and ``refbook.files`` (locks, atomic writes, ``-o``).
What is left (a little over 500 lines) is ``BibFile``: reading, lookup, editing and saving
share its block list, key index and change tracking, so they stay one class.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from . import bibtex, filestyle
from .blocks import (
    KEY_NEAR,
    Block,
    DuplicateFieldError,
    duplicate_fields,
    lf_lines,
    no_gc,
    parse_blocks,
    parse_one_entry,
)
from .diagnostics import duplicate_field_message, read_blocks
from .encoding import Decoded, Encoding
from .errors import InputError, NotFoundError, UsageError, WriteError
from .files import (
    LOCK_TIMEOUT,
    StagedWrite,
    atomic_write,
    check_output,
    file_lock,
    reason,
    refuse_readonly,
    stage_write,
    write_output,
)
from .filestyle import Style
from .findings import Finding, Severity

# the store's public names; those of its parts (blocks, files, filestyle) are re-exported
__all__ = [
    "LOCK_TIMEOUT",
    "BibFile",
    "Block",
    "Change",
    "StagedWrite",
    "Style",
    "atomic_write",
    "check_output",
    "duplicate_fields",
    "editing",
    "file_lock",
    "refuse_readonly",
    "stage_write",
    "write_output",
]


@dataclass(frozen=True)
class Change:
    """One entry an edit adds, modifies or removes (what ``--json`` of an edit reports).
    ``line`` is read from the block, so after a save it is the line in the new file."""

    change: str  # added | modified | removed
    key: str
    old_key: str | None
    block: Block

    @property
    def line(self) -> int | None:
        return self.block.line or None  # an appended entry has no line until it is saved

    def to_dict(self) -> dict:
        d = {"change": self.change, "key": self.key, "line": self.line}
        if self.old_key and self.old_key != self.key:
            d["old_key"] = self.old_key
        return d


def _newline_of(text: str) -> str:
    """The file's line ending: the one most of its lines use."""
    lf = text.count("\n")
    crlf = text.count("\r\n")
    if crlf * 2 > lf:
        return "\r\n"
    return "\r" if text.count("\r") - crlf > lf else "\n"


BIB_OPTION = 'refbook --encoding {0} (or encoding = "{0}" in refbook.toml)'


def _near_key(text: str, line: int) -> str:
    keys = KEY_NEAR.findall(text)
    return f", near key {keys[-1]}" if keys else ""


def _decode(data: bytes, path: str, encoding: str | None = None) -> Decoded:
    """The text of a .bib (see ``refbook.encoding``: never guessed, since it is written back)."""
    from .encoding import decode

    return decode(data, path, encoding, option=BIB_OPTION, near=_near_key)


class BibFile:
    """A parsed .bib file that can be edited entry by entry and saved losslessly."""

    def __init__(
        self,
        text: str,
        path: str | os.PathLike | None = None,
        *,
        raw: bytes | None = None,
        bom: bool = False,
        name: str | None = None,
        encoding: Encoding | None = None,
    ):
        self.path = Path(path) if path is not None and str(path) != "-" else None
        self.name = name or (str(path) if path is not None and str(path) != "-" else "<stdin>")
        self.text = text
        self.encoding = encoding or Encoding(bom=bom)  # written back in the same encoding
        self._raw = raw  # the bytes read, to detect changes on disk before saving
        self.newline = _newline_of(text)
        self.blocks: list[Block] = []
        self.problems: list[Finding] = []
        self.macros = bibtex.MacroTable()
        self._index: dict[str, list[Block]] | None = None
        self._aliases: dict[str, Block] | None = None  # ids aliases (find)
        self._style: Style | None = None
        self._whole: str | None = None  # a rewrite of the whole file (fmt)
        self.modified = False
        with no_gc():
            self._load()

    @property
    def bom(self) -> bool:
        return self.encoding.bom

    # -- reading --------------------------------------------------------------------
    @classmethod
    def read(cls, path: str | os.PathLike, encoding: str | None = None) -> BibFile:
        """Read a .bib from disk (``-`` reads standard input).  ``encoding`` overrides what
        the file says about itself (byte-order mark, JabRef's ``% Encoding:`` header)."""
        if str(path) == "-":
            import sys

            data = sys.stdin.buffer.read()
            return cls._decoded(_decode(data, "<stdin>", encoding), "-", None)
        from .encoding import read_bytes

        p = Path(path)
        data = read_bytes(p, "a .bib file")
        return cls._decoded(_decode(data, str(p), encoding), p, data)

    @classmethod
    def _decoded(cls, decoded: Decoded, path: str | os.PathLike, raw: bytes | None) -> BibFile:
        bib = cls(decoded.text, path, raw=raw, encoding=decoded.encoding)
        for note in decoded.notes:  # e.g. a JabRef header that contradicts the bytes
            bib.problems.insert(
                0,
                Finding(
                    bib.name, 1, Severity.WARNING, "encoding", note.split(": warning: ", 1)[-1]
                ),
            )
        return bib

    def _load(self) -> None:
        """The blocks and their parse problems (``refbook.diagnostics``)."""
        self.blocks, problems = read_blocks(self.text, self.name, self.macros)
        self.problems.extend(problems)

    # -- access ---------------------------------------------------------------------
    @property
    def strings(self) -> dict[str, str]:
        """The ``@string`` macros (lower-case names) with their values at the end of the file."""
        return self.macros.final()

    def strings_for(self, blk: Block) -> Mapping[str, str]:
        """The macros an entry sees: those defined above it, as BibTeX reads the file."""
        return self.macros.at(blk.scope)

    def entries(self) -> list[Block]:
        return [b for b in self.blocks if b.kind == "entry"]

    def pending_changes(self) -> list[Change]:
        """The entries changed since the file was read (or last saved), in file order."""
        out = []
        for blk in self.blocks:
            if blk.new:
                out.append(Change("added", blk.key or "", None, blk))
            elif blk.kind == "removed":
                out.append(Change("removed", blk.key or "", None, blk))
            elif blk.kind == "entry" and blk.replacement is not None:
                original = self.text[blk.start : blk.end]
                if blk.replacement != original:
                    m = KEY_NEAR.match(original.lstrip())
                    out.append(Change("modified", blk.key or "", m.group(1) if m else None, blk))
        return out

    def block_text(self, blk: Block) -> str:
        return blk.replacement if blk.replacement is not None else self.text[blk.start : blk.end]

    def find(self, key: str) -> Block | None:
        """The entry with this key, compared case-insensitively as BibTeX and biber do
        (an exact-case match wins when a file has keys that differ only in case), or else
        the entry that has it among its biblatex ``ids`` aliases (``refbook merge`` keeps
        the dropped key there, so old citations still resolve)."""
        index = self._index
        if index is None:
            index = self._index = {}
            self._aliases = None
            for b in self.blocks:
                if b.kind == "entry":
                    index.setdefault((b.key or "").lower(), []).append(b)
        found = index.get(key.lower())
        if not found:
            return self.aliases().get(key.lower())
        return next((b for b in found if b.key == key), found[0])

    def aliases(self) -> dict[str, Block]:
        """``ids`` aliases (lower case) -> their entry; an alias that is also a key is
        the key's (biber reports such a file)."""
        if self._index is None:
            self.find("")
        index = self._index or {}
        if self._aliases is None:
            aliases: dict[str, Block] = {}
            for b in self.entries():
                for f in b.entry.fields:
                    if f.key.lower() != "ids":
                        continue
                    for alias in bibtex.evaluate(f.value, self.strings).split(","):
                        alias = alias.strip().lower()
                        if alias and alias not in index:
                            aliases.setdefault(alias, b)
            self._aliases = aliases
        return self._aliases

    def get(self, key: str | Block) -> Block:
        """The entry block for a key (or the block itself); ``NotFoundError`` with a suggestion."""
        if isinstance(key, Block):
            return key
        blk = self.find(key)
        if blk is None:
            raise NotFoundError(
                _unknown_key_message(key, [b.key or "" for b in self.entries()], self.name)
            )
        return blk

    # -- editing --------------------------------------------------------------------
    def replace_entry(self, key: str | Block, new_text: str) -> Block:
        """Replace one entry's source text; the new text must parse as exactly one entry."""
        blk = self.get(key)
        try:
            entry = parse_one_entry(new_text)
        except DuplicateFieldError:
            self._refuse_duplicate_fields(blk)  # the entry had it already: say where
            raise
        blk.replacement = new_text
        blk.entry = entry
        self._aliases = None  # its ids may have changed
        if entry.key != blk.key:
            blk.key = entry.key
            self._index = None
        self.modified = True
        return blk

    def _refuse_duplicate_fields(self, blk: Block) -> None:
        """An entry with a field written twice is not edited field by field: which of the
        two the edit should change (BibTeX reads the first, biber the last) is unclear."""
        dups = duplicate_fields(blk.entry)
        if dups and blk.replacement is None:
            name, lines = next(iter(dups.items()))
            raise InputError(
                f"{self.name}:{lines[1]}: error: {blk.key or 'the entry'}: "
                f"{duplicate_field_message(name, lines)}; remove one (refbook "
                f"edit {blk.key}) before editing this entry"
            )
        if dups:
            raise InputError(
                f"{self.name}: error: {blk.key}: field {next(iter(dups))!r} "
                "appears twice; remove one before editing this entry"
            )

    def entry_spans(self, key: str | Block) -> tuple[Block, str, bibtex.EntrySpans]:
        """An entry to edit: its block, text and field spans.  An entry with a field written
        twice, or one that bibtexparser read but refbook's grammar cannot split into fields
        (an unbalanced brace inside a value, a missing comma), is an ``InputError`` naming
        file, line and key: it is not edited blindly."""
        blk = self.get(key)
        self._refuse_duplicate_fields(blk)
        text = self.block_text(blk)
        try:
            return blk, text, bibtex.scan_entry(text)
        except bibtex.BibSyntaxError as exc:
            raise InputError(
                f"{self.name}:{blk.line}: error: cannot edit {blk.key}: {exc}; "
                f"repair the entry first (refbook edit {blk.key})"
            ) from None

    def set_field(self, key: str | Block, name: str, value: str) -> Block:
        """Set (or add) one field, touching only that field's text."""
        blk, text, spans = self.entry_spans(key)
        if self.newline != "\n":  # a multi-line value must not mix line endings
            value = value.replace("\r\n", "\n").replace("\n", self.newline)
        quoted = bibtex.quote(value)
        for f in spans.fields:
            if f.name.lower() == name.lower():
                old = text[f.value_start : f.value_end]
                if old.startswith('"') and '"' not in value:
                    quoted = '"' + value + '"'
                new = text[: f.value_start] + quoted + text[f.value_end :]
                return self.replace_entry(blk, new)
        return self.replace_entry(
            blk, filestyle.insert_field(text, spans, name, quoted, self.newline, self.style)
        )

    def remove_field(self, key: str | Block, name: str) -> bool:
        """Remove one field (and its line when it sits on a line of its own)."""
        blk, text, spans = self.entry_spans(key)
        for f in spans.fields:
            if f.name.lower() == name.lower():
                self.replace_entry(blk, filestyle.remove_field(text, f))
                return True
        return False

    def append_entry(self, text: str) -> Block:
        """Add a new entry (its text already formatted) at the end of the file."""
        entry = parse_one_entry(text)
        if self.find(entry.key) is not None:
            raise UsageError(f"{self.name}: key {entry.key!r} already exists")
        blk = Block("entry", len(self.text), len(self.text), 0, entry.key, entry)
        blk.replacement = text
        blk.new = True
        self.blocks.append(blk)
        self._index = None
        self.modified = True
        return blk

    def remove_entry(self, key: str | Block) -> None:
        """Remove an entry, with the ``%`` comment lines directly above it (its own notes
        and ``% refbook: ignore[…]`` lines, which would otherwise read as the next
        entry's); a comment block that starts the file is its header and stays."""
        blk = self.get(key)
        if blk.new:
            self.blocks.remove(blk)
        else:
            self._take_comment_above(blk)
            # swallow the blank lines after the entry so that no gap is left behind -- when
            # there is one before it (else the blank line after it is the one that stays)
            before = self.text[: blk.start]
            gap = not before.strip() or re.search(r"\n[ \t]*\r?\n[ \t]*$", before)
            blank_lines = r"[ \t]*(\r?\n)?([ \t]*\r?\n)*" if gap else r"[ \t]*(\r?\n)?"
            blank = re.compile(blank_lines).match(self.text, blk.end)  # (always: it may be empty)
            blk.end = blank.end() if blank else blk.end
            blk.kind = "removed"
            blk.replacement = ""
        self._index = None
        self.modified = True

    def _take_comment_above(self, blk: Block) -> None:
        """Move ``blk.start`` back over the comment lines right above it (no blank line
        between), shortening the text block they are in."""
        text = self.text
        i = self.blocks.index(blk)
        between = []  # the text blocks (comments) between the previous entry and this one
        floor = 0
        for prev in reversed(self.blocks[:i]):
            if prev.kind != "text":
                floor = prev.end
                break
            between.append(prev)
        line_start = text.rfind("\n", 0, blk.start) + 1
        if text[line_start : blk.start].strip() or line_start <= floor:
            return
        start = line_start
        while start > floor:
            above = text.rfind("\n", 0, start - 1) + 1
            if above < floor or not text[above:start].lstrip().startswith("%"):
                break
            start = above
        if start == line_start or not text[:start].strip():
            return  # nothing above, or a comment block that starts the file
        for prev in between:
            prev.start = min(prev.start, start)
            prev.end = max(prev.start, min(prev.end, start))
        blk.start = start

    def style(self) -> Style:
        if self._style is None:
            self._style = filestyle.detect_style(self)
        return self._style

    def format_entry(self, entry_type: str, key: str, fields: list[tuple[str, str]]) -> str:
        """Format a new entry in this file's style (indentation, delimiters, line ending)."""
        return self.style().format_entry(entry_type, key, fields, self.newline)

    def replace_all(self, text: str) -> None:
        """Replace the whole text (``refbook fmt -i``, which re-lays-out every entry)."""
        parse_blocks(text)  # must parse; callers check that the data are unchanged
        self._whole = text
        self.modified = True

    # -- writing --------------------------------------------------------------------
    def render(self) -> str:
        if not self.modified:
            return self.text
        if self._whole is not None:
            return self._whole
        out: list[str] = []
        pos = 0
        appended: list[Block] = []
        for blk in self.blocks:
            if blk.new:
                appended.append(blk)
                continue
            out.append(self.text[pos : blk.start])
            out.append(self.block_text(blk))
            pos = blk.end
        out.append(self.text[pos:])
        if appended:
            body = "".join(out)
            nl = self.newline
            if body.strip() and not body.endswith("\n"):
                body += nl
            for blk in appended:
                if body.strip() and self.style().blank_line and not body.endswith(nl + nl):
                    body += nl
                body += self.block_text(blk).replace("\r\n", "\n").replace("\n", nl) + nl
            return body
        return "".join(out)

    @property
    def raw(self) -> bytes | None:
        """The bytes read from the file (None when the text was not read from one)."""
        return self._raw

    def render_bytes(self) -> bytes:
        if not self.modified and self._raw is not None:
            return self._raw
        text = self.render()
        try:
            return self.encoding.encode(text)
        except UnicodeEncodeError as exc:
            raise self._unwritable(text, exc) from None

    def _unwritable(self, text: str, exc: UnicodeEncodeError) -> WriteError:
        """A character the file's encoding cannot hold: say which, where, and what to do."""
        char = text[exc.start]
        line = text.count("\n", 0, exc.start) + 1
        keys = KEY_NEAR.findall(text, 0, exc.start)
        near = f" (entry {keys[-1]})" if keys else ""
        return WriteError(
            f"{self.name}:{line}: error: {char!r} (U+{ord(char):04X}){near} cannot "
            f"be written in {self.encoding.name}, the file's encoding; nothing "
            "written (write it as LaTeX, e.g. {\\'e} or {\\L}, or convert the "
            "file to UTF-8)"
        )

    def save(
        self,
        path: str | os.PathLike | None = None,
        *,
        force: bool = False,
        readonly_ok: bool = False,
    ) -> bool:
        """Write the file atomically under the lock; return False when nothing changed.

        Refuses (``WriteError``) when the file on disk is no longer the one that was read,
        unless ``force`` is given, and a read-only file unless ``readonly_ok`` is given.
        A failed write (disk full, read-only file system…) is a ``WriteError`` too, with
        the file as it was.  Saving to another ``path`` writes a copy there.
        """
        target = Path(path) if path is not None else self.path
        if target is None:
            raise UsageError("cannot save a bibliography read from standard input")
        data = self.render_bytes()
        with file_lock(target):
            try:
                current = target.read_bytes()
            except FileNotFoundError:
                current = None
            except OSError as exc:
                raise WriteError(
                    f"{target}: error: cannot read it back before saving "
                    f"({reason(exc)}); nothing written"
                ) from None
            if target == self.path and not force and self._raw is not None and current != self._raw:
                raise WriteError(
                    f"{target}: error: changed on disk since it was read; nothing written "
                    "(run the command again)"
                )
            if current == data:
                self._rebase(data)
                return False
            if not readonly_ok:
                refuse_readonly(target)
            atomic_write(target, data)
            from .cache import after_save

            after_save(target, self.encoding)  # under the lock: the next run is warm
        if target == self.path:
            self._rebase(data)
        return True

    def _rebase(self, data: bytes) -> None:
        """After a save, the written text becomes the new original (offsets recomputed)."""
        if not self.modified:
            self._raw = data
            return
        if self._whole is not None:
            # read again from the new text (BibFile is never subclassed)
            self.__init__(  # type: ignore[misc]
                self._whole, self.path, raw=data, name=self.name, encoding=self.encoding
            )
            return
        text = self.render()
        lines = lf_lines(text)
        pos = 0
        line = 1
        kept: list[Block] = []
        for blk in self.blocks:
            if blk.kind == "removed":
                continue
            body = self.block_text(blk)
            start = text.find(body, pos) if body else pos
            line += lines.count("\n", pos, start)
            blk.start, blk.end, blk.line = start, start + len(body), line
            line += lines.count("\n", start, start + len(body))
            pos = blk.end
            blk.replacement = None
            blk.new = False
            kept.append(blk)
        self.blocks = kept
        self.text = text
        self._raw = data
        self.modified = False
        self._index = None


def _unknown_key_message(key: str, keys: list[str], name: str) -> str:
    from rapidfuzz import process

    msg = f"{name}: error: no entry with key {key!r}"
    best = process.extractOne(key.lower(), {k: k.lower() for k in keys}, score_cutoff=60)
    if best:
        msg += f"; did you mean {best[2]!r}?"
    return msg


@contextmanager
def editing(
    path: str | os.PathLike,
    timeout: float = LOCK_TIMEOUT,
    *,
    force: bool = False,
    encoding: str | None = None,
    dry_run: bool = False,
) -> Iterator[BibFile]:
    """Read-modify-write under the lock: ``with editing(p) as bib: bib.set_field(...)``.

    The file is read after the lock is taken, so concurrent editors queue instead of
    failing; it is saved on a clean exit when anything changed, unless ``dry_run`` (the
    changes are then only looked at: ``pending_changes()``, ``render()``).  A read-only
    file is refused before anything is done (``WriteError``), unless ``force`` or
    ``dry_run``.  ``encoding`` as for ``BibFile.read``.
    """
    if not (force or dry_run) and str(path) != "-":
        refuse_readonly(path)
    with file_lock(path, timeout):
        bib = BibFile.read(path, encoding)
        yield bib
        if bib.modified and not dry_run:
            bib.save(readonly_ok=force)
