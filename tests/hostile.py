"""A hostile bibliography (issue 19): what a .bib from a pull request, a co-author or a
download may hold.  Written by code so that every control byte is visible in review.

Script payloads set ``window.pwned`` (the browser test reads it) rather than calling
``alert``, which would block a headless page."""

from __future__ import annotations

import re
from pathlib import Path

ESC = "\x1b"
OSC_TITLE = "\x1b]0;pwned\x07"  # renames the terminal window
CLEAR = "\x1b[2J"  # clears the screen
OSC_LINK = "\x1b]8;;http://evil.example/\x07click\x1b]8;;\x07"  # a terminal hyperlink
C1_CSI = "\x9b"  # the 8-bit CSI some terminals obey in UTF-8 too
SCRIPT_TITLE = (
    'Hello <script>window.pwned = 1</script> world & <img src=x onerror="window.pwned = 2">'
)
ANNOTATION = "Note <script>window.pwned = 5</script> & more"
UNSAFE_URLS = {
    "js2021": "javascript:window.pwned=3",
    "case2021": " JaVaScRiPt:window.pwned=6",
    "data2021": "data:text/html,<script>window.pwned=7</script>",
    "vb2021": "vbscript:msgbox(8)",
    "tab2021": "java\tscript:window.pwned=9",
}
TERMINAL_TITLE = f"Title {OSC_TITLE} and {CLEAR} cleared {ESC}[31mred{ESC}[0m"
CONTROL_JOURNAL = (
    f"Bell\x07 back\x08space vt\x0b ff\x0c del\x7f csi{C1_CSI}[2J nel\x85 so\x0e cr\rx"
)
EVIL_KEY = f"evil{CLEAR}key2024"
# "Trojan Source": bidirectional overrides and isolates (U+202A-202E, U+2066-2069) make a
# terminal show text in another order than it is stored
RLO, LRI, PDI, PDF = "\u202e", "\u2066", "\u2069", "\u202c"
BIDI_TITLE = f"Access {RLO}level{PDF} check {LRI}admin{PDI} done"
BIDI_CHARACTERS = "".join(map(chr, [*range(0x202A, 0x202F), *range(0x2066, 0x206A)]))
LONG_TITLE = "Long " + "word " * 20000 + "end"

_ENTRIES = [
    (
        "article",
        "html2020",
        {
            "author": "Tag, <b>Bold</b> and O'Brien, Mary",
            "title": SCRIPT_TITLE,
            "journal": 'Journal "quoted" <i>x</i>',
            "year": "2020",
            "url": "javascript:window.pwned=4",
            "doi": '10.1234/abc"><script>window.pwned=10</script>',
            "annotation": ANNOTATION,
            "keywords": 'a"b, <c>',
        },
    ),
    *[
        (
            "misc",
            key,
            {
                "author": f"Scheme, {key[:-4].title()}",
                "title": f"Scheme {key}",
                "year": "2021",
                "url": url,
            },
        )
        for key, url in UNSAFE_URLS.items()
    ],
    (
        "article",
        "term2022",
        {
            "author": f"Ev{ESC}il, Mallory",
            "title": TERMINAL_TITLE,
            "journal": CONTROL_JOURNAL,
            "year": "2022",
            "annotation": f"ann {OSC_LINK} end",
            "url": f"https://example.org/ok?a=1&b=2{CLEAR}",
            "doi": f"10.1234/{ESC}[2J",
            "keywords": f"pwn{ESC}ed",
        },
    ),
    (
        "misc",
        EVIL_KEY,
        {
            "author": "Key, Evil",
            "title": "An entry whose key holds an escape sequence",
            "year": "2024",
        },
    ),
    (
        "misc",
        "dup2024",
        {  # the same work again: dedupe and lint name the key above
            "author": "Key, Evil",
            "title": "An entry whose key holds an escape sequence",
            "year": "2024",
        },
    ),
    (
        "book",
        "markup2023",
        {
            "author": "Markup, Rich",
            "title": "[bold red]rich markup[/] [link=http://evil.example]click[/link] :smile:",
            "publisher": "[/] unbalanced [i]",
            "year": "2023",
        },
    ),
    (
        "misc",
        "bidi2025",
        {
            "author": f"Trojan, {RLO}Source",
            "title": BIDI_TITLE,
            "note": f"every one: {BIDI_CHARACTERS}",
            "year": "2025",
        },
    ),
    (
        "book",
        "long2023",
        {
            "author": "Long, Line",
            "title": LONG_TITLE,
            "year": "2023",
        },
    ),
]


def hostile_text() -> str:
    out = []
    for etype, key, fields in _ENTRIES:
        body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields.items())
        out.append(f"@{etype}{{{key},\n{body},\n}}\n")
    return "\n".join(out)


def write_hostile_bib(directory: Path, name: str = "hostile.bib") -> Path:
    path = directory / name
    path.write_bytes(hostile_text().encode("utf-8"))
    return path


KEYS = [key for _, key, _ in _ENTRIES]

# What must never reach a terminal raw: C0 controls but tab and newline (CR too: these
# outputs are LF-only), DEL, C1 controls, bidirectional overrides and isolates
RAW_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
# on a terminal rich draws with SGR sequences (colours, bold) and nothing else
NOT_SGR = re.compile(
    rb"\x1b(?!\[[0-9;]*m)|[\x00-\x08\x0b\x0c\x0e-\x1a\x1c-\x1f\x7f]|\xc2[\x80-\x9f]"
    rb"|\xe2\x80[\xaa-\xae]|\xe2\x81[\xa6-\xa9]"
)


def raw_controls(text: str) -> list[str]:
    """The raw control characters in ``text`` (empty when it is safe for a terminal)."""
    return RAW_CONTROL.findall(text)


def browser_scheme(href: str) -> str | None:
    """The scheme a browser reads in ``href`` (WHATWG: leading/trailing C0 and space
    dropped, tab and newline ignored), lower case; None for a relative URL."""
    cleaned = re.sub("[\t\n\r]", "", href.strip("".join(map(chr, range(0x21)))))
    m = re.match(r"([A-Za-z][A-Za-z0-9+.\-]*):", cleaned)
    return m.group(1).lower() if m else None
