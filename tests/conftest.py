"""Shared fixtures.

- Every test runs with REFBOOK_CACHE_DIR / REFBOOK_CONFIG_DIR in a temporary directory and
  without REFBOOK_* variables from the outside, so nothing touches the real home directory.
- ``shared_dir`` is ``../shared`` beside the repository; tests that need it skip cleanly
  when it is absent.
- ``cli`` runs ``refbook`` in-process through ``refbook.cli.main`` and returns a result with
  ``exit_code``, ``stdout`` and ``stderr`` (stdout is not a terminal: plain mode).
"""

from __future__ import annotations

import os
import shutil
import socket
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SHIPPED_BIB = REPO / "references.bib"


@pytest.fixture(autouse=True)
def _isolated_env(tmp_path_factory, monkeypatch):
    home = tmp_path_factory.mktemp("home")
    for name in list(os.environ):
        if name.startswith("REFBOOK_"):
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("REFBOOK_CACHE_DIR", str(home / "cache"))
    monkeypatch.setenv("REFBOOK_CONFIG_DIR", str(home / "config"))
    monkeypatch.delenv("NO_COLOR", raising=False)


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    path = REPO.parent / "shared"
    if not path.is_dir():
        pytest.skip("../shared is not present")
    return path


# The real .bib files listed in tests/corpus/MANIFEST are not part of the repository (files
# fetched from other projects are not committed here): they are read from $REFBOOK_CORPUS
# or ../shared/corpus/real, and the tests that need them skip when neither exists.
CORPUS_MANIFEST = Path(__file__).resolve().parent / "corpus" / "MANIFEST"
_CORPUS_ENV = os.environ.get("REFBOOK_CORPUS")  # read now: each test clears REFBOOK_*


def corpus_location() -> Path | None:
    for candidate in (_CORPUS_ENV, REPO.parent / "shared" / "corpus" / "real"):
        if candidate and Path(candidate, "biblatex-examples.bib").is_file():
            return Path(candidate)
    return None


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    path = corpus_location()
    if path is None:
        pytest.skip(
            "the real-file corpus (tests/corpus/MANIFEST) is not present: "
            "set REFBOOK_CORPUS or provide ../shared/corpus/real"
        )
    return path


@pytest.fixture
def tugboat(shared_dir) -> Path:
    path = shared_dir / "corpus" / "tugboat.bib"
    if not path.is_file():
        pytest.skip("../shared/corpus/tugboat.bib is not present")
    return path


@pytest.fixture
def paper(shared_dir) -> Path:
    path = shared_dir / "seed" / "paper.txt"
    if not path.is_file():
        pytest.skip("../shared/seed/paper.txt is not present")
    return path


@pytest.fixture
def tmp_bib(tmp_path) -> Path:
    """A writable copy of the shipped references.bib."""
    dest = tmp_path / "references.bib"
    shutil.copyfile(SHIPPED_BIB, dest)
    return dest


def read_until_closed(fd: int) -> bytes:
    """Everything written to a pseudo-terminal until its other side is closed."""
    chunks = []
    while True:
        try:
            chunk = os.read(fd, 65536)
        except OSError:  # EIO: the other side is closed
            break
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks)


@dataclass
class Result:
    exit_code: int
    stdout: str
    stderr: str


@pytest.fixture
def cli(capfd, monkeypatch, tmp_path):
    """Run refbook in-process: ``cli("list", "--json", cwd=..., input=...)``."""
    from refbook.cli import main

    def run(
        *args: str,
        cwd: Path | str | None = None,
        input: str | None = None,
        env: dict[str, str] | None = None,
    ) -> Result:
        import io

        capfd.readouterr()
        with monkeypatch.context() as m:
            m.chdir(cwd or tmp_path)
            for k, v in (env or {}).items():
                m.setenv(k, v)
            if input is not None:
                stdin = io.TextIOWrapper(io.BytesIO(input.encode()), encoding="utf-8")
                m.setattr(sys, "stdin", stdin)
            try:
                main(list(args))
                code = 0
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        out, err = capfd.readouterr()
        return Result(code, out, err)

    return run


@pytest.fixture
def raw_server():
    """A TCP server on 127.0.0.1 whose behaviour a test chooses: 'silent' never answers,
    'reset' closes the connection at once, 'trickle' sends a status line and then a header
    byte every 0.1 s (for 20 s: longer than any timeout a test sets)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    mode = {"kind": "silent"}
    conns = []
    stop = threading.Event()

    def serve():
        sock.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = sock.accept()
            except OSError:
                continue
            if mode["kind"] == "reset":
                conn.setsockopt(
                    socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00"
                )
                conn.close()
            elif mode["kind"] == "trickle":
                conns.append(conn)
                threading.Thread(target=trickle, args=(conn,), daemon=True).start()
            else:
                conns.append(conn)

    def trickle(conn):
        try:
            conn.sendall(b"HTTP/1.1 200 OK\r\nX-Slow: ")
            for _ in range(200):
                if stop.wait(0.1):
                    return
                conn.sendall(b"z")
        except OSError:
            pass

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield sock.getsockname()[1], mode
    stop.set()
    thread.join()
    for c in conns:
        c.close()
    sock.close()


@pytest.fixture
def proxy_to_intranet(httpserver, monkeypatch):
    """``HTTP_PROXY`` is ``httpserver``, and the name intranet.example resolves to
    127.0.0.1, a private address as an internal host's would be (getaddrinfo replaced:
    the socket boundary)."""
    monkeypatch.setenv("HTTP_PROXY", httpserver.url_for("/").rstrip("/"))
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    real_resolve = socket.getaddrinfo
    monkeypatch.setattr(
        socket,
        "getaddrinfo",
        lambda host, *a, **kw: real_resolve(
            "127.0.0.1" if host == "intranet.example" else host, *a, **kw
        ),
    )
    return httpserver
