"""What ``refbook cite`` is asked to cite: works, each with its own locator.

Arguments are citation keys, ``KEY:LOCATOR`` (``zahid2023dealing:"p. 4"``; a key that
itself contains a colon wins over a split), or pandoc's own citation syntax
(``"[@zahid2023dealing, p. 4; @biddle2019afghanistan]"``, ``"@zahid2023dealing [p. 4]"``,
``-@key`` for the year alone, a prefix such as ``see``).  A work named twice is cited once.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .errors import UsageError

# pandoc's citation key characters (as in refbook.manuscript), or {a key in braces}
_KEY = r"\{[^}]+\}|[\w][\w:.#$%&\-+?<>~/]*[\w]|[\w]"
_ITEM = re.compile(rf"^(?P<prefix>.*?)(?P<minus>-)?@(?P<key>{_KEY})(?P<suffix>.*)$", re.S)


@dataclass(frozen=True)
class CiteItem:
    """One work in a citation: its key, a locator ("p. 4"), a prefix ("see"), and
    whether the author is left out (pandoc's ``-@key``)."""

    key: str
    locator: str = ""
    prefix: str = ""
    suppress_author: bool = False

    def to_dict(self) -> dict:
        return {
            "key": self.key,
            "locator": self.locator or None,
            "prefix": self.prefix or None,
            "suppress_author": self.suppress_author,
        }


def parse_cite_args(
    args: Sequence[str], resolve: Callable[[str], str | None], locator: str | None = None
) -> list[CiteItem]:
    """The works ``args`` name, in order, each once.  ``resolve`` gives the canonical key
    of a key (None when there is no such entry); unknown keys are reported by the caller's
    lookup, so they pass through unchanged.  ``locator`` (``--locator``) is for one work."""
    items: list[CiteItem] = []
    for arg in args:
        items += _parse_pandoc(arg) if "@" in arg else [_parse_key(arg, resolve)]
    items = [
        CiteItem(resolve(i.key) or i.key, i.locator, i.prefix, i.suppress_author) for i in items
    ]
    if locator:
        if len({i.key.lower() for i in items}) > 1:
            raise UsageError(
                "error: --locator is for one work; give each work its own: "
                'KEY:"p. 4" or "[@a, p. 4; @b]"'
            )
        if any(i.locator for i in items):
            raise UsageError("error: a locator given twice (--locator and in the citation)")
        items = [CiteItem(i.key, locator, i.prefix, i.suppress_author) for i in items]
    out: list[CiteItem] = []
    for item in items:
        same = next((o for o in out if o.key.lower() == item.key.lower()), None)
        if same is None:
            out.append(item)
        elif item != same and (item.locator, item.prefix) != ("", ""):
            raise UsageError(
                f"error: {item.key} is cited twice with different locators "
                f"({same.locator or 'none'!r}, {item.locator or 'none'!r}); "
                "cite it once"
            )
    return out


def _parse_key(arg: str, resolve: Callable[[str], str | None]) -> CiteItem:
    """``KEY`` or ``KEY:LOCATOR`` (the longest prefix that is a key is the key)."""
    if resolve(arg) is not None or ":" not in arg:
        return CiteItem(arg)
    for m in reversed(list(re.finditer(":", arg))):
        key = arg[: m.start()]
        if resolve(key) is not None:
            return CiteItem(key, _clean_locator(arg[m.end() :]))
    return CiteItem(arg)  # no such key: the lookup reports it with a suggestion


def _parse_pandoc(arg: str) -> list[CiteItem]:
    text = arg.strip()
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    items = []
    for part in text.split(";"):
        if not part.strip():
            continue
        m = _ITEM.match(part.strip())
        if m is None:
            raise UsageError(
                f'error: not a citation: {part.strip()!r} (pandoc syntax: "[@key, p. 4; @other]")'
            )
        key = m.group("key")
        key = key[1:-1] if key.startswith("{") else key
        suffix = m.group("suffix").strip()
        if suffix.startswith("[") and suffix.endswith("]"):  # narrative: @key [p. 4]
            suffix = suffix[1:-1]
        items.append(
            CiteItem(key, _clean_locator(suffix), m.group("prefix").strip(), bool(m.group("minus")))
        )
    if not items:
        raise UsageError(f"error: no citation key in {arg!r}")
    return items


def _clean_locator(text: str) -> str:
    text = text.strip().lstrip(",").strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        text = text[1:-1].strip()
    return text


def pandoc_citation(items: Sequence[CiteItem], narrative: bool = False) -> str:
    """The citation in pandoc Markdown: ``[@a, p. 4; @b]`` or ``@a [p. 4]``."""
    if narrative:
        return " ".join(f"@{i.key}" + (f" [{i.locator}]" if i.locator else "") for i in items)
    parts = []
    for i in items:
        head = (i.prefix + " " if i.prefix else "") + ("-" if i.suppress_author else "")
        parts.append(f"{head}@{i.key}" + (f", {i.locator}" if i.locator else ""))
    return "[" + "; ".join(parts) + "]"


def _postnote(locator: str) -> str:
    """biblatex prints "p." itself before a bare page number."""
    return re.sub(r"^(?:pp?\.)\s*(?=\d)", "", locator)


def latex_citation(items: Sequence[CiteItem], narrative: bool = False) -> str:
    """The citation in biblatex: ``\\parencite[4]{a}``, several with their own locators
    ``\\parencites[4]{a}{b}``; ``\\textcite`` for narrative, ``*`` for the year alone."""
    name = "textcite" if narrative else "parencite"
    star = "*" if items and all(i.suppress_author for i in items) and not narrative else ""

    def notes(i: CiteItem) -> str:
        if i.prefix:
            return f"[{i.prefix}][{_postnote(i.locator)}]"
        return f"[{_postnote(i.locator)}]" if i.locator else ""

    if len(items) == 1 or not any(i.locator or i.prefix for i in items):
        head = notes(items[0]) if len(items) == 1 else ""
        return f"\\{name}{star}{head}{{{','.join(i.key for i in items)}}}"
    return f"\\{name}s" + "".join(f"{notes(i)}{{{i.key}}}" for i in items)
