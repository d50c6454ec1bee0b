"""The checker: a verdict for each target, in target order (``run``: URLs through the
transport's lean engine in one thread, DOIs on worker threads through its ``Client``;
see ``runner``); URLs checked here, DOIs in ``doi``.

URLs: HEAD first, GET when HEAD is refused (405/403/501/400), redirects followed by hand
(each hop's address checked against private addresses as it is connected to), bodies
never read, the options' ``timeout`` a deadline for the whole answer.  A network that
cannot be reached at all is told apart from dead links (``network_down``).
"""

from __future__ import annotations

import ipaddress
import queue
import socket
import threading
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping, Sized
from dataclasses import dataclass, field, fields, replace
from typing import TYPE_CHECKING, Any, TypeVar, cast
from urllib.parse import urljoin, urlsplit

from ..config import SETTINGS
from ..identifiers import doi_syntax_error, redact, url_syntax_error
from .client import Answer, Client
from .targets import Exclusions, Target
from .transport import (
    CONNECT_TIMEOUT,
    DNS_FAILURE,
    DNS_TEMPORARY,
    NO_ANSWER,
    UNROUTABLE,
    TransportError,
    user_agent,
)
from .verdicts import Result, Verdict

if TYPE_CHECKING:
    from ..cache.entry import RecordEntry
    from ..config import Config
    from ..model import Entry
    from .cache import ResultCache
    from .doi import Record

_T = TypeVar("_T")
REDIRECTS = {301, 302, 303, 307, 308}
PERMANENT = {301, 308}
CHALLENGE_HEADERS = ("cf-mitigated", "x-amzn-waf-action", "x-datadome", "x-px-block")
_PUBLISHERS = (
    "sciencedirect.com",
    "springer.com",
    "wiley.com",
    "tandfonline.com",
    "sagepub.com",
    "jstor.org",
    "ieeexplore.ieee.org",
    "acm.org",
    "nature.com",
    "oup.com",
    "cambridge.org",
    "elsevier.com",
    "researchgate.net",
)


def _default(name: str) -> Any:
    """The default of setting ``check.<name>``: ``SETTINGS`` is its one home."""
    return SETTINGS[f"check.{name}"].default


@dataclass
class Options:
    """How ``check`` checks; a field named like a ``check.*`` setting defaults to it."""

    doi_resolver: str = _default("doi_resolver")
    crossref_api: str = _default("crossref_api")
    datacite_api: str = _default("datacite_api")
    concurrency: int = _default("concurrency")
    per_host: int = _default("per_host")
    timeout: float = _default("timeout")
    connect_timeout: float = CONNECT_TIMEOUT
    retries: int = _default("retries")
    backoff: float = 0.5
    max_redirects: int = 10
    max_retry_after: float = 10.0
    allow_private: bool = _default("allow_private")
    user_agent: str = field(default_factory=user_agent)
    offline: bool = False
    exclude: tuple[str, ...] = tuple(_default("exclude"))  # regular expressions

    @classmethod
    def from_config(cls, cfg: Config | Mapping[str, Any], **given: Any) -> Options:
        """Options from the effective settings (``check.<field>``, ``check.mailto`` in the
        User-Agent), overridden by ``given`` values that are not None."""
        values = {
            f.name: cfg[f"check.{f.name}"] for f in fields(cls) if f"check.{f.name}" in SETTINGS
        }
        values["exclude"] = tuple(values["exclude"])
        values["user_agent"] = user_agent(cfg["check.mailto"])
        return replace(cls(**values), **{k: v for k, v in given.items() if v is not None})


class Checker:
    """Checks targets concurrently; ``run`` returns results in target order.  Raises
    ``ValueError`` for an exclude pattern that is not a regular expression."""

    def __init__(self, options: Options, cache: ResultCache | None = None) -> None:
        self.options = options
        self.cache = cache
        self.exclusions = Exclusions(options.exclude)
        self.client = Client(
            user_agent=options.user_agent,
            per_host=options.per_host,
            timeout=options.timeout,
            connect_timeout=options.connect_timeout,
            retries=options.retries,
            backoff=options.backoff,
            max_retry_after=options.max_retry_after,
            allow_private=options.allow_private,
        )
        self.network_down = False  # set by run(): nothing could be reached at all
        self.reached = False  # set by run(): the lean engine got an answer or a refusal

    # -- URLs
    def check_url(self, target: Target) -> Result:
        """The verdict on a URL, its requests made by the urllib3 path on this thread."""
        hops = self.url_hops(target)
        try:
            request = next(hops)
            while True:
                try:
                    reply: Answer | TransportError = self.client.request(*request)
                except TransportError as exc:
                    reply = exc
                request = hops.send(reply)
        except StopIteration as stop:
            return cast(Result, stop.value)

    def url_hops(
        self, target: Target
    ) -> Generator[tuple[str, str], Answer | TransportError, Result]:
        """A URL's verdict as the requests it takes: yields (method, URL) and is sent the
        answer or failure, whichever engine makes them, so both reach the same verdicts.
        HEAD, then GET when HEAD is refused; redirects followed, each hop a new request."""
        url = target.value
        problem = url_syntax_error(url)
        if problem:
            return Result(target, Verdict.ERROR, problem, malformed=True)
        seen = {url}
        permanent: str | None = None
        method = "HEAD"
        hops = 0
        current = url
        while True:
            answer = yield method, current
            if isinstance(answer, TransportError):
                return self._failed(target, answer, current)
            status = answer.status
            if status in REDIRECTS and answer.headers.get("Location"):
                nxt = urljoin(current, answer.headers["Location"])
                # the new address to report: the end of the leading run of permanent hops
                if status in PERMANENT and (hops == 0 or permanent is not None):
                    permanent = nxt
                hops += 1
                if nxt in seen:
                    return Result(
                        target,
                        Verdict.BROKEN,
                        f"redirect loop at {redact(nxt)}",
                        status=status,
                        final_url=nxt,
                    )
                if hops > self.options.max_redirects:
                    return Result(
                        target,
                        Verdict.BROKEN,
                        f"more than {self.options.max_redirects} redirects",
                        status=status,
                        final_url=nxt,
                    )
                seen.add(nxt)
                current = nxt
                continue
            if method == "HEAD" and status in (400, 403, 405, 501):
                method = "GET"  # HEAD refused or unreliable: ask again with GET
                continue
            return self._classify(target, answer, current, permanent)

    def _failed(self, target: Target, exc: TransportError, url: str) -> Result:
        """The verdict on a URL whose request got no answer."""
        if exc.kind == "private":
            return Result(target, Verdict.ERROR, exc.message, final_url=url)
        if exc.kind == "timeout":
            return Result(
                target,
                Verdict.TIMEOUT,
                f"no answer within {self.options.timeout:g} s ({self.options.retries} retries)",
                cause=NO_ANSWER,
            )
        if exc.cause in (DNS_TEMPORARY, DNS_FAILURE, UNROUTABLE):
            # our resolver or our network failed, not the link
            return Result(target, Verdict.ERROR, exc.message, cause=exc.cause)
        if exc.kind == "connection":  # refused, reset, or no such host
            return Result(target, Verdict.BROKEN, exc.message, cause=exc.cause)
        return Result(target, Verdict.ERROR, f"request failed: {exc.message}", cause=NO_ANSWER)

    def _classify(
        self, target: Target, answer: Answer, final: str, permanent: str | None
    ) -> Result:
        status = answer.status
        if 200 <= status < 300:
            if status == 202 and _known_publisher(final):
                return Result(target, Verdict.BLOCKED, "202 from a publisher (bot check)", status)
            if permanent:
                return Result(
                    target,
                    Verdict.REDIRECTED,
                    f"moved permanently to {redact(permanent)}",
                    status,
                    final_url=permanent,
                )
            return Result(target, Verdict.OK, f"{status}", status, final_url=final)
        if status in (404, 410):
            return Result(
                target, Verdict.BROKEN, f"url {redact(target.value)} returned {status}", status
            )
        if status == 999 or any(h in answer.headers for h in CHALLENGE_HEADERS):
            return Result(target, Verdict.BLOCKED, f"{status}: bot protection (challenge)", status)
        if status in (401, 403):
            # most 403s to a script are bot protection, not a dead link
            return Result(target, Verdict.BLOCKED, f"{status}: access denied to refbook", status)
        if status == 429:
            return Result(target, Verdict.RATE_LIMITED, "429 Too Many Requests", status)
        if status >= 500:
            return Result(
                target,
                Verdict.ERROR,
                f"server error {status} ({self.options.retries} retries)",
                status,
            )
        return Result(
            target, Verdict.BROKEN, f"url {redact(target.value)} returned {status}", status
        )

    # -- DOIs
    def check_doi(
        self, target: Target, entry: Entry | RecordEntry | None = None, exists: bool = False
    ) -> Result:
        from .doi import check_doi  # with its LaTeX folding: not for a URL-only check

        o = self.options
        return check_doi(
            self.client,
            target,
            entry,
            resolver=o.doi_resolver,
            crossref=o.crossref_api,
            datacite=o.datacite_api,
            exists=exists,
        )

    def records(self, dois: list[str]) -> dict[str, Record | None]:
        """The registered records of ``dois`` (Crossref, else DataCite), fetched
        concurrently: the published versions ``--update-preprints`` writes."""
        from .doi import record

        o = self.options
        found: dict[str, Record | None] = {}

        def work(_i: int, doi: str) -> None:
            try:
                found[doi] = record(
                    self.client, doi, crossref=o.crossref_api, datacite=o.datacite_api
                )
            except TransportError:
                found[doi] = None

        _run_workers(work, dois, min(len(dois), max(1, o.concurrency)))
        self.client.close()
        return found

    # -- running
    def check(self, target: Target, entry: Entry | RecordEntry | None) -> Result:
        """The verdict on one target (``run`` checks many at once); with a results
        cache, the result is written to it before this returns (``run`` writes in
        batches, and flushes at its end: a result kept for the next batch of a call
        made alone was lost when the program ended)."""
        result = self._check(target, entry)
        if self.cache is not None:
            self.cache.flush()
        return result

    def _check(self, target: Target, entry: Entry | RecordEntry | None) -> Result:
        settled = self.settled(target)
        if settled is not None:
            return settled
        exists = False
        hit: Result | None = None
        if self.cache is not None and target.kind == "doi":
            hit = self.cache.get(target)
            if hit is not None:
                if entry is None or self.cache.get(target, self.cache.updates_max_age) is not None:
                    return hit
                exists = True  # known to exist: only its record (retractions…) is asked again
        if target.kind == "doi":
            from .doi import UNAVAILABLE

            result = self.check_doi(target, entry, exists=exists)
            if result.details.get("record") == UNAVAILABLE:
                # the registry did not answer: what was known (a retraction) stands
                return hit if exists and hit is not None else result
        else:
            result = self.check_url(target)
        return self.remember(result)

    def settled(self, target: Target) -> Result | None:
        """A verdict without a request: excluded, offline (syntax only), or a URL's
        cached result."""
        excluded_by = self.exclusions.match(target) if self.exclusions else None
        if excluded_by is not None:
            return Result(
                target, Verdict.EXCLUDED, f"not checked: matches the exclude pattern {excluded_by}"
            )
        if self.options.offline:
            problem = (
                doi_syntax_error(target.value)
                if target.kind == "doi"
                else url_syntax_error(target.value)
            )
            if problem:
                return Result(target, Verdict.ERROR, problem, malformed=True)
            return Result(target, Verdict.OK, "syntax ok")
        if self.cache is not None and target.kind == "url":
            return self.cache.get(target)
        return None

    def remember(self, result: Result) -> Result:
        """``result`` kept in the results cache when it may be (failures never are)."""
        if self.cache is not None and result.verdict.cacheable:
            self.cache.put(result)
        return result

    def offline_results(self, targets: Iterable[Target]) -> Iterator[Result]:
        """The results of ``targets`` one by one as they are read, for ``--offline``
        (syntax and exclusions only: no request, no entry needed): a caller that writes
        them as they come never holds them all (88,000 results at 100k entries)."""
        if not self.options.offline:
            raise ValueError("offline_results: the checker is not offline")
        for target in targets:
            yield self.check(target, None)

    def run(
        self,
        targets: Iterable[Target],
        entries: Mapping[str, Entry | RecordEntry] | None = None,
        progress: Callable[[Result], None] | None = None,
        *,
        most: int | None = None,
        idle: Callable[[], bool] | None = None,
    ) -> list[Result]:
        """The results of ``targets``, in their order.  ``targets`` may be an iterator
        (``iter_targets``): the first requests go out while the rest are still being read.
        ``most``: at most that many targets (no more workers are started); ``idle``: work
        done a piece at a time while the network is awaited (True: a piece was done)."""
        entries = {} if entries is None else entries  # (filled as the targets are read)
        if self.options.offline:
            return list(self.offline_results(targets))
        if isinstance(targets, Sized):
            most = len(targets) if most is None else min(most, len(targets))
        from .runner import run_lean

        results: dict[int, Result] = {}
        workers = max(1, self.options.concurrency)
        try:
            count = run_lean(
                self,
                targets,
                entries,
                progress,
                results,
                max(1, workers if most is None else min(workers, most)),
                idle,
            )
        finally:
            self.client.close()
            if self.cache is not None:
                self.cache.flush()
        done = [results[i] for i in range(count) if i in results]
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
        if self.client.reached or self.reached or not failed:
            return False
        if any(r.cause in (DNS_TEMPORARY, DNS_FAILURE, UNROUTABLE) for r in failed):
            return True
        return not _resolves(urlsplit(self.options.doi_resolver).hostname or "")


def not_checked(result: Result) -> Result:
    """A result whose request got no answer, when the network could not be reached."""
    if not result.cause:
        return result
    return Result(
        result.target,
        Verdict.ERROR,
        f"not checked: could not reach the network ({result.message})",
        cause=result.cause,
    )


def _known_publisher(url: str) -> bool:
    host = (urlsplit(url).hostname or "").lower()
    return any(host == p or host.endswith("." + p) for p in _PUBLISHERS)


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


def _run_workers(work: Callable[[int, _T], None], items: Iterable[_T], workers: int) -> int:
    """Run ``work(i, item)`` for each of ``items`` on ``workers`` threads while this
    thread reads the items (an iterator may still be reading the file); the number of
    items.  All threads are started before any work is handed out: started one by one
    while the first ones already make requests, each start waits for the GIL, and the
    last of 64 began ~0.1 s late (a pool's lazy start).  The first error is re-raised."""
    todo: queue.SimpleQueue[tuple[int, _T] | None] = queue.SimpleQueue()
    errors: list[BaseException] = []

    def loop() -> None:
        while (job := todo.get()) is not None:
            if errors:
                continue  # the run has failed: the rest is only drained
            try:
                work(*job)
            except BaseException as exc:  # re-raised in the caller, as a pool would
                errors.append(exc)

    threads = [threading.Thread(target=loop, daemon=True) for _ in range(max(1, workers))]
    for t in threads:
        t.start()
    count = 0
    try:
        for item in items:
            if errors:
                break
            todo.put((count, item))
            count += 1
    except BaseException as exc:  # reading failed, or Ctrl-C: what is queued is dropped
        errors.append(exc)
        raise
    finally:
        for _ in threads:
            todo.put(None)
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    return count
