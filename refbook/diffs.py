"""Unified diffs of a bibliography's text: the one place they are built (``--dry-run`` of
the editing commands, ``lint --fix --dry-run``, ``fmt --diff``)."""

from __future__ import annotations

import difflib
import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .store import BibFile


def unified_diff(old: str, new: str, name: str) -> str:
    """A unified diff of a file's text, headed as git does for a relative path (``a/x.bib``,
    ``b/x.bib``) and by the path itself for an absolute one (not ``a//home/…``)."""
    old_name, new_name = (name, name) if os.path.isabs(name) else (f"a/{name}", f"b/{name}")
    return "".join(
        difflib.unified_diff(
            old.splitlines(keepends=True),
            new.splitlines(keepends=True),
            fromfile=old_name,
            tofile=new_name,
        )
    )


def pending_diff(bib: BibFile, name: str) -> str:
    """The unified diff of the changes not yet saved to ``bib`` (what a dry run shows)."""
    return unified_diff(bib.text, bib.render(), name)
