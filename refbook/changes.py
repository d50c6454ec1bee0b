"""Entries added or changed since a git revision: what a pull request touched in a shared
bibliography (``refbook check --changed-since REF``).

The file as it was at ``REF`` is read from git (``git show REF:./NAME``, run in the
file's directory, so the file may sit anywhere in the work tree) and parsed as refbook
parses any .bib; an entry counts as changed when no entry had its key at ``REF``, or its
type or any field's value (``@string`` macros resolved) differs.  Layout does not count:
re-indenting or re-ordering fields (``refbook fmt``) changes nothing a check looks at.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import UsageError

if TYPE_CHECKING:
    from .model import Entry

GIT_TIMEOUT = 60.0  # seconds for one git command (a large history on a slow disk)


def _git(cwd: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(
            ["git", "-C", str(cwd), *args],
            capture_output=True,
            timeout=GIT_TIMEOUT,
            check=False,
        )
    except FileNotFoundError:
        raise UsageError("error: --changed-since needs git, which is not installed") from None
    except subprocess.TimeoutExpired:
        raise UsageError(
            f"error: --changed-since: git {args[0]} took over {GIT_TIMEOUT:g} s"
        ) from None


def text_at(path: str | Path, ref: str) -> bytes | None:
    """The bytes of ``path`` at git revision ``ref``; None when the file did not exist
    then.  A ``ref`` that is not a commit, or a file outside a git work tree, is a
    ``UsageError`` (exit 2) naming both."""
    if str(path) in ("-", "<stdin>"):
        raise UsageError("error: --changed-since needs a .bib file in git, not standard input")
    path = Path(path).resolve()
    where = path.parent
    if ref.startswith("-"):  # never an option to git
        raise UsageError(f"error: --changed-since: {ref!r} is not a git revision")
    inside = _git(where, "rev-parse", "--is-inside-work-tree")
    if inside.returncode != 0 or inside.stdout.strip() != b"true":
        raise UsageError(f"error: --changed-since: {path} is not in a git work tree")
    commit = _git(
        where, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}"
    )
    if commit.returncode != 0:
        raise UsageError(
            f"error: --changed-since: {ref!r} is not a commit in {where} "
            "(in a CI checkout, fetch the base branch: actions/checkout with fetch-depth: 0)"
        )
    shown = _git(where, "show", f"{commit.stdout.decode().strip()}:./{path.name}")
    if shown.returncode != 0:
        return None  # the file is new since ref: every entry is new
    return shown.stdout


def _signature(entry: Entry) -> tuple[str, tuple[tuple[str, str], ...]]:
    """What a check looks at: the type and every field's value, not the layout."""
    return entry.type.lower(), tuple(sorted(entry.fields.items()))


def changed_since(
    entries: Iterable[Entry], path: str | Path, ref: str, encoding: str | None = None
) -> list[Entry]:
    """The entries among ``entries`` (of the file at ``path``) that were added or changed
    since git revision ``ref``."""
    from .model import Library
    from .store import BibFile, _decode

    old = text_at(path, ref)
    entries = list(entries)
    if old is None:
        return entries
    name = f"{ref}:{Path(path).name}"
    decoded = _decode(old, name, encoding)
    before = {e.key.lower(): _signature(e) for e in Library(BibFile(decoded.text, name=name))}
    return [e for e in entries if before.get(e.key.lower()) != _signature(e)]
