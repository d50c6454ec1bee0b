"""The one renderer (refbook/output/__init__.py): which mode a stream gets, and the text
each mode writes (JSON that is exact and safe, plain tables for pipes, documents written
exactly when piped).  Control characters on a terminal: tests/test_hostile.py."""

from __future__ import annotations

import io
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from refbook.output import (
    JSON,
    PLAIN,
    RICH,
    choose_mode,
    emit_document,
    emit_json,
    emit_table,
    json_text,
    warn,
)


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


class Closed(io.StringIO):
    def isatty(self) -> bool:
        raise ValueError("I/O operation on closed file")


def test_mode_json_when_asked_rich_on_a_terminal_else_plain(monkeypatch):
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")
    assert choose_mode(True, Terminal()) == JSON
    assert choose_mode(False, Terminal()) == RICH
    assert choose_mode(False, io.StringIO()) == PLAIN  # piped or redirected
    assert choose_mode(False, Closed()) == PLAIN
    monkeypatch.setenv("NO_COLOR", "1")
    assert choose_mode(False, Terminal()) == PLAIN
    assert choose_mode(True, Terminal()) == JSON  # NO_COLOR does not turn JSON off
    monkeypatch.delenv("NO_COLOR")
    monkeypatch.setenv("TERM", "dumb")
    assert choose_mode(False, Terminal()) == PLAIN


def test_json_text_is_exact_and_holds_no_raw_control_character():
    data = {"title": "Caf\u00e9 \x1b[31m\x7f\x85 \u2014 \ud83d", "n": 3, "keys": ["a", None]}
    text = json_text(data)
    assert not any(0x7F <= ord(c) <= 0x9F or c == "\x1b" for c in text)
    assert "\\u007f" in text and "\\u0085" in text and "\\ud83d" in text
    assert "Caf\u00e9" in text and "\u2014" in text  # printable text stays readable
    assert json.loads(text) == data
    out = io.StringIO()
    emit_json(data, out)
    assert out.getvalue() == text + "\n"


def test_a_document_is_exact_when_piped_and_visible_on_a_terminal():
    text = "@misc{a,\r\n  note = {bell\x07},\r\n}\n"
    piped = io.StringIO()
    emit_document(text, piped)
    assert piped.getvalue() == text  # a diff or an export must apply / parse as written
    terminal = Terminal()
    emit_document(text, terminal)
    assert terminal.getvalue() == "@misc{a,\r\n  note = {bell\\x07},\r\n}\n"


def test_plain_tables_are_tab_separated_one_row_a_line(capsys):
    rows = [("k1", "two\twords\nand a line", None), ("k2", "esc \x1b[2J", 2019)]
    emit_table(("key", "title", "year"), rows, PLAIN)
    assert capsys.readouterr().out == (
        "key\ttitle\tyear\nk1\ttwo words and a line\t\nk2\tesc \\x1b[2J\t2019\n"
    )
    emit_table(("key",), [("k1",)], PLAIN, header=False)
    assert capsys.readouterr().out == "k1\n"


@pytest.mark.parametrize("message", ["one line\n", "one line"])
def test_warnings_are_one_visible_line_on_stderr(capsys, message):
    warn(message.replace("one", "one\x1b]0;t\x07"))
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == "one\\x1b]0;t\\x07 line\n"


_JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.text(max_size=5), inner, max_size=4)
        | st.dictionaries(st.integers(), inner, max_size=2)
    ),
    max_leaves=12,
)


@given(_JSON_VALUES)
def test_json_text_writes_what_json_dumps_indented_writes(value):
    """json_text writes indented JSON without json's pure-Python encoder: the same text."""
    from refbook.output import _escape_json

    assert json_text(value) == _escape_json(json.dumps(value, ensure_ascii=False, indent=2))


_STRING_CONTAINERS = st.recursive(
    st.text(),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4)
    ),
    max_leaves=16,
)


@given(st.dictionaries(st.text(max_size=5), _STRING_CONTAINERS, max_size=5))
def test_json_text_of_objects_of_strings_is_json_dumps_indented(value):
    """Objects and arrays of strings alone (an entry's fields, its keywords, a name's
    parts) are written by json's C encoder with indenting separators: the same text."""
    from refbook.output import _escape_json

    assert json_text(value) == _escape_json(json.dumps(value, ensure_ascii=False, indent=2))
