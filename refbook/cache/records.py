"""Entries as the cache keeps them: what a build keeps of a parsed ``model.Entry``
(``entry_record``: a light record, the JSON item, the extra texts) and the form the JSON
item is stored in (``listing_form``, and back: ``json_form``).  Read back by
``entry.RecordEntry``, with no parser and no LaTeX decoder behind it."""

from __future__ import annotations

from typing import Any

NAME_FIELDS = ("author", "editor")  # name lists: kept as name parts (the light record)


def entry_record(entry: Any) -> tuple[dict[str, Any], str, dict[str, Any]]:
    """What the cache keeps of a parsed entry, in three parts: ``light`` (what lists,
    sorts and counts need: title, author line, keywords, the fields it has), ``item``
    (its JSON form, ``to_dict`` without the source, which is added when read) and
    ``extra`` (the plain text of each field, where inherited fields come from, its
    ``ids`` aliases)."""
    from ..latex import to_text

    _ = entry.fields  # every value evaluated in one pass (to_dict then reads them)
    d = entry.to_dict()
    d.pop("source", None)
    # every value the entry has, as entry.get gives it: its own fields, then inherited ones
    values = {**d.get("inherited", {}), **d["fields"]}
    inherited = d.get("inherited", {})
    names = list(d["fields"]) + [n for n in inherited if n not in d["fields"]]
    light = {
        "t": entry.title,
        "l": entry.author_label(),
        "k": d["keywords"],
        "p": [n for n in names if values[n]],  # entry.has(n)
    }
    for tag, people in (("a", entry.authors), ("e", entry.editors)):
        if people:  # name parts: matching citations needs them for every entry
            light[tag] = [[p.first, p.von, p.last, p.jr, p.literal] for p in people]
    # the plain text (entry.text) of each field whose text is not its value as written
    texts = ((n, values[n]) for n in names if n not in NAME_FIELDS)
    extra: dict[str, Any] = {"t": {n: t for n, v in texts if (t := to_text(v)) != v}}
    if inherited:
        extra["f"] = {n: entry.inherited_from(n) for n in inherited}
    if entry.aliases:
        extra["a"] = entry.aliases
    from ..output import json_text  # the JSON text refbook writes, escapes included

    return light, json_text(d), extra


def listing_form(item: str) -> str:
    """The JSON text of an entry (``output.json_text``) as the cache keeps it: as an
    item of a ``--json`` array writes it (indented once more), without its closing
    brace, so that ``list --json`` only adds each entry's source.  JSON strings hold no
    raw newline: each one in the text starts a line of the layout."""
    return item[:-2].replace("\n", "\n  ")


def json_form(listed: str) -> str:
    """``listing_form`` undone: the JSON text ``output.json_text`` wrote."""
    return listed.replace("\n  ", "\n") + "\n}"
