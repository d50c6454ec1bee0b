"""Text variables: titles (with subtitles and addons, sentence-cased for English entries;
main, book, journal and series titles), CSL rich text, literal lists, and biblatex's
localisation strings as they appear in data."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from .. import richtext
from .types import CHAPTERLIKE, IN_SERIES

if TYPE_CHECKING:
    from ..model import Entry

# biblatex localisation keys that appear in data (type = {phdthesis}, \bibstring{...})
BIBSTRINGS = {
    "phdthesis": "PhD thesis",
    "mathesis": "Master's thesis",
    "techreport": "Tech. rep.",
    "resreport": "research rep.",
    "software": "computer software",
    "datacd": "CD-ROM",
    "audiocd": "audio CD",
    "candthesis": "Candidate thesis",
    "patent": "patent",
    "patentus": "U.S. patent",
    "patentuk": "British patent",
    "patentde": "German patent",
    "patenteu": "European patent",
    "patentfr": "French patent",
    "jourser": "ser.",
    "newseries": "new ser.",
    "oldseries": "old ser.",
    "inpreparation": "in preparation",
    "submitted": "submitted",
    "forthcoming": "forthcoming",
    "inpress": "in press",
    "prepublished": "pre-published",
}


def rich_title(value: str, sentence_case: bool = True) -> str:
    """A BibTeX title as CSL rich text (sentence case, braces -> nocase)."""
    return richtext.rich(value, sentence_case)


def rich_text(value: str) -> str:
    """A BibTeX value as CSL rich text without case changes (braces become nocase)."""
    return richtext.rich(value, False)


def joined(parts: list[tuple[str, str]]) -> str:
    """pandoc's concatWith: each part after the first joined by its separator and a space,
    or by a space alone when the text so far ends with punctuation."""
    out = ""
    for sep, text in parts:
        if not text:
            continue
        if not out:
            out = text
        elif re.sub(r"<[^>]+>", "", out)[-1:] in "!?.,:;":
            out += " " + text
        else:
            out += sep + " " + text
    return out


def _title_of(entry: Entry, names: tuple[str, str, str], sentence: bool) -> str | None:
    """(title, subtitle, addon) fields of ``entry`` as one rich text, or None."""
    base = entry.get(names[0])
    if not base:
        return None
    parts = [
        (sep, richtext.rich(entry.get(name) or "", sentence))
        for sep, name in (("", names[0]), (":", names[1]), (".", names[2]))
    ]
    return joined(parts) or None


def titles(entry: Entry, english: bool) -> dict[str, str]:
    t = entry.type
    chapterlike = t in CHAPTERLIKE
    periodical = t == "periodical"
    has_main = bool(entry.get("maintitle"))
    own = ("title", "subtitle", "titleaddon")
    main = ("maintitle", "mainsubtitle", "maintitleaddon")
    book = ("booktitle", "booksubtitle", "booktitleaddon")
    out: dict[str, str] = {}
    title = None
    if periodical:
        title = _title_of(entry, ("issuetitle", "issuesubtitle", "issuetitleaddon"), english)
    if title is None and has_main and not chapterlike:
        title = _title_of(entry, main, english)
        volume_title = _title_of(entry, own, english)
        if volume_title:
            out["volume-title"] = volume_title
    if title is None:
        title = _title_of(entry, own, english)
    if title:
        out["title"] = title
    if has_main and chapterlike:
        volume_title = _title_of(entry, book, english)
        if volume_title:
            out["volume-title"] = volume_title
    container = None
    if periodical:
        container = _title_of(entry, own, False)
    if container is None and chapterlike:
        container = _title_of(entry, main, english) or _title_of(entry, book, english)
    if container is None:
        container = _title_of(
            entry, ("journaltitle", "journalsubtitle", "journaltitleaddon"), False
        ) or _title_of(entry, ("journal", "journalsubtitle", "journaltitleaddon"), False)
    if container is None and entry.get("booktitle") and t not in IN_SERIES | {"periodical"}:
        container = _title_of(entry, book, english)  # a @misc or @online in a book
    if container:
        out["container-title"] = container
    if entry.get("shortjournal"):
        out["container-title-short"] = rich_text(entry["shortjournal"])
    short = entry.get("shorttitle")
    if short and (not has_main or chapterlike):
        out["title-short"] = richtext.rich(short, english)
    elif entry.get("title") and ":" in (entry.get("title") or ""):
        head = (entry.get("title") or "").split(":", 1)[0]
        if head.count("{") == head.count("}"):
            out["title-short"] = richtext.rich(head, english)
    if entry.get("series"):
        series = entry["series"]
        series = BIBSTRINGS.get(series.strip(), series)
        out["collection-title"] = richtext.rich(series, english)
    for src, dst in (("eventtitle", "event-title"), ("origtitle", "original-title")):
        if entry.get(src):
            out[dst] = richtext.rich(entry[src], english)
    return out


def literal_list(value: str) -> str:
    """A biblatex literal list (``A and B``) as "A; B"."""
    parts = re.split(r"\s+and\s+", value.strip())
    return "; ".join(rich_text(p) for p in parts if p.strip())
