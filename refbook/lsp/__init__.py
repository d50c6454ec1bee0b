"""refbook's language server: citations of the annotated bibliography in the editor.

``documents`` (languages, positions, the citations and bibliography of a document),
``library`` (the .bib as served, through the library cache: read in a thread, re-read on
change, last good state kept), ``features`` (completion, hover, diagnostics, definition,
references, rename as pure functions), ``bibfile`` (the .bib's own diagnostics and
symbols), ``actions`` (code actions), ``incremental`` (a manuscript's diagnostics after
an edit, by segments) and ``server`` (the pygls wiring, imported only by ``refbook lsp``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


def describe(
    root: str | None, bib: str | None, encoding: str | None = None, use_cache: bool = True
) -> dict[str, Any]:
    """What the server would serve for a workspace ``root``: the .bib it finds (as every
    command finds it), its entries and problems (``refbook lsp --check``)."""
    from .. import __version__
    from ..config import find_bib, load_config
    from .library import LibraryState

    cwd = Path(root or ".").resolve()
    path = str((cwd / find_bib(bib, load_config(cwd), cwd)).resolve())
    state = LibraryState(path, encoding, use_cache=use_cache)
    state.reload()
    snapshot = state.snapshot
    return {
        "version": __version__,
        "root": str(cwd),
        "bib": path,
        "entries": len(snapshot) if snapshot else 0,
        "problems": [f.to_dict() for f in state.problems],
    }
