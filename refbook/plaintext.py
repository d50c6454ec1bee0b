"""Typed text <-> BibTeX field values: the one place that decides how what a user types
(``refbook annotate``, ``set``, ``tag``, ``add --annotation``, imported CSL-JSON, RIS and web
pages) is written into the .bib, so that it reads back exactly as typed.

Reading is ``refbook.latex.to_text`` (LaTeX decoded, braces removed, white space
collapsed); ``to_bibtex`` is its inverse for plain text:

- LaTeX's special characters are escaped: ``%`` ``&`` ``#`` ``$`` ``_`` ``{`` ``}`` as
  ``\\%`` …, ``\\`` as ``\\textbackslash{}``, ``~`` as ``\\textasciitilde{}``, ``^`` as
  ``\\textasciicircum{}``.  Unescaped, ``%`` starts a comment in LaTeX and pandoc (the rest
  of the line is lost), ``~`` is a tie and the others are errors or math.
- TeX's ligatures are broken with ``{}``: ``--`` (an en dash when read) and ``''`` are
  written ``-{}-`` and ``'{}'``.  A backtick, which TeX prints as an opening quotation mark
  (```word'`` is ‘word’), is written ``\\`{}`` (the grave accent on nothing: a backtick
  for TeX, pandoc and refbook alike).
- White space is collapsed to single spaces, as BibTeX and LaTeX read it anyway.
- Braces must come in pairs: BibTeX and biber count every brace, escaped or not, to find
  where a value ends, and there is no escape for a lone brace that pandoc, biber and
  refbook all read back.  Text with a lone ``{`` or ``}`` is refused (``UsageError``,
  exit 2) rather than changed.
- Verbatim fields (``url``, ``doi``, ``eprint``, ``file``…) and key lists (``crossref``,
  ``ids``…) are written as typed: biblatex, biber and pandoc read them without LaTeX.

``check_bibtex`` validates a value the user gives as BibTeX (``refbook set --bibtex``).
``tests/test_plaintext.py`` checks the round trip on generated text through the CLI, in
``show --json`` and CSL-JSON, and through pandoc's own BibLaTeX reader.
"""

from __future__ import annotations

import re

from .errors import UsageError

# biblatex's verbatim fields (read without LaTeX), and fields that hold citation keys
VERBATIM_FIELDS = frozenset(
    {
        "url",
        "urlraw",
        "doi",
        "eprint",
        "file",
        "pdf",
        "verba",
        "verbb",
        "verbc",
        "crossref",
        "xref",
        "xdata",
        "ids",
        "related",
        "entryset",
    }
)

_ESCAPES = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "%": r"\%",
    "&": r"\&",
    "#": r"\#",
    "$": r"\$",
    "_": r"\_",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
    "`": r"\`{}",
}
_SPECIAL = re.compile(r"[\\{}%&#$_~^`]")
# TeX ligatures that reading turns into other characters: -- ''
_LIGATURE = re.compile(r"-(?=-)|'(?=')")


def escape(text: str) -> str:
    """Plain text as LaTeX text, white space untouched (see the module docstring).
    Callers check the braces first (``check_braces``)."""
    text = _SPECIAL.sub(lambda m: _ESCAPES[m.group()], text)
    return _LIGATURE.sub(lambda m: m.group() + "{}", text)


def to_bibtex(text: str, field: str = "") -> str:
    """Typed text as the value of ``field`` (without its delimiters), so that reading it
    gives ``text`` back with its white space collapsed.  Lone braces are a ``UsageError``."""
    field = field.lower()
    if field in VERBATIM_FIELDS:
        check_braces(text, field)
        return text.strip()
    text = " ".join(text.split())
    check_braces(text, field)
    return escape(text)


def check_bibtex(value: str, field: str = "") -> str:
    """A value given as BibTeX (``{TTP}`` protects case, ``\\emph{…}``, ``$…$``): its braces
    must pair up the way BibTeX counts them."""
    check_braces(value, field)
    return value


def check_braces(value: str, field: str = "") -> None:
    """Braces paired as BibTeX and biber count them: every brace, even ``\\{``; and no NUL
    character, which would make the file unreadable as BibTeX (refbook reads it as binary)."""
    if "\x00" in value:
        where = f" in {field}" if field else ""
        raise UsageError(f"a NUL character{where}: a .bib file cannot hold one")
    depth = 0
    for i, ch in enumerate(value):
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth < 0:
                raise UsageError(_brace_message("}", value, i, field))
    if depth:
        raise UsageError(_brace_message("{", value, value.rfind("{"), field))


def _brace_message(brace: str, value: str, pos: int, field: str) -> str:
    where = f" in {field}" if field else ""
    near = value[max(0, pos - 15) : pos + 15]
    return f"unbalanced '{brace}'{where} (near {near!r}): BibTeX needs braces in pairs"
