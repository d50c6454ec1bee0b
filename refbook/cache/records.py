"""Entries as the cache keeps them: one JSON record per entry, made from a parsed
``model.Entry`` (``entry_record``) and read back as a ``RecordEntry`` that answers what
the read commands ask of an entry, with no parser and no LaTeX decoder behind it.

Over 500 lines: ``RecordEntry`` answers the whole read-only interface of ``model.Entry``
and ``CachedLibrary`` that of ``model.Library`` (with the reads in one pass that lint and
export stream); they change together."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..people import Person

NAME_FIELDS = ("author", "editor")


def _loads(text: str) -> Any:
    import json  # here: key completion reads no record

    return json.loads(text)


def entry_record(entry: Any) -> tuple[dict[str, Any], str, dict[str, Any]]:
    """What the cache keeps of a parsed entry, in three parts: ``light`` (what lists,
    sorts and counts need: title, author line, keywords, the fields it has), ``item``
    (its JSON form, ``to_dict`` without the source, which is added when read) and
    ``extra`` (the plain text of each field, where inherited fields come from, its
    ``ids`` aliases)."""
    from ..latex import to_text

    _ = entry.fields  # every value evaluated in one pass (to_dict then reads them)
    d = entry.to_dict()
    d.pop("source", None)
    # every value the entry has, as entry.get gives it: its own fields, then inherited ones
    values = {**d.get("inherited", {}), **d["fields"]}
    inherited = d.get("inherited", {})
    names = list(d["fields"]) + [n for n in inherited if n not in d["fields"]]
    light = {
        "t": entry.title,
        "l": entry.author_label(),
        "k": d["keywords"],
        "p": [n for n in names if values[n]],  # entry.has(n)
    }
    for tag, people in (("a", entry.authors), ("e", entry.editors)):
        if people:  # name parts: matching citations needs them for every entry
            light[tag] = [[p.first, p.von, p.last, p.jr, p.literal] for p in people]
    # the plain text (entry.text) of each field whose text is not its value as written
    texts = ((n, values[n]) for n in names if n not in NAME_FIELDS)
    extra: dict[str, Any] = {"t": {n: t for n, v in texts if (t := to_text(v)) != v}}
    if inherited:
        extra["f"] = {n: entry.inherited_from(n) for n in inherited}
    if entry.aliases:
        extra["a"] = entry.aliases
    from ..output import json_text  # the JSON text refbook writes, escapes included

    return light, json_text(d), extra


def listing_form(item: str) -> str:
    """The JSON text of an entry (``output.json_text``) as the cache keeps it: as an
    item of a ``--json`` array writes it (indented once more), without its closing
    brace, so that ``list --json`` only adds each entry's source.  JSON strings hold no
    raw newline: each one in the text starts a line of the layout."""
    return item[:-2].replace("\n", "\n  ")


_NONE: dict[str, str] = {}


def json_form(listed: str) -> str:
    """``listing_form`` undone: the JSON text ``output.json_text`` wrote."""
    return listed.replace("\n  ", "\n") + "\n}"


class RecordEntry:
    """An entry read from the cache: the read-only part of ``model.Entry``'s interface
    (key, type, line, fields, ``get``, ``has``, ``text``, authors, ``to_dict``,
    ``source``…).  What lists need comes with the row; the rest (its JSON form, the
    plain text of its fields) is read when first asked for."""

    __slots__ = ("key", "type", "line", "year", "ord", "_light", "_lib", "_span", "_cached")

    def __init__(
        self,
        lib: Any,
        ord_: int,
        key: str,
        type_: str,
        line: int,
        year: int | None,
        light: str,
        span: tuple[int, int],
    ) -> None:
        self._lib = lib
        self.ord = ord_
        self.key = key
        self.type = type_
        self.line = line
        self.year = year
        self._light: Any = light
        self._span = span
        self._cached: dict[str, Any] = {}

    def __repr__(self) -> str:
        return f"<Entry @{self.type}{{{self.key}}} line {self.line}>"

    @property
    def bib_name(self) -> str:
        """The name of the file the entry is in, as messages say it."""
        return self._lib.path

    def _l(self, name: str) -> Any:
        light = self._cached.get("l")
        if light is None:  # decoded when first asked, let go by _reset (the text stays)
            light = self._cached["l"] = _loads(self._light)
        return light[name]

    def _part(self, column: str) -> Any:
        if column not in self._cached:
            text = self._lib.column(self, column)
            keep = column in ("item", "csl") or text is None
            self._cached[column] = text if keep else _loads(text)
        return self._cached[column]

    def _given(self, column: str, text: str | None) -> None:
        """A column read for many entries at once (``CachedLibrary.read_parts``)."""
        if column not in self._cached:
            keep = column in ("item", "csl")
            self._cached[column] = text if keep or text is None else _loads(text)

    def _reset(self) -> None:
        """Forget what was read besides the row (as ``model.Entry._reset``: a pass over
        a large library keeps only what it takes)."""
        self._cached.clear()

    @property
    def _d(self) -> dict[str, Any]:
        if "d" not in self._cached:
            self._cached["d"] = _loads(self._part("item"))
        return self._cached["d"]

    @property
    def fields(self) -> dict[str, str]:
        return self._d["fields"]

    @property
    def inherited(self) -> dict[str, str]:
        return self._d.get("inherited", {})

    def inherited_from(self, name: str) -> str | None:
        return self._part("extra").get("f", {}).get(name.lower())

    def has(self, name: str) -> bool:
        """Whether the entry has field ``name`` with a value (own or inherited)."""
        return name in self._l("p") or name.lower() in self._l("p")

    def get(self, name: str, default: Any = None) -> Any:
        name = name.lower()
        d = self._cached.get("d")  # (lint's rules ask ~30 values of each entry)
        if d is None:
            d = self._d
        value = d["fields"].get(name)  # values are strings: None is absent
        if value is not None:
            return value
        value = d.get("inherited", _NONE).get(name)
        return default if value is None else value

    def __getitem__(self, name: str) -> str:
        value = self.get(name)
        if value is None:
            raise KeyError(name)
        return value

    def __contains__(self, name: str) -> bool:
        return name.lower() in self.fields

    def text(self, name: str, default: str = "") -> str:
        name = name.lower()
        value = self.get(name)
        if value is None:
            return default
        if name in NAME_FIELDS:
            return self._part("extra")["t"].get(name, default)
        return self._part("extra")["t"].get(name, value)  # kept only when it differs

    def _people(self, name: str) -> list[Person]:
        if name not in self._cached:
            self._l("t")  # the light record parsed
            parts = self._cached["l"].get("a" if name == "author" else "e", ())
            from ..people import Person  # here: a warm `show` of a title needs no names

            self._cached[name] = [Person(*p) for p in parts]
        return self._cached[name]

    @property
    def authors(self) -> list[Person]:
        return self._people("author")

    @property
    def editors(self) -> list[Person]:
        return self._people("editor")

    def people(self, name: str) -> list[Person]:
        name = name.lower()
        if name in NAME_FIELDS:
            return self._people(name)
        from ..people import parse_names  # other name lists (translator…), as Entry reads them

        value = self.get(name)
        return parse_names(value) if value else []

    @property
    def title(self) -> str:
        return self._l("t")

    @property
    def date(self) -> str | None:
        return self._d.get("issued")

    @property
    def container(self) -> str:
        return self._d.get("container-title", "")

    @property
    def volume(self) -> str:
        return self._d.get("volume", "")

    @property
    def number(self) -> str:
        return self._d.get("issue", "")

    @property
    def pages(self) -> str:
        return self._d.get("page", "")

    @property
    def doi(self) -> str:
        return self._d.get("DOI", "")

    @property
    def url(self) -> str:
        return self._d.get("URL", "")

    @property
    def annotation(self) -> str:
        return self._d["annotation"]

    @property
    def keywords(self) -> list[str]:
        return self._l("k")

    @property
    def aliases(self) -> list[str]:
        return self._part("extra").get("a", [])

    def author_label(self, limit: int = 2) -> str:
        if limit == 2:
            return self._l("l")
        from ..people import author_label

        return author_label(self.authors, self.editors, limit)

    @property
    def source(self) -> str:
        """The entry's exact text in the file (read from it by byte span)."""
        return self._lib.source_text(*self._span)

    # what lint asks of the entry's text (``lint_record``)
    def raw(self, name: str) -> str | None:
        """The value as written (macros, delimiters and ``#`` included)."""
        name = name.lower()
        fields = self._d["fields"]
        if name not in fields:
            return None
        record = self._part("lint")
        if name in record.get("r", ()):
            return record["r"][name]
        if name in record.get("q", ()):
            return '"' + fields[name] + '"'
        return fields[name] if name in record.get("b", ()) else "{" + fields[name] + "}"

    def field_line(self, name: str) -> int:
        """The line where field ``name`` is written (the entry's when it is absent)."""
        return self.line + self._part("lint").get("l", {}).get(name.lower(), 0)

    def duplicate_fields(self) -> dict[str, list[int]]:
        found = self._part("lint").get("d", {})
        return {n: [self.line + at for at in ats] for n, ats in found.items()}

    def undefined_macros(self) -> list[tuple[str, str]]:
        return [(name, word) for name, word in self._part("lint").get("u", ())]

    def macro_defined_later(self, name: str) -> bool:
        """True when macro ``name``, not defined above the entry, is defined further down."""
        return name.lower() in self._lib.string_names()

    # export
    def csl_item(self, ident: str | None = None) -> dict[str, Any]:
        """The stored CSL item (``csl_text``), with ``ident`` as its id when given."""
        text = self._part("csl")
        if text is None:
            raise LookupError(f"{self.key}: no CSL item in the cache")
        item: dict[str, Any] = _loads(text)
        if ident is not None:
            item["id"] = ident
        return item

    def csl_text(self, ident: str, text: str | None = None) -> str:
        """The CSL item's JSON text as ``csl_text`` indents it, with id ``ident``."""
        text = text if text is not None else self._part("csl")
        if ident == self.key and text is not None:
            return text
        from .parts import indented

        return indented(self.csl_item(ident))

    def to_dict(self) -> dict[str, Any]:
        d = dict(self._d)
        d["source"] = {"file": self._lib.path, "line": self.line}
        return d

    def json_text(self, item: str | None = None) -> str:
        """``to_dict()`` as ``output.json_text`` writes it, made from the stored text
        (``item``, when the caller read it already) without decoding it."""
        item = item if item is not None else self._part("item")
        path = self._lib.path_json
        return (
            f'{item[:-2]},\n  "source": {{\n    "file": {path},\n    "line": {self.line}\n  }}\n}}'
        )


class CachedLibrary:
    """A bibliography read from its cache: entries in file order, by key
    (case-insensitive, then ``ids`` aliases), its parse problems; the read-only part of
    ``model.Library``'s interface."""

    def __init__(self, store: Any, path: str, encoding: str | None = None) -> None:
        self._store = store  # refbook.cache.db.Snapshot
        self.path = path
        self._path_json: str | None = None
        self.encoding = encoding  # the user's --encoding, if any
        self._strings: set[str] | None = None

    @property
    def path_json(self) -> str:
        """The file's name as a JSON string (as ``output.json_text`` writes it)."""
        if self._path_json is None:
            from ..output import json_text

            self._path_json = json_text(self.path)
        return self._path_json

    @property
    def problems(self) -> list:
        return self._store.problems(self.path)

    def __len__(self) -> int:
        return self._store.count

    def __iter__(self) -> Iterator[RecordEntry]:
        return self._store.entries(self)

    def keys(self) -> list[str]:
        return self._store.keys()

    def keys_starting(self, prefix: str) -> list[str]:
        """The keys that start with ``prefix`` (case-insensitive), in file order."""
        return self._store.keys_starting(prefix)

    def find(self, key: str) -> RecordEntry | None:
        return self._store.find(self, key)

    def entry_by_ord(self, ord_: int) -> RecordEntry:
        """The entry of row ``ord_`` (lint reads the few entries a rule over the whole
        library flags again)."""
        return next(self._store.entries(self, "WHERE e.ord = ?", ord_))

    def repeated_keys(self) -> list[list[int]]:
        """The ords of the entries of each key written more than once (the same case),
        each list in file order."""
        found: dict[str, list[int]] = {}
        query = "SELECT key, ord FROM entries WHERE key IN "
        query += "(SELECT key FROM entries GROUP BY key HAVING count(*) > 1) ORDER BY ord"
        for key, ord_ in self._store.conn.execute(query):
            found.setdefault(key, []).append(ord_)
        return list(found.values())

    def __contains__(self, key: str) -> bool:
        return self.find(key) is not None

    def __getitem__(self, key: str) -> RecordEntry:
        found = self.find(key)
        if found is None:
            from ..errors import NotFoundError
            from ..store import _unknown_key_message as unknown_key_message

            raise NotFoundError(unknown_key_message(key, self.keys(), self.path))
        return found

    def get(self, key: str) -> RecordEntry | None:
        return self.find(key)

    def source_text(self, start: int, end: int) -> str:
        return self._store.source_text(start, end)

    def keywords(self) -> list[str]:
        """The keywords in use, most used first (ties in order of first use)."""
        return self._store.keywords()

    def counts(self, watched: Mapping[str, tuple[str, ...]]) -> dict[str, Any]:
        """Entries per type and year, keywords, entries missing watched fields (SQL)."""
        return self._store.counts(watched)

    def json_texts(self, entries: Sequence[Any]) -> Iterator[str]:
        """The entries' ``json_text()``: read in one pass when they are in file order."""
        if all(a.ord < b.ord for a, b in zip(entries, entries[1:])):
            wanted = iter(entries)
            entry = next(wanted, None)
            for ord_, item in self._store.items():
                if entry is None:
                    break
                if ord_ == entry.ord:
                    yield entry.json_text(item)
                    entry = next(wanted, None)
            return
        for entry in entries:
            yield entry.json_text()

    def listing(self, reverse: bool = False, raw: bool = False) -> Iterator[list]:
        """Every entry as ``list --json`` writes it in its array (``json_text()``
        indented once more), in file order or reversed, in batches (of UTF-8 bytes
        with ``raw``)."""
        return self._store.listing(self.path_json, reverse, raw)

    def csl_texts(self, entries: Sequence[Any], ids: Sequence[str]) -> Iterator[str]:
        """The entries' CSL items as JSON texts (``RecordEntry.csl_text``) with ``ids``;
        read in one pass when they are in file order."""
        if all(a.ord < b.ord for a, b in zip(entries, entries[1:])):
            wanted = iter(zip(entries, ids))
            entry, ident = next(wanted, (None, ""))
            for ord_, item in self._store.csl_items():
                if entry is None:
                    break
                if ord_ == entry.ord:
                    yield entry.csl_text(ident, item)
                    entry, ident = next(wanted, (None, ""))
            return
        for entry, ident in zip(entries, ids):
            yield entry.csl_text(ident)

    def read_parts(self, entries: Iterable[RecordEntry], columns: Sequence[str]) -> Iterator[Any]:
        """The entries (all of the library's, in file order), each given ``columns`` (read
        in one pass) before it is yielded."""
        rows = self._store.parts(columns)
        for entry in entries:
            row = next(rows)
            assert row[0] == entry.ord
            for column, text in zip(columns, row[1:]):
                entry._given(column, text)
            yield entry

    def read_values(
        self, entries: Iterable[RecordEntry], names: Sequence[str]
    ) -> Iterator[tuple[RecordEntry, tuple[str | None, ...]]]:
        """The entries (all of the library's, in file order), each with the values of
        ``names`` as ``get`` gives them (read in one pass, no record decoded)."""
        import json

        rows = self._store.values(names)
        loads = json.loads
        for entry in entries:
            ord_, found = next(rows)
            assert ord_ == entry.ord
            both = loads(found)  # own values, then inherited ones
            yield entry, tuple(a if a is not None else b for a, b in zip(both, both[len(names) :]))

    def csl_complete(self) -> bool:
        """Whether the cache has every entry's CSL item (export can read them all)."""
        return bool(self._store.csl_complete())

    def string_names(self) -> set[str]:
        if self._strings is None:
            self._strings = self._store.string_names()
        return self._strings

    def suppressions(self) -> dict[str, set[str]]:
        """lint's ``% refbook: ignore[...]`` comments by entry key (``suppressions``)."""
        from .text import suppressions

        return suppressions(self)

    def spans(self) -> list[tuple[str, int, int]]:
        """(key, byte start, byte end) of every entry, in file order."""
        return self._store.spans()

    def column(self, entry: RecordEntry, name: str) -> Any:
        if name == "csl" and "csl" not in self._store.filled:
            from .parts import csl_text  # not stored yet: the same item, from the record

            return csl_text(entry)
        return self._store.column(entry.ord, name)

    def search_index(self) -> Any:
        """The cache's search index (made in memory from the records when its tables are
        not filled: ``open_cached(needs=("search",))`` fills them)."""
        index = self._store.search_index(self.path)
        if index is None:
            from ..index import memory_index

            index = memory_index(self)  # type: ignore[arg-type]
        return index

    def alias_keys(self) -> list[tuple[str, str]]:
        """Every ``ids`` alias (lower-cased) with the key of its entry (the language
        server resolves citations by these without reading any entry)."""
        return self._store.conn.execute(
            "SELECT a.alias, e.key FROM aliases a JOIN entries e ON e.ord = a.ord"
        ).fetchall()

    def dois_like(self, doi: str) -> list[str]:
        """The DOIs of the entries whose record mentions ``doi`` (case-insensitive):
        candidates the caller compares after normalising."""
        pattern = "%" + doi.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        rows = self._store.conn.execute(
            "SELECT item FROM data WHERE item LIKE ? ESCAPE '\\'", (pattern,)
        )
        import json

        # the stored text is the item as list --json's array writes it (json_form)
        return [d for (item,) in rows if (d := json.loads(json_form(item)).get("DOI"))]

    def __repr__(self) -> str:
        return f"<Library {self.path}: {len(self)} entries (cached)>"
