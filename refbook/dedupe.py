"""Likely duplicates, with the evidence and a confidence.

"Same work": the same DOI, or the same title, year and first author.  "Similar title":
the same title otherwise, or a title at least 92 % similar (compared only within blocks of
titles that share their first two significant words, so not quadratic) -- shown, never
merged automatically.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from .lint import _STOP, _title_key
from .model import Entry, fold, normalize_doi

SAME_WORK, SIMILAR = "same work", "similar title"


@dataclass
class Duplicate:
    keys: tuple[str, str]
    kind: str
    confidence: int
    evidence: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"keys": list(self.keys), "kind": self.kind, "confidence": self.confidence,
                "evidence": self.evidence}


def _first_author(e: Entry) -> str:
    people = e.authors or e.editors
    return fold(people[0].family) if people else ""


def compare(a: Entry, b: Entry) -> Duplicate | None:
    """Evidence that ``a`` and ``b`` are the same work (or None)."""
    from rapidfuzz import fuzz

    evidence: list[str] = []
    if a.get("doi") and b.get("doi") and normalize_doi(a["doi"]) == normalize_doi(b["doi"]):
        return Duplicate((a.key, b.key), SAME_WORK, 100, [f"same DOI {normalize_doi(a['doi'])}"])
    ta, tb = _title_key(a.get("title") or ""), _title_key(b.get("title") or "")
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
        return Duplicate((a.key, b.key), kind, int(score * (0.95 if kind == SAME_WORK else 0.85)),
                         evidence)
    return None


def _blocks(entries: Iterable[Entry]) -> dict[str, list[Entry]]:
    blocks: dict[str, list[Entry]] = defaultdict(list)
    for e in entries:
        words = [w for w in _title_key(e.get("title") or "").split() if w not in _STOP]
        if words:
            blocks[" ".join(words[:2])].append(e)
        if e.get("doi"):
            blocks["doi:" + normalize_doi(e["doi"])].append(e)
    return blocks


def find_duplicates(entries: Sequence[Entry]) -> list[Duplicate]:
    """Likely duplicate pairs across a library, most certain first."""
    seen: set[tuple[str, str]] = set()
    out: list[Duplicate] = []
    for members in _blocks(entries).values():
        for i, a in enumerate(members):
            for b in members[i + 1:]:
                pair = tuple(sorted((a.key, b.key)))
                if pair in seen or a.key == b.key:
                    continue
                found = compare(a, b)
                if found:
                    seen.add(pair)
                    out.append(found)
    out.sort(key=lambda d: (-d.confidence, d.keys))
    return out


def candidates(bib, candidate: Entry) -> list[Entry]:
    """Entries of a ``BibFile`` worth comparing with ``candidate``: those whose raw title
    contains the candidate's first significant title word, or whose DOI is its DOI.  A
    substring test on raw values, so that adding to a 50k-entry file does not decode 50k
    titles (a near-identical title shares its first significant word)."""
    words = [w for w in _title_key(candidate.get("title") or "").split() if w not in _STOP]
    word = words[0] if words else ""
    doi = normalize_doi(candidate.get("doi") or "")
    out = []
    for blk in bib.entries():
        for f in blk.entry.fields:
            name = f.key.lower()
            if (name == "title" and word and word in fold(f.value)) or \
                    (name == "doi" and doi and doi in f.value.lower()):
                out.append(Entry(bib, blk))
                break
    return out


def matches_for(candidate: Entry, entries: Sequence[Entry]) -> list[Duplicate]:
    """Entries of a library that a new entry may duplicate."""
    out = [d for e in entries if e.key != candidate.key
           for d in [compare(e, candidate)] if d is not None]
    out.sort(key=lambda d: -d.confidence)
    return out
