"""``refbook fmt``: one canonical, documented layout, without losing a byte of data.

Layout (each point configurable in ``[fmt]``)::

    @article{key,            entry type and field names in lower case (fmt.field_case)
      author = {...},        two-space indent (fmt.indent), braces (fmt.quote),
      title  = {...},        '=' aligned when fmt.align is true
      ...                    fields in a fixed order (fmt.field_order), others after
    }                        trailing comma after the last field; one blank line between

Only the layout changes: field values are kept exactly (a value that is a macro or a
``#`` concatenation is kept as written; a quoted value is re-delimited with braces only
when that cannot change it), and ``@string``, ``@preamble``, comments and text between
entries are kept verbatim, as is an entry with ``%`` comment lines between its fields.  ``data_signature`` compares what a BibTeX reader sees before
and after, and fmt refuses to write output whose data differ.  Formatting is idempotent.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from . import bibtex
from .store import BibFile, Block

if TYPE_CHECKING:
    from .config import Config

DEFAULT_ORDER = (
    "author",
    "editor",
    "title",
    "subtitle",
    "journal",
    "journaltitle",
    "booktitle",
    "maintitle",
    "organization",
    "institution",
    "school",
    "howpublished",
    "entrysubtype",
    "year",
    "date",
    "month",
    "volume",
    "number",
    "issue",
    "pages",
    "edition",
    "series",
    "chapter",
    "publisher",
    "address",
    "location",
    "type",
    "language",
    "isbn",
    "issn",
    "doi",
    "eprint",
    "eprinttype",
    "url",
    "urldate",
    "keywords",
    "annotation",
    "annote",
    "abstract",
    "note",
    "addendum",
)


@dataclass(frozen=True)
class Layout:
    indent: str = "  "
    quote: str = "{"
    field_case: str = "lower"
    align: bool = False
    sort: str = "none"  # none | key | year
    field_order: tuple[str, ...] = DEFAULT_ORDER

    @classmethod
    def from_config(cls, cfg: Config) -> Layout:
        return cls(
            indent=cfg["fmt.indent"],
            quote=cfg["fmt.quote"],
            field_case=cfg["fmt.field_case"],
            align=cfg["fmt.align"],
            sort=cfg["fmt.sort"],
            field_order=tuple(cfg["fmt.field_order"]) or DEFAULT_ORDER,
        )


def _requote(raw: str, quote: str) -> str:
    """The value with the layout's delimiters, when changing them cannot change the data."""
    raw = raw.strip()
    try:
        parts = bibtex.split_parts(raw)
    except bibtex.BibSyntaxError:
        return raw
    if len(parts) != 1 or parts[0][0] not in '{"':
        return raw  # a macro, a number or a concatenation: kept as written
    inner = parts[0][1:-1]
    if quote == "{":
        try:
            return bibtex.quote(inner)
        except bibtex.BibSyntaxError:
            return raw
    if '"' in inner:
        return raw
    return '"' + inner + '"'


def format_entry(text: str, layout: Layout) -> str:
    spans = bibtex.scan_entry(text)
    order = {name: i for i, name in enumerate(layout.field_order)}
    fields = [(f.name, text[f.value_start : f.value_end]) for f in spans.fields]
    ranked = sorted(enumerate(fields), key=lambda p: (order.get(p[1][0].lower(), len(order)), p[0]))
    names = [
        name.upper() if layout.field_case == "upper" else name.lower() for _, (name, _) in ranked
    ]
    width = max((len(n) for n in names), default=0) if layout.align else 0
    lines = [f"@{spans.entry_type.lower()}{{{spans.key},"]
    for name, (_, (_, raw)) in zip(names, ranked):
        lines.append(f"{layout.indent}{name.ljust(width)} = {_requote(raw, layout.quote)},")
    lines.append("}")
    return "\n".join(lines)


# blank lines (any line end): where free text between entries splits into paragraphs
_BLANK_LINES = re.compile(r"(?:\r\n|\r(?!\n)|\n)(?:[ \t]*(?:\r\n|\r(?!\n)|\n))+")


def _blocks(bib: BibFile) -> list[Block]:
    """The file's blocks, text between entries split into paragraphs (at blank lines, any
    number of them), so that a comment directly above an entry can travel with it."""
    out: list[Block] = []
    for b in bib.blocks:
        if b.kind == "removed":
            continue
        if b.kind == "text" and out and out[-1].kind == "invalid" and not out[-1].edited:
            # the rest of an entry the parser gave up on: kept with it, verbatim (a blank
            # line put between them would change how the file reads)
            broken = out.pop()
            out.append(Block("invalid", broken.start, b.end, broken.line, broken.key))
            continue
        if b.kind != "text" or b.edited:
            out.append(b)
            continue
        pos = b.start
        for m in _BLANK_LINES.finditer(bib.text, b.start, b.end):
            if m.start() > pos:
                out.append(Block("text", pos, m.start(), b.line, None))
            pos = m.end()
        if b.end > pos:
            out.append(Block("text", pos, b.end, b.line, None))
    return out


def _lf(text: str) -> str:
    """Line ends as ``\n`` (the file's own line end is put back at the end)."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _units(bib: BibFile) -> tuple[list[Block], list[list[Block]], list[Block]]:
    """(header blocks, [comments..., entry] units, trailing blocks) for sorting."""
    blocks = _blocks(bib)
    first = next((i for i, b in enumerate(blocks) if b.kind == "entry"), len(blocks))
    # a comment directly above the first entry (no blank line) belongs to it
    if (
        0 < first < len(blocks)
        and blocks[first - 1].kind == "text"
        and "\n\n" not in bib.text[blocks[first - 1].end : blocks[first].start]
    ):
        first -= 1
    header = blocks[:first]
    units: list[list[Block]] = []
    pending: list[Block] = []
    for b in blocks[first:]:
        pending.append(b)
        if b.kind == "entry":
            units.append(pending)
            pending = []
    return header, units, pending


def _sort_key(unit: list[Block], how: str) -> tuple[str, ...]:
    entry = unit[-1]
    if how == "key":
        return ((entry.key or "").lower(),)
    year = bibtex.evaluate(
        next((f.value for f in entry.entry.fields if f.key.lower() == "year"), "0")
    )
    return (year if year.isdigit() else "0", (entry.key or "").lower())


def format_text(bib: BibFile, layout: Layout) -> str:
    """The whole file in the canonical layout."""
    if layout.sort in ("key", "year"):
        header, units, trailing = _units(bib)
        units.sort(key=lambda u: _sort_key(u, layout.sort))
        sequence = header + [b for u in units for b in u] + trailing
    else:
        sequence = _blocks(bib)
    out: list[str] = []
    prev: Block | None = None
    for b in sequence:
        # every line end as \n while laying out (a multi-line value or @comment of a CRLF
        # file would otherwise come out with \r\r\n), the file's own put back at the end
        body = _lf(bib.block_text(b))
        if b.kind == "entry" and not _has_comments(body):
            try:
                body = format_entry(body, layout)
            except bibtex.BibSyntaxError:
                pass  # kept as written: lint reports it
        else:
            body = body.strip("\n")
        if prev is not None:
            attached = (
                prev.kind == "text"
                and b.kind == "entry"
                and not _BLANK_LINES.search(bib.text, prev.end, b.start)
            )
            out.append("\n" if attached else "\n\n")
        out.append(body)
        prev = b
    text = "".join(out).rstrip() + "\n"
    return text.replace("\n", bib.newline) if bib.newline != "\n" else text


def _has_comments(entry_text: str) -> bool:
    """True when an entry has ``%`` comments between its fields: it is kept as written,
    since no layout can tell which field a comment belongs to (a field commented out)."""
    return "%" in entry_text and bibtex.reader_text(entry_text).count("%") < entry_text.count("%")


def _paragraphs(text: str) -> list[str]:
    """Free text as its paragraphs: how many blank lines separate them is layout."""
    return [p.strip() for p in _BLANK_LINES.split(_lf(text)) if p.strip()]


def data_signature(bib: BibFile) -> tuple:
    """What a BibTeX reader sees: entries (type, key, evaluated fields in order), strings,
    preambles and comments; layout is not part of it."""
    entries, strings, others = [], [], []
    for b in bib.blocks:
        if b.kind == "entry":  # line ends are white space to BibTeX, not data
            fields = tuple(
                sorted(
                    (f.key.lower(), _lf(bibtex.evaluate(f.value, bib.strings_for(b))))
                    for f in b.entry.fields
                )
            )
            entries.append((b.entry.entry_type.lower(), b.key, fields))
        elif b.kind == "string":
            strings.append(_lf(bib.block_text(b)))
        elif b.kind == "text":  # free text: its paragraphs, however many blank lines apart
            others += _paragraphs(bib.block_text(b))
        elif b.kind in ("preamble", "comment", "invalid"):
            others.append(_lf(bib.block_text(b)).strip())
    return tuple(sorted(entries, key=lambda e: e[1])), tuple(strings), tuple(sorted(others))


def check_lossless(before: BibFile, after_text: str) -> None:
    """Refuse (``RefbookError``) to write a formatted text whose data differ."""
    from .errors import RefbookError

    after = BibFile(after_text, name=before.name)
    if data_signature(before) != data_signature(after):
        raise RefbookError(
            f"{before.name}: error: formatting would change the data; nothing "
            "written (please report this)"
        )


def changed_entries(bib: BibFile, layout: Layout) -> list[tuple[int, str]]:
    """(line, key) of the entries whose text the layout would change."""
    out = []
    for b in bib.entries():
        if _has_comments(bib.block_text(b)):
            continue
        try:
            if format_entry(_lf(bib.block_text(b)), layout) != _lf(bib.block_text(b)):
                out.append((b.line, b.key or ""))
        except bibtex.BibSyntaxError:
            continue
    return out
