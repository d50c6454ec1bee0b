r"""LaTeX to plain Unicode, for display and search: ``Schr{\"o}der`` -> ``Schröder``;
and the folded form that matching compares (``fold``).

pylatexenc decides what every construct means.  It is exact but slow (a pure-Python
tokenizer: about 0.25 ms for a short title), which is most of the cost of a first search
of a TeX-heavy file.  So values are decoded in one of two ways:

- a fast path for the LaTeX that bibliographies mostly contain (braces, ties, dashes and
  quotes, accents on one letter, argument-less macros such as ``\TeX``, ``\ss``,
  ``\&``), where each macro's text is *asked of pylatexenc once* and memoised;
- pylatexenc on the whole value for anything else (comments, macros with arguments
  other than an accent, unbalanced braces, a paragraph break).

TeX math is taken out first and converted on its own (see below).

``tests/test_latex.py`` checks that both give the same text on every value of the real
corpora and on generated LaTeX.  One deliberate difference from pylatexenc: a bare ``&``
(a LaTeX error that BibTeX users make all the time) stays ``&`` instead of vanishing as
a table column separator; and a bare ``%`` stays ``%`` instead of cutting the rest of
the line as a comment (refbook writes ``\%``, see ``refbook.plaintext``; ``lint`` reports
a bare one).

Beyond pylatexenc's defaults, as pandoc's BibLaTeX reader reads them: biblatex's
commands (``\mkbibquote``/``\enquote`` give quotation marks, ``\hyphen`` a hyphen,
``\noopsort{..}`` and the other sorting tricks nothing, ``\adddot`` a full stop...), a
backtick opens a quotation (```word'`` -> ‘word’), and TeX math is converted to
Unicode as pandoc's plain output shows it (``$\mathrm{cm}^{-1}$`` -> ``cm⁻¹``,
``$<$`` -> ``<``; ``refbook.texmath`` converts it, and its ``math_to_rich`` gives the CSL
rich-text form, ``cm<sup>−1</sup>``); math that cannot be converted (``\frac``, unknown
macros) stays as written, with its dollars, as pandoc leaves it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from functools import cache, lru_cache
from typing import Any

# Logos and names that pylatexenc does not know, so would drop: "The \TeX book" would
# become "The book" and a search for "tex" would miss it.  The names texnames.sty and
# hologo define, as commonly typeset.
LOGOS = {
    "TeX": "TeX",
    "LaTeX": "LaTeX",
    "LaTeXe": "LaTeX2ε",
    "BibTeX": "BibTeX",
    "AmSTeX": "AmS-TeX",
    "AMSTeX": "AMS-TeX",
    "AmSLaTeX": "AmS-LaTeX",
    "AmS": "AmS",
    "LAMSTeX": "LAMS-TeX",
    "SliTeX": "SliTeX",
    "SLITEX": "SliTeX",
    "PiCTeX": "PiCTeX",
    "MF": "METAFONT",
    "METAFONT": "METAFONT",
    "MP": "METAPOST",
    "METAPOST": "METAPOST",
    "MetaPost": "MetaPost",
    "ConTeXt": "ConTeXt",
    "eTeX": "ε-TeX",
    "pdfTeX": "pdfTeX",
    "pdfLaTeX": "pdfLaTeX",
    "XeTeX": "XeTeX",
    "XeLaTeX": "XeLaTeX",
    "LuaTeX": "LuaTeX",
    "LuaLaTeX": "LuaLaTeX",
    "BibLaTeX": "BibLaTeX",
    "LyX": "LyX",
    "TeXLive": "TeX Live",
}

# The text-mode commands for ASCII characters that pylatexenc drops or turns into another
# character (\textasciicircum gives U+02C6): as LaTeX prints them, and pandoc reads them.
TEXT_SYMBOLS = {
    "textasciicircum": "^",
    "textquotedbl": '"',
    "textbar": "|",
    "textless": "<",
    "textgreater": ">",
    "textunderscore": "_",
    "textbraceleft": "{",
    "textbraceright": "}",
}

# Text ligatures pylatexenc turns into characters (its "specials"), read left to right,
# longest first
TEXT_LIGATURES = {
    "---": "\u2014",
    "--": "\u2013",
    "``": "\u201c",
    "''": "\u201d",
    "!`": "\u00a1",
    "?`": "\u00bf",
    "~": " ",
}
_TEXT_SPECIAL = re.compile("|".join(map(re.escape, TEXT_LIGATURES)))
_TOKEN = re.compile(r"\\([^\W\d_]+)(\s*)|\\(.)|([{}])|([^\\{}]+)", re.DOTALL)
# names the LaTeX walker itself treats specially (environments, verbatim, math)
_PARSER_SPECIAL = frozenset({"begin", "end", "verb", "(", ")", "[", "]"})
_NEEDS_PARSING = re.compile(r"[\\$%{}]")
_NEEDS_PYLATEXENC = re.compile(r"[$]|\\$|\n\s*\n")
_converter = None


@lru_cache(maxsize=65536)  # names and journal titles repeat a lot in real bibliographies
def to_text(value: str) -> str:
    """LaTeX and braces to plain Unicode with white space collapsed: ``{TTP}`` -> ``TTP``,
    ``Mu\\d{h}ammad`` -> ``Muḥammad``, ``21--36`` -> ``21–36``, ``$x^2$`` -> ``x²``."""
    if "`" in value:
        value = _quotes(value)
    if not _NEEDS_PARSING.search(value):
        return _collapse(_plain(value))  # most values: plain text, ties, dashes, quotes
    value, maths = _extract_math(value)
    text = _fast(value)
    if text is None:
        text = _decode(value)
    return _collapse(_restore_math(text, maths))


def fold(text: str) -> str:
    """Accent- and case-insensitive form for matching: ``Schröder`` -> ``schroder``."""
    if text.isascii():  # nothing to decompose, no combining mark (lint: a call per title)
        return text.casefold()
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def decode_with_pylatexenc(value: str) -> str:
    """The reference decoding (not collapsed), with refbook's logos, biblatex's commands,
    TeX math, ``&`` and ``%`` kept."""
    value, maths = _extract_math(_quotes(value) if "`" in value else value)
    return _restore_math(_decode(value), maths)


def _decode(value: str) -> str:
    """pylatexenc on text without math (math was taken out by ``_extract_math``)."""
    try:
        text = _pylatexenc().latex_to_text(
            BARE_SPECIAL.sub(r"\1\\\2", value), latex_context=_walker_db()
        )
    except Exception:  # pylatexenc is tolerant, but never let display crash on odd input
        text = value.replace("{", "").replace("}", "")
    return text


# an ``&`` or ``%`` not escaped by a backslash (``\\%`` is a line break, then a bare ``%``)
BARE_SPECIAL = re.compile(r"(?<!\\)((?:\\\\)*)([&%])")


def _collapse(text: str) -> str:
    return " ".join(text.replace("\xa0", " ").split())


def _plain(text: str) -> str:
    return _TEXT_SPECIAL.sub(lambda m: TEXT_LIGATURES[m.group()], text)


def _fast(value: str) -> str | None:
    """Decode ``value`` when it uses only the common subset, else None."""
    if _NEEDS_PYLATEXENC.search(value):
        return None
    out: list[str] = []
    depth = 0
    tokens = _TOKEN.findall(value)
    i, n = 0, len(tokens)
    while i < n:
        word, _space, symbol, brace, text = tokens[i]
        i += 1
        if text:
            out.append(_plain(text))
        elif brace:
            depth += 1 if brace == "{" else -1
            if depth < 0:
                return None
        else:
            name = word or symbol
            kind = _macro_kind(name)
            if kind is None:
                return None
            if kind == "":
                out.append(_macro_text(name))
                continue
            # an accent: its argument is one character, {character}, {}, \i or {\i}
            arg, i = _accent_argument(tokens, i)
            if arg is None:
                return None
            out.append(_accent_text(name, arg))
    if depth != 0:
        return None
    return "".join(out)


def _accent_argument(tokens: list[tuple[str, ...]], i: int) -> tuple[str | None, int]:
    if i >= len(tokens):
        return None, i
    word, _space, symbol, brace, text = tokens[i]
    if text:
        if text[0].isspace() or text[0] in "-`'!?~":  # blanks, or a ligature such as --
            return None, i
        # split the first character off the text token, which stays for the next round
        rest = text[1:]
        if rest:
            tokens[i] = ("", "", "", "", rest)
            return text[0], i
        return text[0], i + 1
    if word in ("i", "j"):
        return "\\" + word, i + 1
    if brace == "{":
        inner = tokens[i + 1] if i + 1 < len(tokens) else None
        if inner and inner[3] == "}":
            return "", i + 2
        closing = tokens[i + 2] if i + 2 < len(tokens) else None
        if inner and closing and closing[3] == "}":
            if inner[4] and len(inner[4]) == 1 and not inner[4].isspace():
                return inner[4], i + 3
            if inner[0] in ("i", "j") and not inner[1]:
                return "\\" + inner[0], i + 3
    return None, i


@cache
def _macro_kind(name: str) -> str | None:
    """'' for a macro without arguments, 'accent' for one taking a single mandatory
    argument that pylatexenc turns into an accented character, None for the rest."""
    if name in LOGOS or name in TEXT_SYMBOLS:
        return ""
    if name in _PARSER_SPECIAL:
        return None
    spec = _walker_db().get_macro_spec(name)
    argspec = getattr(getattr(spec, "args_parser", None), "argspec", "") if spec else ""
    if not argspec:
        return ""
    if argspec == "{" and _accented(name):
        return "accent"
    return None


@cache
def _accented(name: str) -> bool:
    result = unicodedata.normalize("NFD", decode_with_pylatexenc("\\" + name + "{e}"))
    return len(result) > 1 and result[0] == "e" and all(map(unicodedata.combining, result[1:]))


@cache
def _macro_text(name: str) -> str:
    return decode_with_pylatexenc("\\" + name + "{}")


@cache
def _accent_text(name: str, arg: str) -> str:
    return decode_with_pylatexenc("\\" + name + "{" + arg + "}")


def _pylatexenc() -> Any:
    global _converter
    if _converter is None:
        import logging

        # pylatexenc logs a warning for each macro it cannot expand (``\url{}``); the
        # text it returns is still the best there is, and the warnings would land in the
        # middle of refbook's output
        logging.getLogger("pylatexenc").addHandler(logging.NullHandler())
        logging.getLogger("pylatexenc").propagate = False
        from pylatexenc.latex2text import (
            LatexNodes2Text,
            MacroTextSpec,
            get_default_latex_context_db,
        )

        db = get_default_latex_context_db()
        db.add_context_category(
            "refbook-logos",
            prepend=True,
            macros=[MacroTextSpec(name, simplify_repl=text) for name, text in LOGOS.items()],
        )
        db.add_context_category(
            "refbook-symbols",
            prepend=True,
            macros=[MacroTextSpec(name, simplify_repl=text) for name, text in TEXT_SYMBOLS.items()],
        )
        db.add_context_category(
            "refbook-biblatex",
            prepend=True,
            macros=[
                MacroTextSpec(name, simplify_repl=_last_argument(repl) if "%s" in repl else repl)
                for name, (_args, repl) in BIBLATEX_MACROS.items()
            ],
        )
        _converter = LatexNodes2Text(
            latex_context=db, math_mode="verbatim", strict_latex_spaces=False
        )
    return _converter


# biblatex's (and BibTeX users') commands in data, as pandoc's LaTeX reader reads them:
# name -> (argument spec, text; %s is the argument).  \noopsort and its kin exist to
# sort: they print nothing.
BIBLATEX_MACROS: dict[str, tuple[str, str]] = {
    "noopsort": ("{", ""),
    "SortNoop": ("{", ""),
    "sortnoop": ("{", ""),
    "noop": ("{", ""),
    "NoOpSort": ("{", ""),
    "nosort": ("{", ""),
    "hyphen": ("", "-"),
    "hyph": ("", "-"),
    "nbhyphen": ("", "-"),
    "hyphenate": ("", "-"),
    "mkbibquote": ("{", "\u201c%s\u201d"),
    "enquote": ("*{", "\u201c%s\u201d"),
    "textquote": ("{", "\u201c%s\u201d"),
    "mkbibemph": ("{", "%s"),
    "mkbibitalic": ("{", "%s"),
    "mkbibbold": ("{", "%s"),
    "mkbibparens": ("{", "(%s)"),
    "mkbibbrackets": ("{", "[%s]"),
    "mkbibsuperscript": ("{", "%s"),
    "mkbibacro": ("{", "%s"),
    "autocap": ("{", "%s"),
    "textnormal": ("{", "%s"),
    "adddot": ("", "."),
    "addperiod": ("", "."),
    "addcomma": ("", ","),
    "addcolon": ("", ":"),
    "addsemicolon": ("", ";"),
    "addspace": ("", " "),
    "addnbspace": ("", " "),
    "addthinspace": ("", " "),
    "addnbthinspace": ("", " "),
    "adddotspace": ("", ". "),
    "addabbrvspace": ("", " "),
    "addslash": ("", "/"),
    "addhyphen": ("", "-"),
    "addendash": ("", "\u2013"),
    "textendash": ("", "\u2013"),
    "textemdash": ("", "\u2014"),
    "textasciigrave": ("", "`"),
    "nopp": ("", ""),
    "index": ("[{", ""),
    "label": ("{", ""),
    "glossary": ("{", ""),
    "bibstring": ("{", "%s"),
    "biblstring": ("{", "%s"),
    "bibsstring": ("{", "%s"),
}
_walker = None


def _last_argument(template: str) -> Callable[[Any, Any], str]:
    """A pylatexenc text replacement: ``template`` around the macro's last argument (so that
    a star or an optional argument before it does not count)."""

    def replace(node: Any, l2tobj: Any) -> str:
        args = [a for a in getattr(node.nodeargd, "argnlist", None) or [] if a is not None]
        inner = l2tobj.nodelist_to_text([args[-1]]) if args else ""
        return template.replace("%s", inner)

    return replace


def _walker_db() -> Any:
    """pylatexenc's parser context with the argument specs of ``BIBLATEX_MACROS``."""
    global _walker
    if _walker is None:
        from pylatexenc import macrospec
        from pylatexenc.latexwalker import get_default_latex_context_db

        db = get_default_latex_context_db()
        db.add_context_category(
            "refbook-biblatex",
            prepend=True,
            macros=[
                macrospec.MacroSpec(name, args) for name, (args, _repl) in BIBLATEX_MACROS.items()
            ],
        )
        _walker = db
    return _walker


# -- quotation marks ----------------------------------------------------------------------

# a backtick that is a quotation mark (not ``, !`, ?` or the accent \`), and the ' that
# closes it
_BACKTICK = re.compile(r"(?<![\\`!?])`(?!`)(?:([^`']*)'(?!'))?")


def _quotes(value: str) -> str:
    """A backtick opens a quotation in TeX: ```word'`` -> ‘word’, as TeX prints it and
    pandoc reads it (read from the source, so that ``\\`{}``, a literal backtick, stays)."""
    return _BACKTICK.sub(
        lambda m: "\u2018" if m.group(1) is None else "\u2018" + m.group(1) + "\u2019", value
    )


# an accent on nothing prints the accent itself: \`{} is a backtick, \~{} a tilde
_SPACING_ACCENT = re.compile(r"\\([`'^~\"=.])\{\}")
_SPACING_ACCENTS = {
    "`": "`",
    "'": "\u00b4",
    "^": "^",
    "~": "~",
    '"': "\u00a8",
    "=": "\u00af",
    ".": "\u02d9",
}


# -- TeX math -------------------------------------------------------------------------------

# $...$, \(...\), $$...$$, \[...\]; a dollar escaped as \$ is not a delimiter
MATH = re.compile(
    r"(?<!\\)\$\$(.+?)(?<!\\)\$\$|(?<!\\)\$(.+?)(?<!\\)\$|\\\((.+?)\\\)|"
    r"\\\[(.+?)\\\]",
    re.S,
)
_PLACEHOLDER = 0xE000  # private-use characters stand for math while the text is decoded


def split_math(value: str) -> list[tuple[bool, str]]:
    """(is_math, text) pieces: math without its delimiters, text as written."""
    out: list[tuple[bool, str]] = []
    pos = 0
    for m in MATH.finditer(value):
        if m.start() > pos:
            out.append((False, value[pos : m.start()]))
        out.append((True, next(g for g in m.groups() if g is not None)))
        pos = m.end()
    if pos < len(value):
        out.append((False, value[pos:]))
    return out


def _extract_math(value: str) -> tuple[str, list[str]]:
    """Math (and accents on nothing, ``\\`{}``) replaced by placeholders, which the LaTeX
    decoding passes through; ``_restore_math`` puts their text back."""
    maths: list[str] = []
    if "{}" in value and _SPACING_ACCENT.search(value):

        def spacing(m: re.Match) -> str:
            if len(maths) >= 6400:
                return m.group(0)
            maths.append(_SPACING_ACCENTS[m.group(1)])
            return chr(_PLACEHOLDER + len(maths) - 1)

        value = _SPACING_ACCENT.sub(spacing, value)
    if "$" not in value and "\\(" not in value and "\\[" not in value:
        return value, maths

    from .texmath import math_to_text  # (here: texmath reads latex's macro tables)

    def hold(m: re.Match) -> str:
        if len(maths) >= 6400:
            return m.group(0)
        tex = next(g for g in m.groups() if g is not None)
        text = math_to_text(tex)
        maths.append(text if text is not None else m.group(0))
        return chr(_PLACEHOLDER + len(maths) - 1)

    return MATH.sub(hold, value), maths


def _restore_math(text: str, maths: list[str]) -> str:
    for i, math in enumerate(maths):
        text = text.replace(chr(_PLACEHOLDER + i), math)
    return text
