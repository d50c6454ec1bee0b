"""refbook's BibTeX/BibLaTeX -> CSL-JSON mapping (the data pandoc's citeproc formats).

The reference is pandoc's own BibLaTeX reader (``pandoc -f biblatex -t csljson``):
refbook maps every field it maps, the same way, except where docs/export.md says why
not.  ``benchmarks/fidelity.py`` measures the agreement on real files.

- Text is plain Unicode plus CSL's rich-text markup only (``refbook.richtext``): no HTML
  entities, LaTeX decoded, TeX math converted, braces -> ``<span class="nocase">``.
- Titles (title, subtitle, titleaddon; maintitle, booktitle, series, eventtitle...) are
  sentence-cased as pandoc does, for English entries only: an entry whose ``langid`` (or
  ``hyphenation``, or ``language``) is another language keeps its case, and the item
  gets that ``language`` (``german`` -> ``de-DE``) so that styles leave it alone too.
  Journal titles are never case-changed.  A subtitle is joined with ": ", a titleaddon
  with ". ".
- Entry types map to CSL types (``types.TYPE_MAP``; ``entrysubtype = newspaper/magazine``).
- Names: ``{Corporate Name}`` -> ``literal``; von -> ``non-dropping-particle``; Jr. ->
  ``suffix``; ``and others`` -> ``{"literal": "others"}``, which citeproc prints as
  "et al." (as pandoc writes it).  Also translator, bookauthor (container-author),
  editortype/editora/editoratype.
- Dates: ``date`` (ISO 8601/EDTF: ranges ``1984/1986``, open ranges, ``~`` and ``?``,
  seasons) or ``year``/``month``/``day`` (``endyear``...); ``origdate``, ``eventdate``,
  ``urldate``.  A year that is not a number (``2023a``, ``in press``) is a literal.
- ``number`` is ``issue`` for articles (with ``issue`` appended), ``collection-number``
  for books in a series, ``number`` otherwise; ``volume.part``; pages with an en dash.
- ``eprint`` with ``eprinttype = arxiv`` (or ``archivePrefix``), jstor, pubmed or
  googlebooks gives the URL when there is none; an arXiv preprint also gets
  ``number`` ``arXiv:ID [class]`` and, without another publisher, ``publisher`` arXiv.
- ``publisher``: school, institution, organization, howpublished and publisher, each
  ``and``-list joined with "; "; ``address``/``location`` -> ``publisher-place``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..identifiers import strip_doi_prefix
from ..latex import to_text
from .dates import a_date, parse_date  # noqa: F401  (parse_date: public here too)
from .languages import LANGUAGES, is_english, language  # noqa: F401  (public here too)
from .names import EDITOR_ROLES, add_names, csl_names
from .text import BIBSTRINGS, joined, literal_list, rich_text, rich_title, titles  # noqa: F401
from .types import ARTICLELIKE, IN_SERIES, TYPE_MAP, csl_type  # noqa: F401  (public here too)

if TYPE_CHECKING:
    from ..model import Entry

# Submodules: types (entry types both ways), languages, text (titles, rich text), names,
# dates.  This module puts an item together from them and gives items unique ids.

_NOTE_VARIABLE = re.compile(r"^(\s*)(\{|[^\s:<>]+)(\s*:)")
_EPRINT_URLS = {
    "arxiv": "https://arxiv.org/abs/",
    "jstor": "https://www.jstor.org/stable/",
    "pubmed": "https://www.ncbi.nlm.nih.gov/pubmed/",
    "googlebooks": "https://books.google.com?id=",
}
# BibTeX field -> CSL variable, for the fields copied as decoded text
_COPIED = (
    ("pagetotal", "number-of-pages"),
    ("volumes", "number-of-volumes"),
    ("chapter", "chapter-number"),
    ("edition", "edition"),
    ("version", "version"),
    ("isbn", "ISBN"),
    ("issn", "ISSN"),
    ("pmid", "PMID"),
    ("pmcid", "PMCID"),
    ("library", "call-number"),
    ("ids", "other-ids"),
)
# date field, prefix of its year/month/day fields, CSL variable
_DATES = (
    ("date", "", "issued"),
    ("eventdate", "event", "event-date"),
    ("origdate", "orig", "original-date"),
    ("urldate", "url", "accessed"),
)


# -- the item -------------------------------------------------------------------------------


def _text(entry: Entry, name: str) -> str:
    return to_text(entry.get(name) or "")


def _genre(entry: Entry) -> str | None:
    value = (entry.get("type") or "").strip()
    if value:
        return to_text(BIBSTRINGS.get(value, value))
    if entry.type == "mastersthesis":
        return BIBSTRINGS["mathesis"]
    if entry.type == "phdthesis":
        return BIBSTRINGS["phdthesis"]
    return None


def _eprint(entry: Entry) -> tuple[str, str, str]:
    kind = (entry.get("eprinttype") or entry.get("archiveprefix") or "").strip().lower()
    ident = (entry.get("eprint") or "").strip()
    cls = (entry.get("eprintclass") or entry.get("primaryclass") or "").strip()
    return kind, ident, cls


def to_csl(entry: Entry, ident: str | None = None, *, stored: bool = True) -> dict[str, Any]:
    """One entry as a CSL-JSON item (pandoc, Zotero and citeproc-js read it); ``ident``
    replaces the key as its id (``csl_items`` makes ids unique).  An entry read from the
    library cache gives the item stored in the cache (unless not ``stored``: the item
    made from its record, which is the same item: the cache stores these)."""
    kept = getattr(entry, "csl_item", None) if stored else None
    if kept is not None:
        return dict(kept(ident))
    ctype = csl_type(entry)
    item: dict[str, Any] = {"id": entry.key if ident is None else ident, "type": ctype}
    lang = language(entry)
    english = is_english(lang)
    if lang:
        item["language"] = lang
    _people(entry, item)
    item.update(titles(entry, english))
    if ctype == "webpage" and "container-title" not in item and entry.get("organization"):
        item["container-title"] = rich_text(entry["organization"])
    _publishers_and_places(entry, ctype, item)
    for field_name, prefix, dst in _DATES:
        date = a_date(entry, field_name, prefix)
        if date:
            item[dst] = date
    _numbers(entry, item)
    _identifiers_and_links(entry, item)
    _notes(entry, item)
    return item


def _people(entry: Entry, item: dict[str, Any]) -> None:
    """Authors, editors in the roles biblatex gives them, translators, book authors."""
    authors = entry.authors
    if authors:
        item["author"] = csl_names(authors)
    editortype = (entry.get("editortype") or "editor").strip().lower()
    add_names(item, EDITOR_ROLES.get(editortype, "editor"), entry.editors)
    for suffix in ("a", "b", "c"):  # further editors in the roles biblatex gives them
        people = entry.people("editor" + suffix)
        role = (entry.get(f"editor{suffix}type") or "editor").strip().lower()
        add_names(item, EDITOR_ROLES.get(role, "contributor"), people)
    add_names(item, "translator", entry.people("translator"))
    add_names(item, "container-author", entry.people("bookauthor"))


def _publishers_and_places(entry: Entry, ctype: str, item: dict[str, Any]) -> None:
    publishers = [
        (n, entry.get(n))
        for n in ("school", "institution", "organization", "howpublished", "publisher")
        if entry.get(n)
    ]
    if ctype == "webpage":  # the site's organisation is its container, not a publisher
        publishers = [(n, v) for n, v in publishers if n not in ("organization", "howpublished")]
    if publishers:
        item["publisher"] = "; ".join(
            rich_text(v) if n == "howpublished" else literal_list(v) for n, v in publishers
        )
    if entry.get("origpublisher"):
        item["original-publisher"] = rich_text(entry["origpublisher"])
    place = entry.get("address") or (entry.get("location") if entry.type != "patent" else None)
    if place:
        item["publisher-place"] = literal_list(place)
    if entry.type == "patent" and entry.get("location"):
        item["jurisdiction"] = literal_list(entry["location"])
    if entry.get("origlocation"):
        item["original-publisher-place"] = literal_list(entry["origlocation"])
    if entry.get("venue"):
        item["event-place"] = rich_text(entry["venue"])


def _numbers(entry: Entry, item: dict[str, Any]) -> None:
    """Volume (``volume.part``), number or issue, pages, edition, ISBN…, genre, status."""
    volume, part = _text(entry, "volume"), _text(entry, "part")
    if volume or part:
        item["volume"] = f"{volume}.{part}" if volume and part else volume or part
    number, issue = _text(entry, "number"), _text(entry, "issue")
    if number and entry.type in IN_SERIES:
        item["collection-number"] = number
    elif entry.type in ARTICLELIKE and (number or issue):
        item["issue"] = ", ".join(x for x in (number, issue) if x)
    elif number:
        item["number"] = number
    elif issue:
        item["issue"] = issue
    if entry.pages:
        item["page"] = entry.pages
    for src, dst in _COPIED:
        if entry.get(src):
            item[dst] = _text(entry, src)
    genre = _genre(entry)
    if genre:
        item["genre"] = genre
    if entry.get("pubstate"):
        state = entry["pubstate"].strip()
        item["status"] = BIBSTRINGS.get(state, to_text(state))


def _identifiers_and_links(entry: Entry, item: dict[str, Any]) -> None:
    """DOI, URL (or the eprint's URL), arXiv number and publisher."""
    if entry.get("doi"):
        # the resolver is not part of the DOI (styles add their own); its case is kept
        item["DOI"] = strip_doi_prefix(to_text(entry["doi"]))
    kind, eprint, eprint_class = _eprint(entry)
    if entry.url:
        item["URL"] = entry.url
    elif eprint and kind in _EPRINT_URLS:
        item["URL"] = _EPRINT_URLS[kind] + eprint
    if kind == "arxiv" and eprint:
        item.setdefault(
            "number", f"arXiv:{eprint}" + (f" [{eprint_class}]" if eprint_class else "")
        )
        if "publisher" not in item and "container-title" not in item:
            item["publisher"] = "arXiv"


def _notes(entry: Entry, item: dict[str, Any]) -> None:
    """Note and addendum, annotation, keywords, abstract."""
    notes = [
        rich_text(entry[n])
        for n in ("note", "addendum")
        if entry.get(n) and not (n == "note" and entry.type == "periodical")
    ]
    if notes:
        # a note starting "Word: ..." (Mendeley writes "ID: TN_...") would be read by
        # citeproc as a variable (that one replaces the item's id) and vanish
        item["note"] = _NOTE_VARIABLE.sub(
            r'\1<span class="nocase">\2</span>\3', joined([(".", n) for n in notes])
        )
    if entry.annotation:
        item["annote"] = entry.annotation
    if entry.keywords:
        item["keyword"] = ", ".join(entry.keywords)
    if entry.get("abstract"):
        item["abstract"] = _text(entry, "abstract")


# -- ids --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class IdChange:
    """An entry exported under another id than its key: a duplicate key, or none."""

    entry: Entry
    ident: str
    first_line: int | None  # the line of the entry that kept the key (duplicates)

    @property
    def message(self) -> str:
        if not self.entry.key:
            return f"entry without a key; exported as {self.ident!r}"
        return (
            f"duplicate key {self.entry.key!r} (also on line {self.first_line}); "
            f"exported as {self.ident!r}"
        )


def unique_ids(entries: Sequence[Entry]) -> tuple[list[str], list[IdChange]]:
    """An id per entry, unique (case-insensitively, as keys are): the first entry with a
    key keeps it, later ones get ``key-2``, ``key-3``; an entry without a key gets
    ``line-N`` (its line).  No entry may vanish from a reference list because two share
    an id.  Returns the ids and the changes to report."""
    ids, changed = unique_key_ids([(e.key, e.line) for e in entries])
    return ids, [IdChange(entries[i], ids[i], first) for i, first in changed]


def unique_key_ids(
    keys_lines: Sequence[tuple[str, int]], has_key: Callable[[str], bool] | None = None
) -> tuple[list[str], list[tuple[int, int | None]]]:
    """``unique_ids`` on (key, line) pairs: the ids, and (index, line of the entry that
    kept the key, None for an entry without one) of each entry given another id.
    ``has_key``: whether a key is taken by an entry not in ``keys_lines`` (the library
    cache gives only the entries whose ids may change: every entry of a repeated key,
    and those without one)."""
    taken = {key.lower() for key, _ in keys_lines if key}
    first: dict[str, int] = {}
    ids: list[str] = []
    changed: list[tuple[int, int | None]] = []
    for index, (key, line) in enumerate(keys_lines):
        low = key.lower()
        if key and low not in first:
            first[low] = line
            ids.append(key)
            continue
        base = f"{key}-" if key else f"line-{line}"
        n = 2 if key else 1
        ident = f"{base}{n}" if key else base
        while ident.lower() in taken or (has_key is not None and has_key(ident)):
            n += 1
            ident = f"{base}{n}" if key else f"{base}-{n}"
        taken.add(ident.lower())
        ids.append(ident)
        changed.append((index, first[low] if key else None))
    return ids, changed


def csl_items(entries: Sequence[Entry]) -> list[dict[str, Any]]:
    """CSL-JSON items for ``entries``, with unique ids (``unique_ids``)."""
    ids, _ = unique_ids(entries)
    return [to_csl(e, i) for e, i in zip(entries, ids)]
