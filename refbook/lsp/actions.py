"""The language server's code actions as pure functions: an author-year citation turned
into a key citation, an entry added for a DOI under the cursor, an unknown key changed to
a near one."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from lsprotocol import types as lsp

from ..manuscript import MATCHED, Citation
from . import documents as docs
from .features import Document, text_edits

if TYPE_CHECKING:
    from .library import Snapshot

ADD_DOI_COMMAND = "refbook.addDoi"


def nearest_keys(snapshot: Snapshot, key: str, limit: int = 3) -> list[str]:
    """The keys most like ``key`` (edit distance), for an unknown key's quick fix."""
    from rapidfuzz import fuzz, process

    keys = snapshot.keys
    found = process.extract(key, keys, scorer=fuzz.ratio, limit=limit, score_cutoff=60)
    return [k for k, _score, _i in found]


def _overlaps(rng: lsp.Range, start: lsp.Position, end: lsp.Position) -> bool:
    def key(p: lsp.Position) -> tuple[int, int]:
        return p.line, p.character

    return key(start) <= key(rng.end) and key(rng.start) <= key(end)


def _locator(text: str) -> str:
    m = re.search(r",\s*((?:pp?|chap|sec|para)\.\s*[^,;)]+)", text)
    return m.group(1).strip() if m else ""


def _latex_forms(text: str) -> tuple[str, str]:
    """The parenthetical and narrative commands this LaTeX document uses."""
    if re.search(r"\\usepackage(?:\[[^\]]*\])?\{natbib\}|\\cite[pt]\b", text):
        return "citep", "citet"
    if re.search(r"\\usepackage(?:\[[^\]]*\])?\{biblatex\}|\\(?:paren|text|auto)cite\b", text):
        return "parencite", "textcite"
    return "cite", "cite"


def _key_citation(doc: Document, keys: list[str], locator: str, narrative: bool) -> str:
    from ..citing import CiteItem, latex_citation, pandoc_citation

    items = [CiteItem(k, locator if i == len(keys) - 1 else "") for i, k in enumerate(keys)]
    if doc.language == docs.LATEX:
        paren, text_form = _latex_forms(doc.text)
        if paren == "parencite":
            return latex_citation(items, narrative)
        command = text_form if narrative else paren
        return f"\\{command}" + (f"[{locator}]" if locator else "") + "{" + ",".join(keys) + "}"
    if doc.language == docs.TYPST:
        return " ".join(f"@{k}" + (f"[{locator}]" if locator else "") for k in keys)
    return pandoc_citation(items, narrative)


def _paren_group(text: str, c: Citation) -> tuple[int, int]:
    """The parentheses around a parenthetical prose citation (all its works)."""
    open_at = text.rfind("(", 0, c.start)
    close_at = text.find(")", c.end)
    return open_at, close_at + 1


def prose_actions(doc: Document, rng: lsp.Range, snapshot: Snapshot) -> list[lsp.CodeAction]:
    """Turn a matched author-year citation into a key citation of the document's own
    syntax: ``(Zahid, 2023, p. 4)`` -> ``[@zahid2023dealing, p. 4]``, ``Biddle (2019)`` ->
    ``@biddle2019afghanistan``, ``(Jan & Islam, 2022; Wani, 2022)`` -> ``[@jan2022rise;
    @wani2022geopolitical]``."""
    matcher = snapshot.matcher_now()  # None: still being built
    if doc.language in (docs.TEXT, docs.BIB) or matcher is None:
        return []
    cites = docs.prose_citations_anywhere(doc.text, doc.language)
    groups: dict[tuple[int, int], list[Citation]] = {}
    for c in cites:
        matcher.match(c)
        span = (c.start, c.end) if c.narrative else _paren_group(doc.text, c)
        groups.setdefault(span, []).append(c)
    out = []
    for (start, end), group in groups.items():
        where = doc.range(start, end)
        if not _overlaps(where, rng.start, rng.end):
            continue
        if not all(c.status is MATCHED for c in group):
            continue
        keys = [k for c in group for k in c.matched]
        new = _key_citation(doc, keys, _locator(group[-1].text), group[0].narrative)
        out.append(
            lsp.CodeAction(
                f"Cite as {new}",
                kind=lsp.CodeActionKind.RefactorRewrite,
                edit=lsp.WorkspaceEdit(changes={doc.uri: [lsp.TextEdit(where, new)]}),
            )
        )
    return out


def unknown_key_actions(
    doc: Document, diagnostics: Sequence[lsp.Diagnostic], snapshot: Snapshot
) -> list[lsp.CodeAction]:
    """For an unknown key: replace it by one of the nearest keys."""
    out: list[lsp.CodeAction] = []
    for d in diagnostics:
        if d.code != "missing-citation" or not isinstance(d.data, dict) or "key" not in d.data:
            continue
        for key in nearest_keys(snapshot, str(d.data["key"])):
            out.append(
                lsp.CodeAction(
                    f"Change to {key}",
                    kind=lsp.CodeActionKind.QuickFix,
                    diagnostics=[d],
                    is_preferred=len(out) == 0,
                    edit=lsp.WorkspaceEdit(changes={doc.uri: [lsp.TextEdit(d.range, key)]}),
                )
            )
    return out


_DOI_IN_TEXT = re.compile(r"\b10\.\d{4,9}/[^\s\"<>]+")


def doi_actions(doc: Document, rng: lsp.Range, snapshot: Snapshot | None) -> list[lsp.CodeAction]:
    """A DOI under the cursor that no entry has: add an entry for it (the command fetches
    the record as ``refbook add --doi`` does and applies the edit to the .bib)."""
    from ..identifiers import normalize_doi

    line = rng.start.line
    index = doc.index
    if line >= len(index.starts):
        return []
    start = index.starts[line]
    end = index.starts[line + 1] - 1 if line + 1 < len(index.starts) else len(doc.text)
    out = []
    for m in _DOI_IN_TEXT.finditer(doc.text, start, end):
        doi = normalize_doi(m.group(0).rstrip(".,;)"))
        where = doc.range(m.start(), m.end())
        if not _overlaps(where, rng.start, rng.end) or (snapshot and snapshot.has_doi(doi)):
            continue
        out.append(
            lsp.CodeAction(
                f"Add an entry for DOI {doi}",
                kind=lsp.CodeActionKind.QuickFix,
                command=lsp.Command(f"Add DOI {doi}", ADD_DOI_COMMAND, arguments=[doi]),
            )
        )
    return out


def add_doi_edit(
    doi: str, bib_path: str, bib_text: str, fetch: Any, pattern: str
) -> tuple[lsp.WorkspaceEdit, list[str]]:
    """The edit adding an entry for ``doi`` to the .bib (``fetch``: DOI -> Draft, as
    ``add --doi`` fetches), through ``edits.add`` (duplicate checks, new key from the
    key pattern).  Returns the edit and the keys added."""
    from ..edits import add
    from ..store import BibFile

    bib = BibFile(bib_text, name=bib_path)
    report = add(bib, [fetch(doi)], pattern=pattern)
    edit = lsp.WorkspaceEdit(
        changes={docs.path_to_uri(bib_path): text_edits(bib_text, bib.render())}
    )
    return edit, report.added
