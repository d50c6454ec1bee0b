"""DOIs and URLs as text: their syntax, their normal form, their redaction.

One home for each of these facts: the model (``Entry.doi``), lint's ``doi-*`` and
``url-*`` rules, ``check``'s syntax verdicts and the importers all use these, so that a
DOI lint accepts is a DOI check accepts, with the same message.  Nothing here touches the
network.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

# a resolver URL or a "doi:" prefix before a DOI, as people paste them
DOI_PREFIX = re.compile(r"^\s*(?:https?://(?:dx\.)?doi\.org/|doi:\s*)", re.I)
# a bare DOI: the directory indicator 10, a registrant code of 4-9 digits, a suffix
DOI = re.compile(r"^10\.\d{4,9}/\S+$")
# a DOI somewhere in a text (a meta tag's value, a pasted line)
DOI_IN_TEXT = re.compile(r"10\.\d{4,9}/")
# punctuation a sentence or a BibTeX typo leaves at the end of a DOI
_DOI_TRAILING = re.compile(r"[.,;:}\]]$")
_URL_ODD = re.compile(r"\s|\\|[{}]")


def strip_doi_prefix(value: str) -> str:
    """``https://doi.org/10.1177/ABC`` -> ``10.1177/ABC``: the DOI as written, bare."""
    return DOI_PREFIX.sub("", value).strip()


def normalize_doi(value: str) -> str:
    """``https://doi.org/10.1177/ABC`` -> ``10.1177/abc`` (DOIs are case-insensitive)."""
    return strip_doi_prefix(value).lower()


def has_doi_prefix(value: str) -> bool:
    """Whether ``value`` starts with a resolver URL or ``doi:``."""
    return DOI_PREFIX.match(value) is not None


def bare_doi_error(bare: str, shown: str) -> str | None:
    """What is wrong with ``bare`` (a DOI without prefix), naming it as ``shown``."""
    if not DOI.match(bare):
        return f"not a DOI: {shown!r}"
    if _DOI_TRAILING.search(bare):
        return f"DOI ends with punctuation: {shown!r}"
    return None


def doi_syntax_error(value: str) -> str | None:
    """What is wrong with a ``doi`` field's value, or None: the field holds the bare DOI
    (``check`` reports a resolver prefix as an error; lint's ``doi-prefix`` fixes it)."""
    if value.lower().startswith(("http", "doi:")):
        return (
            f"doi field holds a resolver URL or prefix ({value}); "
            f"write the bare DOI {normalize_doi(value)}"
        )
    return bare_doi_error(value.strip(), value)


def url_form_error(value: str) -> str | None:
    """Not an http(s) URL with a host name: the message, else None."""
    try:
        parts = urlsplit(value)
        host = parts.hostname
    except ValueError:  # a malformed IPv6 literal, a bad port
        return f"not an http(s) URL: {redact(value)!r}"
    if parts.scheme not in ("http", "https") or not host or parts.netloc[:1] in (".", "$"):
        return f"not an http(s) URL: {redact(value)!r}"
    return None


def url_syntax_error(value: str) -> str | None:
    """What is wrong with a ``url`` field's value, or None: not an http(s) URL, or white
    space, a backslash or a brace in it (a URL split over lines, LaTeX escapes)."""
    problem = url_form_error(value)
    if problem:
        return problem
    if _URL_ODD.search(value):
        return f"white space, a backslash or a brace in the URL: {redact(value)!r}"
    return None


def redact(url: str | None) -> str:
    """``https://user:pass@host/x`` -> ``https://***@host/x``: credentials never printed."""
    if not url or "@" not in url:  # no userinfo without an '@'
        return url or ""
    try:
        parts = urlsplit(url)
        if not (parts.username or parts.password):
            return url
        host = parts.hostname or ""
        if ":" in host:  # an IPv6 literal keeps its brackets
            host = f"[{host}]"
        if parts.port:
            host += f":{parts.port}"
    except ValueError:
        return url
    return urlunsplit((parts.scheme, "***@" + host, parts.path, parts.query, parts.fragment))
