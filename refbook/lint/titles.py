"""Lint rules about titles: the same or nearly the same title twice, acronyms and proper
nouns a sentence-case style would lower-case (``protected_words``: those the file itself
protects)."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Iterator

from ..model import Entry, fold
from ..titles import STOP_WORDS, significant_words, title_key
from .registry import Context, Issue, rule


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
        t = title_key(e.get("title") or "")
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
        t = title_key(e.get("title") or "")
        words = significant_words(t)
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
