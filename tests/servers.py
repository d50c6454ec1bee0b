"""HTTP servers on 127.0.0.1 that misbehave on purpose, for the network tests."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

OK = b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"


class KeepAliveServer:
    """HTTP/1.1 on 127.0.0.1, one thread per connection, keep-alive by default.

    ``mode`` says what happens to a connection's second request: "close" (the server
    closes it, as one does with an idle keep-alive connection whose timeout fires as a
    request arrives), "reset" (an RST), or "serve".  A path ``/reset`` is always reset."""

    def __init__(self, mode: str) -> None:
        self.mode = mode
        self.connections = 0
        self.requests: list[str] = []
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self._stop = threading.Event()
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def _accept(self) -> None:
        self.sock.settimeout(0.1)
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            with self._lock:
                self.connections += 1
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    @staticmethod
    def _reset(conn: socket.socket) -> None:
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        conn.close()

    def _serve(self, conn: socket.socket) -> None:
        conn.settimeout(5)
        served = 0
        buffer = b""
        try:
            while True:
                while b"\r\n\r\n" not in buffer:
                    chunk = conn.recv(4096)
                    if not chunk:
                        conn.close()
                        return
                    buffer += chunk
                head, buffer = buffer.split(b"\r\n\r\n", 1)
                path = head.split(b" ")[1].decode()
                with self._lock:
                    self.requests.append(path)
                if path == "/reset" or (served and self.mode == "reset"):
                    self._reset(conn)
                    return
                if served and self.mode == "close":
                    conn.close()
                    return
                conn.sendall(OK)
                served += 1
        except OSError:
            conn.close()

    def close(self) -> None:
        self._stop.set()
        self.sock.close()


@contextmanager
def nobody_knocks(host: str = "127.0.0.1") -> Iterator[int]:
    """A port listening on ``host`` that nothing may connect to while the block runs, not
    even for a TCP handshake: asserted when the block ends."""
    listener = socket.socket()
    listener.bind((host, 0))
    listener.listen(8)
    listener.settimeout(0.3)
    try:
        yield listener.getsockname()[1]
        with pytest.raises(TimeoutError):
            listener.accept()
    finally:
        listener.close()


def serve_registry(
    httpserver,
    crossref: dict[str, dict],
    datacite: dict[str, dict] | None = None,
    busy: set[str] | None = None,
) -> dict[str, str]:
    """The DOI resolver's Handle API, Crossref's ``/works/{doi}`` and DataCite's
    ``/dois/{doi}`` on ``httpserver``, answering as those services do (a Crossref work
    wrapped in ``{"status": "ok", "message": …}``, a DataCite record in
    ``{"data": {"attributes": …}}``, Handle API ``responseCode`` 1 or 100).  The dicts
    are read at each request, so a test may change them between runs; Crossref answers
    503 for the DOIs in ``busy``.  Returns the environment that points refbook at it."""
    import json
    import re

    from werkzeug import Response

    datacite = {} if datacite is None else datacite

    def as_json(data: object, status: int = 200) -> Response:
        return Response(json.dumps(data), status, content_type="application/json")

    def handle(request) -> Response:
        doi = request.path.split("/api/handles/", 1)[1]
        known = doi in crossref or doi in datacite
        return as_json({"responseCode": 1 if known else 100, "handle": doi}, 200 if known else 404)

    def works(request) -> Response:
        doi = request.path.split("/works/", 1)[1]
        if busy and doi in busy:
            return Response("Service unavailable", 503)
        if doi in crossref:
            return as_json({"status": "ok", "message-type": "work", "message": crossref[doi]})
        return Response("Resource not found.", 404)

    def dois(request) -> Response:
        doi = request.path.split("/dois/", 1)[1]
        if doi in datacite:
            return as_json({"data": {"id": doi, "type": "dois", "attributes": datacite[doi]}})
        return as_json({"errors": [{"status": "404", "title": "not found"}]}, 404)

    httpserver.expect_request(re.compile(r"^/api/handles/.*")).respond_with_handler(handle)
    httpserver.expect_request(re.compile(r"^/cr/works/.*")).respond_with_handler(works)
    httpserver.expect_request(re.compile(r"^/dc/dois/.*")).respond_with_handler(dois)
    base = httpserver.url_for("").rstrip("/")
    return {
        "REFBOOK_DOI_RESOLVER": base,
        "REFBOOK_CROSSREF_API": base + "/cr",
        "REFBOOK_DATACITE_API": base + "/dc",
    }
