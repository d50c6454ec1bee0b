"""TeX math as pandoc shows it: plain Unicode (``math_to_text``: ``\\mathrm{cm}^{-1}`` ->
``cm⁻¹``) for text, CSL rich text with ``<sup>``/``<sub>`` (``math_to_rich``) for citations,
or None when the math has no plain form (``\\frac``, an unknown macro), as texmath
(pandoc's math library) renders it.  ``refbook.latex`` takes math out of a value
(``MATH``, ``split_math``) and hands it here.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache, lru_cache

from .latex import LOGOS, _macro_kind, _macro_text


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
# commands whose argument is text, not math
_MATH_TEXT_COMMANDS = frozenset(
    ("text", "textrm", "textit", "textsf", "texttt", "textup", "mbox", "hbox", "textnormal")
)
_MATH_PLAIN_FONTS = _MATH_TEXT_COMMANDS | {
    "mathrm",
    "mathit",
    "mathsf",
    "mathtt",
    "mathnormal",
    "mathup",
}
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
    if name in _MATH_TEXT_COMMANDS:
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
