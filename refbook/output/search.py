"""Rendering of search results: highlighted rich table, tab-separated lines, JSON, keys."""

from __future__ import annotations

import re
import sys
from typing import IO, TYPE_CHECKING

from . import JSON, RICH, emit_json, emit_lines, emit_table, visible, warn

if TYPE_CHECKING:
    from rich.text import Text

    from ..index import SearchResult

COLUMNS = ("key", "authors", "year", "title", "type")


def _highlight(text: str, words: list[str]) -> Text:
    """A rich Text with every occurrence of the query's words (accent-insensitive) in bold."""
    from rich.text import Text

    from ..latex import fold

    text = visible(text)
    out = Text(text)
    folded = fold(text)
    if len(folded) != len(text):  # folding changed lengths (ligatures): no highlighting
        return out
    for word in words:
        for token in re.findall(r"\w+", fold(word)):
            for m in re.finditer(rf"\b{re.escape(token)}", folded):
                out.stylize("bold yellow", m.start(), m.end())
    return out


def render_results(
    result: SearchResult,
    mode: str,
    *,
    keys_only: bool = False,
    count_only: bool = False,
    stream: IO[str] | None = None,
) -> None:
    if count_only:
        if mode == JSON:
            emit_json({"query": result.query, "count": result.total}, stream)
        else:
            (stream or sys.stdout).write(f"{result.total}\n")
        return
    if keys_only:
        emit_lines((h.key for h in result.hits), stream)
        return
    if mode == JSON:
        emit_json(
            {
                "query": result.query,
                "total": result.total,
                "corrections": [{"from": a, "to": b} for a, b in result.corrections],
                "results": [h.to_dict(result.words) for h in result.hits],
            },
            stream,
        )
        return
    if mode == RICH:
        from .tables import Column, draw

        columns = (
            Column("key", "cyan"),
            Column("authors", flexible=True),
            Column("year", "green"),
            Column("title", flexible=True),
            Column("type"),
        )
        highlighted = (
            (
                h.key,
                _highlight(h.authors, result.words),
                str(h.year or ""),
                _highlight(h.title, result.words),
                h.type,
            )
            for h in result.hits
        )
        draw(columns, highlighted, caption=_caption(result), stream=stream)
        return
    rows = [(h.key, h.authors, str(h.year or ""), h.title, h.type) for h in result.hits]
    emit_table(COLUMNS, rows, mode, stream=stream)


def _caption(result: SearchResult) -> str:
    shown = len(result.hits)
    return f"{shown} of {result.total} results" if shown < result.total else f"{shown} results"


def render_corrections(result: SearchResult) -> None:
    """``no match for "talibn"; showing results for "taliban"`` on stderr."""
    for wrong, right in result.corrections:
        warn(f'no match for "{wrong}"; showing results for "{right}"')
