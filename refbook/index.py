"""The search index: SQLite FTS5 over decoded entry text.

Its tables (``SEARCH_SCHEMA``) live in the library cache's file (``refbook.cache``: the
build inserts its rows and calls ``fill_index``; an update changes the rows of the changed
entries), read with no parser behind; with
``--no-cache`` (or standard input) they are built in memory for the run
(``memory_index``: 27 entries take a millisecond).  ``select`` is the public API.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .query import (
    SPECIAL_FIELDS,
    TEXT_COLUMNS,
    WEIGHTS,
    Term,
    case_sensitive_words,
    compile_sql,
    fts_expression,
    parse,
    positive_terms,
    rank_expression,
    regex_ignores_case,
)

if TYPE_CHECKING:
    from .model import Entry, Library

TOKENIZE = "unicode61 remove_diacritics 2"
# how search ranks (the language server's completion too): BM25 with the fields'
# weights over the full-text rows ``s``, then the newest, then the key
BM25 = "bm25(fts, " + ", ".join(str(w) for w in WEIGHTS) + ")"
_NEWEST = "d.year IS NULL, d.year DESC, lower(d.key)"
RANKED = f"s.score, {_NEWEST}"
_DOC_COLUMNS = (
    "key",
    "type",
    "year",
    "authors",
    "author",
    "title",
    "container",
    "keywords",
    "annotation",
    "abstract",
    "doi",
    "url",
    "line",
)
SEARCH_SCHEMA = f"""
CREATE TABLE docs (rowid INTEGER PRIMARY KEY, key TEXT, type TEXT, year INTEGER,
    authors TEXT, author TEXT, title TEXT, container TEXT, keywords TEXT, annotation TEXT,
    abstract TEXT, doi TEXT, url TEXT, line INTEGER);
CREATE VIRTUAL TABLE fts USING fts5({", ".join(TEXT_COLUMNS)}, content='docs',
    content_rowid='rowid', tokenize='{TOKENIZE}');
CREATE VIRTUAL TABLE vocab USING fts5vocab(fts, 'row');
CREATE TABLE words (term TEXT PRIMARY KEY, docs INTEGER, length INTEGER) WITHOUT ROWID;
"""
# suggest() reads the vocabulary from this plain copy, by length: scanning fts5vocab
# walks the whole full-text index (60 ms at 100k entries), a typo query should not
_FILL_WORDS = """
INSERT INTO words SELECT term, doc, length(term) FROM vocab;
CREATE INDEX words_by_length ON words(length);
"""
# rapidfuzz's ratio is 2*matches/(len1+len2); with matches <= the shorter length, a word
# of length n reaches RATIO_CUTOFF only against lengths within these factors of n
RATIO_CUTOFF = 70
_LENGTH_FACTORS = (RATIO_CUTOFF / (200 - RATIO_CUTOFF), (200 - RATIO_CUTOFF) / RATIO_CUTOFF)


@dataclass
class Hit:
    key: str
    type: str
    year: int | None
    authors: str
    title: str
    container: str
    doi: str
    url: str
    line: int
    score: float
    texts: dict[str, str] = field(default_factory=dict, repr=False)

    def matched_fields(self, words: list[str]) -> list[str]:
        """The fields in which any of the query's words occur."""
        from .latex import fold

        folded = [fold(w) for w in words if w]
        out = []
        for name, text in self.texts.items():
            hay = _tokens(fold(text or ""))
            if any(all(tok in hay for tok in _tokens(w)) for w in folded):
                out.append(name)
        return out

    def to_dict(self, words: list[str]) -> dict:
        return {
            "id": self.key,
            "type": self.type,
            "year": self.year,
            "authors": self.authors,
            "title": self.title,
            "container-title": self.container,
            "DOI": self.doi,
            "URL": self.url,
            "line": self.line,
            "score": self.score,
            "matched": self.matched_fields(words),
        }


def _tokens(text: str) -> set[str]:
    return set(re.findall(r"\w+", text))


@dataclass
class SearchResult:
    query: str
    hits: list[Hit]
    total: int
    corrections: list[tuple[str, str]] = field(default_factory=list)
    words: list[str] = field(default_factory=list)


class SearchIndex:
    """Query an FTS5 index (see ``refbook.query`` for the language)."""

    def __init__(self, conn: sqlite3.Connection, source: str = "", line_sql: str = "d.line"):
        self.conn = conn
        self.source = source
        self.line_sql = line_sql  # the library cache keeps lines apart from the documents
        self._regex_cache: dict[tuple[str, bool], re.Pattern] = {}
        conn.create_function("regexp", 2, self._regexp, deterministic=True)

    def _regexp(self, pattern: str, value: str | None) -> bool:
        if value is None:
            return False
        ignore_case = regex_ignores_case(pattern)
        key = (pattern, ignore_case)
        rx = self._regex_cache.get(key)
        if rx is None:
            rx = re.compile(pattern, re.I if ignore_case else 0)
            self._regex_cache[key] = rx
        return rx.search(value) is not None

    def count_matches(self, term: Term) -> int:
        return self.conn.execute(
            "SELECT count(*) FROM fts WHERE fts MATCH ?", (fts_expression(term),)
        ).fetchone()[0]

    def suggest(self, word: str) -> str | None:
        """The indexed word nearest to ``word`` (edit distance), preferring frequent ones."""
        from rapidfuzz import fuzz, process

        from .latex import fold

        target = fold(word)
        low, high = (len(target) * f for f in _LENGTH_FACTORS)
        vocab = self.conn.execute(
            "SELECT term, docs FROM words WHERE length BETWEEN ? AND ?", (int(low), int(high) + 1)
        ).fetchall()
        if not vocab:
            return None
        terms = [t for t, _ in vocab]
        docs = dict(vocab)
        best = process.extract(
            target, terms, scorer=fuzz.ratio, limit=None, score_cutoff=RATIO_CUTOFF
        )
        if not best:
            return None
        top = max(score for _, score, _ in best)
        candidates = [t for t, score, _ in best if score == top]
        return max(candidates, key=lambda t: docs.get(t, 0))

    def search(
        self, query: str, *, sort: str | None = None, limit: int | None = None, fuzzy: bool = True
    ) -> SearchResult:
        tree = parse(query)
        corrections: list[tuple[str, str]] = []
        if fuzzy:
            for term in positive_terms(tree):
                if (
                    term.regex
                    or term.phrase
                    or term.prefix
                    or term.field in SPECIAL_FIELDS
                    or not re.fullmatch(r"\w+", term.text)
                ):
                    continue
                if self.count_matches(term) == 0:
                    better = self.suggest(term.text)
                    if better and better != term.text.lower():
                        corrections.append((term.text, better))
                        term.text = better
        params: list = []
        where = compile_sql(tree, params)
        rank = rank_expression(tree)
        cols = ", ".join(self.line_sql if c == "line" else f"d.{c}" for c in _DOC_COLUMNS)
        if rank:
            sql = (
                f"SELECT {cols}, s.score FROM docs d LEFT JOIN (SELECT rowid, "
                f"{BM25} AS score FROM fts WHERE fts MATCH ?) s "
                f"ON s.rowid = d.rowid WHERE {where}"
            )
            params = [rank, *params]
        else:
            sql = f"SELECT {cols}, 0.0 FROM docs d WHERE {where}"
        order = {
            None: f"s.score IS NULL, {RANKED}" if rank else _NEWEST,
            "year": _NEWEST,
            "author": "lower(d.authors), d.year",
            "key": "lower(d.key)",
        }[sort]
        sql += f" ORDER BY {order}"
        words = [
            t.text for t in positive_terms(tree) if not t.regex and t.field not in SPECIAL_FIELDS
        ]
        cased = case_sensitive_words(tree)  # after the fuzzy corrections
        if cased:
            rows = [r for r in self.conn.execute(sql, params) if _case_ok(r, cased)]
            total = len(rows)
            rows = rows[:limit] if limit else rows
        elif limit:
            total = self.conn.execute(f"SELECT count(*) FROM ({sql})", params).fetchone()[0]
            rows = self.conn.execute(f"{sql} LIMIT {int(limit)}", params).fetchall()
        else:
            rows = self.conn.execute(sql, params).fetchall()
            total = len(rows)
        hits = [_hit(r) for r in rows]
        return SearchResult(query, hits, total, corrections, words)


def _case_ok(row: tuple, words: list[str]) -> bool:
    """Whether each word occurs in the row with its case (accents ignored, as in the
    index: ``Schroder`` finds ``Schröder``)."""
    text = _strip_accents(" ".join(str(v) for v in row[:-1] if v is not None))
    return all(_strip_accents(w) in text for w in words)


def _strip_accents(text: str) -> str:
    import unicodedata

    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _hit(row: tuple) -> Hit:
    d = dict(zip(_DOC_COLUMNS, row[:-1]))
    texts = {
        name: d[name] or ""
        for name in ("key", "author", "title", "container", "keywords", "annotation", "abstract")
    }
    texts["year"] = str(d["year"] or "")
    return Hit(
        d["key"],
        d["type"],
        d["year"],
        d["authors"] or "",
        d["title"] or "",
        d["container"] or "",
        d["doi"] or "",
        d["url"] or "",
        d["line"],
        -(row[-1] or 0.0),
        texts,
    )


# -- building ------------------------------------------------------------------------


def doc_row(e: Entry) -> tuple:
    """An entry's row of the ``docs`` table (its line last)."""
    people = e.authors + e.editors
    author = "; ".join(" ".join(x for x in (p.first, p.family, p.jr) if x) for p in people)
    return (
        e.key,
        e.type,
        e.year,
        e.author_label(),
        author,
        e.title,
        e.container,
        ", ".join(e.keywords),
        e.annotation,
        e.text("abstract"),
        e.doi,
        e.url,
        e.line,
    )


def fill_search(conn: sqlite3.Connection, rows: Iterable[tuple]) -> None:
    """The search tables (documents, full-text index, vocabulary) from ``doc_row``
    tuples, in a database that has none yet (the in-memory index of an unsaved text)."""
    conn.executescript(SEARCH_SCHEMA)
    conn.executemany(insert_docs_sql(rowids=False), rows)
    fill_index(conn)


def fill_index(conn: sqlite3.Connection) -> None:
    """The full-text index and the vocabulary of the ``docs`` table (statement by
    statement: no commit inside the caller's transaction)."""
    conn.execute("INSERT INTO fts(fts) VALUES ('rebuild')")
    run_script(conn, _FILL_WORDS)


def run_script(conn: sqlite3.Connection, script: str) -> None:
    """The statements of ``script`` one by one (``executescript`` commits first)."""
    for statement in script.split(";"):
        if statement.strip():
            conn.execute(statement)


def insert_docs_sql(rowids: bool = True) -> str:
    """The statement that inserts ``doc_row`` tuples (with ``rowids``: led by row ids)."""
    names = ("rowid", *_DOC_COLUMNS) if rowids else _DOC_COLUMNS
    return f"INSERT INTO docs ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})"


def _fill(conn: sqlite3.Connection, lib: Iterable[Entry], meta: dict[str, str]) -> None:
    conn.execute("CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT)")
    fill_search(conn, (doc_row(e) for e in lib))
    conn.executemany("INSERT INTO meta VALUES (?, ?)", meta.items())
    conn.commit()


def memory_index(lib: Library) -> SearchIndex:
    conn = sqlite3.connect(":memory:")
    _fill(conn, lib, {})
    return SearchIndex(conn, lib.path)


def select(lib: Library, query: str, *, sort: str | None = None) -> list[Entry]:
    """The entries of ``lib`` matching ``query``, best first (public API; used by
    ``refbook export -q``).  Builds an in-memory index of the library (one read from
    the library cache has its index there)."""
    cached = getattr(lib, "search_index", None)
    index = cached() if cached is not None else memory_index(lib)
    result = index.search(query, sort=sort)
    by_key = {e.key: e for e in lib}
    return [by_key[hit.key] for hit in result.hits if hit.key in by_key]
