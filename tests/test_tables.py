"""Terminal tables at any size (refbook/output/tables.py): a small table looks as rich
draws it; a large one (lint's 235k findings at 100k entries) is drawn in batches as its
rows come, with one header and columns that line up from the first row to the last."""

from __future__ import annotations

import io
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.text import Text

from refbook.findings import Finding, Severity
from refbook.output import RICH, cell, console, emit_table
from refbook.output.findings import render, streams
from refbook.output.tables import AT_ONCE, Column, _Rows

SGR = re.compile(r"\x1b\[[0-9;]*m")
LONG_RULE = "a-rule-with-a-long-id"


class Terminal(io.StringIO):
    """A terminal that notes how many rows its producer had given at its first row."""

    def __init__(self) -> None:
        super().__init__()
        self.consumed = 0
        self.consumed_at_first_row: int | None = None

    def isatty(self) -> bool:
        return True

    def write(self, text: str) -> int:
        if self.consumed_at_first_row is None and "│" in SGR.sub("", text):
            self.consumed_at_first_row = self.consumed
        return super().write(text)


def counting(rows, terminal: Terminal):
    for row in rows:
        terminal.consumed += 1
        yield row


@pytest.fixture(autouse=True)
def _width(monkeypatch):
    monkeypatch.setenv("COLUMNS", "100")
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")


def boundaries(line: str) -> list[int]:
    """Where a line's column rules are, in terminal cells (a CJK character takes two)."""
    from rich.cells import cell_len

    found, at = [], 0
    for c in line:
        if c in "│┃":
            found.append(at)
        at += cell_len(c)
    return found


def test_a_large_table_is_drawn_in_batches_with_one_header_and_aligned_columns():
    n = 3 * AT_ONCE + 17
    terminal = Terminal()
    rows = [
        (
            f"key{i}",
            "A title that goes on " * (12 if i % 97 == 0 else 1) + str(i),
            2000 + i % 25,
            {5: "esc \x1b[2J", 7: "tab\tthere", 8: "日本語の題名"}.get(i, "article"),
        )
        for i in range(n)
    ]
    columns = (Column("key", "cyan", widest=len(f"key{n}")), Column("title", flexible=True))
    emit_table((*columns, "year", "type"), counting(rows, terminal), RICH, stream=terminal)
    # rows reached the terminal before the last one was made (nothing held them all)
    assert terminal.consumed == n
    assert terminal.consumed_at_first_row is not None
    assert terminal.consumed_at_first_row <= AT_ONCE + 1 < n
    lines = SGR.sub("", terminal.getvalue()).splitlines()
    assert [line for line in lines if "┃" in line] == [lines[1]]  # one header
    assert lines[1].split() == ["┃", "key", "┃", "title", "┃", "year", "┃", "type", "┃"]
    assert lines[0].startswith("┏") and lines[2].startswith("┡") and lines[-1].startswith("└")
    body = lines[3:-1]
    assert all(line.startswith("│") for line in body)
    # every line of every batch has the same column boundaries, within the terminal
    assert {tuple(boundaries(line)) for line in body} == {tuple(boundaries(lines[1]))}
    from rich.cells import cell_len

    assert all(cell_len(line) == cell_len(lines[1]) <= 100 for line in lines)
    keys = [line.split("│")[1].strip() for line in body]
    assert [k for k in keys if k] == [f"key{i}" for i in range(n)]
    assert "esc \\x1b[2J" in terminal.getvalue()  # a control character shown, not sent
    assert "\x1b[2J" not in terminal.getvalue()
    # a long title wraps within its column: the words all there, in order
    first_long = [line.split("│")[2].strip() for line in body[: body.index(body[0]) + 4]]
    assert " ".join(first_long).startswith("A title that goes on A title")


def test_many_findings_on_a_terminal_stream_into_one_table_counted_at_its_end():
    n = 2 * AT_ONCE + 3
    terminal = Terminal()
    found = [
        Finding(
            "refs.bib", 10 * i + 1, Severity.WARNING, "missing-annotation", "no annotation", f"k{i}"
        )
        for i in range(n)
    ]
    found[AT_ONCE + 50] = Finding(
        "refs.bib", 99999999, Severity.ERROR, "duplicate-doi", "same DOI as k1 " * 9, "k"
    )
    assert streams("table", terminal)  # lint hands the table its findings as they come
    rules = {"missing-annotation": "", "duplicate-doi": "", LONG_RULE: ""}
    render(counting(found, terminal), "table", tool="refbook lint", rules=rules, stream=terminal)
    assert terminal.consumed_at_first_row is not None
    assert terminal.consumed_at_first_row < n
    lines = SGR.sub("", terminal.getvalue()).splitlines()
    assert lines[0].strip() == "refbook lint"
    assert lines[-1].strip() == f"refbook lint: {n} finding(s)"
    assert sum("┃ location" in line for line in lines) == 1
    table = lines[1:-1]
    assert len({len(line) for line in table}) == 1
    assert len({tuple(boundaries(line)) for line in table if line.startswith("│")}) == 1
    # the rule column was as wide as the longest rule id from the start
    header = next(line for line in lines if "┃ location" in line)
    assert header.split("┃")[3] == " rule" + " " * (len(LONG_RULE) - 3)
    assert "\x1b[31merror" in terminal.getvalue()  # rich's own colour for the severity


def test_a_small_table_looks_as_rich_draws_it():
    from rich.table import Table

    rows = [("k1", "Title \x1b]0;x\x07", 2001), ("k2", "Another, rather longer title", None)]
    terminal = Terminal()
    emit_table(
        ("key", "title", "year"), rows, RICH, styles={"key": "cyan"}, caption="2", stream=terminal
    )
    expected = Terminal()
    table = Table(caption="2", show_lines=False, header_style="bold")
    for name in ("key", "title", "year"):
        table.add_column(name, style="cyan" if name == "key" else None, overflow="fold")
    for row in rows:
        table.add_row(*[cell(c) for c in row])
    console(file=expected).print(table)
    assert terminal.getvalue() == expected.getvalue()
    assert terminal.consumed_at_first_row is not None


@settings(max_examples=300, deadline=None)
@given(
    st.text(alphabet=st.sampled_from("ab ,.-x  "), max_size=120),
    st.integers(min_value=1, max_value=30),
    st.sampled_from(["", "yellow", "bold red"]),
)
def test_a_long_cell_wraps_as_rich_wraps_it(text, width, style):
    """Lint's longer messages are laid out without rich's Text objects: the same lines."""
    rows = _Rows(console(file=Terminal()), [Column("message", "cyan")], [width])
    column = Column("message", "cyan")
    ours = rows._cell(Text(text, style=style), column, width)
    assert ours == rows._wrapped(Text(text, style=style), column, width)
    # the lines of rich's own table of that cell, and the cell's colour on its words
    from rich.table import Table

    table = Table(show_header=False)
    table.add_column(style="cyan", width=width, overflow="fold")
    table.add_row(Text(text, style=style))
    drawn = Terminal()
    console(file=drawn).print(table)
    body = drawn.getvalue().splitlines()[1:-1]
    assert [SGR.sub("", line)[2:-2] for line in body] == [SGR.sub("", c) for c in ours]
    if style and text.strip():
        assert {"yellow": "\x1b[33m", "bold red": "\x1b[1;31m"}[style] in "".join(ours)
