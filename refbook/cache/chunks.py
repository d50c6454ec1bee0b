"""A .bib's text cut into chunks at each line that starts with ``@``, hashed.

bibtexparser aborts any block at a line that starts with ``@`` (after optional
whitespace), so a file that parses without a problem parses chunk by chunk exactly as
it does whole: the cache keeps each chunk's entries under the chunk's hash and parses
only the chunks it has not seen.  A chunk's entries also depend on the ``@string``
macros above it, so each chunk carries ``ctx``: a hash of every ``@string`` chunk
before it.
"""

from __future__ import annotations

import re
from typing import NamedTuple

try:  # BLAKE2 without hashlib's OpenSSL start-up
    from _blake2 import blake2b
except ImportError:  # not CPython
    from hashlib import blake2b

_NL_AT = re.compile(r"\n[ \t\r\f\v]*@")  # the line after the newline starts with @
_NL_AT_BYTES = re.compile(rb"\n[ \t\r\f\v]*@")
_STRING = re.compile(r"[ \t\r\f\v]*@string[ \t]*[{(]", re.I)
_STRING_BYTES = re.compile(rb"[ \t\r\f\v]*@string[ \t]*[{(]", re.I)
_STRING_NAME = re.compile(r"[ \t\r\f\v]*@string[ \t]*[{(]\s*([^\s=#{}(),\"]+)", re.I)


class Chunk(NamedTuple):  # a tuple: 100k of them are made on every update
    start: int  # offset in the text
    end: int
    line: int  # 1-based line of its first character
    hash: str  # of the chunk's bytes (in the file's encoding)
    ctx: str  # of the @string chunks above it
    is_string: bool
    ident: str  # "hash:ctx": what the cache knows the chunk by
    bstart: int  # offset in the file's bytes


def split(
    text: str, body: bytes | None = None, codec: str = "utf-8", offset: int = 0
) -> list[Chunk]:
    """``text`` (line ends already LF or CRLF, as ``store._lf_lines`` makes them) in
    chunks, in file order, covering the whole text.  ``body``: the same text as bytes
    (after ``offset`` bytes of byte-order mark) when ``codec`` writes newlines, blanks and
    ``@`` as the ASCII bytes and nothing else with them: the chunks are then found and
    hashed in it without encoding each again."""
    starts = [0, *[m.start() + 1 for m in _NL_AT.finditer(text)], len(text)]
    bstarts = None
    if body is not None:
        found = [0, *[m.start() + 1 for m in _NL_AT_BYTES.finditer(body)], len(body)]
        bstarts = found if len(found) == len(starts) else None
    chunks: list[Chunk] = []
    strings = blake2b(digest_size=12)
    ctx = strings.hexdigest()
    line = 1
    pos = offset
    for k in range(len(starts) - 1):
        a, z = starts[k], starts[k + 1]
        if a == z:
            continue
        if bstarts is not None and body is not None:
            ba, bz = bstarts[k], bstarts[k + 1]
            raw = body[ba:bz]
            bpos = offset + ba
            newlines = body.count(b"\n", ba, bz)
            is_string = _STRING_BYTES.match(body, ba, bz) is not None
        else:
            piece = text[a:z]
            raw = piece.encode(codec, "surrogatepass")
            bpos = pos
            newlines = piece.count("\n")
            is_string = _STRING.match(piece) is not None
        pos = bpos + len(raw)
        digest = blake2b(raw, digest_size=16).hexdigest()
        chunks.append(Chunk(a, z, line, digest, ctx, is_string, f"{digest}:{ctx}", bpos))
        if is_string:
            strings.update(raw)
            ctx = strings.hexdigest()
        line += newlines
    return chunks


def string_names(text: str, chunks: list[Chunk]) -> list[str]:
    """The names the ``@string`` chunks define (lower case), in order."""
    names = []
    for c in chunks:
        if c.is_string:
            m = _STRING_NAME.match(text, c.start, c.end)
            names.append(m.group(1).lower() if m else "")
    return names


def split_part(
    text: str, body: bytes, ctx: str, line: int, start: int, bstart: int
) -> list[Chunk] | None:
    """The chunks of a part of a file (``text`` and its bytes ``body``, starting at a
    chunk's start: character ``start``, byte ``bstart``, ``line``, below ``@string``
    context ``ctx``), as ``split`` cuts the whole; None when it has an ``@string`` chunk
    (those change every chunk below) or its bytes do not cut as its text does."""
    starts = [0, *[m.start() + 1 for m in _NL_AT.finditer(text)], len(text)]
    bstarts = [0, *[m.start() + 1 for m in _NL_AT_BYTES.finditer(body)], len(body)]
    if len(starts) != len(bstarts):
        return None
    chunks: list[Chunk] = []
    for k in range(len(starts) - 1):
        a, z = starts[k], starts[k + 1]
        if a == z:
            continue
        ba, bz = bstarts[k], bstarts[k + 1]
        if _STRING_BYTES.match(body, ba, bz) is not None:
            return None
        digest = blake2b(body[ba:bz], digest_size=16).hexdigest()
        chunks.append(
            Chunk(start + a, start + z, line, digest, ctx, False, f"{digest}:{ctx}", bstart + ba)
        )
        line += body.count(b"\n", ba, bz)
    return chunks
