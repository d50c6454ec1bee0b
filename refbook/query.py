"""The search language: parse a query, compile it to SQL over the search index, rank.

Syntax (also in ``refbook search --help`` and docs/search.md)::

    taliban border            free words, ANDed; each matches any field
    "exact phrase"            words in this order
    author:siddique a:zahid   field terms (aliases: a t y k j)
    title:ttp  t:"security paradox"
    year:2023  year:2019-2023  year:>=2020  year:<2020
    keyword:border  journal:"foreign affairs"  type:online  key:zahid  doi:10.1177
    annotation:ceasefire  note:ceasefire
    -word  NOT word           exclusion
    a OR b   (a OR b) c       alternatives and grouping
    title~"^The .*Paradox$"   regular expression on a field (opt-in)
    talib*                    prefix

Matching is on decoded text (LaTeX to Unicode), accent- and case-insensitive, with
punctuation and hyphens not significant (``cross-border`` ~ ``cross border``).  Smart
case: a word that mixes upper- and lower-case letters matches its case (accents still
ignored); a word in capitals throughout (``SCHRODER``) matches any case.

Queries run on SQLite FTS5 (``refbook.index``): each term becomes an FTS5 match on its
columns, year/type/key/doi terms become SQL conditions, and the result is ranked with
FTS5's BM25 using field weights, ties broken by year (newest first).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import cast

from .errors import UsageError

TEXT_COLUMNS = ("key", "author", "title", "container", "year", "keywords", "annotation", "abstract")
# BM25 weights in TEXT_COLUMNS order: title and authors count most
WEIGHTS = (3.0, 8.0, 10.0, 2.0, 1.0, 4.0, 1.5, 1.0)
# the one alias table: every field name a query may use -> (canonical field, index column)
SEARCH_FIELDS: dict[str, tuple[str, str]] = {
    "author": ("author", "author"),
    "a": ("author", "author"),
    "editor": ("author", "author"),
    "title": ("title", "title"),
    "t": ("title", "title"),
    "keyword": ("keyword", "keywords"),
    "keywords": ("keyword", "keywords"),
    "k": ("keyword", "keywords"),
    "journal": ("journal", "container"),
    "j": ("journal", "container"),
    "container": ("journal", "container"),
    "annotation": ("annotation", "annotation"),
    "note": ("annotation", "annotation"),
    "annote": ("annotation", "annotation"),
    "abstract": ("abstract", "abstract"),
    "year": ("year", "year"),
    "y": ("year", "year"),
    "type": ("type", "type"),
    "key": ("key", "key"),
    "doi": ("doi", "doi"),
}
SPECIAL_FIELDS = {"year", "type", "key", "doi"}
FIELD_NAMES = sorted({k for k in SEARCH_FIELDS if len(k) > 1})


class QueryError(UsageError):
    """A malformed query; the message points at the position."""

    def __init__(self, message: str, query: str, pos: int):
        pointer = f"\n  {query}\n  {' ' * pos}^"
        super().__init__(f"error: bad query at column {pos + 1}: {message}{pointer}")
        self.pos = pos


# -- the syntax tree ---------------------------------------------------------------


@dataclass
class Term:
    text: str
    field: str | None = None  # canonical field name, or None for all text fields
    phrase: bool = False
    regex: bool = False
    prefix: bool = False
    pos: int = 0
    year_range: tuple[int, int] | None = None


@dataclass
class Not:
    child: Node


@dataclass
class And:
    children: list[Node] = field(default_factory=list)


@dataclass
class Or:
    children: list[Node] = field(default_factory=list)


Node = Term | Not | And | Or  # a syntax tree
Token = tuple[str | None, object, int]  # kind (None: the end), a Term or None, position


_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<lparen>\()
  | (?P<rparen>\))
  | (?P<term>
        (?P<neg>-)?
        (?:(?P<field>[A-Za-z]+)(?P<op>[:~]))?
        (?:"(?P<phrase>[^"]*)(?P<closed>")? | (?P<word>(?:\\.|[^\s()"\\])+))?
    )
""",
    re.X,
)


def _canonical_field(name: str, query: str, pos: int) -> str:
    low = name.lower()
    if low not in SEARCH_FIELDS:
        raise QueryError(f"unknown field {name!r} (known: {', '.join(FIELD_NAMES)})", query, pos)
    return SEARCH_FIELDS[low][0]


_YEAR = re.compile(r"^(?:(?P<a>\d{4})\s*-\s*(?P<b>\d{4})|(?P<op><=|>=|<|>|=)?(?P<y>\d{4}))$")


def _year_range(text: str, query: str, pos: int) -> tuple[int, int]:
    m = _YEAR.match(text.strip())
    if not m:
        raise QueryError(f"bad year {text!r} (use 2023, 2019-2023, >=2020 or <2020)", query, pos)
    if m.group("a"):
        a, b = int(m.group("a")), int(m.group("b"))
        if a > b:
            raise QueryError(f"bad year range {text!r}: {a} is after {b}", query, pos)
        return a, b
    y = int(m.group("y"))
    op = m.group("op") or "="
    return {"=": (y, y), ">=": (y, 9999), ">": (y + 1, 9999), "<=": (0, y), "<": (0, y - 1)}[op]


def tokenize(query: str) -> list[tuple[str, object, int]]:
    tokens: list[tuple[str, object, int]] = []
    pos = 0
    while pos < len(query):
        m = _TOKEN.match(query, pos)
        if m is None or m.end() == pos:
            raise QueryError(f"unexpected {query[pos]!r}", query, pos)
        kind = m.lastgroup if m.group("term") is None else "term"
        start = pos
        pos = m.end()
        if m.group("space"):
            continue
        if m.group("lparen"):
            tokens.append(("(", None, start))
            continue
        if m.group("rparen"):
            tokens.append((")", None, start))
            continue
        neg = bool(m.group("neg"))
        phrase = m.group("phrase")
        word = m.group("word")
        fname = m.group("field")
        if phrase is not None and m.group("closed") is None:
            raise QueryError("unbalanced quote", query, m.start("phrase") - 1)
        if phrase is None and word is None:
            if fname:
                raise QueryError(f"nothing after {fname}{m.group('op')}", query, start)
            raise QueryError("a lone '-'", query, start)
        text = phrase if phrase is not None else word
        if not fname and not neg and phrase is None and text in ("AND", "OR", "NOT"):
            tokens.append((text, None, start))
            continue
        term = Term(text=text, phrase=phrase is not None, pos=start + (1 if neg else 0))
        if fname:
            term.field = _canonical_field(fname, query, start + (1 if neg else 0))
            if m.group("op") == "~":
                term.regex = True
                try:
                    re.compile(text)
                except re.error as exc:
                    raise QueryError(
                        f"bad regular expression: {exc}",
                        query,
                        m.start("phrase") - 1 if phrase is not None else m.start("word"),
                    ) from None
            elif term.field == "year":
                term.year_range = _year_range(text, query, m.start("word") if word else start)
        if not term.regex and not term.phrase and text.endswith("*") and len(text) > 1:
            term.prefix = True
            term.text = text[:-1]
        del kind
        tokens.append(("neg" if neg else "term", term, start))
    return tokens


class _Parser:
    def __init__(self, query: str) -> None:
        self.query = query
        self.tokens = tokenize(query)
        self.i = 0

    def peek(self) -> Token:
        return self.tokens[self.i] if self.i < len(self.tokens) else (None, None, len(self.query))

    def take(self) -> Token:
        tok = self.peek()
        self.i += 1
        return tok

    def parse(self) -> Node:
        if not self.tokens:
            raise QueryError("empty query", self.query, 0)
        node = self.or_expr()
        kind, _, pos = self.peek()
        if kind is not None:
            raise QueryError(
                "unbalanced ')'" if kind == ")" else f"unexpected {kind!r}", self.query, pos
            )
        return node

    def or_expr(self) -> Node:
        children = [self.and_expr()]
        while self.peek()[0] == "OR":
            self.take()
            children.append(self.and_expr())
        return children[0] if len(children) == 1 else Or(children)

    def and_expr(self) -> Node:
        children = [self.unary()]
        while self.peek()[0] not in (None, ")", "OR"):
            if self.peek()[0] == "AND":
                self.take()
            children.append(self.unary())
        return children[0] if len(children) == 1 else And(children)

    def unary(self) -> Node:
        kind, value, pos = self.peek()
        if kind == "NOT":
            self.take()
            return Not(self.unary())
        if kind == "neg":
            self.take()
            return Not(cast(Term, value))
        return self.primary()

    def primary(self) -> Node:
        kind, value, pos = self.take()
        if kind == "(":
            node = self.or_expr()
            if self.peek()[0] != ")":
                raise QueryError("unbalanced '('", self.query, pos)
            self.take()
            return node
        if kind == "term":
            return cast(Term, value)
        if kind is None:
            raise QueryError("query ends too early", self.query, pos)
        raise QueryError(f"unexpected {kind!r}", self.query, pos)


def parse(query: str) -> Node:
    """Parse a query into a syntax tree of ``Term``/``And``/``Or``/``Not``; ``QueryError``
    (exit code 2) with the column when it is malformed."""
    return _Parser(query).parse()


def positive_terms(node: Node, negated: bool = False) -> list[Term]:
    if isinstance(node, Term):
        return [] if negated else [node]
    if isinstance(node, Not):
        return positive_terms(node.child, not negated)
    return [t for child in node.children for t in positive_terms(child, negated)]


# -- compiling to SQL ----------------------------------------------------------------


def _fts_string(text: str) -> str:
    """A phrase as an FTS5 string literal (the tokenizer folds case and accents and
    splits on punctuation, so ``cross-border`` becomes the phrase ``cross border``)."""
    return '"' + text.replace('"', '""') + '"'


def fts_expression(term: Term) -> str:
    text = term_text(term)
    expr = _fts_string(text) + ("*" if term.prefix else "")
    if term.field:
        expr = "{" + SEARCH_FIELDS[term.field][1] + "} : " + expr
    return expr


def compile_sql(node: Node, params: list) -> str:
    """A SQL condition over ``docs d`` for the tree (FTS terms as sub-selects)."""
    if isinstance(node, And):
        return "(" + " AND ".join(compile_sql(c, params) for c in node.children) + ")"
    if isinstance(node, Or):
        return "(" + " OR ".join(compile_sql(c, params) for c in node.children) + ")"
    if isinstance(node, Not):
        return "(NOT " + compile_sql(node.child, params) + ")"
    term: Term = node
    if term.regex:
        assert term.field is not None  # "field~regex": a regex always names its field
        col = SEARCH_FIELDS[term.field][1]
        params.append(term.text)
        return f"regexp(?, d.{col})"
    if term.field == "year":
        assert term.year_range is not None  # set with the field (tokenize)
        a, b = term.year_range
        params.extend([a, b])
        return "(d.year BETWEEN ? AND ?)"
    if term.field == "type":
        params.append(term.text.lower())
        return "(d.type = ?)"
    if term.field == "key":
        params.append(
            term.text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        )
        return "(lower(d.key) LIKE '%' || ? || '%' ESCAPE '\\')"
    if term.field == "doi":
        params.append(term.text.lower())
        return "(instr(d.doi, ?) > 0)"
    params.append(fts_expression(term))
    return "(d.rowid IN (SELECT rowid FROM fts WHERE fts MATCH ?))"


def rank_expression(node: Node) -> str | None:
    """One FTS5 query (positive text terms ORed) whose BM25 ranks the matches."""
    parts = [
        fts_expression(t)
        for t in positive_terms(node)
        if not t.regex and t.field not in SPECIAL_FIELDS
    ]
    return " OR ".join(parts) if parts else None


def smart_case(query: str) -> bool:
    """True when the query asks for case-sensitive matching (it has an upper-case letter
    outside field names and operators)."""
    stripped = re.sub(r"\b(AND|OR|NOT)\b|\b[A-Za-z]+(?=[:~])", "", query)
    return any(c.isupper() for c in stripped)


def term_text(term: Term) -> str:
    """A term's words as text: LaTeX decoded (``Schr{\\"o}der`` -> ``Schröder``)."""
    from .latex import to_text

    return to_text(term.text) if "\\" in term.text or "{" in term.text else term.text


def case_sensitive_words(tree: Node) -> list[str]:
    """The query's words that ask for their case (smart case): those that mix upper- and
    lower-case letters (``Taliban``, ``McNeil``).  A word in lower case, or in capitals
    throughout (``SCHRODER``, ``CPEC``, as names and acronyms are often typed), matches
    any case; a regular expression with a capital letter is the way to insist on one."""
    out = []
    for t in positive_terms(tree):
        if t.regex or t.field in SPECIAL_FIELDS:
            continue
        text = term_text(t)
        if any(c.isupper() for c in text) and any(c.islower() for c in text):
            out.append(text)
    return out


def regex_ignores_case(pattern: str) -> bool:
    """A regular expression ignores case unless it has a capital letter (escapes such as
    ``\\S`` and ``\\W`` aside)."""
    return not any(c.isupper() for c in re.sub(r"\\.", "", pattern))
