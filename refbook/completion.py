"""Key completion on TAB, answered from the library cache before Click is imported.

A shell asks refbook for completions by running it with ``_REFBOOK_COMPLETE`` set (the
scripts Click writes, docs/editors.md).  Completing a citation key is what runs on almost
every TAB, and at 100k entries Click's way of answering (importing Click, building the
command tree, a ``CompletionItem`` per matching key) took three times ``refbook
--version``.  ``answer`` gives the same answer for the cases it reads exactly as Click
does: the words before the cursor are the group's ``--bib``/``--encoding``/``--no-cache``,
a command whose argument at the cursor completes keys, and plain words after it; the
library's cache is warm.  It writes what Click's ``shell_complete`` writes for bash, zsh
and fish (the same bytes: tests/test_completion.py compares them).  Anything else (an
option after the command, a cold cache, ``--no-cache``, another shell) returns None and
Click answers as before.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping

TYPE_CHECKING = False
if TYPE_CHECKING:
    from .cache.snapshot import Snapshot

# command -> the positions of its arguments that complete keys (None: every position, an
# argument of nargs=-1); tests/test_completion.py checks it against the commands' own
# `shell_complete=complete_keys`
KEY_ARGUMENTS: dict[str, tuple[int, ...] | None] = {
    "show": None,
    "cite": None,
    "export": None,
    "check": None,
    "rm": None,
    "annotate": (0,),
    "edit": (0,),
    "rename": (0,),
    "set": (0,),
    "unset": (0,),
    "tag": (0,),
    "merge": (0, 1),
}
# the group's options (refbook.cli): those that take a value, and the one flag
_VALUE_OPTIONS = ("--bib", "--encoding")
_FLAG = "--no-cache"


def answer(environ: Mapping[str, str]) -> bytes | None:
    """What Click would write for this completion request, when it completes keys from
    a warm cache; None: leave it to Click."""
    shell, _, instruction = environ.get("_REFBOOK_COMPLETE", "").partition("_")
    if instruction != "complete" or shell not in ("bash", "zsh", "fish"):
        return None
    try:
        args, incomplete = _words(shell, environ)
    except (KeyError, ValueError, IndexError):
        return None
    options = _key_completion(args, incomplete)
    if options is None or options.get(_FLAG):
        return None
    # what Click writes: bash/fish `plain,KEY` lines; zsh `plain`, the key, `_` (no help
    # text, so the key as it is: Click escapes colons only with help)
    head, separator, tail = (
        ("plain\n", "\n_\nplain\n", "\n_\n") if shell == "zsh" else ("plain,", "\nplain,", "\n")
    )
    try:
        snapshot = _warm_snapshot(options.get("--bib"), options.get("--encoding"))
        if snapshot is None:
            return None
        keys = snapshot.joined_keys_starting(incomplete, separator)
    except Exception:  # noqa: BLE001  (Click's path says it, or answers nothing)
        return None
    if keys is None:
        return b"\n"
    return (head + keys + tail).encode()


def _words(shell: str, environ: Mapping[str, str]) -> tuple[list[str], str]:
    """(complete words after the program's name, the word being completed), as Click's
    ``get_completion_args`` reads the shell's variables."""
    words = split_arg_string(environ["COMP_WORDS"])
    if shell == "fish":  # fish gives the partial word in COMP_CWORD, and in COMP_WORDS too
        incomplete = environ["COMP_CWORD"]
        if incomplete:
            incomplete = split_arg_string(incomplete)[0]
        args = words[1:]
        if incomplete and args and args[-1] == incomplete:
            args.pop()
        return args, incomplete
    at = int(environ["COMP_CWORD"])
    return words[1:at], words[at] if at < len(words) else ""


def split_arg_string(string: str) -> list[str]:
    """Click's ``split_arg_string``: words as a POSIX shell splits them, a missing
    closing quote or a trailing escape tolerated."""
    import shlex

    lex = shlex.shlex(string, posix=True)
    lex.whitespace_split = True
    lex.commenters = ""
    out: list[str] = []
    try:
        out.extend(lex)
    except ValueError:
        out.append(lex.token)
    return out


def _key_completion(args: list[str], incomplete: str) -> dict[str, str] | None:
    """The group's options given, when the word being completed is a key argument of a
    command and everything before it is read here as Click reads it; else None."""
    if incomplete.startswith("-") or incomplete == "=":
        return None  # an option's name, or "=" (Click completes those itself)
    read = group_options(args)
    if read is None or not read[1]:
        return None  # no command yet: the word being completed is a command's name
    options, (command, *positional) = read
    if command not in KEY_ARGUMENTS:
        return None
    if any(w.startswith("-") for w in positional):
        return None  # the command's own options: Click reads them
    positions = KEY_ARGUMENTS[command]
    if positions is not None and len(positional) not in positions:
        return None
    return options


def group_options(args: list[str]) -> tuple[dict[str, str], list[str]] | None:
    """(the group's options at the start of ``args``, read as Click reads them: the
    last of each; the words from the command's name on), or None when a word there is
    not read here (another option, a value that is missing or looks like an option)."""
    options: dict[str, str] = {}
    rest = iter(args)
    for word in rest:
        if word == _FLAG:
            options[_FLAG] = "1"
            continue
        name, eq, value = word.partition("=")
        if name in _VALUE_OPTIONS:
            if not eq:
                value = next(rest, "-")
            if value.startswith("-") or not value:
                return None
            options[name] = value  # given twice: the last one, as Click
            continue
        if word.startswith("-"):
            return None
        return options, [word, *rest]
    return options, []


def completion_order(keys: Iterable[str]) -> list[str]:
    """Keys in the order completion offers them: case-insensitively alphabetical, then
    by case, then in file order (``keys`` come in file order).  The cache's index gives
    matching keys in this order without sorting them (``Snapshot.keys_starting``); in
    file order, 31k matching keys of 100k had to be sorted on every TAB."""
    return sorted(keys, key=lambda k: (k.lower(), k))


def _warm_snapshot(bib_option: str | None, encoding_option: str | None) -> Snapshot | None:
    """The warm cache of the bibliography in use (``cache.warm_snapshot``), or None,
    found as the CLI finds the file and its encoding."""
    from .cache import warm_snapshot
    from .config import bib_encoding, find_bib, load_config

    cfg = load_config()
    return warm_snapshot(find_bib(bib_option, cfg), bib_encoding(encoding_option, cfg))


def main() -> None:
    """The ``refbook`` program: key completion and ``show`` answered from a warm cache
    when they can be (``refbook.warmshow``), everything else by the CLI."""
    import gc
    import sys

    gc.disable()  # start-up makes objects that live on; the command turns it on (cli)

    if os.environ.get("_REFBOOK_COMPLETE"):
        data = answer(os.environ)
        if data is not None:
            try:
                sys.stdout.buffer.write(data)
                sys.stdout.flush()
            except OSError:
                pass  # the shell went away
            os._exit(0)  # nothing to tear down: as the CLI's own exit (exits.leave)
    elif "show" in sys.argv:
        from .warmshow import run

        try:
            code = run(sys.argv[1:])
        except KeyboardInterrupt:  # as cli.run
            sys.stderr.write("Interrupted.\n")
            code = 130
        if code is not None:
            from .exits import leave

            leave(code)
            sys.exit(code)
    from .cli import main as cli_main

    cli_main()
