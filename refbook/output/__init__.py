"""All rendering lives here: rich tables on a terminal, plain tab-separated text when
piped or with ``NO_COLOR``, JSON with ``--json``.  Commands hand data to these functions
and never format output themselves.

A .bib from someone else is untrusted input, and so are file names and what servers
answer: every human-readable output shows control characters visibly (``visible``), rich
never reads markup from data (``cell``), JSON escapes them (``json_text``), and documents
(``show --bibtex``, exports, ``fmt``) are written exactly unless stdout is a terminal
(``emit_document``).
"""

from __future__ import annotations

import io
import json
import os
import re
import sys
from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager
from dataclasses import replace
from itertools import chain
from typing import IO, TYPE_CHECKING, Any

from ..controls import control_pattern, maybe_control_pattern

if TYPE_CHECKING:
    from rich.console import Console
    from rich.text import Text

    from .tables import Column

JSON, RICH, PLAIN = "json", "rich", "plain"
# set by a writer that writes while what it writes is still being read (a stream from
# the library cache): a damaged cache found after that cannot be answered again
# (``cache.recover``); the other renderers write once everything is read
STREAMING = [False]


def choose_mode(as_json: bool = False, stream: IO[str] | None = None) -> str:
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


# the control characters of refbook/controls.py, and lone surrogates (undecodable bytes of
# a file name), which no stream could encode
_CONTROL = control_pattern(r"\ud800-\udfff")
_MAYBE_CONTROL = maybe_control_pattern(r"\ud800-\udfff")


def _escape_control(m: re.Match[str]) -> str:
    code = ord(m.group())
    if 0xDC80 <= code <= 0xDCFF:  # a byte os.fsdecode could not decode: show the byte
        code -= 0xDC00
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def visible(text: str) -> str:
    """``text`` safe to show on a terminal: each control character written as a visible
    escape (ESC as ``\\x1b``, as git and curl do, U+202E as ``\\u202e``), so that no value
    can move the cursor, clear the screen, retitle the window, make a hyperlink or reorder
    what is shown.  Tab and newline stay."""
    if _MAYBE_CONTROL.search(text) is None:  # the usual case: one quick scan, no copy
        return text
    return _CONTROL.sub(_escape_control, text)


def cell(value: Any, style: str = "") -> Text:
    """A value as rich text: shown as written (never read as rich markup such as
    ``[link=…]``), its control characters visible."""
    from rich.text import Text

    return Text(visible(str(value if value is not None else "")), style=style)


_JSON_UNESCAPED = re.compile(r"[\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def json_text(data: Any) -> str:
    """``data`` as indented JSON.  json escapes C0 controls; DEL, C1 controls,
    bidirectional overrides and isolates, and lone surrogates are escaped too (the values stay exact), so no raw control character
    reaches a terminal and every value can be encoded."""
    try:
        text = _indented(data, "\n")
    except TypeError:  # a key that is not a string (json converts it), or no JSON value
        text = json.dumps(data, ensure_ascii=False, indent=2)
    return _escape_json(text)


_STRING = json.encoder.encode_basestring  # json's own (C) string encoder, ensure_ascii=False


_FLAT: dict[str, Any] = {}


def _flat(inner: str) -> Any:
    """json's C encoder writing an object or array of strings with its items on lines
    indented as ``inner`` says (``indent`` would make json use its Python encoder; item
    separators of any text keep the C one)."""
    encode = _FLAT.get(inner)
    if encode is None:
        encoder = json.JSONEncoder(ensure_ascii=False, separators=("," + inner, ": "))
        encode = _FLAT[inner] = encoder.encode
    return encode


def _indented(value: Any, newline: str) -> str:
    """``json.dumps(value, ensure_ascii=False, indent=2)``, the same text, without the
    pure-Python encoder that ``indent`` makes json use (3x slower: the library cache
    writes every entry's JSON when it is built)."""
    if isinstance(value, str):
        return _STRING(value)
    if isinstance(value, dict):
        if not value:
            return "{}"
        inner = newline + "  "
        if all(type(v) is str for v in value.values()):  # most objects: json's C encoder
            return "{" + inner + _flat(inner)(value)[1:-1] + newline + "}"
        items = [
            f"{_STRING(k)}: {_STRING(v) if type(v) is str else _indented(v, inner)}"
            for k, v in value.items()
        ]
        return "{" + inner + ("," + inner).join(items) + newline + "}"
    if isinstance(value, (list, tuple)):
        if not value:
            return "[]"
        inner = newline + "  "
        if all(type(v) is str for v in value):
            return "[" + inner + _flat(inner)(value)[1:-1] + newline + "]"
        items = [_STRING(v) if type(v) is str else _indented(v, inner) for v in value]
        return "[" + inner + ("," + inner).join(items) + newline + "]"
    return json.dumps(value)  # numbers, true, false, null (and errors) as json writes them


class RecordText(str):
    """A record of ``json_records_text`` encoded beforehand (``record_text``): ``check``
    encodes its results while it waits on the network, not all of them at the end."""


def record_text(record: Any) -> RecordText:
    return RecordText(_RECORD(record))


_RECORD = json.JSONEncoder(ensure_ascii=False).encode


def json_records_text(data: dict[str, Any]) -> str:
    """``data``, an object whose lists hold records, as JSON with each record on a line of
    its own (escaped as ``json_text`` escapes).  For thousands of records: ``json.dumps``
    with ``indent`` runs the pure-Python encoder, about ten times slower than the C
    encoder used here record by record (0.3 s for 5,000 check results)."""
    dump = _RECORD
    parts = []
    for name, value in data.items():
        if isinstance(value, list) and value:
            items = ",\n    ".join(
                item if isinstance(item, RecordText) else dump(item) for item in value
            )
            parts.append(f"  {dump(name)}: [\n    {items}\n  ]")
        else:
            parts.append(f"  {dump(name)}: {dump(value)}")
    return _json_escaped("{\n" + ",\n".join(parts) + "\n}")


def json_record_items(records: Iterable[Any]) -> str:
    """Records as ``json_records_text`` writes the items of a list (one a line, the
    lines after the first indented, escaped as it escapes): a document written a batch
    of records at a time is the same text.  (Escaping a piece at a time is escaping the
    whole: what is escaped is one character at a time.)"""
    dump = _RECORD
    return _json_escaped(
        ",\n    ".join(item if isinstance(item, RecordText) else dump(item) for item in records)
    )


def _json_escaped(text: str) -> str:
    if text.isascii() or _JSON_UNESCAPED.search(text) is None:  # isascii: ~1000x faster
        return text
    return _JSON_UNESCAPED.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def console(stderr: bool = False, file: IO[str] | None = None) -> Console:
    """A rich console on stdout (``stderr``: on stderr; ``file``: on that stream)."""
    from rich.console import Console

    return Console(stderr=stderr, file=file, highlight=False, soft_wrap=False)


def emit_json(data: Any, stream: IO[str] | None = None) -> None:
    stream = stream or sys.stdout
    # one write: json.dump writes piece by piece, a system call each when stdout is
    # unbuffered (PYTHONUNBUFFERED=1, common in CI and containers): 0.1 s for 500 results
    stream.write(json_text(data) + "\n")


def emit_json_texts(texts: Iterable[str], stream: IO[str] | None = None) -> None:
    """A JSON array whose items come as ``json_text(item)`` texts (the library cache
    keeps entries so): the same bytes as ``emit_json`` of the items, written in pieces
    as they come, never all held at once."""
    stream = stream or sys.stdout
    batch: list[str] = []
    size = 0
    first = True
    for text in texts:
        piece = ("[\n  " if first else ",\n  ") + text.replace("\n", "\n  ")
        first = False
        batch.append(piece)
        size += len(piece)
        if size > 1 << 20:
            STREAMING[0] = True
            stream.write("".join(batch))
            batch, size = [], 0
    batch.append("[]\n" if first else "\n]\n")
    stream.write("".join(batch))


def utf8_stdout() -> IO[bytes] | None:
    """Standard output's bytes, when what is written to it as text is written as UTF-8
    and unchanged (no newline translation): large outputs made of UTF-8 bytes (the
    library cache's) then go out without being decoded and encoded again."""
    import codecs

    stdout = sys.stdout
    encoding = getattr(stdout, "encoding", None)
    buffer = getattr(stdout, "buffer", None)
    if os.name != "posix" or buffer is None or not encoding:
        return None
    try:
        if codecs.lookup(encoding).name != "utf-8" or stdout.errors not in (
            "strict",
            "surrogateescape",
        ):
            return None
    except LookupError:
        return None
    stdout.flush()
    return buffer


def emit_json_items(batches: Iterable[list[Any]], stream: IO[Any] | None = None) -> None:
    """A JSON array of items already written as its items (indented once more, as
    ``emit_json_texts`` writes them), given in batches of text, or of UTF-8 bytes when
    ``stream`` is ``utf8_stdout()``: written in large blocks."""
    binary = stream is not None and not isinstance(stream, io.TextIOBase)
    out: IO[Any] = stream or sys.stdout
    first = True
    for batch in batches:
        if batch:
            head = "[\n  " if first else ",\n  "
            text = head + ",\n  ".join(batch) if not binary else None
            STREAMING[0] = True
            out.write(text if text is not None else head.encode() + b",\n  ".join(batch))
            first = False
    end = "[]\n" if first else "\n]\n"
    out.write(end.encode() if binary else end)


def _escape_json(text: str) -> str:
    """DEL, C1 controls and lone surrogates escaped, as ``json_text`` does."""
    if _JSON_UNESCAPED.search(text) is None:  # the usual case: one scan, no copy
        return text
    return _JSON_UNESCAPED.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def emit_lines(lines: Iterable[str], stream: IO[str] | None = None) -> None:
    """Lines of human-readable text (control characters made visible), written in a few
    large pieces (stdout may be unbuffered: PYTHONUNBUFFERED=1), never all held at once
    (``list`` at 100k entries: 8 MB of text)."""
    stream = stream or sys.stdout
    batch: list[str] = []
    size = 0
    for line in lines:
        batch.append(line)
        size += len(line)
        if size > 1 << 20:
            stream.write(visible("\n".join(batch) + "\n"))
            batch, size = [], 0
    if batch:
        stream.write(visible("\n".join(batch) + "\n"))


def emit_document(text: str, stream: IO[str] | None = None) -> None:
    """A document (BibTeX source, an export, a diff): written exactly when piped or
    redirected, with its control characters visible on a terminal."""
    stream = stream or sys.stdout
    try:
        tty = stream.isatty()
    except (AttributeError, ValueError):
        tty = False
    stream.write(visible(text) if tty else text)


def emit_document_parts(parts: Iterable[str], stream: IO[str] | None = None) -> None:
    """``emit_document`` for a document given in pieces (a large export): written piece
    by piece when piped or redirected (never held whole), joined on a terminal."""
    stream = stream or sys.stdout
    try:
        tty = stream.isatty()
    except (AttributeError, ValueError):
        tty = False
    if tty:
        emit_document("".join(parts), stream)
        return
    for part in parts:
        STREAMING[0] = True
        stream.write(part)


def _plain_cell(value: Any) -> str:
    # a tab or newline inside a cell would break the columns of the plain format (the
    # other control characters are made visible once, over the whole table: emit_lines)
    return " ".join(str(value if value is not None else "").split())


def emit_table(
    columns: Sequence[str | Column],
    rows: Iterable[Sequence[Any]],
    mode: str,
    *,
    title: str | None = None,
    header: bool = True,
    styles: dict[str, str] | None = None,
    caption: str | None = None,
    stream: IO[str] | None = None,
) -> None:
    """A table on ``stream`` (stdout): rich on a terminal (``tables.draw``: at any size),
    tab-separated lines (header first) when plain.  A column is its header, or a
    ``tables.Column`` (how wide its cells can be, whether its text may wrap)."""
    from .tables import Column, draw

    named = [c if isinstance(c, Column) else Column(c) for c in columns]
    if mode == RICH:
        styled = [
            c if c.style or not styles or c.name not in styles else replace(c, style=styles[c.name])
            for c in named
        ]
        draw(styled, rows, title=title, caption=caption, stream=stream)
        return
    body = ("\t".join(_plain_cell(c) for c in row) for row in rows)
    emit_lines(chain(["\t".join(c.name for c in named)] if header else [], body), stream)


def busy(message: str) -> AbstractContextManager[object]:
    """A spinner with ``message`` on stderr while long work runs, on a terminal only
    (stdout may be piped: ``refbook search … | head`` still shows it); a no-op otherwise.
    Use it where the work may take seconds: it is drawn at once."""
    from contextlib import nullcontext

    if choose_mode(stream=sys.stderr) != RICH:
        return nullcontext()
    return console(stderr=True).status(cell(message), spinner="dots")


def warn(message: str) -> None:
    """A one-line message on stderr (problems that do not stop the command)."""
    sys.stderr.write(visible(message.rstrip("\n")) + "\n")
