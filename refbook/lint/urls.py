"""Lint rules about URLs: syntax (``refbook.identifiers``), white space, LaTeX escapes,
trailing punctuation, line-break hyphenation."""

from __future__ import annotations

import re
from collections.abc import Iterator

from ..identifiers import (
    url_form_error,
)
from ..model import Entry
from ..titles import title_key
from .registry import Context, Issue, rule


@rule("url-syntax", "url", "error", "The URL is not a well-formed http(s) URL.")
def _url_syntax(entry: Entry, ctx: Context) -> Iterator[Issue]:
    url = (entry.get("url") or "").strip()
    problem = url_form_error(url) if url and not re.search(r"\s", url) else None
    if problem:  # white space is url-split's, braces and backslashes url-latex's
        yield Issue(problem, "url")


@rule(
    "url-split",
    "url",
    "error",
    "The URL contains white space: split over two lines when it was copied.",
)
def _url_split(entry: Entry, ctx: Context) -> Iterator[Issue]:
    url = (entry.get("url") or "").strip()
    if re.search(r"\s", url):
        joined = re.sub(r"\s+", "", url)
        yield Issue(
            f"URL split by white space (joined it would be {joined!r}); check the original", "url"
        )


@rule(
    "url-latex",
    "url",
    "error",
    "The URL contains LaTeX escapes (\\_ \\% \\&) or braces, which are not part of it.",
)
def _url_latex(entry: Entry, ctx: Context) -> Iterator[Issue]:
    url = entry.get("url") or ""
    if re.search(r"\\[_%&#~$]|[{}]|\\url", url):
        yield Issue(f"LaTeX escape or brace in URL: {url!r}", "url")


@rule(
    "url-trailing",
    "url",
    "warning",
    "The URL ends with punctuation ('.', ',', ';', ')' or '}') picked up from the text.",
    fixable=True,
)
def _url_trailing(entry: Entry, ctx: Context) -> Iterator[Issue]:
    url = (entry.get("url") or "").strip()
    fixed = url
    while fixed and (fixed[-1] in ".,;:}" or (fixed[-1] == ")" and "(" not in fixed)):
        fixed = fixed[:-1]
    if fixed != url:
        yield Issue(f"URL ends with punctuation: {url!r}", "url", ("url", fixed))


@rule(
    "url-hyphenation",
    "url",
    "warning",
    "A hyphen in the URL looks like a line-break hyphenation ('pakist-an'): joined, the "
    "word appears in the entry's title while the hyphenated form does not.",
    fixable=True,
)
def _url_hyphenation(entry: Entry, ctx: Context) -> Iterator[Issue]:
    url = (entry.get("url") or "").strip()
    candidates = list(re.finditer(r"(?<=[/\-_])([a-z]+)-([a-z]+)(?=[-/_.]|$)", url))
    if not candidates:
        return
    title_words = set(title_key(entry.get("title") or "").split())
    fixed = url
    suspects = []
    for m in candidates:
        left, right = m.group(1), m.group(2)
        joined = left + right
        if (
            joined in title_words
            and left not in title_words
            and right not in title_words
            and len(left) >= 2
        ):
            suspects.append(f"{left}-{right}")
            fixed = fixed.replace(m.group(0), joined)
    if suspects:
        unique = len(suspects) == 1
        yield Issue(
            f"hyphenation artefact in URL: {', '.join(suspects)!s} "
            f"(the title has {', '.join(s.replace('-', '') for s in suspects)})",
            "url",
            ("url", fixed) if unique else None,
        )
