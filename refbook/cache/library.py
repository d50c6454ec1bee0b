"""A bibliography read from its library cache (``CachedLibrary``): the read-only
interface of ``model.Library`` over a ``snapshot.Snapshot``, its entries as
``entry.RecordEntry``s, with the reads in one pass that lint and export stream."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from .records import json_form

if TYPE_CHECKING:
    from .entry import RecordEntry


_ORDS = "SELECT ord FROM entries ORDER BY ord"


class CachedLibrary:
    """A bibliography read from its cache: entries in file order, by key
    (case-insensitive, then ``ids`` aliases), its parse problems; the read-only part of
    ``model.Library``'s interface."""

    def __init__(self, store: Any, path: str, encoding: str | None = None) -> None:
        self._store = store  # refbook.cache.snapshot.Snapshot
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

    def with_parts(self, entries: Sequence[Any], columns: Sequence[str]) -> Iterator[Any]:
        """The entries, each given ``columns`` before it is yielded: read in one pass when
        they are in file order (else each entry reads its own when asked; a lazy table
        not filled is left to it too)."""
        from .db import LAZY_TABLES

        filled = self._store.filled
        columns = [c for c in columns if c not in LAZY_TABLES or c in filled]
        if not columns or not all(a.ord < b.ord for a, b in zip(entries, entries[1:])):
            yield from entries
            return
        rows = self._store.parts(columns)
        for entry in entries:
            for row in rows:
                if row[0] == entry.ord:
                    for column, text in zip(columns, row[1:]):
                        entry._given(column, text)
                    break
            yield entry

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

    def ords(self) -> Sequence[int]:
        """Every entry's row, in file order (an entry's place in the file is its index),
        as a compact array."""
        from array import array

        return array("q", (o for (o,) in self._store.conn.execute(_ORDS)))

    def renamed_keys(self) -> list[tuple[int, str, int]]:
        """(ord, key, line) of the entries that ``csl.unique_ids`` may export under another
        id than their key: every entry of a key written more than once (in any case) and
        those without a key, in file order."""
        query = (
            "SELECT e.ord, e.key, c.line + e.rel_line FROM entries e "
            "JOIN chunks c ON c.id = e.chunk WHERE e.key = '' OR e.lkey IN "
            "(SELECT lkey FROM entries GROUP BY lkey HAVING count(*) > 1) ORDER BY e.ord"
        )
        return self._store.conn.execute(query).fetchall()

    def entries_named(self, names: Sequence[str], keyless: bool = False) -> list[RecordEntry]:
        """The entries whose key or an ``ids`` alias is one of ``names`` (lower case),
        and with ``keyless`` those without a key; in file order."""
        ords: set[int] = set()
        conn = self._store.conn
        for i in range(0, len(names), 500):
            part = list(names[i : i + 500])
            marks = ",".join("?" * len(part))
            ords.update(
                o for (o,) in conn.execute(f"SELECT ord FROM entries WHERE lkey IN ({marks})", part)
            )
            ords.update(
                o
                for (o,) in conn.execute(f"SELECT ord FROM aliases WHERE alias IN ({marks})", part)
            )
        if keyless:
            ords.update(o for (o,) in conn.execute("SELECT ord FROM entries WHERE key = ''"))
        return self.entries_by_ords(sorted(ords))

    def has_key(self, key: str) -> bool:
        """Whether an entry has ``key`` (case-insensitive; not its aliases)."""
        found = self._store.conn.execute("SELECT 1 FROM entries WHERE lkey = ?", (key.lower(),))
        return found.fetchone() is not None

    def csl_containing(self, words: Sequence[str] | None) -> Iterator[tuple[int, str | None]]:
        """(ord, stored CSL item text or None) of the entries whose item contains one of
        ``words`` (ASCII letters; SQLite's LIKE: ASCII case ignored), or of every entry
        when ``words`` is None; candidates the caller tests again."""
        query = "SELECT ord, item FROM csl"
        params: list[str] = []
        if words is not None:
            if not words:
                return iter(())
            query += " WHERE item IS NULL OR " + " OR ".join(["item LIKE ?"] * len(words))
            params = [f"%{w}%" for w in words]
        return iter(self._store.conn.execute(query, params))

    def entries_by_ords(self, ords: Sequence[int]) -> list[RecordEntry]:
        """The entries of rows ``ords``, in file order."""
        found: list[RecordEntry] = []
        for i in range(0, len(ords), 500):
            part = list(ords[i : i + 500])
            where = f"WHERE e.ord IN ({','.join('?' * len(part))})"
            found.extend(self._store.entries(self, where, *part))
        found.sort(key=lambda e: e.ord)
        return found

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
