"""refbook: an annotated bibliography in a plain BibTeX file.

    >>> import refbook
    >>> lib = refbook.load("references.bib")
    >>> lib["zahid2023dealing"].year
    2023

Heavy modules (bibtexparser, pylatexenc, rich, requests) are imported only when used, so
that ``refbook --help`` starts as fast as Click itself.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
PROJECT_URL = "https://github.com/refbook/refbook"
__all__ = ["load", "loads", "Library", "Entry", "Person", "BibFile", "Finding", "__version__"]

if TYPE_CHECKING:
    from .findings import Finding
    from .model import Entry, Library, Person, load, loads
    from .store import BibFile

_LAZY = {
    "load": "model", "loads": "model", "Library": "model", "Entry": "model", "Person": "model",
    "BibFile": "store", "Finding": "findings",
}  # fmt: skip


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'refbook' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value
