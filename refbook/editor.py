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
            raise UsageError(f"error: the editor exited with status {result.returncode}; "
                             "nothing saved")
        with open(fh.name, encoding="utf-8") as saved:
            return saved.read()
    except FileNotFoundError:
        raise UsageError(f"error: editor not found: {argv[0]}") from None
    finally:
        os.unlink(fh.name)
