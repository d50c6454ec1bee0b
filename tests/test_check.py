"""refbook check against real HTTP servers on 127.0.0.1 that imitate the DOI resolver's
Handle API, Crossref, DataCite and misbehaving web sites.  Never the internet."""

from __future__ import annotations

import json
import os
import socket
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator

import pytest
from werkzeug import Response

from refbook import links
from refbook.links import Checker, Options, Target, transport

from .conftest import REPO
from .servers import nobody_knocks, serve_registry

FAST = dict(
    timeout=1.0,
    connect_timeout=1.0,
    retries=1,
    backoff=0.05,
    max_retry_after=2.0,
    allow_private=True,
    user_agent="refbook-test",
)


def check_url(url: str, **kw) -> links.Result:
    opts = Options(**{**FAST, **kw})
    return Checker(opts).check(Target("k", "url", url, 1), None)


# -- URLs --------------------------------------------------------------------------------


def test_ok_and_head_only(httpserver):
    httpserver.expect_request("/ok", method="HEAD").respond_with_data("", 200)
    r = check_url(httpserver.url_for("/ok"))
    assert (r.verdict, r.status) == ("ok", 200)


@pytest.mark.parametrize("status", [404, 410])
def test_gone_is_broken(httpserver, status):
    httpserver.expect_request("/gone").respond_with_data("", status)
    r = check_url(httpserver.url_for("/gone"))
    assert r.verdict == "broken" and r.message.endswith(f"returned {status}")


def test_permanent_redirect_chain_reports_the_new_url(httpserver):
    httpserver.expect_request("/a").respond_with_data("", 301, headers={"Location": "/b"})
    httpserver.expect_request("/b").respond_with_data("", 308, headers={"Location": "/c"})
    httpserver.expect_request("/c").respond_with_data("", 200)
    r = check_url(httpserver.url_for("/a"))
    assert r.verdict == "redirected"
    assert r.final_url == httpserver.url_for("/c")


def test_temporary_redirect_is_ok(httpserver):
    httpserver.expect_request("/t").respond_with_data("", 302, headers={"Location": "/u"})
    httpserver.expect_request("/u").respond_with_data("", 200)
    assert check_url(httpserver.url_for("/t")).verdict == "ok"


def test_redirect_loop_and_too_many_hops(httpserver):
    httpserver.expect_request("/x").respond_with_data("", 302, headers={"Location": "/y"})
    httpserver.expect_request("/y").respond_with_data("", 302, headers={"Location": "/x"})
    r = check_url(httpserver.url_for("/x"))
    assert r.verdict == "broken" and "redirect loop" in r.message
    for i in range(5):
        httpserver.expect_request(f"/h{i}").respond_with_data(
            "", 302, headers={"Location": f"/h{i + 1}"}
        )
    r = check_url(httpserver.url_for("/h0"), max_redirects=3)
    assert r.verdict == "broken" and "more than 3 redirects" in r.message


def test_head_405_falls_back_to_get(httpserver):
    httpserver.expect_request("/nohead", method="HEAD").respond_with_data("", 405)
    httpserver.expect_request("/nohead", method="GET").respond_with_data("hello", 200)
    assert check_url(httpserver.url_for("/nohead")).verdict == "ok"


def test_403_for_robots_is_blocked_not_broken(httpserver):
    httpserver.expect_request("/bots").respond_with_data("", 403)
    r = check_url(httpserver.url_for("/bots"))
    assert r.verdict == "blocked"


def test_cloudflare_challenge_and_999(httpserver):
    httpserver.expect_request("/cf").respond_with_data(
        "<html>Just a moment...</html>", 403, headers={"cf-mitigated": "challenge"}
    )
    httpserver.expect_request("/li").respond_with_data("", 999)
    assert check_url(httpserver.url_for("/cf")).verdict == "blocked"
    assert check_url(httpserver.url_for("/li")).verdict == "blocked"


def test_429_honours_retry_after_then_succeeds(httpserver):
    httpserver.expect_ordered_request("/slow-down").respond_with_data(
        "", 429, headers={"Retry-After": "1"}
    )
    httpserver.expect_ordered_request("/slow-down").respond_with_data("", 200)
    start = time.monotonic()
    r = check_url(httpserver.url_for("/slow-down"))
    assert r.verdict == "ok"
    assert time.monotonic() - start >= 1.0


def test_429_with_a_long_retry_after_is_rate_limited_without_waiting(httpserver):
    httpserver.expect_request("/later").respond_with_data("", 429, headers={"Retry-After": "3600"})
    start = time.monotonic()
    r = check_url(httpserver.url_for("/later"))
    assert r.verdict == "rate-limited"
    assert time.monotonic() - start < 5


def test_500_then_200_is_retried(httpserver):
    httpserver.expect_ordered_request("/flaky").respond_with_data("", 500)
    httpserver.expect_ordered_request("/flaky").respond_with_data("", 200)
    assert check_url(httpserver.url_for("/flaky")).verdict == "ok"


def test_persistent_500_is_an_error_not_broken(httpserver):
    httpserver.expect_request("/down").respond_with_data("", 503)
    assert check_url(httpserver.url_for("/down")).verdict == "error"


def test_404_is_not_retried(httpserver):
    httpserver.expect_request("/nope").respond_with_data("", 404)
    check_url(httpserver.url_for("/nope"))
    assert len(httpserver.log) == 1


def test_huge_body_is_not_downloaded(httpserver):
    sent = {"bytes": 0}

    def body():
        chunk = b"x" * (1 << 20)
        for _ in range(1024):  # 1 GiB if anyone read it all
            sent["bytes"] += len(chunk)
            yield chunk

    httpserver.expect_request("/big", method="HEAD").respond_with_data("", 405)
    httpserver.expect_request("/big", method="GET").respond_with_response(
        Response(body(), status=200, headers={"Content-Length": str(1 << 30)})
    )
    start = time.monotonic()
    r = check_url(httpserver.url_for("/big"))
    assert r.verdict == "ok"
    assert time.monotonic() - start < 10
    assert sent["bytes"] < 64 << 20  # at most what the socket buffers took


def test_server_that_never_answers_times_out(raw_server):
    port, mode = raw_server
    start = time.monotonic()
    r = check_url(f"http://127.0.0.1:{port}/hang", timeout=0.5, retries=1)
    assert r.verdict == "timeout"
    assert time.monotonic() - start < 5


def test_a_server_trickling_bytes_times_out_at_the_deadline(raw_server):
    """--timeout bounds the whole answer, not only the gaps between bytes."""
    port, mode = raw_server
    mode["kind"] = "trickle"
    start = time.monotonic()
    r = check_url(f"http://127.0.0.1:{port}/slow", timeout=0.5, retries=1)
    assert r.verdict == "timeout"
    assert time.monotonic() - start < 3  # two attempts of 0.5 s and a backoff


def test_connection_reset_and_refused(raw_server):
    port, mode = raw_server
    mode["kind"] = "reset"
    assert check_url(f"http://127.0.0.1:{port}/reset").verdict == "broken"
    free = socket.socket()
    free.bind(("127.0.0.1", 0))
    closed_port = free.getsockname()[1]
    free.close()
    r = check_url(f"http://127.0.0.1:{closed_port}/")
    assert r.verdict == "broken" and r.message == "connection refused"


def test_private_addresses_are_refused_unless_allowed(httpserver, monkeypatch):
    httpserver.expect_request("/p").respond_with_data("", 200)
    r = check_url(httpserver.url_for("/p"), allow_private=False)
    assert r.verdict == "error" and "private address" in r.message
    assert len(httpserver.log) == 0  # refused before any request


def test_redirect_to_a_private_address_is_refused(httpserver, monkeypatch):
    # No public address exists in a test: let the loopback address count as public, so
    # that the redirect target (the cloud metadata address, link-local) is what is refused.
    real = transport._private_ip
    monkeypatch.setattr(
        transport, "_private_ip", lambda ip: ip not in ("127.0.0.1", "::1") and real(ip)
    )
    httpserver.expect_request("/r").respond_with_data(
        "", 302, headers={"Location": "http://169.254.169.254/latest/meta-data/"}
    )
    r = check_url(httpserver.url_for("/r"), allow_private=False)
    assert r.verdict == "error" and "169.254.169.254" in r.message


def test_the_address_checked_is_the_address_connected_to(httpserver, monkeypatch):
    """DNS rebinding: a name that answers a public address to a check and a private one to
    the connection must not reach the private one.  The name is resolved once, when
    connecting, and the connected peer is what is checked; nothing is sent to a private
    peer.  (A real DNS server cannot be started here: getaddrinfo is replaced, the
    socket boundary.)  127.0.0.2 stands in for the public address."""
    real_private, real_resolve = transport._private_ip, socket.getaddrinfo
    monkeypatch.setattr(transport, "_private_ip", lambda ip: ip != "127.0.0.2" and real_private(ip))
    answers = ["127.0.0.2", "127.0.0.1"]  # first a "public" address, then the private one
    lookups = []

    def rebinding(host, port, *args, **kw):
        if host != "rebind.example":
            return real_resolve(host, port, *args, **kw)
        lookups.append(host)
        ip = answers[min(len(lookups), len(answers)) - 1]
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (ip, port or 80))]

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    httpserver.expect_request("/x").respond_with_data("", 200)
    url = f"http://rebind.example:{httpserver.port}/x"
    r = check_url(url, allow_private=False)
    assert len(httpserver.log) == 0  # nothing reached the private address
    assert r.verdict != "ok"
    assert lookups == ["rebind.example"]  # one lookup, the one connected with


def test_a_private_address_gets_not_even_a_tcp_handshake(monkeypatch):
    """A name that resolves to a private address is refused before connecting: a .bib in
    a pull request cannot make the CI runner probe its internal network's ports."""
    real_resolve = socket.getaddrinfo
    monkeypatch.setattr(
        socket,
        "getaddrinfo",
        lambda host, *a, **kw: real_resolve(
            "127.0.0.1" if host == "intranet.example" else host, *a, **kw
        ),
    )
    with nobody_knocks() as port:
        r = check_url(f"http://intranet.example:{port}/admin", allow_private=False)
        assert r.verdict == "error"
        assert "intranet.example resolves to a private address (127.0.0.1)" in r.message


def test_through_a_proxy_a_private_name_is_refused_before_the_proxy_sees_it(
    httpserver, proxy_to_intranet
):
    """The proxy resolves names itself, so the name is checked before the request: for
    URLs and for the DOI resolver alike."""
    httpserver.expect_request("/").respond_with_data("", 200)
    r = check_url("http://intranet.example/admin", allow_private=False)
    assert r.verdict == "error" and "intranet.example resolves to a private address" in r.message
    opts = Options(**{**FAST, "allow_private": False, "doi_resolver": "http://intranet.example"})
    r = Checker(opts).check(Target("k", "doi", "10.1177/09749284221127807", 1), None)
    assert r.verdict == "error" and "private address" in r.message
    assert len(httpserver.log) == 0


def test_a_private_doi_resolver_is_refused_unless_allowed(registry):
    opts = Options(
        **{**FAST, "allow_private": False, "doi_resolver": registry["REFBOOK_DOI_RESOLVER"]}
    )
    r = Checker(opts).check(Target("k", "doi", "10.1177/09749284221127807", 1), None)
    assert r.verdict == "error" and "private address" in r.message


def test_credentials_are_never_printed(httpserver):
    httpserver.expect_request("/secret").respond_with_data("", 404)
    url = httpserver.url_for("/secret").replace("http://", "http://alice:s3cret@")
    r = check_url(url)
    assert r.verdict == "broken"
    assert "s3cret" not in r.message and "s3cret" not in json.dumps(r.to_dict())
    assert links.redact(url) == url.replace("alice:s3cret@", "***@")


@pytest.fixture
def threaded_server():
    from pytest_httpserver import HTTPServer

    server = HTTPServer(threaded=True)
    server.start()
    yield server
    server.clear()
    server.stop()


def test_per_host_limit_is_respected(threaded_server):
    httpserver = threaded_server
    lock = threading.Lock()
    state = {"now": 0, "max": 0}

    def slow(request):
        with lock:
            state["now"] += 1
            state["max"] = max(state["max"], state["now"])
        time.sleep(0.2)
        with lock:
            state["now"] -= 1
        return Response("", 200)

    httpserver.expect_request("/slow").respond_with_handler(slow)
    targets = [Target(f"k{i}", "url", httpserver.url_for(f"/slow?i={i}"), i) for i in range(12)]
    results = Checker(Options(**{**FAST, "per_host": 3, "concurrency": 12})).run(targets)
    assert all(r.verdict == "ok" for r in results)
    assert state["max"] == 3


def test_connections_to_a_host_are_reused():
    """One pool per host with keep-alive: 20 URLs on one host cost at most per-host TCP
    connections, not one each (politeness, and a TLS handshake saved per URL)."""
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    peers: set = set()

    class KeepAlive(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_HEAD(self):  # noqa: N802
            peers.add(self.client_address)
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), KeepAlive)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        port = server.server_address[1]
        targets = [Target(f"k{i}", "url", f"http://127.0.0.1:{port}/p/{i}", i) for i in range(20)]
        results = Checker(Options(**{**FAST, "per_host": 2, "concurrency": 4})).run(targets)
    finally:
        server.shutdown()
        server.server_close()
    assert all(r.verdict == "ok" for r in results)
    assert 1 <= len(peers) <= 2


def test_proxy_from_the_environment_is_used(httpserver, monkeypatch):
    """HTTP_PROXY is honoured (corporate networks): the request goes to the proxy with the
    absolute URL, and NO_PROXY exempts a host."""
    seen = []

    def proxy(request):
        seen.append(request.environ.get("REQUEST_URI") or request.url)
        return Response("", 200)

    httpserver.expect_request("/page").respond_with_handler(proxy)
    monkeypatch.setenv("HTTP_PROXY", httpserver.url_for("/").rstrip("/"))
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    r = check_url("http://journal.example/page")
    assert r.verdict == "ok"
    assert seen and "journal.example/page" in seen[0]
    monkeypatch.setenv("NO_PROXY", "journal.example")
    r = check_url("http://journal.example/page")
    assert r.verdict == "broken"  # not through the proxy: the name does not resolve
    assert len(seen) == 1


def test_an_unusable_proxy_is_an_error_not_a_crash(monkeypatch):
    """A SOCKS proxy (which needs PySocks) in the environment: every URL through it gets
    an `error` verdict saying why, and the run goes on."""
    monkeypatch.setenv("HTTP_PROXY", "socks5://127.0.0.1:1080")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    targets = [Target(f"k{i}", "url", f"http://journal.example/{i}", i) for i in range(2)]
    results = Checker(Options(**FAST)).run(targets)
    assert [r.verdict for r in results] == ["error", "error"]
    assert all("unusable proxy" in r.message and "socks5" in r.message for r in results)


def test_proxy_credentials_come_from_the_proxy_url(httpserver, monkeypatch):
    """http://user:pass@proxy:port: the proxy gets Proxy-Authorization; the credentials
    never reach the output."""
    import base64

    seen = []

    def proxy(request):
        seen.append(request.headers.get("Proxy-Authorization"))
        return Response("", 200)

    httpserver.expect_request("/page").respond_with_handler(proxy)
    address = httpserver.url_for("/").rstrip("/").replace("http://", "http://ann:s%40cret@")
    monkeypatch.setenv("HTTP_PROXY", address)
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    r = check_url("http://journal.example/page")
    assert r.verdict == "ok"
    assert seen == ["Basic " + base64.b64encode(b"ann:s@cret").decode()]
    assert "cret" not in json.dumps(r.to_dict())


# -- DOIs -----------------------------------------------------------------------------------


@pytest.fixture
def registry(httpserver):
    """The Handle API, Crossref and DataCite, all on one local server."""
    known = {
        "10.1177/09749284221127807": {
            "title": ["Geopolitical Dynamics in the Afghanistan–India–Pakistan Triangle"],
            "author": [{"family": "Wani", "given": "Zahid Ahmad"}],
            "issued": {"date-parts": [[2022, 10]]},
            "volume": "78",
            "issue": "4",
            "page": "617-633",
        },
        "10.1000/other": {
            "title": ["A Completely Different Paper about Soil Chemistry"],
            "author": [{"family": "Nobody"}],
            "issued": {"date-parts": [[1999]]},
        },
        "10.1000/swapped": {
            "title": ["Afghanistan after America"],
            "author": [{"family": "Biddle"}],
            "issued": {"date-parts": [[2019]]},
            "volume": "98",
            "issue": "1",
            "page": "116-128",
        },
    }
    datacite = {
        "10.5281/zenodo.1": {
            "titles": [{"title": "A Data Set"}],
            "creators": [{"familyName": "Doe"}],
            "publicationYear": 2021,
        }
    }

    return serve_registry(httpserver, known, datacite)


DOIS_BIB = """\
@article{wani2022geopolitical,
  author = {Wani, Z. A.},
  title = {Geopolitical Dynamics in the {Afghanistan}-{India}-{Pakistan} Triangle},
  journal = {India Quarterly},
  year = {2022},
  volume = {78},
  number = {4},
  pages = {617--633},
  doi = {10.1177/09749284221127807},
}

@article{biddle2019afghanistan,
  author = {Biddle, S.},
  title = {Afghanistan after America},
  journal = {Foreign Affairs},
  year = {2019},
  volume = {1},
  number = {98},
  pages = {116--128},
  doi = {10.1000/swapped},
}

@article{wrong2020,
  author = {Someone, A.},
  title = {Border Security in South Asia},
  journal = {J},
  year = {2020},
  doi = {10.1000/other},
}

@article{missing2020,
  author = {Someone, B.},
  title = {Not Registered},
  journal = {J},
  year = {2020},
  doi = {10.1000/does-not-exist},
}

@misc{data2021,
  author = {Doe, J.},
  title = {A Data Set},
  year = {2021},
  doi = {10.5281/zenodo.1},
}
"""


def test_doi_checks_through_handle_api_and_metadata(cli, registry, tmp_path):
    bib = tmp_path / "dois.bib"
    bib.write_text(DOIS_BIB)
    out = cli("check", "--json", "--allow-private", "--no-cache", "--bib", str(bib), env=registry)
    data = json.loads(out.stdout)
    verdicts = {r["key"]: r for r in data["results"]}
    assert verdicts["wani2022geopolitical"]["verdict"] == "ok"
    assert verdicts["wani2022geopolitical"]["warnings"] == []
    assert verdicts["biddle2019afghanistan"]["verdict"] == "ok"
    assert set(verdicts["biddle2019afghanistan"]["warnings"]) == {
        "volume: bib 1, crossref 98",
        "issue: bib 98, crossref 1",
    }
    assert verdicts["wrong2020"]["verdict"] == "mismatch"
    assert "DOI points to another work" in verdicts["wrong2020"]["message"]
    assert verdicts["missing2020"]["verdict"] == "broken"
    assert verdicts["data2021"]["verdict"] == "ok"  # DataCite record
    assert out.exit_code == 1


def test_a_warm_check_compares_dois_with_the_entries_it_streams(cli, registry, tmp_path):
    """With the library cache warm, check reads every entry as the requests go out and
    hands each DOI's check its entry (metadata compared, a mismatch named): the results
    are those of reading the file, lines included."""
    bib = tmp_path / "dois.bib"
    bib.write_text(DOIS_BIB)
    args = ["--bib", str(bib), "check", "--json", "--allow-private", "--no-cache"]
    read = json.loads(cli("--no-cache", *args, env=registry).stdout)["results"]
    assert cli("--bib", str(bib), "list", "--json").exit_code == 0  # the cache, built
    warm = json.loads(cli(*args, env=registry).stdout)["results"]
    assert warm == read
    verdicts = {r["key"]: r["verdict"] for r in warm}
    assert verdicts["wrong2020"] == "mismatch" and verdicts["wani2022geopolitical"] == "ok"


def test_plain_github_junit_sarif_markdown(cli, registry, tmp_path):
    bib = tmp_path / "dois.bib"
    bib.write_text(DOIS_BIB)
    args = ["check", "--allow-private", "--no-cache", "--bib", str(bib)]
    lines = DOIS_BIB.splitlines()
    missing = lines.index("  doi = {10.1000/does-not-exist},") + 1
    swapped = lines.index("  doi = {10.1000/swapped},") + 1
    plain = cli(*args, env=registry).stdout.splitlines()
    assert (
        f"{bib}:{missing}: error: [broken-doi] missing2020: DOI 10.1000/does-not-exist not "
        "found (Handle API responseCode 100)" in plain
    )
    assert (
        f"{bib}:{swapped}: warning: [doi-metadata] biddle2019afghanistan: doi 10.1000/swapped: "
        "volume: bib 1, crossref 98" in plain
    )
    gh = cli(*args, "--format", "github", env=registry).stdout
    assert f"::error file={bib},line={missing},title=missing2020 [broken-doi]::" in gh
    junit = ET.fromstring(cli(*args, "--format", "junit", env=registry).stdout)
    assert junit.get("failures") == "2"
    assert any(tc.get("name") == "wani2022geopolitical doi" for tc in junit.iter("testcase"))
    sarif = json.loads(cli(*args, "--format", "sarif", env=registry).stdout)
    assert {r["ruleId"] for r in sarif["runs"][0]["results"]} >= {"broken-doi", "doi-mismatch"}
    md = cli(*args, "--format", "markdown", env=registry).stdout
    assert md.startswith("### refbook check: 2 error(s)")


def test_results_cache_reuses_successes_only(cli, registry, tmp_path, httpserver):
    bib = tmp_path / "dois.bib"
    bib.write_text(DOIS_BIB)
    args = ["check", "--json", "--allow-private", "--bib", str(bib)]
    cli(*args, env=registry)
    before = len(httpserver.log)
    again = json.loads(cli(*args, env=registry).stdout)
    cached = {r["key"]: r["cached"] for r in again["results"]}
    assert cached["wani2022geopolitical"] and not cached["missing2020"]
    # only the failures were asked again: 2 failing DOIs -> handle (+ metadata for mismatch)
    assert len(httpserver.log) - before <= 4


def test_a_check_answered_from_the_results_cache_leaves_its_file_as_it_was(
    cli, tmp_path, httpserver
):
    """Opening the results cache writes nothing when the file is refbook's already: it
    set the file's application id on every run, a write and a sync to disk (~15 ms
    before the first request) that changed the file even when every result was read."""
    from refbook.paths import cache_dir

    httpserver.expect_request("/page").respond_with_data("", 200)
    bib = tmp_path / "one.bib"
    bib.write_text(
        f"@misc{{a, title={{A}}, year={{2020}}, url={{{httpserver.url_for('/page')}}}}}\n"
    )
    args = ["check", "--json", "--allow-private", "--bib", str(bib)]
    assert json.loads(cli(*args).stdout)["results"][0]["cached"] is False
    written = (cache_dir() / "check" / "results.sqlite").read_bytes()
    assert json.loads(cli(*args).stdout)["results"][0]["cached"] is True
    assert (cache_dir() / "check" / "results.sqlite").read_bytes() == written


def test_a_result_checked_alone_is_in_the_results_cache_at_once(tmp_path, httpserver):
    """``Checker.check`` (the Python API, one target) writes its result to the results
    cache before it returns: ``run`` writes in batches and at its end, and a result
    checked alone used to wait for a batch that never came (lost when the program
    ended)."""
    httpserver.expect_request("/page").respond_with_data("", 200)
    path = tmp_path / "results.sqlite"
    target = Target("k", "url", httpserver.url_for("/page"), 1)
    checker = Checker(Options(**FAST), links.ResultCache(path, 3600))
    assert checker.check(target, None).verdict is links.Verdict.OK
    again = links.ResultCache(path, 3600).get(target)  # another program, later
    assert again is not None and again.cached and again.verdict is links.Verdict.OK


def test_json_records_made_while_waiting_are_those_made_at_the_end(httpserver):
    """check --json encodes its results while the checker waits on the network
    (``Checker.run``'s ``idle``): the document is the one encoding them all at the end
    gives, and some were made while waiting."""
    import io

    from refbook.output.check import EncodedResults, render

    for i in range(12):
        httpserver.expect_request(f"/{i}").respond_with_data("", 404 if i % 3 else 200)
    targets = [Target(f"k{i}", "url", httpserver.url_for(f"/{i}"), i + 1) for i in range(12)]
    encoded = EncodedResults()
    pieces: list[bool] = []

    def idle() -> bool:
        pieces.append(encoded.encode_some())
        return pieces[-1]

    results = Checker(Options(**FAST, concurrency=4)).run(
        iter(targets), progress=encoded.add, idle=idle
    )
    assert True in pieces
    made, plain = io.StringIO(), io.StringIO()
    render(results, "json", "x.bib", stream=made, encoded=encoded)
    render(results, "json", "x.bib", stream=plain)
    assert made.getvalue() == plain.getvalue()
    assert [r["key"] for r in json.loads(made.getvalue())["results"]] == [t.key for t in targets]


def test_selection_and_offline(cli, tmp_path):
    bib = tmp_path / "dois.bib"
    bib.write_text(
        DOIS_BIB.replace("doi = {10.1000/other}", "doi = {https://doi.org/10.1000/other}")
    )
    out = cli("check", "--offline", "--json", "--bib", str(bib))
    data = json.loads(out.stdout)
    bad = [r for r in data["results"] if r["verdict"] != "ok"]
    assert [r["key"] for r in bad] == ["wrong2020"] and out.exit_code == 1
    only = cli("check", "--offline", "--json", "--urls-only", "--bib", str(bib))
    assert json.loads(only.stdout)["results"] == []
    keyed = cli("check", "wani2022geopolitical", "--offline", "--json", "--bib", str(bib))
    assert [r["key"] for r in json.loads(keyed.stdout)["results"]] == ["wani2022geopolitical"]


def test_shipped_bibliography_passes_offline(cli):
    out = cli("check", "--offline", cwd=REPO)
    assert out.exit_code == 0 and out.stdout == ""


def test_user_agent_names_refbook_and_mailto(cli, httpserver, tmp_path):
    httpserver.expect_request("/ua").respond_with_data("", 200)
    bib = tmp_path / "u.bib"
    bib.write_text(
        f"@online{{u, title={{U}}, year={{2020}}, url={{{httpserver.url_for('/ua')}}}}}\n"
    )
    (tmp_path / "refbook.toml").write_text('[check]\nmailto = "me@example.org"\n')
    cli("check", "--allow-private", "--no-cache", "--bib", str(bib), cwd=tmp_path)
    ua = httpserver.log[0][0].headers["User-Agent"]
    assert ua.startswith("refbook/") and "mailto:me@example.org" in ua


# -- typed verdicts: CI meaning from the enum, never from a message's wording --------------

# docs/check.md's table: which verdicts fail the run, without and with --strict
CI_MEANING = {
    "ok": (False, False),
    "redirected": (False, False),
    "broken": (True, True),
    "mismatch": (True, True),
    "blocked": (False, True),
    "timeout": (False, True),
    "rate-limited": (False, True),
    "error": (False, True),
    "excluded": (False, False),
    "retracted": (True, True),
    "withdrawn": (True, True),
    "expression-of-concern": (False, False),
    "corrected": (False, False),
    "notice": (False, False),
    "has-published-version": (False, False),
}
ONE_EACH = (
    "@misc{d, title={D}, doi={10.1000/x}}\n"
    "@online{u, title={U}, year={2020}, url={https://example.org/u}}\n"
)


@pytest.mark.parametrize("strict", [False, True])
@pytest.mark.parametrize("verdict", list(links.Verdict))
def test_rewording_a_message_cannot_change_the_exit_code(
    cli, tmp_path, monkeypatch, verdict, strict
):
    """Before: the exit code came from message prefixes ("not a DOI", "white space"…), so
    rewording a message in links.py changed what fails CI."""
    monkeypatch.setattr(
        Checker,
        "check",
        lambda self, target, entry: links.Result(
            target, verdict, "a message nobody has written before"
        ),
    )
    bib = tmp_path / "v.bib"
    bib.write_text(ONE_EACH)
    args = ["check", "--offline", "--bib", str(bib), *(["--strict"] if strict else [])]
    out = cli(*args, "--json")
    assert out.exit_code == int(CI_MEANING[verdict][strict])
    assert [r["verdict"] for r in json.loads(out.stdout)["results"]] == [verdict.value] * 2
    for fmt in ("plain", "github", "sarif", "junit", "markdown"):
        assert cli(*args, "--format", fmt).exit_code == out.exit_code


@pytest.mark.parametrize("kind", ["doi", "url"])
def test_a_malformed_target_fails_whatever_its_message_says(cli, tmp_path, monkeypatch, kind):
    monkeypatch.setattr(
        Checker,
        "check",
        lambda self, target, entry: links.Result(
            target, links.Verdict.ERROR, "reworded", malformed=True
        ),
    )
    bib = tmp_path / "v.bib"
    bib.write_text(ONE_EACH)
    out = cli("check", "--offline", "--format", "sarif", f"--{kind}s-only", "--bib", str(bib))
    assert out.exit_code == 1
    (result,) = json.loads(out.stdout)["runs"][0]["results"]
    assert (result["ruleId"], result["level"]) == (f"{kind}-syntax", "error")


def test_every_verdict_has_its_ci_meaning_rule_and_colour():
    from refbook.output.check import COLOURS, RULES

    assert {v.value for v in links.Verdict} == set(CI_MEANING)
    for verdict in links.Verdict:
        assert (verdict.fails(), verdict.fails(strict=True)) == CI_MEANING[verdict]
        assert verdict in COLOURS
        for kind in ("doi", "url"):
            result = links.Result(Target("k", kind, "x", 1), verdict, "")
            assert result.rule is None if verdict is links.Verdict.OK else result.rule in RULES
            assert (
                links.Result(Target("k", kind, "x", 1), verdict, "", malformed=True).rule in RULES
            )
    assert [v.value for v in sorted(links.Verdict, key=lambda v: v.order)][:5] == [
        "retracted",
        "withdrawn",
        "broken",
        "mismatch",
        "error",
    ]  # the table shows retractions first, then the other problems


def test_malformed_ipv6_url_is_a_syntax_error_not_a_traceback(cli, tmp_path):
    """Before: `check --offline` crashed on urlsplit's ValueError."""
    bib = tmp_path / "v6.bib"
    bib.write_text("@misc{a, title={A}, url={http://[::1/x}}\n")
    out = cli("check", "--offline", "--bib", str(bib))
    assert out.exit_code == 1
    assert "[url-syntax] a: url http://[::1/x: not an http(s) URL" in out.stdout


# -- check.exclude and --exclude ------------------------------------------------------------

EXCLUDING = (
    "@misc{skip, title={S}, url={https://intranet.example/wiki}}\n"
    "@misc{keep, title={K}, url={https://example.org/page}}\n"
    "@misc{dat, title={D}, doi={10.5555/bad.}}\n"
    "@misc{byurl, title={B}, doi={10.1234/ok}}\n"
)


def test_excluded_targets_are_reported_and_never_fail(cli, tmp_path):
    """Before: the check.exclude setting existed, and nothing read it."""
    bib = tmp_path / "x.bib"
    bib.write_text(EXCLUDING)
    args = [
        "check",
        "--offline",
        "--exclude",
        r"intranet\.example",
        "--exclude",
        r"^10\.5555/",
        "--exclude",
        r"doi\.org/10\.1234/",
        "--bib",
        str(bib),
    ]
    out = cli(*args, "--json")
    assert out.exit_code == 0, out.stdout  # 10.5555/bad. is malformed, but excluded
    data = json.loads(out.stdout)
    verdicts = {r["key"]: r["verdict"] for r in data["results"]}
    assert verdicts == {"skip": "excluded", "keep": "ok", "dat": "excluded", "byurl": "excluded"}
    assert data["summary"]["excluded"] == 3
    skip = next(r for r in data["results"] if r["key"] == "skip")
    assert skip["message"] == r"not checked: matches the exclude pattern intranet\.example"
    plain = cli(*args).stdout
    assert (
        f"{bib}:1: info: [excluded] skip: url https://intranet.example/wiki: not checked" in plain
    )
    assert "::notice file=" in cli(*args, "--format", "github").stdout
    sarif = json.loads(cli(*args, "--format", "sarif").stdout)["runs"][0]
    assert {(r["ruleId"], r["level"]) for r in sarif["results"]} == {("excluded", "note")}
    assert "excluded" in {r["id"] for r in sarif["tool"]["driver"]["rules"]}
    junit = ET.fromstring(cli(*args, "--format", "junit").stdout)
    assert junit.get("failures") == "0"
    assert "skip [excluded]" in {tc.get("name") for tc in junit.iter("testcase")}
    assert "| `excluded` |" in cli(*args, "--format", "markdown").stdout
    assert "excluded" in cli(*args, "--format", "table").stdout


def test_excluded_urls_are_never_requested(cli, tmp_path, httpserver):
    httpserver.expect_request("/keep").respond_with_data("", 200)
    httpserver.expect_request("/skip").respond_with_data("", 404)
    bib = tmp_path / "x.bib"
    bib.write_text(
        f"@misc{{a, title={{A}}, url={{{httpserver.url_for('/keep')}}}}}\n"
        f"@misc{{b, title={{B}}, url={{{httpserver.url_for('/skip')}}}}}\n"
    )
    (tmp_path / "refbook.toml").write_text("[check]\nexclude = ['/skip$']\n")
    out = cli("check", "--allow-private", "--no-cache", "--json", "--bib", str(bib), cwd=tmp_path)
    assert out.exit_code == 0
    assert [r["verdict"] for r in json.loads(out.stdout)["results"]] == ["ok", "excluded"]
    assert [req.path for req, _ in httpserver.log] == ["/keep"]


def test_a_bad_exclude_pattern_is_a_one_line_error(cli, tmp_path):
    bib = tmp_path / "x.bib"
    bib.write_text(EXCLUDING)
    out = cli("check", "--offline", "--exclude", "(", "--bib", str(bib))
    assert out.exit_code == 2
    assert "--exclude: not a regular expression: '('" in out.stderr
    (tmp_path / "refbook.toml").write_text("[check]\nexclude = ['[a-']\n")
    out = cli("check", "--offline", "--bib", str(bib), cwd=tmp_path)
    assert out.exit_code == 4 and len(out.stderr.strip().splitlines()) == 1
    assert (
        f"{tmp_path / 'refbook.toml'}: error: setting 'check.exclude': not a regular "
        "expression: '[a-'" in out.stderr
    )


def test_check_defaults_and_help_come_from_the_settings():
    from click.testing import CliRunner

    from refbook.commands.check import command
    from refbook.config import SETTINGS

    assert Options().concurrency == SETTINGS["check.concurrency"].default
    assert Options().timeout == SETTINGS["check.timeout"].default
    assert Options().doi_resolver == SETTINGS["check.doi_resolver"].default
    text = CliRunner().invoke(command, ["--help"]).output
    assert f"Requests at once ({SETTINGS['check.concurrency'].default})" in text
    assert f"({SETTINGS['check.max_age'].default})" in text


def test_check_never_imports_requests(httpserver, tmp_path):
    """check makes its link requests through the transport's lean engine (links.wire):
    requests (and the ~50 ms it costs to import) is for `add`'s one-off fetches only, and
    urllib3 (~70 ms) for DOI lookups and what the lean engine hands over."""
    import subprocess
    import sys

    httpserver.expect_request("/ok").respond_with_data("", 200)
    bib = tmp_path / "one.bib"
    bib.write_text(f"@misc{{a, title={{A}}, url={{{httpserver.url_for('/ok')}}}}}\n")
    script = (
        "import sys\nfrom refbook.cli import run\n"
        f"code = run(['check', '--allow-private', '--no-cache', '--bib', {str(bib)!r}])\n"
        "print(code, 'requests' in sys.modules, 'urllib3' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "REFBOOK_CACHE_DIR": str(tmp_path)},
    )
    assert out.stdout.split()[-3:] == ["0", "False", "False"], out.stderr
    assert len(httpserver.log) == 1


def test_json_has_one_result_per_line_with_exact_values(cli, tmp_path):
    """check's JSON is written record by record with the C encoder (thousands of results):
    still one JSON document, values exact, DEL and C1 controls escaped."""
    bib = tmp_path / "c1.bib"
    bib.write_text("@misc{a, title={A}, url={https://example.org/a\x85b}}\n@misc{b, title={B}}\n")
    out = cli("check", "--offline", "--json", "--bib", str(bib))
    assert "\x85" not in out.stdout and "\\u0085" in out.stdout
    data = json.loads(out.stdout)
    assert data["results"][0]["value"] == "https://example.org/a\x85b"
    (line,) = [x for x in out.stdout.splitlines() if '"key": "a", "kind"' in x]
    assert json.loads(line.strip().rstrip(","))["verdict"] == "error"


@pytest.mark.parametrize("option", ["--max-age", "--updates-max-age"])
def test_a_cache_age_with_no_cache_is_a_usage_error(cli, tmp_path, option):
    """An age for the results cache means nothing when the cache is off: refused in one
    line (exit 2) rather than silently ignored, as --offline refuses it."""
    bib = tmp_path / "x.bib"
    bib.write_text("@misc{a, title={A}, url={http://127.0.0.1:9/a}}\n")
    out = cli("check", "--no-cache", option, "1d", "--bib", str(bib))
    assert out.exit_code == 2
    assert f"--no-cache and {option} cannot be used together" in out.stderr
    assert out.stdout == ""


BACKSLASH_AT_LINE_END = r"""@article{a,
  title = "{Update: \MF\ settings for \TeX\
           output devices}",
  url = "http://x.org/a",
}

@article{b,
  title = {A},
  url = "http://x.org/b",
}
"""


@pytest.mark.parametrize("library_cache", [True, False])
def test_field_lines_are_right_after_a_line_ending_in_a_backslash(cli, tmp_path, library_cache):
    """check reads entries through the library cache (or, with ``refbook --no-cache``,
    parses the file): both give each URL the line it is written on, also below a value
    whose line ends in a backslash, where bibtexparser's own field lines are one short."""
    bib = tmp_path / "x.bib"
    bib.write_text(BACKSLASH_AT_LINE_END)
    first = [] if library_cache else ["--no-cache"]
    assert cli(*first, "--bib", str(bib), "list", "--json").exit_code == 0  # builds it
    for _ in range(2):
        out = cli(*first, "--bib", str(bib), "check", "--offline", "--json")
        assert out.exit_code == 0
        lines = {r["key"]: r["line"] for r in json.loads(out.stdout)["results"]}
        assert lines == {"a": 4, "b": 9}


def test_a_warm_check_imports_no_parser(tmp_path):
    """check reads its targets through the library cache when there is one (another
    command built it; check does not build it from nothing): neither bibtexparser nor
    pylatexenc is imported (they were most of check's start-up), the results the same."""
    import subprocess
    import sys

    env = {**os.environ, "REFBOOK_CACHE_DIR": str(tmp_path / "cache")}
    code = (
        "import atexit, sys\n"
        "atexit.register(lambda: sys.stderr.write('HEAVY=' + ','.join(sorted(m for m in "
        "sys.modules if m.split('.')[0] in ('bibtexparser', 'pylatexenc'))) + '\\n'))\n"
        "from refbook.cli import run\n"
        "run(sys.argv[1:])\n"
    )
    argv = [sys.executable, "-c", code, "--bib", str(REPO / "references.bib")]
    parsed = subprocess.run(
        [*argv, "check", "--offline", "--json"], env=env, capture_output=True, text=True
    )
    assert "HEAVY=\n" not in parsed.stderr  # no cache yet: the file is read, none built
    subprocess.run([*argv, "list"], env=env, capture_output=True, check=True)  # builds it
    # the first check fills the lint records it reads (fields' lines): the file is parsed
    subprocess.run([*argv, "check", "--offline"], env=env, capture_output=True, check=False)
    warm = subprocess.run(
        [*argv, "check", "--offline", "--json"], env=env, capture_output=True, text=True
    )
    assert "HEAVY=\n" in warm.stderr, warm.stderr
    assert json.loads(warm.stdout)["results"] == json.loads(parsed.stdout)["results"]


def test_run_takes_targets_while_they_are_read(httpserver):
    """Checker.run starts on an iterator's first targets (check reads the file while the
    first requests are out); the results come back in the targets' order, and an error
    while reading them is raised, not lost."""
    for i in range(6):
        httpserver.expect_request(f"/{i}").respond_with_data("", 404 if i % 2 else 200)
    targets = [Target(f"k{i}", "url", httpserver.url_for(f"/{i}"), i + 1) for i in range(6)]
    checker = Checker(Options(allow_private=True, retries=0, concurrency=4))
    results = checker.run(iter(targets), most=12)
    assert [(r.target.key, r.verdict.value) for r in results] == [
        (f"k{i}", "broken" if i % 2 else "ok") for i in range(6)
    ]

    def failing() -> Iterator[Target]:
        yield from targets[:2]
        raise RuntimeError("the file changed while it was read")

    with pytest.raises(RuntimeError, match="changed while"):
        Checker(Options(allow_private=True, retries=0, concurrency=4)).run(failing())
