"""How a .bib writes its entries (indentation, delimiters, case, alignment, blank lines),
detected from the file, so that what refbook adds looks like its neighbours: a new entry
(``Style.format_entry``), a field added to an entry (``insert_field``), a field removed
(``remove_field``) with its own line.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from . import bibtex

if TYPE_CHECKING:
    from .store import BibFile


@dataclass(frozen=True)
class Style:
    """How the file writes entries, so that appended entries look like their neighbours."""

    indent: str = "  "
    quote: str = "{"  # "{" or '"'
    trailing_comma: bool = True
    field_case: str = "lower"  # lower | upper | title
    type_case: str = "lower"
    align: bool = False  # pad field names so that '=' lines up
    blank_line: bool = True  # a blank line between entries

    def format_entry(
        self, entry_type: str, key: str, fields: list[tuple[str, str]], newline: str = "\n"
    ) -> str:
        etype = case(entry_type, self.type_case)
        width = max((len(n) for n, _ in fields), default=0) if self.align else 0
        lines = [f"@{etype}{{{key},"]
        for i, (name, value) in enumerate(fields):
            body = bibtex.quote(value)
            if self.quote == '"' and '"' not in value:
                body = '"' + value + '"'
            comma = "," if (i < len(fields) - 1 or self.trailing_comma) else ""
            lines.append(f"{self.indent}{case(name, self.field_case).ljust(width)} = {body}{comma}")
        lines.append("}")
        return newline.join(lines)


def case(word: str, how: str) -> str:
    """``word`` in ``upper``, ``title`` or ``lower`` case."""
    return word.upper() if how == "upper" else word.capitalize() if how == "title" else word.lower()


def insert_field(
    text: str,
    spans: bibtex.EntrySpans,
    name: str,
    quoted: str,
    newline: str,
    file_style: Callable[[], Style],
) -> str:
    """``text`` (an entry) with a field added after the last one, written like the entry's own
    fields; ``file_style`` gives the file's style for an entry that has no field yet."""
    nl = newline
    if not spans.fields:  # an entry with no fields yet: @misc{key}
        style = file_style()
        line = f"{style.indent}{case(name, style.field_case)} = {quoted}"
        comma = "," if style.trailing_comma else ""
        return text[: spans.key_end] + "," + nl + line + comma + nl + text[spans.close :]
    last = spans.fields[-1]
    fname = case(name, detect_case([f.name for f in spans.fields]))
    sep = text[last.start + len(last.name) : last.value_start]  # e.g. " = " or "    = "
    before, after = sep[: sep.index("=")], sep[sep.index("=") + 1 :]
    line_start = text.rfind("\n", 0, last.start) + 1
    indent = text[line_start : last.start]
    if (
        spans.fields[0].start > text.rfind("\n", 0, spans.fields[0].start) > 0
        and not indent.strip()
    ):
        # one field per line: the new one gets its own line, '=' aligned like its neighbours
        cols = {text.index("=", f.start) - f.start for f in spans.fields}
        if len(cols) == 1 and len({len(f.name) for f in spans.fields}) > 1:
            before = " " * max(1, len(last.name) + len(before) - len(fname))
        field = f"{indent}{fname}{before}={after}{quoted}"
        if last.has_comma:
            return text[: last.end] + nl + field + "," + text[last.end :]
        return text[: last.value_end] + "," + nl + field + text[last.value_end :]
    field = f"{fname}{before}={after}{quoted}"
    if last.has_comma:
        return text[: last.end] + " " + field + "," + text[last.end :]
    return text[: last.value_end] + ", " + field + text[last.value_end :]


def remove_field(text: str, f: bibtex.FieldSpan) -> str:
    """``text`` (an entry) without field ``f``, and without its line when it has one of its own."""
    line_start = text.rfind("\n", 0, f.start) + 1
    after = f.end
    if text[line_start : f.start].strip():
        return text[: f.start] + text[after:].lstrip(" \t")
    nxt = text.find("\n", after)
    if nxt >= 0 and text[after:nxt].strip() == "":
        return text[:line_start] + text[nxt + 1 :]
    return text[:line_start] + text[after:].lstrip(" \t")


def detect_case(names: list[str]) -> str:
    """How ``names`` are written: ``upper``, ``title`` or ``lower`` case."""
    letters = [n for n in names if n.lower() != n.upper()]
    if letters and all(n.isupper() for n in letters):
        return "upper"
    if letters and all(n[:1].isupper() and n[1:].islower() for n in letters):
        return "title"
    return "lower"


def detect_style(bib: BibFile) -> Style:
    """The style most of the file's first 50 entries are written in."""
    entries = bib.entries()[:50]
    if not entries:
        return Style()
    indents: Counter[str] = Counter()
    quotes: Counter[str] = Counter()
    commas: Counter[bool] = Counter()
    aligned: Counter[bool] = Counter()
    field_names: list[str] = []
    types: list[str] = []
    for blk in entries:
        text = bib.block_text(blk)
        try:
            spans = bibtex.scan_entry(text)
        except bibtex.BibSyntaxError:
            continue
        types.append(spans.entry_type)
        if not spans.fields:
            continue
        for f in spans.fields:
            ls = text.rfind("\n", 0, f.start) + 1
            prefix = text[ls : f.start]
            if ls > 0 and not prefix.strip():
                indents[prefix] += 1
            quotes[text[f.value_start]] += 1
            field_names.append(f.name)
        commas[spans.fields[-1].has_comma] += 1
        if len(spans.fields) > 1:
            cols = {
                text.index("=", f.start) - (text.rfind("\n", 0, f.start) + 1) for f in spans.fields
            }
            aligned[len(cols) == 1 and len({len(f.name) for f in spans.fields}) > 1] += 1
    gaps = [bib.text[a.end : b.start] for a, b in zip(entries, entries[1:])]
    blank = sum(g.count("\n") >= 2 for g in gaps) * 2 >= len(gaps) if gaps else True
    return Style(
        indent=indents.most_common(1)[0][0] if indents else "  ",
        quote='"' if quotes['"'] > quotes["{"] else "{",
        trailing_comma=commas[True] >= commas[False],
        field_case=detect_case(field_names),
        type_case=detect_case(types),
        align=aligned[True] > aligned[False],
        blank_line=blank,
    )
