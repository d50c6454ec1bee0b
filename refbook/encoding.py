"""Text files in any encoding: read them, say how they were read, write them back the same way.

One helper decodes every text file refbook reads: the .bib, manuscripts (``cite-check``,
``render``, ``rename --in``, ``export --cited-in``) and files given to ``add``.  The
encoding is chosen, in this order:

1. the one the user gives (``--encoding``, or the ``encoding`` setting for the .bib);
2. a byte-order mark (UTF-8, UTF-16 or UTF-32, little- or big-endian);
3. a declaration in the file's first comment lines: JabRef's ``% Encoding: windows-1252``
   header, or an Emacs ``-*- coding: latin-1 -*-`` cookie;
4. UTF-8;
5. for manuscripts and imported files only: the encoding charset-normalizer detects (the
   caller is told, to say so).  A .bib is never read by guesswork, since it is written
   back: the error names the likely encoding and how to choose it.

Decoding is strict, and a file is only accepted in an encoding that gives back exactly its
bytes when the text is encoded again, so that a no-op save is byte-identical and an edit
changes only the edited bytes.  ``Encoding.encode`` writes text back with the file's own
codec and byte-order mark.

A little over 500 lines on purpose: the order above, the encoding names and the messages
that name the likely encoding are one decision, kept in one place.
"""

from __future__ import annotations

import codecs
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from .errors import InputError, UsageError

UTF8 = "utf-8"

# byte-order marks, longest first (the UTF-32-LE mark starts with the UTF-16-LE one)
_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_BOM_OF = {codec: bom for bom, codec in _BOMS}

# Python's codec names as people write them (codecs.lookup gives "cp1252" for
# "windows-1252"; messages use the name users and iconv know)
_DISPLAY = {
    "cp1250": "windows-1250",
    "cp1251": "windows-1251",
    "cp1252": "windows-1252",
    "cp1253": "windows-1253",
    "cp1254": "windows-1254",
    "cp1255": "windows-1255",
    "cp1256": "windows-1256",
    "cp1257": "windows-1257",
    "cp1258": "windows-1258",
    "iso8859-1": "latin-1",
    "latin-1": "latin-1",
    "iso8859-15": "iso-8859-15",
    "iso8859-2": "iso-8859-2",
    "mac-roman": "macroman",
    "ascii": "us-ascii",
}
# among encodings that read a file equally well, the one a bibliography most likely has
_PREFERRED = (
    "utf-8",
    "cp1252",
    "iso8859-1",
    "iso8859-15",
    "cp1250",
    "iso8859-2",
    "cp1251",
    "koi8-r",
    "gb18030",
    "gbk",
    "big5",
    "cp932",
    "shift_jis",
    "euc_jp",
    "cp949",
    "euc_kr",
    "mac-roman",
)
# the multi-byte East Asian encodings: a short file's few bytes read "well" in them by chance
_MULTIBYTE = (
    "gb18030",
    "gbk",
    "big5",
    "big5hkscs",
    "cp932",
    "shift_jis",
    "euc_jp",
    "euc_kr",
    "cp949",
)
# the encodings a bibliography or manuscript plausibly has: DOS and EBCDIC code pages
# read the few accented letters of a short file "as well" but are never what it is
_PLAUSIBLE = (
    "utf_8",
    "utf_16",
    "utf_16_le",
    "utf_16_be",
    "utf_32",
    "utf_32_le",
    "utf_32_be",
    "cp1250",
    "cp1251",
    "cp1252",
    "cp1253",
    "cp1254",
    "cp1255",
    "cp1256",
    "cp1257",
    "cp1258",
    "latin_1",
    "iso8859_2",
    "iso8859_4",
    "iso8859_5",
    "iso8859_7",
    "iso8859_9",
    "iso8859_13",
    "iso8859_15",
    "iso8859_16",
    "koi8_r",
    "koi8_u",
    "mac_roman",
    "cp874",
    *_MULTIBYTE,
)
# Emacs and Java spell some names differently from Python
_ALIASES = {
    "iso-latin-1": "latin-1",
    "iso-latin-9": "iso8859-15",
    "latin-9": "iso8859-15",
    "utf-8-with-signature": "utf-8-sig",
    "mule-utf-8": "utf-8",
    "x-macroman": "mac-roman",
}
_HEADER = re.compile(rb"^[ \t]*%[ \t]*Encoding:[ \t]*([A-Za-z0-9_.:+-]+)", re.I)
_COOKIE = re.compile(rb"-\*-.*?\bcoding:[ \t]*([A-Za-z0-9_.:+-]+).*?-\*-")


@dataclass(frozen=True)
class Encoding:
    """How a file's text is stored: a Python codec and whether a byte-order mark leads."""

    codec: str = UTF8  # canonical Python name (codecs.lookup(...).name)
    bom: bool = False
    source: str = "default"  # option | bom | declared | detected | default

    @property
    def name(self) -> str:
        """The name users know (``windows-1252``), accepted by ``--encoding`` too."""
        base = _DISPLAY.get(self.codec, self.codec)
        return f"{base} with BOM" if self.bom and base == UTF8 else base

    @property
    def is_utf8(self) -> bool:
        return self.codec == UTF8

    def encode(self, text: str) -> bytes:
        """The file's bytes for ``text`` (``UnicodeEncodeError`` when it cannot hold it)."""
        data = text.encode(self.codec)
        return _BOM_OF.get(self.codec, b"") + data if self.bom else data

    def to_dict(self) -> dict[str, object]:
        return {"encoding": self.name, "codec": self.codec, "bom": self.bom, "source": self.source}


@dataclass(frozen=True)
class Decoded:
    """A file's text, the encoding it was read with, and remarks worth a warning."""

    text: str
    encoding: Encoding
    notes: tuple[str, ...] = field(default=())


def lookup(name: str) -> str | None:
    """The canonical Python codec for an encoding name (Python, iconv, Java, Emacs
    spellings), or None when there is no such codec (or it is not a text encoding)."""
    low = name.strip().lower()
    low = re.sub(r"-(unix|dos|mac)$", "", low)  # Emacs end-of-line variants
    low = _ALIASES.get(low, low)
    for candidate in (low, re.sub(r"^latin-(\d+)$", r"latin\1", low), low.removeprefix("x-")):
        try:
            info = codecs.lookup(candidate)
        except LookupError:
            continue
        if not getattr(info, "_is_text_encoding", True):
            return None  # rot13, base64...: not a way of storing text
        return info.name
    return None


def check_name(name: str, where: str = "--encoding") -> str:
    """``name`` if it names a text encoding, else a ``UsageError`` saying so."""
    if lookup(name) is None:
        raise UsageError(
            f"error: {where}: unknown encoding {name!r} (examples: utf-8, "
            "windows-1252, latin-1, utf-16, gb18030)"
        )
    return name


def display(codec: str) -> str:
    return _DISPLAY.get(codec, codec)


# -- choosing the encoding ------------------------------------------------------------------


def _bom(data: bytes) -> tuple[str, int] | None:
    for bom, codec in _BOMS:
        if data.startswith(bom):
            return codec, len(bom)
    return None


def _declared(data: bytes) -> tuple[str, str] | None:
    """(name, where) of an encoding the file declares in its first comment lines:
    JabRef's ``% Encoding:`` header (read among the leading ``%`` lines, as JabRef does)
    or an Emacs coding cookie on the first two lines."""
    head = data[:4096].split(b"\n", 20)[:20]
    for i, line in enumerate(head):
        if i < 2:
            m = _COOKIE.search(line)
            if m:
                return m.group(1).decode("ascii"), "its -*- coding: -*- line"
        stripped = line.strip()
        if not stripped:
            continue
        m = _HEADER.match(line)
        if m:
            return m.group(1).decode("ascii"), "its % Encoding: header"
        if not stripped.startswith(b"%"):
            return None
    return None


def likely_encodings(data: bytes) -> list[str]:
    """Codecs that read ``data`` plausibly, the likeliest first (charset-normalizer, with
    ties between equally good readings broken toward the encodings bibliographies have)."""
    from charset_normalizer import from_bytes

    results = list(from_bytes(data[: 1 << 20], cp_isolation=list(_PLAUSIBLE)))
    if not results:
        return []
    best = results[0]
    tied: list[str] = []
    # with few non-ASCII bytes the measures are noise (8 GBK bytes read "best" as Korean):
    # near ties go to the encodings bibliographies are most often written in
    few = sum(1 for byte in data[: 1 << 20] if byte > 0x7F) < 200
    for r in results:
        margin = 0.1 if few and r.encoding in _MULTIBYTE else 0.02
        if r.chaos - best.chaos <= margin and best.coherence - r.coherence < 0.1:
            tied += [r.encoding, *r.could_be_from_charset]
    canonical = [c for c in (lookup(n) for n in dict.fromkeys(tied)) if c]

    def rank(codec: str) -> int:
        return _PREFERRED.index(codec) if codec in _PREFERRED else len(_PREFERRED)

    ordered = sorted(dict.fromkeys(canonical), key=rank)
    rest = [c for c in (lookup(r.encoding) for r in results[1:]) if c and c not in ordered]
    return [c for c in ordered + rest if _round_trips(data, c)]


def _round_trips(data: bytes, codec: str) -> bool:
    try:
        return data.decode(codec).encode(codec) == data
    except (UnicodeError, LookupError):
        return False


def _line_of(data: bytes, offset: int, codec: str) -> int:
    """1-based line of a byte offset (newlines counted in the codec's own bytes)."""
    newline = (
        "\n".encode(codec) if codec.startswith("utf-16") or codec.startswith("utf-32") else b"\n"
    )
    return data.count(newline, 0, offset) + 1


def _suggest(data: bytes, exclude: str | None, option: str) -> str:
    """``option`` is how the user gives an encoding: ``--encoding`` or, for the .bib,
    ``refbook --encoding`` (a format with ``{0}`` for the name may add more)."""
    likely = [c for c in likely_encodings(data) if c != exclude]
    if not likely:
        return f"give the file's encoding with {_hint(option, 'ENC')}"
    name = display(likely[0])
    return f"it looks like {name}: use {_hint(option, name)}"


def _hint(option: str, name: str) -> str:
    return option.format(name) if "{0}" in option else f"{option} {name}"


def decode(
    data: bytes,
    name: str,
    encoding: str | None = None,
    *,
    detect: bool = False,
    option: str = "--encoding",
    near: Callable[[str, int], str] | None = None,
    what: str = "BibTeX",
) -> Decoded:
    """Decode a file's bytes.  ``encoding`` is the user's choice (wins over anything the
    file says); ``detect`` allows charset-normalizer's guess when nothing else works (not
    for a .bib).  ``option`` is how the user chooses, for the messages; ``near(text,
    line)`` adds context (the nearest key) to an error at ``line``.  Errors are
    ``InputError``s naming the file, the line and the likely encoding.

    Longer than most functions on purpose: it is the order of precedence itself (the
    user's choice, byte-order mark, declaration, UTF-8, detection), read top to bottom."""
    notes: list[str] = []
    if encoding:
        codec = lookup(encoding)
        if codec is None:
            check_name(encoding)
        assert codec is not None
        return _strict(
            data,
            name,
            _explicit(data, codec),
            near,
            option,
            what,
            f"as {display(codec)}, the encoding given",
        )
    found = _bom(data)
    if found is not None:
        codec, size = found
        return _strict(
            data,
            name,
            Encoding(codec, True, "bom"),
            near,
            option,
            what,
            f"as {display(codec)} (it starts with a {display(codec)} byte-order mark)",
        )
    declared = _declared(data)
    said = ""  # "as declared in ...", when the file says it is UTF-8 and is not
    if declared is not None:
        label, where = declared
        codec = lookup(label)
        if codec is None:
            notes.append(
                f"{name}: warning: unknown encoding {label!r} declared in {where}; read as UTF-8"
            )
        elif codec == "utf-8-sig":
            codec = UTF8
        if codec in (UTF8, "ascii"):
            said = f", though declared in {where}"
        if codec is not None and codec not in (UTF8, "ascii"):
            enc = Encoding(codec, False, "declared")
            result = _strict(
                data, name, enc, near, option, what, f"as {display(codec)} (declared in {where})"
            )
            if not data.isascii() and _is_utf8(data):
                notes.append(
                    f"{name}: warning: declares {display(codec)} in {where} but its "
                    f"text is UTF-8; read as {display(codec)} as declared "
                    f"({_hint(option, 'utf-8')} if the declaration is out of date)"
                )
            return Decoded(result.text, enc, (*notes, *result.notes))
    if b"\x00" in data:
        return _wide_or_binary(data, name, option, what, detect, notes)
    try:
        text = data.decode(UTF8)
    except UnicodeDecodeError as exc:
        if detect:
            guessed = _detected(data, name, option)
            if guessed is not None:
                return Decoded(guessed.text, guessed.encoding, (*notes, *guessed.notes))
        line = data.count(b"\n", 0, exc.start) + 1
        context = near(data[: exc.start].decode(UTF8, "replace"), line) if near else ""
        raise InputError(
            f"{name}:{line}: error: not UTF-8{said} (byte "
            f"0x{data[exc.start]:02X}{context}); {_suggest(data, UTF8, option)}"
        ) from None
    return Decoded(text, Encoding(UTF8, False, "default"), tuple(notes))


def _explicit(data: bytes, codec: str) -> Encoding:
    """The encoding for a codec the user named: its own byte-order mark is kept aside
    (``utf-16`` means the order the mark gives, little-endian without one)."""
    found = _bom(data)
    family = {"utf-8-sig": UTF8, "utf-16": "utf-16", "utf-32": "utf-32"}.get(codec, codec)
    if found is not None and found[0].startswith(family):
        return Encoding(found[0], True, "option")
    if family in ("utf-16", "utf-32"):
        return Encoding(f"{family}-le", False, "option")
    return Encoding(family, False, "option")


def _strict(
    data: bytes,
    name: str,
    enc: Encoding,
    near: Callable[[str, int], str] | None,
    option: str,
    what: str,
    how: str,
) -> Decoded:
    """Decode with one encoding, strictly and losslessly, or say why not."""
    body = data[len(_BOM_OF.get(enc.codec, b"")) :] if enc.bom else data
    try:
        text = body.decode(enc.codec)
    except UnicodeDecodeError as exc:
        start = exc.start + (len(data) - len(body))
        line = _line_of(data, start, enc.codec)
        context = near(body[: exc.start].decode(enc.codec, "replace"), line) if near else ""
        raise InputError(
            f"{name}:{line}: error: cannot be read {how}: byte "
            f"0x{data[start]:02X}{context}; "
            f"{_suggest(data, enc.codec, option)}"
        ) from None
    if not enc.is_utf8 and text.encode(enc.codec) != body:
        raise InputError(
            f"{name}: error: cannot be read {how} and written back unchanged "
            f"(some byte sequences have two readings); "
            f"{_suggest(data, enc.codec, option)}"
        )
    _refuse_binary(text, name, what)
    return Decoded(text, enc)


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode(UTF8)
    except UnicodeDecodeError:
        return False
    return True


def _refuse_binary(text: str, name: str, what: str) -> None:
    nul = text.find("\x00")
    if nul >= 0:
        line = text.count("\n", 0, nul) + 1
        raise InputError(f"{name}:{line}: error: binary data (NUL byte); this is not a {what} file")


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f\ufffe\uffff]")


def _is_text(text: str) -> bool:
    """No control characters but tab, line ends and form feed: text, not binary data."""
    return _CONTROL.search(text) is None


def _wide_by_nuls(data: bytes) -> str | None:
    """UTF-16/32 without a byte-order mark, told by where its NUL bytes are: mostly
    Latin-script text has a NUL in the high byte of nearly every character."""
    sample = data[: 1 << 16]
    n = len(sample) // 4 * 4
    if n < 8:
        return None
    sample = sample[:n]
    at = [sample[i::4].count(0) / (n // 4) for i in range(4)]
    if at[1] > 0.9 and at[2] > 0.9 and at[3] > 0.9 and at[0] < 0.1:
        return "utf-32-le"
    if at[0] > 0.9 and at[1] > 0.9 and at[2] > 0.9 and at[3] < 0.1:
        return "utf-32-be"
    even, odd = (at[0] + at[2]) / 2, (at[1] + at[3]) / 2
    if odd > 0.5 and even < 0.05:
        return "utf-16-le"
    if even > 0.5 and odd < 0.05:
        return "utf-16-be"
    return None


def _decodes_to_text(data: bytes, codec: str) -> bool:
    try:
        return _is_text(data.decode(codec))
    except UnicodeDecodeError:
        return False


def _wide_or_binary(
    data: bytes, name: str, option: str, what: str, detect: bool, notes: list[str]
) -> Decoded:
    """NUL bytes without a byte-order mark: UTF-16/32 text that lacks its mark, or binary."""
    wide = [c for c in [_wide_by_nuls(data)] if c and _decodes_to_text(data, c)]
    if wide and detect:
        return Decoded(
            data.decode(wide[0]),
            Encoding(wide[0], False, "detected"),
            (
                *notes,
                f"{name}: warning: read as {display(wide[0])} (detected; no "
                f"byte-order mark; {_hint(option, 'ENC')} to choose)",
            ),
        )
    line = data.count(b"\n", 0, data.index(b"\x00")) + 1
    if wide:
        raise InputError(
            f"{name}:{line}: error: looks like {display(wide[0])} without a "
            f"byte-order mark: use {_hint(option, display(wide[0]))}"
        )
    raise InputError(f"{name}:{line}: error: binary data (NUL byte); this is not a {what} file")


def _detected(data: bytes, name: str, option: str) -> Decoded | None:
    for codec in likely_encodings(data):
        if codec == UTF8:
            continue
        text = data.decode(codec)
        if not _is_text(text):
            continue
        return Decoded(
            text,
            Encoding(codec, False, "detected"),
            (
                f"{name}: warning: not UTF-8; read as {display(codec)} (detected; "
                f"{_hint(option, 'ENC')} to choose)",
            ),
        )
    return None


def read_text(
    path: str | os.PathLike,
    encoding: str | None = None,
    *,
    detect: bool = True,
    option: str = "--encoding",
    what: str = "text",
) -> Decoded:
    """Read a text file that is not the bibliography (a manuscript, a file to import):
    ``encoding`` if given, else by byte-order mark, declaration, UTF-8, or detection.
    Unreadable files are ``InputError``s (exit 3) with one line naming the file."""
    p = str(path)
    return decode(read_bytes(p), p, encoding, detect=detect, option=option, what=what)


def holds_text(path: str | os.PathLike, text: str, encoding: str | None = None) -> bool:
    """Whether ``read_text(path, encoding).text`` is known to be ``text`` without reading
    the file whole: when it would be read as UTF-8 (no encoding given but UTF-8, no
    byte-order mark, no other encoding declared, no NUL) and its bytes are ``text``'s,
    compared a piece at a time (a 74 MB .bib the editor has open: its bytes and their
    text held beside the editor's were 150 MB more at once).  False: not known (read it)."""
    if encoding is not None and lookup(encoding) != UTF8:
        return False
    if text.startswith("\ufeff") or "\x00" in text:
        return False  # (a byte-order mark is read apart; a NUL is not text)
    try:
        with open(path, "rb") as fh:
            head = fh.read(4096)
            declared = _declared(head)
            if _bom(head) is not None or (
                declared is not None
                and lookup(declared[0]) not in (None, UTF8, "ascii", "utf-8-sig")
            ):
                return False
            fh.seek(0)
            step = 1 << 20
            for start in range(0, len(text), step):
                piece = text[start : start + step].encode(UTF8)
                if fh.read(len(piece)) != piece:
                    return False
            return fh.read(1) == b""
    except (OSError, UnicodeEncodeError):  # (a lone surrogate: no UTF-8 reading gives it)
        return False


def read_bytes(path: str | os.PathLike, kind: str = "") -> bytes:
    """A file's bytes; what stops reading it is an ``InputError`` naming the file (``kind``,
    e.g. "a .bib file", completes "is a directory, not ...")."""
    from pathlib import Path

    p = str(path)
    try:
        return Path(p).read_bytes()
    except IsADirectoryError:
        raise InputError(
            f"{p}: error: is a directory" + (f", not {kind}" if kind else "")
        ) from None
    except FileNotFoundError:
        raise InputError(f"{p}: error: no such file") from None
    except PermissionError:
        raise InputError(f"{p}: error: permission denied") from None
    except OSError as exc:
        raise InputError(f"{p}: error: cannot read ({exc.strerror})") from None
