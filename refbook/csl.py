"""refbook's BibTeX -> CSL-JSON mapping (the data pandoc's citeproc formats).

Decisions, each the way BibTeX and biblatex users expect their data to be read:

- Entry types map to CSL types (``TYPE_MAP``); ``entrysubtype = {newspaper}`` or
  ``{magazine}`` on an ``@article`` gives ``article-newspaper``/``article-magazine``.
- Names: a wholly braced name (``{PTI}``) is a ``literal``; particles become
  ``non-dropping-particle``, ``Jr.`` a ``suffix``.
- Titles: BibTeX titles are written in title case and protected with braces; CSL data are
  stored in sentence case and styles title-case them when they need to.  So unprotected
  words are lower-cased (first word and the word after a colon capitalised, as BibTeX and
  biblatex do), and each braced group becomes ``<span class="nocase">…</span>``, which
  citeproc never changes.  ``\\emph``/``\\textit`` become ``<i>``.  LaTeX is decoded.
- Dates: ``date`` (ISO 8601) or ``year`` + ``month``; ``urldate`` -> ``accessed``.
- ``number`` -> ``issue`` for articles, ``number`` (report/standard number) otherwise;
  pages keep their digits with an en dash; DOI and URL are passed untouched.
- ``annotation``/``annote`` -> ``annote``; ``keywords`` -> ``keyword``.
"""

from __future__ import annotations

import html
import re
from typing import Any

from .model import Entry, normalize_doi, to_text

TYPE_MAP = {
    "article": "article-journal", "book": "book", "mvbook": "book", "booklet": "pamphlet",
    "inbook": "chapter", "incollection": "chapter", "inproceedings": "paper-conference",
    "conference": "paper-conference", "proceedings": "book", "collection": "book",
    "report": "report", "techreport": "report", "thesis": "thesis", "phdthesis": "thesis",
    "mastersthesis": "thesis", "online": "webpage", "www": "webpage", "electronic": "webpage",
    "manual": "report", "unpublished": "manuscript", "misc": "document", "dataset": "dataset",
    "software": "software", "patent": "patent", "periodical": "periodical",
}
_CONTAINER = ("journaltitle", "journal", "booktitle", "maintitle")
_MACRO_GROUP = re.compile(r"\\([A-Za-z]+|.)\s*$")
_EMPH = re.compile(r"\\(?:emph|textit|textsl)\s*\{")


def _segments(value: str) -> list[tuple[bool, str]]:
    """Split a BibTeX value into (protected, text) pieces at brace depth 0.  A group that
    belongs to a command (``\\"{o}``, ``\\emph{x}``) or starts with one (``{\\"o}``) is not
    case protection."""
    out: list[tuple[bool, str]] = []
    buf: list[str] = []
    i = 0
    while i < len(value):
        ch = value[i]
        if ch == "\\" and i + 1 < len(value):
            buf.append(value[i:i + 2])
            i += 2
            continue
        if ch == "{":
            depth, j = 1, i + 1
            while j < len(value) and depth:
                if value[j] == "\\":
                    j += 2
                    continue
                depth += {"{": 1, "}": -1}.get(value[j], 0)
                j += 1
            group = value[i:j]
            inner = group[1:-1]
            if _MACRO_GROUP.search("".join(buf)) or inner.startswith("\\"):
                buf.append(group)
            else:
                if buf:
                    out.append((False, "".join(buf)))
                    buf = []
                out.append((True, inner))
            i = j
            continue
        buf.append(ch)
        i += 1
    if buf:
        out.append((False, "".join(buf)))
    return out


def _decode(piece: str) -> str:
    """to_text, keeping one space at either edge where the source has white space there
    (to_text collapses white space, but pieces are joined back together)."""
    if not piece:
        return ""
    if piece.isspace():
        return " "
    decoded = to_text(piece)
    if piece[:1].isspace():
        decoded = " " + decoded
    if piece[-1:].isspace():
        decoded += " "
    return html.escape(decoded, quote=False)


def _markup(text: str) -> str:
    """Decoded, HTML-escaped text with \\emph{} as <i>."""
    parts = []
    pos = 0
    for m in _EMPH.finditer(text):
        depth, j = 1, m.end()
        while j < len(text) and depth:
            depth += {"{": 1, "}": -1}.get(text[j], 0)
            j += 1
        parts.append(_decode(text[pos:m.start()]))
        parts.append("<i>" + _decode(text[m.end():j - 1]) + "</i>")
        pos = j
    parts.append(_decode(text[pos:]))
    return "".join(parts)


def _sentence_case(text: str, first: bool) -> str:
    """Lower-case a title-cased piece; capitalise the start of the title and of the part
    after a colon (or sentence end)."""
    out = []
    capitalise = first
    for token in re.split(r"(\s+)", text):
        if not token or token.isspace():
            out.append(token)
            continue
        if capitalise:
            # an accent group ({\"O}sterreich) is left as written rather than mangled
            out.append(token if token.startswith(("\\", "{")) else
                       token[:1].upper() + token[1:].lower())
        else:
            out.append(token.lower() if not token.startswith("\\") else token)
        capitalise = token.endswith((":", "?", "!", "."))
        if token.endswith(".") and len(token) <= 3:  # "U.S." or "et al.": not a sentence end
            capitalise = False
    return "".join(out)


def rich_title(value: str, sentence_case: bool = True) -> str:
    """A BibTeX title as CSL rich text (see the module docstring)."""
    out = []
    first = True
    for protected, text in _segments(value):
        if protected:
            out.append(f'<span class="nocase">{_markup(text)}</span>')
        else:
            piece = _sentence_case(text, first) if sentence_case else text
            out.append(_markup(piece))
        if text.strip():
            first = bool(re.search(r"[:?!]\s*$", text)) if not protected else False
    return "".join(out).strip()


def rich_text(value: str) -> str:
    """A BibTeX value as CSL rich text without case changes (braces become nocase)."""
    return rich_title(value, sentence_case=False)


def _date(value: str) -> dict[str, Any] | None:
    m = re.match(r"^\s*(\d{4})(?:-(\d{1,2}))?(?:-(\d{1,2}))?", value or "")
    if not m:
        return None
    parts = [int(p) for p in m.groups() if p]
    return {"date-parts": [parts]}


def _issued(entry: Entry) -> dict[str, Any] | None:
    if entry.get("date"):
        d = _date(entry["date"])
        if d:
            return d
    year = (entry.get("year") or "").strip()
    if year.isdigit():
        from .model import _month_number

        month = _month_number(entry.get("month") or "")
        return {"date-parts": [[int(year), month] if month else [int(year)]]}
    if year:
        return {"literal": to_text(year)}
    return None


def csl_type(entry: Entry) -> str:
    t = entry.type
    if t == "article":
        sub = (entry.get("entrysubtype") or "").strip().lower()
        if sub in ("newspaper", "magazine"):
            return f"article-{sub}"
    if t == "misc" and entry.get("url"):
        return "webpage"
    return TYPE_MAP.get(t, "document")


def to_csl(entry: Entry) -> dict[str, Any]:
    """One entry as a CSL-JSON item (pandoc, Zotero and citeproc-js read it)."""
    item: dict[str, Any] = {"id": entry.key, "type": csl_type(entry)}
    if entry.authors:
        item["author"] = [p.to_csl() for p in entry.authors if p.literal != "others"]
    if entry.editors:
        item["editor"] = [p.to_csl() for p in entry.editors if p.literal != "others"]
    if entry.get("title"):
        item["title"] = rich_title(entry["title"])
    for name in _CONTAINER:
        if entry.get(name):
            item["container-title"] = rich_text(entry[name])
            break
    ctype = item["type"]
    if "container-title" not in item and ctype == "webpage" and entry.get("organization"):
        item["container-title"] = rich_text(entry["organization"])
    publisher = next((entry[n] for n in ("publisher", "institution", "school", "organization",
                                         "howpublished")
                      if entry.get(n) and not (n == "organization" and ctype == "webpage")),
                     None)
    if publisher and not (entry.get("howpublished") and ctype == "webpage"):
        item["publisher"] = rich_text(publisher)
    place = entry.get("address") or entry.get("location")
    if place:
        item["publisher-place"] = to_text(place)
    issued = _issued(entry)
    if issued:
        item["issued"] = issued
    if entry.get("urldate"):
        accessed = _date(entry["urldate"])
        if accessed:
            item["accessed"] = accessed
    if entry.volume:
        item["volume"] = entry.volume
    number = entry.text("number")
    if entry.get("issue"):
        item["issue"] = entry.text("issue")
    elif number:
        item["issue" if ctype.startswith("article") else "number"] = number
    if entry.pages:
        item["page"] = entry.pages
    for src, dst in (("edition", "edition"), ("series", "collection-title"),
                     ("type", "genre"), ("note", "note"), ("isbn", "ISBN"), ("issn", "ISSN"),
                     ("language", "language"), ("chapter", "chapter-number")):
        if entry.get(src):
            item[dst] = to_text(entry[src])
    if entry.get("doi"):
        item["DOI"] = normalize_doi(entry["doi"]) if entry["doi"].lower().startswith(
            ("http", "doi:")) else entry["doi"].strip()
    if entry.url:
        item["URL"] = entry.url
    if entry.annotation:
        item["annote"] = entry.annotation
    if entry.keywords:
        item["keyword"] = ", ".join(entry.keywords)
    if entry.get("abstract"):
        item["abstract"] = entry.text("abstract")
    return item
