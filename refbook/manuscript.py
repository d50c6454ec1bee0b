"""Citations in manuscripts: find them, match them to entries, report what is wrong.

Three syntaxes, found with line and column:

- pandoc Markdown: ``[@key]``, ``[@key, p. 12; @other]``, ``[-@key]``, narrative ``@key``,
  with pandoc's key grammar; e-mail addresses and code spans/blocks are not citations;
- LaTeX: ``\\cite``, natbib's ``\\citep``, ``\\citet``, ``\\citealt``, ``\\citealp``,
  ``\\citeauthor``, ``\\citeyear``, ``\\citeyearpar``, ``\\citenum``, biblatex's ``\\parencite``,
  ``\\textcite``, ``\\autocite``, ``\\footcite``, ``\\supercite``, ``\\citetitle``… (starred,
  capitalised, with pre/post notes), the multicite forms (``\\cites[p.~4]{a}{b}``), several keys,
  ``\\nocite{*}``; comments are skipped;
- Typst: ``@key`` (``@key[p. 4]``), ``#cite(<key>)``, ``#cite(label("key"))``; comments and raw
  text skipped, and a ``@ref`` to one of the document's own ``<label>`` s is not a citation;
- author-year prose (APA/Harvard): ``(Zahid, 2023)``, ``(Altaf, Zahid, & Sial, 2022)``,
  ``(Anwar et al., 2023)``, ``(Jan & Islam, 2022; Wani, 2022)``, ``(Dawi, 2023, p. 4)``,
  ``2023a``, ``n.d.``, ``(PTI, 2023)``, a title inside (``(Akram, *Title*, 2022)``), Markdown
  link debris (``[2023](#)``), narrative ``Biddle (2019)``, ``Kugelman's (2023)``, and the
  doubled ``Biddle (Biddle, 2019)``.

Quarto's and pandoc-crossref's cross-references (``@fig-map``, ``@sec:intro``…) are not
citations; YAML front matter is not prose.  Each key citation carries the exact offsets of
its keys (``spans``), for the language server and for ``rename --in``.

The manuscript's own reference list (a "References"/"Bibliography"/"Works Cited"
heading, ``thebibliography``) is recognised and skipped.  Prose citations are matched by
family names (accent- and LaTeX-insensitive; ``et al.``; ``&``/``and``) and year through
an index of first authors, the title fragment choosing between candidates; statuses are
``matched``, ``ambiguous``, ``year-mismatch`` and ``missing``.

Over 500 lines (about 720, since the language server's forms were added): the finders share
the masking of code, comments and the reference list, and the matching shares their
``Citation`` records; the matcher (``Matcher``, ``check_manuscripts``) is the part that
could move to a module of its own.
"""

from __future__ import annotations

import bisect
import copy
import re
import weakref
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .findings import TextEnum
from .model import Entry, fold
from .overlay import Overlay

if TYPE_CHECKING:
    from .model import Library


class CitationStatus(TextEnum):
    """What cite-check says of one citation; the value is what JSON shows.  Each member
    carries ``rule`` (its finding's rule id; None: no finding) and ``fails`` (whether it
    makes cite-check exit 1)."""

    rule: str | None
    fails: bool

    def __new__(cls, value: str, rule: str | None) -> CitationStatus:
        member = str.__new__(cls, value)
        member._value_ = value
        member.rule = rule
        member.fails = rule is not None  # every citation that is not matched fails
        return member

    # listed in the JSON summary's order
    MATCHED = "matched", None
    AMBIGUOUS = "ambiguous", "ambiguous-citation"
    YEAR_MISMATCH = "year-mismatch", "year-mismatch"
    MISSING = "missing", "missing-citation"


MATCHED, AMBIGUOUS = CitationStatus.MATCHED, CitationStatus.AMBIGUOUS
YEAR_MISMATCH, MISSING = CitationStatus.YEAR_MISMATCH, CitationStatus.MISSING


@dataclass
class Citation:
    path: str
    line: int
    column: int
    text: str  # as written in the manuscript
    syntax: str  # the citation's own syntax: pandoc | latex | typst | prose (never the markup)
    keys: list[str] = field(default_factory=list)  # pandoc/LaTeX
    authors: list[str] = field(default_factory=list)  # prose: family names as written
    et_al: bool = False
    year: str = ""  # "2023", "2023a", "n.d."
    title: str = ""  # prose: a title fragment inside the citation
    narrative: bool = False
    status: CitationStatus | None = None  # None until matched
    matched: list[str] = field(default_factory=list)
    candidates: list[str] = field(default_factory=list)
    message: str = ""
    start: int = 0  # offsets of the citation in the text
    end: int = 0
    spans: list[tuple[int, int]] = field(default_factory=list)  # each key's offsets

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": self.path,
            "line": self.line,
            "column": self.column,
            "text": self.text,
            "syntax": self.syntax,
            "status": self.status or "",
            "keys": self.matched,
            "candidates": self.candidates,
            "message": self.message,
        }


# -- masking what is not prose ------------------------------------------------------------

_REF_HEADING = re.compile(
    r"^(?:#{1,6}\s*|\\(?:section|chapter)\*?\{)\**\s*(?:references|bibliography|works cited|"
    r"reference list|literature cited|sources)\s*\**\}?\s*$",
    re.I | re.M,
)
_REF_WORDS = (
    "references",
    "bibliography",
    "works cited",
    "reference list",
    "literature cited",
    "sources",
)
_HEADING = re.compile(r"^#{1,6}\s|^\\(?:section|chapter)\*?\{", re.M)


def _blank(text: str, start: int, end: int) -> str:
    """Replace a span by spaces, keeping newlines (so line/column numbers stay right)."""
    return text[:start] + re.sub(r"[^\n]", " ", text[start:end]) + text[end:]


_FRONT_MATTER = re.compile(r"\A---[ \t]*\n.*?\n(?:---|\.\.\.)[ \t]*$", re.S | re.M)


def mask(text: str, markup: str) -> str:
    """The text with code, comments, front matter and the reference list blanked out
    (``markup``: the document's language, or a citation syntax that implies it)."""
    return _mask(text, markup if markup in ("latex", "typst") else "markdown")


@lru_cache(maxsize=4)  # the key and the prose citations of one text mask it once
def _mask(text: str, markup: str) -> str:
    m: re.Match[str] | None
    if markup == "typst":
        for rx in (r"^(```+)[^\n]*\n.*?^\1", r"(`+)(?!`).+?(?<!`)\1(?!`)", r"/\*.*?\*/"):
            for m in re.finditer(rx, text, re.S | re.M):
                text = _blank(text, m.start(), m.end())
        return re.sub(r"(?<![:/])//[^\n]*", lambda m: " " * len(m.group(0)), text)
    if markup == "latex":
        text = re.sub(r"(?<!\\)%[^\n]*", lambda m: " " * len(m.group(0)), text)
        m = re.search(r"\\begin\{thebibliography\}.*?(\\end\{thebibliography\}|\Z)", text, re.S)
        if m:
            text = _blank(text, m.start(), m.end())
    else:
        m = _FRONT_MATTER.match(text)
        if m:
            text = _blank(text, 0, m.end())
        # (the patterns run only where their first character occurs: long texts often have none)
        fences = _FENCE.finditer(text) if "```" in text or "~~~" in text else ()
        for m in fences:
            text = _blank(text, m.start(), m.end())
        for m in _INLINE_CODE.finditer(text) if "`" in text else ():
            text = _blank(text, m.start(), m.end())
    lowered = text.lower()
    m = _REF_HEADING.search(text) if any(w in lowered for w in _REF_WORDS) else None
    if m:
        nxt = _HEADING.search(text, m.end())
        text = _blank(text, m.start(), nxt.start() if nxt else len(text))
    # lines written like reference-list entries ("Kaleem, M., & Iqbal, S. (2023). Title.")
    # (only lines with "(2023)." are tried: the pattern is slow on every line of a long text)
    lines = set()
    for year in _REF_YEAR.finditer(text):
        start = text.rfind("\n", 0, year.start()) + 1
        if start not in lines:
            lines.add(start)
            end = text.find("\n", year.end())
            m = _REF_LINE.match(text, start, len(text) if end < 0 else end)
            if m:
                text = _blank(text, m.start(), m.end())
    return text


_FENCE = re.compile(r"^(```|~~~)[^\n]*\n.*?^\1[^\n]*$", re.S | re.M)
_INLINE_CODE = re.compile(r"(`+)(?!`).+?(?<!`)\1(?!`)", re.S)
_REF_YEAR = re.compile(r"\(\d{4}[a-z]?\)\.")
_REF_LINE = re.compile(
    r"^[^\n]*?\b[A-Z][\w'’-]+, (?:[A-Z]\.\s?)+(?:,? (?:&|and) [^\n(]*)?"
    r"\(\d{4}[a-z]?\)\.[^\n]*$",
    re.M,
)


class _Lines:
    """Offset -> (line, column) by binary search over the line starts."""

    def __init__(self, text: str):
        self.starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def __call__(self, offset: int) -> tuple[int, int]:
        from bisect import bisect_right

        i = bisect_right(self.starts, offset) - 1
        return i + 1, offset - self.starts[i] + 1


# -- pandoc and LaTeX ----------------------------------------------------------------------

_PANDOC_KEY = r"[\w][\w:.#$%&\-+?<>~/]*[\w]|[\w]"
_BRACKET = re.compile(r"\[([^\[\]\n]*?@[^\[\]]*?)\](?!\()")
_IN_BRACKET_KEY = re.compile(r"(?:^|[\s;\[])-?@(\{[^}]+\}|" + _PANDOC_KEY + ")")
# the @ first, then a look at the character before it: the scan jumps from @ to @
_NARRATIVE_KEY = re.compile(r"@(?<![\w@.\-+\\]@)(\{[^}]+\}|" + _PANDOC_KEY + r")")
# Quarto's and pandoc-crossref's cross-reference prefixes: @fig-map, @sec:intro are no citations
_CROSSREF = re.compile(
    r"(?:fig|tbl|lst|tip|nte|wrn|imp|cau|thm|lem|cor|prp|cnj|def|exm|exr|sol|rem|eq|sec)[-:]\w"
)
_LATEX_NOTES = r"(?:\s*\[[^\]]*\]){0,2}\s*"
# natbib and biblatex commands of one key list; \cites and friends take several
_LATEX = re.compile(
    r"\\(?:[Cc]ite(?:[pt]|al[tp]|author|year(?:par)?|num|title|date|url|fullauthor)?|"
    r"[Pp]arencite|[Tt]extcite|[Aa]utocite|[Ff]ootcite(?:text)?|[Ss]martcite|[Ss]upercite|"
    r"[Ff]ullcite|footfullcite|nocite)\*?" + _LATEX_NOTES + r"\{([^}]*)\}"
)
_LATEX_MULTI = re.compile(
    r"\\(?:[Cc]ites|[Pp]arencites|[Tt]extcites|[Aa]utocites|[Ff]ootcites|[Ss]martcites|"
    r"[Ss]upercites)(?:\s*\([^)]*\)){0,2}(?:" + _LATEX_NOTES + r"\{[^}]*\})+"
)
_TYPST_KEY = r"[\w][\w\-:.]*[\w]|[\w]"
_TYPST_REF = re.compile(r"(?<![\w@.\-+\\])@(" + _TYPST_KEY + r")")
_TYPST_CITE = re.compile(
    r"#cite\(\s*(?:<(" + _TYPST_KEY + r")>|label\(\s*\"([^\"]+)\"\s*\))[^)]*\)"
)
_TYPST_LABEL = re.compile(r"<(" + _TYPST_KEY + r")>")


def _strip_key(key: str) -> str:
    return key[1:-1] if key.startswith("{") else key.rstrip(".:,;")


def _key_span(key: str, start: int) -> tuple[str, tuple[int, int]]:
    """A key as written at ``start`` -> (the key, its offsets without braces or trailing
    punctuation)."""
    bare = _strip_key(key)
    offset = start + 1 if key.startswith("{") else start
    return bare, (offset, offset + len(bare))


def _latex_keys(text: str, start: int, end: int) -> tuple[list[str], list[tuple[int, int]]]:
    """The comma-separated keys of ``text[start:end]`` (a LaTeX key list) and their offsets."""
    keys, spans = [], []
    for m in re.finditer(r"[^,]+", text[start:end]):
        key = m.group(0).strip()
        if key:
            at = start + m.start() + (len(m.group(0)) - len(m.group(0).lstrip()))
            keys.append(key)
            spans.append((at, at + len(key)))
    return keys, spans


def _citation(
    text: str, m: re.Match[str], position: _Lines, path: str, syntax: str, **kw: Any
) -> Citation:
    """The citation ``m`` matched (in the masked text) as written in ``text``."""
    line, col = position(m.start())
    return Citation(
        path, line, col, text[m.start() : m.end()], syntax, start=m.start(), end=m.end(), **kw
    )


def find_key_citations(
    text: str, syntax: str = "pandoc", path: str = "", masked: str | None = None
) -> list[Citation]:
    """pandoc, LaTeX or Typst key citations, each key with its offsets (reusable:
    ``refbook rename --in`` and the language server edit these).  ``masked``: the text
    as ``mask`` gives it, when the caller has it (a part of a larger text's)."""
    masked = mask(text, syntax) if masked is None else masked
    position = _Lines(text)
    out: list[Citation] = []

    def cite(m: re.Match[str], keys: list[str], spans: list[tuple[int, int]], **kw: Any) -> None:
        out.append(_citation(text, m, position, path, syntax, keys=keys, spans=spans, **kw))

    if syntax == "latex":
        for m in _LATEX.finditer(masked):
            cite(m, *_latex_keys(text, m.start(1), m.end(1)))
        for m in _LATEX_MULTI.finditer(masked):
            keys, spans = [], []
            for group in re.finditer(r"\{([^}]*)\}", m.group(0)):
                more = _latex_keys(text, m.start() + group.start(1), m.start() + group.end(1))
                keys += more[0]
                spans += more[1]
            cite(m, keys, spans)
        out.sort(key=lambda c: c.start)
        return out
    if syntax == "typst":
        # the document's own labels (`= Intro <intro>`), a `#cite(<key>)` aside
        uncited = _TYPST_CITE.sub(lambda m: " " * len(m.group(0)), masked)
        labels = {m.group(1) for m in _TYPST_LABEL.finditer(uncited)}
        for m in _TYPST_CITE.finditer(masked):
            which = 1 if m.group(1) else 2
            cite(m, [m.group(which)], [(m.start(which), m.end(which))])
        for m in _TYPST_REF.finditer(masked):
            key, span = _key_span(m.group(1), m.start(1))
            if key not in labels:
                cite(m, [key], [span], narrative=True)
        out.sort(key=lambda c: c.start)
        return out
    taken: list[tuple[int, int]] = []
    for m in _BRACKET.finditer(masked):
        keys, spans = [], []
        for k in _IN_BRACKET_KEY.finditer(m.group(1)):
            key, span = _key_span(k.group(1), m.start(1) + k.start(1))
            if not _CROSSREF.match(key):
                keys.append(key)
                spans.append(span)
        if not keys:
            continue
        cite(m, keys, spans)
        taken.append((m.start(), m.end()))
    starts = [a for a, _ in taken]
    for m in _NARRATIVE_KEY.finditer(masked):
        from bisect import bisect_right

        i = bisect_right(starts, m.start()) - 1
        if i >= 0 and taken[i][0] <= m.start() < taken[i][1]:
            continue
        key, span = _key_span(m.group(1), m.start(1))
        if not _CROSSREF.match(key):
            cite(m, [key], [span], narrative=True)
    out.sort(key=lambda c: c.start)
    return out


# -- author-year prose ---------------------------------------------------------------------

_YEAR = r"(?:\[)?(?P<year>\d{4}[a-z]?|n\.\s?d\.)(?:\]\([^)]*\))?"
_NAME_WORD = r"(?:[A-Z][\w'’\-]*|(?:van|von|der|de|del|da|di|du|le|la|ul|al|bin|ibn)(?=\s))"
_NAME = rf"{_NAME_WORD}(?:\s+{_NAME_WORD})*"
_NAME_RE = re.compile(rf"^{_NAME}$")
_PREFIX = re.compile(r"^(?:see also|see|e\.g\.,?|cf\.|i\.e\.,?|also)\s+", re.I)
_NOT_NAMES = {
    "see",
    "table",
    "figure",
    "fig",
    "chapter",
    "section",
    "page",
    "vol",
    "no",
    "fall",
    "spring",
    "summer",
    "winter",
    "in",
    "the",
    "since",
    "from",
    "until",
    "during",
    "before",
    "after",
    "and",
    "or",
    "of",
    "for",
    "circa",
    "ca",
    "about",
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
    "year",
    "years",
}


def _parse_work(work: str) -> tuple[list[str], bool, str, str] | None:
    """``Akram & Riaz, *Title*, 2023, p. 4`` -> (["Akram", "Riaz"], et_al, "2023", "Title")."""
    work = _PREFIX.sub("", work.strip())
    m = re.search(rf",\s*{_YEAR}(?=\s*(?:,|$))", work)
    if m is None:
        return None
    year = m.group("year").replace(" ", "")
    head = work[: m.start()].strip()
    title = ""
    t = re.search(r",\s*(\*[^*]+\*|_[^_]+_|\"[^\"]+\"|“[^”]+”)\s*$", head)
    if t:
        title = t.group(1).strip('*_"“”')
        head = head[: t.start()].strip()
    et_al = bool(re.search(r"\bet al\.?$", head))
    head = re.sub(r",?\s*\bet al\.?$", "", head).strip()
    names = [
        n.strip() for n in re.split(r"\s*,\s*(?:&\s*|and\s+)?|\s+&\s+|\s+and\s+", head) if n.strip()
    ]
    if not names or not all(_NAME_RE.match(n) and n.lower() not in _NOT_NAMES for n in names):
        return None
    return names, et_al, year, title


_PAREN = re.compile(r"\((?P<body>[^()]*(?:\([^()]*\)[^()]*)*)\)")
_NARRATIVE = re.compile(
    rf"(?P<names>{_NAME}(?:(?:,\s*{_NAME})*,?\s+(?:and|&)\s+{_NAME}|\s+et al\.)?)"
    rf"(?:'s|’s)?\s+\((?P<year>\d{{4}}[a-z]?|n\.\s?d\.)(?:,\s*(?:p|pp)\.[^)]*)?\)"
)


# what a narrative citation ends with, and the characters its names can be made of
_NARRATIVE_YEAR = re.compile(r"\s\((?:\d{4}[a-z]?|n\.\s?d\.)(?:,\s*(?:p|pp)\.[^)]*)?\)")
_NOT_IN_NAMES = re.compile(r"[^\w'’\-\s,&.]")


def _narrative_matches(masked: str) -> Iterable[re.Match[str]]:
    """``_NARRATIVE.finditer(masked)``, scanning only the runs of name characters that end
    in a year in parentheses: the same matches (no match can cross a character outside
    those runs), without trying the pattern at every capital letter of a long text."""
    for year in _NARRATIVE_YEAR.finditer(masked):
        yield from _NARRATIVE.finditer(masked, _run_start(masked, year.start()), year.end())


def _run_start(text: str, end: int) -> int:
    """Where the run of name characters that ends at ``end`` starts (looked for in
    growing windows: runs are short)."""
    width = 256
    while True:
        start = max(0, end - width)
        stops = [m.end() for m in _NOT_IN_NAMES.finditer(text, start, end)]
        if stops:
            return stops[-1]
        if start == 0:
            return 0
        width *= 4


_LINK_YEAR = re.compile(r"\[(\d{4}[a-z]?)\]\(([^)]*)\)")


def unlink_years(masked: str) -> str:
    """Markdown link debris around years, as the prose parser reads the text:
    "[2023](#)" -> "2023" padded to the same length."""
    if "](" not in masked:
        return masked
    return _LINK_YEAR.sub(lambda m: m.group(1) + " " * (len(m.group(0)) - len(m.group(1))), masked)


def pattern_spans(masked: str, unlinked: str, markup: str) -> list[tuple[int, int]]:
    """The spans of every match of the patterns the citation parsers run over a masked
    text (``unlinked``: it after ``unlink_years``, as prose is read), in no order: a part
    of the text that no span crosses parses alone to the citations the whole gives in
    it (the language server re-parses such parts)."""
    if markup == "latex":
        return [m.span() for rx in (_LATEX, _LATEX_MULTI) for m in rx.finditer(masked)]
    found = [m.span() for m in _BRACKET.finditer(masked)]
    found += [m.span() for m in _NARRATIVE_KEY.finditer(masked)]
    found += [m.span() for m in _PAREN.finditer(unlinked)]
    found += [m.span() for m in _narrative_matches(unlinked)]
    return found


def find_prose_citations(
    text: str, path: str = "", markup: str = "markdown", masked: str | None = None
) -> list[Citation]:
    masked = unlink_years(mask(text, markup) if masked is None else masked)
    position = _Lines(text)
    out, paren_starts = _parenthetical(masked, text, path, position)
    out += _narrative(masked, text, path, position, paren_starts)
    out.sort(key=lambda c: (c.line, c.column))
    return out


def _parenthetical(
    masked: str, text: str, path: str, position: _Lines
) -> tuple[list[Citation], set[int]]:
    """(Author, 2019; Other et al., 2020): each work a citation; and where the
    parentheses that held one start (a narrative citation does not count them again)."""
    out: list[Citation] = []
    paren_starts: set[int] = set()
    for m in _PAREN.finditer(masked):
        body = m.group("body")
        inner = re.fullmatch(r"\s*(?P<name>" + _NAME + r")\s*\((?P<rest>[^()]*)\)\s*", body)
        if inner:  # the doubled form: (Biddle (Biddle, 2019))
            body_start = m.start("body") + body.index("(") + 1
            body = inner.group("rest")
        else:
            body_start = m.start("body")
        offset = 0
        found_here = False
        for work in body.split(";"):
            parsed = _parse_work(work)
            start = body_start + offset + (len(work) - len(work.lstrip()))
            end = body_start + offset + len(work)
            offset += len(work) + 1
            if parsed is None:
                continue
            names, et_al, year, title = parsed
            line, col = position(start)
            out.append(
                Citation(
                    path,
                    line,
                    col,
                    "(" + text[start:end].strip() + ")",
                    "prose",
                    authors=names,
                    et_al=et_al,
                    year=year,
                    title=title,
                    start=start,
                    end=start + len(text[start:end].rstrip()),
                )
            )
            found_here = True
        if found_here:
            paren_starts.add(m.start())
    return out, paren_starts


def _narrative(
    masked: str, text: str, path: str, position: _Lines, paren_starts: set[int]
) -> list[Citation]:
    """Author (2019), Author and Other's (2020a): the names before a parenthesised year."""
    out: list[Citation] = []
    for m in _narrative_matches(masked):
        paren = masked.index("(", m.start("names"))
        if paren in paren_starts:
            continue
        names_text = m.group("names")
        et_al = names_text.endswith("et al.")
        names = [
            re.sub(r"['’]s$", "", n)
            for n in re.split(r"\s*,\s*|\s+(?:and|&)\s+", names_text.removesuffix(" et al."))
            if n
        ]
        # a sentence's first word is not a name unless an entry says so (checked in matching)
        if any(n.lower() in _NOT_NAMES for n in names):
            continue
        out.append(
            _citation(
                text,
                m,
                position,
                path,
                "prose",
                authors=names,
                et_al=et_al,
                year=m.group("year").replace(" ", ""),
                narrative=True,
            )
        )
    return out


def markup_for(path: str, forced: str | None = None) -> str:
    """A manuscript's markup (markdown, latex, typst): ``forced``, else by extension."""
    if forced:
        return forced
    suffix = Path(path).suffix.lower()
    if suffix in (".tex", ".ltx", ".latex"):
        return "latex"
    return "typst" if suffix == ".typ" else "markdown"


def find_citations(text: str, path: str = "", markup: str | None = None) -> list[Citation]:
    """Every citation in a manuscript, in order."""
    kind = markup_for(path, markup)
    if kind == "latex":
        return find_key_citations(text, "latex", path)
    keyed = find_key_citations(text, "typst" if kind == "typst" else "pandoc", path)
    cites = keyed + find_prose_citations(text, path, kind)
    cites.sort(key=lambda c: (c.line, c.column))
    return cites


# -- matching ------------------------------------------------------------------------------


@lru_cache(maxsize=1 << 16)  # (a library names the same people again and again)
def _name_key(name: str) -> str:
    return re.sub(r"[^\w]", "", fold(name))


def first_author(c: Citation) -> str:
    """The name an author-year citation is matched by (its first author's, folded):
    matching it reads only the entries whose first family name folds to it."""
    return _name_key(c.authors[0])


def cited_families(entry: Entry) -> list[str]:
    """The family names an author-year citation names an entry by: its authors', else
    its editors' ("others" left out)."""
    return [p.family for p in entry.authors or entry.editors if p.literal != "others"]


class Matcher:
    """Indexes of entries by key, by first author's family name and by the whole author
    list, each name folded once, so that matching a citation never scans the library."""

    def __init__(
        self,
        entries: Sequence[Entry],
        aliases: Mapping[str, str] | None = None,
        families: Sequence[Sequence[str]] | None = None,
    ):
        """``aliases`` (alias -> key) and ``families`` (each entry's family names, its
        authors' else its editors'), when the caller has them: then the entries are
        asked only for key, year and title (they can be slim records)."""
        self.entries = list(entries)
        by_key = {e.key.lower(): e for e in self.entries}
        # an ids alias cites its entry (a key wins over an alias)
        pairs = (
            ((a, k) for a, k in aliases.items())
            if aliases is not None
            else ((a, e.key) for e in self.entries for a in e.aliases)
        )
        keyed = len(by_key)
        aliased: set[str] = set()  # alias names and the keys that have aliases
        for alias, key in pairs:
            aliased.update((alias.lower(), key.lower()))
            if key.lower() in by_key:
                by_key.setdefault(alias.lower(), by_key[key.lower()])
        # (Mappings: ``patched`` makes them ``Overlay``s of these, sharing them)
        self.by_key: Mapping[str, Any] = by_key
        by_first: dict[str, list[Entry]] = defaultdict(list)
        by_names: dict[tuple[str, ...], list[Entry]] = defaultdict(list)
        names_of: dict[str, tuple[str, ...]] = {}
        years: dict[str, int | None] = {}
        by_first_year: dict[tuple[str, int | None], list[Entry]] = defaultdict(list)
        by_names_year: dict[tuple, list[Entry]] = defaultdict(list)
        self.by_first: Mapping[str, list[Entry]] = by_first
        self.by_names: Mapping[tuple[str, ...], list[Entry]] = by_names
        self.names: Mapping[str, tuple[str, ...]] = names_of
        self.years: Mapping[str, int | None] = years
        self.by_first_year: Mapping[tuple[str, int | None], list[Entry]] = by_first_year
        self.by_names_year: Mapping[tuple, list[Entry]] = by_names_year
        # the matcher this one was patched from (``patched``) and the first authors'
        # names whose entries the patch changed: what matched the same there still does
        # for a citation of another first author
        self.patched_from: tuple[weakref.ref[Matcher], frozenset[str]] | None = None
        # what ``patched`` needs: every key once (case-insensitively), the aliases apart,
        # and each entry's place in the file (``pos``, slim records' own)
        self._unique = keyed == len(self.entries)
        self._aliased = aliased
        self._places: list[float] | None = _places(self.entries)
        seen: dict[str, str] = {}  # one string per distinct name, shared by the indexes

        def key_of(family: str) -> str:
            key = seen.get(family)
            if key is None:
                key = seen[family] = _name_key(family)
            return key

        for i, e in enumerate(self.entries):
            if families is None:
                names = tuple(key_of(f) for f in cited_families(e))
                reset = getattr(e, "_reset", None)
                if reset is not None:  # the parsed names (and record) let go: 100k stay small
                    reset()
            else:
                names = tuple(key_of(f) for f in families[i])
            names_of[e.key] = names
            years[e.key] = e.year
            if names:
                by_first[names[0]].append(e)
                by_names[names].append(e)
                by_first_year[(names[0], e.year)].append(e)
                by_names_year[(names, e.year)].append(e)

    def patched(
        self, gone: Sequence[str], added: Sequence[Any], families: Sequence[Sequence[str]]
    ) -> Matcher | None:
        """A matcher of this one's entries without those keyed ``gone`` and with ``added``
        (slim records with ``pos``, their place in the file: ``Cited``; ``families``:
        each one's), the same as one built from the entries after the change, this one
        unchanged; work in proportion to the change (the language server's, after an
        edit of a 100k-entry .bib).  None when it cannot be patched: entries without a
        place, keys not unique (case-insensitively), an alias or a key with aliases
        among those changed."""
        if self._places is None or not self._unique:
            return None
        lowered = [k.lower() for k in gone]
        if any(k in self._aliased for k in lowered) or len(set(lowered)) != len(lowered):
            return None
        if any(getattr(e, "pos", None) is None for e in added):
            return None
        places = [_place(e) for e in added]
        new_keys = [e.key.lower() for e in added]
        if len(set(new_keys)) != len(new_keys):
            return None
        out = copy.copy(self)
        # (the indexes as overlays over this one's: shared, not copied, this one unchanged)
        by_key: Overlay[str, Any] = Overlay(self.by_key).edited()
        names_of: Overlay[str, tuple[str, ...]] = Overlay(self.names).edited()
        years: Overlay[str, int | None] = Overlay(self.years).edited()
        out.by_key, out.names, out.years = by_key, names_of, years
        out.entries, out._places = list(self.entries), list(self._places)
        places_now = out._places
        tables: list[Overlay[Any, list[Any]]] = []
        for name in ("by_first", "by_names", "by_first_year", "by_names_year"):
            tables.append(Overlay(getattr(self, name)).edited())
            setattr(out, name, tables[-1])
        removed: list[tuple[Any, tuple[str, ...], int | None]] = []  # (entry, names, year)
        for key in lowered:
            e = by_key.pop(key, None)
            if e is None:
                return None
            i = bisect.bisect_left(places_now, _place(e))
            if i >= len(out.entries) or out.entries[i] is not e:
                return None
            del out.entries[i], places_now[i]
            names, year = names_of.pop(e.key), years.pop(e.key)
            removed.append((e, names, year))
            if names:
                for table, index in zip(tables, _index_keys(names, year)):
                    bucket = table.get(index, [])  # (in file order: found by place)
                    at = bisect.bisect_left(bucket, _place(e), key=_place)
                    if at >= len(bucket) or bucket[at] is not e:
                        return None
                    if len(bucket) > 1:
                        table[index] = bucket[:at] + bucket[at + 1 :]
                    else:
                        del table[index]
        if any(k in by_key or k in self._aliased for k in new_keys):
            return None
        put: list[tuple[Any, tuple[str, ...], int | None]] = []
        for e, pos, family in zip(added, places, families):
            i = bisect.bisect_left(places_now, pos)
            if i < len(places_now) and places_now[i] == pos:
                return None
            out.entries.insert(i, e)
            places_now.insert(i, pos)
            by_key[e.key.lower()] = e
            names = tuple(_name_key(f) for f in family)
            names_of[e.key], years[e.key] = names, e.year
            put.append((e, names, e.year))
            if names:
                for table, index in zip(tables, _index_keys(names, e.year)):
                    bucket = list(table.get(index, ()))
                    bucket.insert(bisect.bisect_left(bucket, pos, key=_place), e)
                    table[index] = bucket
        out.patched_from = (weakref.ref(self), self._touched(removed, put))
        return out

    def _touched(
        self,
        removed: list[tuple[Any, tuple[str, ...], int | None]],
        put: list[tuple[Any, tuple[str, ...], int | None]],
    ) -> frozenset[str]:
        """The first authors' names whose entries a patch changed (``removed`` and
        ``put``: (entry, names, year)): all but those of the entries put back as they
        were (key, names, year, title) at the same place among the others (the chunks
        around an edit are read again: their entries come back unchanged), found from
        the start and from the end of both in file order."""
        gone = sorted(removed, key=lambda r: _place(r[0]))
        back = sorted(put, key=lambda r: _place(r[0]))
        places = self._places or []
        kept = {id(r[0]) for r in removed}

        def same(a: tuple[Any, ...], b: tuple[Any, ...]) -> bool:
            (old, *rest_a), (new, *rest_b) = a, b
            if (old.key, old.title, *rest_a) != (new.key, new.title, *rest_b):
                return False
            low, high = sorted((_place(old), _place(new)))
            between = self.entries[
                bisect.bisect_right(places, low) : bisect.bisect_left(places, high)
            ]
            return all(id(e) in kept for e in between)  # (no other entry between)

        start, n = 0, min(len(gone), len(back))
        while start < n and same(gone[start], back[start]):
            start += 1
        end = 0
        while end < n - start and same(gone[-1 - end], back[-1 - end]):
            end += 1
        changed = gone[start : len(gone) - end] + back[start : len(back) - end]
        return frozenset(names[0] for _e, names, _y in changed if names)

    def ancestors(self, most: int = 8) -> Iterator[tuple[Matcher, frozenset[str]]]:
        """The matchers this one was patched from (``patched``; the nearest first, at
        most ``most``, while they are alive), each with the first authors' names
        (``first_author``) whose entries changed since: an author-year citation of any
        other first author matches here as it did there."""
        touched: frozenset[str] = frozenset()
        link = self.patched_from
        for _ in range(most):
            if link is None:
                return
            before = link[0]()
            if before is None:
                return
            touched |= link[1]
            yield before, touched
            link = before.patched_from

    def match(self, c: Citation) -> Citation:
        if c.syntax in ("pandoc", "latex", "typst"):
            if c.keys == ["*"]:
                c.status, c.matched = MATCHED, [e.key for e in self.entries]
                return c
            missing = [k for k in c.keys if k.lower() not in self.by_key]
            c.matched = [self.by_key[k.lower()].key for k in c.keys if k.lower() in self.by_key]
            if missing:
                c.status, c.message = MISSING, f"no entry with key {', '.join(missing)}"
            else:
                c.status = MATCHED
            return c
        return self._match_prose(c)

    def _match_prose(self, c: Citation) -> Citation:
        cited = tuple(_name_key(n) for n in c.authors)
        pool = self.by_first.get(cited[0], [])
        names = self.names
        if c.et_al:
            # only the entries of that year need their author count checked
            year_pool = self.by_first_year.get(
                (cited[0], int(c.year[:4]) if c.year[:4].isdigit() else None), []
            )
            same = (
                [e for e in year_pool if len(names[e.key]) >= 3]
                or [e for e in year_pool if len(names[e.key]) >= 2]
                or [e for e in pool if len(names[e.key]) >= 2]
            )
        else:
            same = self.by_names.get(cited) or [
                e for e in pool if names[e.key][: len(cited)] == cited
            ]
        if not same:
            c.status = MISSING
            c.message = (
                "no entry"
                if not pool
                else f"no entry by {' & '.join(c.authors)} (entries by {c.authors[0]}: "
                f"{', '.join(e.key for e in pool[:5])}{', …' if len(pool) > 5 else ''})"
            )
            return c
        year = int(c.year[:4]) if c.year[:4].isdigit() else None
        years = self.years
        if not c.et_al and same is self.by_names.get(cited):
            dated = list(self.by_names_year.get((cited, year), []))  # the common case: indexed
        else:
            dated = [e for e in same if years[e.key] == year]
        if not dated:
            c.status = YEAR_MISMATCH
            c.candidates = [e.key for e in same]
            c.message = (
                "no entry of that year; "
                + ", ".join(f"{e.key} is {years[e.key] or 'n.d.'}" for e in same[:5])
                + (f" (and {len(same) - 5} more)" if len(same) > 5 else "")
            )
            return c
        if len(dated) > 1 and len(c.year) == 5:  # 2023a / 2023b: by title order
            dated.sort(key=lambda e: fold(e.title))
            index = ord(c.year[4]) - ord("a")
            dated = [dated[index]] if 0 <= index < len(dated) else dated
        if len(dated) > 1 and c.title:
            from rapidfuzz import fuzz

            scored = sorted(
                ((fuzz.partial_ratio(fold(c.title), fold(e.title)), e) for e in dated),
                key=lambda p: -p[0],
            )
            if scored[0][0] >= 80 and (len(scored) == 1 or scored[0][0] > scored[1][0]):
                dated = [scored[0][1]]
        if len(dated) > 1:
            c.status = AMBIGUOUS
            c.candidates = [e.key for e in dated]
            c.message = "several entries match: " + ", ".join(c.candidates)
            return c
        c.status, c.matched = MATCHED, [dated[0].key]
        return c


@dataclass
class CheckResult:
    citations: list[Citation]
    uncited: list[str]
    texts: dict[str, str] = field(default_factory=dict)  # each manuscript's text, decoded
    notes: list[str] = field(default_factory=list)  # warnings: an encoding detected...


class Cited:
    """What author-year matching reads of an entry (``pos``: its place in the file, any
    number that grows in file order: what ``Matcher.patched`` inserts by)."""

    __slots__ = ("key", "year", "title", "pos")

    def __init__(self, key: str, year: int | None, title: str, pos: float | None = None) -> None:
        self.key, self.year, self.title, self.pos = key, year, title, pos


def _place(entry: Any) -> float:
    return float(entry.pos)


def _places(entries: Sequence[Any]) -> list[float] | None:
    """Each entry's ``pos`` when every one has one, growing in file order (else None)."""
    if not entries or getattr(entries[0], "pos", None) is None:
        return None if entries else []
    out = [getattr(e, "pos", None) for e in entries]
    if any(p is None for p in out) or any(a >= b for a, b in zip(out, out[1:])):  # type: ignore[operator]
        return None
    return out  # type: ignore[return-value]


def _index_keys(names: tuple[str, ...], year: int | None) -> tuple[Any, ...]:
    """Where an entry with these names and year is in the matcher's four indexes."""
    return (names[0], names, (names[0], year), (names, year))


def matching_records(library: Any) -> tuple[list[Any], list[list[str]]]:
    """Each entry of a cached library as a ``Cited`` and its family names
    (``cited_families``), read from the entries' light records only: a ``Matcher`` of
    100k of these is small (the language server's and cite-check's)."""
    cited, families = [], []
    for entry in library:
        families.append(cited_families(entry))
        cited.append(Cited(entry.key, entry.year, entry.title))
        if hasattr(entry, "_reset"):  # what was read of it let go
            entry._reset()
    return cited, families


def _matcher(lib: Any) -> Matcher:
    """The matcher of a library: from slim records when it is read from the cache."""
    if hasattr(lib, "alias_keys"):  # a CachedLibrary
        cited, families = matching_records(lib)
        return Matcher(cited, dict(lib.alias_keys()), families)
    return Matcher(list(lib))


def check_manuscripts(
    lib: Library,
    paths: Iterable[str],
    *,
    markup: str | None = None,
    ignore_uncited: Iterable[str] = (),
    encoding: str | None = None,
) -> CheckResult:
    """Find and match every citation of ``paths`` against ``lib``.  Manuscripts are
    decoded as ``refbook.encoding.read_text`` does (``encoding``, else byte-order mark,
    UTF-8 or detection, which ``notes`` reports); every file is read before any is
    matched, so an unreadable one stops the check with an ``InputError``."""
    from .encoding import read_text

    decoded = {str(path): read_text(path, encoding) for path in paths}
    matcher = _matcher(lib)
    citations: list[Citation] = []
    for path, d in decoded.items():
        for c in find_citations(d.text, path, markup):
            citations.append(matcher.match(c))
    cited = {k.lower() for c in citations for k in c.matched}
    ignore = {k.lower() for k in ignore_uncited}
    uncited = [
        e.key for e in matcher.entries if e.key.lower() not in cited and e.key.lower() not in ignore
    ]
    return CheckResult(
        citations,
        uncited,
        {p: d.text for p, d in decoded.items()},
        [n for d in decoded.values() for n in d.notes],
    )


def cited_keys(lib: Library, paths: Iterable[str], encoding: str | None = None) -> list[str]:
    """The keys of the entries cited in ``paths``, in bibliography order (public API)."""
    result = check_manuscripts(lib, paths, encoding=encoding)
    cited = {k for c in result.citations for k in c.matched}
    return [e.key for e in lib if e.key in cited]
