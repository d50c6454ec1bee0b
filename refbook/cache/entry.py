"""An entry read from the library cache (``RecordEntry``): the read-only interface of
``model.Entry`` answered from its row and, when asked for, its stored record
(``records.entry_record``), CSL item and lint record, with no parser and no LaTeX decoder
behind it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .records import NAME_FIELDS

if TYPE_CHECKING:
    from ..people import Person


def _loads(text: str) -> Any:
    import json  # here: key completion reads no record

    return json.loads(text)


_NONE: dict[str, str] = {}


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
