"""New entries from the network: a DOI's CSL-JSON by content negotiation, and a web page's
citation meta tags, fetched through ``refbook.links.session``.  Each importer returns a
``Draft`` (``refbook.formats.Draft``): an entry type and BibTeX field values, to be given
a key and appended by the store.  Files (BibTeX, RIS, CSL-JSON…) are read by their
modules of ``refbook.formats``."""

from __future__ import annotations

import datetime as _dt
import json
import re
from html.parser import HTMLParser
from typing import TYPE_CHECKING

from . import formats
from .errors import InputError, NetworkError, NotFoundError, UsageError
from .formats import Draft, csl_json
from .identifiers import DOI_IN_TEXT, redact, strip_doi_prefix, url_form_error

if TYPE_CHECKING:
    import requests

FETCH_TIMEOUT = 20.0  # seconds for a whole fetch (add --doi, add --url), redirects included


# names kept for the Python API: a format's reading lives in its module of refbook.formats
from_csl = csl_json.from_item


def from_ris(text: str, name: str = "<input>") -> list[Draft]:
    """The records of an RIS file as drafts (``refbook.formats.ris.read``)."""
    return formats.get("ris").read(text, name)


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
        csl_json.check_item(item, "the resolver's CSL-JSON")
        draft = csl_json.from_item(item)
    except (InputError, UsageError) as exc:
        raise NetworkError(f"error: DOI {doi}: {exc}") from None
    draft.fields.setdefault("doi", doi)
    draft.source = f"DOI {doi}"
    return draft


def _escape(text: str) -> str:
    """Plain text as a BibTeX value (``refbook.plaintext``; a lone brace is an error)."""
    from .plaintext import to_bibtex

    return to_bibtex(text)


class _Meta(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.meta: dict[str, list[str]] = {}
        self.title = ""
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "meta":
            name = (a.get("name") or a.get("property") or "").lower()
            content = a.get("content")
            if name and content:
                self.meta.setdefault(name, []).append(content.strip())
        elif tag == "title":
            self._in_title = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False

    def handle_data(self, data: str) -> None:
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
