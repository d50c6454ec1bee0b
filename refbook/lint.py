"""Lint rules: the defects a real reference list has, each a small function.

A rule has a stable id, a family, a default severity, a one-line doc, and a function
``check(entry, ctx)`` that yields ``Issue`` records (message, field, optional safe fix).
Library-wide rules (duplicates, spellings) are ``check_all(entries, ctx)``; rules about
the file's other blocks (``@string``) are ``check_file(bib, ctx)`` and give a line.  Rules
are registered with ``@rule``; ``refbook lint --select/--ignore`` take ids or families.

Findings point at the field's value in the file (line and column).  Safe fixes are field
edits applied through the store (minimal diff, atomic, locked); unsafe changes are never
automatic.  Suppress a rule for one entry with a comment line right above it::

    % refbook: ignore[pages-dash, missing-urldate]
"""

from __future__ import annotations

import datetime as _dt
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache

from .bibtex import MONTH_MACROS, macro_names
from .findings import Finding, Severity
from .identifiers import (
    bare_doi_error,
    has_doi_prefix,
    normalize_doi,
    strip_doi_prefix,
    url_form_error,
)
from .model import Entry, fold, to_text

# -- the data model: required fields per entry type (BibTeX and BibLaTeX) ---------------
# "a|b": either field will do.
REQUIRED: dict[str, tuple[str, ...]] = {
    "article": ("author", "title", "journal|journaltitle", "year|date"),
    "book": ("author|editor", "title", "publisher|organization|institution", "year|date"),
    "mvbook": ("author|editor", "title", "year|date"),
    "inbook": ("author|editor", "title", "booktitle|chapter|pages", "year|date"),
    "incollection": ("author", "title", "booktitle", "year|date"),
    "inproceedings": ("author", "title", "booktitle", "year|date"),
    "conference": ("author", "title", "booktitle", "year|date"),
    "proceedings": ("title", "year|date"),
    "collection": ("editor", "title", "year|date"),
    "report": ("author", "title", "institution", "year|date"),
    "techreport": ("author", "title", "institution", "year|date"),
    "thesis": ("author", "title", "institution|school", "year|date"),
    "phdthesis": ("author", "title", "school|institution", "year|date"),
    "mastersthesis": ("author", "title", "school|institution", "year|date"),
    "online": ("title", "url|doi|eprint", "year|date|urldate"),
    "misc": ("title|howpublished",),
    "manual": ("title",),
    "unpublished": ("author", "title", "note|howpublished"),
    "booklet": ("title",),
    "patent": ("author", "title", "number", "year|date"),
    "dataset": ("title", "year|date"),
    "software": ("title", "year|date"),
}
ONLINE_TYPES = {"online", "electronic", "www", "webpage"}
# countries and peoples a style would lower-case in sentence case; extended by every word
# the file itself protects with braces somewhere
PROPER_NOUNS = {
    "afghanistan",
    "afghan",
    "afghans",
    "pakistan",
    "pakistani",
    "india",
    "indian",
    "china",
    "chinese",
    "iran",
    "iranian",
    "russia",
    "russian",
    "america",
    "american",
    "europe",
    "european",
    "asia",
    "asian",
    "africa",
    "african",
    "washington",
    "kabul",
    "islamabad",
    "taliban",
    "islam",
    "islamic",
    "english",
    "french",
    "german",
    "latin",
    "arab",
    "arabic",
}


@dataclass
class Issue:
    message: str
    field: str | None = None
    fix: tuple[str, str] | None = None  # (field, new value): a safe fix
    key: str | None = None  # for library-wide rules: the entry concerned
    line: int | None = None  # where, when not the field's (first) line (file rules: the defect's)


@dataclass(frozen=True)
class Rule:
    id: str
    family: str
    severity: Severity
    doc: str
    check: Callable | None = None  # per entry
    check_all: Callable | None = None  # over the whole library
    fixable: bool = False
    check_file: Callable | None = None  # over the file's blocks (BibFile)


RULES: dict[str, Rule] = {}


def rule(
    id: str,
    family: str,
    severity: Severity | str,
    doc: str,
    *,
    library: bool = False,
    fixable: bool = False,
    file: bool = False,
):
    def register(fn: Callable) -> Callable:
        RULES[id] = Rule(
            id,
            family,
            Severity(severity),
            doc,
            None if library or file else fn,
            fn if library else None,
            fixable,
            fn if file else None,
        )
        return fn

    return register


@dataclass
class Context:
    today: _dt.date = field(default_factory=_dt.date.today)
    protected_words: set[str] = field(default_factory=set)


def _has(entry: Entry, name: str) -> bool:
    return any((entry.get(n) or "").strip() for n in name.split("|"))


# -- fields -------------------------------------------------------------------------------


@rule(
    "required-fields",
    "fields",
    "error",
    "An entry lacks a field its type requires (BibTeX/BibLaTeX data model).",
)
def _required(entry: Entry, ctx: Context) -> Iterator[Issue]:
    for need in REQUIRED.get(entry.type, ()):
        if not _has(entry, need):
            yield Issue(f"@{entry.type} needs {' or '.join(need.split('|'))}")


@rule(
    "duplicate-field",
    "fields",
    "error",
    "A field is written twice in one entry (BibTeX reads the first, some tools the last); "
    "refbook edits the entry only once one is removed.",
)
def _duplicate_field(entry: Entry, ctx: Context) -> Iterator[Issue]:
    for name, lines in entry.duplicate_fields().items():
        times = "twice" if len(lines) == 2 else f"{len(lines)} times"
        yield Issue(
            f"field {name!r} written {times} (lines "
            f"{', '.join(map(str, lines[:-1]))} and {lines[-1]}); BibTeX reads the "
            "first: remove one",
            name,
            line=lines[1],
        )


@rule(
    "missing-annotation",
    "annotated",
    "warning",
    "An entry of this annotated bibliography has no annotation (or annote).",
)
def _annotation(entry: Entry, ctx: Context) -> Iterator[Issue]:
    if not entry.annotation:
        yield Issue("no annotation")


@rule(
    "missing-urldate",
    "annotated",
    "info",
    "An online source with a URL does not say when it was accessed (urldate).",
)
def _urldate(entry: Entry, ctx: Context) -> Iterator[Issue]:
    if entry.type in ONLINE_TYPES and entry.get("url") and not entry.get("urldate"):
        yield Issue("online source without urldate (when was it accessed?)", "url")


# -- DOIs -------------------------------------------------------------------------------


@rule(
    "doi-prefix",
    "doi",
    "warning",
    "The doi field holds a resolver URL or 'doi:' prefix; it should be the bare DOI.",
    fixable=True,
)
def _doi_prefix(entry: Entry, ctx: Context) -> Iterator[Issue]:
    value = (entry.get("doi") or "").strip()
    if has_doi_prefix(value):
        bare = strip_doi_prefix(value)
        yield Issue(
            f"doi has a resolver prefix: {value!r} (should be {bare!r})", "doi", ("doi", bare)
        )


@rule(
    "doi-syntax",
    "doi",
    "error",
    "The DOI is not of the form 10.NNNN/suffix, or has trailing punctuation or braces.",
)
def _doi_syntax(entry: Entry, ctx: Context) -> Iterator[Issue]:
    value = (entry.get("doi") or "").strip()
    if not value:
        return
    problem = bare_doi_error(strip_doi_prefix(value), value)
    if problem:
        yield Issue(problem, "doi")


@rule("duplicate-doi", "duplicates", "error", "Two entries have the same DOI.", library=True)
def _duplicate_doi(entries: list[Entry], ctx: Context) -> Iterator[Issue]:
    seen: dict[str, Entry] = {}
    for e in entries:
        if not e.get("doi"):
            continue
        doi = normalize_doi(e["doi"])
        if doi in seen:
            yield Issue(
                f"same DOI {doi} as {seen[doi].key} (line {seen[doi].line})", "doi", key=e.key
            )
        else:
            seen[doi] = e


@rule(
    "duplicate-string",
    "strings",
    "warning",
    "An @string macro is defined twice (names ignore case); as in BibTeX and biber, each "
    "entry uses the definition above it.",
    file=True,
)
def _duplicate_string(bib, ctx: Context) -> Iterator[Issue]:
    # the store finds them while reading (every command warns); lint reports them as a rule
    for problem in bib.problems:
        if problem.rule == "duplicate-string":
            yield Issue(problem.message, line=problem.line)


@rule(
    "undefined-string",
    "strings",
    "warning",
    "A field uses a macro that no @string above the entry defines; BibTeX prints nothing "
    "for it (refbook and pandoc show its name).",
)
def _undefined_string(entry: Entry, ctx: Context) -> Iterator[Issue]:
    macros = entry.macros
    for name in entry.fields:
        raw = entry.raw(name) or ""
        if raw[:1] in ("{", '"') and "#" not in raw:
            continue
        for word in macro_names(raw):
            low = word.lower()
            if low in macros or low in MONTH_MACROS:
                continue
            if entry.macro_defined_later(low):
                yield Issue(
                    f"{name} uses @string {word!r} before its definition further down; "
                    "BibTeX and biber read in order and treat it as undefined here",
                    name,
                )
            else:
                yield Issue(
                    f"{name} uses @string {word!r}, which is not defined (BibTeX "
                    "prints nothing for it)",
                    name,
                )


# -- titles -------------------------------------------------------------------------------


_COMMAND = re.compile(r"\\[A-Za-z]+|\\.")


def _title_key(raw_title: str) -> str:
    """A comparison key for titles: LaTeX commands dropped (an accent command's letter
    stays: Schr{\\"o}der -> schroder), accents and case folded, punctuation ignored.
    Cheaper than decoding every title, and equal for the same title however written."""
    return " ".join(re.findall(r"\w+", fold(_COMMAND.sub("", raw_title))))


@rule(
    "duplicate-title",
    "duplicates",
    "warning",
    "Two entries have the same title (after folding case, accents and punctuation).",
    library=True,
)
def _duplicate_title(entries: list[Entry], ctx: Context) -> Iterator[Issue]:
    seen: dict[str, Entry] = {}
    for e in entries:
        t = _title_key(e.get("title") or "")
        if not t:
            continue
        if t in seen:
            o = seen[t]
            yield Issue(
                f"same title as {o.key} (line {o.line}); the same work twice?", "title", key=e.key
            )
        else:
            seen[t] = e


@rule(
    "similar-title",
    "duplicates",
    "info",
    "Two entries have nearly the same title (fuzzy, >= 92 %); blocked by title prefix.",
    library=True,
)
def _similar_title(entries: list[Entry], ctx: Context) -> Iterator[Issue]:
    from rapidfuzz import fuzz

    # blocking: only titles sharing their first two significant words are compared, so
    # the rule is far from quadratic on large files
    blocks: dict[str, list[tuple[str, Entry]]] = defaultdict(list)
    for e in entries:
        t = _title_key(e.get("title") or "")
        words = [w for w in t.split() if w not in _STOP]
        if len(words) >= 2:
            blocks[" ".join(words[:2])].append((t, e))
    for members in blocks.values():
        if len(members) < 2 or len(members) > 200:
            continue
        for i, (ta, a) in enumerate(members):
            for tb, b in members[i + 1 :]:
                if ta != tb and fuzz.ratio(ta, tb) >= 92:
                    yield Issue(
                        f"title nearly the same as {a.key} (line {a.line})", "title", key=b.key
                    )


_STOP = {"a", "an", "the", "of", "on", "in", "and", "to", "for", "with", "is", "at", "by"}
_ACRONYM = re.compile(r"\b[A-Z][A-Z0-9]*[A-Z][A-Z0-9]*(?:-[A-Z]+)?\b")


def _unbraced_spans(value: str) -> Iterator[tuple[int, int]]:
    """(start, end) of the stretches of ``value`` at brace depth 0."""
    depth = 0
    start = 0
    for i, ch in enumerate(value):
        if ch == "{":
            if depth == 0 and i > start:
                yield start, i
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                start = i + 1
    if depth == 0 and start < len(value):
        yield start, len(value)


def _protect(value: str, words: Iterable[str]) -> str:
    """Wrap each unprotected occurrence of ``words`` in braces."""
    wanted = set(words)
    out = []
    pos = 0
    for start, end in _unbraced_spans(value):
        out.append(value[pos:start])
        chunk = value[start:end]
        out.append(
            re.sub(
                r"(?<![\\\w])[\w'’-]+",
                lambda m: "{" + m.group(0) + "}" if m.group(0) in wanted else m.group(0),
                chunk,
            )
        )
        pos = end
    out.append(value[pos:])
    return "".join(out)


@rule(
    "unprotected-acronym",
    "titles",
    "warning",
    "An acronym in the title (TTP, CPEC) is not in braces; styles would lower-case it.",
    fixable=True,
)
def _acronyms(entry: Entry, ctx: Context) -> Iterator[Issue]:
    title = entry.get("title") or ""
    if "\\" in title:
        return
    found = []
    for start, end in _unbraced_spans(title):
        found += [
            m.group(0)
            for m in _ACRONYM.finditer(title[start:end])
            if len(m.group(0).replace("-", "")) >= 2
        ]
    if found:
        words = sorted(set(found), key=found.index)
        yield Issue(
            f"unprotected acronym(s) in title: {', '.join(words)}",
            "title",
            ("title", _protect(title, words)),
        )


@rule(
    "unprotected-proper-noun",
    "titles",
    "info",
    "A proper noun in the title is not in braces (a known place or people, or a word the "
    "file protects in a sentence-case title and never writes in lower case); sentence-case "
    "styles would lower-case it.",
)
def _proper_nouns(entry: Entry, ctx: Context) -> Iterator[Issue]:
    title = entry.get("title") or ""
    if "\\" in title:
        return
    known = PROPER_NOUNS | ctx.protected_words
    found = []
    for start, end in _unbraced_spans(title):
        for m in re.finditer(r"(?<![\w'’])[A-Z][a-z]+(?:'s)?\b", title[start:end]):
            word = m.group(0)
            if fold(word.removesuffix("'s")) in known and not _SENTENCE_START.search(
                title, 0, start + m.start()
            ):
                found.append(word)
    if found:
        yield Issue(
            f"unprotected proper noun(s) in title: {', '.join(dict.fromkeys(found))}", "title"
        )


# where a sentence (or a title's part) starts: its first word is capitalised anyway
_SENTENCE_START = re.compile(r"(?:^\W*|[:.?!]\W*\s+\W*|\s-{1,3}\s+\W*|—\s*)\Z")
# short words a sentence-case title also writes in lower case: they say nothing about it
_FUNCTION_WORDS = _STOP | {
    "from",
    "into",
    "onto",
    "over",
    "under",
    "between",
    "versus",
    "via",
    "van",
    "der",
    "de",
    "von",
    "within",
    "without",
    "through",
    "using",
    "per",
    "vs",
    "et",
    "al",
    "its",
    "their",
    "as",
    "or",
    "nor",
    "but",
    "du",
    "la",
    "le",
    "den",
    "del",
    "della",
    "di",
    "da",
    "dos",
    "das",
}


def _is_sentence_case(title: str) -> bool:
    """True when the title is written in sentence case, so that its braces protect chosen
    words (proper nouns) rather than every capitalised word (Zotero/Better BibTeX braces
    each word of a title-case title: "{{Nanowire}} {{Growth}}")."""
    lower = upper = 0
    braced = sum(
        len(re.findall(r"\b[A-Z][a-z]+\b", m.group(1)))
        for m in re.finditer(r"\{+([^{}]*)\}+", title)
    )
    for start, end in _unbraced_spans(title):
        for m in re.finditer(
            r"(?<![\\\w'’-])([A-Za-z][a-z]*[A-Za-z])(?![\w'’-])", title[start:end]
        ):
            word = m.group(1)
            if (
                len(word) < 3
                or word.lower() in _FUNCTION_WORDS
                or _SENTENCE_START.search(title, 0, start + m.start())
            ):
                continue
            if word[0].islower():
                lower += 1
            elif not word.isupper():
                upper += 1
    return lower >= 2 and lower >= 2 * upper and lower >= braced


def _lone_braced_words(title: str) -> set[str]:
    """Capitalised words braced alone, not first in the title, and not in a run of braced
    words ("({Current} {Source} {Density})" protects a term, not three proper nouns)."""
    found = list(re.finditer(r"\{+([A-Z][a-z]+)\}+", title))
    out = set()
    for i, m in enumerate(found):
        joined_before = i > 0 and not title[found[i - 1].end() : m.start()].strip(" -")
        joined_after = i + 1 < len(found) and not title[m.end() : found[i + 1].start()].strip(" -")
        if not (joined_before or joined_after or _SENTENCE_START.search(title, 0, m.start())):
            out.add(fold(m.group(1)))
    return out


def protected_words(entries: Iterable[Entry]) -> set[str]:
    """Proper nouns the file itself shows: words braced inside a sentence-case title (not
    as its first word), that no title, abstract or keyword list writes in lower case."""
    braced: set[str] = set()
    lower: set[str] = set()
    for e in entries:
        title = e.get("title") or ""
        if "{" in title and _is_sentence_case(title):
            braced |= _lone_braced_words(title)
    if not braced:
        return braced
    for e in entries:
        for name in ("title", "subtitle", "booktitle", "abstract", "keywords", "note"):
            value = e.get(name) or ""
            for start, end in _unbraced_spans(value):
                lower.update(re.findall(r"(?<![\\\w])[a-z][a-z'’]*[a-z]\b", value[start:end]))
    return {w for w in braced if w not in lower}


# -- URLs -------------------------------------------------------------------------------


@rule("url-syntax", "url", "error", "The URL is not a well-formed http(s) URL.")
def _url_syntax(entry: Entry, ctx: Context) -> Iterator[Issue]:
    url = (entry.get("url") or "").strip()
    problem = url_form_error(url) if url and not re.search(r"\s", url) else None
    if problem:  # white space is url-split's, braces and backslashes url-latex's
        yield Issue(problem, "url")


@rule(
    "url-split",
    "url",
    "error",
    "The URL contains white space: split over two lines when it was copied.",
)
def _url_split(entry: Entry, ctx: Context) -> Iterator[Issue]:
    url = (entry.get("url") or "").strip()
    if re.search(r"\s", url):
        joined = re.sub(r"\s+", "", url)
        yield Issue(
            f"URL split by white space (joined it would be {joined!r}); check the original", "url"
        )


@rule(
    "url-latex",
    "url",
    "error",
    "The URL contains LaTeX escapes (\\_ \\% \\&) or braces, which are not part of it.",
)
def _url_latex(entry: Entry, ctx: Context) -> Iterator[Issue]:
    url = entry.get("url") or ""
    if re.search(r"\\[_%&#~$]|[{}]|\\url", url):
        yield Issue(f"LaTeX escape or brace in URL: {url!r}", "url")


@rule(
    "url-trailing",
    "url",
    "warning",
    "The URL ends with punctuation ('.', ',', ';', ')' or '}') picked up from the text.",
    fixable=True,
)
def _url_trailing(entry: Entry, ctx: Context) -> Iterator[Issue]:
    url = (entry.get("url") or "").strip()
    fixed = url
    while fixed and (fixed[-1] in ".,;:}" or (fixed[-1] == ")" and "(" not in fixed)):
        fixed = fixed[:-1]
    if fixed != url:
        yield Issue(f"URL ends with punctuation: {url!r}", "url", ("url", fixed))


@rule(
    "url-hyphenation",
    "url",
    "warning",
    "A hyphen in the URL looks like a line-break hyphenation ('pakist-an'): joined, the "
    "word appears in the entry's title while the hyphenated form does not.",
    fixable=True,
)
def _url_hyphenation(entry: Entry, ctx: Context) -> Iterator[Issue]:
    url = (entry.get("url") or "").strip()
    candidates = list(re.finditer(r"(?<=[/\-_])([a-z]+)-([a-z]+)(?=[-/_.]|$)", url))
    if not candidates:
        return
    title_words = set(_title_key(entry.get("title") or "").split())
    fixed = url
    suspects = []
    for m in candidates:
        left, right = m.group(1), m.group(2)
        joined = left + right
        if (
            joined in title_words
            and left not in title_words
            and right not in title_words
            and len(left) >= 2
        ):
            suspects.append(f"{left}-{right}")
            fixed = fixed.replace(m.group(0), joined)
    if suspects:
        unique = len(suspects) == 1
        yield Issue(
            f"hyphenation artefact in URL: {', '.join(suspects)!s} "
            f"(the title has {', '.join(s.replace('-', '') for s in suspects)})",
            "url",
            ("url", fixed) if unique else None,
        )


# -- pages, years, volumes ----------------------------------------------------------------

_PAGES = re.compile(r"^\s*([A-Za-z]?\d+)\s*(-{1,3}|–|—)\s*([A-Za-z]?\d+)\s*$")


@rule(
    "pages-dash",
    "pages",
    "warning",
    "A page range is written with a single hyphen or a Unicode dash; BibTeX wants '--'.",
    fixable=True,
)
def _pages_dash(entry: Entry, ctx: Context) -> Iterator[Issue]:
    pages = entry.get("pages") or ""
    m = _PAGES.match(pages)
    if m and m.group(2) != "--":
        yield Issue(
            f"page range {pages!r} should use '--'",
            "pages",
            ("pages", f"{m.group(1)}--{m.group(3)}"),
        )


@rule("pages-reversed", "pages", "error", "A page range ends before it starts.")
def _pages_reversed(entry: Entry, ctx: Context) -> Iterator[Issue]:
    m = _PAGES.match(entry.get("pages") or "")
    # "1059--67" abbreviates the end (pandoc expands it); only a real reversal is an error
    if (
        m
        and m.group(1).isdigit()
        and m.group(3).isdigit()
        and int(m.group(1)) > int(m.group(3))
        and len(m.group(3)) >= len(m.group(1))
    ):
        yield Issue(f"page range {entry['pages']!r} is reversed", "pages")


@rule("year-format", "dates", "error", "The year is not a four-digit year.")
def _year_format(entry: Entry, ctx: Context) -> Iterator[Issue]:
    # as printed: {\noopsort{1973b}}1973 is the year 1973 (the sorting trick prints nothing)
    year = to_text(entry.get("year") or "").strip()
    if year and not re.fullmatch(r"\d{4}", year):
        yield Issue(f"year {year!r} is not a four-digit year", "year")


@rule("year-future", "dates", "error", "The year (or date) lies in the future.")
def _year_future(entry: Entry, ctx: Context) -> Iterator[Issue]:
    if entry.year and entry.year > ctx.today.year:
        yield Issue(f"year {entry.year} is in the future", "year" if entry.get("year") else "date")


@rule("year-date-mismatch", "dates", "warning", "The year and date fields disagree.")
def _year_date(entry: Entry, ctx: Context) -> Iterator[Issue]:
    year, date = (entry.get("year") or "").strip(), (entry.get("date") or "").strip()
    if year and date and not date.startswith(year):
        yield Issue(f"year {year} but date {date}", "date")


@rule(
    "volume-number-swap",
    "numbers",
    "warning",
    "An article's volume is much smaller than its number (as in '1(98)'): probably swapped.",
)
def _volume_number(entry: Entry, ctx: Context) -> Iterator[Issue]:
    if entry.type != "article":
        return
    vol, num = (entry.get("volume") or "").strip(), (entry.get("number") or "").strip()
    if vol.isdigit() and num.isdigit() and int(num) > 12 and int(vol) <= 12 and int(vol) < int(num):
        yield Issue(f"volume {vol}, number {num}: volume and number swapped?", "volume")


# -- characters, names --------------------------------------------------------------------


@rule(
    "bare-special",
    "encoding",
    "warning",
    "A bare % or & in a text field: LaTeX and pandoc read % as the start of a comment "
    "(the rest of the line is lost) and & as an error; write \\% and \\&.",
    fixable=True,
)
def _bare_special(entry: Entry, ctx: Context) -> Iterator[Issue]:
    from .latex import BARE_SPECIAL
    from .plaintext import VERBATIM_FIELDS

    for name, value in entry.fields.items():
        if name in VERBATIM_FIELDS or not BARE_SPECIAL.search(value):
            continue
        found = sorted({m.group(2) for m in BARE_SPECIAL.finditer(value)})
        escaped = " and ".join("\\" + c for c in found)
        raw = entry.raw(name) or ""
        fix = None if "#" in raw else (name, BARE_SPECIAL.sub(r"\1\\\2", value))
        yield Issue(
            f"bare {' and '.join(found)} in {name}: LaTeX and pandoc do not read it "
            f"as text (write {escaped})",
            name,
            fix,
        )


@rule(
    "non-ascii",
    "encoding",
    "info",
    "A character outside Latin-1 that 8-bit BibTeX cannot sort or case-change (use a LaTeX "
    "escape, or biber).",
)
def _non_ascii(entry: Entry, ctx: Context) -> Iterator[Issue]:
    for name in ("author", "editor", "title"):
        value = entry.get(name) or ""
        odd = sorted({c for c in value if ord(c) > 255})
        if odd:
            yield Issue(f"{name} has characters 8-bit BibTeX cannot handle: {''.join(odd)}", name)


# as refbook.output.visible: C0 (CR LF is a line end), DEL, C1, bidirectional overrides
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]|\r(?!\n)")
_MAYBE_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")  # fast


@rule(
    "control-character",
    "encoding",
    "warning",
    "A key or field holds a control character (a terminal escape sequence, a bell, a "
    "bidirectional override): invisible in print, and a bibliography from someone else "
    "may use it on a terminal.",
)
def _control_character(entry: Entry, ctx: Context) -> Iterator[Issue]:
    def named(value: str) -> str:  # U+001B, never the character itself
        return " ".join(f"U+{ord(c):04X}" for c in sorted(set(_CONTROL.findall(value))))

    if _MAYBE_CONTROL.search(entry.source) is None:  # the usual case: one quick scan
        return
    if _CONTROL.search(entry.key):
        yield Issue(f"the key holds control characters: {named(entry.key)}")
    for name, value in entry.fields.items():
        if _CONTROL.search(value):
            yield Issue(f"{name} holds control characters: {named(value)}", name)


@rule(
    "author-spelling",
    "authors",
    "warning",
    "The same author seems spelled two ways across entries: family names a letter or two "
    "apart (not one the start of the other, as Martin/Martinez), the same initials, and a "
    "co-author or venue in common.",
    library=True,
)
def _author_spelling(entries: list[Entry], ctx: Context) -> Iterator[Issue]:
    from rapidfuzz import fuzz

    # names are compared in a cheap folded form (no LaTeX decoding of every name)
    people: dict[tuple[str, str], dict[str, list[tuple[str, Entry, set[str]]]]] = defaultdict(
        lambda: defaultdict(list)
    )
    for e in entries:
        names = [
            n for value in (e.get("author"), e.get("editor")) if value for n in _folded_names(value)
        ]
        for family, initials in dict.fromkeys(names):
            others = {f for f, _ in names if f != family}
            people[(initials[:1], family[:3])][family].append((initials, e, others))
    for forms in people.values():
        if len(forms) < 2:
            continue
        names = sorted(forms)
        for i, a in enumerate(names):
            for b in names[i + 1 :]:
                short = len(a) <= 6 and len(b) <= 6  # one letter changed in a short
                if (
                    b.startswith(a) or a.startswith(b) or fuzz.ratio(a, b) < (85 if short else 80)
                ):  # name: another name
                    continue  # Martin/Martinez, Wan/Wang: two names, not one misspelled
                if min(len(forms[a]), len(forms[b])) >= 3:
                    continue  # both well attested (Chen and Cheung): two people
                pair = _same_person(forms[a], forms[b])
                if pair is None:
                    continue
                ea, eb = pair
                da = next(
                    (p.family for p in ea.authors + ea.editors if _family_key(p.family) == a), a
                )
                db = next(
                    (p.family for p in eb.authors + eb.editors if _family_key(p.family) == b), b
                )
                yield Issue(
                    f"author {db!r} ({eb.key}) and {da!r} ({ea.key}): same initials and "
                    "a co-author or venue in common; one person spelled two ways?",
                    "author",
                    key=eb.key,
                )


@lru_cache(maxsize=65536)
def _family_key(name: str) -> str:
    """A family name as plain folded letters (Gani{\\`e}re, Kratochv{\\'\\i}l: ganiere,
    kratochvil)."""
    if "\\" in name or "{" in name:
        from .latex import to_text

        name = to_text(name)
    return "".join(re.findall(r"[^\W\d_]+", fold(name).translate(_LETTERS)))


# letters fold() keeps that are a plain letter with a stroke or another spelling
_LETTERS = str.maketrans(
    {"ł": "l", "ø": "o", "ı": "i", "đ": "d", "ß": "ss", "æ": "ae", "œ": "oe", "þ": "th", "ð": "d"}
)


@lru_cache(maxsize=65536)
def _folded_names(value: str) -> tuple[tuple[str, str], ...]:
    """(family, initials) of each name of a BibTeX name list, folded; corporate names
    (in braces) and "others" left out."""
    from .model import parse_names

    out = []
    for person in parse_names(value):
        if person.literal or any(c.isdigit() for c in person.last):
            continue  # a corporate name; Barker1, Barker2: numbered test names
        family = _family_key(person.last)  # particles are not spelling (van/van der)
        initials = "".join(w[:1] for w in re.findall(r"\w+", fold(person.first.replace("-", " "))))
        if family and initials:
            out.append((family, initials))
    return tuple(out)


def _venue(e: Entry) -> str:
    return _title_key(e.get("journal") or e.get("journaltitle") or e.get("booktitle") or "")


def _same_person(
    a: list[tuple[str, Entry, set[str]]], b: list[tuple[str, Entry, set[str]]]
) -> tuple[Entry, Entry] | None:
    """Two entries, one with each spelling, whose people have compatible initials (J. and
    J. M.) and share a co-author or a venue; None when no such pair exists."""
    if {id(e) for _, e, _ in a} & {id(e) for _, e, _ in b}:
        return None  # both in one author list: two people
    for ia, ea, oa in a:
        for ib, eb, ob in b:
            if (ia.startswith(ib) or ib.startswith(ia)) and oa & ob:
                return ea, eb
    return None


# -- running ------------------------------------------------------------------------------


def select_rules(select: Iterable[str] = (), ignore: Iterable[str] = ()) -> list[Rule]:
    """Rules chosen by id or family; unknown names are a ``UsageError``."""
    from .errors import UsageError

    names = {r.id for r in RULES.values()} | {r.family for r in RULES.values()}
    for n in [*select, *ignore]:
        if n not in names:
            raise UsageError(
                f"error: unknown lint rule or family {n!r} (see `refbook lint --list-rules`)"
            )
    chosen = [r for r in RULES.values() if not select or r.id in select or r.family in select]
    return [r for r in chosen if r.id not in ignore and r.family not in ignore]


_IGNORE = re.compile(r"%\s*refbook:\s*ignore\[([^\]]*)\]")


def suppressions(bib) -> dict[str, set[str]]:
    """``% refbook: ignore[rule, ...]`` in the comment lines right above each entry."""
    out: dict[str, set[str]] = {}
    prev = None
    for blk in bib.blocks:
        if blk.kind == "entry" and prev is not None and prev.kind == "text":
            text = bib.block_text(prev)
            tail = text.rstrip().splitlines()
            ids: set[str] = set()
            for line in reversed(tail):
                if not line.lstrip().startswith("%"):
                    break
                for m in _IGNORE.finditer(line):
                    ids |= {x.strip() for x in m.group(1).split(",") if x.strip()}
            if ids:
                out[blk.key] = ids
        prev = blk
    return out


def _position(entry: Entry, field_name: str | None) -> tuple[int, int | None]:
    """Line and column of a field's value in the file (or of the entry)."""
    if not field_name or entry.raw(field_name) is None:
        return entry.line, None
    line = entry.field_line(field_name)
    lines = re.split(r"\r\n|\r|\n", entry.source)  # every line ending, CR included
    index = line - entry.line
    if 0 <= index < len(lines):
        m = re.search(rf"(?i)\b{re.escape(field_name)}\s*=\s*", lines[index])
        if m:
            return line, m.end() + 1
    return line, None


@dataclass
class LintResult:
    findings: list[Finding]
    fixes: list[tuple[str, str, str]]  # (key, field, new value)


def lint(lib, rules: list[Rule] | None = None, *, today: _dt.date | None = None) -> LintResult:
    """Run the rules over a ``Library``; parse problems come first as ``syntax`` findings."""
    rules = list(RULES.values()) if rules is None else rules
    ctx = Context(today=today or _dt.date.today())
    entries = list(lib)
    if any(r.id == "unprotected-proper-noun" for r in rules):
        ctx.protected_words = protected_words(entries)
    skip = suppressions(lib.bib)
    # parse problems that a rule reports (duplicate-string, duplicate-field) follow that
    # rule's selection and suppressions
    findings: list[Finding] = [p for p in lib.problems if p.rule not in RULES]
    fixes: list[tuple[str, str, str]] = []
    by_key = {e.key: e for e in entries}
    for r in rules:
        if r.check_file is not None:
            findings += [
                Finding(lib.path, i.line, r.severity, r.id, i.message, i.key)
                for i in r.check_file(lib.bib, ctx)
            ]
            continue
        if r.check_all is not None:
            produced = ((by_key[i.key], i) for i in r.check_all(entries, ctx))
        else:
            produced = ((e, i) for e in entries for i in r.check(e, ctx))
        for e, issue in produced:
            if r.id in skip.get(e.key, ()) or r.family in skip.get(e.key, ()):
                continue
            if issue.field and e.raw(issue.field) is None and e.inherited_from(issue.field):
                continue  # a crossref/xdata parent's field: reported (and fixed) there
            line, col = (issue.line, None) if issue.line else _position(e, issue.field)
            findings.append(Finding(lib.path, line, r.severity, r.id, issue.message, e.key, col))
            if issue.fix is not None and not e.duplicate_fields() and _editable(e):
                fixes.append((e.key, *issue.fix))  # (not in an entry that waits for a hand fix)
    findings.sort(key=lambda f: (f.line or 0, f.column or 0, f.rule))
    return LintResult(findings, fixes)


def _editable(entry: Entry) -> bool:
    """True when the store can edit the entry's text field by field (not when refbook's
    field scanner cannot split it: a fix there would fail; the finding stays)."""
    from .bibtex import BibSyntaxError, scan_entry

    try:
        scan_entry(entry.source)
    except BibSyntaxError:
        return False
    return True


def apply_fixes(bib, fixes: list[tuple[str, str, str]]) -> int:
    """Apply safe fixes to a ``BibFile`` (several fixes of one field: the last one wins,
    after the others, so acronym braces and a dash fix combine)."""
    done = 0
    for key, field_name, value in fixes:
        bib.set_field(key, field_name, value)
        done += 1
    return done
