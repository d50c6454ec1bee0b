"""The README and docs/ stay in step with the commands (as sqlite-utils' docs test does):
every ``refbook COMMAND --option`` they name exists, and every command is documented.

What counts as naming a command: ``refbook`` followed by a command name in a code block
or an inline code span (prose says "refbook" for the program).  The options after it, up
to a pipe, ``&&``, ``;``, a redirection or a comment, are that command's; in a table row
that starts with ``refbook COMMAND``, so are the options in the row's other code spans
(``| `refbook list` | `--sort`, `--reverse` |``).  Options before the command are the
group's (``refbook --bib x.bib lint``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

import click
import pytest

from refbook.cli import COMMANDS, cli

from .conftest import REPO

DOCUMENTS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
_FENCE = re.compile(r"^```[^\n]*\n(.*?)^```", re.S | re.M)
_SPAN = re.compile(r"(?<!`)`([^`\n]+(?:\n[^`\n]+)?)`(?!`)")
_QUOTED = re.compile(r"'[^']*'|\"(?:\\.|[^\"\\])*\"")
_ENDS = {"|", "||", "&&", ";", ">", ">>", "2>", "2>&1", "<", "#", "$", ")"}
_NAME = re.compile(r"[a-z][a-z-]*(?:/[a-z][a-z-]*)*")
# what may stand before the program's name (else "refbook" is a folder: `ruff check refbook`)
_STARTS = {"$", "|", "||", "&&", ";", "run:", "xargs", "-", "then", "do", "time", "exec"}


@dataclass(frozen=True)
class Use:
    where: str  # file:line
    command: str
    options: tuple[str, ...]  # as written, value cut off: --style, -q
    global_options: tuple[str, ...]


def _options(params: list[click.Parameter]) -> dict[str, click.Parameter]:
    return {
        opt: p
        for p in params
        if isinstance(p, click.Option)
        for opt in (*p.opts, *p.secondary_opts)
    }


@cache
def _command_options(name: str) -> frozenset[str]:
    command = cli.get_command(click.Context(cli), name)
    assert command is not None, name
    return frozenset(_options(command.params)) | {"-h", "--help"}


GLOBAL = _options(cli.params)


def _takes_dashed_arguments(name: str) -> bool:
    """``refbook tag KEY +border -pakistan``: ``-word`` is an argument there."""
    if name not in COMMANDS:
        return False
    command = cli.get_command(click.Context(cli), name)
    return bool(command and command.context_settings.get("ignore_unknown_options"))


def _uses_in(text: str, where: str, extra: list[str] | None = None) -> list[Use]:
    """The commands named in one command line or code span (``extra``: options written
    elsewhere in a table row that belong to its command)."""
    tokens = _QUOTED.sub("ARG", text).replace("\\\n", " ").split()
    uses = []
    for i, token in enumerate(tokens):
        if token != "refbook":
            continue
        before = tokens[i - 1] if i else "$"
        if before not in _STARTS and not re.fullmatch(r"\w+=\S*|.*\$\(", before):
            continue
        j = i + 1
        global_options = []
        while j < len(tokens) and tokens[j].startswith("-") and tokens[j] != "-":
            opt = tokens[j].split("=", 1)[0]
            global_options.append(opt)
            takes_value = opt in GLOBAL and not GLOBAL[opt].is_flag and "=" not in tokens[j]
            j += 2 if takes_value else 1
        if j >= len(tokens) or not _NAME.fullmatch(tokens[j]):
            continue  # `refbook | source` (completion), `refbook)`: no command named
        options = []
        for token in tokens[j + 1 :]:
            if token in _ENDS or token.startswith("#"):
                break
            if re.match(r"--[A-Za-z]", token) or (
                re.match(r"-[A-Za-z]", token) and not _takes_dashed_arguments(tokens[j])
            ):
                options.append(token.split("=", 1)[0])
        options += extra or []
        for name in tokens[j].split("/"):  # `refbook annotate/tag/set`
            uses.append(Use(where, name, tuple(options), tuple(global_options)))
    return uses


def documented_uses() -> list[Use]:
    uses = []
    for doc in DOCUMENTS:
        text = doc.read_text(encoding="utf-8")
        name = doc.relative_to(REPO)

        def line_of(pos: int, text: str = text) -> int:
            return text.count("\n", 0, pos) + 1

        for m in _FENCE.finditer(text):
            body_start = m.start(1)
            for offset, line in _lines(m.group(1)):
                where = f"{name}:{line_of(body_start + offset)}"
                uses += _uses_in(re.sub(r"\s#\s.*", "", line), where)
        # fenced blocks blanked out (offsets kept, so line numbers hold)
        prose = _FENCE.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)), text)
        for row in re.finditer(r"^\|.*\|[ \t]*$", prose, re.M):
            spans = _SPAN.findall(row.group(0))
            if not spans or not spans[0].startswith("refbook "):
                continue
            named = [s for s in spans if s.startswith("refbook ")]
            # options in the row's other cells: its command's, when it names one
            extra = [s.split()[0].split("=", 1)[0] for s in spans if re.match(r"--?[A-Za-z]", s)]
            for span in named:
                where = f"{name}:{line_of(row.start())}"
                uses += _uses_in(span, where, extra if len(named) == 1 else None)
            prose = prose[: row.start()] + " " * len(row.group(0)) + prose[row.end() :]
        for m in _SPAN.finditer(prose):
            uses += _uses_in(m.group(1), f"{name}:{line_of(m.start())}")
    return uses


def _lines(body: str) -> list[tuple[int, str]]:
    """(offset, line) of a code block, a line ending in a backslash joined to the next."""
    out: list[tuple[int, str]] = []
    offset = 0
    pending: tuple[int, str] | None = None
    for line in body.splitlines(keepends=True):
        start, offset = offset, offset + len(line)
        text = line.rstrip("\n")
        if pending is not None:
            start, text = pending[0], pending[1] + " " + text
        if text.endswith("\\"):
            pending = (start, text[:-1])
            continue
        pending = None
        out.append((start, text))
    return out


USES = documented_uses()


def test_the_docs_name_commands():
    """The scan itself works: the README's table and examples are found."""
    assert {u.command for u in USES} >= {"list", "search", "check", "export", "lint"}
    assert any(u.command == "list" and "--sort" in u.options for u in USES)
    assert any(u.global_options == ("--encoding",) for u in USES)


@pytest.mark.parametrize("use", USES, ids=lambda u: f"{u.where} {u.command}")
def test_every_command_and_option_named_in_the_docs_exists(use: Use):
    assert use.command in COMMANDS, f"{use.where}: `refbook {use.command}` is not a command"
    missing = [o for o in use.options if o not in _command_options(use.command)]
    assert not missing, f"{use.where}: `refbook {use.command}` has no option {missing}"
    unknown = [o for o in use.global_options if o not in GLOBAL and o not in ("-h", "--help")]
    assert not unknown, f"{use.where}: refbook has no option {unknown} before the command"


def test_every_command_is_documented():
    """Each command is in the README's command table (or, at least, shown in docs/)."""
    documented = {u.command for u in USES}
    assert not sorted(set(COMMANDS) - documented)
    in_readme = {u.command for u in USES if u.where.startswith("README.md:")}
    assert not sorted(set(COMMANDS) - in_readme), "commands missing from the README"


def test_the_check_catches_a_stale_option():
    """A renamed option in an example would be reported (the test is not vacuous)."""
    [use] = _uses_in("refbook list --sortby year", "example")
    assert "--sortby" not in _command_options(use.command)
    [use] = _uses_in("refbook --bib x.bib lsit --keys", "example")
    assert use.command not in COMMANDS
