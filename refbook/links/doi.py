"""DOIs: do they exist (the resolver's Handle API), and do their registered metadata
(Crossref, else DataCite) describe the entry's work?

DOIs are checked through ``{resolver}/api/handles/{doi}``, never through publishers'
landing pages (they block bots and redirect unpredictably); the metadata come from
``{crossref}/works/{doi}`` or ``{datacite}/dois/{doi}``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from ..identifiers import doi_syntax_error
from ..latex import fold
from .client import Client
from .targets import Target
from .transport import NO_ANSWER, TransportError
from .verdicts import Result, Verdict

if TYPE_CHECKING:
    from ..model import Entry

_JSON = {"Accept": "application/json"}


@dataclass(frozen=True)
class Difference:
    """One field on which an entry and its DOI's registered record differ."""

    field: str  # "title", "first author", "year", "volume", "issue", "pages"
    ours: str
    theirs: str
    agency: str  # "crossref" | "datacite"
    another_work: bool = False  # titles that do not match at all

    def __str__(self) -> str:
        if self.field == "title":
            text = f"title: bib {self.ours!r}, {self.agency} {self.theirs!r}"
            return text + (" (another work)" if self.another_work else "")
        return f"{self.field}: bib {self.ours}, {self.agency} {self.theirs}"


def check_doi(
    client: Client,
    target: Target,
    entry: Entry | None,
    *,
    resolver: str,
    crossref: str,
    datacite: str,
) -> Result:
    """The verdict on one DOI: its syntax, its existence, then (given the entry) its
    metadata."""
    problem = doi_syntax_error(target.value)
    if problem:
        return Result(target, Verdict.ERROR, problem, malformed=True)
    doi = target.value.strip()
    handle = f"{resolver.rstrip('/')}/api/handles/{quote(doi, safe='/')}"
    try:
        answer = client.request("GET", handle, want_json=True, headers=_JSON)
    except TransportError as exc:
        if exc.kind == "private":
            return Result(target, Verdict.ERROR, exc.message)
        if exc.kind == "timeout":
            return Result(
                target, Verdict.TIMEOUT, "the DOI resolver did not answer", cause=NO_ANSWER
            )
        return Result(
            target,
            Verdict.ERROR,
            f"DOI resolver unreachable: {exc.message}",
            cause=exc.cause or NO_ANSWER,
        )
    code = (answer.json or {}).get("responseCode")
    if answer.status == 404 or code == 100:
        return Result(
            target,
            Verdict.BROKEN,
            f"DOI {doi} not found (Handle API responseCode 100)",
            answer.status,
        )
    if answer.status != 200 or code != 1:
        return Result(
            target, Verdict.ERROR, f"DOI resolver answered {answer.status}", answer.status
        )
    if entry is None:
        return Result(target, Verdict.OK, "DOI exists", 200)
    found = metadata(client, doi, crossref=crossref, datacite=datacite)
    if found is None:
        return Result(
            target, Verdict.OK, "DOI exists (no Crossref/DataCite record to compare)", 200
        )
    agency, meta = found
    diffs = compare_fields(entry, meta, agency)
    other = next((d for d in diffs if d.another_work), None)
    if other is not None:
        return Result(
            target,
            Verdict.MISMATCH,
            f"DOI points to another work: {other}",
            200,
            warnings=[str(d) for d in diffs if d is not other],
        )
    return Result(
        target,
        Verdict.OK,
        "DOI exists" if diffs else "DOI exists; metadata agree",
        200,
        warnings=[str(d) for d in diffs],
    )


def metadata(
    client: Client, doi: str, *, crossref: str, datacite: str
) -> tuple[str, dict[str, Any]] | None:
    """The DOI's registered record as CSL-JSON-like fields, and which agency gave it."""
    for agency, url in (
        ("crossref", f"{crossref.rstrip('/')}/works/{quote(doi, safe='/')}"),
        ("datacite", f"{datacite.rstrip('/')}/dois/{quote(doi, safe='/')}"),
    ):
        try:
            answer = client.request("GET", url, want_json=True, headers=_JSON)
        except TransportError:
            continue
        if answer.status == 200 and answer.json:
            if agency == "crossref":
                return agency, answer.json.get("message", {})
            return agency, _datacite_to_csl(answer.json.get("data", {}).get("attributes", {}))
    return None


def _datacite_to_csl(attrs: dict[str, Any]) -> dict[str, Any]:
    titles = attrs.get("titles") or [{}]
    creators = attrs.get("creators") or []
    return {
        "title": [titles[0].get("title", "")],
        "author": [{"family": c.get("familyName") or c.get("name", "")} for c in creators],
        "issued": {"date-parts": [[attrs.get("publicationYear")]]},
        "volume": attrs.get("volume"),
        "issue": attrs.get("issue"),
    }


def _year(meta: dict[str, Any]) -> int | None:
    for name in ("issued", "published-print", "published-online", "published", "created"):
        parts = (meta.get(name) or {}).get("date-parts") or [[None]]
        if parts and parts[0] and parts[0][0]:
            try:
                return int(parts[0][0])
            except (TypeError, ValueError):
                continue
    return None


def _pages(value: str) -> str:
    return re.sub(r"\s*(-{1,3}|–|—)\s*", "-", value or "").strip()


def compare_fields(entry: Entry, meta: dict[str, Any], agency: str) -> list[Difference]:
    """Field-by-field differences between an entry and a registration agency's record; a
    title that does not match at all is ``another_work``."""
    from rapidfuzz import fuzz

    diffs = []
    titles = meta.get("title") or []
    their_title = re.sub(
        r"<[^>]+>", "", titles[0] if isinstance(titles, list) and titles else str(titles or "")
    )
    if their_title and entry.title:
        score = fuzz.token_set_ratio(fold(entry.title), fold(their_title))
        if score < 90:
            diffs.append(
                Difference("title", entry.title, their_title, agency, another_work=score < 60)
            )
    authors = meta.get("author") or []
    if authors and entry.authors:
        theirs = authors[0].get("family") or authors[0].get("name") or ""
        if theirs and fold(theirs) != fold(entry.authors[0].family):
            diffs.append(Difference("first author", entry.authors[0].family, theirs, agency))
    year = _year(meta)
    if year and entry.year and year != entry.year:
        diffs.append(Difference("year", str(entry.year), str(year), agency))
    for name, mine in (("volume", entry.volume), ("issue", entry.number)):
        theirs = str(meta.get(name) or "")
        if theirs and mine and theirs != mine:
            diffs.append(Difference(name, mine, theirs, agency))
    theirs_pages = _pages(str(meta.get("page") or ""))
    if theirs_pages and entry.pages and _pages(entry.pages) != theirs_pages:
        diffs.append(Difference("pages", entry.pages, theirs_pages, agency))
    return diffs


def compare(entry: Entry, meta: dict[str, Any], agency: str) -> list[str]:
    """``compare_fields`` as text: ``volume: bib 1, crossref 98``."""
    return [str(d) for d in compare_fields(entry, meta, agency)]
