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
"""

from __future__ import annotations

import errno
import gc
import logging
import os
import re
import stat
from collections import Counter
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from . import bibtex
from .encoding import Encoding
from .errors import InputError, NotFoundError, UsageError, WriteError
from .findings import Finding, Severity

LOCK_TIMEOUT = 10.0  # seconds to wait for another refbook process to finish saving

_KEY_NEAR = re.compile(r"@\s*[A-Za-z][\w-]*\s*[{(]\s*([^,\s{}()=]+)\s*,")
_STRAY_AT = re.compile(r"^[ \t]*@(?![ \t]*(?:comment|preamble|string)\b)", re.M | re.I)
_LONE_CR = re.compile(r"\r(?!\n)")
_ABORT_MSG = re.compile(
    r"Parsing of `(?P<type>[^`]*)` block \(line (?P<block>\d+)\) aborted on line (?P<line>\d+)"
    r"[^\n]*\n\s*(?P<detail>.*)",
    re.S,
)


class Block:
    """One block of the file: an entry, ``@string``, ``@preamble``, ``@comment``, text between
    entries, or a block that failed to parse.  ``start``/``end`` are offsets in the original
    text; an edited block carries its new text, an appended one has no original span."""

    __slots__ = ("kind", "start", "end", "line", "key", "entry", "_text", "new", "scope")

    def __init__(self, kind: str, start: int, end: int, line: int, key: str | None, entry=None):
        self.kind = kind  # entry | string | preamble | comment | text | invalid | removed
        self.start = start
        self.end = end
        self.line = line  # 1-based line of the block's first character
        self.key = key
        self.entry = entry  # bibtexparser.model.Entry for entries
        self._text: str | None = None  # replacement text after an edit
        self.new = False
        # @string definitions above the block (see bibtex.MacroTable); None: all of them
        self.scope: int | None = None

    def __repr__(self) -> str:
        return f"<Block {self.kind} {self.key or ''} line {self.line}>"


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


@dataclass(frozen=True)
class Style:
    """How the file writes entries, so that appended entries look like their neighbours."""

    indent: str = "  "
    quote: str = "{"  # "{" or '"'
    trailing_comma: bool = True
    field_case: str = "lower"  # lower | upper | title
    type_case: str = "lower"
    align: bool = False  # pad field names so that '=' lines up
    blank_line: bool = True  # a blank line between entries

    def format_entry(
        self, entry_type: str, key: str, fields: list[tuple[str, str]], newline: str = "\n"
    ) -> str:
        etype = _case(entry_type, self.type_case)
        width = max((len(n) for n, _ in fields), default=0) if self.align else 0
        lines = [f"@{etype}{{{key},"]
        for i, (name, value) in enumerate(fields):
            body = bibtex.quote(value)
            if self.quote == '"' and '"' not in value:
                body = '"' + value + '"'
            comma = "," if (i < len(fields) - 1 or self.trailing_comma) else ""
            lines.append(
                f"{self.indent}{_case(name, self.field_case).ljust(width)} = {body}{comma}"
            )
        lines.append("}")
        return newline.join(lines)


def _case(word: str, how: str) -> str:
    return word.upper() if how == "upper" else word.capitalize() if how == "title" else word.lower()


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@contextmanager
def _no_gc() -> Iterator[None]:
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


def _parse_blocks(text: str):
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


def _explain(detail: str, line: int) -> str:
    """bibtexparser's abort message, said in the user's terms."""
    detail = " ".join(detail.split()).rstrip(".")
    if detail.startswith("Unexpected block start"):
        return f"entry is not closed: unbalanced '{{' or '\"' before the next entry on line {line}"
    if detail.startswith("Unexpectedly reached end of file"):
        return "entry is not closed: unbalanced '{' or '\"' (reached the end of the file)"
    return f"{detail[:1].lower()}{detail[1:]} (line {line})"


def _lf_lines(text: str) -> str:
    """The text with each lone CR (the old Mac line ending) made an LF: the same length, so
    every offset holds, while line counts and bibtexparser's line numbers become right for
    CR files too."""
    return _LONE_CR.sub("\n", text) if "\r" in text else text


def _newline_of(text: str) -> str:
    """The file's line ending: the one most of its lines use."""
    lf = text.count("\n")
    crlf = text.count("\r\n")
    if crlf * 2 > lf:
        return "\r\n"
    return "\r" if text.count("\r") - crlf > lf else "\n"


BIB_OPTION = 'refbook --encoding {0} (or encoding = "{0}" in refbook.toml)'


def _near_key(text: str, line: int) -> str:
    keys = _KEY_NEAR.findall(text)
    return f", near key {keys[-1]}" if keys else ""


def _decode(data: bytes, path: str, encoding: str | None = None):
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
        self._style: Style | None = None
        self._whole: str | None = None  # a rewrite of the whole file (fmt)
        self.modified = False
        with _no_gc():
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
    def _decoded(cls, decoded, path: str | os.PathLike, raw: bytes | None) -> BibFile:
        bib = cls(decoded.text, path, raw=raw, encoding=decoded.encoding)
        for note in decoded.notes:  # e.g. a JabRef header that contradicts the bytes
            bib.problems.insert(
                0, Finding(bib.name, 1, "warning", "encoding", note.split(": warning: ", 1)[-1])
            )
        return bib

    def _load(self) -> None:
        from bibtexparser import model as bm

        text = _lf_lines(self.text)  # offsets are those of self.text
        library, records = _parse_blocks(text)
        pos = 0
        line = 1
        last = 0
        for b in library.blocks:
            raw = b.raw
            start = text.find(raw, pos) if raw else -1
            if start < 0:
                continue  # not located: its text stays in the surrounding gap, verbatim
            line += text.count("\n", last, start)
            last = start
            end = start + len(raw)
            pos = end
            if isinstance(b, bm.Entry):
                blk = Block("entry", start, end, line, b.key, b)
                blk.scope = self.macros.count
            elif isinstance(b, bm.DuplicateBlockKeyBlock) and isinstance(
                b.ignore_error_block, bm.String
            ):
                # bibtexparser's wrapper for a macro defined again: BibTeX accepts it
                blk = self._define(b.ignore_error_block, start, end, line)
            elif isinstance(b, (bm.DuplicateBlockKeyBlock, bm.DuplicateFieldKeyBlock)):
                entry = b.ignore_error_block
                blk = Block("entry", start, end, line, entry.key, entry)
                blk.scope = self.macros.count
            elif isinstance(b, bm.String):
                blk = self._define(b, start, end, line)
            elif isinstance(b, bm.Preamble):
                blk = Block("preamble", start, end, line, None)
            elif isinstance(b, bm.ExplicitComment):
                blk = Block("comment", start, end, line, None)
            elif isinstance(b, bm.ImplicitComment):
                blk = Block("text", start, end, line, None)
                stray = _STRAY_AT.search(raw)
                if stray:  # BibTeX would try to read an entry here; bibtexparser says nothing
                    at_line = line + raw.count("\n", 0, stray.start())
                    self._problem(
                        at_line,
                        "stray '@' that does not start an entry (kept as a comment)",
                        None,
                        severity=Severity.WARNING,
                    )
            else:  # ParsingFailedBlock and anything new
                m = _KEY_NEAR.match(raw)
                blk = Block("invalid", start, end, line, m.group(1) if m else None)
                self._invalid(blk, raw, records)
            self.blocks.append(blk)
        self._unmatched_records(records)
        self._check_strings()
        self._check_entries()
        if not self.entries() and self._has_content():
            first = next((p for p in self.problems if p.severity is Severity.ERROR), None)
            if first is not None:
                raise InputError(f"{first}; no entry could be read")
            if not any(b.kind in ("string", "preamble", "comment") for b in self.blocks):
                # free text only: not a bibliography (a file of @string macros is one)
                raise InputError(f"{self.name}: error: no BibTeX entries found")

    def _problem(
        self,
        line: int,
        message: str,
        key: str | None = None,
        rule: str = "syntax",
        severity: Severity = Severity.ERROR,
        **data: object,
    ) -> None:
        self.problems.append(Finding(self.name, line, severity, rule, message, key, data=data))

    def _define(self, string, start: int, end: int, line: int) -> Block:
        """An ``@string`` block; its macro is defined from here on (``bibtex.MacroTable``)."""
        blk = Block("string", start, end, line, string.key)
        blk.scope = self.macros.count
        self.macros.define(string.key, string.value)
        return blk

    def _check_strings(self) -> None:
        """One warning per macro defined more than once, with the lines of its definitions."""
        lines: dict[str, list[Block]] = {}
        for blk in self.blocks:
            if blk.kind == "string":
                lines.setdefault(blk.key.lower(), []).append(blk)
        for blocks in lines.values():
            if len(blocks) < 2:
                continue
            name = blocks[-1].key
            nums = [b.line for b in blocks]
            where = f"lines {', '.join(map(str, nums[:-1]))} and {nums[-1]}"
            values = {self.macros.at(b.scope + 1)[name.lower()] for b in blocks}
            if len(values) == 1:
                msg = f"duplicate @string {name!r} ({where}), with the same text each time"
            elif len(nums) == 2:
                msg = (
                    f"duplicate @string {name!r} ({where}); entries from line {nums[1]} on "
                    "use the later definition, as in BibTeX and biber"
                )
            else:
                msg = (
                    f"duplicate @string {name!r} ({where}); each entry uses the definition "
                    "above it, as in BibTeX and biber"
                )
            self._problem(
                blocks[1].line,
                msg,
                None,
                rule="duplicate-string",
                severity=Severity.WARNING,
                name=name,
                lines=nums,
            )

    def _invalid(self, blk: Block, raw: str, records: list[logging.LogRecord]) -> None:
        """Report a block bibtexparser gave up on, at the line where the block starts."""
        detail = "unparseable block (kept verbatim)"
        for rec in records:
            m = _ABORT_MSG.match(rec.getMessage())
            if m and int(m.group("block")) + 1 == blk.line:
                records.remove(rec)
                detail = _explain(m.group("detail"), int(m.group("line")) + 1)
                break
        if blk.key is None:
            no_key = re.match(r"@\s*[A-Za-z][\w-]*\s*[{(]\s*[^\s,{}()=]+\s*=", raw)
            no_comma = re.match(
                r"@\s*[A-Za-z][\w-]*\s*[{(]\s*([^\s,{}()=]+)\s+[^\s,{}()=]+\s*=", raw
            )
            if no_comma:
                blk.key = no_comma.group(1)
                detail = "missing comma after the key"
            elif no_key:
                detail = "entry has no key"
        self._problem(blk.line, detail, blk.key)

    def _unmatched_records(self, records: list[logging.LogRecord]) -> None:
        """Parser complaints about text that ended up as a comment (a stray ``@``)."""
        for rec in records:
            m = _ABORT_MSG.match(rec.getMessage())
            if m:
                line = int(m.group("block")) + 1
                what = m.group("type").strip("`")
                msg = (
                    f"stray {what!r} is not the start of an entry (kept as a comment)"
                    if what.strip() == "@"
                    else _explain(m.group("detail"), int(m.group("line")) + 1)
                )
                self._problem(line, msg, None, severity=Severity.WARNING)

    def _has_content(self) -> bool:
        """True when the file has anything besides blank lines and ``%`` comments."""
        for blk in self.blocks:
            if blk.kind in ("entry", "string", "preamble", "invalid"):
                return True
            if blk.kind == "text":
                body = self.text[blk.start : blk.end]
                if any(ln.strip() and not ln.lstrip().startswith("%") for ln in body.splitlines()):
                    return True
        return False

    def _check_entries(self) -> None:
        seen: dict[str, Block] = {}
        for blk in self.blocks:
            if blk.kind != "entry":
                continue
            lower = blk.key.lower()
            if not lower:  # @article{, ...}: some exporters write entries without keys
                self._problem(
                    blk.line, "entry without a key (it cannot be cited)", None, rule="missing-key"
                )
            elif lower in seen:
                first = seen[lower]
                self._problem(
                    blk.line,
                    f"duplicate key {blk.key!r} (also on line {first.line}); both entries are kept",
                    blk.key,
                    rule="duplicate-key",
                )
            else:
                seen[lower] = blk
            fields = blk.entry.fields
            if len({f.key.lower() for f in fields}) < len(fields):
                for name, lines in duplicate_fields(blk.entry).items():
                    self._problem(
                        lines[1],
                        _duplicate_field_message(name, lines),
                        blk.key,
                        rule="duplicate-field",
                    )
            for f in fields:
                if "=" in f.value or "#" in f.value:
                    try:
                        bibtex.split_parts(f.value)
                    except bibtex.BibSyntaxError as exc:
                        self._problem(f.start_line + 1, f"field {f.key!r}: {exc}", blk.key)

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
                out.append(Change("added", blk.key, None, blk))
            elif blk.kind == "removed":
                out.append(Change("removed", blk.key, None, blk))
            elif blk.kind == "entry" and blk._text is not None:
                original = self.text[blk.start : blk.end]
                if blk._text != original:
                    m = _KEY_NEAR.match(original.lstrip())
                    out.append(Change("modified", blk.key, m.group(1) if m else None, blk))
        return out

    def block_text(self, blk: Block) -> str:
        return blk._text if blk._text is not None else self.text[blk.start : blk.end]

    def find(self, key: str) -> Block | None:
        """The entry with this key, compared case-insensitively as BibTeX and biber do
        (an exact-case match wins when a file has keys that differ only in case), or else
        the entry that has it among its biblatex ``ids`` aliases (``refbook merge`` keeps
        the dropped key there, so old citations still resolve)."""
        if self._index is None:
            self._index = {}
            self._aliases = None
            for b in self.blocks:
                if b.kind == "entry":
                    self._index.setdefault(b.key.lower(), []).append(b)
        found = self._index.get(key.lower())
        if not found:
            return self.aliases().get(key.lower())
        return next((b for b in found if b.key == key), found[0])

    def aliases(self) -> dict[str, Block]:
        """``ids`` aliases (lower case) -> their entry; an alias that is also a key is
        the key's (biber reports such a file)."""
        if self._index is None:
            self.find("")
        if getattr(self, "_aliases", None) is None:
            aliases: dict[str, Block] = {}
            for b in self.entries():
                for f in b.entry.fields:
                    if f.key.lower() != "ids":
                        continue
                    for alias in bibtex.evaluate(f.value, self.strings).split(","):
                        alias = alias.strip().lower()
                        if alias and alias not in self._index:
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
                _unknown_key_message(key, [b.key for b in self.entries()], self.name)
            )
        return blk

    # -- editing --------------------------------------------------------------------
    def replace_entry(self, key: str | Block, new_text: str) -> Block:
        """Replace one entry's source text; the new text must parse as exactly one entry."""
        blk = self.get(key)
        try:
            entry = _parse_one_entry(new_text)
        except _DuplicateFieldError:
            self._refuse_duplicate_fields(blk)  # the entry had it already: say where
            raise
        blk._text = new_text
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
        if dups and blk._text is None:
            name, lines = next(iter(dups.items()))
            raise InputError(
                f"{self.name}:{lines[1]}: error: {blk.key or 'the entry'}: "
                f"{_duplicate_field_message(name, lines)}; remove one (refbook "
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
        return self.replace_entry(blk, self._insert_field(text, spans, name, quoted))

    def _insert_field(self, text: str, spans: bibtex.EntrySpans, name: str, quoted: str) -> str:
        """Add a field after the last one, written like the entry's own fields."""
        nl = self.newline
        if not spans.fields:  # an entry with no fields yet: @misc{key}
            style = self.style()
            line = f"{style.indent}{_case(name, style.field_case)} = {quoted}"
            comma = "," if style.trailing_comma else ""
            return text[: spans.key_end] + "," + nl + line + comma + nl + text[spans.close :]
        last = spans.fields[-1]
        fname = _case(name, _detect_case([f.name for f in spans.fields]))
        sep = text[last.start + len(last.name) : last.value_start]  # e.g. " = " or "    = "
        before, after = sep[: sep.index("=")], sep[sep.index("=") + 1 :]
        line_start = text.rfind("\n", 0, last.start) + 1
        indent = text[line_start : last.start]
        if (
            spans.fields[0].start > text.rfind("\n", 0, spans.fields[0].start) > 0
            and not indent.strip()
        ):
            # one field per line: the new one gets its own line, '=' aligned like its neighbours
            cols = {text.index("=", f.start) - f.start for f in spans.fields}
            if len(cols) == 1 and len({len(f.name) for f in spans.fields}) > 1:
                before = " " * max(1, len(last.name) + len(before) - len(fname))
            field = f"{indent}{fname}{before}={after}{quoted}"
            if last.has_comma:
                return text[: last.end] + nl + field + "," + text[last.end :]
            return text[: last.value_end] + "," + nl + field + text[last.value_end :]
        field = f"{fname}{before}={after}{quoted}"
        if last.has_comma:
            return text[: last.end] + " " + field + "," + text[last.end :]
        return text[: last.value_end] + ", " + field + text[last.value_end :]

    def remove_field(self, key: str | Block, name: str) -> bool:
        """Remove one field (and its line when it sits on a line of its own)."""
        blk, text, spans = self.entry_spans(key)
        for f in spans.fields:
            if f.name.lower() != name.lower():
                continue
            line_start = text.rfind("\n", 0, f.start) + 1
            own_line = text[line_start : f.start].strip() == ""
            after = f.end
            if own_line:
                nxt = text.find("\n", after)
                if nxt >= 0 and text[after:nxt].strip() == "":
                    new = text[:line_start] + text[nxt + 1 :]
                else:
                    new = text[:line_start] + text[after:].lstrip(" \t")
            else:
                new = text[: f.start] + text[after:].lstrip(" \t")
            self.replace_entry(blk, new)
            return True
        return False

    def append_entry(self, text: str) -> Block:
        """Add a new entry (its text already formatted) at the end of the file."""
        entry = _parse_one_entry(text)
        if self.find(entry.key) is not None:
            raise UsageError(f"{self.name}: key {entry.key!r} already exists")
        blk = Block("entry", len(self.text), len(self.text), 0, entry.key, entry)
        blk._text = text
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
            blk.end = re.compile(blank_lines).match(self.text, blk.end).end()
            blk.kind = "removed"
            blk._text = ""
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
            self._style = _detect_style(self)
        return self._style

    def format_entry(self, entry_type: str, key: str, fields: list[tuple[str, str]]) -> str:
        """Format a new entry in this file's style (indentation, delimiters, line ending)."""
        return self.style().format_entry(entry_type, key, fields, self.newline)

    def replace_all(self, text: str) -> None:
        """Replace the whole text (``refbook fmt -i``, which re-lays-out every entry)."""
        _parse_blocks(text)  # must parse; callers check that the data are unchanged
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
        keys = _KEY_NEAR.findall(text, 0, exc.start)
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
                    f"({_reason(exc)}); nothing written"
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
            self.__init__(self._whole, self.path, raw=data, name=self.name, encoding=self.encoding)
            return
        text = self.render()
        lines = _lf_lines(text)
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
            blk._text = None
            blk.new = False
            kept.append(blk)
        self.blocks = kept
        self.text = text
        self._raw = data
        self.modified = False
        self._index = None


def duplicate_fields(entry) -> dict[str, list[int]]:
    """Field names written more than once in a (bibtexparser) entry, with the 1-based
    lines where each is written, relative to the parsed text."""
    lines: dict[str, list[int]] = {}
    for f in entry.fields:
        lines.setdefault(f.key.lower(), []).append(f.start_line + 1)
    return {name: at for name, at in lines.items() if len(at) > 1}


def _duplicate_field_message(name: str, lines: list[int]) -> str:
    where = ", ".join(map(str, lines[:-1])) + f" and {lines[-1]}"
    times = "twice" if len(lines) == 2 else f"{len(lines)} times"
    return f"field {name!r} written {times} (lines {where}); BibTeX reads the first"


class _DuplicateFieldError(UsageError):
    pass


def _parse_one_entry(text: str):
    library, records = _parse_blocks(text)
    from bibtexparser import model as bm

    for b in library.blocks:
        entry = getattr(b, "ignore_error_block", b)
        dups = duplicate_fields(entry) if isinstance(entry, bm.Entry) else {}
        if dups:  # (bibtexparser tells only exact-case repeats: Title and title are too)
            raise _DuplicateFieldError(
                f"not a valid BibTeX entry: field {next(iter(dups))!r} written twice"
            )
    entries = [b for b in library.blocks if isinstance(b, bm.Entry)]
    others = [b for b in library.blocks if not isinstance(b, (bm.Entry, bm.ImplicitComment))]
    if len(entries) != 1 or others or library.failed_blocks:
        detail = ""
        for rec in records:
            m = _ABORT_MSG.match(rec.getMessage())
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


def _detect_case(names: list[str]) -> str:
    letters = [n for n in names if n.lower() != n.upper()]
    if letters and all(n.isupper() for n in letters):
        return "upper"
    if letters and all(n[:1].isupper() and n[1:].islower() for n in letters):
        return "title"
    return "lower"


def _detect_style(bib: BibFile) -> Style:
    entries = bib.entries()[:50]
    if not entries:
        return Style()
    indents: Counter[str] = Counter()
    quotes: Counter[str] = Counter()
    commas: Counter[bool] = Counter()
    aligned: Counter[bool] = Counter()
    field_names: list[str] = []
    types: list[str] = []
    for blk in entries:
        text = bib.block_text(blk)
        try:
            spans = bibtex.scan_entry(text)
        except bibtex.BibSyntaxError:
            continue
        types.append(spans.entry_type)
        if not spans.fields:
            continue
        for f in spans.fields:
            ls = text.rfind("\n", 0, f.start) + 1
            prefix = text[ls : f.start]
            if ls > 0 and not prefix.strip():
                indents[prefix] += 1
            quotes[text[f.value_start]] += 1
            field_names.append(f.name)
        commas[spans.fields[-1].has_comma] += 1
        if len(spans.fields) > 1:
            cols = {
                text.index("=", f.start) - (text.rfind("\n", 0, f.start) + 1) for f in spans.fields
            }
            aligned[len(cols) == 1 and len({len(f.name) for f in spans.fields}) > 1] += 1
    gaps = [bib.text[a.end : b.start] for a, b in zip(entries, entries[1:])]
    blank = sum(g.count("\n") >= 2 for g in gaps) * 2 >= len(gaps) if gaps else True
    return Style(
        indent=indents.most_common(1)[0][0] if indents else "  ",
        quote='"' if quotes['"'] > quotes["{"] else "{",
        trailing_comma=commas[True] >= commas[False],
        field_case=_detect_case(field_names),
        type_case=_detect_case(types),
        align=aligned[True] > aligned[False],
        blank_line=blank,
    )


def _unknown_key_message(key: str, keys: list[str], name: str) -> str:
    from rapidfuzz import process

    msg = f"{name}: error: no entry with key {key!r}"
    best = process.extractOne(key.lower(), {k: k.lower() for k in keys}, score_cutoff=60)
    if best:
        msg += f"; did you mean {best[2]!r}?"
    return msg


# -- files: locking and atomic writes ----------------------------------------------------
_locks: dict[str, object] = {}


def _reason(exc: OSError) -> str:
    """An OS error in a few words: "No space left on device", "Read-only file system"."""
    reason = exc.strerror or str(exc) or type(exc).__name__
    if exc.errno == errno.EPERM:
        reason += ": the file may be immutable (chattr +i)"
    return reason


def refuse_readonly(path: str | os.PathLike) -> None:
    """``WriteError`` (exit 5) when ``path`` is read-only, as editors and git see it: no
    write permission for this user, or -- as root, who may write anything -- no write bit
    in its mode at all (``chmod 444``).  A file that does not exist yet is writable."""
    try:
        st = os.stat(path)
    except OSError:
        return  # missing: created; unreadable: the write reports it
    if not stat.S_ISREG(st.st_mode):
        return
    if st.st_mode & 0o222 and os.access(path, os.W_OK):
        return
    if st.st_mode & 0o222 and _on_readonly_fs(path):
        raise WriteError(f"{path}: error: the file system is read-only; nothing written")
    mode = stat.filemode(st.st_mode)[1:]
    raise WriteError(
        f"{path}: error: the file is read-only ({mode}); nothing written (--force writes it anyway)"
    )


def _on_readonly_fs(path: str | os.PathLike) -> bool:
    try:
        return bool(os.statvfs(path).f_flag & os.ST_RDONLY)
    except (OSError, AttributeError):
        return False


def file_lock(path: str | os.PathLike, timeout: float = LOCK_TIMEOUT):
    """An inter-process lock for one .bib, re-entrant within this process.

    The lock file lives in the user cache directory (keyed by the .bib's real path) so that
    the user's directory never gets a stray ``.lock`` file.
    """
    from filelock import FileLock

    from .paths import cache_dir

    real = os.path.realpath(path)
    lock = _locks.get(real)
    if lock is None:
        lock_dir = cache_dir() / "locks"
        try:
            lock_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise WriteError(
                f"{path}: error: cannot create the lock directory {lock_dir} "
                f"({_reason(exc)}); nothing written"
            ) from None
        import hashlib  # here: only writers need it (start-up of read-only commands)

        digest = hashlib.sha256(real.encode()).hexdigest()[:24]
        lock = FileLock(str(lock_dir / f"{digest}.lock"), timeout=timeout)
        _locks[real] = lock
    return _TimeoutAsWriteError(lock, path)


class _TimeoutAsWriteError:
    def __init__(self, lock, path) -> None:
        self.lock = lock
        self.path = path

    def __enter__(self):
        from filelock import Timeout

        try:
            self.lock.acquire()
        except Timeout:
            raise WriteError(
                f"{self.path}: error: another refbook process is writing this file "
                "(lock timeout); nothing written"
            ) from None
        except OSError as exc:
            raise WriteError(
                f"{self.path}: error: cannot take the lock {self.lock.lock_file} "
                f"({_reason(exc)}); nothing written"
            ) from None
        return self

    def __exit__(self, *exc) -> None:
        self.lock.release()


def atomic_write(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` so that readers see the old file or the new one, never a
    mix: temporary file in the same directory, fsync, rename over, fsync the directory.
    The file's permission bits are kept; a symlink is followed, not replaced.  Any failure
    (disk full, read-only file system, no permission on the directory, an immutable file)
    is a ``WriteError`` naming ``path`` and the reason, with ``path`` unchanged and no
    temporary file left."""
    staged = stage_write(path, data)
    staged.commit()


class StagedWrite:
    """A file written next to its target and not yet renamed over it (``stage_write``):
    ``commit()`` puts it in place, ``discard()`` removes it.  Lets a command that writes
    several files prepare them all before it replaces any."""

    def __init__(self, path: str | os.PathLike, target: Path, tmp: str, mode: int) -> None:
        self.path = path
        self.target = target
        self.tmp = tmp
        self.mode = mode

    def commit(self) -> None:
        try:
            os.chmod(self.tmp, self.mode)
            os.replace(self.tmp, self.target)
        except OSError as exc:
            self.discard()
            raise _write_error(self.path, exc) from None
        _fsync_dir(self.target.parent)

    def discard(self) -> None:
        try:
            os.unlink(self.tmp)
        except OSError:
            pass


def _write_error(path: str | os.PathLike, exc: OSError) -> WriteError:
    return WriteError(f"{path}: error: could not be written ({_reason(exc)}); nothing was changed")


def stage_write(path: str | os.PathLike, data: bytes) -> StagedWrite:
    """Write ``data`` to a temporary file beside ``path`` (fsynced); see ``StagedWrite``."""
    target = Path(os.path.realpath(path))
    import tempfile

    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as exc:
        raise _write_error(path, exc) from None
    try:
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        finally:
            os.close(fd)
        try:
            mode = stat.S_IMODE(os.stat(target).st_mode)
        except FileNotFoundError:
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask
    except BaseException as exc:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(exc, OSError):
            raise _write_error(path, exc) from None
        raise
    return StagedWrite(path, target, tmp, mode)


def check_output(path: str | os.PathLike, inputs: tuple[str | os.PathLike, ...] = ()) -> Path:
    """An ``-o FILE`` option's path, checked before any work is done: a directory is a
    ``WriteError`` (exit 5), and so is one of the command's ``inputs`` (the bibliography,
    the essay: ``render essay.md -o references.bib`` must not replace the bibliography).
    Missing parent folders are fine: ``write_output`` creates them, as pandoc does."""
    p = Path(path)
    if p.is_dir():
        raise WriteError(
            f"{path}: error: is a directory; give a file name for -o (nothing written)"
        )
    for source in inputs:
        if source != "-" and p.exists() and Path(source).exists() and os.path.samefile(p, source):
            raise WriteError(
                f"{path}: error: -o names an input of this command ({source}); "
                "give another file name (nothing written)"
            )
    return p


def write_output(path: str | os.PathLike, data: bytes) -> None:
    """Write an output file (``export -o``, ``render -o``): missing parent folders are
    created (as pandoc does), the write is atomic, and any failure is one ``WriteError``
    (exit 5) naming the file and the reason."""
    p = check_output(path)
    try:
        p.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise WriteError(
            f"{path}: error: cannot create the folder {p.parent} ({_reason(exc)}); nothing written"
        ) from None
    atomic_write(p, data)


def _fsync_dir(directory: Path) -> None:
    try:
        dir_fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    except OSError:
        pass
    finally:
        os.close(dir_fd)


@contextmanager
def editing(
    path: str | os.PathLike,
    timeout: float = LOCK_TIMEOUT,
    *,
    force: bool = False,
    encoding: str | None = None,
) -> Iterator[BibFile]:
    """Read-modify-write under the lock: ``with editing(p) as bib: bib.set_field(...)``.

    The file is read after the lock is taken, so concurrent editors queue instead of
    failing; it is saved on a clean exit when anything changed.  A read-only file is
    refused before anything is done (``WriteError``), unless ``force``.  ``encoding`` as
    for ``BibFile.read``.
    """
    if not force and str(path) != "-":
        refuse_readonly(path)
    with file_lock(path, timeout):
        bib = BibFile.read(path, encoding)
        yield bib
        if bib.modified:
            bib.save(readonly_ok=force)
