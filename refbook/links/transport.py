"""refbook's one HTTP transport: every request refbook makes goes through it.

- **The private-address guard**: a host name is resolved once per connection and every
  address is checked before one of them is connected to (``_connect_public``), so the
  address checked is the address used (no DNS rebinding) and a refused address does not
  even get a TCP handshake; through a proxy, which resolves names itself, the name is
  checked before the request (``check_public``).  ``allow_private`` lifts it.
- **A deadline** for the whole answer (``DEADLINES``): a read timeout bounds the gaps
  between bytes, not the answer, so one thread cuts off requests that outlive theirs.
- **Proxies and trust** from the environment (``HTTP(S)_PROXY``, ``ALL_PROXY``,
  ``NO_PROXY``, ``REQUESTS_CA_BUNDLE``/``CURL_CA_BUNDLE``, else certifi), never
  ``~/.netrc``; the polite ``User-Agent``; credentials in URLs never printed
  (``identifiers.redact``).
- **A kept-alive connection that fails before any answer** (closed by the server while
  idle) is known by ``REUSED``, so that both faces send the request once more on a
  fresh connection.

Three faces.  ``refbook.links.wire``, the lean engine for ``check``'s link requests
(HEAD/GET on non-blocking sockets in one thread: no urllib3 to import, ~0.2 ms of CPU a
request against ~0.8-1 ms with a thread each over urllib3), which shares the guard
(``public_addresses``), the User-Agent, timeouts and retry rule, and hands everything
else to the urllib3 face.  Two faces over the same urllib3 pools (``pool_manager``):
``refbook.links.client``, urllib3 used directly, for ``check``'s DOI lookups and what the
lean engine hands over (it starts ~50 ms sooner than requests and costs half the CPU
per request); and ``refbook.links.session``, a requests ``Session`` with refbook's own
adapter, for the one-off fetches of ``add --doi`` and ``add --url``.  urllib3 is
imported only when the first request through it is made.
"""

from __future__ import annotations

import errno
import ipaddress
import itertools
import os
import socket
import threading
import time
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from .. import PROJECT_URL, __version__

if TYPE_CHECKING:
    import urllib3
    from urllib3.connection import HTTPConnection

CONNECT_TIMEOUT = 5.0
# idle pools (one per host, up to per-host kept-alive connections each) kept at once;
# beyond, the least recently used is closed, which bounds open sockets on big files
MAX_POOLS = 128
# causes of a request that got no answer (TransportError.cause, Result.cause), from the
# resolver or the router: a host that does not exist (NXDOMAIN), a temporary or other
# resolver failure, no route; and a timeout or other failure with no sign of the network
NO_SUCH_HOST, DNS_TEMPORARY, DNS_FAILURE, UNROUTABLE, NO_ANSWER = (
    "no-such-host",
    "dns-temporary",
    "dns-failure",
    "unroutable",
    "no-answer",
)
_CAUSE_MESSAGES = {
    NO_SUCH_HOST: "DNS lookup failed: no such host",
    DNS_TEMPORARY: "DNS lookup failed: temporary failure in name resolution",
    DNS_FAILURE: "DNS lookup failed",
    UNROUTABLE: "network unreachable",
}


def user_agent(mailto: str = "") -> str:
    """``refbook/VERSION (+project URL; mailto:…)``: who asks, for Crossref's polite pool."""
    return f"refbook/{__version__} (+{PROJECT_URL}{'; mailto:' + mailto if mailto else ''})"


# -- the private-address guard ---------------------------------------------------------------


class PrivateAddress(Exception):
    """A request to a private, loopback, link-local, reserved or multicast address."""


def _private_ip(ip: str) -> bool:
    """Private, loopback, link-local, reserved, multicast or unspecified."""
    addr = ipaddress.ip_address(ip.split("%")[0])
    return (
        addr.is_private
        or addr.is_loopback
        or addr.is_link_local
        or addr.is_reserved
        or addr.is_multicast
        or addr.is_unspecified
    )


def _refusal(host: str, ip: str) -> PrivateAddress:
    ip = ip.split("%")[0]
    where = (
        f"{ip} is a private address"
        if host.strip("[]") == ip
        else f"{host} resolves to a private address ({ip})"
    )
    return PrivateAddress(f"{where}; refused without --allow-private")


def check_public(url: str) -> None:
    """Refuse a URL whose host resolves to a private address (SSRF protection), for
    requests sent through a proxy, which resolves and connects itself.  Direct connections
    are checked where they are made (``_connect_public``)."""
    host = urlsplit(url).hostname or ""
    try:
        infos = socket.getaddrinfo(host, None)
    except (socket.gaierror, UnicodeError):
        return  # DNS failure: reported by the request itself
    for info in infos:
        if _private_ip(str(info[4][0])):
            raise _refusal(host, str(info[4][0]))


def public_addresses(host: str, port: int | None, *, guarded: bool = True) -> list[str]:
    """The addresses ``host`` resolves to, in the resolver's order, each checked when
    ``guarded``: raises ``PrivateAddress`` when any is private, ``socket.gaierror`` when
    the name does not resolve.  Both faces connect only to an address returned here."""
    name = host.rstrip(".")
    # an IPv4 address is given as bytes: no IDNA codec to load for it (~3 ms)
    numeric = name.replace(".", "").isdigit() and name.isascii()
    infos = socket.getaddrinfo(name.encode() if numeric else name, port, 0, socket.SOCK_STREAM)
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    if guarded:
        for ip in addresses:
            if _private_ip(ip):
                raise _refusal(host, ip)
    return addresses


def _connect_public(conn: HTTPConnection) -> socket.socket:
    """A socket for urllib3 connection ``conn``: its host is resolved once, every address
    is checked, and only then is one of them connected to -- the address checked is the
    address used, so a DNS answer that changes between a check and the connection
    (rebinding) cannot slip through, and nothing, not even a TCP handshake, goes to a
    private address."""
    from urllib3.exceptions import ConnectTimeoutError, NameResolutionError, NewConnectionError
    from urllib3.util.connection import create_connection

    host = conn.host
    try:
        addresses = public_addresses(host, conn.port)
    except socket.gaierror as exc:
        raise NameResolutionError(host, conn, exc) from exc
    error: Exception | None = None
    for ip in addresses:  # in the resolver's order, as urllib3 does
        try:
            return create_connection(
                (ip, conn.port),
                conn.timeout,
                source_address=conn.source_address,
                socket_options=conn.socket_options,
            )
        except TimeoutError:
            error = ConnectTimeoutError(
                conn, f"Connection to {host} timed out. (connect timeout={conn.timeout})"
            )
        except OSError as exc:
            error = NewConnectionError(conn, f"Failed to establish a new connection: {exc}")
            error.__cause__ = exc  # the errno tells "no route" from "refused"
    raise error or NewConnectionError(conn, f"no address for {host}")


# -- the deadline ------------------------------------------------------------------------------


class Deadlines:
    """Ends requests that outlive their deadline (from the first byte sent to the last
    byte read).  A read timeout bounds the gaps between bytes, not the whole answer: a
    server that trickles a header byte a second would hold a worker forever.  One thread
    watches every request in flight and shuts down the socket of one that is late, which
    ends the blocked read in the worker.  A request is ``begin``-``end`` on one thread;
    each response it waits for (redirects, a retry) is ``watch``-ed under the same
    deadline."""

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
        """This thread's request now waits for an answer on ``sock``."""
        deadline = getattr(self._local, "deadline", None)
        if deadline is None or sock is None:
            return
        with self._cond:
            token = getattr(self._local, "token", None)
            if token is None:
                token = self._local.token = next(self._tokens)
            if token in self._fired:
                return  # already late: expired() says so
            self._watched[token] = (deadline, sock)  # a redirect's new socket replaces the old
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, daemon=True, name="refbook-deadlines"
                )
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
        token, self._local.token, self._local.deadline = (
            getattr(self._local, "token", None),
            None,
            None,
        )
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
                self._wake_at = min((d for d, _ in self._watched.values()), default=float("inf"))
                self._cond.wait(None if self._wake_at == float("inf") else self._wake_at - now)


DEADLINES = Deadlines()


class _Reused(threading.local):
    """``value``: this thread's last request went out on a kept-alive connection, which the
    server may have closed while it was idle (reset to False before each request)."""

    value = False


REUSED = _Reused()


# -- connection pools --------------------------------------------------------------------------

_POOLS: dict[bool, dict[str, type]] = {}


def pool_classes(guarded: bool) -> dict[str, type]:
    """urllib3 connection pools whose connections are watched for their deadline and,
    when ``guarded``, made by ``_connect_public``."""
    if guarded not in _POOLS:
        from urllib3.connection import HTTPConnection, HTTPSConnection
        from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

        def methods(base: type[HTTPConnection]) -> dict[str, Any]:
            def getresponse(self: HTTPConnection, *args: Any, **kwargs: Any) -> Any:
                DEADLINES.watch(self.sock)
                return base.getresponse(self, *args, **kwargs)

            def connect(self: HTTPConnection) -> None:
                base.connect(self)
                self._refbook_fresh = True  # type: ignore[attr-defined]

            def request(self: HTTPConnection, *args: Any, **kwargs: Any) -> None:
                # a kept-alive connection sent a request before: the server may have
                # closed it meanwhile.  A plain HTTP connection is opened inside
                # request(), an HTTPS one just before it.
                REUSED.value = self.sock is not None and not getattr(self, "_refbook_fresh", False)
                try:
                    return base.request(self, *args, **kwargs)
                finally:
                    self._refbook_fresh = False  # type: ignore[attr-defined]

            def _new_conn(self: HTTPConnection) -> socket.socket:
                return _connect_public(self)

            return {
                "getresponse": getresponse,
                "connect": connect,
                "request": request,
                **({"_new_conn": _new_conn} if guarded else {}),
            }

        http = type("WatchedHTTPConnection", (HTTPConnection,), methods(HTTPConnection))
        https = type("WatchedHTTPSConnection", (HTTPSConnection,), methods(HTTPSConnection))
        _POOLS[guarded] = {
            "http": type("WatchedHTTPPool", (HTTPConnectionPool,), {"ConnectionCls": http}),
            "https": type("WatchedHTTPSPool", (HTTPSConnectionPool,), {"ConnectionCls": https}),
        }
    return _POOLS[guarded]


def pool_manager(
    proxy: str | None,
    *,
    allow_private: bool,
    maxsize: int,
    headers: dict[str, str] | None = None,
    num_pools: int = MAX_POOLS,
) -> urllib3.PoolManager:
    """A urllib3 pool manager (a pool per host) whose connections are watched for their
    deadline and, unless ``allow_private``, guarded; through ``proxy`` when given (the
    proxy resolves names: callers check them with ``check_public``).  Raises
    ``ValueError`` for a proxy urllib3 cannot use (``socks5://…`` without PySocks)."""
    import urllib3

    options: dict[str, Any] = dict(
        num_pools=num_pools, maxsize=maxsize, retries=False, headers=headers, ca_certs=ca_bundle()
    )
    manager: urllib3.PoolManager
    if proxy:
        auth = urlsplit(proxy)
        proxy_headers = (
            urllib3.make_headers(
                proxy_basic_auth=f"{unquote(auth.username)}:{unquote(auth.password or '')}"
            )
            if auth.username
            else None
        )
        manager = urllib3.ProxyManager(proxy, proxy_headers=proxy_headers, **options)
        manager.pool_classes_by_scheme = pool_classes(guarded=False)
    else:
        manager = urllib3.PoolManager(**options)
        manager.pool_classes_by_scheme = pool_classes(guarded=not allow_private)
    return manager


def environ_proxy(url: str) -> str | None:
    """The proxy for ``url`` from HTTP(S)_PROXY / ALL_PROXY, unless NO_PROXY exempts it."""
    if not any(name.lower().endswith("_proxy") for name in os.environ):
        return None  # the common case, without importing urllib.request
    import urllib.request

    parts = urlsplit(url)
    proxies = urllib.request.getproxies_environment()
    proxy = proxies.get(parts.scheme) or proxies.get("all")
    bypass = urllib.request.proxy_bypass_environment  # type: ignore[attr-defined]
    if not proxy or bypass(parts.netloc, proxies):
        return None
    return proxy if "://" in proxy else f"http://{proxy}"


def ca_bundle() -> str | None:
    """REQUESTS_CA_BUNDLE or CURL_CA_BUNDLE, else certifi's bundle (as requests does)."""
    bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
    if bundle:
        return bundle
    try:
        import certifi
    except ImportError:
        return None  # the system's default trust store
    return str(certifi.where())


# -- failures ----------------------------------------------------------------------------------


class TransportError(Exception):
    """A request that got no HTTP answer: ``kind`` is timeout, connection, private (a
    refused address) or other."""

    def __init__(self, kind: str, message: str, cause: str | None = None) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.cause = cause  # NO_SUCH_HOST, DNS_TEMPORARY, DNS_FAILURE, UNROUTABLE or None

    @classmethod
    def of(cls, exc: BaseException) -> TransportError:
        """What ``exc`` (urllib3's, or the socket's for the lean engine) means for a
        verdict; urllib3 is imported only for an exception that is not the OS's."""
        if isinstance(exc, PrivateAddress):
            return cls("private", str(exc))
        timeouts: tuple[type[BaseException], ...] = (TimeoutError,)
        connection: tuple[type[BaseException], ...] = (OSError,)
        if not isinstance(exc, OSError):
            from urllib3.exceptions import (
                ConnectTimeoutError,
                NewConnectionError,
                ProtocolError,
                ProxyError,
                ReadTimeoutError,
                SSLError,
            )

            if isinstance(exc, ConnectTimeoutError) and not isinstance(exc, NewConnectionError):
                return cls("timeout", "timed out")
            timeouts = (ReadTimeoutError, TimeoutError)
            connection = (NewConnectionError, ProtocolError, ProxyError, SSLError)
        if "timed out" in str(exc) or isinstance(exc, timeouts):
            return cls("timeout", "timed out")
        if isinstance(exc, connection):
            cause = _network_cause(exc)
            return cls(
                "connection", _CAUSE_MESSAGES.get(cause or "") or _connection_message(exc), cause
            )
        return cls("other", type(exc).__name__)

    @classmethod
    def aborted(cls, exc: BaseException) -> TransportError:
        """A connection that failed after it was made, before the whole answer head came
        (reset, closed, a broken pipe): what urllib3 reports as "Connection aborted."."""
        if "timed out" in str(exc) or isinstance(exc, TimeoutError):
            return cls("timeout", "timed out")
        cause = _network_cause(exc)
        return cls("connection", _CAUSE_MESSAGES.get(cause or "") or "connection reset", cause)


def _network_cause(exc: BaseException) -> str | None:
    """What in the network failed, from the exception chain: the resolver (a host that does
    not exist, a temporary failure such as EAI_AGAIN, another failure) or the routing
    (ENETUNREACH, EHOSTUNREACH, ENETDOWN); None for anything else (refused, reset…)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, socket.gaierror):
            if current.errno == socket.EAI_AGAIN:
                return DNS_TEMPORARY
            if current.errno in (
                socket.EAI_NONAME,
                getattr(socket, "EAI_NODATA", None),
                getattr(socket, "EAI_ADDRFAMILY", None),
            ):
                return NO_SUCH_HOST
            return DNS_FAILURE
        if isinstance(current, OSError) and current.errno in (
            errno.ENETUNREACH,
            errno.EHOSTUNREACH,
            errno.ENETDOWN,
        ):
            return UNROUTABLE
        current = current.__cause__ or current.__context__
        if current is None and exc.args and isinstance(exc.args[-1], BaseException):
            current = exc.args[-1]  # ProtocolError('Connection aborted.', OSError(...))
    return None


def _connection_message(exc: BaseException) -> str:
    text = str(exc)
    if "Name or service not known" in text or "getaddrinfo" in text or "NameResolution" in text:
        return "DNS lookup failed"
    if "refused" in text.lower():
        return "connection refused"
    if "reset" in text.lower() or "aborted" in text.lower():
        return "connection reset"
    return "connection failed"
