"""The transport as a requests ``Session``, for one-off fetches (``add --doi``, ``add
--url``): refbook's own ``HTTPAdapter`` over the transport's guarded, deadline-watched
urllib3 pools, so these requests get the same private-address guard (also on every
redirect), deadline, proxies, trust store, User-Agent and stale-connection retry as
``check``'s.  Imported only by what fetches: ``check`` never pays for requests."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
import urllib3
from requests.adapters import HTTPAdapter

from .transport import (
    CONNECT_TIMEOUT,
    DEADLINES,
    REUSED,
    PrivateAddress,
    TransportError,
    ca_bundle,
    check_public,
    environ_proxy,
    pool_manager,
    user_agent,
)

BODY_LIMIT = 2_000_000  # a page's meta tags, a CSL-JSON record: read no more than this
MAX_REDIRECTS = 10
_REDIRECTS = {301, 302, 303, 307, 308}


class GuardedAdapter(HTTPAdapter):
    """requests' adapter over the transport's pools: guarded unless ``allow_private``,
    proxies from the environment chosen for each request (every redirect hop too), a
    request on a kept-alive connection the server closed meanwhile sent once more."""

    def __init__(self, *, allow_private: bool = False) -> None:
        self.allow_private = allow_private
        super().__init__(max_retries=0)

    def init_poolmanager(
        self, connections: int, maxsize: int, block: bool = False, **pool_kwargs: Any
    ) -> None:
        self._pool_connections, self._pool_maxsize, self._pool_block = connections, maxsize, block
        self.poolmanager = pool_manager(
            None, allow_private=self.allow_private, maxsize=maxsize, num_pools=connections
        )

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> urllib3.ProxyManager:
        if proxy not in self.proxy_manager:
            try:
                self.proxy_manager[proxy] = pool_manager(
                    proxy,
                    allow_private=self.allow_private,
                    maxsize=self._pool_maxsize,
                    num_pools=self._pool_connections,
                )
            except ValueError as exc:  # socks5://… without PySocks
                raise TransportError("other", f"unusable proxy: {exc}") from None
        return self.proxy_manager[proxy]

    def send(
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: Any = None,
        verify: Any = True,
        cert: Any = None,
        proxies: Mapping[str, str] | None = None,
    ) -> requests.Response:
        url = request.url or ""
        proxy = environ_proxy(url)  # the transport's choice, not requests' (no ~/.netrc)
        if proxy and not self.allow_private:
            check_public(url)  # the proxy resolves the name itself: check it here
        chosen = {urlsplit(url).scheme: proxy} if proxy else {}
        REUSED.value = False
        try:
            return super().send(request, stream, timeout, verify, cert, chosen)
        except requests.ConnectionError:
            if not (REUSED.value and request.method in ("GET", "HEAD")):
                raise
        # a kept-alive connection the server closed while idle: once more, on a fresh one
        return super().send(request, stream, timeout, verify, cert, chosen)


def open_session(*, allow_private: bool = False, agent: str | None = None) -> requests.Session:
    """A requests session through the transport (environment read by the transport only)."""
    session = requests.Session()
    session.trust_env = False  # proxies, CA bundle: the transport's; ~/.netrc: never
    session.verify = ca_bundle() or True
    session.headers["User-Agent"] = agent or user_agent()
    adapter = GuardedAdapter(allow_private=allow_private)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


@dataclass
class Page:
    """A fetched answer: the final URL (after redirects), status, headers, the body's
    first ``BODY_LIMIT`` bytes (decoded from gzip/deflate) and its declared encoding."""

    url: str
    status: int
    headers: Mapping[str, str]
    body: bytes
    encoding: str | None


def fetch(
    url: str,
    *,
    timeout: float,
    headers: Mapping[str, str] | None = None,
    allow_private: bool = False,
    agent: str | None = None,
    session: requests.Session | None = None,
) -> Page:
    """GET ``url`` within ``timeout`` seconds for the whole exchange, redirects followed
    (each hop guarded; a redirect's body is never read).  Raises ``TransportError``
    (kind timeout, connection, private or other)."""
    session = session or open_session(allow_private=allow_private, agent=agent)
    DEADLINES.begin(timeout)
    try:
        seen = {url}
        while True:
            with session.get(
                url,
                headers=dict(headers or {}),
                stream=True,
                allow_redirects=False,
                timeout=(min(CONNECT_TIMEOUT, timeout), timeout),
            ) as resp:
                location = resp.headers.get("Location")
                if resp.status_code in _REDIRECTS and location:
                    url = urljoin(url, location)
                    if url in seen or len(seen) > MAX_REDIRECTS:
                        raise TransportError(
                            "other",
                            "redirect loop"
                            if url in seen
                            else f"more than {MAX_REDIRECTS} redirects",
                        )
                    seen.add(url)
                    continue  # the response is closed unread
                body = resp.raw.read(BODY_LIMIT, decode_content=True)
                page = Page(url, resp.status_code, resp.headers, body, resp.encoding)
            if DEADLINES.expired():  # cut short: what was read is not the answer
                raise TransportError("timeout", "timed out")
            return page
    except PrivateAddress as exc:
        raise TransportError("private", str(exc)) from None
    except (requests.RequestException, urllib3.exceptions.HTTPError, OSError) as exc:
        if DEADLINES.expired():
            raise TransportError("timeout", "timed out") from None
        raise TransportError.of(_underlying(exc)) from None
    finally:
        DEADLINES.end()


def _underlying(exc: BaseException) -> BaseException:
    """The urllib3 or OS error inside requests' wrappers (``ConnectionError(MaxRetryError
    (reason=NewConnectionError(…)))``), which tells a timeout from a refusal."""
    while (
        isinstance(exc, requests.RequestException)
        and exc.args
        and isinstance(exc.args[0], BaseException)
    ):
        exc = exc.args[0]
    reason = getattr(exc, "reason", None)
    return reason if isinstance(reason, BaseException) else exc
