"""The read side of a cache file (``Snapshot``): one version of it, opened for reading
(``db.open_read_only``), and every query a read command makes of it: rows by order, by
key or alias, one column of one entry, columns or a few values of every entry in one
query, byte spans of sources, counts for ``stats``, the listing ``list --json`` writes,
the search index.  The tables are ``db.SCHEMA``'s."""

from __future__ import annotations

import _thread  # the lock Snapshot needs, without threading's import (a warm run's start-up)
import os
import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from .db import LAZY_TABLES, filled

# the columns RecordEntry reads when asked (name -> table, column)
_COLUMNS = {
    "item": ("data", "item"),
    "extra": ("extra", "extra"),
    "csl": ("csl", "item"),
    "lint": ("lintdata", "info"),
}
# what a RecordEntry is made of (the rest is read when asked for)
_ROW = (
    "e.ord, e.key, e.type, c.line + e.rel_line, e.year, e.light, c.bstart + e.rel_start, "
    "c.bstart + e.rel_end"
)
_FROM = "entries e JOIN chunks c ON c.id = e.chunk"
# an entry's line in the search tables (docs.rowid is its ord)
LINE_SQL = "(SELECT c.line + e.rel_line FROM entries e JOIN chunks c ON c.id = e.chunk WHERE e.ord = d.rowid)"


_KEYS_IN_ORDER = "SELECT key FROM entries INDEXED BY entries_by_key"
_KEY_ORDER = "ORDER BY lkey, key, ord"


def _key_prefix(prefix: str) -> tuple[str, tuple[str, ...]]:
    """The WHERE clause (and its parameters) of the keys starting with ``prefix``,
    case-insensitively, as a range of the key index."""
    low = prefix.lower()
    if not low:
        return "", ()
    if (after := ord(low[-1]) + 1) <= 0x10FFFF and not 0xD800 <= after <= 0xDFFF:
        # exactly the strings that start with low: low <= s < low with its last
        # character the next one
        return "WHERE lkey >= ? AND lkey < ?", (low, low[:-1] + chr(after))
    return "WHERE substr(lkey, 1, length(?)) = ?", (low, low)


class Snapshot:
    """One version of a cache file, opened for reading (the file stays this version
    for as long as it is open, whatever writers do)."""

    def __init__(self, conn: sqlite3.Connection, meta: dict[str, str], bib: str | os.PathLike):
        self.conn = conn
        self.meta = meta
        self.bib = bib
        self.count = int(meta.get("entries", "0"))
        self.codec = meta.get("codec", "utf-8")
        self.filled = filled(meta)
        self._source: Any = None
        self._source_lock = _thread.allocate_lock()

    def problems(self, name: str) -> list:
        if self.meta.get("problems", "[]") == "[]":
            return []
        import json

        from ..findings import Finding

        return [
            Finding(
                name,
                p["line"],
                p["severity"],
                p["rule"],
                p["message"],
                p.get("key"),
                p.get("column"),
                p.get("data") or {},
            )
            for p in json.loads(self.meta.get("problems", "[]"))
        ]

    def _entry(self, lib: Any, row: tuple) -> Any:
        from .entry import RecordEntry

        ord_, key, type_, line, year, light, bstart, bend = row
        return RecordEntry(lib, ord_, key, type_, line, year, light, (bstart, bend))

    def entries(self, lib: Any, where: str = "", *params: Any) -> Iterator[Any]:
        from .entry import RecordEntry  # once, not per row (lint reads every row 2 times)

        query = f"SELECT {_ROW} FROM {_FROM} {where} ORDER BY e.ord"
        for ord_, key, type_, line, year, light, bstart, bend in self.conn.execute(query, params):
            yield RecordEntry(lib, ord_, key, type_, line, year, light, (bstart, bend))

    def keys_starting(self, prefix: str) -> list[str]:
        """The keys that start with ``prefix`` (case-insensitive), in completion order
        (``refbook.completion.completion_order``): read from the index alone, in its
        order, no sort."""
        where, params = _key_prefix(prefix)
        return [k for (k,) in self.conn.execute(f"{_KEYS_IN_ORDER} {where} {_KEY_ORDER}", params)]

    def joined_keys_starting(self, prefix: str, separator: str) -> str | None:
        """``separator.join(self.keys_starting(prefix))`` joined by SQLite, or None when
        no key starts so: key completion's answer at 100k is 31k keys, ~30 ms as Python
        rows, half that as one string.  (The subquery's order is the index's; SQLite
        does not flatten an ordered subquery into an aggregate, so it joins them in it.)"""
        where, params = _key_prefix(prefix)
        query = f"SELECT group_concat(key, ?) FROM ({_KEYS_IN_ORDER} {where} {_KEY_ORDER})"
        row = self.conn.execute(query, (separator, *params)).fetchone()
        return row[0] if row else None

    def keys(self) -> list[str]:
        return [k for (k,) in self.conn.execute("SELECT key FROM entries ORDER BY ord")]

    def find(self, lib: Any, key: str) -> Any:
        """As ``BibFile.find``: case-insensitive, an exact-case match first, else an
        ``ids`` alias."""
        rows = self.conn.execute(
            f"SELECT {_ROW} FROM {_FROM} WHERE e.lkey = ? ORDER BY e.ord", (key.lower(),)
        ).fetchall()
        if not rows:
            rows = self.conn.execute(
                f"SELECT {_ROW} FROM {_FROM} WHERE e.ord = "
                "(SELECT min(ord) FROM aliases WHERE alias = ?)",
                (key.lower(),),
            ).fetchall()
            if not rows:
                return None
        row = next((r for r in rows if r[1] == key), rows[0])
        return self._entry(lib, row)

    def _filled(self, columns: Sequence[str]) -> None:
        """LookupError when a lazy table among ``columns`` is not filled (the command
        should have asked for it: ``open_cached(needs=...)``)."""
        for name in columns:
            if name in LAZY_TABLES and name not in self.filled:
                raise LookupError(f"the library cache has no {name} table yet")

    def column(self, ord_: int, name: str) -> str | None:
        """One entry's ``item`` (JSON text) or ``extra`` (JSON) column, or its ``csl``
        item or ``lint`` record."""
        self._filled((name,))
        table, column = _COLUMNS[name]
        row = self.conn.execute(f"SELECT {column} FROM {table} WHERE ord = ?", (ord_,)).fetchone()
        text = row[0] if row is not None else None
        if name == "item" and text is not None:
            from .records import json_form

            return json_form(text)
        return text

    def parts(self, columns: Sequence[str]) -> Iterator[tuple]:
        """(ord, column…) of every entry in file order (``item`` as ``column`` gives it)."""
        from .records import json_form

        self._filled(columns)
        tables = [_COLUMNS[c][0] for c in columns]
        first = tables[0]
        joins = " ".join(f"JOIN {t} ON {t}.ord = {first}.ord" for t in tables[1:])
        wanted = ", ".join(f"{_COLUMNS[c][0]}.{_COLUMNS[c][1]}" for c in columns)
        query = f"SELECT {first}.ord, {wanted} FROM {first} {joins} ORDER BY {first}.ord"
        at = columns.index("item") + 1 if "item" in columns else 0
        for row in self.conn.execute(query):
            if at and row[at] is not None:
                row = (*row[:at], json_form(row[at]), *row[at + 1 :])
            yield row

    def values(self, names: Sequence[str]) -> Iterator[tuple[int, str]]:
        """(ord, values) of every entry in file order: the values of ``names``
        (lower-case field names), its own then its inherited ones, as one JSON array
        (null: absent), taken out of the stored record by SQLite in one parse (lint's
        passes that read a few fields of every entry decode no whole record)."""
        whole = "(item || char(10) || '}')"  # the stored listing form, closed (json_form)
        paths = ", ".join(f"'$.{part}.\"{n}\"'" for part in ("fields", "inherited") for n in names)
        return iter(
            self.conn.execute(f"SELECT ord, json_extract({whole}, {paths}) FROM data ORDER BY ord")
        )

    def csl_items(self) -> Iterator[tuple[int, str | None]]:
        """Every entry's (ord, CSL item as JSON text), in file order (export streams them)."""
        return iter(self.conn.execute("SELECT ord, item FROM csl ORDER BY ord"))

    def csl_complete(self) -> bool:
        """Whether every entry has its CSL item (none failed to map)."""
        if "csl" not in self.filled:
            return False
        q = "SELECT count(*) FROM csl WHERE item IS NOT NULL"
        return bool(self.conn.execute(q).fetchone()[0] == self.count)

    def spans(self) -> list[tuple[str, int, int]]:
        """(key, byte start, byte end) of every entry, in file order."""
        return self.conn.execute(
            f"SELECT e.key, c.bstart + e.rel_start, c.bstart + e.rel_end FROM {_FROM} "
            "ORDER BY e.ord"
        ).fetchall()

    def string_names(self) -> set[str]:
        """The names (lower case) of the file's ``@string`` macros, read from the file at
        its ``@string`` chunks (only when an entry uses a macro not defined above it)."""
        from .chunks import _STRING_NAME

        rows = self.conn.execute("SELECT bstart, string FROM chunks ORDER BY bstart").fetchall()
        size = os.path.getsize(self.bib)
        names = set()
        for (start, string), after in zip(rows, rows[1:] + [(size, 0)]):
            if string:
                m = _STRING_NAME.match(self.source_text(start, after[0]))
                if m:
                    names.add(m.group(1).lower())
        return names

    def keywords(self) -> list[str]:
        return [
            k
            for (k,) in self.conn.execute(
                "SELECT keyword FROM keywords GROUP BY keyword ORDER BY count(*) DESC, min(seq)"
            )
        ]

    def counts(self, watched: Mapping[str, tuple[str, ...]]) -> dict[str, Any]:
        """What ``refbook stats`` counts, in SQL: entries per type and per year (None:
        no year), keywords, and per watched name the entries with none of its fields;
        each ordered as ``Counter.most_common`` orders (ties in order of first use)."""
        q = self.conn.execute
        # one pass over the entries (each pass reads every row: ~0.1-0.4 s at 100k), grouped
        # by what is counted; the few groups are summed here
        types: dict[str, list[int]] = {}  # type -> [count, first ord]
        years: dict[Any, int] = {}
        having = dict.fromkeys(watched, 0)
        for type_, year, fields, n, first in q(
            "SELECT type, year, fields, count(*), min(ord) FROM entries GROUP BY type, year, fields"
        ):
            seen = types.setdefault(type_, [0, first])
            seen[0] += n
            seen[1] = min(seen[1], first)
            years[year] = years.get(year, 0) + n
            for name, names in watched.items():
                if any(f" {f} " in fields for f in names):
                    having[name] += n
        ordered = sorted(types.items(), key=lambda kv: (-kv[1][0], kv[1][1]))
        keywords = dict(
            q(
                "SELECT keyword, count(*) AS n FROM keywords GROUP BY keyword "
                "ORDER BY n DESC, min(seq)"
            )
        )
        missing = {name: self.count - n for name, n in having.items()}
        return {
            "types": {t: c for t, (c, _) in ordered},
            "years": dict(sorted(years.items(), key=lambda kv: (kv[0] is not None, kv[0] or 0))),
            "keywords": keywords,
            "missing": missing,
        }

    def items(self) -> Iterator[tuple[int, str]]:
        """Every entry's (ord, JSON text), in file order (``list --json`` streams them)."""
        from .records import json_form

        for ord_, item in self.conn.execute("SELECT ord, item FROM data ORDER BY ord"):
            yield ord_, json_form(item)

    def listing(self, path_json: str, reverse: bool = False, raw: bool = False) -> Iterator[list]:
        """Every entry as an item of ``list --json``'s array writes it (its source
        added to the stored text by SQLite), in file order or reversed, in batches (of
        UTF-8 bytes with ``raw``)."""
        piece = "x.item || ?1 || (c.line + e.rel_line) || ?2"
        cursor = self.conn.execute(
            f"SELECT {f'CAST({piece} AS BLOB)' if raw else piece} FROM data x "
            "JOIN entries e ON e.ord = x.ord JOIN chunks c ON c.id = e.chunk "
            f"ORDER BY x.ord {'DESC' if reverse else ''}",
            (f',\n    "source": {{\n      "file": {path_json},\n      "line": ', "\n    }\n  }"),
        )
        while batch := cursor.fetchmany(2000):
            yield [piece for (piece,) in batch]

    def source_text(self, start: int, end: int) -> str:
        with self._source_lock:  # the language server's threads read sources at once
            if self._source is None:  # kept open: lint and export read many sources
                self._source = open(self.bib, "rb")  # noqa: SIM115
            self._source.seek(start)
            data = self._source.read(end - start)
        return data.decode(self.codec)

    def search_index(self, name: str) -> Any:
        """The cache's search index (None: its tables are not filled)."""
        from ..index import SearchIndex

        if "search" not in self.filled:
            return None
        return SearchIndex(self.conn, name, line_sql=LINE_SQL)
