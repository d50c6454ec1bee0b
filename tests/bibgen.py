"""A hypothesis generator of BibTeX documents, and what a reader should find in them.

``documents()`` draws whole .bib texts from the grammar BibTeX and biber accept: entries
(any type, in any case, with ``{}`` or ``()``), ``@string`` / ``@preamble`` / ``@comment``
blocks, values made of braced and quoted text, numbers and macro references joined with
``#``, duplicates of every kind (keys in any case, fields, macros), free text and ``%``
lines between blocks, blocks side by side on one line, LF / CRLF / CR line endings and a
byte-order mark.  Alongside the text it computes what refbook must read: the entries in
order and each field's value, with macros read in file order (docs/bibtex.md).

Used by tests/test_grammar.py (a bounded number of examples) and
benchmarks/bench_grammar.py (many more).
"""

from __future__ import annotations

import json
import re
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from hypothesis import strategies as st

from refbook.bibtex import MONTH_MACROS

# small pools, so that duplicates of every kind are frequent
KEYS = [
    "smith2020",
    "Smith2020",
    "SMITH2020",
    "haxby:2001",
    "k-1",
    "x_y.z",
    "a/b",
    "Müller2019",
    "e1",
    "E1",
    "kaleem2023understanding",
]
TYPES = [
    "article",
    "Article",
    "ARTICLE",
    "misc",
    "Misc",
    "book",
    "inproceedings",
    "InProceedings",
    "online",
    "phdthesis",
    "unpublished",
    "customtype",
]
FIELDS = [
    "title",
    "Title",
    "TITLE",
    "author",
    "year",
    "note",
    "Note",
    "journal",
    "url",
    "doi",
    "pages",
    "keywords",
    "annotation",
    "month",
    "date",
    "editor",
    "booktitle",
    "x-field",
]
MACROS = ["jnl", "JNL", "HaxbyJV", "haxbyjv", "acm", "jan", "Oct", "m2"]
WORDS = [
    "Taliban",
    "border",
    "the",
    "TTP",
    "Pakistan",
    "and",
    "of",
    'Schr{\\"o}der',
    "\\&",
    "\\%",
    "10.1000/x",
    "https://example.org/a_b",
    "21--36",
    "{CPEC}",
    "2023",
    "Haxby, J. V.",
    "and others",
    "é",
    "—",
    "a@b",
    "@handle",
    '{"}',
    "(p)",
    "x,y",
    "#1",
    "50%",
]


@dataclass
class Document:
    """A generated .bib and what reading it must give."""

    text: str
    entries: list[tuple[str, dict[str, str]]] = field(default_factory=list)  # (key, fields)
    newline: str = "\n"


def _evaluated(parts: list[tuple[str, str]], macros: dict[str, str]) -> str:
    """The value refbook must show: parts joined, macros as defined above (else the name)."""
    out = []
    for kind, text in parts:
        if kind == "macro":
            low = text.lower()
            out.append(macros[low] if low in macros else MONTH_MACROS.get(low, text))
        else:
            out.append(text)
    return "".join(out)


@st.composite
def _text(draw) -> str:
    """Balanced text for a value: words, nested braces, LaTeX, line breaks (a '"' only
    inside braces, so that the text fits in a quoted value too)."""
    words = draw(st.lists(st.sampled_from(WORDS), min_size=0, max_size=5))
    seps = draw(
        st.lists(
            st.sampled_from([" ", " ", "  ", "\n  ", "\t"]),
            min_size=len(words),
            max_size=len(words),
        )
    )
    text = "".join(w + s for w, s in zip(words, seps)).rstrip(" \t\n")
    if draw(st.booleans()) and text:
        text = "{" + text + "}"
    return text


@st.composite
def _value(draw, defined: list[str]) -> tuple[str, list[tuple[str, str]]]:
    """A field or @string value: (source text, parts as (kind, evaluated text))."""
    n = draw(st.integers(1, 3))
    source, parts = [], []
    for _ in range(n):
        kind = draw(st.sampled_from(["braced", "braced", "quoted", "number", "macro"]))
        if kind == "braced":
            inner = draw(_text())
            source.append("{" + inner + "}")
            parts.append((kind, inner))
        elif kind == "quoted":
            inner = draw(_text())
            source.append('"' + inner + '"')
            parts.append((kind, inner))
        elif kind == "number":
            num = str(draw(st.integers(0, 3000)))
            source.append(num)
            parts.append((kind, num))
        else:
            name = (
                draw(st.sampled_from(MACROS + defined))
                if defined
                else draw(st.sampled_from(MACROS))
            )
            source.append(name)
            parts.append(("macro", name))
    joiner = draw(st.sampled_from([" # ", "#", " #\n    "]))
    return joiner.join(source), parts


_SPACE = st.sampled_from(["", " ", "  ", "\n", "\n  "])


@st.composite
def _entry(draw, macros: dict[str, str], defined: list[str]) -> tuple[str, str, dict[str, str]]:
    etype = draw(st.sampled_from(TYPES))
    key = draw(st.sampled_from(KEYS))
    open_, close = draw(st.sampled_from([("{", "}"), ("(", ")")]))
    names = draw(st.lists(st.sampled_from(FIELDS), min_size=0, max_size=6))
    indent = draw(st.sampled_from(["  ", "\t", " ", ""]))
    sep = draw(st.sampled_from([",\n", ", ", ","]))
    body, values = [], {}
    for name in names:
        source, parts = draw(_value(defined))
        eq = draw(st.sampled_from([" = ", "=", "  =  "]))
        body.append(f"{indent}{name}{eq}{source}")
        values.setdefault(name.lower(), _evaluated(parts, macros))  # the first one counts
    trailing = draw(st.sampled_from(["", ",", ",\n"])) if body else draw(st.sampled_from(["", ","]))
    head = f"@{etype}{draw(st.sampled_from(['', ' ']))}{open_}{key}"
    text = (
        head
        + ("," + draw(_SPACE) + sep.join(body) if body else "")
        + trailing
        + draw(st.sampled_from(["\n", "", " "]))
        + close
    )
    return key, text, values


@st.composite
def _string(draw, macros: dict[str, str], defined: list[str]) -> str:
    name = draw(st.sampled_from(MACROS))
    command = draw(st.sampled_from(["string", "String", "STRING"]))
    open_, close = draw(st.sampled_from([("{", "}"), ("(", ")")]))
    source, parts = draw(_value(defined))
    # evaluated where it is defined, with the macros above it (itself: its earlier value)
    macros[name.lower()] = _evaluated(parts, macros)
    defined.append(name)
    eq = draw(st.sampled_from([" = ", "="]))
    return f"@{command}{open_}{name}{eq}{source}{close}"


@st.composite
def _preamble(draw) -> str:
    command = draw(st.sampled_from(["preamble", "PREAMBLE", "Preamble"]))
    open_, close = draw(st.sampled_from([("{", "}"), ("(", ")")]))
    body = draw(
        st.sampled_from(
            ['"\\newcommand{\\noop}[1]{#1}"', '"a" # "b"', "{\\providecommand{\\url}[1]{#1}}"]
        )
    )
    return f"@{command}{open_}{body}{close}"


@st.composite
def _comment(draw) -> str:
    command = draw(st.sampled_from(["comment", "Comment", "COMMENT"]))
    body = draw(
        st.sampled_from(
            ["jabref-meta: databaseType:bibtex;", "{nested} text", "", "line one\nline two"]
        )
    )
    open_, close = draw(st.sampled_from([("{", "}"), ("(", ")")]))
    return f"@{command}{open_}{body}{close}"


_FREE = st.sampled_from(
    [
        "% a comment line",
        "Free text between entries.",
        "%% @article is mentioned in a comment",
        "",
        "--- section: books ---",
        "% refbook: ignore[pages-dash]",
    ]
)


@st.composite
def documents(draw, max_blocks: int = 8) -> Document:
    macros: dict[str, str] = {}
    defined: list[str] = []
    doc = Document("")
    pieces: list[str] = []
    for _ in range(draw(st.integers(1, max_blocks))):
        kind = draw(
            st.sampled_from(
                ["entry", "entry", "entry", "string", "string", "preamble", "comment", "free"]
            )
        )
        if kind == "entry":
            key, text, values = draw(_entry(macros, defined))
            doc.entries.append((key, values))
        elif kind == "string":
            text = draw(_string(macros, defined))
        elif kind == "preamble":
            text = draw(_preamble())
        elif kind == "comment":
            text = draw(_comment())
        else:
            text = draw(_FREE)
        pieces.append(text)
        pieces.append(draw(st.sampled_from(["\n", "\n\n", "\n\n\n", " ", "\n% between\n"])))
    # most documents are bibliographies; a few hold no entry at all
    if not doc.entries and draw(st.integers(0, 9)):
        key, text, values = draw(_entry(macros, defined))
        doc.entries.append((key, values))
        pieces.append(text + "\n")
    text = "".join(pieces)
    doc.newline = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    if doc.newline != "\n":
        text = text.replace("\n", doc.newline)
        doc.entries = [
            (k, {n: v.replace("\n", doc.newline) for n, v in f.items()}) for k, f in doc.entries
        ]
    doc.text = ("\ufeff" if draw(st.integers(0, 9)) == 0 else "") + text
    return doc


def bibtexparser_keys(text: str) -> list[str]:
    """The entries bibtexparser finds, duplicates included, in file order."""
    import bibtexparser
    from bibtexparser import model as bm

    library = bibtexparser.parse_string(text.lstrip("\ufeff"), parse_stack=[])
    keys = []
    for b in library.blocks:
        if isinstance(b, bm.Entry):
            keys.append(b.key)
        elif isinstance(b, (bm.DuplicateBlockKeyBlock, bm.DuplicateFieldKeyBlock)) and isinstance(
            b.ignore_error_block, bm.Entry
        ):
            keys.append(b.ignore_error_block.key)
    return keys


def normalise(value: str) -> str:
    """Values compared with white space folded (line endings and indentation vary)."""
    return " ".join(value.split())


# -- checking a document against every command that reads the file ------------------------

Runner = Callable[[list[str]], tuple[int, str, str]]  # args -> (exit code, stdout, stderr)

DATA_FORMATS = ("bibtex", "biblatex", "csl-json", "csl-yaml", "ris", "json")
_WHERE = re.compile(r":\d+(:\d+)?: ")  # file:line: in a one-line error


def commands(key: str | None, manuscript: str, *, pandoc: bool) -> list[list[str]]:
    """Every command that reads the file (with pandoc: the citation styles too)."""
    cmds = [
        ["list", "--json"],
        ["list"],
        ["stats", "--json"],
        ["search", "pakistan"],
        ["search", "--json", "title:border OR year:2020"],
        ["lint", "--format", "json"],
        ["fmt", "--check"],
        ["fmt"],
        ["check", "--offline", "--json"],
        ["cite-check", manuscript],
        ["dedupe", "--json"],
    ]
    cmds += [["export", "-f", fmt] for fmt in DATA_FORMATS]
    if key is not None:
        cmds += [["show", key], ["show", "--json", key], ["cite", "--syntax", "latex", key]]
    if pandoc:
        cmds += [
            ["export", "--style", "apa"],
            ["export", "--style", "ieee", "--to", "html"],
            ["render", "--allow-missing", manuscript],
        ]
        if key is not None:
            cmds.append(["cite", key])
    return cmds


def check_document(doc: Document, bib: str, run: Runner, *, pandoc: bool = False) -> list[str]:
    """Run every reading command on the document at ``bib``; the failures, as text.

    Each command must end without a traceback, with exit 0 or 1 (findings / nothing
    found), or 3 with a one-line error naming the file and line; ``list --json`` must give
    the entries the document holds, which are the entries bibtexparser finds, with the
    values docs/bibtex.md promises, and one warning per macro defined twice."""
    failures: list[str] = []
    expected_keys = [k for k, _ in doc.entries]
    theirs = bibtexparser_keys(doc.text)
    if theirs != expected_keys:
        failures.append(f"bibtexparser finds {theirs}, the document holds {expected_keys}")
    manuscript = str(Path(bib).with_name("ms.md"))
    Path(manuscript).write_text(
        f"As argued [@{expected_keys[0] if expected_keys else 'x'}] and "
        "(Smith, 2020), but see [@nowhere].\n",
        encoding="utf-8",
    )
    key = expected_keys[0] if expected_keys else None
    for args in commands(key, manuscript, pandoc=pandoc):
        argv = ["--bib", bib, *args]
        try:
            code, out, err = run(argv)
        except Exception:  # noqa: BLE001 - the point: report any crash with its traceback
            failures.append(f"refbook {' '.join(args)}: traceback\n{traceback.format_exc()}")
            continue
        if "Traceback" in err:
            failures.append(f"refbook {' '.join(args)}: traceback\n{err}")
        elif code == 3:
            first = err.strip().splitlines()[-1] if err.strip() else ""
            whole_file = first.endswith(f"{bib}: error: no BibTeX entries found")
            if bib not in first or not (_WHERE.search(first) or whole_file):
                failures.append(f"refbook {' '.join(args)}: exit 3 without file and line: {err!r}")
        elif code not in (0, 1):
            failures.append(f"refbook {' '.join(args)}: exit {code}: {err.strip()[-300:]!r}")
        if args == ["list", "--json"] and code == 0:
            failures += _compare_entries(doc, json.loads(out))
            warned = re.findall(r"duplicate @string '([^']*)'", err)
            if len({w.lower() for w in warned}) != len(warned):
                failures.append(f"a duplicate @string warned twice: {err!r}")
        elif args == ["list", "--json"] and expected_keys:
            failures.append(f"refbook list --json: exit {code} on a file with entries: {err!r}")
    return failures


def _compare_entries(doc: Document, records: list[dict]) -> list[str]:
    ours = [r["id"] for r in records]
    expected = [k for k, _ in doc.entries]
    if ours != expected:
        return [f"refbook reads entries {ours}, the document holds {expected}"]
    failures = []
    for record, (key, fields) in zip(records, doc.entries):
        got = {n: normalise(v) for n, v in record["fields"].items()}
        want = {n: normalise(v) for n, v in fields.items()}
        if got != want:
            diff = {
                n: (got.get(n), want.get(n))
                for n in set(got) | set(want)
                if got.get(n) != want.get(n)
            }
            failures.append(f"entry {key}: fields (refbook, expected) differ: {diff}")
    return failures
