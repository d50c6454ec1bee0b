"""Entries as the cache keeps them: one JSON record per entry, made from a parsed
``model.Entry`` (``entry_record``) and read back as a ``RecordEntry`` that answers what
the read commands ask of an entry, with no parser and no LaTeX decoder behind it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from ..people import Person, author_label

NAME_FIELDS = ("author", "editor")


def entry_record(entry: Any) -> dict[str, Any]:
    """What the cache keeps of a parsed entry: its JSON form (``to_dict`` without the
    source, which is filled in when read), the plain text of each field, where inherited
    fields come from, its year and its ``ids`` aliases."""
    d = entry.to_dict()
    d.pop("source", None)
    names = list(entry.fields) + [n for n in entry.inherited if n not in entry.fields]
    texts = {n: entry.text(n) for n in names if n not in NAME_FIELDS}
    record: dict[str, Any] = {"d": d, "t": texts, "y": entry.year}
    if entry.inherited:
        record["f"] = {n: entry.inherited_from(n) for n in entry.inherited}
    if entry.aliases:
        record["a"] = entry.aliases
    return record


def _people(items: list[dict[str, str]] | None) -> list[Person]:
    return [
        Person(
            first=p.get("given", ""),
            von=p.get("non-dropping-particle", ""),
            last=p.get("family", ""),
            jr=p.get("suffix", ""),
            literal=p.get("literal", ""),
        )
        for p in items or ()
    ]


class _Source:
    """Where a record's entry is written (``entry._bib.name`` of a parsed entry)."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name


class RecordEntry:
    """An entry read from the cache: the read-only part of ``model.Entry``'s interface
    (key, type, line, fields, ``get``, ``text``, authors, ``to_dict``, ``source``…)."""

    __slots__ = ("key", "type", "line", "_record", "_bib", "_span", "_lib", "_authors")

    def __init__(
        self,
        key: str,
        type_: str,
        line: int,
        record: str | dict[str, Any],
        lib: CachedLibrary,
        span: tuple[int, int],
    ) -> None:
        self.key = key
        self.type = type_
        self.line = line
        self._record = record
        self._bib = _Source(lib.path)
        self._lib = lib
        self._span = span
        self._authors: tuple[list[Person], list[Person]] | None = None

    def __repr__(self) -> str:
        return f"<Entry @{self.type}{{{self.key}}} line {self.line}>"

    @property
    def record(self) -> dict[str, Any]:
        if isinstance(self._record, str):
            self._record = json.loads(self._record)
        return self._record  # type: ignore[return-value]

    @property
    def _d(self) -> dict[str, Any]:
        return self.record["d"]

    @property
    def fields(self) -> dict[str, str]:
        return self._d["fields"]

    @property
    def inherited(self) -> dict[str, str]:
        return self._d.get("inherited", {})

    def inherited_from(self, name: str) -> str | None:
        return self.record.get("f", {}).get(name.lower())

    def get(self, name: str, default: Any = None) -> Any:
        name = name.lower()
        fields = self.fields
        if name in fields:
            return fields[name]
        value = self.inherited.get(name)
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
        if self.get(name) is None:
            return default
        return self.record["t"].get(name, default)

    def _people(self) -> tuple[list[Person], list[Person]]:
        if self._authors is None:
            self._authors = (_people(self._d.get("author")), _people(self._d.get("editor")))
        return self._authors

    @property
    def authors(self) -> list[Person]:
        return self._people()[0]

    @property
    def editors(self) -> list[Person]:
        return self._people()[1]

    def people(self, name: str) -> list[Person]:
        name = name.lower()
        if name == "author":
            return self.authors
        if name == "editor":
            return self.editors
        raise KeyError(f"{name}: name lists other than author and editor are not cached")

    @property
    def title(self) -> str:
        return self._d["title"]

    @property
    def year(self) -> int | None:
        return self.record["y"]

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
        return self._d["keywords"]

    @property
    def aliases(self) -> list[str]:
        return self.record.get("a", [])

    def author_label(self, limit: int = 2) -> str:
        return author_label(self.authors, self.editors, limit)

    @property
    def source(self) -> str:
        """The entry's exact text in the file (read from it by byte span)."""
        return self._lib.source_text(*self._span)

    def to_dict(self) -> dict[str, Any]:
        d = dict(self._d)
        d["source"] = {"file": self._lib.path, "line": self.line}
        return d


class CachedLibrary:
    """A bibliography read from its cache: entries in file order, by key
    (case-insensitive, then ``ids`` aliases), its parse problems; the read-only part of
    ``model.Library``'s interface."""

    def __init__(self, store: Any, path: str) -> None:
        self._store = store  # refbook.cache.db.Snapshot
        self.path = path

    @property
    def problems(self) -> list:
        return self._store.problems(self.path)

    def __len__(self) -> int:
        return self._store.count

    def __iter__(self) -> Iterator[RecordEntry]:
        return self._store.entries(self)

    def keys(self) -> list[str]:
        return self._store.keys()

    def find(self, key: str) -> RecordEntry | None:
        return self._store.find(self, key)

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

    def search_index(self) -> Any:
        return self._store.search_index(self.path)

    def __repr__(self) -> str:
        return f"<Library {self.path}: {len(self)} entries (cached)>"
