"""Run the user's editor on a temporary file, without a shell."""

from __future__ import annotations

import os
import shlex
import subprocess
import tempfile

from .errors import UsageError


def edit_text(text: str, suffix: str = ".bib") -> str:
    """Open ``text`` in ``$VISUAL``/``$EDITOR`` (split with shlex, run without a shell, so
    quotes and spaces work and nothing is injected); return the saved text."""
    command = os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"
    try:
        argv = shlex.split(command)
    except ValueError as exc:
        raise UsageError(f"error: cannot parse $EDITOR ({exc})") from None
    with tempfile.NamedTemporaryFile("w", suffix=suffix, delete=False, encoding="utf-8") as fh:
        fh.write(text)
    try:
        result = subprocess.run([*argv, fh.name], check=False)
        if result.returncode != 0:
            raise UsageError(
                f"error: the editor exited with status {result.returncode}; nothing saved"
            )
        with open(fh.name, encoding="utf-8") as saved:
            return saved.read()
    except FileNotFoundError:
        raise UsageError(f"error: editor not found: {argv[0]}") from None
    finally:
        os.unlink(fh.name)


def keep_for_recovery(text: str, name: str, suffix: str = ".bib") -> str:
    """Save text the user typed that could not be used (it does not parse, and there is
    no terminal to ask them to fix it) where they can find it: a new file under the user
    cache directory (``recovery/``), never next to, or over, their .bib.  Returns its path."""
    import re
    import time

    from .paths import cache_dir

    folder = cache_dir() / "recovery"
    folder.mkdir(parents=True, exist_ok=True)
    stem = re.sub(r"[^\w.-]+", "_", name)[:80] or "entry"
    stamp = time.strftime("%Y%m%d-%H%M%S")
    fd, path = tempfile.mkstemp(prefix=f"{stem}-{stamp}-", suffix=suffix, dir=folder)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text if text.endswith("\n") else text + "\n")
    return path


def interactive() -> bool:
    """Whether a person can answer a question: standard input is a terminal."""
    import sys

    try:
        return sys.stdin is not None and sys.stdin.isatty()
    except (ValueError, OSError):  # closed or detached stdin
        return False
