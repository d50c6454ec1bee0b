"""check's lean engine (refbook.links.wire) against real servers on 127.0.0.1: the same
verdicts as the urllib3 path for the same answers (a test runs both), the private-address
guard on every hop, the deadline, keep-alive, TLS, and the answers it hands to urllib3."""

from __future__ import annotations

import shutil
import socket
import subprocess
import threading
from collections.abc import Callable, Iterator

import pytest

from refbook.links import Checker, Options, Target, transport
from refbook.links.client import Client
from refbook.links.http1 import Unhandled, parse_head, plain_url

from .servers import KeepAliveServer, nobody_knocks

FAST = dict(timeout=1.0, connect_timeout=1.0, retries=0, backoff=0.05, allow_private=True)
EMPTY = b"Content-Length: 0\r\n\r\n"


def answers(port: int) -> dict[str, Callable[[str], bytes]]:
    """What the scripted server sends for each path, by request method (b"" closes the
    connection without a word; ``None`` never answers)."""
    here = f"http://127.0.0.1:{port}"

    def same(data: bytes) -> Callable[[str], bytes]:
        return lambda _method: data

    return {
        "/ok": same(b"HTTP/1.1 200 OK\r\n" + EMPTY),
        "/no-reason": same(b"HTTP/1.1 200\r\n" + EMPTY),
        "/no-length": same(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n"),
        "/head-405": lambda m: (
            b"HTTP/1.1 405 Method Not Allowed\r\n" + EMPTY
            if m == "HEAD"
            else b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"
        ),
        "/chunked": lambda m: (
            b"HTTP/1.1 501 Not Implemented\r\n" + EMPTY
            if m == "HEAD"
            else b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"
        ),
        "/moved": same(b"HTTP/1.1 301 Moved\r\nLocation: /ok\r\n" + EMPTY),
        "/found": same(b"HTTP/1.1 302 Found\r\nLocation: " + here.encode() + b"/ok\r\n" + EMPTY),
        "/loop": same(b"HTTP/1.1 302 Found\r\nLocation: /loop\r\n" + EMPTY),
        "/gone": same(b"HTTP/1.1 410 Gone\r\n" + EMPTY),
        "/busy": same(b"HTTP/1.1 503 Busy\r\nRetry-After: 1\r\n" + EMPTY),
        "/limited": same(b"HTTP/1.1 429 Slow Down\r\nRetry-After: 1\r\n" + EMPTY),
        "/waf": same(b"HTTP/1.1 403 Forbidden\r\ncf-mitigated: challenge\r\n" + EMPTY),
        "/denied": same(b"HTTP/1.1 401 Unauthorized\r\n" + EMPTY),
        "/twice": same(b"HTTP/1.1 302 Found\r\nLocation: /ok\r\nLocation: /gone\r\n" + EMPTY),
        "/continue": same(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n"),
        "/closed": same(b""),
        "/cut-head": same(b"HTTP/1.1 200 OK\r\nContent-Le"),
        "/bare-lf": same(b"HTTP/1.1 200 OK\nContent-Length: 0\n\n"),
        "/early-hints": same(
            b"HTTP/1.1 103 Early Hints\r\nLink: </s.css>\r\n\r\nHTTP/1.1 200 OK\r\n" + EMPTY
        ),
        "/folded": same(b"HTTP/1.1 200 OK\r\nX-A: 1\r\n  2\r\n" + EMPTY),
        "/http10": same(b"HTTP/1.0 200 OK\r\n\r\n"),
        "/odd-status": same(b"HTTP/1.1 2OO OK\r\n" + EMPTY),
        "/odd-space": same(b"HTTP/1.1 302 Found\r\nLocation: /a b\r\n" + EMPTY),
        "/a%20b": same(b"HTTP/1.1 200 OK\r\n" + EMPTY),
        "/slow": lambda _m: None,  # type: ignore[return-value,arg-type]
    }


class ScriptedServer:
    """HTTP/1.1 on 127.0.0.1 answering each path as ``answers`` says, keep-alive unless
    the answer closes; ``requests`` records (method, path)."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.script = answers(self.port)
        self.requests: list[tuple[str, str]] = []
        self.connections = 0
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        buffer = b""
        with conn:
            while True:
                while b"\r\n\r\n" not in buffer:
                    try:
                        chunk = conn.recv(4096)
                    except OSError:
                        return
                    if not chunk:
                        return
                    buffer += chunk
                head, buffer = buffer.split(b"\r\n\r\n", 1)
                method, path = head.split(b" ")[:2]
                self.requests.append((method.decode(), path.decode()))
                reply = self.script.get(path.decode(), lambda _m: b"HTTP/1.1 404 No\r\n" + EMPTY)
                data = reply(method.decode())
                if data is None:
                    threading.Event().wait(5)
                    return
                if not data:
                    return
                conn.sendall(data)
                if (
                    b"Connection: close" in data
                    or data.startswith(b"HTTP/1.0")
                    or (b"Content-Le" in data and b"\r\n\r\n" not in data)
                ):
                    return

    def close(self) -> None:
        stop_listening(self.sock, self.thread)


def stop_listening(sock: socket.socket, thread: threading.Thread) -> None:
    """Close a listening socket whose thread is blocked in accept(): a close alone does
    not wake it, and the port would keep listening for one more connection (a later
    test's server on ::1 and the same port number then lost a request to it)."""
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    thread.join(5)
    sock.close()


@pytest.fixture
def scripted() -> Iterator[ScriptedServer]:
    server = ScriptedServer()
    yield server
    server.close()


def verdicts(results) -> list[tuple]:
    return [(r.verdict, r.status, r.message, r.final_url, r.cause) for r in results]


def test_both_engines_reach_the_same_verdicts(scripted, monkeypatch):
    """Every answer in the script, and a port nobody listens on: the lean engine's verdicts
    equal the urllib3 path's (``Checker.check_url``, one request at a time)."""
    paths = [*scripted.script, "/missing"]
    targets = [Target(f"k{i}", "url", scripted.url(p), i) for i, p in enumerate(paths)]
    with nobody_knocks() as port:
        pass  # closed again: connections to it are refused
    targets.append(Target("refused", "url", f"http://127.0.0.1:{port}/x", 99))
    checker = Checker(Options(**FAST, concurrency=8, per_host=4))
    lean = checker.run(targets)
    old = [Checker(Options(**FAST)).check_url(t) for t in targets]
    assert verdicts(lean) == verdicts(old)
    by_path = dict(zip(paths, (r.verdict.value for r in lean)))
    assert by_path["/ok"] == by_path["/head-405"] == by_path["/chunked"] == "ok"
    assert by_path["/moved"] == "redirected" and by_path["/loop"] == "broken"
    assert by_path["/slow"] == "timeout" and by_path["/closed"] == "broken"
    assert lean[-1].message == "connection refused"


def test_plain_answers_never_reach_urllib3_and_odd_ones_do(scripted, monkeypatch):
    """The lean engine reads plain HTTP/1.x itself; what it does not read (a head cut
    short, bare LF line ends, an interim 103, a folded header, a status that is not a
    number, a URL urllib3 would rewrite) is asked again through urllib3."""
    handed: list[str] = []
    real = Client.request

    def request(self, method, url, **kwargs):
        handed.append(url.rsplit("/", 1)[1])
        return real(self, method, url, **kwargs)

    monkeypatch.setattr(Client, "request", request)
    plain = ["ok", "no-reason", "no-length", "head-405", "chunked", "moved", "loop", "gone"]
    plain += ["waf", "denied", "twice", "continue", "closed", "http10", "slow"]
    odd = ["cut-head", "bare-lf", "early-hints", "folded", "odd-status", "odd-space"]
    targets = [Target(p, "url", scripted.url("/" + p), i) for i, p in enumerate(plain + odd)]
    Checker(Options(**FAST, concurrency=8, per_host=4)).run(targets)
    # odd-space and twice redirect to URLs with a space ("/a b"; "/ok, /gone": two
    # Location headers read as one, as urllib3 reads them)
    assert sorted(set(handed)) == sorted([*odd[:-1], "a b", "gone"])


def test_kept_alive_connections_are_reused(scripted):
    targets = [Target(f"k{i}", "url", scripted.url("/ok"), i) for i in range(6)]
    results = Checker(Options(**FAST, concurrency=1, per_host=1)).run(targets)
    assert [r.verdict.value for r in results] == ["ok"] * 6
    assert scripted.connections == 1


@pytest.mark.parametrize("mode", ["close", "reset"])
def test_a_dropped_kept_alive_connection_is_tried_once_more_fresh(mode):
    server = KeepAliveServer(mode)
    try:
        targets = [Target(f"k{i}", "url", server.url(f"/p/{i}"), i) for i in range(4)]
        results = Checker(Options(**FAST, concurrency=1, per_host=1)).run(targets)
        assert [r.verdict.value for r in results] == ["ok"] * 4
        assert server.connections == 4
    finally:
        server.close()


def test_retries_follow_the_same_rule(scripted):
    """503 and 429 (Retry-After: 1) are asked again ``retries`` times on both engines."""
    options = Options(**{**FAST, "retries": 1, "backoff": 0.01}, concurrency=4, per_host=4)
    targets = [
        Target(p, "url", scripted.url("/" + p), i) for i, p in enumerate(["busy", "limited"])
    ]
    results = Checker(options).run(targets)
    assert [r.verdict.value for r in results] == ["error", "rate-limited"]
    assert scripted.requests.count(("HEAD", "/busy")) == 2
    assert scripted.requests.count(("HEAD", "/limited")) == 2


def test_a_redirect_to_a_private_address_is_refused_without_a_handshake(scripted, monkeypatch):
    """127.0.0.1 counts as public here; the redirect's target, 127.0.0.2, is private and
    gets not even a TCP handshake.  With --allow-private it is asked."""
    real = transport._private_ip
    monkeypatch.setattr(transport, "_private_ip", lambda ip: ip != "127.0.0.1" and real(ip))
    with nobody_knocks("127.0.0.2") as port:
        scripted.script["/to-private"] = lambda _m: (
            f"HTTP/1.1 302 Found\r\nLocation: http://127.0.0.2:{port}/admin\r\n".encode() + EMPTY
        )
        target = Target("p", "url", scripted.url("/to-private"), 1)
        options = Options(**{**FAST, "allow_private": False}, concurrency=2, per_host=2)
        [result] = Checker(options).run([target])
    assert result.verdict.value == "error"
    assert result.message == "127.0.0.2 is a private address; refused without --allow-private"


def test_a_name_that_resolves_to_a_private_address_is_refused(scripted, monkeypatch):
    """The name is looked up on a worker thread, every address checked, and none used."""
    real = socket.getaddrinfo

    def getaddrinfo(host, port, *args, **kwargs):
        if host in ("intranet.example", b"intranet.example"):
            return real("127.0.0.1", port, *args, **kwargs)
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    target = Target("i", "url", f"http://intranet.example:{scripted.port}/ok", 1)
    [refused] = Checker(Options(**{**FAST, "allow_private": False})).run([target])
    assert refused.message == (
        "intranet.example resolves to a private address (127.0.0.1); "
        "refused without --allow-private"
    )
    assert scripted.requests == []
    [allowed] = Checker(Options(**FAST)).run([target])
    assert allowed.verdict.value == "ok"
    assert scripted.requests == [("HEAD", "/ok")]


def test_a_trickling_answer_is_cut_off_at_the_deadline(raw_server, scripted):
    """A header byte every 0.1 s never leaves the socket idle: only the deadline ends it
    (a healthy link beside it: the network is up)."""
    port, mode = raw_server
    mode["kind"] = "trickle"
    options = Options(**{**FAST, "timeout": 0.5}, concurrency=2, per_host=1)
    targets = [Target("t", "url", f"http://127.0.0.1:{port}/t", 1)]
    trickled, ok = Checker(options).run([*targets, Target("o", "url", scripted.url("/ok"), 2)])
    assert (trickled.verdict.value, ok.verdict.value) == ("timeout", "ok")
    assert trickled.message == "no answer within 0.5 s (0 retries)"


@pytest.fixture(scope="module")
def certificate(tmp_path_factory) -> tuple[str, str]:
    if not shutil.which("openssl"):
        pytest.skip("openssl is needed to make a self-signed certificate")
    where = tmp_path_factory.mktemp("tls")
    cert, key = str(where / "cert.pem"), str(where / "key.pem")
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2"]
        + ["-keyout", key, "-out", cert, "-subj", "/CN=127.0.0.1"]
        + ["-addext", "subjectAltName=IP:127.0.0.1"],
        check=True,
        capture_output=True,
    )
    return cert, key


def test_tls_is_verified_by_both_engines_alike(certificate, monkeypatch):
    """A self-signed certificate fails both engines the same way; trusted through
    REQUESTS_CA_BUNDLE, it answers on both."""
    import ssl

    cert, key = certificate
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)

    def serve() -> None:
        while True:
            try:
                raw, _ = listener.accept()
            except OSError:
                return
            try:
                with context.wrap_socket(raw, server_side=True) as conn:
                    while conn.recv(4096):
                        conn.sendall(b"HTTP/1.1 200 OK\r\n" + EMPTY)
            except OSError:
                pass

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    target = Target("s", "url", f"https://127.0.0.1:{listener.getsockname()[1]}/", 1)
    try:
        [lean] = Checker(Options(**FAST)).run([target])
        old = Checker(Options(**FAST)).check_url(target)
        assert verdicts([lean]) == verdicts([old])
        assert lean.verdict.value == "broken" and lean.message == "connection failed"
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", cert)
        [trusted] = Checker(Options(**FAST)).run([target])
        assert trusted.verdict.value == "ok", trusted.message
        assert verdicts([trusted]) == verdicts([Checker(Options(**FAST)).check_url(target)])
    finally:
        stop_listening(listener, thread)


def test_a_proxy_in_the_environment_goes_through_urllib3(scripted, monkeypatch):
    handed: list[str] = []
    monkeypatch.setattr(Client, "request", lambda self, m, url, **k: handed.append(url) or 1 / 0)
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")
    with pytest.raises(ZeroDivisionError):  # an error in a worker reaches the caller
        Checker(Options(**FAST)).run([Target("x", "url", scripted.url("/ok"), 1)])
    assert handed == [scripted.url("/ok")]


@pytest.mark.parametrize(
    ("url", "plain"),
    [
        ("http://Example.org/a?b=c#frag", ("http", "example.org", 80, "/a?b=c")),
        ("https://example.org:8443", ("https", "example.org", 8443, "/")),
        ("http://example.org?q", ("http", "example.org", 80, "/?q")),
        ("http://example.org/a%2Fb", ("http", "example.org", 80, "/a%2Fb")),
        ("http://example.org/a%2fb", None),  # urllib3 upper-cases the escape
        ("http://example.org/a b", None),
        ("http://example.org/a/../b", None),  # urllib3 removes dot segments
        ("http://user:pw@example.org/", None),
        ("http://[::1]/", None),
        ("http://bücher.example/", None),
        ("http://example.org./", None),
        ("ftp://example.org/", None),
        ("http://example.org:99999/", None),
    ],
)
def test_only_urls_urllib3_sends_as_they_are_are_sent_by_the_lean_engine(url, plain):
    assert plain_url(url) == plain


def test_a_head_that_is_not_plain_http_is_not_read():
    status, headers, keep = parse_head(b"HTTP/1.1 301 Moved\r\nLocation: /a\r\nX: 1\r\nx: 2")
    assert (status, headers["location"], headers.get("X"), keep) == (301, "/a", "1, 2", True)
    assert parse_head(b"HTTP/1.0 200 OK")[2] is False
    assert parse_head(b"HTTP/1.1 200 OK\r\nConnection: close")[2] is False
    for head in (b"HTTP/2 200", b"ICY 200 OK", b"HTTP/1.1 20 OK", b"HTTP/1.1 200 OK\r\nNo colon"):
        with pytest.raises(Unhandled):
            parse_head(head)
