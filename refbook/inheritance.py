"""biblatex's inheritance: the fields an entry gets through ``crossref`` and ``xdata``.

``inherit(entry)`` follows the links (cascading; missing parents and cycles reported, not
followed) and maps the parent's fields by biblatex's default inheritance table
(``inherited_names``: ``title`` becomes ``booktitle`` in an ``@inbook``…), as biber and
pandoc's BibLaTeX reader do.  ``refbook.model.Entry`` asks it for inherited values.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING

from .latex import to_text

if TYPE_CHECKING:
    from .model import Entry


# fields never inherited (biblatex.def's \DeclareDataInheritance{*}{*})
NOT_INHERITED = frozenset(
    {
        "ids",
        "crossref",
        "xref",
        "xdata",
        "entryset",
        "entrysubtype",
        "execute",
        "label",
        "options",
        "presort",
        "related",
        "relatedoptions",
        "relatedstring",
        "relatedtype",
        "shorthand",
        "shorthandintro",
        "sortkey",
    }
)
_TITLES = ("shorttitle", "sorttitle", "indextitle", "indexsorttitle")


def _renamed(prefix: str) -> Callable[[str], list[str]]:
    names = {
        "title": prefix + "title",
        "subtitle": prefix + "subtitle",
        "titleaddon": prefix + "titleaddon",
    }
    return lambda field: [names[field]] if field in names else [] if field in _TITLES else [field]


_MAIN, _BOOK, _JOURNAL = _renamed("main"), _renamed("book"), _renamed("journal")


def inherited_names(parent_type: str, child_type: str, name: str) -> list[str]:
    """The names a parent's field takes in a child (biblatex's default inheritance
    table, as pandoc implements it): a @book's title is an @inbook's booktitle, an
    @mvbook's title a @book's maintitle, a @periodical's title an @article's journaltitle;
    other fields keep their name; ``NOT_INHERITED`` ones are not passed on."""
    if name in NOT_INHERITED:
        return []
    if name == "author" and (
        (parent_type in ("mvbook", "book") and child_type in ("inbook", "bookinbook", "suppbook"))
        or (parent_type == "mvbook" and child_type == "book")
    ):
        return ["bookauthor", "author"]
    if parent_type == "mvbook" and child_type in ("book", "inbook", "bookinbook", "suppbook"):
        return _MAIN(name)
    if parent_type in ("mvcollection", "mvreference") and child_type in (
        "collection",
        "reference",
        "incollection",
        "inreference",
        "suppcollection",
    ):
        return _MAIN(name)
    if parent_type == "mvproceedings" and child_type in ("proceedings", "inproceedings"):
        return _MAIN(name)
    if parent_type == "book" and child_type in ("inbook", "bookinbook", "suppbook"):
        return _BOOK(name)
    if parent_type in ("collection", "reference") and child_type in (
        "incollection",
        "inreference",
        "suppcollection",
    ):
        return _BOOK(name)
    if parent_type == "proceedings" and child_type == "inproceedings":
        return _BOOK(name)
    if parent_type == "periodical" and child_type in ("article", "suppperiodical"):
        return _JOURNAL(name) if name != "titleaddon" else [name]
    return [name]


def _keys(value: str) -> list[str]:
    return [k for k in re.split(r"[\s,]+", to_text(value)) if k]


def inherit(
    entry: Entry, *, chain: list | None = None, problems: list | None = None, _seen: tuple = ()
) -> dict[str, tuple[str, str]]:
    """All fields of ``entry``, its own and those it inherits: name -> (value, key of the
    entry the value comes from).  ``xdata`` entries first, then the ``crossref`` parent
    (cascading: the parent's own inherited fields pass on); an entry's own fields always
    win.  A missing parent or a cycle is reported in ``problems`` as (blocks concerned,
    field, message) and otherwise ignored.  ``chain`` collects the (block, parsed entry)
    pairs read."""
    bib = entry._bib
    fields = {name: (entry.get(name), entry.key) for name in entry._raw_fields()}
    seen = (*_seen, entry._block)
    for link in ("xdata", "crossref"):
        for key in _keys(fields.get(link, (None, ""))[0] or ""):
            block = bib.find(key)  # a key, or one of an entry's ids aliases
            if block is None:
                if problems is not None:
                    problems.append(
                        (
                            (entry._block,),
                            link,
                            f"{link} parent {key!r} not found; nothing inherited",
                        )
                    )
                continue
            if block in seen:
                if problems is not None:
                    cycle = seen[seen.index(block) :]
                    path = " -> ".join([b.key for b in cycle] + [block.key])
                    problems.append((cycle, link, f"{link} cycle {path}; not followed"))
                continue
            if chain is not None:
                chain.append((block, block.entry))
            parent = type(entry)(bib, block)  # an Entry (model imports this module)
            inherited = inherit(parent, chain=chain, problems=problems, _seen=seen)
            found: dict[str, tuple[str, str]] = {}
            for name in sorted(inherited):  # as pandoc: a title beats a booktitle for booktitle
                targets = (
                    [name]
                    if link == "xdata" and name not in NOT_INHERITED
                    else []
                    if link == "xdata"
                    else inherited_names(parent.type, entry.type, name)
                )
                for target in targets:
                    found[target] = inherited[name]
            for name, value in found.items():
                fields.setdefault(name, value)
    return fields
