"""``check``'s lean engine for link requests: HTTP/1.1 HEAD and GET on non-blocking
sockets, every request of a run in one thread, driven by a selector loop (``Wire``).
Over urllib3 with a thread per request an answer cost ~0.8-1 ms of CPU, and importing
urllib3 (or asyncio) delayed the first request by ~70 ms; here a request is a few syscalls.

The transport's rules hold: each connection's host resolved once and every address
checked (``transport.public_addresses``) before one is connected to, also on redirects;
the ``Client``'s User-Agent and headers, connect timeout, deadline for the whole answer,
retry rule (``Client.retry_delay``), at most ``per_host`` requests at once per host over
kept-alive connections (idle ones of at most ``MAX_POOLS`` hosts), a kept-alive connection
that fails before any answer tried once more fresh, TLS verified against ``ca_bundle()``.
urllib3 (``Client.request`` on a worker thread) answers the rest as it always did: a
proxy from the environment, a URL it would rewrite (``http1.plain_url``), the DOI
registries' hosts (one per-host gate with the DOI lookups), an answer framed oddly
(``http1.parse_head``: bare LF, a head over 64 KiB, an interim 1xx other than 100, the
connection closed inside the head).  Bodies are never read.
"""

from __future__ import annotations

import errno
import heapq
import itertools
import os
import queue
import re
import selectors
import socket
import threading
from collections import OrderedDict, deque
from collections.abc import Callable
from time import monotonic
from typing import TYPE_CHECKING, Any

from .client import Answer, Client
from .http1 import PORTS, Unhandled, parse_head, plain_url
from .transport import MAX_POOLS, PrivateAddress, TransportError, environ_proxy, public_addresses

if TYPE_CHECKING:
    import ssl

Reply = Answer | TransportError
_READ, _WRITE = selectors.EVENT_READ, selectors.EVENT_WRITE
_HEAD_LIMIT = 65536
_NUMERIC = re.compile(r"\d{1,3}(?:\.\d{1,3}){3}")


class _Route:
    """One scheme, host and port: its gate (requests in flight), the requests waiting at
    it, its idle kept-alive connections."""

    def __init__(self, scheme: str, host: str, port: int, proxied: bool) -> None:
        self.scheme, self.host, self.port, self.proxied = scheme, host, port, proxied
        self.host_header = host if port == PORTS[scheme] else f"{host}:{port}"
        self.busy = 0
        self.waiting: deque[_Request] = deque()
        self.idle: list[socket.socket] = []


class _Request:
    """One request and its tries; ``sock`` is the connection of the current try."""

    def __init__(
        self, method: str, url: str, route: _Route, target: str, done: Callable[[Reply], None]
    ) -> None:
        self.method, self.url, self.route, self.done = method, url, route, done
        self.head = f"{method} {target} HTTP/1.1\r\nHost: {route.host_header}\r\n"
        self.attempt = 0
        self.sock: socket.socket | None = None
        self.reused = False
        self.received = bytearray()
        self.out = b""
        self.timer: list[Any] | None = None  # the deadline's entry in the timer heap
        self.tries = 0  # a late answer to an earlier try (a name looked up) is dropped
        self.connect_timer: list[Any] | None = None
        self.addresses: list[str] = []


class Wire:
    """The selector loop: ``request`` starts a request (its reply handed to a callback on
    this thread), ``in_thread`` runs a blocking call on a worker thread (DOI checks, the
    urllib3 path), ``poll`` waits for sockets, timers and finished calls."""

    def __init__(self, client: Client, *, delegated: frozenset[str], threads: int) -> None:
        self.client = client
        self.delegated = delegated  # hosts whose requests go through ``client``
        self.threads = max(1, threads)
        self.reached = False  # an answer or a refusal came: the network works
        self._selector = selectors.DefaultSelector()
        self._timers: list[list[Any]] = []  # [when, seq, callback or None (cancelled)]
        self._seq = itertools.count()
        self._routes: dict[tuple[str, str, int], _Route] = {}
        self._idle_routes: OrderedDict[tuple[str, str, int], _Route] = OrderedDict()
        self._posted: deque[Callable[[], None]] = deque()
        self._waker, self._wake_in = socket.socketpair()
        self._waker.setblocking(False)
        self._selector.register(self._waker, _READ, None)
        self._watched: set[int] = set()  # descriptors registered with the selector
        self._jobs: queue.SimpleQueue[tuple[Callable[[], Any], Callable[[Any], None]] | None] = (
            queue.SimpleQueue()
        )
        self._workers: list[threading.Thread] = []
        self._calls = 0  # calls handed to threads and not yet delivered
        self._prepared = False
        self._tls: ssl.SSLContext | None = None
        # a socket with nothing to read or no room to write (TLS's own, once it is used)
        self._would_block: tuple[type[BaseException], ...] = (BlockingIOError,)
        self._common = "".join(f"{k}: {v}\r\n" for k, v in client.headers.items()) + "\r\n"
        self._proxies = any(n.lower().endswith("_proxy") for n in os.environ)  # once, not per host

    # -- the loop
    def poll(self, timeout: float | None) -> int:
        """Wait up to ``timeout`` seconds (None: until something happens), then handle the
        sockets ready, the timers due and the calls finished; the count of sockets and calls."""
        now = monotonic()
        if self._timers:
            wait = max(0.0, self._timers[0][0] - now)
            timeout = wait if timeout is None else min(timeout, wait)
        ready = self._selector.select(timeout)
        for key, mask in ready:
            if key.data is None:
                try:
                    self._waker.recv(4096)
                except BlockingIOError:
                    pass
            else:
                key.data(mask)
        now = monotonic()
        while self._timers and self._timers[0][0] <= now:
            entry = heapq.heappop(self._timers)
            if entry[2] is not None:
                entry[2]()
        handled = len(ready) + len(self._posted)
        while self._posted:
            self._posted.popleft()()
        return handled

    def after(self, seconds: float, callback: Callable[[], None]) -> list[Any]:
        entry = [monotonic() + seconds, next(self._seq), callback]
        heapq.heappush(self._timers, entry)
        return entry

    def in_thread(
        self, call: Callable[[], Any], done: Callable[[Any], None], *, urllib3: bool = False
    ) -> None:
        """``done(call())`` on this thread once ``call`` has run on a worker thread (at
        most ``threads``, started when needed); a ``TransportError`` raised is handed to
        ``done``, anything else re-raised here.  ``urllib3``: the call uses it (imported
        here first, not by many workers at once)."""
        if urllib3 and not self._prepared:
            self.client.prepare()
            self._prepared = True
        self._calls += 1
        if self._calls > len(self._workers) < self.threads:
            worker = threading.Thread(target=self._work, daemon=True, name="refbook-check")
            self._workers.append(worker)
            worker.start()
        self._jobs.put((call, done))

    def _work(self) -> None:
        while (job := self._jobs.get()) is not None:
            call, done = job
            try:
                value, error = call(), None
            except BaseException as exc:  # delivered to the loop's thread
                value, error = None, exc
            self._post(lambda d=done, v=value, e=error: self._deliver(d, v, e))  # type: ignore[misc]

    def _deliver(
        self, done: Callable[[Any], None], value: Any, error: BaseException | None
    ) -> None:
        self._calls -= 1
        if error is not None and not isinstance(error, TransportError):
            raise error
        done(error if error is not None else value)

    def _post(self, callback: Callable[[], None]) -> None:
        self._posted.append(callback)
        try:
            self._wake_in.send(b"x")
        except OSError:
            pass  # the loop is closed, or woken already (the buffer is full)

    def close(self) -> None:
        """Close every connection and wait for the worker threads (queued calls dropped)."""
        while True:
            try:
                self._jobs.get_nowait()
            except queue.Empty:
                break
        for _ in self._workers:
            self._jobs.put(None)
        for worker in self._workers:
            worker.join()
        for key in list(self._selector.get_map().values()):
            _close(key.fileobj)  # type: ignore[arg-type]
        for route in self._routes.values():
            for sock in route.idle:
                _close(sock)
        self._selector.close()
        self._wake_in.close()

    # -- requests
    def request(self, method: str, url: str, done: Callable[[Reply], None]) -> None:
        """Start ``method url`` (redirects not followed); ``done`` gets its reply."""
        parts = plain_url(url)
        if parts is not None:
            route = self._route(*parts[:3], url)
            if not route.proxied and route.host not in self.delegated:
                self._queue(_Request(method, url, route, parts[3], done))
                return
        self._by_urllib3(method, url, done)

    def _route(self, scheme: str, host: str, port: int, url: str) -> _Route:
        key = (scheme, host, port)
        if key not in self._routes:
            proxied = self._proxies and environ_proxy(url) is not None
            self._routes[key] = _Route(scheme, host, port, proxied)
        return self._routes[key]

    def _by_urllib3(self, method: str, url: str, done: Callable[[Reply], None]) -> None:
        self.in_thread(lambda: self.client.request(method, url), done, urllib3=True)

    def _queue(self, req: _Request) -> None:
        route = req.route
        if route.busy >= self.client.per_host:
            route.waiting.append(req)
            return
        route.busy += 1
        self._try(req, fresh=False)

    def _try(self, req: _Request, *, fresh: bool) -> None:
        """One try under the route's gate: the deadline starts, then a kept-alive
        connection is used or a new one made."""
        req.timer = self.after(self.client.timeout, lambda: self._late(req))
        req.received.clear()
        req.tries += 1
        tries = req.tries
        route = req.route
        while route.idle and not fresh:
            sock = route.idle.pop()
            if _alive(sock):
                req.reused = True
                self._send(req, sock)
                return
            _close(sock)
        req.reused = False
        if _NUMERIC.fullmatch(route.host):  # nothing to look up: checked at once
            self._dial_first(req, tries, self._addresses(route))
        else:
            self.in_thread(
                lambda: self._addresses(route), lambda r: self._dial_first(req, tries, r)
            )

    def _addresses(self, route: _Route) -> list[str] | TransportError:
        try:
            return public_addresses(route.host, route.port, guarded=not self.client.allow_private)
        except (PrivateAddress, OSError) as exc:
            return TransportError.of(exc)

    def _dial_first(self, req: _Request, tries: int, found: list[str] | TransportError) -> None:
        if req.timer is None or tries != req.tries:
            return  # the deadline passed while the name was looked up
        if isinstance(found, TransportError):
            self._end(req, found, keep=False)
            return
        req.addresses = list(found)
        self._dial(req, None)

    def _dial(self, req: _Request, error: BaseException | None) -> None:
        """Connect to the next checked address (in the resolver's order, as urllib3)."""
        if not req.addresses:
            failure = error or OSError(errno.EHOSTUNREACH, "no address")
            self._end(req, TransportError.of(failure), keep=False)
            return
        ip = req.addresses.pop(0)
        sock = socket.socket(socket.AF_INET6 if ":" in ip else socket.AF_INET, socket.SOCK_STREAM)
        sock.setblocking(False)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        req.sock = sock
        code = sock.connect_ex((ip, req.route.port))
        if code not in (0, errno.EINPROGRESS, errno.EAGAIN, errno.EWOULDBLOCK):
            _close(sock)
            self._dial(req, OSError(code, os.strerror(code)))
            return

        def timed_out() -> None:  # connecting or in the TLS handshake (then wrapped)
            if req.sock is not None:
                self._unwatch(req.sock)
                _close(req.sock)
            self._dial(req, TimeoutError("timed out"))

        req.connect_timer = self.after(self.client.connect_timeout, timed_out)
        self._watch(sock, _WRITE, lambda _mask: self._connected(req, sock))

    def _connected(self, req: _Request, sock: socket.socket) -> None:
        code = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
        if code:
            _cancel(req.connect_timer)
            self._unwatch(sock)
            _close(sock)
            self._dial(req, OSError(code, os.strerror(code)))
            return
        if req.route.scheme == "https":
            self._unwatch(sock)
            self._handshake(
                req,
                self._tls_context().wrap_socket(
                    sock, server_hostname=req.route.host, do_handshake_on_connect=False
                ),
            )
            return
        _cancel(req.connect_timer)
        self._send(req, sock)

    def _handshake(self, req: _Request, sock: ssl.SSLSocket) -> None:
        import ssl

        req.sock = sock
        try:
            sock.do_handshake()
        except ssl.SSLWantReadError:
            self._watch(sock, _READ, lambda _mask: self._handshake(req, sock))
            return
        except ssl.SSLWantWriteError:
            self._watch(sock, _WRITE, lambda _mask: self._handshake(req, sock))
            return
        except OSError as exc:  # the certificate, or the connection
            _cancel(req.connect_timer)
            self._unwatch(sock)
            self._end(req, TransportError.of(exc), keep=False)
            return
        _cancel(req.connect_timer)
        self._unwatch(sock)
        self._send(req, sock)

    def _send(self, req: _Request, sock: socket.socket) -> None:
        """The request written at once (a few hundred bytes: a connected socket takes
        them), or as the socket makes room; then its answer awaited."""
        req.sock = sock
        req.out = (req.head + self._common).encode("latin-1")
        try:
            req.out = req.out[sock.send(req.out) :]
        except self._would_block:
            pass
        except OSError as exc:
            self._broken(req, exc)
            return
        events = _READ | _WRITE if req.out else _READ
        self._watch(sock, events, lambda mask: self._ready(req, sock, mask))

    def _ready(self, req: _Request, sock: socket.socket, mask: int) -> None:
        try:
            if mask & _WRITE and req.out:
                req.out = req.out[sock.send(req.out) :]
                if not req.out:
                    self._watch(sock, _READ, lambda mask: self._ready(req, sock, mask))
            if not mask & _READ:
                return
            chunk = sock.recv(_HEAD_LIMIT)
            while getattr(sock, "pending", None) and sock.pending():  # type: ignore[attr-defined]
                chunk += sock.recv(_HEAD_LIMIT)  # TLS: what is decrypted already
        except self._would_block:
            return
        except OSError as exc:
            self._broken(req, exc)
            return
        if not chunk:
            if req.received:  # closed inside the head
                self._to_urllib3(req)
            else:
                self._broken(req, ConnectionResetError(errno.ECONNRESET, "closed, no answer"))
            return
        req.received += chunk
        try:
            self._read_head(req)
        except Unhandled:
            self._to_urllib3(req)

    def _read_head(self, req: _Request) -> None:
        data = req.received
        while True:
            end = data.find(b"\r\n\r\n")
            if end < 0:
                if b"\n\n" in data or len(data) > _HEAD_LIMIT:
                    raise Unhandled("framing")
                return  # more to come
            status, headers, keep = parse_head(bytes(data[:end]))
            del data[: end + 4]
            if status != 100:  # http.client skips "100 Continue", as here
                break
        if status < 200:
            raise Unhandled(f"interim {status}")
        empty = (
            req.method == "HEAD"
            or status in (204, 304)
            or (headers.get("Content-Length") == "0" and "transfer-encoding" not in headers)
        )
        answer = Answer(status, headers, complete=empty)
        self._end(req, answer, keep=keep and empty and not data)

    def _broken(self, req: _Request, exc: BaseException) -> None:
        """The connection failed before the whole head came: once more on a fresh
        connection when it was a kept-alive one (closed by the server while idle)."""
        sock, req.sock = req.sock, None
        if sock is not None:
            self._unwatch(sock)
            _close(sock)
        if req.reused:
            _cancel(req.timer)
            self._try(req, fresh=True)
            return
        self._end(req, TransportError.aborted(exc), keep=False)

    def _late(self, req: _Request) -> None:
        """The deadline passed: the connection is dropped."""
        req.timer = None
        _cancel(req.connect_timer)
        self._end(req, TransportError("timeout", "timed out"), keep=False)

    def _to_urllib3(self, req: _Request) -> None:
        """An answer this engine does not read: its connection dropped, the request made
        again through urllib3, which answers as it always did."""
        self._release(req, keep=False)
        self._by_urllib3(req.method, req.url, req.done)

    def _release(self, req: _Request, *, keep: bool) -> None:
        _cancel(req.timer)
        req.timer = None
        sock, req.sock = req.sock, None
        route = req.route
        if sock is not None:
            self._unwatch(sock)
            if keep:
                self._keep(route, sock)
            else:
                _close(sock)
        route.busy -= 1
        if route.waiting:
            self._queue(route.waiting.popleft())

    def _keep(self, route: _Route, sock: socket.socket) -> None:
        """An idle connection kept; beyond ``MAX_POOLS`` hosts, the least recently used
        host's are closed (bounds open sockets on a big file)."""
        route.idle.append(sock)
        key = (route.scheme, route.host, route.port)
        self._idle_routes[key] = route
        self._idle_routes.move_to_end(key)
        while len(self._idle_routes) > MAX_POOLS:
            _, old = self._idle_routes.popitem(last=False)
            while old.idle:
                _close(old.idle.pop())

    def _end(self, req: _Request, reply: Reply, *, keep: bool) -> None:
        """The try is over: the gate released, the reply retried (``retry_delay``) or
        handed on."""
        self._release(req, keep=keep)
        if isinstance(reply, Answer) or (reply.kind == "connection" and reply.cause is None):
            self.reached = True
        wait = self.client.retry_delay(reply, req.attempt)
        if wait is None:
            req.done(reply)
            return
        req.attempt += 1
        self.after(wait, lambda: self._queue(req))

    def _watch(self, sock: socket.socket, events: int, handler: Callable[[int], None]) -> None:
        # membership by descriptor: the selector's own lookup builds a KeyError message
        # with the socket's repr, which cost more than the rest of a request
        fd = sock.fileno()
        if fd in self._watched:
            self._selector.modify(sock, events, handler)
        else:
            self._selector.register(sock, events, handler)
            self._watched.add(fd)

    def _unwatch(self, sock: socket.socket) -> None:
        fd = sock.fileno()
        if fd in self._watched:
            self._watched.discard(fd)
            self._selector.unregister(sock)

    def _tls_context(self) -> ssl.SSLContext:
        """Verified TLS (certificate and host name) against ``ca_bundle()``, TLS 1.2 at
        least, as urllib3's default context."""
        if self._tls is None:
            import ssl

            from .transport import ca_bundle

            context = ssl.create_default_context(cafile=ca_bundle())
            context.minimum_version = ssl.TLSVersion.TLSv1_2
            context.set_alpn_protocols(["http/1.1"])
            self._tls = context
            self._would_block += (ssl.SSLWantReadError, ssl.SSLWantWriteError)
        return self._tls


def _cancel(entry: list[Any] | None) -> None:
    if entry is not None:
        entry[2] = None


def _close(sock: socket.socket) -> None:
    try:
        sock.close()
    except OSError:
        pass


def _alive(sock: socket.socket) -> bool:
    """Whether an idle kept-alive connection is still open (nothing to read on it): the
    raw socket is peeked, also under TLS."""
    try:
        socket.socket.recv(sock, 1, socket.MSG_PEEK)  # closed (b""), or an answer unasked
        return False
    except BlockingIOError:
        return True
    except OSError:
        return False
