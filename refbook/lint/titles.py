"""Lint rules about titles: the same or nearly the same title twice, acronyms and proper
nouns a sentence-case style would lower-case (``protected_words``: those the file itself
protects)."""

from __future__ import annotations

import re
from array import array
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from ..model import Entry, fold
from ..titles import STOP_WORDS, significant_words, title_key
from .library import Flag, LibraryPass, SameValuePass
from .registry import Context, Issue, rule


@rule(
    "duplicate-title",
    "duplicates",
    "warning",
    "Two entries have the same title (after folding case, accents and punctuation).",
    library=True,
)
class _DuplicateTitle(SameValuePass):
    field = "title"

    def value(self, entry: Entry) -> str | None:
        return _title_key(entry) or None

    def message(self, flagged: Any, other: Any) -> str:
        return f"same title as {other.key} (line {other.line}); the same work twice?"


@rule(
    "similar-title",
    "duplicates",
    "info",
    "Two entries have nearly the same title (fuzzy, >= 92 %); blocked by title prefix.",
    library=True,
)
class _SimilarTitle(LibraryPass):
    field = "title"

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        # blocking: only titles sharing their first two significant words are compared,
        # so the rule is far from quadratic on large files; each block: the places of its
        # entries and their titles (one string per distinct title)
        self.blocks: dict[str, tuple[array[int], list[str]]] = {}
        self.titles: dict[str, str] = {}

    def see(self, at: int, entry: Entry) -> None:
        t = _title_key(entry)
        words = significant_words(t)
        if len(words) >= 2:
            places, titles = self.blocks.setdefault(" ".join(words[:2]), (array("q"), []))
            places.append(at)
            titles.append(self.titles.setdefault(t, t))

    def flags(self, entry_at: Callable[[int], Any]) -> Iterator[Flag]:
        from rapidfuzz import fuzz

        for places, titles in self.blocks.values():
            if len(places) < 2 or len(places) > 200:
                continue
            for i, ta in enumerate(titles):
                for j in range(i + 1, len(titles)):
                    tb = titles[j]
                    if ta != tb and fuzz.ratio(ta, tb) >= 92:
                        yield Flag(places[j], places[i])

    def message(self, flagged: Any, other: Any) -> str:
        return f"title nearly the same as {other.key} (line {other.line})"


# the last title's key (both title rules see each entry in turn: computed once)
_LAST = ["", ""]


def _title_key(entry: Entry) -> str:
    raw = entry.get("title") or ""
    if raw != _LAST[0]:
        _LAST[:] = [raw, title_key(raw)]
    return _LAST[1]


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


_ACRONYM = re.compile(r"\b[A-Z][A-Z0-9]*[A-Z][A-Z0-9]*(?:-[A-Z]+)?\b")


_BRACE = re.compile(r"[{}]")


def _unbraced_spans(value: str) -> Iterator[tuple[int, int]]:
    """(start, end) of the stretches of ``value`` at brace depth 0."""
    if "{" not in value and "}" not in value:  # the usual case: all of it
        if value:
            yield 0, len(value)
        return
    depth = 0
    start = 0
    for m in _BRACE.finditer(value):  # (the braces alone: the rest does not count)
        i, ch = m.start(), m.group()
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
_FUNCTION_WORDS = STOP_WORDS | {
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
    words = ProtectedWords()
    for e in entries:
        words.see(e)
    return words.found()


class ProtectedWords:
    """``protected_words`` as the runner's first pass makes it: ``see`` each entry (the
    words its title braces, the lower-case words of its ``WORD_FIELDS``), then ``found``
    (in the same pass: a pass of its own read every entry again)."""

    def __init__(self) -> None:
        self.braced: set[str] = set()
        self.lower: set[str] = set()

    def see(self, e: Entry) -> None:
        title = e.get("title") or ""
        if "{" in title and _is_sentence_case(title):
            self.braced |= _lone_braced_words(title)
        lower = self.lower
        for name in WORD_FIELDS:
            value = e.get(name) or ""
            for start, end in _unbraced_spans(value):
                lower.update(_LOWER_WORD.findall(value, start, end))

    def found(self) -> set[str]:
        """The braced words no entry seen writes in lower case."""
        return {w for w in self.braced if w not in self.lower}


# the fields whose lower-case words unprotect a braced word (``ProtectedWords``)
WORD_FIELDS = ("title", "subtitle", "booktitle", "abstract", "keywords", "note")
_LOWER_WORD = re.compile(r"(?<![\\\w])[a-z][a-z'’]*[a-z]\b")
