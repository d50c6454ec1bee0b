"""``check``'s face of the transport: many small requests through urllib3's pools, used
directly (``refbook.links.transport`` makes them: guarded, deadline-watched), a pool of
kept-alive connections and a gate per host, retries for timeouts, 5xx and 429."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from .transport import (
    CONNECT_TIMEOUT,
    DEADLINES,
    REUSED,
    PrivateAddress,
    TransportError,
    check_public,
    environ_proxy,
    pool_manager,
)

if TYPE_CHECKING:
    import urllib3
    from urllib3.response import BaseHTTPResponse


class Answer:
    """Status, headers and (for metadata requests) the JSON body of one response, from
    either engine (``of`` reads urllib3's)."""

    JSON_LIMIT = 2_000_000  # metadata answers are small; cap what is read anyway

    def __init__(self, status: int, headers: Mapping[str, str], *, complete: bool = True) -> None:
        self.status = status
        self.headers = headers  # looked up by name in any case
        self.json: Any = None
        # nothing left to read (HEAD, 204/304, Content-Length: 0): the connection is reusable
        self.complete = complete

    @classmethod
    def of(cls, resp: BaseHTTPResponse, *, read_json: bool = False) -> Answer:
        answer = cls(resp.status, resp.headers, complete=resp.length_remaining == 0)
        if read_json and "json" in answer.headers.get("Content-Type", "") and answer.status < 500:
            raw = resp.read(cls.JSON_LIMIT, decode_content=True)
            answer.complete = len(raw) < cls.JSON_LIMIT
            try:
                answer.json = json.loads(raw)
            except ValueError:
                answer.json = None
        return answer


_Route = tuple["urllib3.PoolManager", threading.BoundedSemaphore]


class Client:
    """Many small requests through the transport: a pool of kept-alive connections per
    host, at most ``per_host`` requests at once per host, retries for timeouts and 5xx
    (exponential backoff) and for 429 (Retry-After, bounded).  Bodies are never read
    beyond a JSON answer's first 2 MB.  ``reached`` tells whether any request got an
    answer (or a refusal): then the network works."""

    def __init__(
        self,
        *,
        user_agent: str,
        per_host: int,
        timeout: float,
        connect_timeout: float = CONNECT_TIMEOUT,
        retries: int = 0,
        backoff: float = 0.5,
        max_retry_after: float = 10.0,
        allow_private: bool = False,
    ) -> None:
        self.per_host = per_host
        self.timeout = timeout
        self.connect_timeout = connect_timeout
        self.retries = retries
        self.backoff = backoff
        self.max_retry_after = max_retry_after
        self.allow_private = allow_private
        self.headers = {
            "User-Agent": user_agent,
            "Accept": "*/*",
            "Accept-Encoding": "gzip, deflate",
        }
        self.reached = False
        self._managers: dict[str | None, urllib3.PoolManager] = {}  # proxy (None: direct)
        self._routes: dict[str, tuple[urllib3.PoolManager, bool, threading.BoundedSemaphore]] = {}
        self._lock = threading.Lock()
        self._timeout: urllib3.Timeout | None = None
        # through a proxy (which resolves names itself): why a host is refused, or None
        self._refusals: dict[str, str | None] = {}

    def prepare(self) -> None:
        """Import urllib3 and make the pool classes now, in the calling thread, rather
        than in the first worker while the others wait for the import lock."""
        from .transport import pool_classes

        pool_classes(guarded=not self.allow_private)

    def close(self) -> None:
        """Close the kept-alive connections."""
        for manager in self._managers.values():
            manager.clear()

    def request(
        self,
        method: str,
        url: str,
        *,
        want_json: bool = False,
        headers: dict[str, str] | None = None,
    ) -> Answer:
        """One HTTP request, redirects not followed, timeouts and 5xx retried with
        exponential backoff, 429 after its Retry-After when that is short.  Raises
        ``TransportError``."""
        route = self._route(url)
        headers = {**self.headers, **headers} if headers else self.headers
        attempt = 0
        while True:
            reply: Answer | TransportError
            try:
                reply = self._send(route, method, url, headers, want_json)
            except TransportError as failure:
                reply = failure
            wait = self.retry_delay(reply, attempt)
            if wait is None:
                if isinstance(reply, TransportError):
                    raise reply
                return reply
            attempt += 1
            time.sleep(wait)

    def retry_delay(self, reply: Answer | TransportError, attempt: int) -> float | None:
        """Seconds to wait before asking once more after ``reply`` (the answer or failure
        of try ``attempt``, from 0), or None when it stands: timeouts and 5xx after an
        exponential backoff, 429 after its Retry-After when that is short.  The lean
        engine (``links.wire``) retries by the same rule."""
        if attempt >= self.retries:
            return None
        if isinstance(reply, TransportError):
            return self.backoff * 2**attempt if reply.kind == "timeout" else None
        if reply.status >= 500:
            return self.backoff * 2**attempt
        if reply.status == 429:
            wait = retry_after(reply.headers.get("Retry-After"))
            return wait if wait is not None and wait <= self.max_retry_after else None
        return None

    def _route(self, url: str) -> _Route:
        """The connection pools for this URL's host (direct or through the environment's
        proxy, read once per host) and the host's gate (the per-host limit).  Through a
        proxy, which resolves names itself, the name is checked here."""
        parts = urlsplit(url)
        host = f"{parts.scheme}://{parts.hostname}:{parts.port or ''}"
        with self._lock:
            if host not in self._routes:
                proxy = environ_proxy(url)
                manager = self._managers.get(proxy)
                if manager is None:
                    try:
                        manager = self._managers[proxy] = pool_manager(
                            proxy,
                            allow_private=self.allow_private,
                            maxsize=self.per_host,
                            headers=self.headers,
                        )
                    except ValueError as exc:  # socks5://… without PySocks
                        raise TransportError("other", f"unusable proxy: {exc}") from None
                self._routes[host] = (
                    manager,
                    proxy is not None,
                    threading.BoundedSemaphore(self.per_host),
                )
            manager, proxied, gate = self._routes[host]
        if proxied and not self.allow_private:
            if host not in self._refusals:  # looked up once per host, not per request
                try:
                    check_public(url)
                    self._refusals[host] = None
                except PrivateAddress as exc:
                    self._refusals[host] = str(exc)
            refusal = self._refusals[host]
            if refusal is not None:
                raise TransportError("private", refusal)
        return manager, gate

    def _send(
        self, route: _Route, method: str, url: str, headers: dict[str, str], want_json: bool
    ) -> Answer:
        """One request on the wire, under the host's gate and the deadline; sent once more
        on a fresh connection when a kept-alive one fails before any answer (the server
        closed it while it was idle, or reset it: urllib3 has dropped it from the pool),
        as browsers and requests do for idempotent requests.  Raises ``TransportError``."""
        import urllib3

        manager, gate = route
        if self._timeout is None:  # urllib3's; made once (each connection takes a copy)
            self._timeout = urllib3.Timeout(connect=self.connect_timeout, read=self.timeout)
        timeout = self._timeout
        for last in (False, True):
            # the gate is held until the response is finished, so that its connection is
            # back in the pool before the next request to this host starts
            with gate:
                DEADLINES.begin(self.timeout)
                REUSED.value = False
                try:
                    answer = self._answer(
                        manager.urlopen(
                            method,
                            url,
                            redirect=False,
                            retries=False,
                            preload_content=False,
                            timeout=timeout,
                            headers=headers,
                        ),
                        want_json,
                    )
                    if DEADLINES.expired():  # cut short: what was parsed is not the answer
                        raise TimeoutError("deadline passed")
                    self.reached = True
                    return answer
                except PrivateAddress as exc:  # found on connecting
                    raise TransportError("private", str(exc)) from None
                except (urllib3.exceptions.HTTPError, OSError) as exc:
                    failure = (
                        TransportError("timeout", "timed out")
                        if DEADLINES.expired()
                        else TransportError.of(exc)
                    )
                    if failure.kind == "connection" and REUSED.value and not last:
                        continue  # a stale kept-alive connection: once more, on a fresh one
                    if failure.kind == "connection" and failure.cause is None:
                        self.reached = True  # refused or reset: the network works
                    raise failure from exc
                finally:
                    DEADLINES.end()
        raise AssertionError("unreachable")  # the second pass returns or raises

    @staticmethod
    def _answer(resp: BaseHTTPResponse, want_json: bool) -> Answer:
        """The response read as far as needed; its connection kept alive when the body
        was read to its end (or had none), closed otherwise: a body is never downloaded."""
        answer = None
        try:
            answer = Answer.of(resp, read_json=want_json)
            return answer
        finally:
            if answer is None or not answer.complete:
                resp.close()
            resp.release_conn()


def retry_after(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header (seconds or an HTTP date); None when the
    header cannot be read."""
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
