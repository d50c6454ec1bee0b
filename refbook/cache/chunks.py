"""A .bib's text cut into chunks at each line that starts with ``@``, hashed.

bibtexparser aborts any block at a line that starts with ``@`` (after optional
whitespace), so a file that parses without a problem parses chunk by chunk exactly as
it does whole: the cache keeps each chunk's entries under the chunk's hash and parses
only the chunks it has not seen.  A chunk's entries also depend on the ``@string``
macros above it, so each chunk carries ``ctx``: a hash of every ``@string`` chunk
before it.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

_NL_AT = re.compile(r"\n[ \t\r\f\v]*@")  # the line after the newline starts with @
_STRING = re.compile(r"[ \t\r\f\v]*@string[ \t]*[{(]", re.I)
_STRING_NAME = re.compile(r"[ \t\r\f\v]*@string[ \t]*[{(]\s*([^\s=#{}(),\"]+)", re.I)


@dataclass(frozen=True)
class Chunk:
    start: int  # offset in the text
    end: int
    line: int  # 1-based line of its first character
    hash: str  # of the chunk's text
    ctx: str  # of the @string chunks above it
    is_string: bool
    ident: str  # "hash:ctx": what the cache knows the chunk by


def split(text: str) -> list[Chunk]:
    """``text`` (line ends already LF or CRLF, as ``store._lf_lines`` makes them) in
    chunks, in file order, covering the whole text."""
    starts = [0, *[m.start() + 1 for m in _NL_AT.finditer(text)], len(text)]
    chunks: list[Chunk] = []
    strings = hashlib.blake2b(digest_size=12)
    ctx = strings.hexdigest()
    line = 1
    for a, b in zip(starts, starts[1:]):
        if a == b:
            continue
        piece = text[a:b]
        digest = hashlib.blake2b(piece.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()
        is_string = _STRING.match(piece) is not None
        chunks.append(Chunk(a, b, line, digest, ctx, is_string, f"{digest}:{ctx}"))
        if is_string:
            strings.update(piece.encode("utf-8", "surrogatepass"))
            ctx = strings.hexdigest()
        line += piece.count("\n")
    return chunks


def string_names(text: str, chunks: list[Chunk]) -> list[str]:
    """The names the ``@string`` chunks define (lower case), in order."""
    names = []
    for c in chunks:
        if c.is_string:
            m = _STRING_NAME.match(text, c.start, c.end)
            names.append(m.group(1).lower() if m else "")
    return names
