"""Lint rule about authors: one person spelled two ways across entries."""

from __future__ import annotations

import re
import sys
from array import array
from collections.abc import Callable, Iterator
from functools import lru_cache
from typing import Any

from ..model import Entry, fold
from ..people import Person
from ..titles import title_key
from .library import Flag, LibraryPass
from .registry import Context, rule


@rule(
    "author-spelling",
    "authors",
    "warning",
    "The same author seems spelled two ways across entries: family names a letter or two "
    "apart (not one the start of the other, as Martin/Martinez), the same initials, and a "
    "co-author or venue in common.",
    library=True,
)
class _AuthorSpelling(LibraryPass):
    field = "author"

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        # names are compared in a cheap folded form (no LaTeX decoding of every name);
        # each spelling keeps the places of its entries and the initials there (compact
        # at 100k entries); the family names of an entry are read again for the few
        # entries whose spellings are compared
        self.people: dict[tuple[str, str], dict[str, tuple[array[int], list[str]]]] = {}

    def see(self, at: int, entry: Entry) -> None:
        names = _names(entry)
        for family, initials in dict.fromkeys(names):
            forms = self.people.setdefault((initials[:1], family[:3]), {})
            places, given = forms.setdefault(sys.intern(family), (array("q"), []))
            places.append(at)
            given.append(sys.intern(initials))

    def flags(self, entry_at: Callable[[int], Any]) -> Iterator[Flag]:
        from rapidfuzz import fuzz

        families = _Families(entry_at)
        for forms in self.people.values():
            if len(forms) < 2:
                continue
            spellings = sorted(forms)
            for i, a in enumerate(spellings):
                for b in spellings[i + 1 :]:
                    short = len(a) <= 6 and len(b) <= 6  # one letter changed in a short
                    if (
                        b.startswith(a)
                        or a.startswith(b)
                        or fuzz.ratio(a, b) < (85 if short else 80)
                    ):  # name: another name
                        continue  # Martin/Martinez, Wan/Wang: two names, not one misspelled
                    if min(len(forms[a][0]), len(forms[b][0])) >= 3:
                        continue  # both well attested (Chen and Cheung): two people
                    pair = _same_person((a, _uses(forms[a])), (b, _uses(forms[b])), families)
                    if pair is None:
                        continue
                    ea, eb = entry_at(pair[0]), entry_at(pair[1])
                    da = next(
                        (p.family for p in ea.authors + ea.editors if _family_key(p.family) == a),
                        a,
                    )
                    db = next(
                        (p.family for p in eb.authors + eb.editors if _family_key(p.family) == b),
                        b,
                    )
                    text = (
                        f"author {db!r} ({eb.key}) and {da!r} ({ea.key}): same initials and "
                        "a co-author or venue in common; one person spelled two ways?"
                    )
                    yield Flag(pair[1], pair[0], text)


def _names(entry: Entry) -> list[tuple[str, str]]:
    return [n for people in (entry.authors, entry.editors) for n in _folded_names(tuple(people))]


def _uses(form: tuple[array[int], list[str]]) -> list[tuple[str, int]]:
    """A spelling's (initials, the entry's place) for each entry that writes it."""
    places, given = form
    return list(zip(given, places))


class _Families:
    """The set of family names of each entry, by place, read when first asked for."""

    def __init__(self, entry_at: Callable[[int], Any]) -> None:
        self.entry_at = entry_at
        self.known: dict[int, frozenset[str]] = {}

    def __getitem__(self, at: int) -> frozenset[str]:
        found = self.known.get(at)
        if found is None:
            names = _names(self.entry_at(at))
            found = frozenset(sys.intern(f) for f, _ in names) if names else _NONE
            self.known[at] = found
        return found


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
    families: _Families,
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
