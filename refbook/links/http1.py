"""HTTP/1.1 as text for ``check``'s lean engine (``links.wire``): which URLs it sends as
they are (those urllib3 would not rewrite), and an answer's head read strictly (anything
that is not plain HTTP/1.x raises ``Unhandled``: urllib3 reads that one)."""

from __future__ import annotations

import re
from typing import Any

PORTS = {"http": 80, "https": 443}
# what urllib3 sends as it is (anything else it percent-encodes: such URLs go to it)
_CHAR = r"(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/]|%[0-9A-F]{2})"
_TARGET = re.compile(rf"/{_CHAR}*(?:\?(?:{_CHAR}|\?)*)?")
_LABEL = r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?"
_HOST = re.compile(rf"{_LABEL}(?:\.{_LABEL})*")
_TOKEN = re.compile(rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")


class Unhandled(Exception):
    """An answer this engine does not read: the request is made again by urllib3."""


class Headers(dict[str, str]):
    """An answer's headers by lower-cased name (repeated ones joined by ", ")."""

    def get(self, name: str, default: Any = None) -> Any:
        return super().get(name.lower(), default)

    def __getitem__(self, name: str) -> str:
        return super().__getitem__(name.lower())

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and super().__contains__(name.lower())


def parse_head(head: bytes) -> tuple[int, Headers, bool]:
    """Status, headers and whether the connection may stay open, from an answer's head
    (without its blank line).  Raises ``Unhandled`` for what is not plain HTTP/1.x."""
    lines = head.split(b"\r\n")
    version, _, rest = lines[0].partition(b" ")
    code = rest[:3]
    if version not in (b"HTTP/1.1", b"HTTP/1.0") or not code.isdigit() or rest[3:4] not in b" ":
        raise Unhandled(lines[0][:40])
    if len(lines) > 101:  # http.client refuses more than 100 headers
        raise Unhandled("too many headers")
    headers = Headers()
    for line in lines[1:]:
        name, colon, value = line.partition(b":")
        if not colon or not _TOKEN.fullmatch(name):
            raise Unhandled(line[:40])  # folded, or not a header
        key = name.decode("ascii").lower()
        text = value.strip(b" \t").decode("latin-1")
        known = dict.get(headers, key)
        headers[key] = text if known is None else f"{known}, {text}"
    keep = version == b"HTTP/1.1" and "close" not in headers.get("Connection", "").lower()
    return int(code), headers, keep


def plain_url(url: str) -> tuple[str, str, int, str] | None:
    """(scheme, host, port, request target) of a URL this engine sends as urllib3 would,
    or None (urllib3 rewrites it, or it is not an http(s) URL)."""
    scheme, sep, rest = url.partition("://")
    scheme = scheme.lower()
    if not sep or scheme not in PORTS:
        return None
    cut = min((i for i in (rest.find(c) for c in "/?#") if i >= 0), default=len(rest))
    netloc, tail = rest[:cut], rest[cut:].partition("#")[0]
    host, colon, port_text = netloc.partition(":")
    host = host.lower()
    if "@" in netloc or not _HOST.fullmatch(host) or (port_text and not port_text.isdigit()):
        return None
    port = int(port_text) if port_text else PORTS[scheme]
    target = tail if tail.startswith("/") else "/" + tail
    if not 0 < port < 65536 or not _TARGET.fullmatch(target):
        return None
    if any(part in (".", "..") for part in target.partition("?")[0].split("/")):
        return None  # urllib3 removes dot segments
    return scheme, host, port, target
