"""Rich tables on a terminal, at any size: every table refbook draws comes through ``draw``.

A table of up to ``AT_ONCE`` rows is a rich ``Table`` drawn at once, as it always was.  A
larger one (lint's findings at 100k entries: 235k rows) would make rich lay out every row
before the first is shown (over 1.3 GiB and minutes): it is drawn in batches instead, as
its rows come, with one header and column widths fixed from what is known before the
rows come (``Column.widest``: rule ids from the registry, severities from their enum,
line numbers from the file's size) and from the first ``AT_ONCE`` rows; text columns
(``Column.flexible``) give up width to fit the terminal, and a longer cell wraps within
its column.  The header, the borders and the caption are drawn by rich; the rows are laid
out here, their escape codes written by rich's own ``Style.render`` and a long cell cut as
rich's ``Text.wrap`` cuts it (tests/test_tables.py compares them with rich's own table),
so a batched table looks like rich's own.  While the rows of one come, a spinner under
them on the table's own console says how many were drawn.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from itertools import chain, islice
from typing import IO, TYPE_CHECKING, Any

from rich.cells import cell_len
from rich.text import Text

from . import STREAMING, busy, cell, console, visible

# (this module is imported only when a table is drawn: rich is imported already)
if TYPE_CHECKING:
    from rich.box import Box
    from rich.console import Console
    from rich.status import Status
    from rich.table import Table

# a table of at most this many rows is drawn at once by rich (as it always was); the first
# this many rows of a larger one fix its column widths
AT_ONCE = 1000
# rows written per write of a table drawn in batches
BATCH = 1000


@dataclass(frozen=True)
class Column:
    """A column: its header, its style, the widest a cell of it can be when that is known
    before the rows come (``widest``), and whether it is text that may wrap to fit the
    terminal (``flexible``: titles, messages) rather than a short value."""

    name: str
    style: str | None = None
    widest: int | None = None
    flexible: bool = False


def draw(
    columns: Sequence[Column],
    rows: Iterable[Sequence[Any]],
    *,
    title: str | None = None,
    caption: str | None = None,
    counted: Callable[[int], str] | None = None,
    progress: str | None = None,
    stream: IO[str] | None = None,
) -> None:
    """``rows`` (cells: rich ``Text``, or values shown as ``cell`` shows them) as a rich
    table on ``stream`` (stdout).  ``counted``: the title saying how many rows there are
    (above a table drawn at once; under one drawn in batches, the count known only at its
    end, with ``title`` above).  ``progress``: what the spinner says while rows come: on
    stderr until the first are drawn (``busy``), then, for a table drawn in batches on a
    terminal, under its rows on the table's own console (two spinners, or one on stderr
    between rows on stdout, would garble the screen)."""
    pending = iter(rows)
    with busy(progress) if progress else nullcontext():
        first = list(islice(pending, AT_ONCE + 1))
    con = console(file=stream)
    if len(first) <= AT_ONCE:
        heading = counted(len(first)) if counted is not None else title
        con.print(_table(columns, first, title=heading, caption=caption))
        return
    widths = _widths(columns, first, con.width)
    STREAMING[0] = True  # written while the rows are read (from the library cache, say)
    with _spinner(con, progress) as status:
        _print_lines(con, _frame(con, columns, widths, title=title, header=True), drop=-1)
        layout = _Rows(con, columns, widths)
        drawn = 0
        for batch in _batches(chain(first, pending)):
            _write(con, "".join(layout.lines(row) for row in batch))
            drawn += len(batch)
            if status is not None:
                status.update(cell(f"{progress} {drawn:,} rows"))
        end = " · ".join(filter(None, (counted(drawn) if counted else None, caption)))
        _print_lines(con, _frame(con, columns, widths, caption=end or None), drop=0)


def _table(
    columns: Sequence[Column],
    rows: Iterable[Sequence[Any]],
    *,
    title: str | None = None,
    caption: str | None = None,
    header: bool = True,
    widths: Sequence[int] | None = None,
) -> Table:
    from rich.table import Table

    table = Table(
        title=title, caption=caption, show_lines=False, header_style="bold", show_header=header
    )
    for i, col in enumerate(columns):
        width = widths[i] if widths is not None else None
        table.add_column(col.name, style=col.style, overflow="fold", width=width)
    for row in rows:
        table.add_row(*[c if isinstance(c, Text) else cell(c) for c in row])
    return table


def _frame(
    con: Console,
    columns: Sequence[Column],
    widths: Sequence[int],
    *,
    title: str | None = None,
    caption: str | None = None,
    header: bool = False,
) -> list[Any]:
    """The lines rich draws for a table of no rows: title, top, header and its rule,
    bottom border, caption."""
    table = _table(columns, (), title=title, caption=caption, header=header, widths=widths)
    return con.render_lines(table, con.options, pad=False, new_lines=True)


def _print_lines(con: Console, lines: list[Any], drop: int) -> None:
    """``lines`` of segments printed, but the one at index ``drop`` (a border that the
    rows continue: the bottom under the header, the top above the caption)."""
    from rich.segment import Segments

    del lines[drop]
    con.print(Segments(chain.from_iterable(lines)), crop=False, end="")


def _write(con: Console, text: str) -> None:
    """Text already styled (escape codes from rich's ``Style.render``) written as it is,
    through the console, so that a spinner on it moves below it."""
    from rich.segment import Segment, Segments

    con.print(Segments([Segment(text)]), crop=False, end="")


@contextmanager
def _spinner(con: Console, progress: str | None) -> Iterator[Status | None]:
    """A spinner while the rows of a table drawn in batches come: on the table's console
    when it is a terminal (drawn below the rows as they are printed; it says how many),
    else on stderr (``busy``); none unless asked."""
    if not progress:
        yield None
    elif con.is_terminal:
        with con.status(cell(progress), spinner="dots") as status:
            yield status
    else:
        with busy(progress):
            yield None


def _batches(rows: Iterator[Sequence[Any]]) -> Iterator[list[Sequence[Any]]]:
    while batch := list(islice(rows, BATCH)):
        yield batch


def _shown(value: Any) -> str:
    """A cell's text as ``cell`` shows it."""
    if isinstance(value, Text):
        return value.plain
    return visible(str(value if value is not None else ""))


def _widths(columns: Sequence[Column], rows: Sequence[Sequence[Any]], room: int) -> list[int]:
    """Each column's width: its header, its ``widest`` and the first rows' cells; when
    the table is wider than the terminal, the widest text column gives up a character
    first, then (a terminal narrower than the short values) any column; when narrower,
    the text columns share the rest of the terminal's width."""
    wanted = []
    for i, col in enumerate(columns):
        seen = max(
            (cell_len(line) for row in rows for line in _shown(row[i]).split("\n")), default=0
        )
        wanted.append(max(cell_len(col.name), col.widest or 0, seen))
    room -= 3 * len(columns) + 1  # borders and a space each side of a cell
    floors = [min(w, max(cell_len(c.name), 10)) for w, c in zip(wanted, columns)]
    for shrinks in ([c.flexible for c in columns], [True] * len(columns)):
        while sum(wanted) > room:
            can = [i for i, w in enumerate(wanted) if shrinks[i] and w > floors[i]]
            if not can:
                break
            wanted[max(can, key=lambda i: wanted[i])] -= 1
        floors = [1] * len(columns)
    # room to spare goes to the text columns: a longer text in a later row wraps less
    flexible = [i for i, c in enumerate(columns) if c.flexible]
    spare = room - sum(wanted)
    for n, i in enumerate(flexible):
        wanted[i] += max(spare, 0) // len(flexible) + (n < max(spare, 0) % len(flexible))
    return wanted


class _Rows:
    """Rows laid out in fixed widths: the body lines rich would draw for them."""

    def __init__(self, con: Console, columns: Sequence[Column], widths: Sequence[int]) -> None:
        from rich.box import HEAVY_HEAD
        from rich.console import COLOR_SYSTEMS

        box: Box = HEAVY_HEAD.substitute(con.options, safe=con.safe_box)
        self.con = con
        self.columns = columns
        self.widths = widths
        self.left = box.mid_left + " "
        self.between = " " + box.mid_vertical + " "
        self.right = " " + box.mid_right + "\n"
        self.system = COLOR_SYSTEMS.get(con.color_system or "")
        self.styled: dict[tuple[str | None, Any], tuple[str, str]] = {}

    def lines(self, row: Sequence[Any]) -> str:
        """A row's lines, each ending in a newline."""
        cells = [self._cell(value, col, w) for value, col, w in zip(row, self.columns, self.widths)]
        if all(len(c) == 1 for c in cells):  # the usual row: one line
            return self.left + self.between.join(c[0] for c in cells) + self.right
        height = max(len(c) for c in cells)
        out = []
        for n in range(height):
            parts = [c[n] if n < len(c) else " " * w for c, w in zip(cells, self.widths)]
            out.append(self.left + self.between.join(parts) + self.right)
        return "".join(out)

    def _cell(self, value: Any, col: Column, width: int) -> list[str]:
        """A cell's lines, each ``width`` cells wide."""
        if isinstance(value, Text):
            text: Text | None = value
            plain = value.plain
            style = value.style
        else:
            text, style = None, ""
            plain = visible(str(value if value is not None else ""))
        if not plain:
            return [" " * width]
        if "\n" not in plain and "\t" not in plain:
            ascii = plain.isascii()
            used = len(plain) if ascii else cell_len(plain)
            plain_style = text is None or not text.spans
            if used <= width and plain_style:
                before, after = self._codes(col.style, style)
                return [before + plain + after + " " * (width - used)]
            if used <= width and text is not None:  # one line, parts styled (search's words)
                return [self._spanned(text, col) + " " * (width - used)]
            if ascii and plain_style:  # (lint's longer messages: every other row at 100k)
                before, after = self._codes(col.style, style)
                return [
                    before + line + after + " " * (width - len(line)) if line else " " * width
                    for line in _ascii_lines(plain, width)
                ]
        return self._wrapped(text if text is not None else Text(plain), col, width)

    def _spanned(self, text: Text, col: Column) -> str:
        """A one-line text with styled spans: each stretch in its style, the spans over
        it combined after the text's own in their order, as ``Text.render`` combines them."""
        plain = text.plain
        cuts = sorted(
            {
                0,
                len(plain),
                *(min(max(n, 0), len(plain)) for s in text.spans for n in (s.start, s.end)),
            }
        )
        parts = []
        for start, end in zip(cuts, cuts[1:]):
            styles = (
                text.style,
                *(s.style for s in text.spans if s.start <= start and s.end >= end),
            )
            before, after = self._codes(col.style, styles)
            parts.append(before + plain[start:end] + after)
        return "".join(parts)

    def _wrapped(self, text: Text, col: Column, width: int) -> list[str]:
        """A cell that takes more than a line: wrapped as rich wraps it in a table."""
        out = []
        for line in text.wrap(self.con, width, overflow="fold"):
            parts = []
            used = 0
            for segment in line.render(self.con, end=""):
                if not segment.text:  # (rich writes no codes around nothing)
                    continue
                # the line's own style under its spans' (rich's join makes it a span)
                before, after = self._codes(col.style, (line.style, segment.style))
                parts.append(before + segment.text + after)
                used += cell_len(segment.text)
            out.append("".join(parts) + " " * max(width - used, 0))
        return out or [" " * width]

    def _codes(self, column: str | None, style: Any) -> tuple[str, str]:
        """The escape codes before and after a text in ``style`` (or in styles combined
        in order: a tuple) in a column styled ``column``, as rich writes them (none
        without colours)."""
        key = (column, style)
        codes = self.styled.get(key)
        if codes is None:
            from rich.style import Style

            styles = style if isinstance(style, tuple) else (style,)
            combined = Style.combine(
                [self.con.get_style(column) if column else Style()]
                + [self.con.get_style(s) if s else Style() for s in styles]
            )
            if self.con.no_color:
                combined = combined.without_color
            text = combined.render("\0", color_system=self.system) if self.system else "\0"
            before, _, after = text.partition("\0")
            codes = self.styled[key] = (before, after)
        return codes


# a word and the white space after it, as rich's wrap reads words (``rich._wrap``)
_WORD = re.compile(r"\s*\S+\s*")
_TRAILING = re.compile(r"\s+$")


def _ascii_lines(plain: str, width: int) -> list[str]:
    """An ASCII text without tabs or newlines cut into lines of ``width`` as rich's
    ``Text.wrap(overflow="fold")`` cuts it (words kept whole when they fit a line,
    folded when longer; tests/test_tables.py compares the two), without its Text
    objects: a fifth of the time."""
    breaks = []
    used = 0
    for match in _WORD.finditer(plain):
        start, word = match.start(), match.group()
        length = len(word.rstrip())
        if width - used >= length:
            used += len(word)
        elif length > width:  # folded: a piece of ``width`` a line
            pieces = [word[i : i + width] for i in range(0, len(word), width)]
            for piece in pieces[:-1]:
                if start:
                    breaks.append(start)
                start += len(piece)
            if start:
                breaks.append(start)
            used = len(pieces[-1])
        elif used and start:
            breaks.append(start)
            used = len(word)
    cuts = [0, *breaks, len(plain)]
    lines = []
    for begin, end in zip(cuts, cuts[1:]):
        line = plain[begin:end]
        if len(line) > width:  # trailing white space beyond the width dropped, then cut
            trailing = _TRAILING.search(line)
            if trailing is not None:
                line = line[: len(line) - min(len(trailing.group()), len(line) - width)]
            line = line[:width]
        lines.append(line)
    return lines
