"""Documents as the language server sees them: their language, positions in LSP's
encoding, the citations in them (through ``refbook.manuscript``), the bibliography a
document names, and what is being typed at the cursor.  Pure functions over text."""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlparse

from ..manuscript import Citation, find_key_citations, find_prose_citations

# document languages: how each is read
MARKDOWN, QUARTO, RMARKDOWN = "markdown", "quarto", "rmarkdown"
LATEX, TYPST, TEXT, BIB = "latex", "typst", "text", "bibtex"
LANGUAGES = (MARKDOWN, QUARTO, RMARKDOWN, LATEX, TYPST, TEXT, BIB)
_BY_SUFFIX = {
    ".md": MARKDOWN,
    ".markdown": MARKDOWN,
    ".qmd": QUARTO,
    ".rmd": RMARKDOWN,
    ".tex": LATEX,
    ".ltx": LATEX,
    ".latex": LATEX,
    ".typ": TYPST,
    ".txt": TEXT,
    ".bib": BIB,
}
_BY_ID = {
    "markdown": MARKDOWN,
    "pandoc": MARKDOWN,
    "quarto": QUARTO,
    "rmd": RMARKDOWN,
    "rmarkdown": RMARKDOWN,
    "latex": LATEX,
    "tex": LATEX,
    "plaintex": LATEX,
    "typst": TYPST,
    "plaintext": TEXT,
    "text": TEXT,
    "bibtex": BIB,
    "bib": BIB,
}
MANUSCRIPT_SUFFIXES = tuple(s for s, lang in _BY_SUFFIX.items() if lang not in (BIB, TEXT))


def uri_to_path(uri: str) -> str:
    parsed = urlparse(uri)
    return unquote(parsed.path) if parsed.scheme == "file" else uri


def path_to_uri(path: str | Path) -> str:
    return Path(path).resolve().as_uri()


def language_of(uri: str, language_id: str = "") -> str:
    """The document's language: by its file name first (an editor may call a .qmd
    "markdown"), else the editor's language id, else plain text."""
    suffix = Path(uri_to_path(uri)).suffix.lower()
    return _BY_SUFFIX.get(suffix) or _BY_ID.get(language_id.lower(), TEXT)


def key_syntax(language: str) -> str | None:
    """The key-citation syntax of a language (``manuscript.find_key_citations``)."""
    return {LATEX: "latex", TYPST: "typst", TEXT: None, BIB: None}.get(language, "pandoc")


def key_citations(text: str, language: str) -> list[Citation]:
    syntax = key_syntax(language)
    return find_key_citations(text, syntax) if syntax else []


def prose_citations(text: str, language: str) -> list[Citation]:
    """Author-year prose citations, where cite-check looks for them (not in LaTeX or
    the .bib)."""
    if language in (LATEX, BIB):
        return []
    return find_prose_citations(text, "", "typst" if language == TYPST else "markdown")


def prose_citations_anywhere(text: str, language: str) -> list[Citation]:
    """Prose citations in any manuscript, LaTeX too (for the code action that turns
    them into key citations)."""
    if language == LATEX:
        return find_prose_citations(text, "", "latex")
    return prose_citations(text, language)


# -- positions ---------------------------------------------------------------------------


class TextIndex:
    """Offsets in a Python string <-> LSP (line, character) positions, characters counted
    in the negotiated encoding ("utf-16" by default, as LSP says)."""

    def __init__(self, text: str, encoding: str = "utf-16"):
        self.text = text
        self.encoding = encoding
        self.starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def _width(self, chunk: str) -> int:
        if self.encoding == "utf-32" or chunk.isascii():
            return len(chunk)
        if self.encoding == "utf-8":
            return len(chunk.encode("utf-8"))
        return len(chunk.encode("utf-16-le")) // 2

    def line_span(self, line: int) -> tuple[int, int]:
        """Where the 0-based ``line`` starts and ends (its line end not included); past
        the last line, the last line's."""
        line = min(line, len(self.starts) - 1)
        start = self.starts[line]
        end = self.starts[line + 1] - 1 if line + 1 < len(self.starts) else len(self.text)
        return start, end

    def position(self, offset: int) -> tuple[int, int]:
        line = bisect_right(self.starts, offset) - 1
        return line, self._width(self.text[self.starts[line] : offset])

    def offset(self, line: int, character: int) -> int:
        if line >= len(self.starts):
            return len(self.text)
        start = self.starts[line]
        end = self.starts[line + 1] - 1 if line + 1 < len(self.starts) else len(self.text)
        if self.encoding == "utf-32" or self.text[start:end].isascii():
            return min(start + character, end)
        width = 0
        for i in range(start, end):
            if width >= character:
                return i
            width += self._width(self.text[i])
        return end


class LineIndex(TextIndex):
    """``TextIndex`` for some ``lines`` (0-based) of a long text only: the lines a few
    diagnostics are on, found without a list of every line's start (2 million of them
    in a 100,000-entry .bib), counted from the nearest of the ``known`` (lines, their
    starts), when given."""

    def __init__(
        self,
        text: str,
        lines: Iterable[int],
        encoding: str = "utf-16",
        known: tuple[list[int], list[int]] | None = None,
    ):
        self.text = text
        self.encoding = encoding
        self.lines: list[int] = []
        self.starts = []
        line, pos = 0, 0
        for n in sorted(set(lines)):
            k = bisect_right(known[0], n) - 1 if known else -1
            if known and k >= 0 and known[0][k] > line:  # (lines whose start is known)
                line, pos = known[0][k], known[1][k]
            found = line_start(text, n - line, pos)
            if found is None:
                break  # (past the last line: ``line_span`` gives the last)
            line, pos = n, found
            self.lines.append(n)
            self.starts.append(found)

    def line_span(self, line: int) -> tuple[int, int]:
        k = bisect_right(self.lines, line) - 1
        if k < 0 or self.lines[k] != line:  # past the end: the last line
            last = self.text.count("\n")
            if not self.lines or self.lines[-1] != last:
                self.lines.append(last)
                self.starts.append(self.text.rfind("\n") + 1)
            k = len(self.lines) - 1
        start = self.starts[k]
        end = self.text.find("\n", start)
        return start, len(self.text) if end < 0 else end

    def position(self, offset: int) -> tuple[int, int]:
        k = bisect_right(self.starts, offset) - 1
        return self.lines[k], self._width(self.text[self.starts[k] : offset])


def line_start(text: str, line: int, pos: int = 0) -> int | None:
    """The offset where the line ``line`` lines after the one starting at ``pos`` starts
    (lines end at ``\\n``), or None when the text has fewer line ends."""
    seen, n = 0, len(text)
    if line <= 0:
        return pos
    if line <= _FEW:  # (a few lines on, found one by one: a block's count reads 64 KiB)
        for _ in range(line):
            pos = text.find("\n", pos)
            if pos < 0:
                return None
            pos += 1
        return pos
    while pos < n:
        k = text.count("\n", pos, pos + _STEP)
        if seen + k >= line:
            break
        seen += k
        pos += _STEP
    else:
        return None
    for _ in range(line - seen):
        pos = text.index("\n", pos) + 1
    return pos


_STEP = 1 << 16
_FEW = 64


# -- the bibliography a document names ----------------------------------------------------

_YAML_BIB = re.compile(
    r"^bibliography:[ \t]*(?:(?P<one>[^\n\[]+?)|\[(?P<flow>[^\]\n]*)\]|"
    r"(?P<block>(?:\n[ \t]+-[ \t]*[^\n]+)+))[ \t]*$",
    re.M,
)
_LATEX_BIB = re.compile(r"\\(?:bibliography|addbibresource)(?:\[[^\]]*\])?\{([^}]+)\}")
_TYPST_BIB = re.compile(r"#bibliography\(\s*(?:\(\s*)?\"([^\"]+)\"")


def named_bibliographies(text: str, language: str, doc_path: str) -> list[str]:
    """The .bib files a document names (front matter ``bibliography:``, ``\\bibliography``,
    ``\\addbibresource``, Typst's ``#bibliography``), resolved against its directory;
    only those that exist, in the document's order."""
    names: list[str] = []
    if language in (MARKDOWN, QUARTO, RMARKDOWN, TEXT):
        front = re.match(r"\A---[ \t]*\n(.*?)\n(?:---|\.\.\.)[ \t]*$", text, re.S | re.M)
        if front:
            names += yaml_bibliographies(front.group(1))
    elif language == LATEX:
        for m in _LATEX_BIB.finditer(text):
            for name in m.group(1).split(","):
                name = name.strip()
                names.append(name if name.endswith(".bib") else name + ".bib")
    elif language == TYPST:
        names += [m.group(1) for m in _TYPST_BIB.finditer(text)]
    base = Path(doc_path).parent
    out = _existing_bibs(base, names)
    if not out and language in (MARKDOWN, QUARTO, RMARKDOWN):
        for folder, names in quarto_bibliographies(base):
            out += [p for p in _existing_bibs(folder, names) if p not in out]
    return out


def _existing_bibs(base: Path, names: list[str]) -> list[str]:
    """``names`` resolved against ``base``: the .bib files among them that exist."""
    out: list[str] = []
    for name in names:
        name = name.strip().strip("'\"")
        if not name.lower().endswith(".bib"):
            continue  # a CSL-JSON or YAML bibliography: not refbook's
        path = (base / name).resolve()
        if path.is_file() and str(path) not in out:
            out.append(str(path))
    return out


def yaml_bibliographies(yaml: str) -> list[str]:
    """The ``bibliography:`` names of YAML metadata (scalar, flow or block list)."""
    names: list[str] = []
    for m in _YAML_BIB.finditer(yaml):
        if m.group("one"):
            names.append(m.group("one"))
        elif m.group("flow") is not None:
            names += m.group("flow").split(",")
        else:
            names += [x.strip()[1:] for x in m.group("block").strip().split("\n")]
    return names


QUARTO_PROJECT_FILES = ("_quarto.yml", "_quarto.yaml")
QUARTO_DIRECTORY_FILES = ("_metadata.yml", "_metadata.yaml")


def quarto_bibliographies(folder: Path) -> list[tuple[Path, list[str]]]:
    """For a document in ``folder`` of a Quarto project: the ``bibliography:`` of each
    directory's ``_metadata.yml`` from ``folder`` up, then the project's ``_quarto.yml``
    (Quarto's order: nearer metadata first), each with the folder its names are
    relative to.  Nothing outside a Quarto project."""
    found: list[tuple[Path, list[str]]] = []
    for here in [folder, *folder.parents]:
        for name in QUARTO_DIRECTORY_FILES + QUARTO_PROJECT_FILES:
            names = _read_yaml_bibliographies(here / name)
            if names:
                found.append((here, names))
        if any((here / name).is_file() for name in QUARTO_PROJECT_FILES):
            return found
    return []


def _read_yaml_bibliographies(path: Path) -> list[str]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError):
        return []
    return yaml_bibliographies(text.replace("\r\n", "\n"))


# -- what is typed at the cursor -----------------------------------------------------------


@dataclass
class Typed:
    """A key being typed: ``start``..``end`` is the text a chosen key replaces, ``query``
    what was typed there (a key prefix, or words: ``@knuth lit``)."""

    start: int
    end: int
    query: str


_WORDS_AFTER_AT = re.compile(r"(?<![\w@.\-+\\])@\{?([\w:.#$%&\-+?<>~/]*(?: [\w'-]+){0,3} ?)\Z")
_LATEX_OPEN = re.compile(
    r"\\[A-Za-z]*cite[A-Za-z]*\*?(?:\s*\([^)]*\))*(?:\s*\[[^\]]*\])*(?:\s*\{[^}]*\})*"
    r"\s*\{(?:[^}]*,)?\s*([^,}\s]*)\Z"
)
_TYPST_OPEN = re.compile(r"#cite\(\s*<([\w\-:.]*)\Z")


def typed_key(text: str, offset: int, language: str) -> Typed | None:
    """The key being typed at ``offset``: after ``@`` (pandoc, Typst; also words,
    ``@knuth lit``), inside ``\\cite{…}`` and its kin, inside ``#cite(<…>)``."""
    line_start = text.rfind("\n", 0, offset) + 1
    before = text[line_start:offset]
    if language == LATEX:
        m = _LATEX_OPEN.search(before)
        if m is None:
            return None
    elif language == TYPST:
        m = _TYPST_OPEN.search(before) or _WORDS_AFTER_AT.search(before)
        if m is None:
            return None
    elif language in (MARKDOWN, QUARTO, RMARKDOWN):
        m = _WORDS_AFTER_AT.search(before)
        if m is None:
            return None
    else:
        return None
    # the rest of a key under the cursor is replaced too
    rest = re.match(r"[\w:.#$%&\-+?<>~/]*", text[offset:])
    end = offset + (len(rest.group(0)) if rest and " " not in m.group(1) else 0)
    return Typed(line_start + m.start(1), end, m.group(1).rstrip())


def citation_at(citations: list[Citation], offset: int) -> tuple[Citation, int] | None:
    """The key citation and the index of its key whose span holds ``offset`` (the end of
    a key counts: the cursor just after it)."""
    for c in citations:
        if c.start <= offset <= c.end:
            for i, (a, b) in enumerate(c.spans):
                if a <= offset <= b:
                    return c, i
    return None


# characters compared at a time when looking for the part of a text an edit changed
_BLOCK = 1 << 18


def common_prefix(a: str, b: str) -> int:
    """The length of the text ``a`` and ``b`` start with (compared a block at a time)."""
    n = min(len(a), len(b))
    i = 0
    while i < n and a[i : i + _BLOCK] == b[i : i + _BLOCK]:
        i += _BLOCK
    lo, hi = min(i, n), min(i + _BLOCK, n)  # a[:lo] == b[:lo]; they differ before hi
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if a[lo:mid] == b[lo:mid]:
            lo = mid
        else:
            hi = mid - 1
    return lo


def common_suffix(a: str, b: str, most: int) -> int:
    """The length of the text ``a`` and ``b`` end with, at most ``most``."""
    la, lb = len(a), len(b)
    i = 0
    while i < most:
        step = min(_BLOCK, most - i)
        if a[la - i - step : la - i] != b[lb - i - step : lb - i]:
            break
        i += step
    lo, hi = min(i, most), min(i + _BLOCK, most)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if a[la - mid : la - lo] == b[lb - mid : lb - lo]:
            lo = mid
        else:
            hi = mid - 1
    return lo
