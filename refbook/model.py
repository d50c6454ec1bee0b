"""A typed, read-mostly view of the entries in a .bib file, and the public ``Library`` API.

Values are decoded lazily: the store keeps raw BibTeX, and only what is shown or searched
goes through macro resolution (``refbook.bibtex.evaluate``) and LaTeX-to-Unicode
decoding (pylatexenc), which costs about twenty times the parse when done eagerly.

    >>> import refbook
    >>> lib = refbook.load("references.bib")
    >>> lib["zahid2023dealing"].title
    'Dealing with TTP and IS-K after the US withdrawal from Afghanistan: ...'
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping
from functools import cached_property
from typing import TYPE_CHECKING, Any

from . import bibtex
from .identifiers import normalize_doi  # noqa: F401  (public here too)
from .inheritance import NOT_INHERITED, inherit, inherited_names  # noqa: F401  (public here too)
from .latex import fold, to_text  # noqa: F401  (public here too)
from .people import Person, author_label, parse_names  # noqa: F401  (public here too)
from .store import BibFile, Block

if TYPE_CHECKING:
    from .findings import Finding


_YEAR = re.compile(r"\b(\d{4})\b")
CONTAINER_FIELDS = (
    "journal",
    "journaltitle",
    "booktitle",
    "maintitle",
    "organization",
    "institution",
    "publisher",
    "howpublished",
    "school",
)


class Entry:
    """One entry of a bibliography, as typed, decoded values.

    ``entry["journal"]`` is the BibTeX value (macros resolved, LaTeX kept);
    ``entry.text("journal")`` is plain text; properties give the usual parts.
    Assigning ``entry["note"] = "..."`` edits the store (saved by ``Library.save``)."""

    def __init__(self, bib: BibFile, block: Block):
        self._bib = bib
        self._block = block

    def __repr__(self) -> str:
        return f"<Entry @{self.type}{{{self.key}}} line {self.line}>"

    # identity and source
    @property
    def key(self) -> str:
        return self._block.key or ""  # (an entry block always has a key, maybe empty)

    @property
    def type(self) -> str:
        return self._block.entry.entry_type.lower()

    @property
    def line(self) -> int:
        return self._block.line

    @property
    def block(self) -> Block:
        """The store's block the entry is read from (what ``BibFile``'s editing methods
        take to name it)."""
        return self._block

    @property
    def bib_name(self) -> str:
        """The name of the file the entry is in, as messages say it."""
        return self._bib.name

    @property
    def source(self) -> str:
        """The entry's exact text in the file."""
        return self._bib.block_text(self._block)

    def field_line(self, name: str) -> int:
        """The line where field ``name`` is written (the entry's line when it is absent or
        the entry was edited in this session)."""
        return self.field_lines().get(name.lower(), self.line)

    def field_lines(self) -> dict[str, int]:
        """``field_line`` of every field written, the entry's text scanned once (and kept
        until the store replaces the entry: lint asks for one line per finding, and its
        cache records for all of them)."""
        entry = self._block.entry
        kept = self.__dict__.get("_field_lines")
        if kept is not None and kept[0] is entry and kept[1] == self.line:
            return kept[2]
        lines = self._scan_field_lines()
        self.__dict__["_field_lines"] = (entry, self.line, lines)
        return lines

    def _scan_field_lines(self) -> dict[str, int]:
        found = None if self._block.edited else bibtex.field_lines(self.source, self.line)
        lines: dict[str, int] = {}
        for f in self._block.entry.fields:
            name = f.key.lower()
            if name not in lines:
                if self._block.edited:
                    lines[name] = self.line
                else:
                    lines[name] = (found or {}).get(name) or f.start_line + 1
        return lines

    @property
    def macros(self) -> Mapping[str, str]:
        """The ``@string`` macros this entry sees: those defined above it (as BibTeX reads)."""
        return self._bib.strings_for(self._block)

    def macro_defined_later(self, name: str) -> bool:
        """True when macro ``name`` is not defined above the entry but is further down."""
        return self._bib.macros.defined_later(name, self._block.scope)

    def undefined_macros(self) -> list[tuple[str, str]]:
        """(field, name as written) of each ``@string`` macro a field uses that no
        definition above the entry gives (BibTeX's month names are always defined)."""
        macros = self.macros
        found = []
        for name, raw in self._raw_fields().items():
            if raw[:1] in ("{", '"') and "#" not in raw:
                continue
            for word in bibtex.macro_names(raw):
                low = word.lower()
                if low not in macros and low not in bibtex.MONTH_MACROS:
                    found.append((name, word))
        return found

    def duplicate_fields(self) -> dict[str, list[int]]:
        """Fields written more than once in this entry (the first is the one read), with
        the lines where each is written."""
        from .store import duplicate_fields

        found = duplicate_fields(self._block.entry)
        if self._block.edited:  # parsed on its own after an edit
            found = {n: [self.line + i - 1 for i in at] for n, at in found.items()}
        return found

    # raw access
    def _caches(self) -> tuple[dict[str, str], dict[str, str]]:
        """(raw, evaluated) fields, rebuilt when the store replaced the entry (an edit).
        Values are evaluated on first use, field by field."""
        entry = self._block.entry
        cache = self.__dict__.get("_cache")
        if cache is not None and cache[0] is entry:
            return cache[1], cache[2]
        raw: dict[str, str] = {}
        for f in entry.fields:
            raw.setdefault(f.key.lower(), f.value)
        self.__dict__["_cache"] = (entry, raw, {})
        for attr in ("authors", "editors", "title"):
            self.__dict__.pop(attr, None)
        return raw, self.__dict__["_cache"][2]

    def _value(self, name: str, default: Any = None) -> Any:
        raw, values = self._caches()
        if name in values:
            return values[name]
        if name not in raw:
            return self._inherited_value(name, default)
        value = values[name] = bibtex.evaluate(raw[name], self.macros)
        return value

    def _raw_fields(self) -> dict[str, str]:
        return self._caches()[0]

    @property
    def fields(self) -> dict[str, str]:
        """All fields, lower-cased names, BibTeX values (macros resolved, LaTeX kept)."""
        raw, values = self._caches()
        if len(values) < len(raw):  # as _value, for each field not evaluated yet
            macros = self.macros
            for name, written in raw.items():
                if name not in values:
                    values[name] = bibtex.evaluate(written, macros)
        return {name: values[name] for name in raw}

    def raw(self, name: str) -> str | None:
        """The value exactly as written (delimiters, macros and ``#`` included)."""
        return self._raw_fields().get(name.lower())

    def get(self, name: str, default: Any = None) -> Any:
        name = name.lower()
        cache = self.__dict__.get("_cache")  # inlined fast path: lint calls this a lot
        if cache is not None and cache[0] is self._block.entry:
            values = cache[2]
            if name in values:
                return values[name]
            if name not in cache[1]:
                return self._inherited_value(name, default)
        return self._value(name, default)

    def __getitem__(self, name: str) -> str:
        value = self.get(name)
        if value is None:
            raise KeyError(name)
        return value

    def has(self, name: str) -> bool:
        """Whether the entry has field ``name`` with a value (its own or inherited)."""
        return bool(self.get(name))

    def __contains__(self, name: str) -> bool:
        return name.lower() in self._raw_fields()

    def __setitem__(self, name: str, value: str) -> None:
        self._bib.set_field(self.key, name, value)
        self._reset()

    def __delitem__(self, name: str) -> None:
        if not self._bib.remove_field(self.key, name):
            raise KeyError(name)
        self._reset()

    def _reset(self) -> None:
        for attr in ("_cache", "_inheritance_cache", "authors", "editors", "title"):
            self.__dict__.pop(attr, None)

    # inheritance (crossref, xdata)
    def _has_parents(self) -> bool:
        raw = self._raw_fields()
        return "crossref" in raw or "xdata" in raw

    def _inherited_value(self, name: str, default: Any) -> Any:
        if not self._has_parents():
            return default
        found = self._inheritance().get(name)
        return default if found is None else found[0]

    def _inheritance(self) -> dict[str, tuple[str, str]]:
        """Inherited fields: name -> (value, key of the entry it comes from); cached until
        this entry or one it inherits from is edited."""
        cached = self.__dict__.get("_inheritance_cache")
        if (
            cached is not None
            and cached[0] is self._block.entry
            and all(block.entry is entry for block, entry in cached[1])
        ):
            return cached[2]
        chain: list[tuple[Block, Any]] = []
        fields = inherit(self, chain=chain)
        own = self._raw_fields()
        inherited = {n: (v, src) for n, (v, src) in fields.items() if n not in own}
        self.__dict__["_inheritance_cache"] = (self._block.entry, chain, inherited)
        return inherited

    @property
    def inherited(self) -> dict[str, str]:
        """The fields this entry inherits through ``crossref``/``xdata`` (BibLaTeX values,
        by biblatex's inheritance rules); the file itself keeps only the entry's own."""
        if not self._has_parents():
            return {}
        return {name: value for name, (value, _src) in self._inheritance().items()}

    def inherited_from(self, name: str) -> str | None:
        """The key of the entry field ``name`` is inherited from, or None (own or absent)."""
        if name.lower() in self._raw_fields() or not self._has_parents():
            return None
        found = self._inheritance().get(name.lower())
        return found[1] if found else None

    def text(self, name: str, default: str = "") -> str:
        """A field as plain text (LaTeX decoded, braces removed)."""
        value = self.get(name)
        return default if value is None else to_text(value)

    # typed parts
    @cached_property
    def authors(self) -> list[Person]:
        value = self.get("author")
        return parse_names(value) if value else []

    @cached_property
    def editors(self) -> list[Person]:
        value = self.get("editor")
        return parse_names(value) if value else []

    def people(self, name: str) -> list[Person]:
        """A name-list field (``translator``, ``bookauthor``, ``editora``...) as people."""
        value = self.get(name)
        return parse_names(value) if value else []

    @cached_property
    def title(self) -> str:
        return self.text("title")

    @property
    def year(self) -> int | None:
        for name in ("year", "date"):
            value = self.get(name)
            if value:
                m = _YEAR.search(value)
                if m:
                    return int(m.group(1))
        return None

    @property
    def date(self) -> str | None:
        """ISO-like date (``2023-12-13``, ``2023-02``, ``2023``) from ``date`` or ``year``/``month``."""
        if self.get("date"):
            return self.get("date").strip()
        year = self.year
        if year is None:
            return None
        month = month_number(self.get("month", ""))
        return f"{year:04d}-{month:02d}" if month else f"{year:04d}"

    @property
    def container(self) -> str:
        """Where the work appeared: journal, book, publisher, site..."""
        for name in CONTAINER_FIELDS:
            if self.get(name):
                return self.text(name)
        return ""

    @property
    def volume(self) -> str:
        return self.text("volume")

    @property
    def number(self) -> str:
        return self.text("number") or self.text("issue")

    @property
    def pages(self) -> str:
        return self.text("pages")

    @property
    def doi(self) -> str:
        value = self.get("doi")
        return normalize_doi(value) if value else ""

    @property
    def url(self) -> str:
        return (self.get("url") or "").strip()

    @property
    def annotation(self) -> str:
        return self.text("annotation") or self.text("annote")

    @property
    def aliases(self) -> list[str]:
        """Other keys this entry answers to: biblatex's ``ids`` (``refbook merge`` puts the
        dropped key there); ``lib["old key"]`` finds the entry."""
        value = self.get("ids")
        return [k.strip() for k in value.split(",") if k.strip()] if value else []

    @property
    def keywords(self) -> list[str]:
        value = self.text("keywords")
        return [k.strip() for k in re.split(r"[,;]", value) if k.strip()] if value else []

    def author_label(self, limit: int = 2) -> str:
        """Short author line for tables: ``Zahid``, ``Jan & Islam``, ``Altaf et al.``."""
        return author_label(self.authors, self.editors, limit)

    def to_dict(self) -> dict[str, Any]:
        """refbook's JSON schema (CSL-JSON-like names; see docs/json.md)."""
        d: dict[str, Any] = {"id": self.key, "type": self.type}
        if self.authors:
            d["author"] = [p.to_csl() for p in self.authors]
        if self.editors:
            d["editor"] = [p.to_csl() for p in self.editors]
        d["title"] = self.title
        if self.container:
            d["container-title"] = self.container
        if self.year is not None:
            d["issued"] = self.date
        for name, value in (
            ("volume", self.volume),
            ("issue", self.number),
            ("page", self.pages),
            ("DOI", self.doi),
            ("URL", self.url),
        ):
            if value:
                d[name] = value
        d["keywords"] = self.keywords
        d["annotation"] = self.annotation
        d["fields"] = dict(self.fields)
        if self.inherited:
            d["inherited"] = self.inherited
        d["source"] = {"file": self.bib_name, "line": self.line}
        return d


_CROSSREF = re.compile(r"(?i)\b(?:crossref|xdata)\s*=")
_MONTHS = {m[:3].lower(): i for i, m in enumerate(bibtex.MONTH_MACROS.values(), start=1)}


def month_number(value: str) -> int | None:
    value = value.strip().lower()
    if value.isdigit() and 1 <= int(value) <= 12:
        return int(value)
    return _MONTHS.get(value[:3])


class Library:
    """A bibliography file: entries by key (case-insensitive), in file order.

    ``refbook.load(path)`` makes one; iterate it, index it by key, edit entries, ``save()``."""

    def __init__(self, bib: BibFile):
        self.bib = bib

    @property
    def path(self) -> str:
        return self.bib.name

    @property
    def problems(self) -> list[Finding]:
        """Parse problems (``Finding`` records): unparseable blocks, duplicate keys...,
        and crossref/xdata parents that are missing or cyclic (warnings)."""
        return self.bib.problems + self._inheritance_problems

    @cached_property
    def _inheritance_problems(self) -> list[Finding]:
        from .findings import Finding, Severity

        if not _CROSSREF.search(self.bib.text) and not any(
            b.new or b.edited for b in self.bib.entries()
        ):
            return []
        found: dict[frozenset, tuple[Block, str, str]] = {}
        for e in self:
            if not e._has_parents():
                continue
            problems: list[tuple[tuple, str, str]] = []
            inherit(e, problems=problems)
            for blocks, link, message in problems:
                where = min(blocks, key=lambda b: b.line)  # a cycle: once, at its first entry
                found.setdefault(frozenset(map(id, blocks)), (where, link, message))
        out = []
        for block, link, message in sorted(found.values(), key=lambda p: p[0].line):
            line = Entry(self.bib, block).field_line(link)
            out.append(Finding(self.path, line, Severity.WARNING, "crossref", message, block.key))
        return out

    @cached_property
    def _entries(self) -> list[Entry]:
        return [Entry(self.bib, b) for b in self.bib.entries()]

    def _refresh(self) -> None:
        self.__dict__.pop("_entries", None)
        self.__dict__.pop("_inheritance_problems", None)

    def __iter__(self) -> Iterator[Entry]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def __getitem__(self, key: str) -> Entry:
        block = self.bib.get(key)  # NotFoundError with a suggestion
        for e in self._entries:
            if e._block is block:
                return e
        return Entry(self.bib, block)

    def __contains__(self, key: str) -> bool:
        return self.bib.find(key) is not None

    def get(self, key: str) -> Entry | None:
        return self[key] if key in self else None

    def keys(self) -> list[str]:
        return [e.key for e in self._entries]

    def add(
        self, entry_type: str, key: str, fields: dict[str, str] | list[tuple[str, str]]
    ) -> Entry:
        """Append a new entry, formatted in the file's own style."""
        items = list(fields.items()) if isinstance(fields, dict) else list(fields)
        block = self.bib.append_entry(self.bib.format_entry(entry_type, key, items))
        self._refresh()
        return Entry(self.bib, block)

    def remove(self, key: str) -> None:
        self.bib.remove_entry(key)
        self._refresh()

    def save(self, path: str | os.PathLike | None = None, *, force: bool = False) -> bool:
        """Write changes back (atomic, locked, only edited entries change); ``force``
        writes even when the file changed on disk since it was read, or is read-only."""
        return self.bib.save(path, force=force, readonly_ok=force)

    def __repr__(self) -> str:
        return f"<Library {self.path}: {len(self)} entries>"


def load(path: str | os.PathLike = "references.bib", encoding: str | None = None) -> Library:
    """Read a .bib file into a ``Library`` (``-`` reads standard input).  The encoding is
    the file's byte-order mark or JabRef ``% Encoding:`` header, else UTF-8, unless
    ``encoding`` is given; changes are saved in the same encoding."""
    return Library(BibFile.read(path, encoding))


def loads(text: str, name: str = "<string>") -> Library:
    """A ``Library`` from BibTeX text (not saved anywhere unless ``save(path)`` is given one)."""
    return Library(BibFile(text, name=name))
