"""One HTTP transport: `add --doi` and `add --url` go through the transport `check` uses
(refbook.links.session over refbook.links.transport): the private-address guard, also on
redirects and through a proxy, the deadline, the User-Agent, no ~/.netrc, credentials
never printed.  Servers on 127.0.0.1 started here; never the internet."""

from __future__ import annotations

import json
import threading

import pytest
from werkzeug import Response

import refbook
from refbook.links import session as web
from refbook.links import transport
from refbook.links.transport import TransportError

from .servers import KeepAliveServer, nobody_knocks

CSL = {
    "type": "article-journal",
    "title": "Border Trade in TTP Areas",
    "author": [{"family": "Khan", "given": "R."}],
    "issued": {"date-parts": [[2021]]},
    "container-title": "Journal of Border Studies",
    "DOI": "10.5555/border.2021",
}
PAGE = (
    '<html><head><meta name="citation_title" content="Pakistan Seeks US Help">'
    '<meta name="citation_author" content="Dawi, Akmal"></head></html>'
)


@pytest.fixture
def site(httpserver):
    """A DOI resolver (content negotiation, through a redirect as doi.org does) and a web
    page, on 127.0.0.1."""
    httpserver.expect_request("/10.5555/border.2021").respond_with_data(
        "", 302, headers={"Location": "/works/10.5555/border.2021/transform"}
    )
    httpserver.expect_request("/works/10.5555/border.2021/transform").respond_with_data(
        json.dumps(CSL), content_type="application/vnd.citationstyles.csl+json"
    )
    httpserver.expect_request("/page").respond_with_data(PAGE, content_type="text/html")
    return httpserver


def at(server, path: str) -> str:
    """``server``'s URL for ``path`` by address (``url_for`` names localhost)."""
    return f"http://127.0.0.1:{server.port}{path}"


@pytest.fixture
def bib(tmp_path):
    path = tmp_path / "refs.bib"
    path.write_text("% my bibliography\n")
    return path


def test_add_url_to_a_private_address_is_refused_without_allow_private(cli, site, bib):
    """Before: `add --url` fetched with requests directly, outside the guard."""
    before = bib.read_bytes()
    out = cli("add", "--url", at(site, "/page"), "--bib", str(bib))
    assert out.exit_code == 6
    assert out.stderr.strip().splitlines() == [
        "refbook: error: cannot fetch "
        + at(site, "/page")
        + ": 127.0.0.1 is a private address; refused without --allow-private"
    ]
    assert site.log == []  # nothing was sent
    assert bib.read_bytes() == before
    out = cli("add", "--url", at(site, "/page"), "--allow-private", "--bib", str(bib))
    assert out.exit_code == 0, out.stderr
    assert refbook.load(bib)[out.stdout.strip()].title == "Pakistan Seeks US Help"


def test_add_doi_with_a_private_resolver_is_refused_unless_allowed(cli, site, bib, tmp_path):
    env = {"REFBOOK_DOI_RESOLVER": at(site, "")}
    out = cli("add", "--doi", "10.5555/border.2021", "--bib", str(bib), env=env)
    assert out.exit_code == 6 and "127.0.0.1 is a private address" in out.stderr
    assert site.log == []
    # the setting allows it too; the resolver's redirect is followed with the same Accept
    (tmp_path / "refbook.toml").write_text("[add]\nallow_private = true\n")
    out = cli("add", "--doi", "10.5555/border.2021", "--bib", str(bib), env=env)
    assert out.exit_code == 0, out.stderr
    assert refbook.load(bib)[out.stdout.strip()].container == "Journal of Border Studies"
    assert [r.headers["Accept"] for r, _ in site.log] == [
        "application/vnd.citationstyles.csl+json"
    ] * 2


def test_add_url_redirected_to_a_private_address_is_refused(cli, httpserver, bib, monkeypatch):
    """No public address exists in a test: 127.0.0.1 counts as public here, 127.0.0.2 is
    the private address the redirect points at, and it gets not even a TCP handshake."""
    real = transport._private_ip
    monkeypatch.setattr(transport, "_private_ip", lambda ip: ip != "127.0.0.1" and real(ip))
    with nobody_knocks("127.0.0.2") as port:
        httpserver.expect_request("/moved").respond_with_data(
            "", 301, headers={"Location": f"http://127.0.0.2:{port}/admin"}
        )
        out = cli("add", "--url", at(httpserver, "/moved"), "--bib", str(bib))
        assert out.exit_code == 6
        assert "127.0.0.2 is a private address; refused without --allow-private" in out.stderr


def test_through_a_proxy_a_private_name_is_refused_before_the_proxy_sees_it(
    cli, httpserver, bib, proxy_to_intranet
):
    httpserver.expect_request("/wiki").respond_with_data(PAGE, content_type="text/html")
    out = cli("add", "--url", "http://intranet.example/wiki", "--bib", str(bib))
    assert out.exit_code == 6
    assert "intranet.example resolves to a private address (127.0.0.1)" in out.stderr
    assert httpserver.log == []
    out = cli("add", "--url", "http://intranet.example/wiki", "--allow-private", "--bib", str(bib))
    assert out.exit_code == 0, out.stderr
    assert len(httpserver.log) == 1  # it went to the proxy


def test_a_fetch_is_cut_off_at_its_deadline(raw_server):
    """The timeout bounds the whole answer: a server that trickles a header byte every
    0.1 s never trips a read timeout, only the deadline."""
    port, mode = raw_server
    mode["kind"] = "trickle"
    failure: list[BaseException] = []

    def fetch() -> None:
        try:
            web.fetch(f"http://127.0.0.1:{port}/slow", timeout=0.5, allow_private=True)
        except TransportError as exc:
            failure.append(exc)

    worker = threading.Thread(target=fetch, daemon=True)
    worker.start()
    worker.join(15)  # the trickle lasts 20 s: without a deadline the fetch is still running
    assert not worker.is_alive()
    assert [e.kind for e in failure] == ["timeout"]


def test_add_url_reports_the_deadline(cli, raw_server, bib, monkeypatch):
    from refbook import importers

    port, mode = raw_server
    mode["kind"] = "trickle"
    monkeypatch.setattr(importers, "FETCH_TIMEOUT", 0.5)
    out = cli("add", "--url", f"http://127.0.0.1:{port}/slow", "--allow-private", "--bib", str(bib))
    assert out.exit_code == 6
    assert f"cannot fetch http://127.0.0.1:{port}/slow: no answer within 0.5 s" in out.stderr


def test_fetches_are_polite_and_never_send_netrc_credentials(cli, site, bib, tmp_path, monkeypatch):
    netrc = tmp_path / "netrc"
    netrc.write_text("machine 127.0.0.1 login alice password s3cret\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    (tmp_path / "refbook.toml").write_text('[check]\nmailto = "me@example.org"\n')
    out = cli("add", "--url", at(site, "/page"), "--allow-private", "--bib", str(bib))
    assert out.exit_code == 0, out.stderr
    ((request, _),) = site.log
    assert request.headers["User-Agent"] == (
        f"refbook/{refbook.__version__} (+https://github.com/refbook/refbook; "
        "mailto:me@example.org)"
    )
    assert "Authorization" not in request.headers


def test_credentials_in_a_url_are_never_printed(cli, httpserver, bib):
    httpserver.expect_request("/gone").respond_with_data("", 404)
    url = at(httpserver, "/gone").replace("http://", "http://alice:s3cret@")
    out = cli("add", "--url", url, "--allow-private", "--bib", str(bib))
    assert out.exit_code == 6 and "answered 404" in out.stderr
    assert "s3cret" not in out.stderr and "***@127.0.0.1" in out.stderr


@pytest.mark.parametrize("url", ["ftp://example.org/x", "example.org/page", "http://[::1/"])
def test_add_url_that_is_not_an_http_url_is_a_usage_error(cli, bib, url):
    out = cli("add", "--url", url, "--bib", str(bib))
    assert out.exit_code == 2 and "not an http(s) URL" in out.stderr


def test_a_session_retries_a_kept_alive_connection_the_server_closed():
    """Two fetches on one session: the second goes out on the connection the server has
    just closed, and is sent again on a fresh one."""
    server = KeepAliveServer("close")
    try:
        session = web.open_session(allow_private=True)
        pages = [web.fetch(server.url(f"/p/{i}"), timeout=5, session=session) for i in range(3)]
        assert [p.status for p in pages] == [200, 200, 200]
        assert server.connections == 3  # each dead connection replaced once
    finally:
        server.close()


def test_a_fetch_follows_redirects_to_the_end_and_stops_at_a_loop(httpserver):
    httpserver.expect_request("/a").respond_with_data("", 302, headers={"Location": "/b"})
    httpserver.expect_request("/b").respond_with_data("", 307, headers={"Location": "/a"})
    with pytest.raises(TransportError, match="redirect loop"):
        web.fetch(httpserver.url_for("/a"), timeout=5, allow_private=True)
    httpserver.expect_request("/c").respond_with_response(Response("here", 200))
    httpserver.expect_request("/start").respond_with_data("", 301, headers={"Location": "/c"})
    page = web.fetch(httpserver.url_for("/start"), timeout=5, allow_private=True)
    assert (page.status, page.body, page.url) == (200, b"here", httpserver.url_for("/c"))


def test_nothing_outside_the_transport_talks_http():
    """The architecture's rule: every request goes through refbook/links/transport.py, so
    no module outside refbook/links imports requests or urllib3 (type hints aside)."""
    import ast
    from pathlib import Path

    root = Path(refbook.__file__).parent
    offenders = []
    for path in root.rglob("*.py"):
        if path.parent.name == "links":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        hints = {
            id(n)
            for node in ast.walk(tree)
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
            for n in ast.walk(node)
        }
        for node in ast.walk(tree):
            if id(node) in hints:
                continue
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            if any(n.split(".")[0] in ("requests", "urllib3") for n in names):
                offenders.append(f"{path.relative_to(root)}:{node.lineno}")
    assert offenders == []
