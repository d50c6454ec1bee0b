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
    from .targets import AnyEntry as Entry  # parsed, or read from the library cache

_JSON = {"Accept": "application/json"}
# Result.details["record"] of a DOI whose registered record could not be fetched: what
# was known of it (a cached retraction) is kept, and the result is not cached
UNAVAILABLE = "unavailable"


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
    exists: bool = False,
) -> Result:
    """The verdict on one DOI: its syntax, its existence, then (given the entry) its
    metadata, what happened to the work since (retraction, withdrawal, expression of
    concern, correction) and whether a preprint has been published.  ``exists``: the
    Handle API said so recently (a cached result): only the record is asked again."""
    problem = doi_syntax_error(target.value)
    if problem:
        return Result(target, Verdict.ERROR, problem, malformed=True)
    doi = target.value.strip()
    if not exists:
        failed = _handle_lookup(client, target, doi, resolver)
        if failed is not None:
            return failed
    if entry is None:
        return Result(target, Verdict.OK, "DOI exists", 200)
    try:
        found = record(client, doi, crossref=crossref, datacite=datacite)
    except TransportError as exc:
        return Result(
            target,
            Verdict.OK,
            f"DOI exists (its registered record could not be fetched: {exc.message})",
            200,
            details={"record": UNAVAILABLE},
        )
    if found is None:
        return Result(
            target, Verdict.OK, "DOI exists (no Crossref/DataCite record to compare)", 200
        )
    diffs = compare_fields(entry, found.meta, found.agency)
    other = next((d for d in diffs if d.another_work), None)
    if other is not None:
        return Result(
            target,
            Verdict.MISMATCH,
            f"DOI points to another work: {describe(found.meta)}; the entry's title is "
            f"{other.ours!r}",
            200,
            warnings=[str(d) for d in diffs if d is not other],
            details={"points_to": summary(found.meta, doi)},
        )
    warnings = [str(d) for d in diffs]
    later = _update_result(target, found, warnings)
    if later is None and found.preprint and found.published:
        later = _published_result(client, target, found, warnings, crossref, datacite)
    agree = "DOI exists" if diffs else "DOI exists; metadata agree"
    return later or Result(target, Verdict.OK, agree, 200, warnings=warnings)


def _update_result(target: Target, found: Record, warnings: list[str]) -> Result | None:
    """A retracted, withdrawn, corrected or flagged work's result, or a notice's; else None."""
    status = updates_verdict(found.updated_by)
    if status is not None:
        verdict, notices = status
        what = {
            Verdict.RETRACTED: "retracted",
            Verdict.WITHDRAWN: "withdrawn",
            Verdict.CONCERN: "under an expression of concern",
            Verdict.CORRECTED: "corrected",
        }[verdict]
        return Result(
            target,
            verdict,
            f"the work is {what}: {'; '.join(n.describe() for n in notices)}",
            200,
            warnings=warnings,
            details={"update": notices[0].to_dict(), "updates": [n.to_dict() for n in notices]},
        )
    notices_of = [u for u in found.update_to if u.kind in UPDATE_VERDICTS]
    if not notices_of:
        return None
    notice = notices_of[0]
    return Result(
        target,
        Verdict.NOTICE,
        f"this DOI is a {notice.label.lower()} notice of {notice.doi}"
        + (f" ({notice.date})" if notice.date else "")
        + ", not the work itself",
        200,
        warnings=warnings,
        details={"notice_of": notice.to_dict()},
    )


def _published_result(
    client: Client, target: Target, found: Record, warnings: list[str], crossref: str, datacite: str
) -> Result:
    """The result of a preprint's DOI whose record names the published version."""
    published = found.published[0]
    try:
        meta = record(client, published, crossref=crossref, datacite=datacite)
    except TransportError:
        meta = None  # named by its DOI alone
    info = summary(meta.meta if meta else {}, published)
    venue = f" in {info['venue']}" if info.get("venue") else ""
    year = f" ({info['year']})" if info.get("year") else ""
    return Result(
        target,
        Verdict.SUPERSEDED,
        f"a preprint, published as {published}{venue}{year}",
        200,
        warnings=warnings,
        details={"published": info, "preprint_server": _server(found.meta)},
    )


def _handle_lookup(client: Client, target: Target, doi: str, resolver: str) -> Result | None:
    """None when the DOI resolver's Handle API knows the DOI, else the failing result."""
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
    return None


# Crossref's update types (``updated-by``/``update-to``; Retraction Watch's records use the
# same names) -> the verdict on a work that carries one; others (new_version, new_edition…)
# are not a reason to look at a citation again
UPDATE_VERDICTS = {
    "retraction": Verdict.RETRACTED,
    "partial-retraction": Verdict.RETRACTED,
    "withdrawal": Verdict.WITHDRAWN,
    "removal": Verdict.WITHDRAWN,
    "expression-of-concern": Verdict.CONCERN,
    "correction": Verdict.CORRECTED,
    "corrigendum": Verdict.CORRECTED,
    "erratum": Verdict.CORRECTED,
    "addendum": Verdict.CORRECTED,
    "clarification": Verdict.CORRECTED,
}
REINSTATEMENT = "reinstatement"  # a retraction or withdrawal undone


@dataclass(frozen=True)
class Update:
    """One notice about a work: Crossref's ``updated-by`` (on the work) or ``update-to``
    (on the notice) item."""

    kind: str  # Crossref's type, with hyphens: "retraction", "expression-of-concern"…
    doi: str  # the notice's DOI (updated-by) or the updated work's (update-to)
    date: str | None  # ISO date of the notice: 2021, 2021-03 or 2021-03-04
    source: str  # "publisher", "retraction-watch"…
    label: str  # Crossref's display label, "Retraction"

    def describe(self) -> str:
        when = f", {self.date}" if self.date else ""
        return f"{self.label.lower()} notice {self.doi} ({self.source}{when})"

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": self.kind,
            "doi": self.doi,
            "date": self.date,
            "source": self.source,
            "label": self.label,
        }


def _updates(items: object) -> list[Update]:
    out = []
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, dict) or not isinstance(item.get("type"), str):
            continue
        kind = item["type"].strip().lower().replace("_", "-")
        date = _iso_date(item.get("updated"))
        label = str(item.get("label") or kind.replace("-", " ").capitalize())
        out.append(
            Update(
                kind,
                str(item.get("DOI") or ""),
                date,
                str(item.get("source") or "publisher"),
                label,
            )
        )
    return out


def updates_verdict(updates: list[Update]) -> tuple[Verdict, list[Update]] | None:
    """The worst verdict the notices about a work give, with those notices (the same
    notice from the publisher and from Retraction Watch is listed once per source).  A
    reinstatement dated after a retraction, withdrawal or expression of concern undoes
    it."""
    undone = max((u.date or "" for u in updates if u.kind == REINSTATEMENT), default=None)
    worst: Verdict | None = None
    for u in updates:
        verdict = UPDATE_VERDICTS.get(u.kind)
        if verdict is None:
            continue
        if undone is not None and verdict is not Verdict.CORRECTED and (u.date or "") <= undone:
            continue
        if worst is None or verdict.order < worst.order:
            worst = verdict
    if worst is None:
        return None
    notices = [u for u in updates if UPDATE_VERDICTS.get(u.kind) is worst]
    return worst, sorted(notices, key=lambda u: (u.date or "", u.source), reverse=True)


@dataclass
class Record:
    """A DOI's registered record: CSL-JSON-like fields, the notices about it, and the
    published versions of a preprint."""

    agency: str  # "crossref" | "datacite"
    meta: dict[str, Any]
    updated_by: list[Update]
    update_to: list[Update]
    preprint: bool
    published: list[str]  # DOIs of the published versions (of a preprint)


ARXIV_PREFIX = "10.48550/"
PUBLISHED_RELATIONS = ("IsVersionOf", "IsPreviousVersionOf")  # DataCite, for arXiv


def record(client: Client, doi: str, *, crossref: str, datacite: str) -> Record | None:
    """The DOI's registered record (Crossref, else DataCite), or None when neither has
    one.  Raises ``TransportError`` when there is none to be had because a registry did
    not answer (no connection, 5xx after retries): not knowing is not "no record"."""
    failed: TransportError | None = None
    for agency, url in (
        ("crossref", f"{crossref.rstrip('/')}/works/{quote(doi, safe='/')}"),
        ("datacite", f"{datacite.rstrip('/')}/dois/{quote(doi, safe='/')}"),
    ):
        try:
            answer = client.request("GET", url, want_json=True, headers=_JSON)
        except TransportError as exc:
            failed = exc
            continue
        if answer.status >= 500:
            failed = TransportError("other", f"{agency} answered {answer.status}")
            continue
        if answer.status != 200 or not isinstance(answer.json, dict):
            continue
        try:
            if agency == "crossref":
                message = answer.json.get("message")
                if isinstance(message, dict):
                    return _crossref_record(message)
            else:
                data = answer.json.get("data")
                attrs = data.get("attributes") if isinstance(data, dict) else None
                if isinstance(attrs, dict):
                    return _datacite_record(doi, attrs)
        except (AttributeError, TypeError, ValueError, IndexError, KeyError):
            continue  # a record of another shape than documented: as if there were none
    if failed is not None:
        raise failed
    return None


def _crossref_record(meta: dict[str, Any]) -> Record:
    relation = meta.get("relation")
    linked = relation.get("is-preprint-of") if isinstance(relation, dict) else None
    published = [
        r["id"]
        for r in (linked if isinstance(linked, list) else [])
        if isinstance(r, dict) and r.get("id-type") == "doi" and isinstance(r.get("id"), str)
    ]
    return Record(
        "crossref",
        meta,
        _updates(meta.get("updated-by")),
        _updates(meta.get("update-to")),
        preprint=meta.get("type") == "posted-content"
        or str(meta.get("DOI", "")).lower().startswith(ARXIV_PREFIX),
        published=published,
    )


def _datacite_record(doi: str, attrs: dict[str, Any]) -> Record:
    types = attrs.get("types") or {}
    published = [
        str(r["relatedIdentifier"])
        for r in attrs.get("relatedIdentifiers") or []
        if isinstance(r, dict)
        and r.get("relatedIdentifierType") == "DOI"
        and r.get("relationType") in PUBLISHED_RELATIONS
        and r.get("relatedIdentifier")
        and r.get("resourceTypeGeneral") != "Preprint"
        and not str(r["relatedIdentifier"]).lower().startswith(ARXIV_PREFIX)
    ]
    return Record(
        "datacite",
        _datacite_to_csl(attrs),
        [],
        [],
        preprint=types.get("resourceTypeGeneral") == "Preprint"
        or doi.lower().startswith(ARXIV_PREFIX),
        published=published,
    )


def metadata(
    client: Client, doi: str, *, crossref: str, datacite: str
) -> tuple[str, dict[str, Any]] | None:
    """The DOI's registered record as CSL-JSON-like fields, and which agency gave it."""
    found = record(client, doi, crossref=crossref, datacite=datacite)
    return (found.agency, found.meta) if found else None


def _datacite_to_csl(attrs: dict[str, Any]) -> dict[str, Any]:
    titles = attrs.get("titles") or [{}]
    creators = attrs.get("creators") or []
    container = attrs.get("container") or {}
    publisher = attrs.get("publisher")
    if isinstance(publisher, dict):  # DataCite's newer form: {"name": …}
        publisher = publisher.get("name")
    return {
        "title": [titles[0].get("title", "")],
        "author": [
            {"family": c.get("familyName") or c.get("name", ""), "given": c.get("givenName")}
            for c in creators
        ],
        "issued": {"date-parts": [[attrs.get("publicationYear")]]},
        "volume": attrs.get("volume") or container.get("volume"),
        "issue": attrs.get("issue") or container.get("issue"),
        "container-title": [container["title"]] if container.get("title") else [],
        "publisher": publisher,
        "type": (attrs.get("types") or {}).get("citeproc"),
    }


def summary(meta: dict[str, Any], doi: str) -> dict[str, Any]:
    """What a record says a work is, for JSON: DOI, title, first author, year, venue."""
    return {
        "doi": doi,
        "title": _first(meta.get("title")),
        "author": _family(meta),
        "year": _year(meta),
        "venue": _first(meta.get("container-title")) or _first(meta.get("publisher")) or None,
    }


def describe(meta: dict[str, Any]) -> str:
    """A record as one line: ``Nobody (1999), 'A Paper about Soil', Journal of Soils``."""
    info = summary(meta, "")
    head = " ".join(
        part for part in (info["author"] or "", f"({info['year']})" if info["year"] else "") if part
    )
    parts = [head, repr(info["title"]) if info["title"] else "", info["venue"] or ""]
    return ", ".join(p for p in parts if p) or "a record without title"


def _server(meta: dict[str, Any]) -> str | None:
    """The preprint server's name: Crossref's ``institution`` of posted content (bioRxiv,
    medRxiv…), else the publisher; arXiv for its DataCite DOIs."""
    if str(meta.get("DOI", "")).lower().startswith(ARXIV_PREFIX):
        return "arXiv"
    institutions = meta.get("institution")
    if (
        isinstance(institutions, list)
        and institutions
        and isinstance(institutions[0], dict)
        and institutions[0].get("name")
    ):
        return str(institutions[0]["name"])
    return str(meta["publisher"]) if meta.get("publisher") else None


def _first(value: object) -> str:
    if isinstance(value, list):
        value = value[0] if value else ""
    return re.sub(r"<[^>]+>", "", str(value or "")).strip()


def _family(meta: dict[str, Any]) -> str:
    authors = meta.get("author")
    if not isinstance(authors, list) or not authors or not isinstance(authors[0], dict):
        return ""
    return str(authors[0].get("family") or authors[0].get("name") or "")


def _date_parts(value: object) -> list[int]:
    """A Crossref/CSL date's ``date-parts`` (``{"date-parts": [[2021, 3, 4]]}``) as
    ``[2021, 3, 4]``; ``[]`` for anything of another shape (a registry's data is untrusted)."""
    parts = value.get("date-parts") if isinstance(value, dict) else None
    first = parts[0] if isinstance(parts, list) and parts and isinstance(parts[0], list) else []
    out = []
    for part in first:
        try:
            out.append(int(part))
        except (TypeError, ValueError):
            break
    return out


def _iso_date(value: object) -> str | None:
    """``2021-03-04`` (or ``2021-03``, ``2021``) from a Crossref date; None without one."""
    return "-".join(f"{p:02d}" for p in _date_parts(value)) or None


def _year(meta: dict[str, Any]) -> int | None:
    for name in ("issued", "published-print", "published-online", "published", "created"):
        parts = _date_parts(meta.get(name))
        if parts and parts[0]:
            return parts[0]
    return None


def _pages(value: str) -> str:
    return re.sub(r"\s*(-{1,3}|–|—)\s*", "-", value or "").strip()


def compare_fields(entry: Entry, meta: dict[str, Any], agency: str) -> list[Difference]:
    """Field-by-field differences between an entry and a registration agency's record; a
    title that does not match at all is ``another_work``."""
    from rapidfuzz import fuzz

    diffs = []
    their_title = _first(meta.get("title"))
    if their_title and entry.title:
        score = fuzz.token_set_ratio(fold(entry.title), fold(their_title))
        if score < 90:
            diffs.append(
                Difference("title", entry.title, their_title, agency, another_work=score < 60)
            )
    if entry.authors:
        theirs = _family(meta)
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
