"""BibTeX syntax at the level refbook needs beyond bibtexparser.

bibtexparser 2.x splits a file into blocks and an entry into fields, but it keeps no
character offsets for field values and its writer re-lays-out every entry.  To change
one field of one entry without touching anything else we need the exact span of each
field inside an entry's source text; to show or search a value we need it evaluated
(``@string`` macros resolved, ``#`` concatenations joined, outer delimiters removed).
Both are small, self-contained scanners over BibTeX's value grammar::

    value := part ('#' part)*
    part  := '{' balanced '}' | '"' balanced-without-toplevel-quote '"' | word
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

# BibTeX's predefined month macros (plain.bst): ``month = jan`` means "January".
MONTH_MACROS = {
    "jan": "January", "feb": "February", "mar": "March", "apr": "April",
    "may": "May", "jun": "June", "jul": "July", "aug": "August",
    "sep": "September", "oct": "October", "nov": "November", "dec": "December",
}  # fmt: skip

_NAME = re.compile(r"[^\s\"#%'(),={}]+")
# white space between the tokens of an entry, where a `%` starts a comment to the end of
# the line (as biber and pandoc read it: see ``reader_text``)
_SPACE = re.compile(r"(?:\s+|%[^\r\n]*)*")


def _after_space(text: str, pos: int) -> int:
    """The offset of the first character at or after ``pos`` that is not white space."""
    return _SPACE.match(text, pos).end()  # type: ignore[union-attr]  # (always matches)


class BibSyntaxError(ValueError):
    """A value or entry that does not follow BibTeX's grammar; ``pos`` is an offset."""

    def __init__(self, message: str, pos: int = 0):
        super().__init__(message)
        self.pos = pos


_SPECIAL = re.compile(r'[\\{}"]')


def _skip_balanced(text: str, pos: int, close: str) -> int:
    """Return the offset just after the delimiter that closes the group opened before ``pos``."""
    depth = 0
    search = _SPECIAL.search
    while True:
        m = search(text, pos)
        if m is None:
            raise BibSyntaxError(f"missing closing {close!r}", len(text))
        pos = m.start()
        ch = text[pos]
        if ch == "\\":  # an escaped brace or quote does not count
            pos += 2
            continue
        if ch == "{":
            depth += 1
        elif ch == "}":
            if depth == 0:
                if close == "}":
                    return pos + 1
                raise BibSyntaxError("unbalanced '}'", pos)
            depth -= 1
        elif close == '"' and depth == 0:
            return pos + 1
        pos += 1


def _part_end(text: str, pos: int) -> int:
    """The end of one ``#``-joined part of a value at ``pos``: ``{…}``, ``"…"`` or a name."""
    ch = text[pos]
    if ch == "{":
        return _skip_balanced(text, pos + 1, "}")
    if ch == '"':
        return _skip_balanced(text, pos + 1, '"')
    m = _NAME.match(text, pos)
    if not m:
        raise BibSyntaxError(f"unexpected {ch!r} in value", pos)
    return m.end()


def scan_value(text: str, pos: int) -> int:
    """Scan a field value starting at ``pos`` (after ``=`` and spaces); return its end offset."""
    n = len(text)
    while True:
        pos = _after_space(text, pos)
        if pos >= n:
            raise BibSyntaxError("missing value", pos)
        pos = end = _part_end(text, pos)
        pos = _after_space(text, pos)
        if pos < n and text[pos] == "#":
            pos += 1
            continue
        return end


def split_parts(raw_value: str) -> list[str]:
    """Split a raw value into its ``#``-joined parts (each with its delimiters)."""
    parts: list[str] = []
    pos = _after_space(raw_value, 0)
    n = len(raw_value)
    while pos < n:
        start = pos
        pos = _part_end(raw_value, pos)
        parts.append(raw_value[start:pos])
        pos = _after_space(raw_value, pos)
        if pos < n:
            if raw_value[pos] != "#":
                raise BibSyntaxError(
                    f"unexpected text {raw_value[pos : pos + 20]!r} after value (missing comma?)",
                    pos,
                )
            pos = _after_space(raw_value, pos + 1)
    return parts


def evaluate(raw_value: str, strings: Mapping[str, str] | None = None) -> str:
    """The value as BibTeX sees it: macros resolved, parts joined, outer delimiters removed.

    ``strings`` maps lower-case macro names to their *evaluated* text (what BibTeX stores
    for an ``@string``: see ``MacroTable``).  Inner braces and LaTeX are kept (``{TTP}``
    stays ``{TTP}``); see ``latex.to_text`` for plain text.  An undefined macro evaluates
    to its own name, as pandoc does (BibTeX prints nothing for it; lint's
    ``undefined-string`` reports it).
    """
    if strings is None:  # not `strings or {}`: the truth of a _Scope would count its names
        strings = {}
    if "#" not in raw_value:  # one part, which is most values: no need to scan it
        value = raw_value.strip()
        if value[:1] == "{" and value[-1:] == "}" or value[:1] == '"' and value[-1:] == '"':
            return value[1:-1]
        if value.isdigit() or not value:
            return value
    out = []
    try:
        parts = split_parts(raw_value)
    except BibSyntaxError:
        return raw_value.strip()
    for part in parts:
        if part[0] in '{"':
            out.append(part[1:-1])
        elif part.isdigit():
            out.append(part)
        else:
            name = part.lower()
            macro = strings.get(name)
            out.append(macro if macro is not None else MONTH_MACROS.get(name, part))
    return "".join(out)


def macro_names(raw_value: str) -> list[str]:
    """The macro names a raw value refers to (bare words that are not numbers), as written."""
    value = raw_value.strip()
    if "#" not in value and value[:1] in ("{", '"'):
        return []
    try:
        parts = split_parts(raw_value)
    except BibSyntaxError:
        return []
    return [p for p in parts if p[0] not in '{"' and not p.isdigit()]


class MacroTable:
    """The ``@string`` macros of a file, looked up the way BibTeX reads the file: in order.

    BibTeX (and biber, and pandoc) read a .bib from top to bottom: an ``@string`` value is
    evaluated when it is defined, with the macros defined above it, and an entry sees the
    definitions above it.  A name defined again (names are case-insensitive) takes the
    later value from that point on: BibTeX silently, biber with the warning "overriding
    existing definition of macro".  ``define`` records definitions in file order and
    returns the number of definitions before it (a *scope*); ``at(scope)`` is the mapping
    an entry read at that point sees, ``at(None)`` the one at the end of the file.
    """

    def __init__(self) -> None:
        # lower-case name -> [(index of the definition in the file, evaluated value)]
        self._defs: dict[str, list[tuple[int, str]]] = {}
        self.count = 0

    def define(self, name: str, raw_value: str) -> str:
        """Record a definition (its value evaluated in the current scope); its value."""
        value = evaluate(raw_value, self.at(self.count))
        self._defs.setdefault(name.lower(), []).append((self.count, value))
        self.count += 1
        return value

    def at(self, scope: int | None) -> Mapping[str, str]:
        return _Scope(self._defs, self.count if scope is None else scope)

    def final(self) -> dict[str, str]:
        """Every macro with its last value (what an entry at the end of the file sees)."""
        return {name: defs[-1][1] for name, defs in self._defs.items()}

    def defined_later(self, name: str, scope: int | None) -> bool:
        """True when ``name`` is not defined before ``scope`` but is further down."""
        defs = self._defs.get(name.lower())
        return bool(defs) and scope is not None and defs is not None and defs[0][0] >= scope


class _Scope(Mapping):
    """The macros visible at one point of a file (a read-only view of a ``MacroTable``)."""

    __slots__ = ("_defs", "_scope")

    def __init__(self, defs: dict[str, list[tuple[int, str]]], scope: int) -> None:
        self._defs = defs
        self._scope = scope

    def get(self, name: str, default: str | None = None) -> str | None:  # type: ignore[override]
        defs = self._defs.get(name)
        if not defs:
            return default
        if len(defs) == 1:  # the common case: one definition
            return defs[0][1] if defs[0][0] < self._scope else default
        value = default
        for index, text in defs:
            if index >= self._scope:
                break
            value = text
        return value

    def __getitem__(self, name: str) -> str:
        value = self.get(name)
        if value is None:
            raise KeyError(name)
        return value

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self.get(name) is not None

    def __iter__(self) -> Iterator[str]:
        return (name for name in self._defs if name in self)

    def __len__(self) -> int:
        return sum(1 for _ in self)


_BRACE_OR_ESCAPE = re.compile(r"\\.|[{}]", re.S)


def quote(value: str) -> str:
    """Wrap a value in braces for writing; refuse unbalanced braces (they would corrupt the
    file) and NUL characters (a file holding one is not read as BibTeX any more)."""
    if "\x00" in value:
        raise BibSyntaxError(
            "a NUL character in the value (a .bib file cannot hold one)", value.index("\x00")
        )
    depth = 0
    if "{" in value or "}" in value:  # (most values have no braces: nothing to count)
        for m in _BRACE_OR_ESCAPE.finditer(value):  # an escaped character is skipped
            ch = m.group()
            if ch == "{":
                depth += 1
            elif ch == "}":
                depth -= 1
                if depth < 0:
                    raise BibSyntaxError(f"unbalanced '}}' in value {value!r}", m.start())
    if depth:
        raise BibSyntaxError(f"unbalanced '{{' in value {value!r}", len(value))
    return "{" + value + "}"


@dataclass(frozen=True)
class FieldSpan:
    """Where one field sits inside an entry's source text (offsets into that text)."""

    name: str  # as written
    start: int  # first character of the name
    value_start: int
    value_end: int
    end: int  # just after the comma that follows the value, or value_end when there is none

    @property
    def has_comma(self) -> bool:
        return self.end > self.value_end


@dataclass(frozen=True)
class EntrySpans:
    entry_type: str
    key: str
    key_start: int
    key_end: int
    body_start: int  # just after the opening delimiter
    close: int  # offset of the closing delimiter
    fields: tuple[FieldSpan, ...]


_HEAD = re.compile(r"@\s*([A-Za-z][\w-]*)\s*([{(])\s*")
_KEY = re.compile(r"[^,\s{}()=]*")
_FIELD_NAME = re.compile(r"([^\s\"#%'(),={}]+)\s*=\s*")


def scan_entry(text: str) -> EntrySpans:
    """Locate the key and every field of one entry (``@type{key, name = value, ...}``)."""
    m = _HEAD.match(text)
    if not m:
        raise BibSyntaxError("not an entry", 0)
    entry_type, opener = m.group(1), m.group(2)
    closer = "}" if opener == "{" else ")"
    body_start = m.start(2) + 1
    key_start = _after_space(text, m.end())  # (after a comment line)
    key_end = _KEY.match(text, key_start).end()  # type: ignore[union-attr]  # (always matches)
    pos = _after_space(text, key_end)
    fields: list[FieldSpan] = []
    if pos < len(text) and text[pos] == ",":
        pos += 1
        while True:
            pos = _after_space(text, pos)
            if pos >= len(text):
                raise BibSyntaxError("missing closing delimiter", pos)
            if text[pos] == closer:
                break
            fm = _FIELD_NAME.match(text, pos)
            if not fm:
                raise BibSyntaxError(f"expected a field name at {text[pos : pos + 20]!r}", pos)
            value_start = _after_space(text, fm.end())  # (after a comment line)
            value_end = scan_value(text, value_start)
            after = _after_space(text, value_end)
            end = value_end
            if after < len(text) and text[after] == ",":
                end = after + 1
                pos = end
            else:
                pos = after
                if after < len(text) and text[after] != closer:
                    raise BibSyntaxError(f"missing comma after field {fm.group(1)!r}", value_end)
            fields.append(FieldSpan(fm.group(1), fm.start(), value_start, value_end, end))
    else:
        pos = _after_space(text, pos)
        if pos >= len(text) or text[pos] != closer:
            raise BibSyntaxError("expected ',' after the key", pos)
    return EntrySpans(
        entry_type, text[key_start:key_end], key_start, key_end, body_start, pos, tuple(fields)
    )


_LINE_BREAK = re.compile(r"\r\n|\r|\n")  # a lone CR too, as blocks.lf_lines reads it


def field_lines(text: str, line: int) -> dict[str, int] | None:
    """The line of every field (the first so named) in one entry's ``text`` from line
    ``line`` (bibtexparser's drifts after a line ending in a backslash), scanned once;
    None when the entry cannot be scanned."""
    try:
        fields = sorted(scan_entry(text).fields, key=lambda f: f.start)
    except BibSyntaxError:
        return None
    lines: dict[str, int] = {}
    for i, found in enumerate(fields):
        line += len(_LINE_BREAK.findall(text, fields[i - 1].start if i else 0, found.start))
        lines.setdefault(found.name.lower(), line)
    return lines


# -- what bibtexparser is given ----------------------------------------------------------
# Two places where bibtexparser's grammar is narrower than that of BibTeX, biber and pandoc
# (docs/bibtex.md): `%` comments, and white space inside a block's head (`@ article{`).
# (each pattern starts with one literal character, which the regex engine finds fast)
_ODD_HEAD = re.compile(r"@(?:\s|[A-Za-z][\w-]*[ \t]*[\r\n])")
_LINE_AT = re.compile(r"\n[ \t]*@(?=\w*[ \t]*[{(])")  # bibtexparser's block starts
_FIRST_AT = re.compile(r"[ \t]*@(?=\w*[ \t]*[{(])")
_ANY_HEAD = re.compile(r"@(\s*)([A-Za-z][\w-]*)(\s*)([{(])")
_TOP_MARK = re.compile(r"[@%]")
_SPACE_ONLY = re.compile(r"\s*")
_ENTRY_MARKS = {"}": re.compile(r'[%{"@}]'), ")": re.compile(r'[%{"@)]')}
_LINE_END = re.compile(r"[\r\n]|$")


def reader_text(text: str) -> str:
    """The text as bibtexparser must see it to read what biber and pandoc read: the same
    length and the same line breaks (so offsets and line numbers hold), with

    - each ``%`` comment outside values blanked: ``%`` to the end of the line is a comment
      inside a block (between fields, after the key), and at the top level, where an
      entry commented out line by line (``%@article{old,``) is no entry;
    - a block head with white space after the ``@`` or a line break before its delimiter
      (``@ article{``, ``@article`` + newline + ``{``), which BibTeX and biber read, written
      ``@article{`` with that white space moved behind the delimiter.

    A ``%`` inside a braced or quoted value is part of the value for all three readers
    (BibTeX keeps it; LaTeX reads it as a comment when the value is typeset), so values
    are never changed.  Text with neither (most files) is returned as it is.
    """
    spot = _next_spot(text, 0)
    if spot < 0:
        return text
    # block heads at a line start: points outside any block, as bibtexparser has them
    first = _FIRST_AT.match(text)
    line_ats = [first.end() - 1] if first else []
    line_ats += [m.end() - 1 for m in _LINE_AT.finditer(text)]
    edits: list[tuple[int, int, str]] = []
    pos = 0
    while spot >= 0:
        i = bisect_right(line_ats, spot) - 1
        start = max(pos, line_ats[i]) if i >= 0 else pos
        pos = _read_top(text, start, spot, line_ats, edits)
        spot = _next_spot(text, pos)
    if not edits:
        return text
    out = []
    last = 0
    for a, b, replacement in edits:
        out.append(text[last:a])
        out.append(replacement)
        last = b
    out.append(text[last:])
    return "".join(out)


def _next_spot(text: str, pos: int) -> int:
    """The offset of the next `%` or odd block head from ``pos``, or -1."""
    percent = text.find("%", pos)
    head = _ODD_HEAD.search(text, pos, percent if percent >= 0 else len(text))
    return head.start() if head else percent


def _blank(text: str, a: int, b: int) -> str:
    return "".join(c if c in "\r\n" else " " for c in text[a:b])


def _read_top(
    text: str, pos: int, until: int, line_ats: list[int], edits: list[tuple[int, int, str]]
) -> int:
    """Read the top level from ``pos`` (a point outside any block) past ``until``; return
    an offset outside any block."""
    n = len(text)
    while pos <= until:
        m = _TOP_MARK.search(text, pos)
        if m is None:
            return n
        i = m.start()
        if text[i] == "%":  # a comment to the end of the line: its `@`s start no block
            end = _LINE_END.search(text, i).start()  # type: ignore[union-attr]  # ($ always matches)
            at = text.find("@", i, end)
            while at >= 0:
                edits.append((at, at + 1, " "))
                at = text.find("@", at + 1, end)
            pos = end
            continue
        head = _ANY_HEAD.match(text, i)
        if head is None:  # a stray `@`: left as it is (the store warns about it)
            pos = i + 1
            continue
        before, name, after, opener = head.groups()
        if before or "\n" in after or "\r" in after:
            edits.append((i, head.end(), f"@{name}{opener}{before}{after}"))
        if name.lower() == "comment":  # its text is not read (as in BibTeX)
            pos = head.end()
            continue
        closer = "}" if opener == "{" else ")"
        keyed = name.lower() not in ("string", "preamble")
        pos = _read_block(text, head.end(), closer, line_ats, edits, keyed)
    return pos


def _read_block(
    text: str,
    pos: int,
    closer: str,
    line_ats: list[int],
    edits: list[tuple[int, int, str]],
    keyed: bool = True,
) -> int:
    """Read a block's body from ``pos`` (after its opening delimiter), blanking ``%``
    comments outside values; return the offset after its closing delimiter, or that of
    an ``@`` at a line start inside it, where bibtexparser gives the block up."""
    marks = _ENTRY_MARKS[closer]
    n = len(text)
    pos = _SPACE_ONLY.match(text, pos).end()  # type: ignore[union-attr]  # (always matches)
    if keyed and text[pos : pos + 1] not in ("%", '"'):
        pos = _KEY.match(text, pos).end()  # type: ignore[union-attr]  # the key: a `%` in it is part of it, as for BibTeX
    while True:
        m = marks.search(text, pos)
        if m is None:
            return n
        i = m.start()
        ch = text[i]
        if ch == closer:
            return i + 1
        if ch == "%":
            end = _LINE_END.search(text, i).start()  # type: ignore[union-attr]  # ($ always matches)
            edits.append((i, end, _blank(text, i, end)))
            pos = end
        elif ch == "@":
            if _at_line_start(line_ats, i):
                return i
            pos = i + 1
        else:  # a value: `%` inside it is text
            try:
                end = _skip_balanced(text, i + 1, "}" if ch == "{" else '"')
            except BibSyntaxError:
                end = n
            j = bisect_right(line_ats, i)
            if j < len(line_ats) and line_ats[j] < end:
                return line_ats[j]  # bibtexparser gives the block up there
            pos = end


def _at_line_start(line_ats: list[int], i: int) -> bool:
    j = bisect_left(line_ats, i)
    return j < len(line_ats) and line_ats[j] == i
