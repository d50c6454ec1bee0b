"""Rendering of entries: the list table, the full record of ``show``, statistics."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator, Sequence
from typing import IO, Any

from . import (
    JSON,
    RICH,
    STREAMING,
    cell,
    emit_document,
    emit_json,
    emit_json_texts,
    emit_lines,
    emit_table,
    visible,
)

LIST_COLUMNS = ("key", "authors", "year", "title", "type")


def list_rows(entries: Iterable[Any]) -> Iterator[tuple[str, str, str, str, str]]:
    """Each entry's row of the list, made as it is asked for; what the entry decoded for
    it let go (at 100k entries ~2 KB an entry that nothing reads again)."""
    for e in entries:
        row = (e.key, e.author_label(), str(e.year or ""), e.title, e.type)
        e._reset()
        yield row


def render_keys(keys: Iterable[str], stream: IO[str] | None = None) -> None:
    """Keys alone, one a line (``list --keys``)."""
    emit_lines(keys, stream)


def render_list(
    entries: Sequence[Any],
    mode: str,
    *,
    keys_only: bool = False,
    json_texts: Iterable[str] | None = None,
    stream: IO[str] | None = None,
) -> None:
    """``json_texts``: the entries' JSON already made (the library cache keeps it)."""
    if keys_only:
        emit_lines((e.key for e in entries), stream)
    elif mode == JSON and json_texts is not None:
        emit_json_texts(json_texts, stream)
    elif mode == JSON:
        emit_json([e.to_dict() for e in entries], stream)
    elif mode == RICH:
        from .tables import Column, draw

        def widest(values: Iterable[str]) -> int:
            return max(map(len, values), default=0)

        columns = (
            Column("key", "cyan", widest(e.key for e in entries)),
            Column("authors", flexible=True),
            Column("year", "green", widest(str(e.year or "") for e in entries)),
            Column("title", flexible=True),
            Column("type", widest=widest(e.type for e in entries)),
        )
        draw(columns, list_rows(entries), caption=f"{len(entries)} entries", stream=stream)
    else:
        emit_table(LIST_COLUMNS, list_rows(entries), mode, stream=stream)


SHOW_ORDER = (
    "author",
    "editor",
    "title",
    "journal",
    "journaltitle",
    "booktitle",
    "publisher",
    "organization",
    "institution",
    "year",
    "date",
    "volume",
    "number",
    "pages",
    "doi",
    "url",
    "urldate",
    "keywords",
)


def record_lines(entry: Any) -> list[tuple[str, str]]:
    """(label, plain text) pairs for one entry, in a reading order, annotation last."""
    rows = [("key", entry.key), ("type", entry.type)]
    names = list(entry.fields)
    order = [n for n in SHOW_ORDER if n in names] + sorted(
        n for n in names if n not in SHOW_ORDER and n not in ("annotation", "annote")
    )
    for name in order:
        if name == "author":
            value = "; ".join(str(p) for p in entry.authors)
        elif name == "editor":
            value = "; ".join(str(p) for p in entry.editors)
        elif name in ("url", "doi"):
            value = entry.get(name).strip()
        else:
            value = entry.text(name)
        rows.append((name, value))
    for name in entry.inherited:  # through crossref/xdata: said where from
        if name in ("annotation", "annote"):
            continue
        if name in ("author", "editor"):
            value = "; ".join(str(p) for p in entry.people(name))
        else:
            value = entry.text(name)
        rows.append((name, f"{value} (from {entry.inherited_from(name)})"))
    if entry.annotation:
        rows.append(("annotation", entry.annotation))
    rows.append(("source", f"{entry.bib_name}:{entry.line}"))
    return rows


def render_show(
    entries: Sequence[Any],
    mode: str,
    stream: IO[str] | None = None,
    *,
    json_texts: Iterable[str] | None = None,
) -> None:
    if mode == JSON and json_texts is not None:
        emit_json_texts(json_texts, stream)
        return
    if mode == JSON:
        emit_json([e.to_dict() for e in entries], stream)
        return
    if mode == RICH:
        from rich.panel import Panel
        from rich.table import Table

        from . import console

        con = console(file=stream)
        STREAMING[0] = True  # a panel printed per entry, each read as it comes
        for e in entries:
            grid = Table.grid(padding=(0, 2))
            grid.add_column(style="bold cyan", no_wrap=True)
            grid.add_column(overflow="fold")
            for label, value in record_lines(e):
                grid.add_row(cell(label), cell(value))
            con.print(Panel(grid, title=cell(f"@{e.type}{{{e.key}}}"), title_align="left"))
        return
    blocks = []
    for e in entries:
        blocks.append("\n".join(f"{label}: {value}" for label, value in record_lines(e)))
    (stream or sys.stdout).write(visible("\n\n".join(blocks)) + "\n")


def render_sources(entries: Sequence[Any], stream: IO[str] | None = None) -> None:
    """The entries' exact source text, separated by blank lines (``show --bibtex``):
    byte for byte when piped, control characters visible on a terminal."""
    emit_document("\n\n".join(e.source for e in entries) + "\n", stream)


def render_stats(stats: dict[str, Any], mode: str, stream: IO[str] | None = None) -> None:
    if mode == JSON:
        emit_json(stats, stream)
        return
    sections = (
        ("type", stats["types"]),
        ("year", stats["years"]),
        ("keyword", stats["keywords"]),
        ("missing field", stats["missing"]),
    )
    if mode == RICH:
        from . import console

        console(file=stream).print(cell(stats["file"], "bold") + f": {stats['entries']} entries")
    else:
        (stream or sys.stdout).write(f"entries\t{stats['entries']}\n")
    for label, counts in sections:
        rows = [(k, v) for k, v in counts.items()]
        if mode == RICH:
            emit_table((label, "entries"), rows, mode, stream=stream)
        else:
            emit_table(
                (label, "entries"),
                [(f"{label}:{k}", v) for k, v in rows],
                mode,
                header=False,
                stream=stream,
            )
