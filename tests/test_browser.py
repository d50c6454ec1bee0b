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

import pytest

from .conftest import REPO

BROWSER = next((shutil.which(b) for b in ("chromium", "chromium-browser", "google-chrome")
                if shutil.which(b)), None)

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


@pytest.fixture
def page(cli, tmp_path):
    out = cli("export", "--to", "html", "--standalone", "-o", str(tmp_path / "refs.html"),
              cwd=REPO)
    assert out.exit_code == 0
    proc = subprocess.Popen(
        [BROWSER, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--no-first-run", f"--user-data-dir={tmp_path / 'profile'}",
         "--remote-debugging-port=0", f"file://{tmp_path / 'refs.html'}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
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
            if targets and targets[0]["url"].endswith("refs.html"):
                break
            time.sleep(0.2)
        tools = DevTools(targets[0]["webSocketDebuggerUrl"])
        # the target may still show about:blank for a moment: wait for our document
        while time.time() < deadline and not tools.eval(
                "location.href.endsWith('refs.html') && document.readyState === 'complete' "
                "&& document.querySelectorAll('#entries > li').length > 0"):
            time.sleep(0.1)
        yield tools
    finally:
        proc.kill()
        proc.wait()


def visible(tools: DevTools) -> list[str]:
    return tools.eval("Array.from(document.querySelectorAll('#entries > li'))"
                      ".filter(li => !li.hidden).map(li => li.id)")


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
    page.eval("const g = document.getElementById('filter'); g.value = ''; "
              "g.dispatchEvent(new Event('input'))")
    assert len(visible(page)) == 27


def test_doi_and_url_links_are_real_links(page):
    hrefs = page.eval("Array.from(document.querySelectorAll('#wani2022geopolitical a'))"
                      ".map(a => a.href)")
    assert "https://doi.org/10.1177/09749284221127807" in hrefs
