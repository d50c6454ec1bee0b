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
GET when HEAD is refused (405/403/501/400), redirects followed by hand (each hop's
address checked against private addresses as it is connected to), bodies never read
(streamed responses closed unread), ``timeout`` a deadline for the whole answer.
Retries with exponential backoff for timeouts and 5xx only.  A global concurrency limit
and a per-host limit, a pool of kept-alive connections per host.  The transport is
urllib3, the engine under requests, used directly: it starts 50 ms sooner (requests
imports a character-set detector a link checker never needs) and costs half the CPU per
request (benchmarks/bench_check.py; docs/check.md).
"""

from __future__ import annotations

import ipaddress
import itertools
import json
import os
import queue
import re
import socket
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from urllib.parse import quote, unquote, urljoin, urlsplit, urlunsplit

from .model import Entry, fold, normalize_doi

VERDICTS = ("ok", "redirected", "broken", "mismatch", "blocked", "timeout", "rate-limited",
            "error")
FAILING = {"broken", "mismatch"}
# causes of a request that got no answer (Result.cause), from the resolver or the router:
# a host that does not exist (NXDOMAIN), a temporary or other resolver failure, no route;
# and a timeout or other failure with no sign of the network either way
NO_SUCH_HOST, DNS_TEMPORARY, DNS_FAILURE, UNROUTABLE, NO_ANSWER = (
    "no-such-host", "dns-temporary", "dns-failure", "unroutable", "no-answer")
STRICT_FAILING = FAILING | {"blocked", "timeout", "rate-limited", "error"}
_DOI = re.compile(r"^10\.\d{4,9}/\S+$")
REDIRECTS = {301, 302, 303, 307, 308}
PERMANENT = {301, 308}
# idle pools (one per host, up to --per-host kept-alive connections each) kept at once;
# beyond, the least recently used is closed, which bounds open sockets on big files
MAX_POOLS = 128
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
    # why no answer came, when the network itself may be at fault: one of NO_ANSWER
    cause: str | None = None

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
    out = []
    for e in entries:
        for kind, wanted in (("doi", dois), ("url", urls)):
            value = e.get(kind) if wanted else None
            if value:
                out.append(Target(e.key, kind, value.strip(), e.field_line(kind)))
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


def _private_ip(ip: str) -> bool:
    """Private, loopback, link-local, reserved, multicast or unspecified."""
    addr = ipaddress.ip_address(ip.split("%")[0])
    return (addr.is_private or addr.is_loopback or addr.is_link_local or addr.is_reserved
            or addr.is_multicast or addr.is_unspecified)


def _refusal(host: str, ip: str) -> PrivateAddress:
    ip = ip.split("%")[0]
    where = f"{ip} is a private address" if host.strip("[]") == ip else \
        f"{host} resolves to a private address ({ip})"
    return PrivateAddress(f"{where}; refused (--allow-private to check it)")


def _check_public(url: str) -> None:
    """Refuse a URL whose host resolves to a private address (SSRF protection), for
    requests sent through a proxy, which resolves and connects itself.  Direct connections
    are checked where they are made (``_connect_public``)."""
    host = urlsplit(url).hostname or ""
    try:
        infos = socket.getaddrinfo(host, None)
    except socket.gaierror:
        return  # DNS failure: reported by the request itself
    for info in infos:
        if _private_ip(info[4][0]):
            raise _refusal(host, info[4][0])


def _connect_public(conn):
    """A socket for urllib3 connection ``conn``: its host is resolved once, every address
    is checked, and only then is one of them connected to -- the address checked is the
    address used, so a DNS answer that changes between a check and the connection
    (rebinding) cannot slip through, and nothing, not even a TCP handshake, goes to a
    private address."""
    from urllib3.exceptions import ConnectTimeoutError, NameResolutionError, NewConnectionError
    from urllib3.util.connection import create_connection

    host = conn.host
    try:
        infos = socket.getaddrinfo(host.rstrip("."), conn.port, 0, socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise NameResolutionError(host, conn, exc) from exc
    addresses = list(dict.fromkeys(info[4][0] for info in infos))
    for ip in addresses:
        if _private_ip(ip):
            raise _refusal(host, ip)
    error: Exception | None = None
    for ip in addresses:  # in the resolver's order, as urllib3 does
        try:
            return create_connection((ip, conn.port), conn.timeout,
                                     source_address=conn.source_address,
                                     socket_options=conn.socket_options)
        except TimeoutError:
            error = ConnectTimeoutError(conn, f"Connection to {host} timed out. "
                                              f"(connect timeout={conn.timeout})")
        except OSError as exc:
            error = NewConnectionError(conn, f"Failed to establish a new connection: {exc}")
            error.__cause__ = exc  # the errno tells "no route" from "refused"
    raise error or NewConnectionError(conn, f"no address for {host}")


class _Deadlines:
    """Ends requests that outlive their deadline (``--timeout`` from the first byte sent
    to the last byte read).  A read timeout bounds the gaps between bytes, not the whole
    answer: a server that trickles a header byte a second would hold a worker forever.
    One thread watches every request in flight and shuts down the socket of one that is
    late, which ends the blocked read in the worker."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._watched: dict[int, tuple[float, socket.socket]] = {}  # token -> deadline, socket
        self._fired: set[int] = set()
        self._tokens = itertools.count()
        self._wake_at = float("inf")
        self._thread: threading.Thread | None = None
        self._local = threading.local()

    def begin(self, seconds: float) -> None:
        """A request starts on this thread."""
        self._local.deadline = time.monotonic() + seconds
        self._local.token = None

    def watch(self, sock: socket.socket | None) -> None:
        """This thread's request now waits for its answer on ``sock``."""
        deadline = getattr(self._local, "deadline", None)
        if deadline is None or sock is None:
            return
        with self._cond:
            token = self._local.token = next(self._tokens)
            self._watched[token] = (deadline, sock)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, daemon=True,
                                                 name="refbook-deadlines")
                self._thread.start()
            if deadline < self._wake_at:  # otherwise the watcher wakes early enough
                self._cond.notify()

    def expired(self) -> bool:
        """Whether this thread's request was ended for being late."""
        token = getattr(self._local, "token", None)
        with self._cond:
            return token in self._fired

    def end(self) -> None:
        """This thread's request is over."""
        token, self._local.token, self._local.deadline = \
            getattr(self._local, "token", None), None, None
        if token is not None:
            with self._cond:
                self._watched.pop(token, None)
                self._fired.discard(token)

    def _run(self) -> None:
        with self._cond:
            while True:
                now = time.monotonic()
                for token, (deadline, sock) in list(self._watched.items()):
                    if deadline <= now:
                        del self._watched[token]
                        self._fired.add(token)
                        try:  # the plain socket's shutdown, also under TLS: the worker's
                            socket.socket.shutdown(sock, socket.SHUT_RDWR)  # read ends
                        except OSError:
                            pass
                self._wake_at = min((d for d, _ in self._watched.values()),
                                    default=float("inf"))
                self._cond.wait(None if self._wake_at == float("inf")
                                else self._wake_at - now)


_DEADLINES = _Deadlines()
_POOLS: dict[bool, dict[str, type]] = {}
_REUSED = threading.local()  # .value: this thread's last request went on a reused connection


def _pool_classes(guarded: bool) -> dict[str, type]:
    """urllib3 connection pools whose connections are watched for their deadline and,
    when ``guarded``, made by ``_connect_public``."""
    if guarded not in _POOLS:
        from urllib3.connection import HTTPConnection, HTTPSConnection
        from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

        def methods(base: type) -> dict:
            def getresponse(self, *args, **kwargs):
                _DEADLINES.watch(self.sock)
                return base.getresponse(self, *args, **kwargs)

            def connect(self):
                base.connect(self)
                self._refbook_fresh = True

            def request(self, *args, **kwargs):
                # a kept-alive connection sent a request before: the server may have
                # closed it meanwhile (see Checker._request).  A plain HTTP connection is
                # opened inside request(), an HTTPS one just before it.
                _REUSED.value = self.sock is not None and not getattr(self, "_refbook_fresh",
                                                                      False)
                try:
                    return base.request(self, *args, **kwargs)
                finally:
                    self._refbook_fresh = False

            def _new_conn(self):
                return _connect_public(self)

            return {"getresponse": getresponse, "connect": connect, "request": request,
                    **({"_new_conn": _new_conn} if guarded else {})}

        http = type("WatchedHTTPConnection", (HTTPConnection,), methods(HTTPConnection))
        https = type("WatchedHTTPSConnection", (HTTPSConnection,), methods(HTTPSConnection))
        _POOLS[guarded] = {
            "http": type("WatchedHTTPPool", (HTTPConnectionPool,), {"ConnectionCls": http}),
            "https": type("WatchedHTTPSPool", (HTTPSConnectionPool,), {"ConnectionCls": https})}
    return _POOLS[guarded]


class Checker:
    """Checks targets concurrently; ``run`` returns results in target order."""

    def __init__(self, options: Options, cache=None):
        self.o = options
        self.cache = cache
        self._headers = {"User-Agent": options.user_agent, "Accept": "*/*",
                         "Accept-Encoding": "gzip, deflate"}
        self._managers: dict[str | None, object] = {}  # proxy URL (None: direct) -> pools
        self._clients: dict[str, tuple[object, bool]] = {}  # host -> pools, proxied?
        self._gates: dict[str, threading.BoundedSemaphore] = {}
        self._lock = threading.Lock()
        self._reached = False  # some request got an answer, or a refusal: the network works
        self.network_down = False  # set by run(): nothing could be reached at all

    # -- plumbing
    def _host(self, url: str) -> str:
        parts = urlsplit(url)
        return f"{parts.scheme}://{parts.hostname}:{parts.port or ''}"

    def _client(self, url: str):
        """The connection pools for this URL's host (direct or through the environment's
        proxy), whether that is a proxy, and the host's gate (the per-host limit)."""
        host = self._host(url)
        with self._lock:
            gate = self._gates.get(host)
            if gate is None:
                proxy = _environ_proxy(url)
                self._clients[host] = (self._manager(proxy), proxy is not None)
                gate = self._gates[host] = threading.BoundedSemaphore(self.o.per_host)
            return (*self._clients[host], gate)

    def _manager(self, proxy: str | None):
        """One pool manager per proxy (None: direct), holding a pool per host.  The
        environment (proxies, NO_PROXY, a CA bundle) is read once per host, not per request,
        and ~/.netrc is never read: its credentials must not go to the sites checked."""
        manager = self._managers.get(proxy)
        if manager is None:
            import urllib3

            options = dict(num_pools=MAX_POOLS, maxsize=self.o.per_host, retries=False,
                           headers=self._headers, ca_certs=_ca_bundle())
            if proxy:
                auth = urlsplit(proxy)
                headers = urllib3.make_headers(
                    proxy_basic_auth=f"{unquote(auth.username)}:{unquote(auth.password or '')}"
                ) if auth.username else None
                manager = urllib3.ProxyManager(proxy, proxy_headers=headers, **options)
                manager.pool_classes_by_scheme = _pool_classes(guarded=False)
            else:
                manager = urllib3.PoolManager(**options)
                manager.pool_classes_by_scheme = _pool_classes(guarded=not self.o.allow_private)
            self._managers[proxy] = manager
        return manager

    def _request(self, method: str, url: str, *, want_json: bool = False,
                 headers: dict[str, str] | None = None) -> _Answer:
        """One HTTP request under the per-host limit, with retries for timeouts and 5xx
        (exponential backoff) and for 429 (Retry-After, bounded); never reads a body
        beyond a JSON answer's first 2 MB.  Raises ``TransportError``."""
        import urllib3

        try:
            manager, proxied, gate = self._client(url)
        except ValueError as exc:  # a proxy urllib3 cannot use (socks5://… without PySocks)
            raise TransportError("other", f"unusable proxy: {exc}") from None
        if proxied and not self.o.allow_private:
            try:  # the proxy resolves the name itself: check it here, by name
                _check_public(url)
            except PrivateAddress as exc:
                raise TransportError("private", str(exc)) from None
        headers = {**self._headers, **headers} if headers else self._headers
        timeout = urllib3.Timeout(connect=self.o.connect_timeout, read=self.o.timeout)
        attempt = 0
        stale_retried = False
        while True:
            # the gate is held until the response is finished, so that its connection is
            # back in the pool before the next request to this host starts
            with gate:
                _DEADLINES.begin(self.o.timeout)
                _REUSED.value = False
                try:
                    resp = manager.urlopen(method, url, redirect=False, retries=False,
                                           preload_content=False, timeout=timeout,
                                           headers=headers)
                    answer = None
                    try:
                        answer = _Answer(resp, read_json=want_json)
                    finally:
                        if answer is None or not answer.complete:
                            resp.close()  # a body is never downloaded: drop the connection
                        resp.release_conn()  # a finished one is kept alive for this host
                    if _DEADLINES.expired():  # cut short: what was parsed is not the answer
                        raise TimeoutError("deadline passed")
                except PrivateAddress as exc:  # found on connecting (_connect_public)
                    raise TransportError("private", str(exc)) from None
                except (urllib3.exceptions.HTTPError, OSError) as exc:
                    failure = TransportError("timeout", "timed out") if _DEADLINES.expired() \
                        else TransportError.of(exc)
                    if failure.kind == "connection" and _REUSED.value and not stale_retried:
                        # a kept-alive connection that failed before any answer: the
                        # server closed it while idle (or reset it).  urllib3 has closed it
                        # (it never goes back to the pool); ask once more on a fresh one,
                        # as browsers and requests do for idempotent requests
                        stale_retried = True
                        continue
                    if failure.kind == "connection" and failure.cause is None:
                        self._reached = True  # refused or reset: the network works
                    if not (failure.kind == "timeout" and attempt < self.o.retries):
                        raise failure from exc
                    answer = None
                finally:
                    _DEADLINES.end()
            if answer is not None:
                self._reached = True
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
            try:
                answer = self._request(method, current)
            except TransportError as exc:
                if exc.kind == "private":
                    return Result(target, "error", exc.message, final_url=current)
                if exc.kind == "timeout":
                    return Result(target, "timeout", f"no answer within {self.o.timeout:g} s "
                                  f"({self.o.retries} retries)", cause=NO_ANSWER)
                if exc.cause in (DNS_TEMPORARY, DNS_FAILURE, UNROUTABLE):
                    # our resolver or our network failed, not the link
                    return Result(target, "error", exc.message, cause=exc.cause)
                if exc.kind == "connection":  # refused, reset, or no such host
                    return Result(target, "broken", exc.message, cause=exc.cause)
                return Result(target, "error", f"request failed: {exc.message}",
                              cause=NO_ANSWER)
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
        problem = doi_syntax_error(target.value)
        if problem:
            return Result(target, "error", problem)
        doi = target.value.strip()
        handle = f"{self.o.doi_resolver.rstrip('/')}/api/handles/{quote(doi, safe='/')}"
        try:
            answer = self._request("GET", handle, want_json=True,
                                   headers={"Accept": "application/json"})
        except TransportError as exc:
            if exc.kind == "private":
                return Result(target, "error", exc.message)
            if exc.kind == "timeout":
                return Result(target, "timeout", "the DOI resolver did not answer",
                              cause=NO_ANSWER)
            return Result(target, "error", f"DOI resolver unreachable: {exc.message}",
                          cause=exc.cause or NO_ANSWER)
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
        for agency, url in (
                ("crossref", f"{self.o.crossref_api.rstrip('/')}/works/{quote(doi, safe='/')}"),
                ("datacite", f"{self.o.datacite_api.rstrip('/')}/dois/{quote(doi, safe='/')}")):
            try:
                answer = self._request("GET", url, want_json=True,
                                       headers={"Accept": "application/json"})
            except TransportError:
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
        for manager in self._managers.values():
            manager.clear()  # close the kept-alive connections
        done: list[Result] = results  # type: ignore[assignment]
        self.network_down = self._unreachable(done)
        if self.network_down:  # not a bibliography of dead links: a machine offline
            done = [not_checked(r) for r in done]
        return done

    def _unreachable(self, results: list[Result]) -> bool:
        """Whether the network itself could not be reached: no request got an answer (nor
        a refusal), and some failed in the resolver or the routing.  When the only such
        failures are hosts that "do not exist" (a resolver that answers NXDOMAIN for every
        name, as some offline set-ups do), the DOI resolver's name is looked up: if it
        resolves, those hosts really do not exist and stay broken."""
        failed = [r for r in results if r.cause]
        if self._reached or not failed:
            return False
        if any(r.cause in (DNS_TEMPORARY, DNS_FAILURE, UNROUTABLE) for r in failed):
            return True
        return not _resolves(urlsplit(self.o.doi_resolver).hostname or "")


def not_checked(result: Result) -> Result:
    """A result whose request got no answer, when the network could not be reached."""
    if not result.cause:
        return result
    return Result(result.target, "error", f"not checked: could not reach the network "
                  f"({result.message})", cause=result.cause)


def _resolves(host: str) -> bool:
    """Whether ``host`` resolves (True for an address literal: nothing to learn)."""
    if not host:
        return True
    try:
        ipaddress.ip_address(host.strip("[]"))
        return True
    except ValueError:
        pass
    try:
        socket.getaddrinfo(host, 443, 0, socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        return False
    return True


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


class TransportError(Exception):
    """A request that got no HTTP answer: ``kind`` is timeout, connection, private (a
    refused address) or other."""

    def __init__(self, kind: str, message: str, cause: str | None = None):
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.cause = cause  # NO_SUCH_HOST, DNS_TEMPORARY, DNS_FAILURE, UNROUTABLE or None

    @classmethod
    def of(cls, exc: Exception) -> TransportError:
        from urllib3.exceptions import (
            ConnectTimeoutError,
            NewConnectionError,
            ProtocolError,
            ProxyError,
            ReadTimeoutError,
            SSLError,
        )

        if "timed out" in str(exc) or isinstance(exc, (ReadTimeoutError, TimeoutError)) or (
                isinstance(exc, ConnectTimeoutError) and not isinstance(exc, NewConnectionError)):
            return cls("timeout", "timed out")
        if isinstance(exc, (NewConnectionError, ProtocolError, ProxyError, SSLError, OSError)):
            cause = _network_cause(exc)
            return cls("connection", _CAUSE_MESSAGES.get(cause) or _connection_message(exc),
                       cause)
        return cls("other", type(exc).__name__)


_CAUSE_MESSAGES = {NO_SUCH_HOST: "DNS lookup failed: no such host",
                   DNS_TEMPORARY: "DNS lookup failed: temporary failure in name resolution",
                   DNS_FAILURE: "DNS lookup failed", UNROUTABLE: "network unreachable"}


def _network_cause(exc: BaseException) -> str | None:
    """What in the network failed, from the exception chain: the resolver (a host that does
    not exist, a temporary failure such as EAI_AGAIN, another failure) or the routing
    (ENETUNREACH, EHOSTUNREACH, ENETDOWN); None for anything else (refused, reset…)."""
    import errno

    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, socket.gaierror):
            if current.errno == socket.EAI_AGAIN:
                return DNS_TEMPORARY
            if current.errno in (socket.EAI_NONAME, getattr(socket, "EAI_NODATA", None),
                                 getattr(socket, "EAI_ADDRFAMILY", None)):
                return NO_SUCH_HOST
            return DNS_FAILURE
        if isinstance(current, OSError) and current.errno in (
                errno.ENETUNREACH, errno.EHOSTUNREACH, errno.ENETDOWN):
            return UNROUTABLE
        current = current.__cause__ or current.__context__
        if current is None and exc.args and isinstance(exc.args[-1], BaseException):
            current = exc.args[-1]  # ProtocolError('Connection aborted.', OSError(...))
    return None


class _Answer:
    """Status, headers and (for metadata requests) the JSON body of one response."""

    JSON_LIMIT = 2_000_000  # metadata answers are small; cap what is read anyway

    def __init__(self, resp, *, read_json: bool = False):
        self.status: int = resp.status
        self.headers = resp.headers  # case-insensitive: "Location" and "location" alike
        self.json = None
        # nothing left to read (HEAD, 204/304, Content-Length: 0): the connection is reusable
        self.complete = resp.length_remaining == 0
        if read_json and "json" in self.headers.get("Content-Type", "") and self.status < 500:
            raw = resp.read(self.JSON_LIMIT, decode_content=True)
            self.complete = len(raw) < self.JSON_LIMIT
            try:
                self.json = json.loads(raw)
            except ValueError:
                self.json = None


def _environ_proxy(url: str) -> str | None:
    """The proxy for ``url`` from HTTP(S)_PROXY / ALL_PROXY, unless NO_PROXY exempts it."""
    if not any(name.lower().endswith("_proxy") for name in os.environ):
        return None  # the common case, without importing urllib.request
    import urllib.request

    parts = urlsplit(url)
    proxies = urllib.request.getproxies_environment()
    proxy = proxies.get(parts.scheme) or proxies.get("all")
    if not proxy or urllib.request.proxy_bypass_environment(parts.netloc, proxies):
        return None
    return proxy if "://" in proxy else f"http://{proxy}"


def _ca_bundle() -> str | None:
    """REQUESTS_CA_BUNDLE or CURL_CA_BUNDLE, else certifi's bundle (as requests does)."""
    bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
    if bundle:
        return bundle
    try:
        import certifi
    except ImportError:
        return None  # the system's default trust store
    return certifi.where()


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
    """Successful results in the user cache directory, reused for ``max_age`` seconds.

    SQLite with JSON values only.  A file in its place that is not refbook's (another
    application's database, not a database at all) or that another user owns is
    replaced by an empty cache; where that is not allowed, this run keeps its
    cache in memory.  A row that does not read back as a result is a miss."""

    COLUMNS = ("kind", "value", "checked", "data")

    def __init__(self, path, max_age: float):
        import sqlite3

        self.max_age = max_age
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self.db = self._open(path)
        except (OSError, sqlite3.Error):
            self.db = self._open(":memory:")
        self.lock = threading.Lock()

    @classmethod
    def _open(cls, path):
        import sqlite3

        from .paths import SQLITE_APPLICATION_ID, distrust_schema, is_own_file

        if path != ":memory:" and os.path.lexists(path) and not is_own_file(path):
            os.unlink(path)  # another user's file or a link: not read, replaced
        db = sqlite3.connect(str(path), timeout=30, check_same_thread=False)
        distrust_schema(db)
        if not cls._ours(db):
            db.close()
            os.unlink(path)
            db = sqlite3.connect(str(path), timeout=30, check_same_thread=False)
            distrust_schema(db)
        db.execute(f"PRAGMA application_id = {SQLITE_APPLICATION_ID}")
        db.execute("CREATE TABLE IF NOT EXISTS results (kind TEXT, value TEXT, "
                   "checked REAL, data TEXT, PRIMARY KEY (kind, value))")
        return db

    @classmethod
    def _ours(cls, db) -> bool:
        """refbook's cache (its application id), or a database refbook may make its own:
        a new, empty one, or the results table of a cache from before the id was set."""
        import sqlite3

        from .paths import SQLITE_APPLICATION_ID

        try:
            app = db.execute("PRAGMA application_id").fetchone()[0]
            tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master")]
            columns = tuple(r[1] for r in db.execute("PRAGMA table_info(results)"))
        except sqlite3.DatabaseError:  # not a SQLite file
            return False
        if app == SQLITE_APPLICATION_ID:
            return True
        return app == 0 and (not tables or (tables == ["results", "sqlite_autoindex_results_1"]
                                            and columns == cls.COLUMNS))

    def get(self, target: Target) -> Result | None:
        import sqlite3

        try:
            with self.lock:
                row = self.db.execute("SELECT checked, data FROM results WHERE kind = ? "
                                      "AND value = ?", (target.kind, target.value)).fetchone()
            if row is None or time.time() - float(row[0]) > self.max_age:
                return None
            d = json.loads(row[1])
            result = Result(target, d["verdict"], str(d["message"]), d["status"],
                            d["final_url"], [str(w) for w in d["warnings"]], cached=True)
        except (sqlite3.Error, ValueError, KeyError, TypeError):
            return None  # unreadable: checked again
        return result if result.verdict in VERDICTS else None

    def put(self, result: Result) -> None:
        import sqlite3

        data = json.dumps({"verdict": result.verdict, "message": result.message,
                           "status": result.status, "final_url": result.final_url,
                           "warnings": result.warnings})
        try:
            with self.lock:
                self.db.execute("INSERT OR REPLACE INTO results VALUES (?, ?, ?, ?)",
                                (result.target.kind, result.target.value, time.time(), data))
                self.db.commit()
        except sqlite3.Error:
            pass  # a result not cached is checked again next time


def parse_age(text: str) -> float:
    """``30s``, ``15m``, ``12h``, ``1d``, ``2w`` -> seconds."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhdw]?)\s*", text or "")
    if not m:
        raise ValueError(f"bad age {text!r} (use e.g. 30m, 12h, 1d)")
    return float(m.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400,
                                "w": 604800}[m.group(2)]
