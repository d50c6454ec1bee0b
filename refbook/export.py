"""Export: citations formatted by pandoc's citeproc with CSL styles.

Data formats (BibTeX, BibLaTeX, CSL-JSON, CSL-YAML, RIS, JSON) need no style: each is a
module of ``refbook.formats`` (``export_data`` hands over to it).

Styled output runs pandoc (3.x, from the ``pypandoc-binary`` package, or ``REFBOOK_PANDOC``
/ ``export.pandoc``) as a separate process on refbook's CSL-JSON (``refbook.csl``), so
refbook's mapping, not pandoc's BibTeX reader, decides the data.  The six bundled styles
(``refbook/styles``) are from the Citation Style Language project (CC BY-SA 3.0).
"""

from __future__ import annotations

import functools
import html
import json
import os
import re
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import ConfigError, InputError, UsageError, WriteError
from .model import Entry

if TYPE_CHECKING:
    from .citing import CiteItem

STYLES_DIR = Path(__file__).resolve().parent / "styles"
STYLES = {
    "apa": "apa.csl",
    "mla": "modern-language-association.csl",
    "chicago": "chicago-author-date.csl",
    "harvard": "harvard-cite-them-right.csl",
    "ieee": "ieee.csl",
    "vancouver": "nlm-citation-sequence.csl",
}
PANDOC_MIN = (3, 0)


# -- styles and pandoc ----------------------------------------------------------------------


def style_path(style: str) -> Path:
    """A bundled style by name, or a path to any .csl file."""
    if style in STYLES:
        return STYLES_DIR / STYLES[style]
    if style.endswith(".csl") or os.sep in style:
        path = Path(style)
        if not path.is_file():
            raise ConfigError(f"{style}: error: no such CSL style file")
        text = path.read_text(encoding="utf-8", errors="replace")
        if "<style" not in text or "http://purl.org/net/xbiblio/csl" not in text:
            raise ConfigError(f"{style}: error: not a CSL style (no <style> in the CSL namespace)")
        return path
    raise UsageError(
        f"error: unknown style {style!r}; available: {', '.join(STYLES)} (or a path to a .csl file)"
    )


def pandoc_executable(configured: str | None = None) -> str:
    """pandoc ≥ 3: ``REFBOOK_PANDOC``/``export.pandoc``, else the pypandoc-binary one."""
    return _checked_pandoc(configured or os.environ.get("REFBOOK_PANDOC") or "")


@functools.lru_cache(maxsize=8)  # one version check per executable, not one per run
def _checked_pandoc(exe: str) -> str:
    if not exe:
        try:
            import pypandoc

            exe = pypandoc.get_pandoc_path()
        except (ImportError, OSError):
            exe = "pandoc"
    try:
        out = subprocess.run([exe, "--version"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        raise ConfigError(
            f"error: pandoc not found ({exe}); install refbook's dependencies "
            "(pip install pypandoc-binary) or set REFBOOK_PANDOC"
        ) from None
    m = re.search(r"pandoc(?:\.exe)? (\d+)\.(\d+)", out.stdout)
    if not m or (int(m.group(1)), int(m.group(2))) < PANDOC_MIN:
        found = m.group(0) if m else out.stdout.splitlines()[:1]
        raise ConfigError(
            f"error: pandoc 3 or newer is needed, found {found} ({exe}); "
            "pip install -U pypandoc-binary, or set REFBOOK_PANDOC"
        )
    return exe


def run_pandoc(args: Sequence[str], stdin: str, *, pandoc: str | None = None) -> str:
    """Run pandoc with ``args`` on ``stdin``; its failures become one-line refbook errors
    (``pandoc_error``)."""
    exe = pandoc_executable(pandoc)
    proc = subprocess.run(
        [exe, *args], input=stdin, capture_output=True, text=True, encoding="utf-8"
    )
    if proc.returncode != 0:
        raise pandoc_error(proc.returncode, proc.stderr)
    return proc.stdout


# pandoc's exit codes (pandoc --help, "Exit codes" in its manual) by whose fault it is
_PANDOC_INPUT_CODES = {64, 65, 92, 93, 94}  # the document: parse, YAML, UTF-8 errors
_PANDOC_WRITE_CODES = {1}  # an I/O error
_HASKELL_IO = re.compile(
    r"^(?P<path>.*?): (?:with|open|create|remove|get|hGet|hPut)\w*: "
    r"(?P<kind>[^(]*)\((?P<reason>[^)]*)\)\s*$"
)


def pandoc_error(code: int, stderr: str) -> ConfigError | InputError | WriteError:
    """pandoc's failure as one line: its own message without the Haskell call stack that
    pandoc 3.7+ prints after I/O errors, ``path: withBinaryFile: does not exist (No such
    file or directory)`` said as ``path: no such file or directory``, and the exit code of
    whoever is to blame: the document (3), a write (5), else the set-up or style (4)."""
    lines = []
    for line in stderr.splitlines():
        if line.startswith("HasCallStack backtrace:"):
            break
        if line.strip() and not line.startswith("[WARNING]"):
            lines.append(line.strip())
    msg = " ".join(lines).removeprefix("pandoc: ") or f"failed (exit code {code})"
    m = _HASKELL_IO.match(msg)
    if m:
        msg = f"{m.group('path')}: {m.group('reason').strip().lower()}"
    msg = msg.replace('"stdin"', "the document")
    if code in _PANDOC_INPUT_CODES:
        return InputError(f"error: pandoc cannot read the document: {msg}")
    if code in _PANDOC_WRITE_CODES and m:
        return WriteError(f"error: pandoc cannot write or read a file: {msg}")
    return ConfigError(f"error: pandoc: {msg}")


def _with_references(items: list[dict[str, Any]]):
    """A temporary CSL-JSON file for pandoc's --bibliography."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False, encoding="utf-8") as fh:
        json.dump(items, fh, ensure_ascii=False)
    return fh.name


def citeproc_html(
    items: list[dict[str, Any]], style: str, body: str = "", *, pandoc: str | None = None
) -> str:
    """pandoc --citeproc on a Markdown ``body`` (default: every item, no text), as HTML."""
    refs = _with_references(items)
    try:
        doc = body or "---\nnocite: |\n  @*\n---\n"
        return run_pandoc(
            [
                "--citeproc",
                "-f",
                "markdown",
                "-t",
                "html",
                "--wrap=none",
                f"--csl={style_path(style)}",
                f"--bibliography={refs}",
            ],
            doc,
            pandoc=pandoc,
        )
    finally:
        os.unlink(refs)


_ENTRY_START = re.compile(r'<div id="ref-(?P<key>[^"]+)" class="csl-entry"[^>]*>')
_MARGIN = re.compile(
    r'<div class="csl-left-margin">(.*?)</div>\s*<div class="csl-right-inline">(.*)</div>', re.S
)


def bibliography_entries(
    items: list[dict[str, Any]], style: str, *, pandoc: str | None = None
) -> list[tuple[str, str]]:
    """(key, formatted HTML) for each item, in the style's order; only safe links
    (``safelinks.safe_url``) stay links, so the Markdown made from it has no other."""
    from .safelinks import safe_html_links

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
    from .keys import ascii_fold

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


def _parallel(function, batches: list) -> list:
    from concurrent.futures import ThreadPoolExecutor

    if len(batches) == 1:
        return [function(batches[0])]
    with ThreadPoolExecutor(max(1, min(len(batches), os.cpu_count() or 1))) as pool:
        return list(pool.map(function, batches))


def _identified(entries: Sequence[Entry]):
    """A function giving each entry's CSL item, with an id unique in ``entries``
    (``refbook.csl.unique_ids``: a duplicate key or an entry without one must not make
    an entry vanish from the list)."""
    from .csl import to_csl, unique_ids

    ids, _ = unique_ids(entries)
    by_entry = {id(e): i for e, i in zip(entries, ids)}
    return lambda e: to_csl(e, by_entry[id(e)])


def id_changes(entries: Sequence[Entry]) -> list[tuple[Entry, str]]:
    """(entry, message) for each entry exported under another id than its key."""
    from .csl import unique_ids

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
        refs = _with_references([item(e) for e in batch])
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
    from .csl import unique_ids

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
    entry has it too."""
    from dataclasses import replace

    from .citing import CiteItem, pandoc_citation
    from .csl import unique_ids

    pool = list(all_entries or entries)
    for e in entries:  # a work cited from outside the pool (the API allows it)
        if not any(p is e for p in pool):
            pool.append(e)
    item = _identified(pool)
    items = [item(e) for e in pool]
    ident = dict(zip(map(id, pool), unique_ids(pool)[0]))
    if cites is None:
        cites = [CiteItem(ident[id(e)], locator or "") for e in entries]
    elif len(cites) == len(entries):
        cites = [replace(c, key=ident[id(e)]) for c, e in zip(cites, entries)]
    body = pandoc_citation(cites, narrative)
    if all_entries is not None:
        # numbered styles number works in order of first citation: cite the whole
        # bibliography first, in file order, so that numbers match `refbook export`
        body = "".join(f"[@{ident[id(e)]}]" for e in pool) + "\n\n" + body
    out = citeproc_html(items, style, body, pandoc=pandoc)
    paragraphs = re.findall(r"<p>(.*?)</p>", out, re.S)
    fragment = paragraphs[-1] if paragraphs else ""
    return html_to(f"<p>{fragment}</p>", "text", pandoc=pandoc).strip()


def export_data(entries: Sequence[Entry], fmt: str, *, normalize: bool = False) -> str:
    """``entries`` in data format ``fmt`` (``refbook.formats``: one module per format)."""
    from .formats import write

    return write(entries, fmt, normalize=normalize)


# -- a standalone annotated bibliography page ----------------------------------------------

PAGE_STYLE = """
body { font-family: Georgia, serif; max-width: 48rem; margin: 2rem auto; padding: 0 1rem;
       line-height: 1.5; color: #1a1a1a; }
label { display: block; font-weight: bold; margin-bottom: .25rem; }
input[type=search] { width: 100%; font-size: 1rem; padding: .4rem; box-sizing: border-box; }
ol { list-style: none; padding: 0; }
li { margin: 1.2rem 0; padding-left: 2rem; text-indent: -2rem; }
li blockquote { text-indent: 0; margin: .4rem 0 0 0; color: #333; font-size: .95rem; }
li .links { text-indent: 0; font-size: .9rem; }
a { color: #0645ad; }
[hidden] { display: none; }
"""

PAGE_SCRIPT = """
(function () {
  var input = document.getElementById('filter');
  var items = Array.prototype.slice.call(document.querySelectorAll('#entries > li'));
  var count = document.getElementById('count');
  function fold(s) { return s.normalize('NFKD').replace(/[\\u0300-\\u036f]/g, '').toLowerCase(); }
  input.addEventListener('input', function () {
    var words = fold(input.value).split(/\\s+/).filter(Boolean);
    var shown = 0;
    items.forEach(function (li) {
      var text = fold(li.textContent);
      var ok = words.every(function (w) { return text.indexOf(w) >= 0; });
      li.hidden = !ok;
      if (ok) shown += 1;
    });
    count.textContent = shown + (shown === 1 ? ' entry' : ' entries');
  });
})();
"""


def _csp_hash(source: str) -> str:
    """A CSP source expression allowing exactly this inline script or style."""
    import base64
    import hashlib

    return (
        "'sha256-"
        + base64.b64encode(hashlib.sha256(source.encode("utf-8")).digest()).decode()
        + "'"
    )


# Defence in depth: whatever a field holds, the page runs only its own search script and
# loads nothing (no image, font, frame, form target or base URL from anywhere).
PAGE_CSP = (
    f"default-src 'none'; script-src {_csp_hash(PAGE_SCRIPT)}; "
    f"style-src {_csp_hash(PAGE_STYLE)}; base-uri 'none'; form-action 'none'"
)

PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{csp}">
<meta name="referrer" content="no-referrer">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>{style}</style>
</head>
<body>
<main>
<h1>{title}</h1>
<label for="filter">Search the bibliography</label>
<input id="filter" type="search" autocomplete="off" aria-controls="entries"
       placeholder="Author, title, keyword or annotation">
<p id="count" role="status" aria-live="polite">{count} entries</p>
<ol id="entries">
{items}
</ol>
</main>
<script>{script}</script>
</body>
</html>
"""


def standalone_page(
    entries: Sequence[Entry],
    style: str = "apa",
    *,
    title: str = "Annotated bibliography",
    pandoc: str | None = None,
) -> str:
    """One self-contained, accessible HTML page: the formatted entries, annotations,
    DOI/URL links and a search box that filters the list (no external assets; a
    Content-Security-Policy lets only the page's own search script run).  Values are
    escaped once, here (annotations, keywords) or by pandoc (the formatted entry)."""
    from .csl import csl_items
    from .safelinks import doi_url, html_link, safe_url

    csl = csl_items(entries)
    by_key = {item["id"]: e for item, e in zip(csl, entries)}
    items = []
    for key, body in bibliography_entries(csl, style, pandoc=pandoc):
        e = by_key.get(key)
        if e is None:  # citeproc changed the id (it should not: see csl.to_csl's note)
            items.append(f'<li id="{html.escape(key)}"><div class="entry">{body}</div></li>')
            continue
        links = []
        if e.doi:
            links.append(html_link(f"DOI {e.doi}", doi_url(e.doi)))
        if e.url:
            # a URL that may not be a link (javascript:, data:, …) is shown as text
            links.append(html_link("Link" if safe_url(e.url) else e.url, e.url))
        note = f"<blockquote>{html.escape(e.annotation)}</blockquote>" if e.annotation else ""
        kw = f' data-keywords="{html.escape(", ".join(e.keywords))}"' if e.keywords else ""
        items.append(
            f'<li id="{html.escape(key)}"{kw}><div class="entry">{body}</div>{note}'
            f'<div class="links">{" · ".join(links)}</div></li>'
        )
    return PAGE.format(
        csp=html.escape(PAGE_CSP),
        title=html.escape(title),
        count=len(items),
        items="\n".join(items),
        style=PAGE_STYLE,
        script=PAGE_SCRIPT,
    )


# -- rendering a manuscript -----------------------------------------------------------------

_ANNOTATE_FILTER = """
local notes = {}
local markdown = FORMAT:match("markdown") ~= nil
local function read(meta)
  if meta.refbook_target then  -- the format finally written (this run may write JSON)
    markdown = pandoc.utils.stringify(meta.refbook_target) == "markdown"
  end
  if meta.refbook_annotations then
    for key, value in pairs(meta.refbook_annotations) do
      notes[key] = pandoc.utils.stringify(value)
    end
  end
end
local function unwrap(span)
  -- case protection has done its work once citeproc has formatted the entry
  if span.classes:includes("nocase") then return span.content end
end
local function annotate(div)
  local key = div.identifier:match("^ref%-(.+)$")
  if key and notes[key] then
    div.content:insert(pandoc.BlockQuote({pandoc.Para({pandoc.Str(notes[key])})}))
  end
  -- in Markdown, citeproc's divs would be ::: fences a reader of the file never wrote
  if markdown and (key or div.identifier == "refs") then return div.content end
  if key then return div end
end
local function heading(h)
  -- the reference list's heading as a reader would type it, without {#bibliography ...}
  if markdown and h.identifier == "bibliography" then
    h.identifier = ""
    h.classes = {}
    return h
  end
end
local function title(doc)
  -- an HTML page is titled by the document: its title, else its first heading
  local meta = doc.meta
  if markdown or meta.title or meta.pagetitle then return nil end
  local found = meta.refbook_fallback_title
  for _, block in ipairs(doc.blocks) do
    if block.t == "Header" and block.identifier ~= "bibliography" then
      found = pandoc.utils.stringify(block.content)
      break
    end
  end
  meta.pagetitle = found
  doc.meta = meta
  return doc
end
return {{Meta = read}, {Div = annotate, Span = unwrap, Header = heading}, {Pandoc = title}}
"""
# a YAML metadata block at the start of a pandoc-Markdown document: "---", then (no blank
# line) "name: value" lines, then "---" or "..."
_FRONT_MATTER = re.compile(
    r"\A(?:\ufeff)?---[ \t]*\r?\n(?=[A-Za-z_][\w-]*[ \t]*:)"
    r"(?:.*?\r?\n)??(?:---|\.\.\.)[ \t]*(?:\r?\n|\Z)",
    re.S,
)


def front_matter(source: str) -> str:
    """The document's leading YAML metadata block (title, author, date…), as written."""
    m = _FRONT_MATTER.match(source)
    return m.group(0) if m else ""


def _cite_by_key(source: str, entries: Sequence[Entry]) -> str:
    """Citations of an ``ids`` alias rewritten to the entry's key, which is the id pandoc
    knows the work by (CSL-JSON has no aliases)."""
    aliases = {a.lower(): e.key for e in entries for a in e.aliases}
    if not aliases:
        return source
    from .edits import rename_in_manuscript
    from .manuscript import find_key_citations

    keys = {e.key.lower() for e in entries}
    cited = {k.lower() for c in find_key_citations(source, "pandoc") for k in c.keys}
    for alias in sorted(cited & aliases.keys() - keys):
        source, _ = rename_in_manuscript(source, alias, aliases[alias], "pandoc")
    return source


def render_document(
    source: str,
    entries: Sequence[Entry],
    *,
    style: str = "apa",
    to: str = "markdown",
    output: str | None = None,
    annotated: bool = False,
    heading: str = "References",
    pandoc: str | None = None,
    title: str = "Manuscript",
) -> str:
    """A pandoc-Markdown manuscript with its citations formatted and a reference list
    appended (pandoc --citeproc on refbook's CSL-JSON).  Returns the text, or writes
    ``output`` (needed for docx).  Links are kept only where ``safelinks.safe_url``
    allows (and the document's own relative links, such as citations' ``#ref-key``).

    Markdown comes out as a reader expects it, like ``export --to markdown``: the
    document's YAML front matter kept as written, real dashes and quotes, and no
    ``:::`` fences around the references.  An HTML page is titled by the document's
    title, else its first heading, else ``title`` (e.g. the file's name)."""
    from .csl import csl_items
    from .safelinks import safe_ast_links

    source = _cite_by_key(source, entries)
    refs = _with_references(csl_items(entries))
    temp: list[str] = [refs]
    try:
        args = [
            "--citeproc",
            "-f",
            "markdown",
            "--wrap=none",
            f"--csl={style_path(style)}",
            f"--bibliography={refs}",
            "-M",
            f"reference-section-title={heading}",
        ]
        with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False, encoding="utf-8") as lua:
            lua.write(_ANNOTATE_FILTER)
        temp.append(lua.name)
        if annotated:
            meta = {"refbook_annotations": {e.key: e.annotation for e in entries if e.annotation}}
            with tempfile.NamedTemporaryFile(
                "w", suffix=".json", delete=False, encoding="utf-8"
            ) as fh:
                json.dump(meta, fh, ensure_ascii=False)
            temp.append(fh.name)
            args.append(f"--metadata-file={fh.name}")
        args.append(f"--lua-filter={lua.name}")
        writer = {"markdown": "markdown-citations-smart", "html": "html", "docx": "docx"}[to]
        # two runs with the document tree in between: citeproc links the entries' URLs,
        # and only safe links may stay links (safelinks.safe_url, one rule in Python)
        write = ["-f", "json", "-t", writer, "--wrap=none"]
        args += ["-M", f"refbook_target={to}"]  # the filter runs in the first (JSON) run
        if to == "html":
            write += ["--standalone"]
            args += ["-M", "link-citations=true", "-M", f"refbook_fallback_title={title}"]
        tree = json.loads(run_pandoc([*args, "-t", "json"], source, pandoc=pandoc))
        safe = json.dumps(safe_ast_links(tree))
        if to == "markdown":  # pandoc writes no metadata without --standalone: keep it
            text = run_pandoc(write, safe, pandoc=pandoc)
            meta = front_matter(source)
            text = meta + ("\n" if meta and text else "") + text
            if output:
                from .store import write_output

                write_output(output, text.encode("utf-8"))
            return text
        if not output:
            return run_pandoc(write, safe, pandoc=pandoc)
        # pandoc writes into a folder of refbook's; the file is then put in place the way
        # every -o is (folders created, atomic, one-line errors)
        from .store import write_output

        with tempfile.TemporaryDirectory(prefix="refbook-render-") as tmp:
            written = Path(tmp) / f"out{Path(output).suffix or '.' + to}"
            text = run_pandoc([*write, "-o", str(written)], safe, pandoc=pandoc)
            write_output(output, written.read_bytes())
        return text
    finally:
        for name in temp:
            os.unlink(name)
