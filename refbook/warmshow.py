"""``refbook show KEY…`` answered from a warm library cache before Click is imported.

Showing an entry is the command people run most, many times a day, and on a warm cache
it reads one row.  Importing Click and building the command took more than half of
``refbook --version``'s whole run; so, like key completion (``refbook.completion``),
``run`` answers ``refbook [--bib X] [--encoding E] show [--json | --bibtex] KEY…`` itself
when the cache is warm and every key is found, with the same functions as the
``show`` command (``refbook/commands/show.py``): the same output, warnings and exit
code (tests/test_warmshow.py compares them).  Anything else (another option, a key
that is not found, a cold cache, ``--no-cache``, a configuration Click's path would
refuse) returns None before anything is written, and Click runs the command as before.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .completion import group_options

if TYPE_CHECKING:
    from .cache.entry import RecordEntry
    from .cache.library import CachedLibrary

# show's own flags read here (any other option: Click reads it)
_FLAGS = ("--json", "--bibtex")


def run(argv: list[str]) -> int | None:
    """The exit code of ``refbook`` run with ``argv`` (the words after the program's
    name), when it is a ``show`` answered here (output written); None: not answered,
    nothing written."""
    import sys

    read = group_options(argv)
    if read is None or not read[1] or read[1][0] != "show":
        return None
    options, (_, *words) = read
    flags = {w for w in words if w in _FLAGS}
    keys = [w for w in words if w not in _FLAGS]
    if options.get("--no-cache") or len(flags) > 1 or not keys:
        return None
    if any(k.startswith("-") for k in keys):
        return None  # an option (or `--`): Click reads it
    try:
        if sys.stdout.isatty():
            return None  # a terminal: rich's panels, or visible controls (Click's path)
        lib = _warm_library(options.get("--bib"), options.get("--encoding"))
        if lib is None:
            return None
        found = [lib.find(k) for k in keys]
        entries = [e for e in found if e is not None]
        if len(entries) < len(keys) or len(lib) == 0:
            return None  # Click's path says which key is unknown, and how it may be spelled
        problems = lib.problems
        text = _text(lib, entries, flags)  # every read done before a byte is written
    except Exception:  # noqa: BLE001  (Click's path reads it again, and says what is wrong)
        return None
    from .output import warn

    try:
        for problem in problems:  # as _common.open_library says them
            warn(str(problem))
        sys.stdout.write(text)
    except BrokenPipeError:  # `refbook show KEY | head -1`, as cli.run
        from .exits import quiet_stdout

        quiet_stdout()
        return 1
    return 0


def _warm_library(bib_option: str | None, encoding_option: str | None) -> CachedLibrary | None:
    """The bibliography in use as a ``CachedLibrary`` from its warm cache, or None,
    found as the CLI finds the file and its encoding."""
    from .cache import cache_encoding, warm_snapshot
    from .config import bib_encoding, find_bib, load_config

    cfg = load_config()
    bib = find_bib(bib_option, cfg)
    encoding = cache_encoding(bib_encoding(encoding_option, cfg))
    snapshot = warm_snapshot(bib, encoding)
    if snapshot is None:
        return None
    from .cache.library import CachedLibrary

    return CachedLibrary(snapshot, str(bib), encoding)


def _text(lib: CachedLibrary, entries: list[RecordEntry], flags: set[str]) -> str:
    """What ``commands/show.py`` writes to a stdout that is not a terminal."""
    import io

    from .output import choose_mode
    from .output.records import render_show, render_sources

    out = io.StringIO()
    if "--bibtex" in flags:
        render_sources(entries, out)
    else:
        mode = choose_mode("--json" in flags, out)
        render_show(entries, mode, out, json_texts=lib.json_texts(entries))
    return out.getvalue()
