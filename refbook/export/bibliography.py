"""Reference lists and citations formatted by pandoc's citeproc on refbook's CSL-JSON
(``refbook.csl``): whole lists (batched and run in parallel for long ones), one
reference per entry, and in-text citations."""

from __future__ import annotations

import html
import os
import re
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from .pandoc import citeproc_html, run_pandoc, style_path, with_references

if TYPE_CHECKING:
    from ..citing import CiteItem
    from ..model import Entry

T = TypeVar("T")
R = TypeVar("R")


_ENTRY_START = re.compile(r'<div id="ref-(?P<key>[^"]+)" class="csl-entry"[^>]*>')
_MARGIN = re.compile(
    r'<div class="csl-left-margin">(.*?)</div>\s*<div class="csl-right-inline">(.*)</div>', re.S
)


def bibliography_entries(
    items: list[dict[str, Any]], style: str, *, pandoc: str | None = None
) -> list[tuple[str, str]]:
    """(key, formatted HTML) for each item, in the style's order; only safe links
    (``safelinks.safe_url``) stay links, so the Markdown made from it has no other."""
    from ..safelinks import safe_html_links

    out = citeproc_html(items, style, pandoc=pandoc)
    starts = list(_ENTRY_START.finditer(out))
    entries = []
    for i, m in enumerate(starts):
        end = starts[i + 1].start() if i + 1 < len(starts) else out.rfind("</div>")
        body = out[m.end() : end].strip()
        body = body.removesuffix("</div>").strip()
        # numbered styles put the label in a left-margin div: "[1] S. Biddle, ..."
        body = _MARGIN.sub(lambda g: g.group(1).strip() + " " + g.group(2).strip(), body)
        body = safe_html_links(_unwrap_nocase(body))
        entries.append((m.group("key"), body))
    return entries


_NOCASE = re.compile(r'<span class="nocase">((?:(?!<span).)*?)</span>', re.S)


def _unwrap_nocase(body: str) -> str:
    """Case-protection spans have done their work once formatted: drop them."""
    while True:
        new = _NOCASE.sub(r"\1", body)
        if new == body:
            return body
        body = new


def html_to(fragment: str, to: str, *, pandoc: str | None = None) -> str:
    """HTML converted to plain text or Markdown by pandoc (one paragraph per block)."""
    if to == "html":
        return fragment
    target = (
        "plain"
        if to == "text"
        else "markdown-smart-raw_html-native_divs-native_spans-bracketed_spans"
    )
    return run_pandoc(["-f", "html", "-t", target, "--wrap=none"], fragment, pandoc=pandoc)


BATCH_MIN = 500  # below this, one pandoc run is fast enough
BATCH_SIZE = 250


def _numeric(style: str) -> bool:
    return 'citation-format="numeric"' in style_path(style).read_text(encoding="utf-8")


def _sort_group(entry: Entry, demote_particle: bool = True) -> str:
    """A coarse prefix of what author-date styles sort by first: the first three letters of
    the first author's (or editor's) last name -- without a "van der" particle, which CSL
    demotes in sorting -- or of the title.  Entries in different groups then differ within
    that prefix, so one batch's entries all sort before the next batch's."""
    from ..keys import ascii_fold

    people = entry.authors or entry.editors
    if people:
        p = people[0]
        name = p.literal or (p.last if demote_particle else f"{p.von} {p.last}")
    else:
        name = entry.title
    # collation as citeproc's: letters without their accents (Ł sorts as L), case ignored
    return re.sub(r"[^a-z0-9]", "", ascii_fold(name).lower())[:3]


def _batches(entries: Sequence[Entry], style: str) -> list[list[Entry]]:
    """The entries cut into batches that can be formatted independently (see
    ``bibliography_batched``); one batch for short lists and numbered styles."""
    if len(entries) < BATCH_MIN or _numeric(style):
        return [list(entries)]
    text = style_path(style).read_text(encoding="utf-8")
    m = re.search(r'demote-non-dropping-particle="([^"]+)"', text)
    demote = (m.group(1) if m else "display-and-sort") != "never"
    groups: dict[str, list[Entry]] = {}
    for e in entries:
        groups.setdefault(_sort_group(e, demote), []).append(e)
    batches: list[list[Entry]] = [[]]
    for name in sorted(groups):
        if len(batches[-1]) >= BATCH_SIZE:
            batches.append([])
        batches[-1].extend(groups[name])
    return batches


def _parallel(function: Callable[[T], R], batches: list[T]) -> list[R]:
    from concurrent.futures import ThreadPoolExecutor

    if len(batches) == 1:
        return [function(batches[0])]
    with ThreadPoolExecutor(max(1, min(len(batches), os.cpu_count() or 1))) as pool:
        return list(pool.map(function, batches))


def _identified(entries: Sequence[Entry]) -> Callable[[Entry], dict[str, Any]]:
    """A function giving each entry's CSL item, with an id unique in ``entries``
    (``refbook.csl.unique_ids``: a duplicate key or an entry without one must not make
    an entry vanish from the list)."""
    from ..csl import to_csl, unique_ids

    ids, _ = unique_ids(entries)
    by_entry = {id(e): i for e, i in zip(entries, ids)}
    return lambda e: to_csl(e, by_entry[id(e)])


def id_changes(entries: Sequence[Entry]) -> list[tuple[Entry, str]]:
    """(entry, message) for each entry exported under another id than its key."""
    from ..csl import unique_ids

    return [(c.entry, c.message) for c in unique_ids(entries)[1]]


def bibliography_batched(
    entries: Sequence[Entry], style: str, *, pandoc: str | None = None
) -> list[tuple[str, str]]:
    """Like ``bibliography_entries``, for large lists: citeproc's time grows faster than
    the number of entries, so author-date lists are cut into batches at boundaries between
    sort-name prefixes (works of one author, whose year suffixes 2023a/2023b depend on each
    other, stay together), the batches are formatted by parallel pandoc processes, and
    joined in sort order.  Numbered styles are formatted in one run.  The keys returned
    are the CSL ids (the entry's key, unless it is a duplicate or missing)."""
    item = _identified(entries)
    parts = _parallel(
        lambda b: bibliography_entries([item(e) for e in b], style, pandoc=pandoc),
        _batches(entries, style),
    )
    return [pair for part in parts for pair in part]


def _plain_text(entries: Sequence[Entry], style: str, pandoc: str | None) -> str:
    """The reference list as plain text straight from citeproc (no HTML round trip)."""
    item = _identified(entries)

    def one(batch: list[Entry]) -> str:
        refs = with_references([item(e) for e in batch])
        try:
            return run_pandoc(
                [
                    "--citeproc",
                    "-f",
                    "markdown",
                    "-t",
                    "plain",
                    "--wrap=none",
                    f"--csl={style_path(style)}",
                    f"--bibliography={refs}",
                ],
                "---\nnocite: |\n  @*\n---\n",
                pandoc=pandoc,
            ).strip()
        finally:
            os.unlink(refs)

    return "\n\n".join(p for p in _parallel(one, _batches(entries, style)) if p) + "\n"


def format_bibliography(
    entries: Sequence[Entry],
    style: str = "apa",
    to: str = "text",
    annotated: bool = False,
    *,
    pandoc: str | None = None,
) -> str:
    """A formatted reference list: one paragraph per entry, sorted as the style says;
    with ``annotated``, each entry followed by its annotation."""
    if to == "text" and not annotated:
        return _plain_text(entries, style, pandoc)
    from ..csl import unique_ids

    by_key = dict(zip(unique_ids(entries)[0], entries))
    parts = []
    for key, body in bibliography_batched(entries, style, pandoc=pandoc):
        parts.append(f'<p class="csl-entry" id="ref-{html.escape(key)}">{body}</p>')
        if annotated and by_key.get(key) is not None and by_key[key].annotation:
            parts.append(
                f'<blockquote class="annotation"><p>{html.escape(by_key[key].annotation)}'
                "</p></blockquote>"
            )
    fragment = "\n".join(parts)
    if to == "html":
        return fragment + "\n"
    text = html_to(fragment, to, pandoc=pandoc)
    return re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"


def format_entries(
    entries: Sequence[Entry], style: str = "apa", to: str = "text", *, pandoc: str | None = None
) -> list[tuple[str, str]]:
    """(key, formatted reference) for each entry, in the style's order."""
    pairs = bibliography_batched(entries, style, pandoc=pandoc)
    if to == "html":
        return pairs
    # one pandoc run for all: with --wrap=none each paragraph comes back as one block
    fragment = "\n".join(f"<p>{body}</p>" for _, body in pairs)
    blocks = [b.strip() for b in html_to(fragment, to, pandoc=pandoc).strip().split("\n\n")]
    if len(blocks) != len(pairs):  # a reference that spans blocks: convert one by one
        blocks = [html_to(f"<p>{body}</p>", to, pandoc=pandoc).strip() for _, body in pairs]
    return [(key, text) for (key, _), text in zip(pairs, blocks)]


def format_citation(
    entries: Sequence[Entry],
    style: str = "apa",
    *,
    narrative: bool = False,
    locator: str | None = None,
    all_entries: Sequence[Entry] | None = None,
    pandoc: str | None = None,
    cites: Sequence[CiteItem] | None = None,
) -> str:
    """An in-text citation of ``entries`` (numbered styles count ``all_entries``);
    ``cites`` gives each work its own locator (``locator`` is one for all).  Works are
    cited by their CSL ids (``refbook.csl.unique_ids``): an entry's key, unless another
    entry has it too.  (``cite_in_library`` gives the same citation from the few works
    of a library it depends on.)"""
    from ..csl import to_csl, unique_ids

    pool = list(all_entries or entries)
    for e in entries:  # a work cited from outside the pool (the API allows it)
        if not any(p is e for p in pool):
            pool.append(e)
    ids = unique_ids(pool)[0]
    ident = dict(zip(map(id, pool), ids))
    items = [to_csl(e, i) for e, i in zip(pool, ids)]
    body = _citation_body([ident[id(e)] for e in entries], cites, narrative, locator)
    # numbered styles number works in order of first citation: cite the whole
    # bibliography first, in file order, so that numbers match `refbook export`
    first = ids if all_entries is not None else []
    return _citation_text(items, style, first, body, pandoc)


def _citation_body(
    ids: Sequence[str], cites: Sequence[CiteItem] | None, narrative: bool, locator: str | None
) -> str:
    """The pandoc citation of the works of CSL ids ``ids`` (``format_citation``)."""
    from dataclasses import replace

    from ..citing import CiteItem, pandoc_citation

    if cites is None:
        cites = [CiteItem(i, locator or "") for i in ids]
    elif len(cites) == len(ids):
        cites = [replace(c, key=i) for c, i in zip(cites, ids)]
    return pandoc_citation(cites, narrative)


def _citation_text(
    items: list[dict[str, Any]],
    style: str,
    first: Sequence[str],
    body: str,
    pandoc: str | None,
) -> str:
    """citeproc's text of the citation ``body``, after citations of ``first`` (ids)."""
    if first:
        body = "".join(f"[@{i}]" for i in first) + "\n\n" + body
    out = citeproc_html(items, style, body, pandoc=pandoc)
    paragraphs = re.findall(r"<p>(.*?)</p>", out, re.S)
    fragment = paragraphs[-1] if paragraphs else ""
    return html_to(f"<p>{fragment}</p>", "text", pandoc=pandoc).strip()


def cite_in_library(
    library: Any,
    entries: Sequence[Entry],
    style: str = "apa",
    *,
    narrative: bool = False,
    locator: str | None = None,
    cites: Sequence[CiteItem] | None = None,
    pandoc: str | None = None,
) -> str:
    """``format_citation(entries, ..., all_entries=list(library))`` -- the citation of
    works of ``library`` (a ``model.Library``, a list of entries or a ``CachedLibrary``)
    as `refbook export` numbers and disambiguates them -- from the works it depends on
    (``citepool.citation_pool``); from the whole library when they cannot be told."""
    from ..csl import to_csl
    from .citepool import citation_pool, numbered_runs, renumbered

    pool = citation_pool(library, entries, style)
    if pool is not None:
        items = [to_csl(e, i) for e, i in zip(pool.entries, pool.ids)]
        body = _citation_body([pool.ids[i] for i in pool.cited], cites, narrative, locator)
        if not pool.numbered:
            return _citation_text(items, style, pool.ids, body, pandoc)
        # citeproc numbers the pool; two runs, the second with every number 2 more, tell
        # the numbers from the other digits
        runs = numbered_runs(pool, (0, 2))
        first, second = _parallel(
            lambda run: _citation_text(items + run[2], style, run[0], body, pandoc), runs
        )
        text = renumbered(first, second, runs[0][1], 2)
        if text is not None:
            return text
    whole = list(library)
    if entries and all(hasattr(e, "ord") for e in entries):  # the same objects as ``whole``
        by_ord = {getattr(e, "ord", None): e for e in whole}
        entries = [by_ord.get(getattr(e, "ord", None), e) for e in entries]
    return format_citation(
        entries,
        style,
        narrative=narrative,
        locator=locator,
        all_entries=whole,
        pandoc=pandoc,
        cites=cites,
    )


def export_data(entries: Sequence[Entry], fmt: str, *, normalize: bool = False) -> str:
    """``entries`` in data format ``fmt`` (``refbook.formats``: one module per format)."""
    from ..formats import write

    return write(entries, fmt, normalize=normalize)
