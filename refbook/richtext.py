"""BibTeX values as CSL rich text, read the way pandoc's BibLaTeX reader reads them.

CSL-JSON holds plain Unicode plus CSL's own markup (``<i>``, ``<b>``, ``<sup>``, ``<sub>``,
``<span style="font-variant:small-caps;">``, ``<span class="nocase">``) and nothing else:
no HTML entities (pandoc's citeproc would print ``&amp;`` as it stands).  A value is
parsed into a small tree (text, case-protected groups, italics, bold, small caps,
super/subscripts, quotations, math), sentence-cased where the field asks for it, and
rendered:

- every ``{braced}`` group, ``{\\"O}`` included, is protected from case changes, as in
  pandoc (``{\\'e}``, which holds no capital, is left as plain text); the argument of an
  accent (``\\"{O}``) is not;
- ``\\emph``/``\\textit``/``{\\em ...}`` -> ``<i>``, ``\\textbf`` -> ``<b>``, ``\\textsc`` ->
  small caps, ``\\textsuperscript``/``\\textsubscript`` -> ``<sup>``/``<sub>``,
  ``\\mkbibquote``/``\\enquote`` and ````...''`` -> quotation marks;
- TeX math becomes Unicode with ``<sup>``/``<sub>`` (``refbook.texmath.math_to_rich``),
  inside a nocase span and never with markup of its own inside; math without a Unicode
  form stays as written (``$\\frac{1}{2}$``), protected the same way;
- sentence case is pandoc's (citeproc's): a word written Capitalised is lower-cased, the
  first word and the first word after ``:``, ``.``, ``?`` or ``!`` and a space are
  capitalised, words in other capitals (``NASA``, ``iPhone``, ``McDonald``) are left;
  unlike pandoc, and like BibTeX, the text of ``\\emph{...}``/``\\textbf{...}`` keeps its
  case (``A Review of \\emph{The Hobbit}``).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from . import latex, texmath

# commands with one argument that mark it up: name -> node kind
_WRAPPERS = {
    "emph": "i",
    "textit": "i",
    "textsl": "i",
    "mkbibemph": "i",
    "mkbibitalic": "i",
    "textbf": "b",
    "mkbibbold": "b",
    "textsc": "sc",
    "mkbibacro": "sc",
    "textsuperscript": "sup",
    "mkbibsuperscript": "sup",
    "textsubscript": "sub",
    "mkbibquote": "quote",
    "enquote": "quote",
    "textquote": "quote",
    "textnormal": "",
    "textrm": "",
    "textup": "",
    "textmd": "",
    "textsf": "",
    "texttt": "",
    "mbox": "",
    "hbox": "",
    "text": "",
    "autocap": "",
    "ensuremath": "",
    "textlatin": "",
    "foreignlanguage": "",
    "bibstring": "",
    "biblstring": "",
    "bibsstring": "",
}
_AROUND = {"mkbibparens": ("(", ")"), "mkbibbrackets": ("[", "]")}
# declarations that change the rest of their group: {\em ...}
_DECLARATIONS = {
    "em": "i",
    "it": "i",
    "itshape": "i",
    "sl": "i",
    "slshape": "i",
    "bf": "b",
    "bfseries": "b",
    "sc": "sc",
    "scshape": "sc",
    "rm": "",
    "normalfont": "",
    "upshape": "",
    "sf": "",
    "tt": "",
    "mdseries": "",
    "rmfamily": "",
    "sffamily": "",
    "ttfamily": "",
    "relax": "",
    "protect": "",
    "unskip": "",
    "ignorespaces": "",
}
_DROPPED = frozenset(
    name for name, (args, text) in latex.BIBLATEX_MACROS.items() if args == "{" and not text
)
_ESCAPES = {
    "&": "&",
    "%": "%",
    "$": "$",
    "#": "#",
    "_": "_",
    "{": "{",
    "}": "}",
    " ": " ",
    "\\": " ",
    ",": " ",
    ";": " ",
    ":": " ",
    "!": "",
    "-": "",
    "/": "",
    "@": "",
    "slash": "/",
}
_BACKTICK_QUOTE = re.compile(r"(?<!`)`([^`']*)'(?!')")
# TeX's ligatures; a lone ' is typeset ’ (and in CSL-JSON a straight ' could be taken for
# a quotation mark: "CHI '08: CHI '08")
_LIGATURES = re.compile(r"---|--|``|''|!`|\?`|~|`|'")
_LIGATURE_TEXT = {  # TeX's ligatures in text, and single quotes as typographic ones
    **latex.TEXT_LIGATURES,
    "`": "\u2018",
    "'": "\u2019",
}
# kinds whose text sentence case leaves alone: braces, and (as BibTeX and biblatex do, but
# not pandoc) the argument of \emph, \textbf...
PROTECTED = frozenset({"nocase", "sc", "sup", "sub", "math", "i", "b"})


@dataclass
class Node:
    """One piece of rich text: ``text`` (a string), or markup with ``children``: nocase (a
    protected group), i, b, sc, sup, sub, quote; ``math`` holds finished rich text."""

    kind: str
    text: str = ""
    children: list[Node] = field(default_factory=list)

    def plain(self) -> str:
        if self.kind in ("text", "math"):
            return re.sub(r"<[^>]+>", "", self.text) if self.kind == "math" else self.text
        inner = "".join(c.plain() for c in self.children)
        return f"\u201c{inner}\u201d" if self.kind == "quote" else inner


# -- parsing -------------------------------------------------------------------------------


def parse(value: str) -> list[Node]:
    """A BibTeX value (macros resolved, LaTeX kept) as a list of nodes."""
    nodes, _ = _Parser(value).sequence(0, in_group=False)
    return nodes


class _Parser:
    def __init__(self, value: str) -> None:
        self.s = value

    def sequence(self, i: int, in_group: bool) -> tuple[list[Node], int]:
        s = self.s
        out: list[Node] = []
        buf: list[str] = []

        def flush() -> None:
            if buf:
                out.append(
                    Node("text", _ligatures(_BACKTICK_QUOTE.sub("\u2018\\1\u2019", "".join(buf))))
                )
                buf.clear()

        while i < len(s):
            ch = s[i]
            if ch == "}":
                if in_group:
                    flush()
                    return out, i + 1
                i += 1  # a stray closing brace: BibTeX would complain; skip it
                continue
            if ch == "{":
                flush()
                start = i
                children, i = self.group(i + 1)
                if s[start + 1 : start + 2] == "\\" and not any(
                    c.isupper() for c in plain(children)
                ):
                    # {\'e}: an accented letter in braces protects nothing worth keeping
                    # (pandoc would still wrap it); {\"O} keeps its capital
                    out.extend(children)
                else:
                    out.append(Node("nocase", children=_unprotect_nested(children)))
                continue
            if ch == "$" or (ch == "\\" and s[i + 1 : i + 2] in ("(", "[")):
                m = latex.MATH.match(s, i)
                if m:
                    flush()
                    out.append(_math(m))
                    i = m.end()
                    continue
                if ch == "$":
                    buf.append("$")
                    i += 1
                    continue
            if ch == "\\":
                flush()
                name, i = self.command_name(i)
                if name in _DECLARATIONS:
                    rest, i = self.sequence(i, in_group)
                    kind = _DECLARATIONS[name]
                    out.extend([Node(kind, children=rest)] if kind else rest)
                    return out, i
                nodes, i = self.command(name, i)
                out.extend(nodes)
                continue
            buf.append(ch)
            i += 1
        flush()
        return out, i

    def group(self, i: int) -> tuple[list[Node], int]:
        return self.sequence(i, in_group=True)

    def command_name(self, i: int) -> tuple[str, int]:
        """The name after a backslash at ``i``; the spaces after a control word are
        skipped, as TeX does."""
        s = self.s
        m = re.compile(r"[A-Za-z]+\*?").match(s, i + 1)
        if m:
            j = m.end()
            while j < len(s) and s[j] in " \t\n\r":
                j += 1
            return m.group(0).rstrip("*"), j
        return s[i + 1 : i + 2], i + 2

    def argument(self, i: int) -> tuple[list[Node], str, int]:
        """One argument: a {group} (not case protection) or a single character."""
        s = self.s
        while i < len(s) and s[i] in " \t\n\r":
            i += 1
        if i >= len(s):
            return [], "", i
        if s[i] == "{":
            start = i
            children, i = self.group(i + 1)
            return children, s[start + 1 : i - 1], i
        if s[i] == "\\":
            name, j = self.command_name(i)
            nodes, j = self.command(name, j)
            return nodes, s[i:j], j
        return [Node("text", _ligatures(s[i]))], s[i], i + 1

    def skip_optional(self, i: int) -> int:
        s = self.s
        if i < len(s) and s[i] == "[":
            depth = 0
            for j in range(i, len(s)):
                depth += {"[": 1, "]": -1}.get(s[j], 0)
                if depth == 0:
                    return j + 1
        return i

    def command(self, name: str, i: int) -> tuple[list[Node], int]:
        s = self.s
        if name in _ESCAPES and (not name.isalpha() or name == "slash"):
            return ([Node("text", _ESCAPES[name])] if _ESCAPES[name] else []), i
        if name in _WRAPPERS:
            i = self.skip_optional(i)
            children, _raw, i = self.argument(i)
            kind = _WRAPPERS[name]
            if kind == "quote":  # pandoc reads biblatex's quotation commands as a group
                return [Node("nocase", children=[Node("quote", children=children)])], i
            return ([Node(kind, children=children)] if kind else children), i
        if name in _AROUND:
            children, _raw, i = self.argument(i)
            left, right = _AROUND[name]
            return [Node("text", left), *children, Node("text", right)], i
        if name in _DROPPED:
            _children, _raw, i = self.argument(i)
            return [], i
        if name in ("url", "nolinkurl"):
            _children, raw, i = self.argument(i)
            return [Node("text", raw)], i
        if name == "href":
            _url, _raw, i = self.argument(i)
            children, _raw, i = self.argument(i)
            return children, i
        if name == "\n" or not name:
            return [Node("text", " ")], i
        macro_kind = latex._macro_kind(name)
        if macro_kind == "accent":
            _children, raw, j = self.argument(i)
            return [Node("text", latex.to_text("\\" + name + "{" + raw + "}"))], j
        if macro_kind == "":
            text = latex._macro_text(name)
            if not text and s[i : i + 1] == "{":
                # a command pylatexenc does not know: its argument is kept as text (pandoc
                # drops both), and it is not case protection
                children, i = self.group(i + 1)
                return children, i
            return ([Node("text", text)] if text else []), i
        # a command with arguments: pylatexenc's text of the command and its arguments
        start = s.rfind("\\", 0, i)
        end = self._arguments_end(name, i)
        return [Node("text", latex.to_text(s[start:end]))], end

    def _arguments_end(self, name: str, i: int) -> int:
        spec = latex._walker_db().get_macro_spec(name)
        argspec = getattr(getattr(spec, "args_parser", None), "argspec", "") if spec else ""
        s = self.s
        for kind in argspec:
            while i < len(s) and s[i] in " \t\n\r":
                i += 1
            if kind == "[":
                i = self.skip_optional(i)
            elif kind == "*":
                if s[i : i + 1] == "*":
                    i += 1
            elif kind == "{":
                _children, _raw, i = self.argument(i)
        return i


def _unprotect_nested(children: list[Node]) -> list[Node]:
    """Inside a protected group, inner groups protect nothing more: flatten them."""
    out: list[Node] = []
    for c in children:
        if c.kind == "nocase":
            out.extend(_unprotect_nested(c.children))
        else:
            out.append(c)
    return out


def _ligatures(text: str) -> str:
    return _LIGATURES.sub(lambda m: _LIGATURE_TEXT[m.group()], text)


def _math(m: re.Match) -> Node:
    tex = next(g for g in m.groups() if g is not None)
    rich = texmath.math_to_rich(tex)
    return Node("math", rich if rich is not None else m.group(0))


# -- sentence case (citeproc's, as pandoc applies it to BibLaTeX titles) ---------------------

(_START, _START_SENTENCE, _AFTER_WORD_END, _AFTER_WORD_CHAR, _AFTER_PUNCT, _BEFORE_LAST_WORD) = (
    range(6)
)
# pandoc's chunks of a word: runs of ASCII letters/digits, of other letters/digits, of
# punctuation; any other character alone
_CHUNK = re.compile(r"[A-Za-z0-9]+|(?:(?![A-Za-z0-9_])\w)+|[\W_]", re.S)
_WORD_BREAK = frozenset("-/\u2013\u2014")


def sentence_case(nodes: list[Node]) -> list[Node]:
    """Capitalised words lower-cased, sentence starts capitalised (in place; returned).
    As pandoc does it, the last word of a value is never capitalised as a sentence start
    ("... after U.S. withdrawal")."""
    state = [_START]
    last = _last_word(nodes)

    def update(text: str) -> None:
        # a closing quotation mark (“What Group?” Studying) leaves the state as the
        # quoted text left it, as a quotation read by pandoc does; a straight " does not
        text = text.rstrip("\u201d\u2019\u00bb")
        if not text:
            return
        c = text[-1]
        if c in ".?!:":
            state[0] = _AFTER_PUNCT
        elif c.isalnum():
            state[0] = _AFTER_WORD_CHAR
        elif c.isspace() and state[0] == _AFTER_PUNCT:
            state[0] = _START_SENTENCE
        elif c.isspace() or c in _WORD_BREAK:
            state[0] = _AFTER_WORD_END
        # other punctuation leaves the state as it is: "Title. (in Russian)" -> "(In"

    def transform(node: Node) -> None:
        out = []
        for m in re.finditer(r"\S+|\s+", node.text):
            word = m.group(0)
            if word.isspace():
                update(" ")
                out.append(word)
                continue
            if (
                last is not None
                and last == (id(node), m.start())
                and state[0] in (_AFTER_WORD_END, _START_SENTENCE, _START)
            ):
                state[0] = _BEFORE_LAST_WORD
            for chunk in _chunks(word):
                if chunk.isalnum():
                    chunk = _sentence_case_word(chunk, state[0] in (_START, _START_SENTENCE))
                out.append(chunk)
                update(chunk)
        node.text = "".join(out)

    def walk(items: list[Node]) -> None:
        for node in items:
            if node.kind == "text":
                transform(node)
            elif node.kind in PROTECTED:
                update(node.plain().rstrip())
            else:
                walk(node.children)

    walk(nodes)
    return nodes


def _chunks(word: str) -> list[str]:
    out: list[str] = []
    for piece in _CHUNK.findall(word):
        if out and _is_punctuation(piece) and _is_punctuation(out[-1][-1]):
            out[-1] += piece
        else:
            out.append(piece)
    return out


def _is_punctuation(c: str) -> bool:
    return len(c) == 1 and unicodedata.category(c).startswith("P")


def _last_word(nodes: list[Node]) -> tuple[int, int] | None:
    """(node, offset) of the value's last word when pandoc's last-word rule applies to
    it: the value ends in plain text, with a word without a word break, after something."""
    if not nodes or nodes[-1].kind != "text":
        return None
    node = nodes[-1]
    m = re.search(r"(\S+)\s*$", node.text)
    if not m or any(c in _WORD_BREAK for c in m.group(1)):
        return None
    if m.start(1) == 0 and len(nodes) == 1:
        return None  # a single word
    return id(node), m.start(1)


def _sentence_case_word(word: str, at_start: bool) -> str:
    capitalised = word[0].isupper() and all(c.islower() for c in word[1:])
    if capitalised and not at_start:
        return word.lower()
    if at_start and (capitalised or all(c.islower() for c in word)):
        lower = word.lower()
        return lower[:1].upper() + lower[1:]
    return word


# -- rendering -------------------------------------------------------------------------------

_TAGS = {
    "i": ("<i>", "</i>"),
    "b": ("<b>", "</b>"),
    "sup": ("<sup>", "</sup>"),
    "sub": ("<sub>", "</sub>"),
    "sc": ('<span style="font-variant:small-caps;">', "</span>"),
    "nocase": ('<span class="nocase">', "</span>"),
}


def render(nodes: list[Node], quote_level: int = 0) -> str:
    """CSL rich text, white space collapsed."""
    return " ".join(_render(nodes, quote_level).split())


def _render(nodes: list[Node], quote_level: int = 0) -> str:
    out = []
    for node in nodes:
        if node.kind == "text":
            out.append(node.text)
        elif node.kind == "math":
            # protected from case changes when it has letters; never markup inside it
            cased = any(c.isupper() or c.islower() for c in re.sub(r"<[^>]+>", "", node.text))
            out.append(f'<span class="nocase">{node.text}</span>' if cased else node.text)
        elif node.kind == "quote":
            left, right = ("\u201c", "\u201d") if quote_level % 2 == 0 else ("\u2018", "\u2019")
            out.append(left + _render(node.children, quote_level + 1) + right)
        else:
            inner = _render(node.children, quote_level)
            if inner.strip():
                start, end = _TAGS[node.kind]
                out.append(start + inner + end)
            else:
                out.append(inner)
    return "".join(out)


def plain(nodes: list[Node]) -> str:
    return " ".join("".join(n.plain() for n in nodes).split())


def rich(value: str, sentence: bool = False) -> str:
    """A BibTeX value as CSL rich text, sentence-cased when ``sentence``."""
    nodes = parse(value.strip())
    if sentence:
        sentence_case(nodes)
    return render(nodes)
