"""All rendering lives here: rich tables on a terminal, plain tab-separated text when
piped or with ``NO_COLOR``, JSON with ``--json``.  Commands hand data to these functions
and never format output themselves.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterable, Sequence
from typing import Any

JSON, RICH, PLAIN = "json", "rich", "plain"


def choose_mode(as_json: bool = False, stream=None) -> str:
    """``json`` when asked; ``rich`` on a colour-capable terminal; else ``plain``."""
    if as_json:
        return JSON
    stream = stream or sys.stdout
    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return PLAIN
    try:
        return RICH if stream.isatty() else PLAIN
    except (AttributeError, ValueError):
        return PLAIN


def console(stderr: bool = False):
    from rich.console import Console

    return Console(stderr=stderr, highlight=False, soft_wrap=False)


def emit_json(data: Any, stream=None) -> None:
    stream = stream or sys.stdout
    # one write: json.dump writes piece by piece, a system call each when stdout is
    # unbuffered (PYTHONUNBUFFERED=1, common in CI and containers): 0.1 s for 500 results
    stream.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")


def emit_lines(lines: Iterable[str], stream=None) -> None:
    stream = stream or sys.stdout
    stream.write("".join(line + "\n" for line in lines))


def _plain_cell(value: Any) -> str:
    # a tab or newline inside a cell would break the columns of the plain format
    return " ".join(str(value if value is not None else "").split())


def emit_table(columns: Sequence[str], rows: Iterable[Sequence[Any]], mode: str, *,
               title: str | None = None, header: bool = True, styles: dict[str, str] | None = None,
               caption: str | None = None) -> None:
    """A table: rich on a terminal, tab-separated lines (header first) when plain."""
    if mode == RICH:
        from rich.table import Table

        table = Table(title=title, caption=caption, show_lines=False, header_style="bold")
        for col in columns:
            table.add_column(col, style=(styles or {}).get(col), overflow="fold")
        for row in rows:
            table.add_row(*[str(c) if c is not None else "" for c in row])
        console().print(table)
        return
    lines = ["\t".join(columns)] if header else []
    lines += ("\t".join(_plain_cell(c) for c in row) for row in rows)
    emit_lines(lines)  # one write: stdout may be unbuffered (PYTHONUNBUFFERED=1)


def busy(message: str):
    """A spinner with ``message`` on stderr while long work runs, on a terminal only
    (stdout may be piped: ``refbook search … | head`` still shows it); a no-op otherwise.
    Use it where the work may take seconds: it is drawn at once."""
    from contextlib import nullcontext

    if choose_mode(stream=sys.stderr) != RICH:
        return nullcontext()
    return console(stderr=True).status(message, spinner="dots")


def warn(message: str) -> None:
    """A one-line message on stderr (problems that do not stop the command)."""
    sys.stderr.write(message.rstrip("\n") + "\n")
