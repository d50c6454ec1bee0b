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
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

# BibTeX's predefined month macros (plain.bst): ``month = jan`` means "January".
MONTH_MACROS = {
    "jan": "January", "feb": "February", "mar": "March", "apr": "April",
    "may": "May", "jun": "June", "jul": "July", "aug": "August",
    "sep": "September", "oct": "October", "nov": "November", "dec": "December",
}  # fmt: skip

_NAME = re.compile(r"[^\s\"#%'(),={}]+")
_SPACE = re.compile(r"\s*")


def _after_space(text: str, pos: int) -> int:
    """The offset of the first character at or after ``pos`` that is not white space."""
    return _SPACE.match(text, pos).end()  # type: ignore[union-attr]  # (\s* always matches)


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


def scan_value(text: str, pos: int) -> int:
    """Scan a field value starting at ``pos`` (after ``=`` and spaces); return its end offset."""
    n = len(text)
    while True:
        pos = _after_space(text, pos)
        if pos >= n:
            raise BibSyntaxError("missing value", pos)
        ch = text[pos]
        if ch == "{":
            pos = _skip_balanced(text, pos + 1, "}")
        elif ch == '"':
            pos = _skip_balanced(text, pos + 1, '"')
        else:
            m = _NAME.match(text, pos)
            if not m:
                raise BibSyntaxError(f"unexpected {ch!r} in value", pos)
            pos = m.end()
        end = pos
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
        ch = raw_value[pos]
        if ch == "{":
            pos = _skip_balanced(raw_value, pos + 1, "}")
        elif ch == '"':
            pos = _skip_balanced(raw_value, pos + 1, '"')
        else:
            m = _NAME.match(raw_value, pos)
            if not m:
                raise BibSyntaxError(f"unexpected {ch!r} in value", pos)
            pos = m.end()
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


def quote(value: str) -> str:
    """Wrap a value in braces for writing; refuse unbalanced braces (they would corrupt the
    file) and NUL characters (a file holding one is not read as BibTeX any more)."""
    if "\x00" in value:
        raise BibSyntaxError(
            "a NUL character in the value (a .bib file cannot hold one)", value.index("\x00")
        )
    depth = 0
    i = 0
    while i < len(value):
        ch = value[i]
        if ch == "\\":
            i += 2
            continue
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth < 0:
                raise BibSyntaxError(f"unbalanced '}}' in value {value!r}", i)
        i += 1
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
    key_start = m.end()
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
            value_start = fm.end()
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
