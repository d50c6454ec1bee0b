"""Lint rules about an entry's fields: those its type requires, one written twice, the
annotation and the access date an annotated bibliography wants."""

from __future__ import annotations

from collections.abc import Iterator

from ..diagnostics import duplicate_field_message
from ..model import Entry
from .registry import Context, Issue, has, rule

# -- the data model: required fields per entry type (BibTeX and BibLaTeX) ---------------
# "a|b": either field will do.
REQUIRED: dict[str, tuple[str, ...]] = {
    "article": ("author", "title", "journal|journaltitle", "year|date"),
    "book": ("author|editor", "title", "publisher|organization|institution", "year|date"),
    "mvbook": ("author|editor", "title", "year|date"),
    "inbook": ("author|editor", "title", "booktitle|chapter|pages", "year|date"),
    "incollection": ("author", "title", "booktitle", "year|date"),
    "inproceedings": ("author", "title", "booktitle", "year|date"),
    "conference": ("author", "title", "booktitle", "year|date"),
    "proceedings": ("title", "year|date"),
    "collection": ("editor", "title", "year|date"),
    "report": ("author", "title", "institution", "year|date"),
    "techreport": ("author", "title", "institution", "year|date"),
    "thesis": ("author", "title", "institution|school", "year|date"),
    "phdthesis": ("author", "title", "school|institution", "year|date"),
    "mastersthesis": ("author", "title", "school|institution", "year|date"),
    "online": ("title", "url|doi|eprint", "year|date|urldate"),
    "misc": ("title|howpublished",),
    "manual": ("title",),
    "unpublished": ("author", "title", "note|howpublished"),
    "booklet": ("title",),
    "patent": ("author", "title", "number", "year|date"),
    "dataset": ("title", "year|date"),
    "software": ("title", "year|date"),
}
ONLINE_TYPES = {"online", "electronic", "www", "webpage"}


@rule(
    "required-fields",
    "fields",
    "error",
    "An entry lacks a field its type requires (BibTeX/BibLaTeX data model).",
)
def _required(entry: Entry, ctx: Context) -> Iterator[Issue]:
    for need in REQUIRED.get(entry.type, ()):
        if not has(entry, need):
            yield Issue(f"@{entry.type} needs {' or '.join(need.split('|'))}")


@rule(
    "duplicate-field",
    "fields",
    "error",
    "A field is written twice in one entry (BibTeX reads the first, some tools the last); "
    "refbook edits the entry only once one is removed.",
)
def _duplicate_field(entry: Entry, ctx: Context) -> Iterator[Issue]:
    for name, lines in entry.duplicate_fields().items():
        yield Issue(f"{duplicate_field_message(name, lines)}: remove one", name, line=lines[1])


@rule(
    "missing-annotation",
    "annotated",
    "warning",
    "An entry of this annotated bibliography has no annotation (or annote).",
)
def _annotation(entry: Entry, ctx: Context) -> Iterator[Issue]:
    if not entry.annotation:
        yield Issue("no annotation")


@rule(
    "missing-urldate",
    "annotated",
    "info",
    "An online source with a URL does not say when it was accessed (urldate).",
)
def _urldate(entry: Entry, ctx: Context) -> Iterator[Issue]:
    if entry.type in ONLINE_TYPES and entry.get("url") and not entry.get("urldate"):
        yield Issue("online source without urldate (when was it accessed?)", "url")
