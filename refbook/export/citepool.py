"""The works an in-text citation depends on (``refbook cite``), so that citeproc formats a
few instead of the whole library.

``format_citation(..., all_entries=library)`` cites every work first, in file order, then
the wanted ones: numbered styles number works in order of first citation, and
disambiguation looks at every cited work.  What of that reaches the wanted citation
(pandoc's citeproc, ``Citeproc.Eval``: ``disambiguateCitations``, ``assignCitationNumbers``):

- names: a name is given initials or its given name (``disambiguate-add-givenname``) when
  another name of the same family is cited; names are added to an "et al." list, year
  suffixes (2023a/b) given, among works whose citations render the same text, hence the
  same names.  So the works that matter have a person (any role: the style may substitute
  an editor for a missing author) of the same family as a person of a cited work, or,
  for a cited work without an author, its title's words (CSL substitutes the title);
- numbers: a work's citation number is its place in the citations, i.e. in the file,
  when the bibliography does not sort (or sorts by citation number), less the works
  before it whose id pandoc reads only in part in [@id] ("a--b" is read "a", no work:
  ``_unread``; when the part read is another work's id, the numbers are not known);
  ``numbered_runs``
  has citeproc number the pool with the same adjacencies (ranges such as [3]–[5]) and
  the numbers are put back;
- positions (ibid., subsequent): the citation before the wanted one cites the library's
  last work, which is kept in the pool.

Note styles (note numbers, near-note distances), styles printing a citation label,
numbered styles whose bibliography sorts by something else, a cited work with neither
names nor title words, and numbered citations of works pandoc reads in part get ``None``: the whole
library is the pool there.  Names are compared as citeproc compares them (the same
letters; case aside, for a style that changes the case of names): two spellings of a
family that differ otherwise are different names to citeproc too.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .pandoc import style_path

if TYPE_CHECKING:
    from ..model import Entry

_CSL = "{http://purl.org/net/xbiblio/csl}"
_WORD = re.compile(r"\w+")
_ASCII = re.compile(r"[A-Za-z]+")


@dataclass(frozen=True)
class StyleFacts:
    """What a style's citations depend on beyond the cited works' own data."""

    note: bool  # class="note": note numbers and distances
    numbered: bool  # the citation shows (or sorts by) citation-number
    labelled: bool  # the citation shows a citation-label (Smi20)
    numbers_in_order: bool  # numbers are the order of first citation (no other sort)


def style_facts(style: str) -> StyleFacts:
    """``StyleFacts`` of a bundled style or a .csl file (an unreadable style: as unknown,
    the whole library counts)."""
    try:
        root = ET.fromstring(style_path(style).read_bytes())
    except ET.ParseError:
        return StyleFacts(True, True, True, False)
    macros = {m.get("name"): m for m in root.iter(f"{_CSL}macro")}
    citation = root.find(f"{_CSL}citation")
    variables: set[str] = set()
    seen: set[str] = set()
    todo = [citation] if citation is not None else []
    while todo:
        for el in todo.pop().iter():
            variables.update((el.get("variable") or "").split())
            name = el.get("macro")
            if name and name not in seen and name in macros:
                seen.add(name)
                todo.append(macros[name])
    in_order = True
    bibliography = root.find(f"{_CSL}bibliography")
    sort = bibliography.find(f"{_CSL}sort") if bibliography is not None else None
    keys = list(sort.iter(f"{_CSL}key")) if sort is not None else []
    if keys:  # citeproc sorts the whole library and numbers it in that order
        only = keys[0]
        in_order = (
            len(keys) == 1
            and only.get("variable") == "citation-number"
            and only.get("sort", "ascending") == "ascending"
        )
    return StyleFacts(
        note=root.get("class") == "note",
        numbered="citation-number" in variables,
        labelled="citation-label" in variables,
        numbers_in_order=in_order,
    )


@dataclass
class CitePool:
    """The works to give citeproc, in file order, with their ids and places as the whole
    library gives them."""

    entries: list[Any]
    ids: list[str]  # CSL ids (``unique_key_ids`` over the whole library)
    numbers: list[int]  # each work's citation number as the whole library gives it
    unnumbered: set[int]  # indexes of works whose [@id] pandoc reads as no work's
    cited: list[int]  # the index in ``entries`` of each cited work, in the order given
    numbered: bool  # the style shows citation numbers: ``numbered_runs``


def _person(name: dict[str, Any]) -> str:
    family = " ".join(str(name.get(p) or "") for p in ("non-dropping-particle", "family"))
    return str(name.get("literal") or family.strip() or name.get("given") or "")


def _names(item: dict[str, Any]) -> list[str]:
    """Every person's family name (or literal name) in every role, as written."""
    return [
        _person(name)
        for value in item.values()
        if isinstance(value, list) and value and all(isinstance(v, dict) for v in value)
        for name in value
    ]


def _key(text: str) -> str | None:
    """A name's last word, case folded (the same family name has the same)."""
    words = _WORD.findall(text.casefold())
    return words[-1] if words else None


def _like_terms(word: str) -> list[str]:
    """What to look for in stored items to find ``word`` in any case: its longest ASCII
    run (SQLite's LIKE ignores ASCII case only), else the word in its usual cases."""
    runs = sorted(_ASCII.findall(word), key=len)
    if runs and len(runs[-1]) >= 3:
        return [runs[-1]]
    return sorted({word, word.lower(), word.upper(), word.title(), word.casefold()})


@dataclass
class Needles:
    """What makes a work matter to the citation of some works (``_needles``)."""

    names: set[str]  # family name keys (``_key``)
    titles: set[str]  # title words (case folded) of cited works without an author
    like: list[str]  # terms for the stored items' prefilter (``_like_terms``)

    def match(self, text: str) -> bool:
        """Whether the work of CSL item ``text`` (JSON) matters."""
        folded = text.casefold()
        if any(word in folded for word in self.titles):
            return True
        if not any(key in folded for key in self.names):
            return False
        item = json.loads(text)
        return any(_key(n) in self.names for n in _names(item))


def _needles(items: Sequence[dict[str, Any]]) -> Needles | None:
    """``Needles`` of the cited works' CSL items; None when a work has neither names nor
    title words (what its citation collides with is not known)."""
    names: set[str] = set()
    titles: set[str] = set()
    like: list[str] = []
    for item in items:
        found = False
        for name in _names(item):
            key = _key(name)
            if key:
                found = True
                names.add(key)
                written = _WORD.findall(name)[-1]
                like.extend(_like_terms(written))
        if not item.get("author"):  # the style substitutes: editor…, else the title
            fields = ["title-short", "title"]
            if not item.get("title"):
                fields += ["container-title-short", "container-title"]
            for field in fields:
                words = _WORD.findall(str(item.get(field) or ""))
                if words:
                    longest = max(words, key=len)
                    found = True
                    titles.add(longest.casefold())
                    like.extend(_like_terms(longest))
        if not found:
            return None
    return Needles(names, titles, sorted(set(like)))


def citation_pool(library: Any, cited: Sequence[Entry], style: str) -> CitePool | None:
    """The works of ``library`` (a ``model.Library``, a list of entries or a
    ``CachedLibrary``) that the citation of ``cited`` (entries of it) in ``style``
    depends on, with the cited works, the library's last work and, for numbered styles,
    every work's number; None when the whole library is needed (see the module)."""
    facts = style_facts(style)
    if facts.note or facts.labelled or (facts.numbered and not facts.numbers_in_order):
        return None
    from ..csl import to_csl

    needles = _needles([to_csl(e) for e in cited])
    if needles is None:
        return None
    if hasattr(library, "csl_containing"):
        pool = _cached_pool(library, cited, needles, facts.numbered)
    else:
        pool = _listed_pool(list(library), cited, needles, facts.numbered)
    if pool is None or not facts.numbered:
        return pool
    unread = _unread(_all_ids(library))
    if unread is None:
        return None
    from bisect import bisect_left

    dead = set(unread)
    places = [n - 1 for n in pool.numbers]
    if any(places[i] in dead for i in pool.cited):
        return None
    pool.unnumbered = {i for i, p in enumerate(places) if p in dead}
    pool.numbers = [p + 1 - bisect_left(unread, p) for p in places]
    return pool


# a key pandoc reads whole in [@key]: letters, digits, _, punctuation followed by them
_PANDOC_KEY = re.compile(r"\w(?:\w|[:.#$%&\-+?<>~/](?=\w))*")
_KEYISH = re.compile(r"[\w:.#$%&\-+?<>~/]*")


def _unread(ids: Sequence[str]) -> list[int] | None:
    """The places (in file order) of the works whose id pandoc does not read whole in
    ``format_citation``'s [@id]: it reads the start ("a--b": "a") and the rest is
    text, so that work is not cited and has no number, and the numbers after it are one
    less.  None when such a start is some work's id (that work would be cited there) or
    the rest is more than key characters: the numbers are not known then."""
    unread = [i for i, ident in enumerate(ids) if ident and not _PANDOC_KEY.fullmatch(ident)]
    if not unread:
        return unread
    lowered = {ident.lower() for ident in ids}
    for i in unread:
        m = _PANDOC_KEY.match(ids[i])
        if not m or m.group(0).lower() in lowered or not _KEYISH.fullmatch(ids[i][m.end() :]):
            return None
    return unread


def _all_ids(library: Any) -> list[str]:
    """Every work's CSL id, in file order (``csl.unique_ids``)."""
    if not hasattr(library, "csl_containing"):
        from ..csl import unique_ids

        return unique_ids(list(library))[0]
    ids = library.keys()
    renamed = library.renamed_keys()
    if renamed:
        from bisect import bisect_left

        from ..csl import unique_key_ids

        ords = library.ords()
        new_ids, _ = unique_key_ids([(key, line) for _, key, line in renamed], library.has_key)
        for row, ident in zip(renamed, new_ids):
            ids[bisect_left(ords, row[0])] = ident
    return ids


def _pool(
    chosen: set[int], ids: list[str], places: list[int], numbered: bool, entries: list[Any]
) -> CitePool:
    """The pool of the works at places ``chosen`` (their ``entries`` and ``ids``)."""
    order = sorted(chosen)
    at = {p: i for i, p in enumerate(order)}
    return CitePool(
        entries=entries,
        ids=ids,
        numbers=[i + 1 for i in order],
        unnumbered=set(),
        cited=[at[p] for p in places],
        numbered=numbered,
    )


def _cached_pool(
    library: Any, cited: Sequence[Entry], needles: Needles, numbered: bool
) -> CitePool | None:
    """``citation_pool`` from the cache: every entry's row number, the entries whose id
    may not be their key, the stored CSL items that contain a needle (SQL); no record
    decoded but the pool's."""
    from bisect import bisect_left

    from ..csl import to_csl

    ords = library.ords()
    if not ords:
        return None

    def place(ord_: Any) -> int | None:
        i = bisect_left(ords, ord_) if isinstance(ord_, int) else len(ords)
        return i if i < len(ords) and ords[i] == ord_ else None

    places = [place(getattr(e, "ord", None)) for e in cited]
    if None in places:
        return None
    chosen = {p for p in places if p is not None} | {len(ords) - 1}
    for ord_, text in library.csl_containing(needles.like):
        if text is None:  # no stored item: made from the record
            text = json.dumps(to_csl(library.entry_by_ord(ord_)), ensure_ascii=False)
        if needles.match(text):
            chosen.add(bisect_left(ords, ord_))
    order = sorted(chosen)
    entries = library.entries_by_ords([ords[i] for i in order])
    return _pool(
        chosen,
        cached_ids(library, entries),
        [p for p in places if p is not None],
        numbered,
        entries,
    )


def cached_ids(library: Any, entries: Sequence[Any]) -> list[str]:
    """The CSL ids of ``entries`` of a ``CachedLibrary`` as ``csl.unique_ids`` gives them
    over the whole library: their keys, but for the entries of a repeated key and those
    without one (read by SQL, with the keys any other id must avoid)."""
    from ..csl import unique_key_ids

    renamed = library.renamed_keys()
    new_ids, _ = unique_key_ids([(key, line) for _, key, line in renamed], library.has_key)
    ident = {row[0]: i for row, i in zip(renamed, new_ids)}
    return [ident.get(e.ord, e.key) for e in entries]


def _listed_pool(
    whole: list[Any], cited: Sequence[Entry], needles: Needles, numbered: bool
) -> CitePool | None:
    """``citation_pool`` over entries in memory."""
    from ..csl import to_csl, unique_ids

    if not whole:
        return None
    ids, _ = unique_ids(whole)
    place = {id(e): i for i, e in enumerate(whole)}
    places = [place.get(id(e)) for e in cited]
    if None in places:
        return None
    chosen = {p for p in places if p is not None} | {len(whole) - 1}
    for i, e in enumerate(whole):
        if i not in chosen and needles.match(json.dumps(to_csl(e), ensure_ascii=False)):
            chosen.add(i)
    order = sorted(chosen)
    return _pool(
        chosen,
        [ids[i] for i in order],
        [p for p in places if p is not None],
        numbered,
        [whole[i] for i in order],
    )


def _fillers(gaps: list[str], taken: set[str]) -> Callable[[], str]:
    """A maker of filler ids not in ``taken``, each appended to ``gaps``."""

    def filler() -> str:
        n = len(gaps) + 1
        while f"refbook-gap-{n}" in taken:
            n += 1
        gaps.append(f"refbook-gap-{n}")
        taken.add(gaps[-1])
        return gaps[-1]

    return filler


def numbered_runs(
    pool: CitePool, shifts: Sequence[int]
) -> list[tuple[list[str], dict[int, int], list[dict[str, Any]]]]:
    """For each shift: the ids to cite first (the pool, with a filler work wherever
    the library has works between two of the pool's, so that citeproc's numbers are
    adjacent where the library's are, and ``shift`` fillers before all), the library's
    number of each local number, and the fillers' CSL items."""
    ids = {i.lower() for i in pool.ids}
    runs = []
    for shift in shifts:
        gaps: list[str] = []
        filler = _fillers(gaps, set(ids))
        order: list[str] = [filler() for _ in range(shift)]
        local: dict[int, int] = {}
        last = 0  # the library's number of the last work numbered
        for i, (ident, number) in enumerate(zip(pool.ids, pool.numbers)):
            if i in pool.unnumbered:  # cited as the library cites it, numbered by none
                order.append(ident)
                continue
            if last and number != last + 1:
                order.append(filler())
            order.append(ident)
            last = number
            local[len(gaps) + len(local) + 1] = number  # fillers and works before, numbered
        items = [{"id": g, "type": "document", "title": g} for g in gaps]
        runs.append((order, local, items))
    return runs


def renumbered(first: str, second: str, local: dict[int, int], shift: int) -> str | None:
    """``first`` (a citation numbered by ``numbered_runs``) with the library's numbers:
    the numbers that differ from those of ``second`` (the run shifted by ``shift``) are
    citation numbers.  None when the two do not differ by numbers alone."""
    a = re.split(r"(\d+)", first)
    b = re.split(r"(\d+)", second)
    if len(a) != len(b):
        return None
    out = []
    for i, (x, y) in enumerate(zip(a, b)):
        if x == y:
            out.append(x)
            continue
        if i % 2 == 0 or int(y) != int(x) + shift or str(int(x)) != x or int(x) not in local:
            return None
        out.append(str(local[int(x)]))
    return "".join(out)
