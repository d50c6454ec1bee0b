"""Lint rules about DOIs: a resolver prefix, the syntax (``refbook.identifiers``: the
messages ``check`` gives too), one DOI in two entries."""

from __future__ import annotations

from array import array
from collections.abc import Callable, Iterator
from typing import Any

from ..identifiers import (
    bare_doi_error,
    has_doi_prefix,
    normalize_doi,
    strip_doi_prefix,
)
from ..model import Entry
from .library import Flag, LibraryPass
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
class _DuplicateDoi(LibraryPass):
    field = "doi"

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        self.first: dict[str, int] = {}  # DOI -> the place of its first entry
        self.at = array("q")  # the entries flagged, and the first of their DOI
        self.other = array("q")

    def see(self, at: int, entry: Entry) -> None:
        if entry.get("doi"):
            first = self.first.setdefault(normalize_doi(entry["doi"]), at)
            if first != at:
                self.at.append(at)
                self.other.append(first)

    def flags(self, entry_at: Callable[[int], Any]) -> Iterator[Flag]:
        return (Flag(at, other) for at, other in zip(self.at, self.other))

    def message(self, flagged: Any, other: Any) -> str:
        doi = normalize_doi(flagged["doi"])
        return f"same DOI {doi} as {other.key} (line {other.line})"
