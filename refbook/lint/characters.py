"""Lint rules about characters: a bare ``%``/``&``, characters 8-bit BibTeX cannot
handle, control characters."""

from __future__ import annotations

import re
from collections.abc import Iterator

from ..controls import control_pattern, maybe_control_pattern
from ..model import Entry
from .registry import Context, Issue, rule


@rule(
    "bare-special",
    "encoding",
    "warning",
    "A bare % or & in a text field: LaTeX and pandoc read % as the start of a comment "
    "(the rest of the line is lost) and & as an error; write \\% and \\&.",
    fixable=True,
)
def _bare_special(entry: Entry, ctx: Context) -> Iterator[Issue]:
    from ..latex import BARE_SPECIAL
    from ..plaintext import VERBATIM_FIELDS

    values = entry.fields
    joined = "".join(values.values())
    if "%" not in joined and "&" not in joined:
        return  # the usual case: no value to look at
    for name, value in values.items():
        if ("%" not in value and "&" not in value) or name in VERBATIM_FIELDS:
            continue  # (the usual case, without the regex's scan)
        if not BARE_SPECIAL.search(value):
            continue
        found = sorted({m.group(2) for m in BARE_SPECIAL.finditer(value)})
        escaped = " and ".join("\\" + c for c in found)
        raw = entry.raw(name) or ""
        fix = None if "#" in raw else (name, BARE_SPECIAL.sub(r"\1\\\2", value))
        yield Issue(
            f"bare {' and '.join(found)} in {name}: LaTeX and pandoc do not read it "
            f"as text (write {escaped})",
            name,
            fix,
        )


_WIDE = re.compile(r"[^\x00-\xff]")  # a character outside Latin-1


@rule(
    "non-ascii",
    "encoding",
    "info",
    "A character outside Latin-1 that 8-bit BibTeX cannot sort or case-change (use a LaTeX "
    "escape, or biber).",
)
def _non_ascii(entry: Entry, ctx: Context) -> Iterator[Issue]:
    for name in ("author", "editor", "title"):
        value = entry.get(name) or ""
        if _WIDE.search(value) is None:
            continue  # the usual case: one scan by the regex engine
        odd = sorted({c for c in value if ord(c) > 255})
        if odd:
            yield Issue(f"{name} has characters 8-bit BibTeX cannot handle: {''.join(odd)}", name)


_CONTROL = control_pattern()  # what refbook.output.visible escapes (refbook/controls.py)
_MAYBE_CONTROL = maybe_control_pattern()


@rule(
    "control-character",
    "encoding",
    "warning",
    "A key or field holds a control character (a terminal escape sequence, a bell, a "
    "bidirectional override): invisible in print, and a bibliography from someone else "
    "may use it on a terminal.",
)
def _control_character(entry: Entry, ctx: Context) -> Iterator[Issue]:
    def named(value: str) -> str:  # U+001B, never the character itself
        return " ".join(f"U+{ord(c):04X}" for c in sorted(set(_CONTROL.findall(value))))

    maybe = _MAYBE_CONTROL.search
    if maybe(entry.key) is None and maybe("".join(entry.fields.values())) is None:
        return  # the usual case: nothing to report (the source is not read)
    if maybe(entry.source) is None:  # (a value's control character from a @string)
        return
    if _CONTROL.search(entry.key):
        yield Issue(f"the key holds control characters: {named(entry.key)}")
    for name, value in entry.fields.items():
        if _CONTROL.search(value):
            yield Issue(f"{name} holds control characters: {named(value)}", name)
