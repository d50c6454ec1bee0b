"""A hypothesis generator of BibTeX documents, and what a reader should find in them.

``documents()`` draws whole .bib texts from the grammar BibTeX and biber accept: entries
(any type, in any case, with ``{}`` or ``()``), ``@string`` / ``@preamble`` / ``@comment``
blocks, values made of braced and quoted text, numbers and macro references joined with
``#``, duplicates of every kind (keys in any case, fields, macros), free text and ``%``
lines between blocks, blocks side by side on one line, LF / CRLF / CR line endings and a
byte-order mark; and what biber and pandoc read beyond bibtexparser: white space after the
``@`` or a line break before the delimiter (``@ article{``), ``%`` comment lines inside
entries and entries commented out line by line (``Document.plain`` is the same document
without those, for bibtexparser to read as the independent oracle).  Alongside the text it computes what refbook must read: the entries in
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
    # the same document without what only BibTeX/biber/pandoc read (odd block heads, `%`
    # comments inside entries, commented-out entries): bibtexparser reads the same entries
    plain: str = ""


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


# `%` to the end of the line inside an entry, outside values: a comment for biber and pandoc
_INNER_COMMENTS = [
    "% a comment line\n",
    "% note = {commented out},\n",
    '% an unbalanced } and { and a " in a comment\n',
    "%@article{old, title={Old}}\n",
    "%\n",
]
# block heads BibTeX and biber read, bibtexparser not: white space after the `@`, or a line
# break before the delimiter
_ODD_HEADS = ["@ {etype}{open_}", "@\n{etype}{open_}", "@{etype}\n  {open_}", "@ {etype} {open_}"]


@st.composite
def _entry(
    draw, macros: dict[str, str], defined: list[str]
) -> tuple[str, str, dict[str, str], str]:
    """(key, text, fields, plain): ``plain`` is the text without comments or odd heads."""
    etype = draw(st.sampled_from(TYPES))
    key = draw(st.sampled_from(KEYS))
    open_, close = draw(st.sampled_from([("{", "}"), ("(", ")")]))
    names = draw(st.lists(st.sampled_from(FIELDS), min_size=0, max_size=6))
    indent = draw(st.sampled_from(["  ", "\t", " ", ""]))
    sep = draw(st.sampled_from([",\n", ", ", ","]))
    body, plain_body, values = [], [], {}
    for name in names:
        source, parts = draw(_value(defined))
        eq = draw(st.sampled_from([" = ", "=", "  =  "]))
        comment = draw(st.sampled_from([""] * 12 + _INNER_COMMENTS))
        body.append(f"{comment}{indent}{name}{eq}{source}")
        plain_body.append(f"{indent}{name}{eq}{source}")
        values.setdefault(name.lower(), _evaluated(parts, macros))  # the first one counts
    trailing = draw(st.sampled_from(["", ",", ",\n"])) if body else draw(st.sampled_from(["", ","]))
    space = draw(_SPACE)
    end = draw(st.sampled_from(["\n", "", " "])) + close
    plain_head = f"@{etype}{draw(st.sampled_from(['', ' ']))}{open_}{key}"
    head = plain_head
    if draw(st.integers(0, 5)) == 0:
        head = draw(st.sampled_from(_ODD_HEADS)).format(etype=etype, open_=open_) + key
    text = head + ("," + space + sep.join(body) if body else "") + trailing + end
    plain = plain_head + ("," + space + sep.join(plain_body) if body else "") + trailing + end
    return key, text, values, plain


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
# an entry commented out line by line: no entry for biber and pandoc (for BibTeX it is one)
_COMMENTED_OUT = st.sampled_from(
    [
        "%@article{smith2020, title={Old}}",
        "%@ARTICLE{e1,\n%  title = {Old},\n%  year = 1999,\n%}",
        "% @misc{k-1, note = {x}}",
        "x %@book{E1, title={After free text}}",
    ]
)


@st.composite
def documents(draw, max_blocks: int = 8) -> Document:
    macros: dict[str, str] = {}
    defined: list[str] = []
    doc = Document("")
    pieces: list[str] = []
    plain: list[str] = []
    for _ in range(draw(st.integers(1, max_blocks))):
        kind = draw(
            st.sampled_from(
                ["entry", "entry", "entry", "string", "string", "preamble", "comment", "free"]
                + ["commented-out"]
            )
        )
        if kind == "entry":
            key, text, values, plain_text = draw(_entry(macros, defined))
            doc.entries.append((key, values))
        elif kind == "string":
            text = plain_text = draw(_string(macros, defined))
        elif kind == "preamble":
            text = plain_text = draw(_preamble())
        elif kind == "comment":
            text = plain_text = draw(_comment())
        elif kind == "free":
            text = plain_text = draw(_FREE)
        else:
            text, plain_text = draw(_COMMENTED_OUT), ""
        between = ["\n", "\n\n", "\n\n\n", " ", "\n% between\n"]
        if "%" in text.rsplit("\n", 1)[-1]:
            between.remove(" ")  # (a block after it on its line would be commented out)
        gap = draw(st.sampled_from(between))
        pieces += [text, gap]
        plain += [plain_text, gap]
    # most documents are bibliographies; a few hold no entry at all
    if not doc.entries and draw(st.integers(0, 9)):
        key, text, values, plain_text = draw(_entry(macros, defined))
        doc.entries.append((key, values))
        pieces.append(text + "\n")
        plain.append(plain_text + "\n")
    text = "".join(pieces)
    doc.plain = "".join(plain)
    doc.newline = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    if doc.newline != "\n":
        text = text.replace("\n", doc.newline)
        doc.plain = doc.plain.replace("\n", doc.newline)
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
    the entries the document holds, which are the entries bibtexparser finds (in the
    document without what only biber and pandoc read), with the
    values docs/bibtex.md promises, and one warning per macro defined twice."""
    failures: list[str] = []
    expected_keys = [k for k, _ in doc.entries]
    theirs = bibtexparser_keys(doc.plain or doc.text)
    if theirs != expected_keys:
        failures.append(
            f"bibtexparser finds {theirs} (without comments and odd heads), "
            f"the document holds {expected_keys}"
        )
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
