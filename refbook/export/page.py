"""A standalone annotated bibliography page (``export --to html --standalone``): one
self-contained, accessible HTML file with a search box and a Content-Security-Policy."""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import TYPE_CHECKING

from .bibliography import bibliography_entries

if TYPE_CHECKING:
    from ..model import Entry

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
    from ..csl import csl_items
    from ..safelinks import doi_url, html_link, safe_url

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
