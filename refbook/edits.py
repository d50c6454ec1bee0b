"""Edits of a bibliography, each through the store (only the touched entry changes).

These functions take a ``BibFile`` opened with ``refbook.store.editing`` (locked, read
after the lock, saved atomically on success) and change it; they never print.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from .errors import UsageError
from .formats import Draft
from .model import Entry
from .plaintext import check_bibtex, to_bibtex
from .store import BibFile


def entry(bib: BibFile, key: str) -> Entry:
    return Entry(bib, bib.get(key))


# -- annotate, tag, set, unset ---------------------------------------------------------------


def annotate(bib: BibFile, key: str, text: str) -> None:
    e = entry(bib, key)
    name = "annote" if ("annote" in e and "annotation" not in e) else "annotation"
    bib.set_field(key, name, _typed(bib, key, name, text))


def _typed(bib: BibFile, key: str, name: str, text: str, as_bibtex: bool = False) -> str:
    """What the user typed as the value of field ``name`` (see ``refbook.plaintext``);
    a value that cannot be written is a usage error naming the entry."""
    try:
        return check_bibtex(text, name) if as_bibtex else to_bibtex(text, name)
    except UsageError as exc:
        raise UsageError(f"{bib.name}: error: {key}: {exc}; nothing written") from None


def tag(bib: BibFile, key: str, changes: Sequence[str]) -> list[str]:
    """``+word`` adds a keyword, ``-word`` removes one (case-insensitive); returns them."""
    e = entry(bib, key)
    words = list(e.keywords)
    for change in changes:
        if change[:1] not in "+-" or len(change) < 2:
            raise UsageError(f"error: tags are +word or -word, not {change!r}")
        word = change[1:].strip()
        if change[0] == "+":
            if word.lower() not in (w.lower() for w in words):
                words.append(word)
        else:
            words = [w for w in words if w.lower() != word.lower()]
    if words:
        bib.set_field(
            key,
            "keywords",
            _typed(bib, key, "keywords", join_keywords(words, bib, e.get("keywords"))),
        )
    elif "keywords" in e:
        bib.remove_field(key, "keywords")
    return words


def keyword_separator(bib: BibFile, value: str | None = None) -> str:
    """How keywords are separated: as in ``value`` (an entry's own keywords) when it has
    two, else as most entries of the file do (``a, b``, ``a,b``, ``a; b``), else ``, ``."""
    from collections import Counter

    found = re.search(r"[ \t]*([,;])([ \t]*)", value or "")
    if found:
        return found.group(1) + (" " if found.group(2) else "")
    styles: Counter[str] = Counter()
    for blk in bib.entries():
        for f in blk.entry.fields:
            if f.key.lower() == "keywords" and isinstance(f.value, str):
                m = re.search(r"[ \t]*([,;])([ \t]*)", f.value)
                if m:
                    styles[m.group(1) + (" " if m.group(2) else "")] += 1
    return styles.most_common(1)[0][0] if styles else ", "


def split_keywords(text: str) -> list[str]:
    """``"a,b; c"`` -> ``["a", "b", "c"]`` (each once, case-insensitively)."""
    out: list[str] = []
    for word in re.split(r"[,;]", text):
        word = word.strip()
        if word and word.lower() not in (w.lower() for w in out):
            out.append(word)
    return out


def join_keywords(words: Sequence[str], bib: BibFile, value: str | None = None) -> str:
    """Keywords written in the file's own separator style (see ``keyword_separator``)."""
    return keyword_separator(bib, value).join(words)


def set_fields(
    bib: BibFile, key: str, assignments: Sequence[str], *, as_bibtex: bool = False
) -> None:
    """``field=value`` assignments: the value is text (written escaped, so it reads back as
    typed), or with ``as_bibtex`` a BibTeX value (braces protect case, LaTeX commands)."""
    values = []
    for item in assignments:  # all checked before any is set
        name, sep, value = item.partition("=")
        name = name.strip().lower()
        if not sep or not re.fullmatch(r"[a-z][\w:-]*", name):
            raise UsageError(f"error: expected field=value, got {item!r}")
        values.append((name, _typed(bib, key, name, value, as_bibtex)))
    for name, value in values:
        bib.set_field(key, name, value)


def unset_fields(bib: BibFile, key: str, names: Sequence[str]) -> list[str]:
    return [n for n in names if bib.remove_field(key, n.lower())]


# -- rename, remove, merge --------------------------------------------------------------------


def rename(bib: BibFile, old: str, new: str) -> list[str]:
    """Rename a key; ``crossref``/``xdata``/``related``/``ids`` fields naming it follow.
    Returns the keys whose references were updated."""
    if not re.fullmatch(r"[^\s,{}()=#%\"']+", new):
        raise UsageError(f"error: {new!r} is not a valid citation key")
    blk = bib.get(old)
    if bib.find(new) is not None and bib.find(new) is not blk:
        raise UsageError(f"error: key {new!r} already exists")
    if (blk.key or "").lower() == old.lower():
        _, text, spans = bib.entry_spans(blk)
        bib.replace_entry(blk, text[: spans.key_start] + new + text[spans.key_end :])
    # else OLD is one of the entry's ids aliases: the alias is renamed, in ids below
    touched = []
    for other in bib.entries():
        e = Entry(bib, other)
        for name in ("crossref", "xref", "xdata", "related", "ids"):
            value = e.get(name)
            if not value:
                continue
            parts = [p.strip() for p in value.split(",")]
            if any(p.lower() == old.lower() for p in parts):
                updated = ", ".join(new if p.lower() == old.lower() else p for p in parts)
                bib.set_field(other, name, updated)
                touched.append(other.key or "")
    return touched


def rename_in_manuscript(text: str, old: str, new: str, syntax: str) -> tuple[str, int]:
    """Replace pandoc/LaTeX/Typst citations of ``old`` by ``new`` in a manuscript's text
    (each key at its exact offsets).  Returns the text and the number of citations changed."""
    from .manuscript import find_key_citations

    cites = [
        [span for k, span in zip(c.keys, c.spans) if k.lower() == old.lower()]
        for c in find_key_citations(text, syntax)
    ]
    spans = sorted(span for found in cites for span in found)
    for start, end in reversed(spans):  # from the end, so that earlier offsets stay valid
        text = text[:start] + new + text[end:]
    return text, sum(1 for found in cites if found)


def merge(
    bib: BibFile, keep: str, drop: str, prefer: str | None = None, keep_ids: bool = True
) -> list[str]:
    """Fill KEEP's missing fields from DROP, settle conflicts by ``prefer`` (keep|drop),
    remove DROP, and record its key in ``ids`` so old citations still resolve.  Returns the
    conflicting field names (an error without ``prefer``)."""
    a, b = entry(bib, keep), entry(bib, drop)
    if a.block is b.block:
        raise UsageError("error: cannot merge an entry with itself")
    conflicts = [
        n
        for n, v in b.fields.items()
        if n in a.fields and a.fields[n].strip() != v.strip() and n not in ("ids",)
    ]
    if conflicts and prefer is None:
        raise UsageError(
            f"error: {keep} and {drop} differ in {', '.join(conflicts)}; "
            "choose with --prefer keep|drop"
        )
    for name, value in b.fields.items():
        if name == "ids":
            continue
        if name not in a.fields or (name in conflicts and prefer == "drop"):
            bib.set_field(keep, name, value)
    if keep_ids:  # DROP's key, and its own aliases, so that every old citation resolves
        ids = Entry(bib, a.block).aliases
        added = [k for k in (b.key, *b.aliases) if k.lower() not in {i.lower() for i in ids}]
        if added:
            bib.set_field(a.block, "ids", ", ".join([*ids, *added]))
    bib.remove_entry(b.block)
    return conflicts


# -- add ------------------------------------------------------------------------------------


def known_dois(bib: BibFile, dois: Sequence[str]) -> tuple[list[str], list[tuple[str, list[str]]]]:
    """Split normalised ``dois`` into those not in ``bib`` yet and (source, evidence) for
    those an entry already has, as ``add`` reports a skipped duplicate."""
    from .model import normalize_doi

    have: dict[str, list[str]] = {}
    for blk in bib.entries():
        if any(f.key.lower() == "doi" for f in blk.entry.fields):  # decode only those
            value = Entry(bib, blk).get("doi")
            if value:
                have.setdefault(normalize_doi(value), []).append(blk.key or "")
    new: list[str] = []
    known: list[tuple[str, list[str]]] = []
    for doi in dict.fromkeys(dois):
        keys = have.get(normalize_doi(doi))
        if keys:
            known.append((f"DOI {doi}", [f"{k}: same DOI {doi}" for k in keys]))
        else:
            new.append(doi)
    return new, known


@dataclass
class AddReport:
    added: list[str] = field(default_factory=list)
    merged: list[tuple[str, list[str]]] = field(default_factory=list)  # (key, fields filled)
    skipped: list[tuple[str, list[str]]] = field(default_factory=list)  # (source, evidence)


def add(
    bib: BibFile,
    drafts: Iterable[Draft],
    *,
    pattern: str,
    force: bool = False,
    merge_into: bool = False,
    annotation: str | None = None,
    keywords: str | None = None,
) -> AddReport:
    """Append drafts as new entries (new keys from ``pattern``), unless they duplicate an
    entry: then skip them (reported with the evidence), or fill the existing entry's
    missing fields with ``merge_into``, or add anyway with ``force``."""
    from .dedupe import SAME_WORK, candidates, matches_for
    from .keys import make_key, unique_key

    drafts = list(drafts)
    _check_drafts(drafts)  # all of them before anything is added
    report = AddReport()
    for draft in drafts:
        fields = dict(draft.fields)
        if annotation:
            fields["annotation"] = _typed(bib, "--annotation", "annotation", annotation)
        if keywords:
            fields["keywords"] = _typed(
                bib, "--keywords", "keywords", join_keywords(split_keywords(keywords), bib)
            )
        probe = BibFile(
            bib.format_entry(draft.entry_type, "probe", list(fields.items())), name="<new>"
        )
        candidate = Entry(probe, probe.entries()[0])
        dups = matches_for(candidate, candidates(bib, candidate))
        strong = [d for d in dups if d.kind == SAME_WORK or d.confidence >= 90]
        if strong and merge_into:
            target = strong[0].keys[0]
            present = Entry(bib, bib.get(target)).fields
            filled = [n for n in fields if n not in present]
            for n in filled:
                bib.set_field(target, n, fields[n])
            report.merged.append((target, filled))
            continue
        if strong and not force:
            report.skipped.append(
                (
                    draft.source or draft.entry_type,
                    [f"{d.keys[0]}: {', '.join(d.evidence)}" for d in strong],
                )
            )
            continue
        key = (
            draft.key if draft.key and bib.find(draft.key) is None else make_key(candidate, pattern)
        )
        key = unique_key(key, [*(b.key or "" for b in bib.entries()), *bib.aliases()])
        bib.append_entry(bib.format_entry(draft.entry_type, key, list(fields.items())))
        report.added.append(key)
    return report


def _check_drafts(drafts: Sequence[Draft]) -> None:
    """Never write an entry without a title, or a value BibTeX cannot read."""
    from .errors import InputError
    from .latex import to_text
    from .plaintext import check_braces

    for draft in drafts:
        where = draft.source or f"@{draft.entry_type}"
        for name, value in draft.fields.items():
            try:
                check_braces(value, name)
            except UsageError as exc:
                raise InputError(f"{where}: error: {exc}; nothing added") from None
        if not to_text(draft.fields.get("title", "")).strip():
            raise InputError(f"{where}: error: the entry has no title; nothing added")


# -- a preprint replaced by its published version (check --update-preprints) ----------------

# Crossref's work types -> CSL types (DataCite gives CSL types itself)
CROSSREF_TO_CSL = {
    "journal-article": "article-journal",
    "proceedings-article": "paper-conference",
    "book-chapter": "chapter",
    "book-part": "chapter",
    "book-section": "chapter",
    "book": "book",
    "monograph": "book",
    "edited-book": "book",
    "report": "report",
    "dissertation": "thesis",
    "dataset": "dataset",
    "posted-content": "manuscript",
}
# what says which work it is: replaced by the published version's values, kept when its
# record has none (a record without authors does not take them from the entry)
WORK_FIELDS = ("author", "title", "year", "doi")
# what says where and how it appeared: replaced by the published version's values, and
# removed where that version has none (the preprint server's howpublished, its date…)
VENUE_FIELDS = (
    "journal",
    "journaltitle",
    "booktitle",
    "publisher",
    "institution",
    "organization",
    "howpublished",
    "date",
    "month",
    "volume",
    "number",
    "pages",
)
_PREPRINT_NOTE = re.compile(r"preprint|arxiv|biorxiv|medrxiv|ssrn|submitted|under review", re.I)
ARXIV_DOI = re.compile(r"10\.48550/arxiv\.(.+)", re.I)


def published_draft(meta: dict) -> Draft:
    """The published version's record (Crossref's or DataCite's, CSL-JSON-like) as BibTeX
    fields: only what says what the work is and where it appeared."""
    from .importers import from_csl

    kept = ("title", "author", "editor", "container-title", "publisher", "issued")
    item = {k: meta[k] for k in (*kept, "volume", "issue", "page", "DOI") if meta.get(k)}
    kind = str(meta.get("type") or "")
    item["type"] = CROSSREF_TO_CSL.get(kind, kind or "article-journal")
    return from_csl(item)


def use_published_version(
    bib: BibFile, key: str, preprint_doi: str, published: dict, server: str | None = None
) -> list[str]:
    """Replace a preprint entry's publication metadata with its published version's
    (``published``: the record of the published DOI), keeping the key, the annotation,
    the keywords and every other field.  The preprint is kept as ``eprint``: for an arXiv
    DOI ``eprint = {2101.00001}`` with ``eprinttype = {arxiv}`` (biblatex's own, which
    styles print and link), else the preprint's DOI with ``eprinttype`` the server's name
    -- unless the entry has an ``eprint`` already.  Returns the names of the fields set
    or removed."""
    draft = published_draft(published)
    e = entry(bib, key)
    changed: list[str] = []
    if draft.entry_type.lower() != e.type.lower():
        blk = bib.get(key)
        text = bib.block_text(blk)
        written = re.match(r"\s*@\s*([A-Za-z]+)", text)
        if written:
            old = written.group(1)
            new = draft.entry_type
            new = new.upper() if old.isupper() else new.capitalize() if old[0].isupper() else new
            bib.replace_entry(blk, text[: written.start(1)] + new + text[written.end(1) :])
            changed.append("type")
    for name in (*WORK_FIELDS, *VENUE_FIELDS):
        value = draft.fields.get(name)
        if name == "journaltitle" and e.raw("journaltitle") is not None:
            value = draft.fields.get("journal")  # biblatex's name, where the entry uses it
        elif name == "journal" and e.raw("journaltitle") is not None:
            continue
        if value is not None:
            if e.get(name) != value:
                bib.set_field(key, name, value)
                changed.append(name)
        elif name in VENUE_FIELDS and e.raw(name) is not None and bib.remove_field(key, name):
            changed.append(name)
    note = e.get("note")
    if note and _PREPRINT_NOTE.search(note) and bib.remove_field(key, "note"):
        changed.append("note")
    url = e.get("url") or ""
    arxiv = ARXIV_DOI.fullmatch(preprint_doi.strip())
    if url and (
        preprint_doi.lower() in url.lower() or (arxiv and arxiv.group(1).lower() in url.lower())
    ):
        bib.remove_field(key, "url")  # the preprint's page: the eprint field links to it
        changed.append("url")
    if "eprint" not in e:
        if arxiv:
            bib.set_field(key, "eprint", arxiv.group(1))
            bib.set_field(key, "eprinttype", "arxiv")
        else:
            bib.set_field(key, "eprint", preprint_doi.strip())
            bib.set_field(key, "eprinttype", to_bibtex(server or "preprint", "eprinttype"))
        changed += ["eprint", "eprinttype"]
    return changed
