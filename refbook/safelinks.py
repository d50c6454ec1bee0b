"""Which values from a bibliography may become links in HTML and Markdown output.

A .bib from someone else is untrusted input: ``url = {javascript:alert(1)}`` must not
become a link that runs the bibliography author's script in the reader's browser.  One
rule, used by every HTML and Markdown output (``export --to html|markdown``, the
standalone page, ``render``; the language server's hover Markdown is meant to use it too):
only ``http``, ``https`` and ``mailto`` URLs become links, and DOIs become links through
their resolver URL (``doi_url``); anything else is shown as text.

The scheme is read the way browsers read it (WHATWG URL standard): leading and trailing
control characters and spaces are dropped and tabs and newlines inside are ignored, so
``" JaVaScRiPt:…"`` and ``"java<TAB>script:…"`` are ``javascript:`` URLs, and refused.
"""

from __future__ import annotations

import html
import re
from typing import Any
from urllib.parse import quote, urlsplit

LINK_SCHEMES = ("http", "https", "mailto")
DOI_RESOLVER = "https://doi.org/"

_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:")
_TAB_OR_NEWLINE = re.compile(r"[\t\n\r]")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def safe_url(url: str, *, relative: bool = False) -> str | None:
    """The URL to link to, or ``None`` when ``url`` must be shown as text only.

    Links are made for ``http``/``https`` URLs with a host name and for ``mailto:``
    addresses.  With ``relative``, URLs without a scheme (``#ref-key``, ``fig.png``,
    ``../notes.html``) are links too: a document's own links, which cannot name a scheme
    of their own."""
    cleaned = _TAB_OR_NEWLINE.sub("", url.strip("".join(map(chr, range(0x21)))))
    if not cleaned or _CONTROL.search(cleaned):
        return None
    m = _SCHEME.match(cleaned)
    if m is None:
        return cleaned if relative else None
    scheme = m.group(0)[:-1].lower()
    if scheme not in LINK_SCHEMES:
        return None
    if scheme == "mailto":
        return cleaned if len(cleaned) > len("mailto:") else None
    try:
        parts = urlsplit(cleaned)
        parts.port  # noqa: B018 - raises ValueError on a port that is not a number
    except ValueError:
        return None
    if not cleaned[m.end() :].startswith("//") or not parts.hostname:
        return None
    return cleaned


def doi_url(doi: str) -> str:
    """The resolver URL of a DOI, its special characters percent-encoded (DOI Handbook
    2.5.2.4), so that no DOI can end the URL or the attribute it is written in."""
    return DOI_RESOLVER + quote(doi.strip(), safe="/:;()!$'*+,=@~-._")


def html_link(text: str, url: str, *, relative: bool = False) -> str:
    """``<a href="…">text</a>`` when ``url`` is safe to link to, else the escaped text.
    ``text`` is plain text: it is escaped here, once."""
    target = safe_url(url, relative=relative)
    if target is None:
        return html.escape(text, quote=False)
    return f'<a href="{html.escape(target)}">{html.escape(text, quote=False)}</a>'


_ANCHOR = re.compile(r'<a\s+href="(?P<href>[^"]*)"(?P<rest>[^>]*)>(?P<text>.*?)</a>', re.S)


def safe_html_links(fragment: str, *, relative: bool = False) -> str:
    """Every ``<a href>`` of an HTML ``fragment`` written by pandoc whose target is not
    safe to link to (``safe_url``) replaced by its text.  (pandoc links the URL field
    of a reference; a URL without ``http://`` or ``https://`` gets ``https://`` put in
    front, ``https://javascript:alert(1)``, which is not a URL with a host either.)"""

    def one(m: re.Match[str]) -> str:
        target = safe_url(html.unescape(m.group("href")), relative=relative)
        if target is None:
            return m.group("text")
        return f'<a href="{html.escape(target)}"{m.group("rest")}>{m.group("text")}</a>'

    return _ANCHOR.sub(one, fragment)


def safe_ast_links(node: Any, *, relative: bool = True) -> Any:
    """A pandoc JSON AST (as parsed by ``json.loads``) with every ``Link`` whose target is
    not safe (``safe_url``) replaced by its text (a ``Span`` when the link had attributes).
    ``relative`` keeps a document's own links (``#ref-key`` citations, ``fig.png``)."""
    if isinstance(node, list):
        out: list[Any] = []
        for item in node:
            if (
                isinstance(item, dict)
                and item.get("t") == "Link"
                and safe_url(item["c"][2][0], relative=relative) is None
            ):
                attr, inlines = item["c"][0], safe_ast_links(item["c"][1], relative=relative)
                if attr[0] or attr[1] or attr[2]:
                    out.append({"t": "Span", "c": [attr, inlines]})
                else:
                    out.extend(inlines)
            else:
                out.append(safe_ast_links(item, relative=relative))
        return out
    if isinstance(node, dict):
        return {k: safe_ast_links(v, relative=relative) for k, v in node.items()}
    return node


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#+\-.!|~&$])")


def markdown_text(text: str) -> str:
    """Plain text as CommonMark (and pandoc Markdown) text: every character that could
    start markup (emphasis, links, autolinks ``<…>``, HTML, entities, math) escaped."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def markdown_link(text: str, url: str, *, relative: bool = False) -> str:
    """``[text](<url>)`` when ``url`` is safe to link to (``safe_url``), else the text
    alone; ``text`` is plain text and is escaped."""
    target = safe_url(url, relative=relative)
    if target is None:
        return markdown_text(text)
    target = re.sub(r"%(?![0-9A-Fa-f]{2})", "%25", target)  # a lone % is not an escape
    for char, code in ((" ", "%20"), ("<", "%3C"), (">", "%3E"), ("\\", "%5C")):
        target = target.replace(char, code)
    return f"[{markdown_text(text)}](<{target}>)"
