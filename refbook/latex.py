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
``$<$`` -> ``<``; ``math_to_rich`` gives the CSL rich-text form, ``cm<sup>−1</sup>``);
math that cannot be converted (``\frac``, unknown macros) stays as written, with its
dollars, as pandoc leaves it.
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
_TEXT_SPECIALS = {
    "---": "\u2014",
    "--": "\u2013",
    "``": "\u201c",
    "''": "\u201d",
    "!`": "\u00a1",
    "?`": "\u00bf",
    "~": " ",
}
_TEXT_SPECIAL = re.compile("|".join(map(re.escape, _TEXT_SPECIALS)))
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
    return _TEXT_SPECIAL.sub(lambda m: _TEXT_SPECIALS[m.group()], text)


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


@lru_cache(maxsize=4096)
def math_to_text(tex: str) -> str | None:
    """TeX math as plain Unicode (``\\mathrm{cm}^{-1}`` -> ``cm⁻¹``), or None when it uses
    something that has no plain form (``\\frac``, an unknown macro)."""
    atoms = _math_atoms(tex)
    return None if atoms is None else _render_math(atoms, rich=False)


@lru_cache(maxsize=4096)
def math_to_rich(tex: str) -> str | None:
    """TeX math as CSL rich text (``cm<sup>−1</sup>``), or None (see ``math_to_text``)."""
    atoms = _math_atoms(tex)
    return None if atoms is None else _render_math(atoms, rich=True)


# what texmath (pandoc's math library) makes of the symbols, where pylatexenc differs
_MATH_SYMBOLS = {
    "cdot": "\u22c5",
    "ne": "\u2260",
    "neq": "\u2260",
    "neg": "\u00ac",
    "lnot": "\u00ac",
    "iff": "\u27fa",
    "colon": ":",
    "prime": "\u2032",
    "lbrace": "{",
    "rbrace": "}",
    "{": "{",
    "}": "}",
    "|": "\u2016",
    "lvert": "|",
    "rvert": "|",
    "vert": "|",
    "mid": "\u2223",
    "%": "%",
    "&": "&",
    "#": "#",
    "$": "$",
    "_": "_",
    "ldots": "\u2026",
    "dots": "\u2026",
    "hbar": "\u210f",
    "ell": "\u2113",
    "to": "\u2192",
    "gets": "\u2190",
    "lt": "<",
    "gt": ">",
    "le": "\u2264",
    "ge": "\u2265",
    "leq": "\u2264",
    "geq": "\u2265",
    "sim": "\u223c",
    "star": "\u22c6",
    "ast": "*",
    "emptyset": "\u2205",
    "varnothing": "\u2205",
}
_MATH_SPACES = {
    ",": " ",
    ";": " ",
    ":": " ",
    " ": " ",
    "quad": " ",
    "qquad": " ",
    "!": "",
    "enspace": " ",
    "thinspace": " ",
    "medspace": " ",
    "thickspace": " ",
}
_MATH_FUNCTIONS = frozenset(
    (
        "log",
        "ln",
        "lg",
        "exp",
        "sin",
        "cos",
        "tan",
        "cot",
        "sec",
        "csc",
        "sinh",
        "cosh",
        "tanh",
        "coth",
        "arcsin",
        "arccos",
        "arctan",
        "max",
        "min",
        "sup",
        "inf",
        "lim",
        "liminf",
        "limsup",
        "det",
        "dim",
        "ker",
        "deg",
        "arg",
        "gcd",
        "hom",
        "Pr",
        "mod",
        "bmod",
    )
)
_MATH_PLAIN_FONTS = frozenset(
    (
        "mathrm",
        "mathit",
        "mathsf",
        "mathtt",
        "mathnormal",
        "text",
        "textrm",
        "textit",
        "textsf",
        "texttt",
        "textup",
        "mbox",
        "hbox",
        "textnormal",
        "mathup",
    )
)
_MATH_BOLD_FONTS = frozenset(("mathbf", "boldsymbol", "bm", "textbf", "pmb"))
_MATH_LETTER_FONTS = {
    "mathbb": "DOUBLE-STRUCK",
    "mathcal": "SCRIPT",
    "mathscr": "SCRIPT",
    "mathfrak": "FRAKTUR",
    "mathbbm": "DOUBLE-STRUCK",
}
_MATH_ACCENTS = {
    "hat": "\u0302",
    "widehat": "\u0302",
    "bar": "\u0304",
    "overline": "\u0305",
    "tilde": "\u0303",
    "widetilde": "\u0303",
    "vec": "\u20d7",
    "dot": "\u0307",
    "ddot": "\u0308",
    "acute": "\u0301",
    "grave": "\u0300",
    "breve": "\u0306",
    "check": "\u030c",
}
_BIN = frozenset(
    "+\u2212\u00b1\u2213\u00d7\u00f7\u22c5\u00b7\u2218\u2217\u22c6\u2297\u2295\u2296\u2299"
    "\u222a\u2229\u2216\u2227\u2228\u228e\u2294\u2293\u22c4\u2020\u2021\u2240"
)
_REL = frozenset(
    "=<>\u2264\u2265\u2260\u2248\u223c\u2243\u2245\u2261\u226a\u226b\u221d\u2208\u2209\u220b"
    "\u2282\u2283\u2286\u2287\u228a\u228b\u2192\u2190\u2194\u21d2\u21d0\u21d4\u21a6\u27f6\u27f5"
    "\u27f9\u27f8\u27fa\u2223\u2225\u22a5\u22a2\u22a3\u227a\u227b\u2aaf\u2ab0\u2272\u2273:\u2254"
    "\u2250\u2259\u225c\u21a0\u21aa\u21c0\u21cc"
)
_OPEN = frozenset("([\u27e8\u2308\u230a")
_CLOSE = frozenset(")]\u27e9\u2309\u230b!")
_SUPERSCRIPTS = dict(
    zip(
        "0123456789+-\u2212=()",
        "\u2070\u00b9\u00b2\u00b3\u2074\u2075\u2076\u2077\u2078\u2079\u207a\u207b\u207b\u207c\u207d\u207e",
    )
)
_SUBSCRIPTS = dict(
    zip(
        "0123456789+-\u2212=()",
        "\u2080\u2081\u2082\u2083\u2084\u2085\u2086\u2087\u2088\u2089\u208a\u208b\u208b\u208c\u208d\u208e",
    )
)
_MATH_TOKEN = re.compile(r"\\([A-Za-z]+)\*?|\\(.)|(\s+)|(.)", re.S)

# an atom: (kind, payload); kinds: ord, bin, rel, punct, open, close, fn (text);
# sup, sub (atoms); bold (atoms)
_Atom = tuple


class _Unconvertible(Exception):
    pass


def _math_atoms(tex: str) -> list[_Atom] | None:
    tokens = [(m.group(1), m.group(2), m.group(3), m.group(4)) for m in _MATH_TOKEN.finditer(tex)]
    try:
        atoms, end = _math_seq(tokens, 0, closing=False)
    except (_Unconvertible, IndexError, KeyError, ValueError):
        return None
    return atoms if end == len(tokens) else None


def _math_seq(tokens: list[tuple], i: int, closing: bool) -> tuple[list[_Atom], int]:
    atoms: list[_Atom] = []
    while i < len(tokens):
        word, symbol, space, char = tokens[i]
        if space:
            i += 1
            continue
        if char == "}":
            if closing:
                return atoms, i + 1
            raise _Unconvertible
        if char in ("^", "_"):
            if not atoms:
                atoms.append(("ord", ""))
            arg, i = _math_arg(tokens, i + 1)
            atoms.append(("sup" if char == "^" else "sub", arg))
            continue
        items, i = _math_item(tokens, i)
        atoms.extend(items)
    if closing:
        raise _Unconvertible
    return atoms, i


def _math_arg(tokens: list[tuple], i: int) -> tuple[list[_Atom], int]:
    """One argument: a {group}, or a single token."""
    while tokens[i][2]:
        i += 1
    if tokens[i][3] == "{":
        return _math_seq(tokens, i + 1, closing=True)
    return _math_item(tokens, i)


def _math_text_arg(tokens: list[tuple], i: int) -> tuple[str, int]:
    """The argument of \\text{...}: its characters, spaces kept."""
    while tokens[i][2]:
        i += 1
    if tokens[i][3] != "{":
        raise _Unconvertible
    depth, j, out = 1, i + 1, []
    while depth:
        word, symbol, space, char = tokens[j]
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if not depth:
                break
        elif word or symbol:
            raise _Unconvertible
        else:
            out.append(space and " " or char)
        j += 1
    return "".join(out), j + 1


def _math_item(tokens: list[tuple], i: int) -> tuple[list[_Atom], int]:
    """One item of TeX math (a character, a group, a command with its arguments) as
    atoms.  Longer than most functions on purpose: one flat dispatch over the kinds of
    item, each case a few lines, read like a table."""
    word, symbol, space, char = tokens[i]
    i += 1
    if char:
        if char == "{":
            inner, i = _math_seq(tokens, i, closing=True)
            return inner, i
        if char == "-":
            return [("bin", "\u2212")], i
        if char == "'":
            return [("ord", "\u2032")], i
        if char in "&":
            raise _Unconvertible
        return [(_kind(char), char)], i
    name = word or symbol
    if name in _MATH_SPACES:
        return ([("ord", _MATH_SPACES[name])] if _MATH_SPACES[name] else []), i
    if name in (
        "left",
        "right",
        "big",
        "Big",
        "bigg",
        "Bigg",
        "bigl",
        "bigr",
        "Bigl",
        "Bigr",
        "displaystyle",
        "textstyle",
        "scriptstyle",
        "limits",
        "nolimits",
    ):
        return [], i
    if name in _MATH_FUNCTIONS:
        return [("fn", name)], i
    if name == "operatorname":
        text, i = _math_text_arg(tokens, i)
        return [("fn", text)], i
    if name in (
        "text",
        "textrm",
        "textit",
        "textsf",
        "texttt",
        "textup",
        "mbox",
        "hbox",
        "textnormal",
    ):
        text, i = _math_text_arg(tokens, i)
        return [("ord", text)], i
    if name in _MATH_PLAIN_FONTS:
        return _math_arg(tokens, i)
    if name in _MATH_BOLD_FONTS:
        inner, i = _math_arg(tokens, i)
        return [("bold", inner)], i
    if name in _MATH_LETTER_FONTS:
        inner, i = _math_arg(tokens, i)
        return [
            (kind, _styled(text, _MATH_LETTER_FONTS[name]) if kind == "ord" else text)
            for kind, text in inner
        ], i
    if name in _MATH_ACCENTS:
        inner, i = _math_arg(tokens, i)
        if len(inner) != 1 or inner[0][0] != "ord" or len(inner[0][1]) != 1:
            raise _Unconvertible
        return [("ord", inner[0][1] + _MATH_ACCENTS[name])], i
    symbol = _MATH_SYMBOLS.get(name)
    if symbol is None:
        if not word or _macro_kind(name) != "":
            raise _Unconvertible
        symbol = _macro_text(name)
        if not symbol or symbol.startswith("\\") or (len(symbol) > 1 and name not in LOGOS):
            raise _Unconvertible
    if name in ("{", "lbrace", "langle", "lceil", "lfloor"):
        return [("open", symbol)], i
    if name in ("}", "rbrace", "rangle", "rceil", "rfloor"):
        return [("close", symbol)], i
    return [(_kind(symbol), symbol)], i


def _kind(char: str) -> str:
    if char in _BIN:
        return "bin"
    if char in _REL:
        return "rel"
    if char in ",;":
        return "punct"
    if char in _OPEN:
        return "open"
    if char in _CLOSE:
        return "close"
    return "ord"


@cache
def _styled(text: str, style: str) -> str:
    out = []
    for c in text:
        case = "CAPITAL" if c.isupper() else "SMALL"
        for name in (
            f"MATHEMATICAL {style} {case} {c.upper()}",
            f"{style} {case} {c.upper()}",
            f"BLACK-LETTER {case} {c.upper()}",
        ):
            try:
                out.append(unicodedata.lookup(name))
                break
            except KeyError:
                continue
        else:
            out.append(c)
    return "".join(out)


def _render_math(atoms: list[_Atom], rich: bool) -> str:
    atoms = list(atoms)
    for n in range(len(atoms) - 1):  # x^a_b is written x_b^a, as texmath does
        if atoms[n][0] == "sup" and atoms[n + 1][0] == "sub":
            atoms[n], atoms[n + 1] = atoms[n + 1], atoms[n]
    out: list[str] = []
    prev: str | None = None  # kind of the previous atom
    for n, (kind, payload) in enumerate(atoms):
        following = n + 1 < len(atoms)
        if kind in ("sup", "sub"):
            inner = _render_math(payload, rich)
            if rich:
                out.append(f"<{kind}>{inner}</{kind}>")
            else:
                table = _SUPERSCRIPTS if kind == "sup" else _SUBSCRIPTS
                if inner and all(c in table for c in inner):
                    out.append("".join(table[c] for c in inner))
                else:
                    out.append(("^(" if kind == "sup" else "_(") + inner + ")")
            kind = "ord"
        elif kind == "bold":
            inner = _render_math(payload, rich)
            out.append(f"<b>{inner}</b>" if rich and inner else inner)
            kind = "ord"
        elif kind == "bin":
            operand = prev in ("ord", "close", "fn")
            out.append(f" {payload} " if operand and following else payload)
            if not operand:
                kind = "ord"  # a sign: -1, +x
        elif kind == "rel":
            out.append(
                f" {payload} "
                if prev is not None and following
                else f" {payload}"
                if prev is not None
                else f"{payload} "
                if following and atoms[n + 1][0] != "close"
                else payload
            )
        elif kind == "punct":
            out.append(payload + (" " if following else ""))
        elif kind == "fn":
            out.append(
                payload
                + (" " if following and atoms[n + 1][0] not in ("open", "sup", "sub") else "")
            )
        else:
            out.append(payload)
        prev = kind
    return "".join(out)
