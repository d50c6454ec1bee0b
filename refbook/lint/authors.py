"""Lint rule about authors: one person spelled two ways across entries."""

from __future__ import annotations

import re
import sys
from collections import defaultdict
from collections.abc import Iterator
from functools import lru_cache

from ..model import Entry, fold
from ..people import Person
from ..titles import title_key
from .registry import Context, Issue, rule


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

    # names are compared in a cheap folded form (no LaTeX decoding of every name); each
    # spelling keeps (initials, the entry's place) and each entry its set of family
    # names, once: compact at 100k entries (not an entry and a set per name)
    people: dict[tuple[str, str], dict[str, list[tuple[str, int]]]] = defaultdict(
        lambda: defaultdict(list)
    )
    families: list[frozenset[str]] = []
    for at, e in enumerate(entries):
        names = [n for people in (e.authors, e.editors) for n in _folded_names(tuple(people))]
        families.append(frozenset(sys.intern(f) for f, _ in names) if names else _NONE)
        for family, initials in dict.fromkeys(names):
            people[(initials[:1], family[:3])][sys.intern(family)].append((initials, at))
    for forms in people.values():
        if len(forms) < 2:
            continue
        spellings = sorted(forms)
        for i, a in enumerate(spellings):
            for b in spellings[i + 1 :]:
                short = len(a) <= 6 and len(b) <= 6  # one letter changed in a short
                if (
                    b.startswith(a) or a.startswith(b) or fuzz.ratio(a, b) < (85 if short else 80)
                ):  # name: another name
                    continue  # Martin/Martinez, Wan/Wang: two names, not one misspelled
                if min(len(forms[a]), len(forms[b])) >= 3:
                    continue  # both well attested (Chen and Cheung): two people
                pair = _same_person((a, forms[a]), (b, forms[b]), families)
                if pair is None:
                    continue
                ea, eb = entries[pair[0]], entries[pair[1]]
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


_NONE: frozenset[str] = frozenset()


@lru_cache(maxsize=65536)
def _family_key(name: str) -> str:
    """A family name as plain folded letters (Gani{\\`e}re, Kratochv{\\'\\i}l: ganiere,
    kratochvil)."""
    if "\\" in name or "{" in name:
        from ..latex import to_text

        name = to_text(name)
    return "".join(re.findall(r"[^\W\d_]+", fold(name).translate(_LETTERS)))


# letters fold() keeps that are a plain letter with a stroke or another spelling
_LETTERS = str.maketrans(
    {"ł": "l", "ø": "o", "ı": "i", "đ": "d", "ß": "ss", "æ": "ae", "œ": "oe", "þ": "th", "ð": "d"}
)


@lru_cache(maxsize=65536)
def _folded_names(people: tuple[Person, ...]) -> tuple[tuple[str, str], ...]:
    """(family, initials) of each name of a name list (``Entry.authors``: parsed once,
    or read from the library cache), folded; corporate names (in braces) and "others"
    left out."""
    out = []
    for person in people:
        if person.literal or any(c.isdigit() for c in person.last):
            continue  # a corporate name; Barker1, Barker2: numbered test names
        family = _family_key(person.last)  # particles are not spelling (van/van der)
        initials = "".join(w[:1] for w in re.findall(r"\w+", fold(person.first.replace("-", " "))))
        if family and initials:
            out.append((family, initials))
    return tuple(out)


def _venue(e: Entry) -> str:
    return title_key(e.get("journal") or e.get("journaltitle") or e.get("booktitle") or "")


def _same_person(
    a: tuple[str, list[tuple[str, int]]],
    b: tuple[str, list[tuple[str, int]]],
    families: list[frozenset[str]],
) -> tuple[int, int] | None:
    """Two entries (their places), one with each spelling (family ``a[0]``, ``b[0]``),
    whose people have compatible initials (J. and J. M.) and share a co-author; None
    when no such pair exists."""
    (fa, uses_a), (fb, uses_b) = a, b
    if {at for _, at in uses_a} & {at for _, at in uses_b}:
        return None  # both in one author list: two people
    for ia, ea in uses_a:
        for ib, eb in uses_b:
            if (ia.startswith(ib) or ib.startswith(ia)) and (families[ea] - {fa}) & (
                families[eb] - {fb}
            ):
                return ea, eb
    return None
