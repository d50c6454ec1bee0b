"""Diagnostics of a manuscript after an edit, parsing only the part the edit changed.

The document is cut into segments at line starts: after a blank line (a paragraph), or
at a line whose hash picks it (so a long run of lines without blank lines is cut too,
at places that do not move when lines are inserted above).  A cut is made only where
no match of the citation patterns crosses it, in the document masked whole (code, front
matter, comments, the reference list blanked as ``manuscript.mask`` does): each segment
then parses, from its own slice of the masked text, to exactly the citations the whole
parse finds in it.  Each segment's citations are kept by its text; what a bibliography
makes of them (unknown keys, author-year findings) by its text on the snapshot; so an
edit re-parses one segment, and the rest is a dictionary look-up and a shift of lines.

``manuscript_diagnostics`` equals ``features.manuscript_diagnostics`` (tested on random
edits that join and split paragraphs, open and close fences and front matter).
"""

from __future__ import annotations

import copy
import re
from bisect import bisect_left
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from lsprotocol import types as lsp

from .. import manuscript as ms
from . import documents as docs
from .documents import TextIndex
from .features import Document, prose_diagnostic, unknown_key_diagnostic

if TYPE_CHECKING:
    from .library import Snapshot

# a line whose hash is 0 modulo this may start a segment (about one in CUT_EVERY lines)
CUT_EVERY = 16
# the languages parsed by segments (Typst's labels are the whole document's: parsed whole)
SEGMENTED = (docs.MARKDOWN, docs.QUARTO, docs.RMARKDOWN, docs.TEXT, docs.LATEX)
_KEPT = 20_000  # segments kept parsed (across documents) before the oldest half goes
# a line's end followed by a blank line (found from newline to newline: fast on long texts)
_BLANK_LINE = re.compile(r"\n[ \t\r]*(?=\n)")


@dataclass
class _Parsed:
    """A segment's citations, offsets relative to the segment."""

    keys: list[tuple[str, int, int]]  # every cited key with its span
    prose: list[ms.Citation]
    firsts: frozenset[str] = frozenset()  # the prose citations' first authors (matched by)


_parsed: dict[tuple[str, str, str, str], _Parsed] = {}


def manuscript_diagnostics(
    doc: Document, snapshot: Snapshot | None, as_json: bool = False
) -> list[Any]:
    """``features.manuscript_diagnostics(doc, snapshot)``, by segments (``as_json``: as
    the JSON objects the protocol sends, made once per diagnostic and moved by lines)."""
    from .features import manuscript_diagnostics as whole

    if snapshot is None or doc.language not in SEGMENTED:
        everything = whole(doc, snapshot)
        return [unstructured(d) for d in everything] if as_json else everything
    masked, linked, cuts = _segmented(doc)
    matcher = snapshot.matcher_now()
    keyed: list[Any] = []
    found: list[Any] = []
    seen = _seen(snapshot, doc.encoding, matcher)
    for start, end, line in cuts:
        text = doc.text[start:end]
        ident = (doc.language, text, masked[start:end], linked[start:end])
        parts = seen.get(ident) or _carried(snapshot, doc.encoding, matcher, ident)
        if parts is None:
            parts = _Judged(*_judge(_parse(ident), text, snapshot, matcher, doc.encoding))
        seen[ident] = parts
        placed = parts.placed(line, as_json)
        keyed += placed[0]
        found += placed[1]
    return keyed + found


class _Judged:
    """A segment's diagnostics relative to its first line, and as placed last (the same
    objects again while the segment stays put)."""

    __slots__ = ("parts", "rests", "at", "last")

    def __init__(self, keyed: _Part, found: _Part) -> None:
        self.parts = (keyed, found)
        self.rests: tuple[list[dict], list[dict]] | None = None
        self.at: tuple[int, bool] | None = None
        self.last: tuple[list[Any], list[Any]] = ([], [])

    def placed(self, line: int, as_json: bool) -> tuple[list[Any], list[Any]]:
        if self.at != (line, as_json):
            self.at = (line, as_json)
            if as_json:
                if self.rests is None:
                    self.rests = (_rests(self.parts[0]), _rests(self.parts[1]))
                self.last = (
                    _moved_json(self.parts[0], self.rests[0], line),
                    _moved_json(self.parts[1], self.rests[1], line),
                )
            else:
                self.last = (_moved(self.parts[0], line), _moved(self.parts[1], line))
        return self.last


_converter: Any = None


def _conv() -> Any:
    """pygls's own converter (what the protocol sends is what it makes)."""
    global _converter
    if _converter is None:
        from pygls.protocol import default_converter

        _converter = default_converter()
    return _converter


def unstructured(d: lsp.Diagnostic) -> dict:
    """A diagnostic in the protocol's JSON."""
    return _conv().unstructure(d)


def structured(found: list[dict]) -> list[lsp.Diagnostic]:
    """Diagnostics in the protocol's JSON as lsprotocol objects again."""
    return [_conv().structure(d, lsp.Diagnostic) for d in found]


def _rests(part: _Part) -> list[dict]:
    out = []
    for *_r, d in part:
        rest = unstructured(d)
        del rest["range"]
        out.append(rest)
    return out


def _moved_json(part: _Part, rests: list[dict], line: int) -> list[dict]:
    return [
        {
            "range": {
                "start": {"line": l0 + line, "character": c0},
                "end": {"line": l1 + line, "character": c1},
            },
            **rest,
        }
        for (l0, c0, l1, c1, _d), rest in zip(part, rests)
    ]


def _seen(snapshot: Snapshot, encoding: str, matcher: Any) -> dict[Any, Any]:
    """What this snapshot made of each segment with ``matcher`` (kept on it: gone with
    it; another matcher, the reading's own once built, judges prose again)."""
    cache: dict[Any, Any] = snapshot.__dict__.setdefault("_segment_diagnostics", {})
    ours = cache.setdefault((encoding, matcher), {})
    if len(ours) > _KEPT:
        ours.clear()
    return ours


def _carried(snapshot: Snapshot, encoding: str, matcher: Any, ident: Any) -> _Judged | None:
    """What the snapshot before this one (an edit of the .bib before) made of a segment,
    when it holds here: the same matcher (or the one it was patched from, when no entry
    of the segment's prose citations' first authors changed), and none of the segment's
    keys added or gone (each edit of a 100k-entry .bib would otherwise judge every
    segment again)."""
    if snapshot.before is None:
        return None
    judged, lookup = snapshot.before
    old = judged.get((encoding, matcher), {}).get(ident)
    if old is None and matcher is not None and _parse(ident).prose:
        old = _patched_from(judged, encoding, matcher, ident)
    if old is None and not _parse(ident).prose:  # (then no matcher has a say)
        mine = (v.get(ident) for (e, _m), v in judged.items() if e == encoding)
        old = next((j for j in mine if j is not None), None)
    if old is None:
        return None
    changed = snapshot.__dict__.get("_changed_keys")
    if changed is None:
        changed = snapshot.__dict__["_changed_keys"] = lookup.keys() ^ snapshot.lookup.keys()
    if any(key.lower() in changed for key, _a, _b in _parse(ident).keys):
        return None
    return old


def _patched_from(judged: dict[Any, Any], encoding: str, matcher: Any, ident: Any) -> Any:
    """What a matcher ``matcher`` was patched from made of the segment ``ident``, when
    the patches since changed no entry of its prose citations' first authors."""
    for before, touched in matcher.ancestors():
        found = judged.get((encoding, before))
        if found is not None:
            old = found.get(ident)
            return None if old is None or touched & _parse(ident).firsts else old
    return None


_last_cut: dict[tuple[str, str], tuple[str, str, str, list[tuple[int, int, int]]]] = {}


def _segmented(doc: Document) -> tuple[str, str, list[tuple[int, int, int]]]:
    """The document masked for keys and for prose, and its segments (the last of each
    document kept: a .bib's edit publishes its manuscripts again, unchanged)."""
    last = _last_cut.get((doc.uri, doc.language))
    if last is not None and last[0] == doc.text:
        return last[1:]
    masked = ms.mask(doc.text, "latex" if doc.language == docs.LATEX else "markdown")
    linked = ms.unlink_years(masked)  # (as find_prose_citations reads prose)
    cuts = segments(doc.text, masked, linked, doc.language)
    if len(_last_cut) > 50:
        _last_cut.clear()
    _last_cut[(doc.uri, doc.language)] = (doc.text, masked, linked, cuts)
    return masked, linked, cuts


def segments(text: str, masked: str, linked: str, language: str) -> list[tuple[int, int, int]]:
    """(start, end, first line) of each segment of ``text`` (``masked``: as masked for
    key citations; ``linked``: for prose)."""
    lines = text.split("\n")
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line) + 1)
    # where a segment may start: after a blank line, or at a line its hash picks
    picked = {i for i, h in enumerate(map(hash, lines)) if not h % CUT_EVERY}
    picked.update(bisect_left(starts, m.end() + 1) for m in _BLANK_LINE.finditer(text))
    covered = _covered(masked, linked, language)
    ends = [e for _s, e in covered]
    out = []
    start = line_at = 0
    for number in sorted(picked):
        offset = starts[number]
        if number == 0 or offset <= start or offset >= len(text):
            continue
        i = bisect_left(ends, offset + 1)  # the first span that ends after the cut
        if i == len(covered) or covered[i][0] >= offset:
            out.append((start, offset, line_at))
            start, line_at = offset, number
    out.append((start, len(text), line_at))
    return out


def _covered(masked: str, linked: str, language: str) -> list[tuple[int, int]]:
    """The spans (merged, in order) of every match of the patterns the parsers run over
    the masked text: no cut inside one."""
    markup = "latex" if language == docs.LATEX else "markdown"
    found = sorted(ms.pattern_spans(masked, linked, markup))
    merged: list[tuple[int, int]] = []
    for s, e in found:
        if merged and s < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(e, merged[-1][1]))
        else:
            merged.append((s, e))
    return merged


def _parse(ident: tuple[str, str, str, str]) -> _Parsed:
    """A segment's citations, parsed once per text (and masked texts)."""
    found = _parsed.get(ident)
    if found is not None:
        return found
    language, text, masked, linked = ident
    syntax = docs.key_syntax(language)
    keys = []
    if syntax:
        for c in ms.find_key_citations(text, syntax, masked=masked):
            keys += [(k, a, b) for k, (a, b) in zip(c.keys, c.spans)]
    prose = []
    if language != docs.LATEX:
        prose = ms.find_prose_citations(text, "", "markdown", masked=linked)
    if len(_parsed) > _KEPT:
        for old in list(_parsed)[: _KEPT // 2]:
            del _parsed[old]
    firsts = frozenset(ms.first_author(c) for c in prose if c.authors)
    found = _parsed[ident] = _Parsed(keys, prose, firsts)
    return found


_Part = list[tuple[int, int, int, int, lsp.Diagnostic]]


def _judge(
    parsed: _Parsed, text: str, snapshot: Snapshot, matcher: Any, encoding: str
) -> tuple[_Part, _Part]:
    """A segment's diagnostics for ``snapshot`` (unknown keys, then prose findings), each
    with its range relative to the segment's first line."""
    index = TextIndex(text, encoding)
    known = snapshot.lookup

    def where(start: int, end: int) -> lsp.Range:
        a, b = index.position(start), index.position(end)
        return lsp.Range(lsp.Position(*a), lsp.Position(*b))

    keyed = [
        unknown_key_diagnostic(where(a, b), key)
        for key, a, b in parsed.keys
        if key != "*" and key.lower() not in known
    ]
    found = []
    if matcher is not None:
        for c in parsed.prose:
            d = prose_diagnostic(where(c.start, c.end), matcher.match(copy.copy(c)))
            if d is not None:
                found.append(d)
    return _relative(keyed), _relative(found)


def _relative(found: list[lsp.Diagnostic]) -> _Part:
    return [
        (d.range.start.line, d.range.start.character, d.range.end.line, d.range.end.character, d)
        for d in found
    ]


def _moved(part: _Part, line: int) -> list[lsp.Diagnostic]:
    """The segment's diagnostics at its place in the document (``line``: its first)."""
    if not line:
        return [d for *_r, d in part]
    out = []
    for l0, c0, l1, c1, d in part:
        out.append(
            lsp.Diagnostic(
                lsp.Range(lsp.Position(l0 + line, c0), lsp.Position(l1 + line, c1)),
                d.message,
                severity=d.severity,
                code=d.code,
                source=d.source,
                data=d.data,
            )
        )
    return out
