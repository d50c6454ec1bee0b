"""Parse diagnostics: what is wrong with a .bib as it is read, as ``Finding``s.

``read_blocks`` gives a file's located blocks (``refbook.blocks``) and the problems found
while reading them: blocks bibtexparser gave up on (said in the user's terms, at the line
where the block starts), a stray ``@``, a key written twice, an entry without a key, a
field written twice, a value that does not split, an ``@string`` defined twice.  A file
with content but no readable entry is an ``InputError``.  ``BibFile.problems`` holds what
it returns; ``refbook lint`` reports them beside its own rules.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from . import bibtex
from .blocks import (
    ABORT_MSG,
    Block,
    duplicate_fields,
    lf_lines,
    locate_blocks,
    parse_blocks,
)
from .errors import InputError
from .findings import Finding, Severity

_STRAY_AT = re.compile(r"^[ \t]*@(?![ \t]*(?:comment|preamble|string)\b)", re.M | re.I)
_NO_KEY = re.compile(r"@\s*[A-Za-z][\w-]*\s*[{(]\s*[^\s,{}()=]+\s*=")
_NO_COMMA = re.compile(r"@\s*[A-Za-z][\w-]*\s*[{(]\s*([^\s,{}()=]+)\s+[^\s,{}()=]+\s*=")


def read_blocks(
    text: str, name: str, macros: bibtex.MacroTable
) -> tuple[list[Block], list[Finding]]:
    """The blocks of ``text`` (offsets those of ``text``) and the problems found reading
    it; ``macros`` gets the file's ``@string`` definitions.  ``name`` is the file's name
    in findings and errors."""
    # offsets are those of `text`: lone CRs read as LFs, `%` comments and odd block heads
    # as biber and pandoc read them (bibtex.reader_text)
    lf = bibtex.reader_text(lf_lines(text))
    library, records = parse_blocks(lf)
    report = _Report(name)
    blocks: list[Block] = []
    for blk, parsed in locate_blocks(lf, library, macros):
        if blk.kind == "text":
            report.stray_at(blk, parsed.raw)
        elif blk.kind == "invalid":
            report.invalid(blk, parsed.raw, records)
        blocks.append(blk)
    report.unmatched_records(records)
    report.duplicate_strings(blocks, macros)
    report.entries(blocks)
    if not any(b.kind == "entry" for b in blocks) and _has_content(text, blocks):
        first = next((p for p in report.findings if p.severity is Severity.ERROR), None)
        if first is not None:
            raise InputError(f"{first}; no entry could be read")
        if not any(b.kind in ("string", "preamble", "comment") for b in blocks):
            # free text only: not a bibliography (a file of @string macros is one)
            raise InputError(f"{name}: error: no BibTeX entries found")
    return blocks, report.findings


def explain(detail: str, line: int) -> str:
    """bibtexparser's abort message, said in the user's terms."""
    detail = " ".join(detail.split()).rstrip(".")
    if detail.startswith("Unexpected block start"):
        return f"entry is not closed: unbalanced '{{' or '\"' before the next entry on line {line}"
    if detail.startswith("Unexpectedly reached end of file"):
        return "entry is not closed: unbalanced '{' or '\"' (reached the end of the file)"
    return f"{detail[:1].lower()}{detail[1:]} (line {line})"


def duplicate_field_message(name: str, lines: list[int]) -> str:
    where = ", ".join(map(str, lines[:-1])) + f" and {lines[-1]}"
    times = "twice" if len(lines) == 2 else f"{len(lines)} times"
    return f"field {name!r} written {times} (lines {where}); BibTeX reads the first"


def _has_content(text: str, blocks: list[Block]) -> bool:
    """True when the file has anything besides blank lines and ``%`` comments."""
    for blk in blocks:
        if blk.kind in ("entry", "string", "preamble", "invalid"):
            return True
        if blk.kind == "text":
            body = text[blk.start : blk.end]
            if any(ln.strip() and not ln.lstrip().startswith("%") for ln in body.splitlines()):
                return True
    return False


class _Report:
    """The findings of one file, in the order they are found."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.findings: list[Finding] = []

    def add(
        self,
        line: int,
        message: str,
        key: str | None = None,
        rule: str = "syntax",
        severity: Severity = Severity.ERROR,
        **data: Any,
    ) -> None:
        self.findings.append(Finding(self.name, line, severity, rule, message, key, data=data))

    def stray_at(self, blk: Block, raw: str) -> None:
        """BibTeX would try to read an entry at an ``@`` in text; bibtexparser says nothing."""
        stray = _STRAY_AT.search(raw)
        if stray:
            at_line = blk.line + raw.count("\n", 0, stray.start())
            self.add(
                at_line,
                "stray '@' that does not start an entry (kept as a comment)",
                None,
                severity=Severity.WARNING,
            )

    def invalid(self, blk: Block, raw: str, records: list[logging.LogRecord]) -> None:
        """Report a block bibtexparser gave up on, at the line where the block starts."""
        detail = "unparseable block (kept verbatim)"
        for rec in records:
            m = ABORT_MSG.match(rec.getMessage())
            if m and int(m.group("block")) + 1 == blk.line:
                records.remove(rec)
                detail = explain(m.group("detail"), int(m.group("line")) + 1)
                break
        if blk.key is None:
            no_comma = _NO_COMMA.match(raw)
            if no_comma:
                blk.key = no_comma.group(1)
                detail = "missing comma after the key"
            elif _NO_KEY.match(raw):
                detail = "entry has no key"
        self.add(blk.line, detail, blk.key)

    def unmatched_records(self, records: list[logging.LogRecord]) -> None:
        """Parser complaints about text that ended up as a comment (a stray ``@``)."""
        for rec in records:
            m = ABORT_MSG.match(rec.getMessage())
            if m:
                line = int(m.group("block")) + 1
                what = m.group("type").strip("`")
                msg = (
                    f"stray {what!r} is not the start of an entry (kept as a comment)"
                    if what.strip() == "@"
                    else explain(m.group("detail"), int(m.group("line")) + 1)
                )
                self.add(line, msg, None, severity=Severity.WARNING)

    def duplicate_strings(self, blocks: list[Block], macros: bibtex.MacroTable) -> None:
        """One warning per macro defined more than once, with the lines of its definitions."""
        lines: dict[str, list[Block]] = {}
        for blk in blocks:
            if blk.kind == "string" and blk.key is not None:
                lines.setdefault(blk.key.lower(), []).append(blk)
        for defs in lines.values():
            if len(defs) < 2:
                continue
            name = defs[-1].key or ""
            nums = [b.line for b in defs]
            where = f"lines {', '.join(map(str, nums[:-1]))} and {nums[-1]}"
            values = {macros.at((b.scope or 0) + 1)[name.lower()] for b in defs}
            if len(values) == 1:
                msg = f"duplicate @string {name!r} ({where}), with the same text each time"
            elif len(nums) == 2:
                msg = (
                    f"duplicate @string {name!r} ({where}); entries from line {nums[1]} on "
                    "use the later definition, as in BibTeX and biber"
                )
            else:
                msg = (
                    f"duplicate @string {name!r} ({where}); each entry uses the definition "
                    "above it, as in BibTeX and biber"
                )
            self.add(
                defs[1].line,
                msg,
                None,
                rule="duplicate-string",
                severity=Severity.WARNING,
                name=name,
                lines=nums,
            )

    def entries(self, blocks: list[Block]) -> None:
        """Keys missing or written twice, fields written twice, values that do not split."""
        seen: dict[str, Block] = {}
        for blk in blocks:
            if blk.kind != "entry":
                continue
            key = blk.key or ""
            lower = key.lower()
            if not lower:  # @article{, ...}: some exporters write entries without keys
                self.add(
                    blk.line, "entry without a key (it cannot be cited)", None, rule="missing-key"
                )
            elif lower in seen:
                first = seen[lower]
                self.add(
                    blk.line,
                    f"duplicate key {key!r} (also on line {first.line}); both entries are kept",
                    key,
                    rule="duplicate-key",
                )
            else:
                seen[lower] = blk
            fields = blk.entry.fields
            if len({f.key.lower() for f in fields}) < len(fields):
                for name, lines in duplicate_fields(blk.entry).items():
                    self.add(
                        lines[1],
                        duplicate_field_message(name, lines),
                        key,
                        rule="duplicate-field",
                    )
            for f in fields:
                if "=" in f.value or "#" in f.value:
                    try:
                        bibtex.split_parts(f.value)
                    except bibtex.BibSyntaxError as exc:
                        self.add(f.start_line + 1, f"field {f.key!r}: {exc}", key)
