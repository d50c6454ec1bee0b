"""Styles and pandoc: the bundled CSL styles, finding pandoc (3.x, from the
``pypandoc-binary`` package, or ``REFBOOK_PANDOC`` / ``export.pandoc``), running it, and its
failures said as one-line refbook errors."""

from __future__ import annotations

import functools
import json
import os
import re
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..errors import ConfigError, InputError, UsageError, WriteError

STYLES_DIR = Path(__file__).resolve().parent.parent / "styles"
STYLES = {
    "apa": "apa.csl",
    "mla": "modern-language-association.csl",
    "chicago": "chicago-author-date.csl",
    "harvard": "harvard-cite-them-right.csl",
    "ieee": "ieee.csl",
    "vancouver": "nlm-citation-sequence.csl",
}
PANDOC_MIN = (3, 0)


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


def with_references(items: list[dict[str, Any]]) -> str:
    """A temporary CSL-JSON file for pandoc's --bibliography."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False, encoding="utf-8") as fh:
        json.dump(items, fh, ensure_ascii=False)
    return fh.name


def citeproc_html(
    items: list[dict[str, Any]], style: str, body: str = "", *, pandoc: str | None = None
) -> str:
    """pandoc --citeproc on a Markdown ``body`` (default: every item, no text), as HTML."""
    refs = with_references(items)
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
