"""The .bib as a build reads it: bytes, text, chunks, and the hashes of its blocks.

The chunks are cut only when asked for (``Source.chunks``): an update that finds the
file's head and tail unchanged (by ``block_hashes``, 64 KiB blocks counted from the
start and from the end) cuts only the part between them (``window``).
"""

from __future__ import annotations

import os
import re
import time
from functools import cached_property
from pathlib import Path
from typing import Any

from .chunks import Chunk, split, string_names

try:  # BLAKE2 without hashlib's OpenSSL start-up
    from _blake2 import blake2b
except ImportError:  # not CPython
    from hashlib import blake2b

_CROSSREF = re.compile(r"(?i)\b(?:crossref|xdata)\s*=")
# codecs whose byte offsets can be read back chunk by chunk (no state, no BOM per piece)
_UNSAFE_CODECS = ("utf-16", "utf-32", "utf_16", "utf_32")
# codecs in which the bytes of "\n", space, tab and "@" only ever stand for those
_ASCII_SAFE = frozenset(("utf-8", "ascii", "latin-1", "iso8859-1", "cp1252", "iso8859-15"))
_LONE_CR = re.compile(rb"\r(?!\n)")
BLOCK = 1 << 16


class NotCacheable(Exception):
    """This file is read without a cache (its encoding cannot be sliced by bytes)."""


def inherits(text: str) -> bool:
    """Whether ``text`` has a ``crossref`` or ``xdata`` field (a plain search first: the
    pattern alone takes 0.6 s over 10k entries)."""
    low = text.lower()
    return ("crossref" in low or "xdata" in low) and _CROSSREF.search(text) is not None


def block_hashes(data: bytes, from_end: bool = False) -> str:
    """The hashes of ``data``'s 64 KiB blocks, counted from its start or its end, as
    one string (16 hex digits each)."""
    view = memoryview(data)
    n = len(data)
    ranges = (
        ((max(n - (k + 1) * BLOCK, 0), n - k * BLOCK) for k in range(-(-n // BLOCK)))
        if from_end
        else ((k * BLOCK, min((k + 1) * BLOCK, n)) for k in range(-(-n // BLOCK)))
    )
    return "".join(blake2b(view[a:b], digest_size=8).hexdigest() for a, b in ranges)


def same_blocks(old: str, new: str) -> int:
    """How many leading blocks two ``block_hashes`` strings share."""
    k = 0
    while (
        k * 16 < min(len(old), len(new)) and old[k * 16 : k * 16 + 16] == new[k * 16 : k * 16 + 16]
    ):
        k += 1
    return k


class Source:
    """The .bib as read for a build: its bytes, text and (when asked for) chunks."""

    def __init__(
        self, st: os.stat_result, data: bytes, decoded: Any, text: str, checked_at: float
    ) -> None:
        self.st = st  # taken before reading: a change after it makes the cache stale
        self.checked_at = checked_at  # a moment before the stat and the read
        self.data = data
        self.decoded = decoded  # encoding.Decoded
        self.text = text
        enc = decoded.encoding
        self.offset = len(enc.encode("")) if enc.bom else 0  # bytes of byte-order mark
        self.body: bytes | None = None  # the text's bytes, when ASCII-safe
        if enc.codec.lower().replace("_", "-") in _ASCII_SAFE:
            body = data[self.offset :] if self.offset else data
            self.body = _LONE_CR.sub(b"\n", body) if b"\r" in body else body

    @property
    def codec(self) -> str:
        return self.decoded.encoding.codec

    @cached_property
    def chunks(self) -> list[Chunk]:
        return split(self.text, self.body, self.codec, self.offset)

    @cached_property
    def chunkable(self) -> bool:
        """Chunk by chunk gives what the whole file gives (no notes on its encoding, no
        inheritance, no ``@string`` defined twice)."""
        if self.decoded.notes or inherits(self.text):
            return False
        names = string_names(self.text, self.chunks)
        return len(set(names)) == len(names)

    @cached_property
    def newlines(self) -> int:
        return self.text.count("\n")

    @cached_property
    def heads(self) -> str:
        return block_hashes(self.data)

    @cached_property
    def tails(self) -> str:
        return block_hashes(self.data, from_end=True)

    def layout_meta(self) -> dict[str, str]:
        """The meta rows an update compares the next version of the file with."""
        return {
            "text_length": str(len(self.text)),
            "newlines": str(self.newlines),
            "heads": self.heads,
            "tails": self.tails,
        }


def read_source(bib: str | os.PathLike, name: str, encoding: str | None) -> Source:
    """The .bib read and decoded (NotCacheable: an encoding whose byte offsets cannot be
    read back piece by piece)."""
    from ..blocks import lf_lines
    from ..encoding import read_bytes
    from ..store import _decode

    checked_at = time.time()  # the content is read after this (db.is_racy)
    st = os.stat(bib)  # before reading: a change after this makes the cache stale
    data = read_bytes(Path(bib), "a .bib file")
    decoded = _decode(data, name, encoding)
    if decoded.encoding.codec.lower().startswith(_UNSAFE_CODECS):
        raise NotCacheable(decoded.encoding.codec)
    return Source(st, data, decoded, lf_lines(decoded.text), checked_at)
