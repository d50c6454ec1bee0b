"""The standalone HTML bibliography in a real browser: headless Chromium (Debian package),
driven through the DevTools protocol: load the page, type in the search box, read what is
shown.  Skips only where no Chromium is installed (.ci/run installs it)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from .conftest import REPO
from .hostile import KEYS, browser_scheme, write_hostile_bib

BROWSER = next(
    (shutil.which(b) for b in ("chromium", "chromium-browser", "google-chrome") if shutil.which(b)),
    None,
)

pytestmark = pytest.mark.skipif(BROWSER is None, reason="no Chromium installed")


class DevTools:
    def __init__(self, ws_url: str):
        import websocket

        # no Origin header: Chromium 111+ refuses DevTools connections from unlisted origins
        self.ws = websocket.create_connection(ws_url, timeout=20, suppress_origin=True)
        self.next_id = 0

    def call(self, method: str, **params):
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get("id") == self.next_id:
                if "error" in msg:
                    raise RuntimeError(msg["error"])
                return msg.get("result", {})

    def eval(self, expression: str):
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        return result["result"].get("value")


def open_in_chromium(html_file: Path, profile: Path):
    """Headless Chromium showing ``html_file``; yields the DevTools connection once the
    page has loaded."""
    proc = subprocess.Popen(
        [
            BROWSER,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            f"--user-data-dir={profile}",
            "--remote-debugging-port=0",
            f"file://{html_file}",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        port = None
        deadline = time.time() + 30
        while time.time() < deadline and port is None:
            line = proc.stderr.readline()
            m = re.search(r"DevTools listening on ws://127\.0\.0\.1:(\d+)/", line)
            if m:
                port = int(m.group(1))
        assert port, "Chromium did not start its DevTools server"
        targets = []
        while time.time() < deadline:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=5) as r:
                targets = [t for t in json.load(r) if t.get("type") == "page"]
            if targets and targets[0]["url"].endswith(html_file.name):
                break
            time.sleep(0.2)
        tools = DevTools(targets[0]["webSocketDebuggerUrl"])
        # the target may still show about:blank for a moment: wait for our document
        while time.time() < deadline and not tools.eval(
            f"location.href.endsWith({json.dumps(html_file.name)}) "
            "&& document.readyState === 'complete' "
            "&& document.querySelectorAll('#entries > li').length > 0"
        ):
            time.sleep(0.1)
        yield tools
    finally:
        proc.kill()
        proc.wait()


@pytest.fixture
def page(cli, tmp_path):
    out = cli("export", "--to", "html", "--standalone", "-o", str(tmp_path / "refs.html"), cwd=REPO)
    assert out.exit_code == 0
    yield from open_in_chromium(tmp_path / "refs.html", tmp_path / "profile")


@pytest.fixture
def hostile_page(cli, tmp_path):
    bib = write_hostile_bib(tmp_path)
    out = cli(
        "export",
        "--to",
        "html",
        "--standalone",
        "--annotated",
        "--bib",
        str(bib),
        "-o",
        str(tmp_path / "hostile.html"),
    )
    assert out.exit_code == 0, out.stderr
    yield from open_in_chromium(tmp_path / "hostile.html", tmp_path / "profile")


def visible(tools: DevTools) -> list[str]:
    return tools.eval(
        "Array.from(document.querySelectorAll('#entries > li'))"
        ".filter(li => !li.hidden).map(li => li.id)"
    )


def test_typing_in_the_search_box_filters_the_entries(page):
    assert len(visible(page)) == 27
    assert page.eval("document.getElementById('count').textContent") == "27 entries"
    page.eval("document.getElementById('filter').focus()")
    page.call("Input.insertText", text="cpec")
    assert visible(page) == ["kaleem2023understanding", "kuo2023china"]
    assert page.eval("document.getElementById('count').textContent") == "2 entries"
    # accents and case do not matter; words are ANDed; annotations are searched too
    page.eval("const f = document.getElementById('filter'); f.value = ''; f.focus()")
    page.call("Input.insertText", text="KHYBER Pakhtunkhwa")
    assert visible(page) == ["kuo2023china"]
    page.eval(
        "const g = document.getElementById('filter'); g.value = ''; "
        "g.dispatchEvent(new Event('input'))"
    )
    assert len(visible(page)) == 27


def test_doi_and_url_links_are_real_links(page):
    hrefs = page.eval(
        "Array.from(document.querySelectorAll('#wani2022geopolitical a')).map(a => a.href)"
    )
    assert "https://doi.org/10.1177/09749284221127807" in hrefs


def test_no_injected_script_runs_and_the_search_still_works(hostile_page):
    """A page built from hostile values: script tags, event handlers and javascript:/data:/
    vbscript: URLs in the data run nothing; the page's own search script does run."""
    page = hostile_page
    assert page.eval("window.pwned") is None  # no <script>, onerror=, … from the data ran
    assert sorted(visible(page)) == sorted(KEYS)
    hrefs = page.eval("Array.from(document.querySelectorAll('a')).map(a => a.getAttribute('href'))")
    assert hrefs and all(browser_scheme(h) in ("http", "https", "mailto") for h in hrefs), hrefs
    # following every link that is not a web link would run a javascript: URL: there is none,
    # and the text of the unsafe URLs is still on the page
    text = page.eval("document.body.innerText")
    assert "javascript:window.pwned=3" in text and "vbscript:msgbox(8)" in text
    assert "Note <script>window.pwned = 5</script> & more" in text  # escaped once: shown as written
    assert page.eval("document.querySelectorAll('script').length") == 1
    # defence in depth: the Content-Security-Policy refuses a script added to the page
    page.eval(
        "var s = document.createElement('script'); s.textContent = 'window.pwned = 11';"
        "document.body.appendChild(s); var i = document.createElement('img');"
        "i.setAttribute('onerror', 'window.pwned = 12'); i.src = 'x:'; "
        "document.body.appendChild(i); 0"
    )
    time.sleep(0.3)
    assert page.eval("window.pwned") is None
    # … while the page's own search script runs: typing filters the list
    page.eval("document.getElementById('filter').focus()")
    page.call("Input.insertText", text="cleared")
    assert visible(page) == ["term2022"]
    assert page.eval("document.getElementById('count').textContent") == "1 entry"
    assert page.eval("window.pwned") is None


def test_hostile_title_is_shown_as_written(hostile_page):
    text = hostile_page.eval("document.getElementById('html2020').innerText")
    assert "Hello <script>window.pwned = 1</script> world &" in text
