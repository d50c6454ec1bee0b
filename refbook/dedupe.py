"""Likely duplicates, with the evidence and a confidence.

"Same work": the same DOI, or the same title, year and first author; all copies of a work
are one group.  "Similar title": the same title otherwise (one group), or a title at least
92 % similar (pairs; compared only among distinct titles, within blocks of titles that
share their first two significant words, so neither quadratic nor multiplied by copies)
-- shown, never merged automatically.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, NamedTuple

from .model import Entry, fold, normalize_doi
from .titles import significant_words, title_key

if TYPE_CHECKING:
    from .store import BibFile

SAME_WORK, SIMILAR = "same work", "similar title"


@dataclass
class Duplicate:
    keys: tuple[str, ...]  # two or more: a group of copies
    kind: str
    confidence: int
    evidence: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {
            "keys": list(self.keys),
            "kind": self.kind,
            "confidence": self.confidence,
            "evidence": self.evidence,
        }


def _first_author(e: Entry) -> str:
    people = e.authors or e.editors
    return fold(people[0].family) if people else ""


def compare(a: Entry, b: Entry) -> Duplicate | None:
    """Evidence that ``a`` and ``b`` are the same work (or None)."""
    from rapidfuzz import fuzz

    evidence: list[str] = []
    if a.get("doi") and b.get("doi") and normalize_doi(a["doi"]) == normalize_doi(b["doi"]):
        return Duplicate((a.key, b.key), SAME_WORK, 100, [f"same DOI {normalize_doi(a['doi'])}"])
    ta, tb = title_key(a.get("title") or ""), title_key(b.get("title") or "")
    if not ta or not tb:
        return None
    same_year = a.year is not None and a.year == b.year
    same_author = bool(_first_author(a)) and _first_author(a) == _first_author(b)
    if ta == tb:
        evidence.append("same title")
        if same_year:
            evidence.append(f"same year {a.year}")
        if same_author:
            evidence.append("same first author")
        if same_year and same_author:
            return Duplicate((a.key, b.key), SAME_WORK, 95, evidence)
        return Duplicate((a.key, b.key), SIMILAR, 90 if same_year else 80, evidence)
    score = fuzz.ratio(ta, tb)
    if score >= 92:
        evidence.append(f"title {score:.0f} % similar")
        if same_year:
            evidence.append(f"same year {a.year}")
        if same_author:
            evidence.append("same first author")
        kind = SAME_WORK if same_year and same_author and score >= 97 else SIMILAR
        return Duplicate(
            (a.key, b.key), kind, int(score * (0.95 if kind == SAME_WORK else 0.85)), evidence
        )
    return None


# a block of distinct titles compared pair by pair holds at most this many; a larger one is
# split by one more significant word, and titles that still share every word they have are
# compared with their neighbours in sorted order only
BLOCK_MAX = 256
WINDOW = 32


def find_duplicates(entries: Sequence[Entry]) -> list[Duplicate]:
    """Likely duplicates across a library, most certain first.

    Copies of one work are one group, whatever their number: entries sharing a DOI, or a
    title, year and first author, are joined (transitively) into a "same work" group
    listing every key, in file order.  Works (one key each: the group's first) that share
    a title otherwise are one "similar title" group; near-identical titles (>= 92 %) are
    pairs, compared only among distinct titles within blocks of at most ``BLOCK_MAX``.
    So the work is bounded by the number of distinct titles, not by how many copies a file
    holds (10 copies of every entry: 45 pairs per work before, one group now)."""
    facts = [_facts_of(e) for e in entries]
    groups = _groups(facts)
    out: list[Duplicate] = []
    for members in groups.values():
        if len(members) > 1:
            out.append(
                _same_work(
                    [entries[i].key for i in members],
                    [facts[i].doi for i in members],
                    [facts[i].signature for i in members],
                )
            )
    # works, by title: one representative each (the first of its group)
    works_by_title: dict[str, list[int]] = defaultdict(list)
    for first in groups:
        if facts[first].title_key:
            works_by_title[facts[first].title_key].append(first)
    for works in works_by_title.values():
        if len(works) > 1:
            out.append(
                _same_title(
                    [entries[i] for i in works],
                    [facts[i].year for i in works],
                    [facts[i].author for i in works],
                )
            )
    out += _near_titles(entries, facts, works_by_title)
    out.sort(key=lambda d: (-d.confidence, d.keys))
    return out


class _Facts(NamedTuple):
    """What grouping needs of one entry, read once."""

    title_key: str
    year: int | None  # None without a title: it is not compared
    author: str  # the first author's folded family name ("" without a title)
    doi: str  # normalised, or ""
    signature: tuple[str, int, str] | None  # (title key, year, author): one work


def _facts_of(e: Entry) -> _Facts:
    doi = normalize_doi(e.get("doi") or "")
    tk = _cached_title_key(e.get("title") or "")
    year = e.year if tk else None
    person = (e.get("author") or e.get("editor") or "") if tk else ""
    author = _cached_first_author(person) if person else ""
    signature = (tk, year, author) if tk and year is not None and author else None
    e._reset()  # its decoded values are not needed again: ~2 KB an entry at 100k
    return _Facts(tk, year, author, doi, signature)


def _groups(facts: list[_Facts]) -> dict[int, list[int]]:
    """Entries joined (transitively) by a shared DOI or signature: first index -> the
    indexes of its group, in file order (union-find)."""
    parent = list(range(len(facts)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def join(i: int, j: int) -> None:
        a, b = root(i), root(j)
        if a != b:
            parent[max(a, b)] = min(a, b)  # the first in file order stays the root

    by_doi: dict[str, int] = {}
    by_work: dict[tuple[str, int, str], int] = {}
    for i, f in enumerate(facts):
        if f.doi:
            join(i, by_doi.setdefault(f.doi, i))
        if f.signature is not None:
            join(i, by_work.setdefault(f.signature, i))
    groups: dict[int, list[int]] = defaultdict(list)
    for i in range(len(facts)):
        groups[root(i)].append(i)
    return groups


def _near_titles(
    entries: Sequence[Entry], facts: list[_Facts], works_by_title: dict[str, list[int]]
) -> Iterator[Duplicate]:
    """Works whose titles are near-identical (``_similar_titles``), compared pairwise."""
    for ta, tb in _similar_titles(list(works_by_title)):
        # the works of the two titles with the same year and first author (the likely
        # same work); else the first of each, as the link between the two titles
        theirs: dict[tuple[int | None, str], int] = {}
        for j in works_by_title[tb]:
            theirs.setdefault((facts[j].year, facts[j].author), j)
        pairs = [
            (i, theirs[(facts[i].year, facts[i].author)])
            for i in works_by_title[ta]
            if (facts[i].year, facts[i].author) in theirs
        ]
        for i, j in pairs or [(works_by_title[ta][0], works_by_title[tb][0])]:
            found = compare(entries[i], entries[j])
            if found is not None:
                yield found


def _same_work(
    keys: list[str], dois: list[str], signatures: list[tuple[str, int, str] | None]
) -> Duplicate:
    """One group of copies of a work, with what joined them."""
    from collections import Counter

    evidence = []
    shared_doi = dois[0] if dois[0] and len(set(dois)) == 1 else ""
    if any(count > 1 for d, count in Counter(dois).items() if d):
        evidence.append(f"same DOI {shared_doi}" if shared_doi else "same DOI")
    if any(count > 1 for sig, count in Counter(signatures).items() if sig):
        if signatures[0] and len(set(signatures)) == 1:
            evidence += ["same title", f"same year {signatures[0][1]}", "same first author"]
        else:
            evidence.append("same title, year and first author")
    return Duplicate(tuple(keys), SAME_WORK, 100 if shared_doi else 95, evidence)


def _same_title(works: list[Entry], years: list[int | None], authors: list[str]) -> Duplicate:
    evidence = ["same title"]
    same_year = years[0] is not None and all(y == years[0] for y in years)
    if same_year:
        evidence.append(f"same year {years[0]}")
    if authors[0] and all(a == authors[0] for a in authors):
        evidence.append("same first author")
    return Duplicate(tuple(e.key for e in works), SIMILAR, 90 if same_year else 80, evidence)


def _similar_titles(titles: list[str]) -> Iterator[tuple[str, str]]:
    """Pairs of distinct title keys at least 92 % similar, compared within blocks of titles
    that share their first two significant words (more for a large block)."""
    blocks: dict[str, list[str]] = defaultdict(list)
    for t in titles:
        words = significant_words(t)
        if words:
            blocks[" ".join(words[:2])].append(t)
    todo = [(block, 2) for block in blocks.values() if len(block) > 1]
    while todo:
        block, depth = todo.pop()
        if len(block) <= BLOCK_MAX:
            yield from _pairs_above(block, block)
            continue
        finer: dict[str, list[str]] = defaultdict(list)
        for t in block:
            finer[" ".join(significant_words(t)[: depth + 1])].append(t)
        if len(finer) == 1:  # no word left to tell them apart: neighbours in sorted order
            ordered = sorted(block)
            for i in range(0, len(ordered), WINDOW):
                yield from _pairs_above(ordered[i : i + WINDOW], ordered[i : i + 2 * WINDOW])
            continue
        todo += [(sub, depth + 1) for sub in finer.values() if len(sub) > 1]


def _pairs_above(rows: list[str], cols: list[str]) -> Iterator[tuple[str, str]]:
    """(rows[i], cols[j]) for j > i with fuzz.ratio >= 92 (rapidfuzz, in C); ``rows`` is
    the beginning of ``cols``."""
    from rapidfuzz import fuzz, process

    for i, a in enumerate(rows):
        later = cols[i + 1 :]
        for b, _score, _j in process.extract(
            a, later, scorer=fuzz.ratio, score_cutoff=92, limit=None
        ):
            yield a, b


@functools.lru_cache(maxsize=65536)
def _cached_title_key(raw_title: str) -> str:
    return title_key(raw_title)


@functools.lru_cache(maxsize=65536)
def _cached_first_author(names: str) -> str:
    from .model import parse_names

    people = parse_names(names)
    return fold(people[0].family) if people else ""


def candidates(bib: BibFile, candidate: Entry) -> list[Entry]:
    """Entries of a ``BibFile`` worth comparing with ``candidate``: those whose raw title
    contains the candidate's first significant title word, or whose DOI is its DOI.  A
    substring test on raw values, so that adding to a 50k-entry file does not decode 50k
    titles (a near-identical title shares its first significant word)."""
    words = significant_words(title_key(candidate.get("title") or ""))
    word = words[0] if words else ""
    doi = normalize_doi(candidate.get("doi") or "")
    out = []
    for blk in bib.entries():
        for f in blk.entry.fields:
            name = f.key.lower()
            if (name == "title" and word and word in fold(f.value)) or (
                name == "doi" and doi and doi in f.value.lower()
            ):
                out.append(Entry(bib, blk))
                break
    return out


def matches_for(candidate: Entry, entries: Sequence[Entry]) -> list[Duplicate]:
    """Entries of a library that a new entry may duplicate."""
    out = [
        d
        for e in entries
        if e.key != candidate.key
        for d in [compare(e, candidate)]
        if d is not None
    ]
    out.sort(key=lambda d: -d.confidence)
    return out
