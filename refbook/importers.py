"""New entries from elsewhere: CSL-JSON (DOI content negotiation, Zotero), RIS, BibTeX or
BibLaTeX files, and web pages' citation meta tags.  Each importer returns ``Draft``s:
an entry type and BibTeX field values, to be given a key and appended by the store."""

from __future__ import annotations

import datetime as _dt
import html
import json
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import TYPE_CHECKING

from .errors import InputError, NetworkError, NotFoundError, UsageError
from .findings import Severity
from .identifiers import DOI_IN_TEXT, redact, strip_doi_prefix, url_form_error

if TYPE_CHECKING:
    import requests

FETCH_TIMEOUT = 20.0  # seconds for a whole fetch (add --doi, add --url), redirects included


@dataclass
class Draft:
    entry_type: str
    fields: dict[str, str] = field(default_factory=dict)
    key: str | None = None  # kept when the source had one (BibTeX files)
    source: str = ""  # where it came from, for messages


# -- CSL-JSON -> BibTeX ---------------------------------------------------------------------

CSL_TO_BIBTEX = {
    "article-journal": "article",
    "article": "article",
    "article-magazine": "article",
    "article-newspaper": "article",
    "book": "book",
    "chapter": "incollection",
    "paper-conference": "inproceedings",
    "report": "report",
    "thesis": "thesis",
    "webpage": "online",
    "post-weblog": "online",
    "post": "online",
    "dataset": "dataset",
    "manuscript": "unpublished",
    "software": "software",
    "patent": "patent",
    "entry-encyclopedia": "incollection",
    "entry-dictionary": "incollection",
}


def _escape(text: str) -> str:
    """Plain text as a BibTeX value (``refbook.plaintext``: specials escaped; a lone brace
    is an error, reported with the item it is in)."""
    from .plaintext import to_bibtex

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


def _rich_to_bibtex(text: str) -> str:
    """CSL rich text: ``<span class="nocase">TTP</span>`` -> ``{TTP}``, ``<i>`` ->
    ``\\emph{}``; the text between the tags is escaped, other tags are dropped."""
    from .plaintext import check_braces, escape

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


def _names(people: list[dict]) -> str:
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


def _date(value: dict | None) -> tuple[str, str] | None:
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


# CSL-JSON variables by kind (CSL 1.0.2 schema): the types the mapping relies on
CSL_NAME_VARIABLES = frozenset(
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
CSL_DATE_VARIABLES = frozenset(
    {
        "issued",
        "accessed",
        "submitted",
        "event-date",
        "original-date",
        "available-date",
    }
)


def csl_items(data: object, name: str = "<input>") -> list[dict]:
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
        _check_csl_item(item, f"{name}: error: CSL-JSON item {i}")
    return data


def _check_csl_item(item: object, where: str) -> None:
    def bad(variable: str, expected: str, value: object) -> InputError:
        return InputError(
            f"{where}{ident}: {variable!r} must be {expected}, not "
            f"{_json_kind(value)}; nothing added"
        )

    ident = ""
    if not isinstance(item, dict):
        raise InputError(
            f"{where}: expected an object (a CSL item), not {_json_kind(item)}; nothing added"
        )
    if isinstance(item.get("id"), (str, int)):
        ident = f" ({item['id']})"
    for variable, value in item.items():
        if value is None:
            continue
        if variable in CSL_NAME_VARIABLES:
            if not isinstance(value, list):
                raise bad(variable, "a list of names", value)
            for person in value:
                if not isinstance(person, dict) or not all(
                    isinstance(v, (str, int, bool)) for v in person.values()
                ):
                    raise bad(
                        variable,
                        'a list of name objects ({"family", "given"} or {"literal"})',
                        person,
                    )
        elif variable in CSL_DATE_VARIABLES:
            parts = value.get("date-parts") if isinstance(value, dict) else None
            if not isinstance(value, dict) or (
                parts is not None
                and not (
                    isinstance(parts, list)
                    and all(
                        isinstance(p, list)
                        and all(
                            isinstance(x, (int, str)) and str(x).strip().lstrip("-").isdigit()
                            for x in p
                        )
                        for p in parts
                    )
                )
            ):
                raise bad(variable, 'a date object ({"date-parts": [[2023, 12]]})', value)
        elif variable == "type":
            if not isinstance(value, str):
                raise bad(variable, "a string", value)
        elif variable in _CSL_TEXT:
            texts = value if isinstance(value, list) else [value]
            if not all(isinstance(v, (str, int, float)) and not isinstance(v, bool) for v in texts):
                raise bad(variable, "a string", value)
    title = item.get("title")
    if isinstance(title, list):
        title = title[0] if title else ""
    if not str(title or "").strip():
        raise InputError(f"{where}{ident}: no title; nothing added")


# the variables from_csl reads as text
_CSL_TEXT = frozenset(
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


def from_csl(item: dict) -> Draft:
    """One CSL-JSON item as a BibTeX draft (the inverse of ``refbook.csl.to_csl``)."""
    ctype = item.get("type", "document")
    etype = CSL_TO_BIBTEX.get(ctype, "misc")
    f: dict[str, str] = {}
    if item.get("author"):
        f["author"] = _names(item["author"])
    if item.get("editor"):
        f["editor"] = _names(item["editor"])
    title = item.get("title")
    if isinstance(title, list):
        title = title[0] if title else ""
    if title:
        f["title"] = _rich_to_bibtex(str(title))
    container = item.get("container-title")
    if isinstance(container, list):
        container = container[0] if container else ""
    if container:
        container = str(container)
        if etype == "article":
            f["journal"] = _rich_to_bibtex(container)
            if ctype in ("article-newspaper", "article-magazine"):
                f["entrysubtype"] = ctype.split("-")[1]
        elif etype == "online":
            f["organization"] = _rich_to_bibtex(container)
        else:
            f["booktitle"] = _rich_to_bibtex(container)
    if item.get("publisher"):
        f["institution" if etype in ("report", "thesis") else "publisher"] = _rich_to_bibtex(
            str(item["publisher"])
        )
    if item.get("publisher-place"):
        f["address"] = _escape(str(item["publisher-place"]))
    issued = _date(item.get("issued"))
    if issued:
        f["year"] = issued[0]
        if issued[1] != issued[0]:
            f["date"] = issued[1]
    for src, dst in (
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
    ):
        value = item.get(src)
        if isinstance(value, list):
            value = value[0] if value else None
        if value and dst not in f:
            f[dst] = _escape(str(value))
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
    return Draft(etype, f, source=f"CSL-JSON {item.get('id', '')}".strip())


# -- RIS ---------------------------------------------------------------------------------

RIS_TYPES = {
    "JOUR": "article",
    "JFULL": "article",
    "MGZN": "article",
    "NEWS": "article",
    "BOOK": "book",
    "EBOOK": "book",
    "CHAP": "incollection",
    "ECHAP": "incollection",
    "CONF": "inproceedings",
    "CPAPER": "inproceedings",
    "RPRT": "report",
    "THES": "thesis",
    "ELEC": "online",
    "WEB": "online",
    "BLOG": "online",
    "UNPB": "unpublished",
    "DATA": "dataset",
    "COMP": "software",
    "PAT": "patent",
}


def from_ris(text: str) -> list[Draft]:
    drafts = []
    record: list[tuple[str, str]] = []
    for line in text.splitlines():
        m = re.match(r"^([A-Z][A-Z0-9])  -\s?(.*)$", line.lstrip("\ufeff"))
        if not m:
            continue
        tag, value = m.group(1), m.group(2).strip()
        if tag == "ER":
            if record:
                drafts.append(_ris_record(record))
            record = []
        else:
            record.append((tag, value))
    if record:
        drafts.append(_ris_record(record))
    return drafts


def _ris_record(record: list[tuple[str, str]]) -> Draft:
    tags: dict[str, list[str]] = {}
    for tag, value in record:
        tags.setdefault(tag, []).append(value)

    def first(*names: str) -> str:
        for n in names:
            if tags.get(n):
                return tags[n][0]
        return ""

    rtype = first("TY") or "GEN"
    etype = RIS_TYPES.get(rtype, "misc")
    f: dict[str, str] = {}
    authors = tags.get("AU", []) + tags.get("A1", [])
    if authors:
        f["author"] = " and ".join(
            _escape(a) if "," in a or " " not in a.strip() else "{" + _escape(a) + "}"
            for a in authors
        )
    if tags.get("A2") or tags.get("ED"):
        f["editor"] = " and ".join(_escape(a) for a in tags.get("A2", []) + tags.get("ED", []))
    if first("TI", "T1"):
        f["title"] = _escape(first("TI", "T1"))
    container = first("T2", "JO", "JF", "JA", "BT")
    if container:
        key = {"article": "journal", "online": "organization"}.get(etype, "booktitle")
        f[key] = _escape(container)
    date = first("PY", "Y1", "DA")
    m = re.search(r"\d{4}", date)
    if m:
        f["year"] = m.group(0)
    if first("DA"):
        parts = [p for p in first("DA").split("/") if p.strip()]
        if len(parts) >= 2 and parts[0].isdigit():
            f["date"] = "-".join([parts[0]] + [f"{int(p):02d}" for p in parts[1:3] if p.isdigit()])
    for tag, name in (
        ("VL", "volume"),
        ("IS", "number"),
        ("PB", "publisher"),
        ("CY", "address"),
        ("SN", "issn"),
        ("ET", "edition"),
    ):
        if first(tag):
            f[name] = _escape(first(tag))
    if first("SP"):
        f["pages"] = first("SP") + (f"--{first('EP')}" if first("EP") else "")
    if first("DO"):
        f["doi"] = strip_doi_prefix(first("DO"))
    if first("UR"):
        f["url"] = first("UR")
    if first("Y2"):
        f["urldate"] = first("Y2").replace("/", "-").strip("-")
    if tags.get("KW"):
        f["keywords"] = _escape(", ".join(tags["KW"]))
    if first("N1"):
        f["annotation"] = _escape(first("N1"))
    if first("AB", "N2"):
        f["abstract"] = _escape(first("AB", "N2"))
    return Draft(etype, f, key=first("ID") or None, source=f"RIS {rtype}")


# -- BibTeX files -----------------------------------------------------------------------------


def from_bibtex(text: str, name: str = "<input>") -> list[Draft]:
    from .store import BibFile

    bib = BibFile(text, name=name)
    errors = [p for p in bib.problems if p.severity is Severity.ERROR]
    if errors:
        raise InputError(str(errors[0]))
    drafts = []
    for blk in bib.entries():
        fields = {}
        for f in blk.entry.fields:
            from .bibtex import evaluate

            fields.setdefault(f.key.lower(), evaluate(f.value, bib.strings_for(blk)))
        drafts.append(
            Draft(blk.entry.entry_type.lower(), fields, key=blk.key, source=f"{name}:{blk.line}")
        )
    return drafts


def detect(text: str) -> str:
    """``csl-json``, ``ris`` or ``bibtex``, by content."""
    stripped = text.lstrip("\ufeff \t\r\n")
    if stripped.startswith(("[", "{")):
        return "csl-json"
    if re.search(r"^TY  - ", text, re.M):
        return "ris"
    if re.search(r"^\s*@\w+\s*[{(]", text, re.M):
        return "bibtex"
    raise UsageError(
        "error: cannot tell the format of the input (BibTeX, RIS or CSL-JSON?); use --from"
    )


def parse(text: str, fmt: str | None = None, name: str = "<input>") -> list[Draft]:
    fmt = fmt or detect(text)
    if fmt in ("bibtex", "biblatex"):
        return from_bibtex(text, name)
    if fmt == "ris":
        try:
            return from_ris(text)
        except UsageError as exc:  # a lone brace, which BibTeX cannot store
            raise InputError(f"{name}: error: {exc}; nothing added") from None
    if fmt == "csl-json":
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise InputError(f"{name}: error: invalid JSON: {exc}") from None
        drafts = []
        for i, item in enumerate(csl_items(data, name), start=1):
            try:
                drafts.append(from_csl(item))
            except UsageError as exc:  # a lone brace, which BibTeX cannot store
                raise InputError(
                    f"{name}: error: CSL-JSON item {i}: {exc}; nothing added"
                ) from None
        return drafts
    raise UsageError(f"error: unknown input format {fmt!r}")


# -- DOIs and web pages ----------------------------------------------------------------------


def fetch_doi(
    doi: str,
    resolver: str,
    *,
    timeout: float | None = None,
    user_agent: str | None = None,
    allow_private: bool = False,
    session: requests.Session | None = None,
) -> Draft:
    """CSL-JSON for a DOI by content negotiation at the resolver, through the transport
    (``refbook.links.session``: private addresses refused unless ``allow_private``)."""
    from .links.session import fetch
    from .links.transport import TransportError

    timeout = timeout or FETCH_TIMEOUT
    url = f"{resolver.rstrip('/')}/{doi}"
    try:
        page = fetch(
            url,
            timeout=timeout,
            session=session,
            allow_private=allow_private,
            agent=user_agent,
            headers={"Accept": "application/vnd.citationstyles.csl+json"},
        )
    except TransportError as exc:
        if exc.kind == "timeout":
            raise NetworkError(
                f"error: the DOI resolver did not answer for {doi} (timeout {timeout:g} s)"
            ) from None
        raise NetworkError(
            f"error: cannot reach the DOI resolver for {doi}: {exc.message}"
        ) from None
    if page.status == 404:
        raise NotFoundError(f"error: DOI {doi} not found at {redact(resolver)}")
    if page.status != 200:
        raise NetworkError(f"error: the DOI resolver answered {page.status} for {doi}")
    try:
        item = json.loads(page.body)
    except ValueError:
        raise NetworkError(f"error: the DOI resolver sent malformed CSL-JSON for {doi}") from None
    if not isinstance(item, dict):
        raise NetworkError(f"error: the DOI resolver sent malformed CSL-JSON for {doi}")
    try:
        _check_csl_item(item, "the resolver's CSL-JSON")
        draft = from_csl(item)
    except (InputError, UsageError) as exc:
        raise NetworkError(f"error: DOI {doi}: {exc}") from None
    draft.fields.setdefault("doi", doi)
    draft.source = f"DOI {doi}"
    return draft


class _Meta(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.meta: dict[str, list[str]] = {}
        self.title = ""
        self._in_title = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "meta":
            name = (a.get("name") or a.get("property") or "").lower()
            if name and a.get("content"):
                self.meta.setdefault(name, []).append(a["content"].strip())
        elif tag == "title":
            self._in_title = True

    def handle_endtag(self, tag):
        if tag == "title":
            self._in_title = False

    def handle_data(self, data):
        if self._in_title:
            self.title += data


def from_html(page: str, url: str, today: _dt.date | None = None) -> Draft:
    """An ``@online`` draft from citation_* (Highwire), Dublin Core and Open Graph tags."""
    p = _Meta()
    p.feed(page)
    m = p.meta

    def first(*names: str) -> str:
        for n in names:
            if m.get(n):
                return m[n][0]
        return ""

    f: dict[str, str] = {}
    authors = m.get("citation_author") or m.get("dc.creator") or m.get("author") or []
    if authors:
        f["author"] = " and ".join(
            _escape(a)
            if "," in a
            else _escape(" ".join(a.split()[-1:]) + ", " + " ".join(a.split()[:-1]))
            if len(a.split()) > 1
            else _escape(a)
            for a in authors
        )
    title = first("citation_title", "dc.title", "og:title") or p.title.strip()
    if title:
        f["title"] = _escape(title)
    site = first("citation_journal_title", "og:site_name", "dc.publisher", "citation_publisher")
    if site:
        f["organization"] = _escape(site)
    date = first(
        "citation_publication_date",
        "citation_date",
        "dc.date",
        "article:published_time",
        "citation_online_date",
    )
    ym = re.match(r"(\d{4})(?:[-/](\d{1,2}))?(?:[-/](\d{1,2}))?", date)
    if ym:
        f["year"] = ym.group(1)
        parts = [p for p in ym.groups() if p]
        if len(parts) > 1:
            f["date"] = "-".join([parts[0]] + [f"{int(x):02d}" for x in parts[1:]])
    doi = first("citation_doi", "dc.identifier")
    if doi and DOI_IN_TEXT.search(doi):
        f["doi"] = strip_doi_prefix(doi)
    f["url"] = first("citation_public_url", "og:url") or url
    f["urldate"] = (today or _dt.date.today()).isoformat()
    return Draft("online", f, source=f"URL {url}")


def fetch_url(
    url: str,
    *,
    timeout: float | None = None,
    user_agent: str | None = None,
    allow_private: bool = False,
    session: requests.Session | None = None,
) -> Draft:
    """An ``@online`` draft from a web page's meta tags, fetched through the transport
    (``refbook.links.session``: private addresses refused unless ``allow_private``)."""
    from .links.session import fetch
    from .links.transport import TransportError

    problem = url_form_error(url)
    if problem:
        raise UsageError(f"error: --url: {problem}")
    timeout = timeout or FETCH_TIMEOUT
    try:
        page = fetch(
            url, timeout=timeout, session=session, allow_private=allow_private, agent=user_agent
        )
    except TransportError as exc:
        reason = f"no answer within {timeout:g} s" if exc.kind == "timeout" else exc.message
        raise NetworkError(f"error: cannot fetch {redact(url)}: {reason}") from None
    if page.status >= 400:
        raise NetworkError(f"error: {redact(url)} answered {page.status}")
    try:
        text = page.body.decode(page.encoding or "utf-8", "replace")
    except LookupError:  # a charset Python does not know
        text = page.body.decode("utf-8", "replace")
    try:
        return from_html(text, url)
    except UsageError as exc:  # a lone brace, which BibTeX cannot store
        raise InputError(f"error: {redact(url)}: {exc}; nothing added") from None
