"""Lint rules about DOIs: a resolver prefix, the syntax (``refbook.identifiers``: the
messages ``check`` gives too), one DOI in two entries."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..identifiers import (
    bare_doi_error,
    has_doi_prefix,
    normalize_doi,
    strip_doi_prefix,
)
from ..model import Entry
from .library import SameValuePass
from .registry import Context, Issue, rule


@rule(
    "doi-prefix",
    "doi",
    "warning",
    "The doi field holds a resolver URL or 'doi:' prefix; it should be the bare DOI.",
    fixable=True,
)
def _doi_prefix(entry: Entry, ctx: Context) -> Iterator[Issue]:
    value = (entry.get("doi") or "").strip()
    if has_doi_prefix(value):
        bare = strip_doi_prefix(value)
        yield Issue(
            f"doi has a resolver prefix: {value!r} (should be {bare!r})", "doi", ("doi", bare)
        )


@rule(
    "doi-syntax",
    "doi",
    "error",
    "The DOI is not of the form 10.NNNN/suffix, or has trailing punctuation or braces.",
)
def _doi_syntax(entry: Entry, ctx: Context) -> Iterator[Issue]:
    value = (entry.get("doi") or "").strip()
    if not value:
        return
    problem = bare_doi_error(strip_doi_prefix(value), value)
    if problem:
        yield Issue(problem, "doi")


@rule("duplicate-doi", "duplicates", "error", "Two entries have the same DOI.", library=True)
class _DuplicateDoi(SameValuePass):
    field = "doi"

    def value(self, entry: Entry) -> str | None:
        doi = entry.get("doi")
        return normalize_doi(doi) if doi else None

    def message(self, flagged: Any, other: Any) -> str:
        doi = normalize_doi(flagged["doi"])
        return f"same DOI {doi} as {other.key} (line {other.line})"
