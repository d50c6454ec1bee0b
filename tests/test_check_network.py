"""`refbook check` never calls a healthy link broken: kept-alive connections that a server
closed or reset are retried once on a fresh connection, and a machine that cannot reach the
network gets one line and exit code 6, not a bibliography full of dead links.

Servers are real, on 127.0.0.1; name resolution is replaced at ``socket.getaddrinfo``
only (no DNS server can be started here), and a network namespace without interfaces
(``unshare -n``) is the real "no network" case."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from refbook.links import Checker, Options, Target

from .conftest import REPO
from .servers import KeepAliveServer

FAST = dict(
    timeout=2.0,
    connect_timeout=2.0,
    retries=0,
    backoff=0.05,
    allow_private=True,
    user_agent="refbook-test",
)


@pytest.fixture
def keepalive_server() -> Iterator:
    servers: list[KeepAliveServer] = []

    def start(mode: str) -> KeepAliveServer:
        servers.append(KeepAliveServer(mode))
        return servers[-1]

    yield start
    for s in servers:
        s.close()


@pytest.mark.parametrize("mode", ["close", "reset"])
def test_a_kept_alive_connection_the_server_dropped_is_retried_fresh(keepalive_server, mode):
    """Before: the second URL went out on the pooled connection the server had just closed
    (or reset) and came back `broken` ("connection reset"/"connection failed")."""
    server = keepalive_server(mode)
    targets = [Target(f"k{i}", "url", server.url(f"/page/{i}"), i) for i in range(6)]
    results = Checker(Options(**{**FAST, "per_host": 1, "concurrency": 1})).run(targets)
    assert [r.verdict for r in results] == ["ok"] * 6, [r.message for r in results]
    # every URL after the first met a dropped connection once, then got a fresh one: a dead
    # connection is never handed out twice
    assert server.connections == 6
    assert len(server.requests) == 11


def test_a_resetting_url_does_not_break_its_healthy_neighbours(keepalive_server):
    server = keepalive_server("serve")
    for _ in range(3):
        targets = [Target(f"k{i}", "url", server.url(f"/ok/{i}"), i) for i in range(12)]
        targets.insert(5, Target("bad", "url", server.url("/reset"), 99))
        results = Checker(Options(**{**FAST, "per_host": 2, "concurrency": 8})).run(targets)
        verdicts = {r.target.key: r.verdict for r in results}
        assert verdicts.pop("bad") == "broken"
        assert set(verdicts.values()) == {"ok"}, results


def test_through_the_cli_with_connections_kept_alive(cli, keepalive_server, tmp_path):
    server = keepalive_server("close")
    bib = tmp_path / "k.bib"
    bib.write_text(
        "".join(
            f"@online{{k{i}, title={{Page {i}}}, url={{{server.url(f'/p/{i}')}}}}}\n"
            for i in range(4)
        )
    )
    out = cli(
        "check",
        "--bib",
        str(bib),
        "--allow-private",
        "--per-host",
        "1",
        "--concurrency",
        "1",
        "--no-cache",
        "--retries",
        "0",
        "--json",
    )
    assert out.exit_code == 0, out.stdout
    assert json.loads(out.stdout)["summary"]["ok"] == 4


# -- no network ---------------------------------------------------------------------------

LINKS = """\
@online{a, title={A}, url={https://one.example.org/a}}
@online{b, title={B}, url={https://two.example.net/b}}
@article{c, title={C}, journal={J}, year={2020}, doi={10.1234/abcd}}
"""


def fake_resolver(monkeypatch, answers: dict[str, int | str]) -> None:
    """socket.getaddrinfo answering ``answers[host]``: an address to resolve to, or a
    gaierror code (socket.EAI_AGAIN, EAI_NONAME…); other hosts: EAI_AGAIN."""
    real = socket.getaddrinfo

    def getaddrinfo(host, port, *args, **kwargs):
        answer = answers.get(str(host).rstrip("."), socket.EAI_AGAIN)
        if isinstance(answer, int):
            raise socket.gaierror(
                answer,
                os.strerror(0)
                if answer == 0
                else {
                    socket.EAI_AGAIN: "Temporary failure in name resolution",
                    socket.EAI_NONAME: "Name or service not known",
                }.get(answer, "resolver failure"),
            )
        return real(answer, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


def test_no_name_resolves_is_one_line_and_exit_6(cli, tmp_path, monkeypatch):
    """Before: every URL `broken` ("DNS lookup failed"), exit 1, while the DOI was `error`."""
    bib = tmp_path / "n.bib"
    bib.write_text(LINKS)
    fake_resolver(monkeypatch, {})  # EAI_AGAIN for every name
    out = cli(
        "check",
        "--bib",
        str(bib),
        "--no-cache",
        env={"REFBOOK_DOI_RESOLVER": "https://doi.example.com"},
    )
    assert out.exit_code == 6
    assert out.stdout == ""
    assert out.stderr.strip() == "refbook: could not reach the network: 3 links not checked"
    out = cli(
        "check",
        "--bib",
        str(bib),
        "--no-cache",
        "--json",
        env={"REFBOOK_DOI_RESOLVER": "https://doi.example.com"},
    )
    assert out.exit_code == 6
    report = json.loads(out.stdout)
    assert {r["verdict"] for r in report["results"]} == {"error"}
    assert all(
        r["message"].startswith("not checked: could not reach the network")
        for r in report["results"]
    )


def test_a_resolver_that_says_nxdomain_for_everything_is_no_network(cli, tmp_path, monkeypatch):
    """Some offline set-ups answer "no such host" for every name: when even the DOI
    resolver's name does not resolve, that is no network, not dead links."""
    bib = tmp_path / "n.bib"
    bib.write_text(LINKS)
    fake_resolver(
        monkeypatch,
        {
            "one.example.org": socket.EAI_NONAME,
            "two.example.net": socket.EAI_NONAME,
            "doi.example.com": socket.EAI_NONAME,
        },
    )
    out = cli(
        "check",
        "--bib",
        str(bib),
        "--no-cache",
        env={"REFBOOK_DOI_RESOLVER": "https://doi.example.com"},
    )
    assert out.exit_code == 6, out.stdout + out.stderr
    assert "could not reach the network: 3 links not checked" in out.stderr


def test_a_host_that_does_not_exist_while_others_resolve_stays_broken(
    cli, tmp_path, monkeypatch, httpserver
):
    httpserver.expect_request("/a").respond_with_data("", 200)
    bib = tmp_path / "n.bib"
    bib.write_text(
        f"@online{{a, title={{A}}, url={{http://good.test:{httpserver.port}/a}}}}\n"
        "@online{b, title={B}, url={http://nosuch.test/b}}\n"
        "@online{c, title={C}, url={http://flaky.test/c}}\n"
    )
    fake_resolver(
        monkeypatch,
        {
            "good.test": "127.0.0.1",
            "nosuch.test": socket.EAI_NONAME,
            "flaky.test": socket.EAI_AGAIN,
        },
    )
    out = cli("check", "--bib", str(bib), "--no-cache", "--allow-private", "--json")
    verdicts = {r["key"]: (r["verdict"], r["message"]) for r in json.loads(out.stdout)["results"]}
    assert verdicts["a"][0] == "ok"
    assert verdicts["b"] == ("broken", "DNS lookup failed: no such host")
    # a temporary resolver failure says nothing about the link
    assert verdicts["c"][0] == "error" and "temporary" in verdicts["c"][1]
    assert out.exit_code == 1


def test_nxdomain_alone_is_broken_when_the_resolver_works(cli, tmp_path, monkeypatch):
    bib = tmp_path / "n.bib"
    bib.write_text("@online{b, title={B}, url={http://nosuch.test/b}}\n")
    fake_resolver(monkeypatch, {"nosuch.test": socket.EAI_NONAME, "doi.example.com": "127.0.0.1"})
    out = cli(
        "check",
        "--bib",
        str(bib),
        "--no-cache",
        env={"REFBOOK_DOI_RESOLVER": "https://doi.example.com"},
    )
    assert out.exit_code == 1
    assert "broken-url" in out.stdout and "no such host" in out.stdout


def _unshare_works() -> bool:
    if shutil.which("unshare") is None:
        return False
    try:
        return (
            subprocess.run(["unshare", "-n", "true"], capture_output=True, timeout=20).returncode
            == 0
        )
    except (OSError, subprocess.TimeoutExpired):
        return False


@pytest.mark.skipif(
    not _unshare_works(), reason="unshare -n is not available (needs root or user namespaces)"
)
def test_in_a_network_namespace_without_interfaces(tmp_path):
    """The real thing: no interface up, not even loopback."""
    bib = tmp_path / "n.bib"
    bib.write_text(LINKS + "@online{d, title={D}, url={https://93.184.216.34/d}}\n")
    env = {**os.environ, "REFBOOK_CACHE_DIR": str(tmp_path / "cache"), "PYTHONPATH": str(REPO)}
    proc = subprocess.run(
        [
            "unshare",
            "-n",
            sys.executable,
            "-m",
            "refbook",
            "--bib",
            str(bib),
            "check",
            "--no-cache",
            "--timeout",
            "5",
            "--json",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert proc.returncode == 6, proc.stderr
    assert "could not reach the network: 4 links not checked" in proc.stderr
    results = json.loads(proc.stdout)["results"]
    assert {r["verdict"] for r in results} == {"error"}
    assert Path(bib).read_text() == LINKS + "@online{d, title={D}, url={https://93.184.216.34/d}}\n"
