"""DOI and URL checking that a CI can trust.

Collect targets (each entry's ``doi`` and ``url`` with their line) -> check them on the
network with polite limits -> a verdict each:

==============  =========================================================================
``ok``          the DOI exists (Handle API) and its metadata agree; the URL answers 2xx
``redirected``  the URL answers after a permanent redirect (the new URL is given)
``broken``      404/410, DNS failure, connection refused, DOI not found, redirect loop
``mismatch``    the DOI's registered metadata describe another work (title) -- an error;
                field differences (volume, year…) are warnings on an ``ok`` DOI
``blocked``     bot protection (403 with a challenge marker, 999, a WAF header) or 401
``timeout``     no answer in time, after retries
``rate-limited`` 429, after honouring Retry-After (bounded)
``error``       anything else (5xx after retries, refused private address, bad syntax)
==============  =========================================================================

DOIs are checked through the resolver's Handle API (``{resolver}/api/handles/{doi}``),
never through publishers' landing pages; their metadata come from Crossref
(``{crossref}/works/{doi}``) or DataCite (``{datacite}/dois/{doi}``).  URLs: HEAD first,
GET when HEAD is refused (405/403/501/400), redirects followed by hand (each hop checked
against private addresses), bodies never read (streamed responses closed unread).
Retries with exponential backoff for timeouts and 5xx only.  A global concurrency limit
and a per-host limit, one ``requests.Session`` per host.
"""

from __future__ import annotations

import ipaddress
import json
import os
import queue
import re
import socket
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from urllib.parse import quote, urljoin, urlsplit, urlunsplit

from .model import Entry, fold, normalize_doi

VERDICTS = ("ok", "redirected", "broken", "mismatch", "blocked", "timeout", "rate-limited",
            "error")
FAILING = {"broken", "mismatch"}
STRICT_FAILING = FAILING | {"blocked", "timeout", "rate-limited", "error"}
_DOI = re.compile(r"^10\.\d{4,9}/\S+$")
REDIRECTS = {301, 302, 303, 307, 308}
PERMANENT = {301, 308}
CHALLENGE_HEADERS = ("cf-mitigated", "x-amzn-waf-action", "x-datadome", "x-px-block")


@dataclass
class Target:
    key: str
    kind: str  # doi | url
    value: str  # as written
    line: int


@dataclass
class Result:
    target: Target
    verdict: str
    message: str
    status: int | None = None
    final_url: str | None = None
    warnings: list[str] = field(default_factory=list)  # metadata differences
    cached: bool = False

    def to_dict(self) -> dict:
        return {"key": self.target.key, "kind": self.target.kind,
                "value": redact(self.target.value), "line": self.target.line,
                "verdict": self.verdict, "status": self.status, "message": self.message,
                "final_url": redact(self.final_url) if self.final_url else None,
                "warnings": self.warnings, "cached": self.cached}


@dataclass
class Options:
    doi_resolver: str = "https://doi.org"
    crossref_api: str = "https://api.crossref.org"
    datacite_api: str = "https://api.datacite.org"
    concurrency: int = 32
    per_host: int = 4
    timeout: float = 10.0
    connect_timeout: float = 5.0
    retries: int = 2
    backoff: float = 0.5
    max_redirects: int = 10
    max_retry_after: float = 10.0
    allow_private: bool = False
    user_agent: str = ""
    offline: bool = False


def redact(url: str | None) -> str:
    """``https://user:pass@host/x`` -> ``https://***@host/x``: credentials never printed."""
    if not url or "@" not in url:  # no userinfo without an '@'
        return url or ""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    if parts.username or parts.password:
        host = parts.hostname or ""
        if parts.port:
            host += f":{parts.port}"
        return urlunsplit((parts.scheme, "***@" + host, parts.path, parts.query, parts.fragment))
    return url


def collect(entries: Iterable[Entry], *, dois: bool = True, urls: bool = True) -> list[Target]:
    """The DOIs and URLs to check, with the line of the field."""
    from .lint import _position

    out = []
    for e in entries:
        if dois and e.get("doi"):
            out.append(Target(e.key, "doi", e["doi"].strip(), _position(e, "doi")[0]))
        if urls and e.get("url"):
            out.append(Target(e.key, "url", e["url"].strip(), _position(e, "url")[0]))
    return out


def doi_syntax_error(value: str) -> str | None:
    bare = normalize_doi(value)
    if value.lower().startswith(("http", "doi:")):
        return f"doi field holds a resolver URL or prefix ({value}); write the bare DOI {bare}"
    if not _DOI.match(value.strip()):
        return f"not a DOI: {value!r}"
    if re.search(r"[.,;:}\]]$", value.strip()):
        return f"DOI ends with punctuation: {value!r}"
    return None


def url_syntax_error(value: str) -> str | None:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return f"not an http(s) URL: {redact(value)!r}"
    if re.search(r"\s|\\|[{}]", value):
        return f"white space, a backslash or a brace in the URL: {redact(value)!r}"
    return None


class PrivateAddress(Exception):
    pass


def _check_public(url: str) -> None:
    """Refuse private, loopback, link-local and reserved addresses (SSRF protection)."""
    host = urlsplit(url).hostname or ""
    try:
        infos = socket.getaddrinfo(host, None)
    except socket.gaierror:
        return  # DNS failure: reported by the request itself
    for info in infos:
        ip = ipaddress.ip_address(info[4][0].split("%")[0])
        if ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_reserved or \
                ip.is_multicast or ip.is_unspecified:
            raise PrivateAddress(f"{host} resolves to a private address ({ip}); "
                                 "refused (--allow-private to check it)")


class Checker:
    """Checks targets concurrently; ``run`` returns results in target order."""

    def __init__(self, options: Options, cache=None):
        self.o = options
        self.cache = cache
        self._sessions: dict[str, object] = {}
        self._host_locks: dict[str, threading.BoundedSemaphore] = {}
        self._lock = threading.Lock()

    # -- plumbing
    def _host(self, url: str) -> str:
        parts = urlsplit(url)
        return f"{parts.scheme}://{parts.hostname}:{parts.port or ''}"

    def _session(self, host: str):
        import requests
        from requests.adapters import HTTPAdapter

        with self._lock:
            s = self._sessions.get(host)
            if s is None:
                s = requests.Session()
                adapter = HTTPAdapter(pool_connections=1, pool_maxsize=self.o.per_host,
                                      max_retries=0)
                s.mount("http://", adapter)
                s.mount("https://", adapter)
                s.headers["User-Agent"] = self.o.user_agent
                # Proxies (HTTP(S)_PROXY, NO_PROXY) and a CA bundle from the environment,
                # read once per host: with trust_env requests re-reads them, and ~/.netrc,
                # on every request (a third of the client's CPU per URL), and it would
                # send netrc credentials to the sites being checked.
                s.trust_env = False
                s.proxies.update(requests.utils.get_environ_proxies(host))
                bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
                if bundle:
                    s.verify = bundle
                self._sessions[host] = s
                self._host_locks[host] = threading.BoundedSemaphore(self.o.per_host)
            return s, self._host_locks[host]

    def _request(self, method: str, url: str, *, want_json: bool = False, **kw):
        """One HTTP request under the per-host limit, with retries for timeouts and 5xx
        (exponential backoff) and for 429 (Retry-After, bounded); never reads the body."""
        import requests

        session, gate = self._session(self._host(url))
        attempt = 0
        while True:
            # the gate is held until the response is finished, so that its connection is
            # back in the pool before the next request to this host starts
            with gate:
                try:
                    resp = session.request(method, url, allow_redirects=False, stream=True,
                                           timeout=(self.o.connect_timeout, self.o.timeout),
                                           **kw)
                except (requests.Timeout, requests.exceptions.ConnectionError) as exc:
                    timeout = isinstance(exc, requests.Timeout) or "timed out" in str(exc)
                    if not (timeout and attempt < self.o.retries):
                        raise
                    answer = None
                else:
                    answer = _Answer(resp.status_code, resp.headers, url,
                                     resp if want_json else None)
                    if not want_json and (method == "HEAD" or
                                          resp.headers.get("Content-Length") == "0"):
                        # no body: reading it (nothing) returns the connection to the
                        # pool; closing an unread response would drop it, and the next
                        # request to this host would pay a new TCP (and TLS) handshake
                        resp.content  # noqa: B018
                    resp.close()  # a body is never downloaded
            if answer is None or (answer.status >= 500 and attempt < self.o.retries):
                attempt += 1  # a timeout or a 5xx: retried with exponential backoff
                time.sleep(self.o.backoff * 2 ** (attempt - 1))
                continue
            if answer.status == 429 and attempt < self.o.retries:
                wait = _retry_after(answer.headers.get("Retry-After"))
                if wait is None or wait > self.o.max_retry_after:
                    return answer
                attempt += 1
                time.sleep(wait)
                continue
            return answer

    # -- URLs
    def check_url(self, target: Target) -> Result:
        import requests

        url = target.value
        problem = url_syntax_error(url)
        if problem:
            return Result(target, "error", problem)
        seen = {url}
        permanent: str | None = None
        method = "HEAD"
        hops = 0
        current = url
        while True:
            if not self.o.allow_private:
                try:
                    _check_public(current)
                except PrivateAddress as exc:
                    return Result(target, "error", str(exc), final_url=current)
            try:
                answer = self._request(method, current)
            except requests.Timeout:
                return Result(target, "timeout", f"no answer within {self.o.timeout:g} s "
                              f"({self.o.retries} retries)")
            except requests.exceptions.ConnectionError as exc:
                return Result(target, "broken", _connection_message(exc))
            except requests.RequestException as exc:
                return Result(target, "error", f"request failed: {type(exc).__name__}")
            status = answer.status
            if status in REDIRECTS and answer.headers.get("Location"):
                nxt = urljoin(current, answer.headers["Location"])
                # the new address to report: the end of the leading run of permanent hops
                if status in PERMANENT and (hops == 0 or permanent is not None):
                    permanent = nxt
                hops += 1
                if nxt in seen:
                    return Result(target, "broken", f"redirect loop at {redact(nxt)}",
                                  status=status, final_url=nxt)
                if hops > self.o.max_redirects:
                    return Result(target, "broken", f"more than {self.o.max_redirects} "
                                  "redirects", status=status, final_url=nxt)
                seen.add(nxt)
                current = nxt
                continue
            if method == "HEAD" and status in (400, 403, 405, 501):
                method = "GET"  # HEAD refused or unreliable: ask again with GET
                continue
            return self._classify(target, answer, current, permanent)

    def _classify(self, target: Target, answer, final: str, permanent: str | None) -> Result:
        status = answer.status
        headers = {k.lower(): v for k, v in answer.headers.items()}
        if 200 <= status < 300:
            if status == 202 and _known_publisher(final):
                return Result(target, "blocked", "202 from a publisher (bot check)", status)
            if permanent:
                return Result(target, "redirected", f"moved permanently to {redact(permanent)}",
                              status, final_url=permanent)
            return Result(target, "ok", f"{status}", status, final_url=final)
        if status in (404, 410):
            return Result(target, "broken", f"url {redact(target.value)} returned {status}",
                          status)
        if status == 999 or any(h in headers for h in CHALLENGE_HEADERS):
            return Result(target, "blocked", f"{status}: bot protection (challenge)", status)
        if status in (401, 403):
            # most 403s to a script are bot protection, not a dead link
            return Result(target, "blocked", f"{status}: access denied to refbook", status)
        if status == 429:
            return Result(target, "rate-limited", "429 Too Many Requests", status)
        if status >= 500:
            return Result(target, "error", f"server error {status} ({self.o.retries} retries)",
                          status)
        return Result(target, "broken", f"url {redact(target.value)} returned {status}", status)

    # -- DOIs
    def check_doi(self, target: Target, entry: Entry | None = None) -> Result:
        import requests

        problem = doi_syntax_error(target.value)
        if problem:
            return Result(target, "error", problem)
        doi = target.value.strip()
        handle = f"{self.o.doi_resolver.rstrip('/')}/api/handles/{quote(doi, safe='/')}"
        try:
            answer = self._request("GET", handle, want_json=True,
                                   headers={"Accept": "application/json"})
        except requests.Timeout:
            return Result(target, "timeout", "the DOI resolver did not answer")
        except requests.RequestException as exc:
            return Result(target, "error", f"DOI resolver unreachable: {type(exc).__name__}")
        code = (answer.json or {}).get("responseCode")
        if answer.status == 404 or code == 100:
            return Result(target, "broken", f"DOI {doi} not found (Handle API responseCode 100)",
                          answer.status)
        if answer.status != 200 or code != 1:
            return Result(target, "error", f"DOI resolver answered {answer.status}",
                          answer.status)
        if entry is None:
            return Result(target, "ok", "DOI exists", 200)
        return self._compare_metadata(target, entry, doi)

    def _metadata(self, doi: str) -> tuple[str, dict] | None:
        import requests

        for agency, url in (
                ("crossref", f"{self.o.crossref_api.rstrip('/')}/works/{quote(doi, safe='/')}"),
                ("datacite", f"{self.o.datacite_api.rstrip('/')}/dois/{quote(doi, safe='/')}")):
            try:
                answer = self._request("GET", url, want_json=True,
                                       headers={"Accept": "application/json"})
            except requests.RequestException:
                continue
            if answer.status == 200 and answer.json:
                if agency == "crossref":
                    return agency, answer.json.get("message", {})
                return agency, _datacite_to_csl(answer.json.get("data", {}).get("attributes", {}))
        return None

    def _compare_metadata(self, target: Target, entry: Entry, doi: str) -> Result:
        found = self._metadata(doi)
        if found is None:
            return Result(target, "ok", "DOI exists (no Crossref/DataCite record to compare)",
                          200)
        agency, meta = found
        diffs = compare(entry, meta, agency)
        title_diff = next((d for d in diffs if d.startswith("title")), None)
        if title_diff and "another work" in title_diff:
            return Result(target, "mismatch", f"DOI points to another work: {title_diff}", 200,
                          warnings=[d for d in diffs if d != title_diff])
        return Result(target, "ok", "DOI exists; metadata agree" if not diffs else
                      "DOI exists", 200, warnings=diffs)

    # -- running
    def check(self, target: Target, entry: Entry | None) -> Result:
        if self.o.offline:
            problem = doi_syntax_error(target.value) if target.kind == "doi" else \
                url_syntax_error(target.value)
            return Result(target, "error" if problem else "ok", problem or "syntax ok")
        if self.cache is not None:
            hit = self.cache.get(target)
            if hit is not None:
                return hit
        result = self.check_doi(target, entry) if target.kind == "doi" else self.check_url(target)
        if self.cache is not None and result.verdict in ("ok", "redirected"):
            self.cache.put(result)  # failures are never cached
        return result

    def run(self, targets: list[Target], entries: dict[str, Entry] | None = None,
            progress: Callable[[Result], None] | None = None) -> list[Result]:
        entries = entries or {}
        if self.o.offline or not targets:
            return [self.check(t, entries.get(t.key)) for t in targets]
        results: list[Result | None] = [None] * len(targets)

        def work(i: int) -> None:
            results[i] = self.check(targets[i], entries.get(targets[i].key))
            if progress:
                progress(results[i])

        _run_workers(work, len(targets), max(1, self.o.concurrency))
        for s in self._sessions.values():
            s.close()
        return results  # type: ignore[return-value]


def _run_workers(work: Callable[[int], None], n: int, workers: int) -> None:
    """Run ``work(0..n-1)`` on ``workers`` threads.  All threads are started before any
    work begins: started one by one while the first ones already make requests, each
    start waits for the GIL, and the last of 64 began ~0.1 s late (a pool's lazy start)."""
    todo: queue.SimpleQueue[int] = queue.SimpleQueue()
    for i in range(n):
        todo.put(i)
    go = threading.Event()
    errors: list[BaseException] = []

    def loop() -> None:
        go.wait()
        while not errors:
            try:
                i = todo.get_nowait()
            except queue.Empty:
                return
            try:
                work(i)
            except BaseException as exc:  # re-raised in the caller, as a pool would
                errors.append(exc)

    threads = [threading.Thread(target=loop, daemon=True) for _ in range(min(workers, n))]
    for t in threads:
        t.start()
    go.set()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]


class _Answer:
    def __init__(self, status: int, headers, url: str, resp=None):
        self.status = status
        from requests.structures import CaseInsensitiveDict

        self.headers = CaseInsensitiveDict(headers)  # "Location" and "location" alike
        self.url = url
        self.json = None
        ctype = self.headers.get("Content-Type", "")
        if resp is not None and "json" in ctype and status < 500:
            # metadata answers are small; cap what is read anyway
            raw = resp.raw.read(2_000_000, decode_content=True)
            try:
                self.json = json.loads(raw)
            except ValueError:
                self.json = None


def _retry_after(value: str | None) -> float | None:
    if not value:
        return 1.0
    value = value.strip()
    if value.isdigit():
        return float(value)
    from email.utils import parsedate_to_datetime

    try:
        when = parsedate_to_datetime(value)
        return max(0.0, when.timestamp() - time.time())
    except (TypeError, ValueError):
        return None


def _connection_message(exc: Exception) -> str:
    text = str(exc)
    if "Name or service not known" in text or "getaddrinfo" in text or "NameResolution" in text:
        return "DNS lookup failed"
    if "refused" in text.lower():
        return "connection refused"
    if "reset" in text.lower() or "aborted" in text.lower():
        return "connection reset"
    return "connection failed"


_PUBLISHERS = ("sciencedirect.com", "springer.com", "wiley.com", "tandfonline.com",
               "sagepub.com", "jstor.org", "ieeexplore.ieee.org", "acm.org", "nature.com",
               "oup.com", "cambridge.org", "elsevier.com", "researchgate.net")


def _known_publisher(url: str) -> bool:
    host = (urlsplit(url).hostname or "").lower()
    return any(host == p or host.endswith("." + p) for p in _PUBLISHERS)


def _datacite_to_csl(attrs: dict) -> dict:
    titles = attrs.get("titles") or [{}]
    creators = attrs.get("creators") or []
    return {"title": [titles[0].get("title", "")],
            "author": [{"family": c.get("familyName") or c.get("name", "")} for c in creators],
            "issued": {"date-parts": [[attrs.get("publicationYear")]]},
            "volume": attrs.get("volume"), "issue": attrs.get("issue")}


def _year(meta: dict) -> int | None:
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


def compare(entry: Entry, meta: dict, agency: str) -> list[str]:
    """Field-by-field differences between an entry and a registration agency's record
    ("volume: bib 1, crossref 98"); the title difference says "another work" when the
    titles do not match at all."""
    from rapidfuzz import fuzz

    diffs = []
    titles = meta.get("title") or []
    their_title = re.sub(r"<[^>]+>", "", titles[0] if isinstance(titles, list) and titles
                         else str(titles or ""))
    if their_title and entry.title:
        score = fuzz.token_set_ratio(fold(entry.title), fold(their_title))
        if score < 60:
            diffs.append(f"title: bib {entry.title!r}, {agency} {their_title!r} (another work)")
        elif score < 90:
            diffs.append(f"title: bib {entry.title!r}, {agency} {their_title!r}")
    authors = meta.get("author") or []
    if authors and entry.authors:
        theirs = authors[0].get("family") or authors[0].get("name") or ""
        if theirs and fold(theirs) != fold(entry.authors[0].family):
            diffs.append(f"first author: bib {entry.authors[0].family}, {agency} {theirs}")
    year = _year(meta)
    if year and entry.year and year != entry.year:
        diffs.append(f"year: bib {entry.year}, {agency} {year}")
    for name, mine in (("volume", entry.volume), ("issue", entry.number)):
        theirs = str(meta.get(name) or "")
        if theirs and mine and theirs != mine:
            diffs.append(f"{name}: bib {mine}, {agency} {theirs}")
    theirs_pages = _pages(str(meta.get("page") or ""))
    if theirs_pages and entry.pages and _pages(entry.pages) != theirs_pages:
        diffs.append(f"pages: bib {entry.pages}, {agency} {theirs_pages}")
    return diffs


# -- results cache ---------------------------------------------------------------------------


class ResultCache:
    """Successful results in the user cache directory, reused for ``max_age`` seconds."""

    def __init__(self, path, max_age: float):
        import sqlite3

        self.max_age = max_age
        path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(str(path), timeout=30, check_same_thread=False)
        self.db.execute("CREATE TABLE IF NOT EXISTS results (kind TEXT, value TEXT, "
                        "checked REAL, data TEXT, PRIMARY KEY (kind, value))")
        self.lock = threading.Lock()

    def get(self, target: Target) -> Result | None:
        with self.lock:
            row = self.db.execute("SELECT checked, data FROM results WHERE kind = ? AND value = ?",
                                  (target.kind, target.value)).fetchone()
        if row is None or time.time() - row[0] > self.max_age:
            return None
        d = json.loads(row[1])
        return Result(target, d["verdict"], d["message"], d["status"], d["final_url"],
                      d["warnings"], cached=True)

    def put(self, result: Result) -> None:
        data = json.dumps({"verdict": result.verdict, "message": result.message,
                           "status": result.status, "final_url": result.final_url,
                           "warnings": result.warnings})
        with self.lock:
            self.db.execute("INSERT OR REPLACE INTO results VALUES (?, ?, ?, ?)",
                            (result.target.kind, result.target.value, time.time(), data))
            self.db.commit()


def parse_age(text: str) -> float:
    """``30s``, ``15m``, ``12h``, ``1d``, ``2w`` -> seconds."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhdw]?)\s*", text or "")
    if not m:
        raise ValueError(f"bad age {text!r} (use e.g. 30m, 12h, 1d)")
    return float(m.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400,
                                "w": 604800}[m.group(2)]
