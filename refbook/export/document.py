"""Rendering a manuscript (``refbook render``): a pandoc-Markdown document with its
citations formatted and a reference list appended, as Markdown, HTML or docx."""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .pandoc import run_pandoc, style_path, with_references

if TYPE_CHECKING:
    from ..model import Entry

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
    from ..edits import rename_in_manuscript
    from ..manuscript import find_key_citations

    keys = {e.key.lower() for e in entries}
    cited = {k.lower() for c in find_key_citations(source, "pandoc") for k in c.keys}
    for alias in sorted(cited & aliases.keys() - keys):
        source, _ = rename_in_manuscript(source, alias, aliases[alias], "pandoc")
    return source


# what may name a work in pandoc Markdown: @key, @{key}, in citations and in nocite
_NAMED = re.compile(r"@\{([^}]*)\}|@(\w[\w:.#$%&\-+?<>~/]*)")


def cited_works(source: str, library: Any) -> tuple[list[Any], list[str]] | None:
    """The works of ``library`` (a ``model.Library``, a list of entries or a
    ``CachedLibrary``) that ``source`` names after an @ (its citations, ``nocite``), by
    key or ``ids`` alias, and their CSL ids as the whole library gives them
    (``csl.unique_ids``).  pandoc's citeproc reads from the bibliography only the works
    the document cites or lists in ``nocite``, so these give the document the whole
    library gives it.  None when it names every work (``@*``)."""
    if re.search(r"@\{?\*", source):
        return None
    names: set[str] = set()
    for m in _NAMED.finditer(source):
        name = (m.group(1) if m.group(1) is not None else m.group(2)).strip().lower()
        names.update((name, name.rstrip(".,;:?!-/"), re.sub(r"-\d+$", "", name)))
    keyless = any(n.startswith("line-") for n in names)
    if hasattr(library, "alias_keys"):  # the cache: found by SQL
        from .citepool import cached_ids

        works = library.entries_named(sorted(names), keyless)
        return works, cached_ids(library, works)
    from ..csl import unique_ids

    whole = list(library)
    ids = unique_ids(whole)[0]
    chosen = [
        (e, i)
        for e, i in zip(whole, ids)
        if e.key.lower() in names
        or (keyless and not e.key)
        or any(a.lower() in names for a in e.aliases)
    ]
    return [e for e, _ in chosen], [i for _, i in chosen]


def _temp_file(text: str, suffix: str) -> str:
    """A temporary file holding ``text`` (pandoc reads filters and metadata from files)."""
    with tempfile.NamedTemporaryFile("w", suffix=suffix, delete=False, encoding="utf-8") as fh:
        fh.write(text)
    return fh.name


def _write(tree: str, to: str, output: str | None, pandoc: str | None, front: str) -> str:
    """The second pandoc run: the safe document tree (JSON) written as ``to``; the text,
    also written to ``output`` when given."""
    from ..store import write_output

    writer = {"markdown": "markdown-citations-smart", "html": "html", "docx": "docx"}[to]
    write = ["-f", "json", "-t", writer, "--wrap=none"]
    if to == "html":
        write += ["--standalone"]
    if to == "markdown":  # pandoc writes no metadata without --standalone: keep it
        text = run_pandoc(write, tree, pandoc=pandoc)
        text = front + ("\n" if front and text else "") + text
        if output:
            write_output(output, text.encode("utf-8"))
        return text
    if not output:
        return run_pandoc(write, tree, pandoc=pandoc)
    # pandoc writes into a folder of refbook's; the file is then put in place the way
    # every -o is (folders created, atomic, one-line errors)
    with tempfile.TemporaryDirectory(prefix="refbook-render-") as tmp:
        written = Path(tmp) / f"out{Path(output).suffix or '.' + to}"
        text = run_pandoc([*write, "-o", str(written)], tree, pandoc=pandoc)
        write_output(output, written.read_bytes())
    return text


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
    ids: Sequence[str] | None = None,
) -> str:
    """A pandoc-Markdown manuscript with its citations formatted and a reference list
    appended (pandoc --citeproc on refbook's CSL-JSON).  Returns the text, or writes
    ``output`` (needed for docx).  Links are kept only where ``safelinks.safe_url``
    allows (and the document's own relative links, such as citations' ``#ref-key``).

    Markdown comes out as a reader expects it, like ``export --to markdown``: the
    document's YAML front matter kept as written, real dashes and quotes, and no
    ``:::`` fences around the references.  An HTML page is titled by the document's
    title, else its first heading, else ``title`` (e.g. the file's name)."""
    from ..csl import csl_items, to_csl
    from ..safelinks import safe_ast_links

    source = _cite_by_key(source, entries)
    if ids is None:
        items = csl_items(entries)
    else:
        items = [to_csl(e, i) for e, i in zip(entries, ids)]
    refs = with_references(items)
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
        temp.append(_temp_file(_ANNOTATE_FILTER, ".lua"))
        if annotated:
            notes = {e.key: e.annotation for e in entries if e.annotation}
            temp.append(
                _temp_file(json.dumps({"refbook_annotations": notes}, ensure_ascii=False), ".json")
            )
            args.append(f"--metadata-file={temp[-1]}")
        args.append(f"--lua-filter={temp[1]}")
        # two runs with the document tree in between: citeproc links the entries' URLs,
        # and only safe links may stay links (safelinks.safe_url, one rule in Python)
        args += ["-M", f"refbook_target={to}"]  # the filter runs in the first (JSON) run
        if to == "html":
            args += ["-M", "link-citations=true", "-M", f"refbook_fallback_title={title}"]
        tree = json.loads(run_pandoc([*args, "-t", "json"], source, pandoc=pandoc))
        safe = json.dumps(safe_ast_links(tree))
        return _write(safe, to, output, pandoc, front_matter(source))
    finally:
        for name in temp:
            os.unlink(name)
