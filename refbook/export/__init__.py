"""Export: citations formatted by pandoc's citeproc with CSL styles.

Styled output runs pandoc (3.x, from the ``pypandoc-binary`` package, or ``REFBOOK_PANDOC``
/ ``export.pandoc``) as a separate process on refbook's CSL-JSON (``refbook.csl``), so
refbook's mapping, not pandoc's BibTeX reader, decides the data.  The six bundled styles
(``refbook/styles``) are from the Citation Style Language project (CC BY-SA 3.0).

- ``pandoc``: styles, finding and running pandoc, its errors as refbook's
- ``bibliography``: reference lists (batched), one reference per entry, in-text citations
- ``page``: the standalone annotated bibliography page
- ``document``: rendering a manuscript (``refbook render``)

Data formats (BibTeX, BibLaTeX, CSL-JSON, CSL-YAML, RIS, JSON) need no style: each is a
module of ``refbook.formats`` (``export_data`` hands over to it).
"""

from __future__ import annotations

from .bibliography import (
    BATCH_MIN,
    BATCH_SIZE,
    bibliography_batched,
    bibliography_entries,
    cite_in_library,
    export_data,
    format_bibliography,
    format_citation,
    format_entries,
    html_to,
    id_changes,
)
from .document import cited_works, front_matter, render_document
from .page import PAGE_CSP, standalone_page
from .pandoc import (
    PANDOC_MIN,
    STYLES,
    STYLES_DIR,
    citeproc_html,
    pandoc_error,
    pandoc_executable,
    run_pandoc,
    style_path,
)

__all__ = [
    "BATCH_MIN",
    "BATCH_SIZE",
    "PAGE_CSP",
    "PANDOC_MIN",
    "STYLES",
    "STYLES_DIR",
    "bibliography_batched",
    "bibliography_entries",
    "cite_in_library",
    "cited_works",
    "citeproc_html",
    "export_data",
    "format_bibliography",
    "format_citation",
    "format_entries",
    "front_matter",
    "html_to",
    "id_changes",
    "pandoc_error",
    "pandoc_executable",
    "render_document",
    "run_pandoc",
    "standalone_page",
    "style_path",
]
