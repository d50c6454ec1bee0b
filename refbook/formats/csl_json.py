"""CSL-JSON: read (``add --from csl-json``, a DOI's content negotiation, Zotero's API)
and written (``export --format csl-json``: ``refbook.csl``'s mapping, as pandoc's
citeproc reads it).  Types both ways are ``refbook.csl.types``' table."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from ..errors import InputError, UsageError
from ..identifiers import strip_doi_prefix
from . import Draft

if TYPE_CHECKING:
    from ..model import Entry

# CSL-JSON variables by kind (CSL 1.0.2 schema): the types the mapping relies on
NAME_VARIABLES = frozenset(
    {
        "author",
        "editor",
        "translator",
        "container-author",
        "collection-editor",
        "composer",
        "director",
        "editorial-director",
        "illustrator",
        "interviewer",
        "original-author",
        "recipient",
        "reviewed-author",
        "chair",
        "compiler",
        "contributor",
        "curator",
        "editor-translator",
        "executive-producer",
        "guest",
        "host",
        "narrator",
        "organizer",
        "performer",
        "producer",
        "script-writer",
        "series-creator",
    }
)
DATE_VARIABLES = frozenset(
    {
        "issued",
        "accessed",
        "submitted",
        "event-date",
        "original-date",
        "available-date",
    }
)
# the variables read as text
TEXT_VARIABLES = frozenset(
    {
        "id",
        "title",
        "container-title",
        "publisher",
        "publisher-place",
        "volume",
        "issue",
        "number",
        "edition",
        "collection-title",
        "genre",
        "ISBN",
        "ISSN",
        "note",
        "language",
        "page",
        "DOI",
        "URL",
        "keyword",
        "annote",
        "abstract",
    }
)
# CSL variable -> BibTeX field, for the variables copied as they are
_COPIED = (
    ("volume", "volume"),
    ("issue", "number"),
    ("number", "number"),
    ("edition", "edition"),
    ("collection-title", "series"),
    ("genre", "type"),
    ("ISBN", "isbn"),
    ("ISSN", "issn"),
    ("note", "note"),
    ("language", "language"),
)


def detect(text: str) -> bool:
    return text.lstrip("\ufeff \t\r\n").startswith(("[", "{"))


def read(text: str, name: str = "<input>") -> list[Draft]:
    """Drafts of the items of a CSL-JSON document; ``InputError`` naming the item for
    anything refbook cannot read (nothing is added)."""
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise InputError(f"{name}: error: invalid JSON: {exc}") from None
    drafts = []
    for i, item in enumerate(checked_items(data, name), start=1):
        try:
            drafts.append(from_item(item))
        except UsageError as exc:  # a lone brace, which BibTeX cannot store
            raise InputError(f"{name}: error: CSL-JSON item {i}: {exc}; nothing added") from None
    return drafts


def write(entries: Sequence[Entry]) -> str:
    from ..csl import csl_items

    if getattr(entries, "csl_texts", None) is not None and entries:
        return "".join(write_parts(entries))
    return json.dumps(csl_items(entries), ensure_ascii=False, indent=2) + "\n"


def write_parts(entries: Sequence[Entry]) -> Iterator[str]:
    """``write``'s document in pieces: from the library cache, the items' stored texts
    one by one (``json.dumps`` of the list writes each item so)."""
    from ..csl import unique_ids

    texts = getattr(entries, "csl_texts", None)
    if texts is None or not entries:
        yield write(entries)
        return
    yield "[\n"
    for i, text in enumerate(texts(unique_ids(entries)[0])):
        yield ",\n" + text if i else text
    yield "\n]\n"


# -- checking what was read ------------------------------------------------------------


def checked_items(data: object, name: str = "<input>") -> list[dict[str, Any]]:
    """The items of a CSL-JSON document (a list of items, ``{"items": [...]}`` as Zotero's
    API sends, or one item), each checked: ``InputError`` (exit 3) naming the item and the
    variable for anything refbook cannot read as CSL-JSON, so that nothing is written."""
    if isinstance(data, dict) and isinstance(data.get("items"), list):
        data = data["items"]
    elif isinstance(data, dict) and "type" in data:
        data = [data]
    if not isinstance(data, list):
        raise InputError(
            f"{name}: error: not CSL-JSON: expected a list of items "
            "(objects with a type and a title); nothing added"
        )
    for i, item in enumerate(data, start=1):
        check_item(item, f"{name}: error: CSL-JSON item {i}")
    return data


def check_item(item: object, where: str) -> None:
    """``InputError`` (``where`` and the item's id first) when ``item`` is not a CSL item
    refbook can read: not an object, a variable of the wrong kind, or no title."""
    if not isinstance(item, dict):
        raise InputError(
            f"{where}: expected an object (a CSL item), not {_json_kind(item)}; nothing added"
        )
    ident = f" ({item['id']})" if isinstance(item.get("id"), (str, int)) else ""
    for variable, value in item.items():
        expected = _wrong_kind(variable, value)
        if expected:
            shown = value
            if variable in NAME_VARIABLES and isinstance(value, list):
                shown = next(p for p in value if not _is_name(p))
            raise InputError(
                f"{where}{ident}: {variable!r} must be {expected}, not "
                f"{_json_kind(shown)}; nothing added"
            )
    title = item.get("title")
    if isinstance(title, list):
        title = title[0] if title else ""
    if not str(title or "").strip():
        raise InputError(f"{where}{ident}: no title; nothing added")


def _is_name(person: object) -> bool:
    return isinstance(person, dict) and all(
        isinstance(v, (str, int, bool)) for v in person.values()
    )


def _is_date(value: object) -> bool:
    if not isinstance(value, dict):
        return False
    parts = value.get("date-parts")
    return parts is None or (
        isinstance(parts, list)
        and all(
            isinstance(p, list)
            and all(isinstance(x, (int, str)) and str(x).strip().lstrip("-").isdigit() for x in p)
            for p in parts
        )
    )


def _wrong_kind(variable: str, value: object) -> str | None:
    """What ``value`` should have been for ``variable``, or None when it is fine."""
    if value is None:
        return None
    if variable in NAME_VARIABLES:
        if not isinstance(value, list):
            return "a list of names"
        if not all(_is_name(p) for p in value):
            return 'a list of name objects ({"family", "given"} or {"literal"})'
    elif variable in DATE_VARIABLES:
        if not _is_date(value):
            return 'a date object ({"date-parts": [[2023, 12]]})'
    elif variable == "type":
        if not isinstance(value, str):
            return "a string"
    elif variable in TEXT_VARIABLES:
        texts = value if isinstance(value, list) else [value]
        if not all(isinstance(v, (str, int, float)) and not isinstance(v, bool) for v in texts):
            return "a string"
    return None


def _json_kind(value: object) -> str:
    kinds = {
        dict: "an object",
        list: "a list",
        str: "a string",
        bool: "true/false",
        int: "a number",
        float: "a number",
        type(None): "null",
    }
    shown = json.dumps(value, ensure_ascii=False)
    shown = shown if len(shown) <= 30 else shown[:27] + "..."
    return f"{kinds.get(type(value), type(value).__name__)} {shown}"


# -- an item as BibTeX fields ------------------------------------------------------------


def _escape(text: str) -> str:
    """Plain text as a BibTeX value (``refbook.plaintext``: specials escaped; a lone brace
    is an error, reported with the item it is in)."""
    from ..plaintext import to_bibtex

    return to_bibtex(text)


_RICH_TAG = re.compile(r"<(/?)([a-z]+)([^>]*)>", re.I)
_RICH_MACROS = {
    "i": "\\emph{",
    "em": "\\emph{",
    "b": "\\textbf{",
    "strong": "\\textbf{",
    "sup": "\\textsuperscript{",
    "sub": "\\textsubscript{",
}


def rich_to_bibtex(text: str) -> str:
    """CSL rich text: ``<span class="nocase">TTP</span>`` -> ``{TTP}``, ``<i>`` ->
    ``\\emph{}``; the text between the tags is escaped, other tags are dropped."""
    from ..plaintext import check_braces, escape

    check_braces(html.unescape(_RICH_TAG.sub("", text)))  # the text's own braces
    out: list[str] = []
    closers: list[str] = []
    pos = 0
    for m in _RICH_TAG.finditer(text):
        out.append(escape(html.unescape(text[pos : m.start()])))
        pos = m.end()
        closing, tag = m.group(1), m.group(2).lower()
        if closing:
            if tag in ("span", *_RICH_MACROS) and closers:
                out.append(closers.pop())
            continue
        if tag == "span":
            out.append("{" if "nocase" in m.group(3) else "")
            closers.append("}" if "nocase" in m.group(3) else "")
        elif tag in _RICH_MACROS:
            out.append(_RICH_MACROS[tag])
            closers.append("}")
    out.append(escape(html.unescape(text[pos:])))
    out.extend(reversed(closers))  # tags left open
    value = " ".join("".join(out).split())
    check_braces(value)
    return value


def _names(people: list[dict[str, Any]]) -> str:
    out = []
    for p in people:
        if p.get("literal"):
            out.append("{" + _escape(p["literal"]) + "}")
            continue
        family = p.get("family", "")
        particle = p.get("non-dropping-particle") or p.get("dropping-particle") or ""
        name = f"{particle} {family}".strip()
        if " " in family.strip() and not (particle or p.get("given") or p.get("suffix")):
            out.append("{" + _escape(family) + "}")  # "Smith & Co": one name, not first + last
            continue
        if p.get("suffix"):
            name += f", {p['suffix']}"
        if p.get("given"):
            name += f", {p['given']}"
        out.append(_escape(name))
    return " and ".join(out)


def _date(value: dict[str, Any] | None) -> tuple[str, str] | None:
    """(year, ISO date) of a CSL date, or None."""
    if not value:
        return None
    parts = (value.get("date-parts") or [[None]])[0]
    if parts and parts[0]:
        iso = "-".join([str(parts[0])] + [f"{int(p):02d}" for p in parts[1:3] if p])
        return str(parts[0]), iso
    if value.get("literal"):
        m = re.search(r"\d{4}", value["literal"])
        if m:
            return m.group(0), m.group(0)
    if value.get("raw"):
        m = re.search(r"\d{4}", value["raw"])
        if m:
            return m.group(0), value["raw"]
    return None


def _first(value: object) -> object:
    """A variable's value; the first one when a list is given."""
    if isinstance(value, list):
        return value[0] if value else None
    return value


def from_item(item: dict[str, Any]) -> Draft:
    """One CSL-JSON item as a BibTeX draft (the inverse of ``refbook.csl.to_csl``)."""
    from ..csl.types import bibtex_type

    ctype = item.get("type", "document")
    etype = bibtex_type(ctype)
    f: dict[str, str] = {}
    for role in ("author", "editor"):
        if item.get(role):
            f[role] = _names(item[role])
    title = _first(item.get("title"))
    if title:
        f["title"] = rich_to_bibtex(str(title))
    f.update(_container(str(_first(item.get("container-title")) or ""), ctype, etype))
    if item.get("publisher"):
        f["institution" if etype in ("report", "thesis") else "publisher"] = rich_to_bibtex(
            str(item["publisher"])
        )
    if item.get("publisher-place"):
        f["address"] = _escape(str(item["publisher-place"]))
    issued = _date(item.get("issued"))
    if issued:
        f["year"] = issued[0]
        if issued[1] != issued[0]:
            f["date"] = issued[1]
    for src, dst in _COPIED:
        value = _first(item.get(src))
        if value and dst not in f:
            f[dst] = _escape(str(value))
    f.update(_links_and_notes(item))
    return Draft(etype, f, source=f"CSL-JSON {item.get('id', '')}".strip())


def _container(container: str, ctype: str, etype: str) -> dict[str, str]:
    """The BibTeX field(s) for an item's container-title: journal, organization (web
    pages) or booktitle."""
    if not container:
        return {}
    if etype == "article":
        f = {"journal": rich_to_bibtex(container)}
        if ctype in ("article-newspaper", "article-magazine"):
            f["entrysubtype"] = ctype.split("-")[1]
        return f
    return {"organization" if etype == "online" else "booktitle": rich_to_bibtex(container)}


def _links_and_notes(item: dict[str, Any]) -> dict[str, str]:
    """Pages, DOI, URL, access date, keywords, annotation and abstract."""
    f: dict[str, str] = {}
    if item.get("page"):
        f["pages"] = re.sub(r"\s*[-–—]+\s*", "--", str(item["page"]))
    if item.get("DOI"):
        f["doi"] = strip_doi_prefix(str(item["DOI"]))
    if item.get("URL"):
        f["url"] = str(item["URL"]).strip()
    accessed = _date(item.get("accessed"))
    if accessed:
        f["urldate"] = accessed[1]
    if item.get("keyword"):
        f["keywords"] = _escape(str(item["keyword"]))
    if item.get("annote"):
        f["annotation"] = _escape(str(item["annote"]))
    if item.get("abstract"):
        f["abstract"] = _escape(html.unescape(re.sub(r"<[^>]+>", "", str(item["abstract"]))))
    return f
