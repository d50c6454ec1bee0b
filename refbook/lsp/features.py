"""The language server's features as pure functions: text and a bibliography snapshot in,
lsprotocol values out.  No client, no I/O except what a feature is about (formatting a
reference runs pandoc; finding references reads the workspace's manuscripts).

Each function is what one LSP request answers; ``refbook.lsp.server`` only wires them.
The code actions are in ``refbook.lsp.actions``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING

from lsprotocol import types as lsp

from ..findings import Finding, Severity
from ..manuscript import MATCHED, Citation
from . import documents as docs
from .documents import TextIndex

if TYPE_CHECKING:
    from ..model import Entry
    from .library import Snapshot

SOURCE = "refbook"
COMPLETION_LIMIT = 50


@dataclass
class Document:
    """An open (or workspace) document: its text, language and position index."""

    uri: str
    text: str
    language: str
    encoding: str = "utf-16"
    _index: TextIndex | None = field(default=None, repr=False)
    _keyed: list[Citation] | None = field(default=None, repr=False)

    @property
    def index(self) -> TextIndex:
        if self._index is None:
            self._index = TextIndex(self.text, self.encoding)
        return self._index

    @property
    def path(self) -> str:
        return docs.uri_to_path(self.uri)

    def key_citations(self) -> list[Citation]:
        if self._keyed is None:
            self._keyed = docs.key_citations(self.text, self.language)
        return self._keyed

    def range(self, start: int, end: int) -> lsp.Range:
        a, b = self.index.position(start), self.index.position(end)
        return lsp.Range(lsp.Position(*a), lsp.Position(*b))

    def offset(self, position: lsp.Position) -> int:
        return self.index.offset(position.line, position.character)


# -- entries as text ---------------------------------------------------------------------


def summary(entry: Entry) -> str:
    """``Knuth (1984) Literate programming``: the line a completion item shows."""
    year = entry.year or "n.d."
    return f"{entry.author_label() or '?'} ({year}) {entry.title}".strip()


@lru_cache(maxsize=2048)
def _formatted(source: str, key: str, style: str) -> str:
    """The reference formatted by citeproc (pandoc) as plain text; memoised by the
    entry's source text, so an edited entry is formatted again."""
    from ..errors import RefbookError
    from ..export import format_entries
    from ..model import loads

    try:
        entries = list(loads(source, name="<entry>"))
        pairs = format_entries(entries, style, "text")
    except RefbookError:
        return ""
    return pairs[0][1] if pairs else ""


def formatted_reference(entry: Entry, style: str) -> str:
    return _formatted(entry.source, entry.key, style)


def entry_markdown(entry: Entry, style: str | None) -> str:
    """The hover (and completion documentation): the formatted reference in ``style``
    (None: a plain summary, no pandoc run), the annotation, keywords, DOI and URL as
    links that ``safelinks`` allows.  Every value is escaped: a bibliography is
    untrusted input."""
    from ..safelinks import doi_url, markdown_link, markdown_text

    reference = formatted_reference(entry, style) if style else ""
    parts = [f"**{markdown_text(entry.key)}**  \n" + markdown_text(reference or summary(entry))]
    if entry.annotation:
        parts.append("> " + markdown_text(entry.annotation).replace("\n", "\n> "))
    if entry.keywords:
        parts.append("*Keywords:* " + markdown_text(", ".join(entry.keywords)))
    links = []
    if entry.doi:
        links.append("DOI: " + markdown_link(entry.doi, doi_url(entry.doi)))
    if entry.url:
        links.append("URL: " + markdown_link(entry.url, entry.url))
    if links:
        parts.append(" · ".join(links))
    return "\n\n".join(parts)


# -- completion ----------------------------------------------------------------------------


def _search_words(query: str) -> list[str]:
    return [w.lower() for w in re.findall(r"\w+", query)]


def rank_keys(snapshot: Snapshot, query: str, limit: int = COMPLETION_LIMIT) -> list[Entry]:
    """Entries for what was typed: keys that start with it first, then entries whose
    author, title, year or other words match (every word a prefix), ranked as
    ``refbook search`` ranks (BM25 with its field weights)."""
    from bisect import bisect_left

    from ..errors import RefbookError

    found: dict[str, str] = {}  # lower-cased key -> key, best first
    typed = query.strip().lower()
    if typed and " " not in typed:
        keys = snapshot.sorted_keys
        i = bisect_left(keys, (typed, ""))
        while i < len(keys) and keys[i][0].startswith(typed) and len(found) < limit:
            found.setdefault(keys[i][0], keys[i][1])
            i += 1
    words = _search_words(query)
    if len(found) < limit and words:
        ranked: list[str] = []
        # every word, else any word (ranked: the entries with most of them first)
        for every in (True, False) if len(words) > 1 else (True,):
            try:
                ranked = snapshot.search_keys(words, every, limit)
            except RefbookError:
                ranked = []
            if ranked:
                break
        for key in ranked:
            if snapshot.has(key) and len(found) < limit:
                found.setdefault(key.lower(), key)
    if not words:
        for key in snapshot.keys[:limit]:
            found.setdefault(key.lower(), key)
    # each entry read by its row (the cache reads no other)
    return [e for e in (snapshot.entry(k) for k in found.values()) if e is not None]


def completion(
    doc: Document,
    position: lsp.Position,
    snapshot: Snapshot | None,
    documented: bool = True,
) -> lsp.CompletionList | None:
    """Keys after ``@``, in ``\\cite{…}`` and ``#cite(<…>)``; each item shows authors,
    year and title; its documentation the annotation (``documented``: in the list; else
    only when resolved, for clients that resolve it: then no entry's record is read
    for the list), and, when resolved (``resolve_completion``), the formatted reference."""
    if snapshot is None:
        return None
    offset = doc.offset(position)
    typed = docs.typed_key(doc.text, offset, doc.language)
    if typed is None:
        return None
    replace = doc.range(typed.start, typed.end)
    items = []
    for rank, entry in enumerate(rank_keys(snapshot, typed.query)):
        items.append(
            lsp.CompletionItem(
                label=entry.key,
                kind=lsp.CompletionItemKind.Reference,
                detail=summary(entry),
                documentation=lsp.MarkupContent(
                    lsp.MarkupKind.Markdown, entry_markdown(entry, None)
                )
                if documented
                else None,
                sort_text=f"{rank:05d}",
                # what was typed, so that a client filtering by it keeps the ranked items
                filter_text=typed.query if " " in typed.query else entry.key,
                text_edit=lsp.TextEdit(replace, entry.key),
                data={"key": entry.key},
            )
        )
    return lsp.CompletionList(is_incomplete=True, items=items)


def resolve_completion(
    item: lsp.CompletionItem, snapshot: Snapshot | None, style: str
) -> lsp.CompletionItem:
    key = (item.data or {}).get("key") if isinstance(item.data, dict) else None
    entry = snapshot.entry(str(key)) if snapshot and key else None
    if entry is not None:
        item.documentation = lsp.MarkupContent(
            lsp.MarkupKind.Markdown, entry_markdown(entry, style)
        )
    return item


# -- hover, definition ---------------------------------------------------------------------


def key_at(doc: Document, position: lsp.Position) -> tuple[str, lsp.Range] | None:
    """The cited key under the cursor and its range (in a .bib: an entry's key)."""
    offset = doc.offset(position)
    if doc.language == docs.BIB:
        return _bib_key_at(doc, offset)
    found = docs.citation_at(doc.key_citations(), offset)
    if found is None:
        return None
    c, i = found
    return c.keys[i], doc.range(*c.spans[i])


def _bib_key_at(doc: Document, offset: int) -> tuple[str, lsp.Range] | None:
    for m in _BIB_KEY.finditer(doc.text):
        if m.start(1) <= offset <= m.end(1):
            return m.group(1), doc.range(m.start(1), m.end(1))
    return None


_BIB_KEY = re.compile(
    r"^[ \t]*@(?!string|preamble|comment)\w+\s*[{(]\s*([^\s,{}()]+)\s*,", re.I | re.M
)


def hover(
    doc: Document, position: lsp.Position, snapshot: Snapshot | None, style: str
) -> lsp.Hover | None:
    found = key_at(doc, position)
    if found is None or snapshot is None:
        return None
    key, where = found
    entry = snapshot.entry(key)
    if entry is None:
        return None
    return lsp.Hover(
        lsp.MarkupContent(lsp.MarkupKind.Markdown, entry_markdown(entry, style)), where
    )


def entry_location(snapshot: Snapshot, entry: Entry) -> lsp.Location:
    """The entry's key in the .bib (from the entry's line and its own text: the .bib is
    not read whole when the cache serves it)."""
    line = snapshot.line_of(entry) - 1
    if snapshot.cached:
        head = entry.source.split("\n", 1)[0]
        start = 0
    else:
        text = snapshot.text
        starts = TextIndex(text).starts
        start = starts[line] if line < len(starts) else 0
        end = text.find("\n", start)
        head = text[start : len(text) if end < 0 else end]
    m = _BIB_KEY.search(head)
    if m is not None and m.group(1).lower() == entry.key.lower():
        index = TextIndex(head)
        # (an entry the cache serves starts its line: the cache cuts the file there)
        a, b = index.position(m.start(1))[1], index.position(m.end(1))[1]
        rng = lsp.Range(lsp.Position(line, a), lsp.Position(line, b))
    else:
        rng = lsp.Range(lsp.Position(line, 0), lsp.Position(line, 0))
    return lsp.Location(docs.path_to_uri(snapshot.path), rng)


def definition(
    doc: Document, position: lsp.Position, snapshot: Snapshot | None
) -> lsp.Location | None:
    found = key_at(doc, position)
    if found is None or snapshot is None:
        return None
    entry = snapshot.entry(found[0])
    return entry_location(snapshot, entry) if entry is not None else None


# -- diagnostics ---------------------------------------------------------------------------


_SEVERITY = {
    Severity.ERROR: lsp.DiagnosticSeverity.Error,
    Severity.WARNING: lsp.DiagnosticSeverity.Warning,
    Severity.INFO: lsp.DiagnosticSeverity.Information,
}


def manuscript_diagnostics(doc: Document, snapshot: Snapshot | None) -> list[lsp.Diagnostic]:
    """Unknown keys (on the key's exact range) and cite-check's findings on author-year
    prose (year mismatch, ambiguous, no entry), as ``refbook cite-check`` judges them.
    (The whole document parsed: ``refbook.lsp.incremental`` gives the same list, parsing
    only what an edit changed.)"""
    if snapshot is None:
        return []
    out = []
    known = snapshot.lookup
    for c in doc.key_citations():
        for key, span in zip(c.keys, c.spans):
            if key != "*" and key.lower() not in known:
                out.append(unknown_key_diagnostic(doc.range(*span), key))
    matcher = snapshot.matcher_now()  # None: being built; published again when ready
    if matcher is None:
        return out
    for c in docs.prose_citations(doc.text, doc.language):
        found = prose_diagnostic(doc.range(c.start, c.end), matcher.match(c))
        if found is not None:
            out.append(found)
    return out


def unknown_key_diagnostic(where: lsp.Range, key: str) -> lsp.Diagnostic:
    return lsp.Diagnostic(
        where,
        f"no entry with key {key}",
        severity=lsp.DiagnosticSeverity.Error,
        code="missing-citation",
        source=SOURCE,
        data={"key": key},
    )


def prose_diagnostic(where: lsp.Range, c: Citation) -> lsp.Diagnostic | None:
    """A matched author-year citation's finding (None: it matched)."""
    if c.status is MATCHED or c.status is None:
        return None
    return lsp.Diagnostic(
        where,
        f"{c.text}: {c.status.value}: {c.message}",
        severity=lsp.DiagnosticSeverity.Warning,
        code=c.status.rule,
        source=SOURCE,
        data={"candidates": c.candidates},
    )


def finding_diagnostic(finding: Finding, index: TextIndex) -> lsp.Diagnostic:
    """A lint or parse finding on the .bib: from its column (else the line's first
    non-blank character) to the end of its line."""
    start, end = index.line_span(max((finding.line or 1) - 1, 0))
    text = index.text[start:end]
    first = (finding.column - 1) if finding.column else len(text) - len(text.lstrip())
    return lsp.Diagnostic(
        lsp.Range(
            lsp.Position(*index.position(start + min(first, len(text)))),
            lsp.Position(*index.position(end)),
        ),
        f"{finding.key}: {finding.message}" if finding.key else finding.message,
        severity=_SEVERITY[finding.severity],
        code=finding.rule,
        source=SOURCE,
    )


# -- references, rename --------------------------------------------------------------------


def workspace_manuscripts(root: str | None, limit: int = 2000) -> Iterable[str]:
    """The manuscripts under the workspace root (hidden, virtual-env and build folders
    skipped), at most ``limit``."""
    import os

    if not root:
        return
    count = 0
    skip = {"node_modules", "__pycache__", "_site", "_book", "site-packages"}
    for here, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if not d.startswith(".") and d not in skip]
        for name in files:
            if name.lower().endswith(docs.MANUSCRIPT_SUFFIXES):
                yield os.path.join(here, name)
                count += 1
                if count >= limit:
                    return


def read_document(path: str, encoding: str = "utf-16") -> Document | None:
    from ..encoding import read_text
    from ..errors import RefbookError

    try:
        text = read_text(path).text
    except (OSError, RefbookError):
        return None
    uri = docs.path_to_uri(path)
    return Document(uri, text, docs.language_of(uri), encoding)


def citation_ranges(doc: Document, key: str) -> list[lsp.Range]:
    return [
        doc.range(*span)
        for c in doc.key_citations()
        for k, span in zip(c.keys, c.spans)
        if k.lower() == key.lower()
    ]


def references(
    key: str, documents: Iterable[Document], snapshot: Snapshot | None, include_declaration: bool
) -> list[lsp.Location]:
    """Every citation of ``key`` in ``documents`` (open ones first, then the workspace's
    manuscripts: the caller gives each once), and the entry itself if asked."""
    out = []
    if include_declaration and snapshot is not None:
        entry = snapshot.entry(key)
        if entry is not None:
            out.append(entry_location(snapshot, entry))
    for doc in documents:
        out += [lsp.Location(doc.uri, r) for r in citation_ranges(doc, key)]
    return out


def text_edits(old: str, new: str) -> list[lsp.TextEdit]:
    """The smallest line-range edits that turn ``old`` into ``new`` (the entries a store
    edit touched, not the whole file)."""
    from difflib import SequenceMatcher

    a, b = old.splitlines(keepends=True), new.splitlines(keepends=True)
    index = TextIndex(old)
    starts = [*index.starts, len(old)]

    def at(line: int) -> lsp.Position:
        return lsp.Position(*index.position(starts[line] if line < len(starts) else len(old)))

    out = []
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag != "equal":
            out.append(lsp.TextEdit(lsp.Range(at(i1), at(i2)), "".join(b[j1:j2])))
    return out


def rename_edit(
    key: str,
    new: str,
    bib_path: str,
    bib_text: str,
    documents: Iterable[Document],
) -> lsp.WorkspaceEdit:
    """One edit: the entry renamed in the .bib through ``refbook rename``'s rules
    (``edits.rename``: key checked, crossref/xdata/related/ids follow), and every citation
    of it in ``documents``.  Raises ``UsageError`` as ``refbook rename`` does."""
    from ..edits import rename
    from ..store import BibFile

    bib = BibFile(bib_text, name=bib_path)
    rename(bib, key, new)
    changes: dict[str, list[lsp.TextEdit]] = {
        docs.path_to_uri(bib_path): text_edits(bib_text, bib.render())
    }
    for doc in documents:
        edits = [lsp.TextEdit(r, new) for r in citation_ranges(doc, key)]
        if edits:
            changes.setdefault(doc.uri, []).extend(edits)
    return lsp.WorkspaceEdit(changes=changes)
