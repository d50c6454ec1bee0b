"""People in a bibliography: ``Person`` (BibTeX's four name parts, as plain text),
``parse_names`` (a BibTeX name list into ``Person``s; ``refbook.model`` re-exports it)
and the short author line of tables.  Light on purpose: the cache's records use it
without the .bib parser behind ``model`` (bibtexparser's name splitter is imported only
when a name list is parsed)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache


def to_text(value: str) -> str:
    """``latex.to_text``, imported when a name is first read (a warm ``show`` reads
    names from the cache, decoded already)."""
    from .latex import to_text as decode

    return decode(value)


@dataclass(frozen=True)
class Person:
    """One name of an author or editor list, in BibTeX's four parts (plain text).

    A corporate name written in braces (``{PTI}``, ``{Dawn Staff}``) is kept whole as
    ``literal`` and has no parts."""

    first: str = ""
    von: str = ""
    last: str = ""
    jr: str = ""
    literal: str = ""

    @property
    def family(self) -> str:
        """Family name as sorted and cited, with its particle: ``van der Berg``."""
        if self.literal:
            return self.literal
        return f"{self.von} {self.last}".strip()

    @property
    def given(self) -> str:
        return self.first

    def __str__(self) -> str:
        if self.literal:
            return self.literal
        s = self.family
        if self.jr:
            s += f", {self.jr}"
        if self.first:
            s += f", {self.first}"
        return s

    def to_csl(self) -> dict[str, str]:
        if self.literal:
            return {"literal": self.literal}
        d = {"family": self.last}
        if self.first:
            d["given"] = self.first
        if self.von:
            d["non-dropping-particle"] = self.von
        if self.jr:
            d["suffix"] = self.jr
        return d


def parse_names(value: str) -> list[Person]:
    """Split a BibTeX name list (``A and B and {Corp Inc}``) into ``Person`` records."""
    return list(_parse_names(value))


@lru_cache(maxsize=65536)  # the same people write many of the entries of a bibliography
def _parse_names(value: str) -> tuple[Person, ...]:
    from bibtexparser.middlewares.names import (
        InvalidNameError,
        parse_single_name_into_parts,
        split_multiple_persons_names,
    )

    people = []
    for name in split_multiple_persons_names(value):
        name = name.strip()
        if not name:
            continue
        if name.lower() in _OTHERS:  # "and et al." means what BibTeX's "and others" does
            people.append(Person(literal="others"))
            continue
        if _EXTENDED_NAME.match(name):
            person = _extended_name(name)
            if person is not None:  # None: name-list options (useprefix=false), no name
                people.append(person)
            continue
        if _wholly_braced(name):
            people.append(Person(literal=to_text(name[1:-1])))
            continue
        # "Molins A," is "Last, First" with no first name: the family name is "Molins A"
        # (BibTeX's reading; bibtexparser ignores the comma and reads "A" as the family)
        no_first = name.endswith(",") and name.count(",") == 1
        try:
            parts = parse_single_name_into_parts(
                name[:-1] + ", _" if no_first else name, strict=False
            )
        except (InvalidNameError, TypeError, ValueError):
            people.append(Person(literal=to_text(name)))
            continue
        people.append(
            Person(
                first="" if no_first else to_text(" ".join(parts.first)),
                von=to_text(" ".join(parts.von)),
                last=to_text(" ".join(parts.last)),
                jr=to_text(" ".join(parts.jr)),
            )
        )
    return tuple(people)


_OTHERS = frozenset({"others", "et al.", "et al", "et. al.", "et.al.", "et alii", "et alia"})
_EXTENDED_NAME = re.compile(r"^\s*[A-Za-z][\w-]*\s*=")


def _extended_name(name: str) -> Person | None:
    """biblatex's extended name format: ``family=Brown, given=Brian, prefix=de``."""
    parts: dict[str, str] = {}
    for piece in _top_level_split(name, ","):
        key, eq, value = piece.partition("=")
        if not eq:
            return None
        value = value.strip()
        if _wholly_braced(value):
            value = value[1:-1]
        parts[key.strip().lower()] = value
    if not any(parts.get(k) for k in ("family", "given")):
        return None
    return Person(
        first=to_text(parts.get("given", "")),
        von=to_text(parts.get("prefix", "")),
        last=to_text(parts.get("family", "")),
        jr=to_text(parts.get("suffix", "")),
    )


def _top_level_split(text: str, sep: str) -> list[str]:
    out, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
        elif ch == sep and depth == 0:
            out.append(text[start:i])
            start = i + 1
    out.append(text[start:])
    return out


def _wholly_braced(name: str) -> bool:
    if not (name.startswith("{") and name.endswith("}")):
        return False
    depth = 0
    for i, ch in enumerate(name):
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0 and i != len(name) - 1:
                return False
    return True


def author_label(authors: list[Person], editors: list[Person], limit: int = 2) -> str:
    """Short author line for tables (the editors when there are no authors): ``Zahid``,
    ``Jan & Islam``, ``Altaf et al.``."""
    people = authors or editors
    names = [p.family for p in people if p.literal != "others"]
    if not names:
        return ""
    if len(names) > limit or (people and people[-1].literal == "others"):
        return f"{names[0]} et al."
    return " & ".join(names)
