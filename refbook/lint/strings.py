"""Lint rules about ``@string`` macros: one defined twice, one used but not defined above
the entry."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from ..model import Entry
from .registry import Context, Issue, rule

if TYPE_CHECKING:
    from ..store import BibFile


@rule(
    "duplicate-string",
    "strings",
    "warning",
    "An @string macro is defined twice (names ignore case); as in BibTeX and biber, each "
    "entry uses the definition above it.",
    file=True,
)
def _duplicate_string(bib: BibFile, ctx: Context) -> Iterator[Issue]:
    # the store finds them while reading (every command warns); lint reports them as a rule
    for problem in bib.problems:
        if problem.rule == "duplicate-string":
            yield Issue(problem.message, line=problem.line)


@rule(
    "undefined-string",
    "strings",
    "warning",
    "A field uses a macro that no @string above the entry defines; BibTeX prints nothing "
    "for it (refbook and pandoc show its name).",
)
def _undefined_string(entry: Entry, ctx: Context) -> Iterator[Issue]:
    for name, word in entry.undefined_macros():
        if entry.macro_defined_later(word.lower()):
            yield Issue(
                f"{name} uses @string {word!r} before its definition further down; "
                "BibTeX and biber read in order and treat it as undefined here",
                name,
            )
        else:
            yield Issue(
                f"{name} uses @string {word!r}, which is not defined (BibTeX "
                "prints nothing for it)",
                name,
            )
