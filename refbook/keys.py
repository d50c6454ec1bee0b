"""Citation keys for new entries, from a JabRef-style pattern.

The default pattern ``[auth:lower][year][shorttitle:lower]`` gives ``zahid2023dealing``:
first author's family name, year, first significant word of the title.  Fields:

``[auth]``            first author's family name (corporate: the name's first word)
``[authors2]``        two family names, or the first + ``EtAl``
``[year]``            four-digit year (``nd`` when unknown)
``[shorttitle]``      the title's first significant word (articles, "is", "how"… skipped)
``[veryshorttitle]``  same as shorttitle (JabRef compatibility)
``[title]``           the first three significant words, camel-cased
``[firstpage]``       the first page

Modifiers ``:lower`` and ``:upper``.  Keys are ASCII (``Schröder`` -> ``Schroder``,
``Çelik`` -> ``Celik``) and made unique case-insensitively with ``a``, ``b``… suffixes.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .model import Entry

STOP_WORDS = {
    "a",
    "an",
    "the",
    "of",
    "on",
    "in",
    "and",
    "or",
    "to",
    "for",
    "with",
    "is",
    "are",
    "was",
    "how",
    "why",
    "what",
    "when",
    "will",
    "do",
    "does",
    "at",
    "by",
    "from",
    "into",
    "as",
    "be",
    "can",
    "should",
    "its",
    "it",
    "this",
    "that",
    "these",
    "those",
    "le",
    "la",
    "les",
    "der",
    "die",
    "das",
    "el",
    "un",
    "une",
}
_SPECIAL = {
    "ß": "ss",
    "æ": "ae",
    "Æ": "AE",
    "œ": "oe",
    "Œ": "OE",
    "ø": "o",
    "Ø": "O",
    "ł": "l",
    "Ł": "L",
    "đ": "d",
    "Đ": "D",
    "ı": "i",
    "þ": "th",
    "Þ": "Th",
    "ð": "d",
    "Ð": "D",
}


def ascii_fold(text: str) -> str:
    """``Schröder`` -> ``Schroder``; letters with no ASCII form are dropped."""
    text = "".join(_SPECIAL.get(c, c) for c in text)
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if c.isascii())


def _words(text: str) -> list[str]:
    return re.findall(r"[A-Za-z0-9]+", ascii_fold(text.replace("'s", "")))


def _significant(title: str) -> list[str]:
    return [w for w in _words(title) if w.lower() not in STOP_WORDS]


def _field(name: str, entry: Entry) -> str:
    people = entry.authors or entry.editors
    if name == "auth":
        if not people:
            return "anon"
        p = people[0]
        return "".join(_words(p.literal.split()[0] if p.literal else p.last)) or "anon"
    if name == "authors2":
        fams = ["".join(_words(p.literal or p.last)) for p in people[:3]]
        if len(fams) > 2:
            return fams[0] + "EtAl"
        return "".join(fams) or "anon"
    if name == "year":
        return str(entry.year) if entry.year else "nd"
    if name in ("shorttitle", "veryshorttitle"):
        words = _significant(entry.title)
        return words[0] if words else ""
    if name == "title":
        return "".join(w.capitalize() for w in _significant(entry.title)[:3])
    if name == "firstpage":
        m = re.match(r"\s*([A-Za-z]?\d+)", entry.pages or "")
        return m.group(1) if m else ""
    raise ValueError(f"unknown key pattern field [{name}]")


FIELDS = ("auth", "authors2", "year", "shorttitle", "veryshorttitle", "title", "firstpage")
MODIFIERS = ("lower", "upper")
_PART = re.compile(r"\[([^\]]+)\]")


def pattern_problem(pattern: str) -> str | None:
    """What is wrong with a key pattern (an unknown field or modifier), or None."""
    for m in _PART.finditer(pattern):
        name, _, modifier = m.group(1).partition(":")
        if name not in FIELDS:
            return f"unknown field [{name}] (known: {', '.join(FIELDS)})"
        if modifier and modifier not in MODIFIERS:
            return f"unknown modifier :{modifier} in [{m.group(1)}] (known: :lower, :upper)"
    return None


def make_key(entry: Entry, pattern: str = "[auth:lower][year][shorttitle:lower]") -> str:
    """The key the pattern gives for ``entry`` (a ``refbook.model.Entry``)."""

    def expand(m: re.Match) -> str:
        name, _, modifier = m.group(1).partition(":")
        value = _field(name, entry)
        if modifier == "lower":
            value = value.lower()
        elif modifier == "upper":
            value = value.upper()
        elif modifier:
            raise ValueError(f"unknown key pattern modifier :{modifier}")
        return value

    key = _PART.sub(expand, pattern)
    key = re.sub(r"[^A-Za-z0-9_:.\-]", "", ascii_fold(key))
    return key or "entry"


def unique_key(key: str, existing: Iterable[str]) -> str:
    """``key``, or ``key`` + a, b, … aa… so that no existing key equals it ignoring case."""
    taken = {k.lower() for k in existing}
    if key.lower() not in taken:
        return key
    n = 0
    while True:
        suffix = ""
        m = n
        while True:
            suffix = chr(ord("a") + m % 26) + suffix
            m = m // 26 - 1
            if m < 0:
                break
        if (key + suffix).lower() not in taken:
            return key + suffix
        n += 1
