"""People in a bibliography: ``Person`` (BibTeX's four name parts, as plain text) and
the short author line of tables.  Light on purpose: the cache's records use it without
the parser behind ``model``."""

from __future__ import annotations

from dataclasses import dataclass


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
