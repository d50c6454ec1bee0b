"""Key completion's fast path (refbook.completion): the same bytes as Click's
shell_complete for bash, zsh and fish, warm, cold and --no-cache; Click answers the rest."""

from __future__ import annotations

import importlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import click
import pytest

from refbook import completion
from refbook.cli import COMMANDS
from refbook.commands._common import complete_keys

# keys a shell must get back exactly: colons (zsh's separator), a quote, a slash, dots,
# non-ASCII, the same key in two cases, one key twice, keys out of alphabetical order
ODD = """\
@misc{smith:2020, title = {One}}
@misc{Zeta2001, title = {Two}}
@misc{o'brien/2001, title = {Three}}
@misc{Smith:2020, title = {Four}}
@misc{müller.2019, title = {Five}}
@misc{a+b_c-d, title = {Six}}
@misc{SMITH:2020b, title = {Seven}}
@misc{smith:2020, title = {Eight, the same key again}}
@misc{Müller.2019a, title = {Nine}}
@misc{alpha, title = {Ten}}
"""

# words after `refbook --bib FILE` whose last word the fast path completes
ANSWERED = [
    ["show", ""],
    ["show", "s"],
    ["show", "SMITH:"],
    ["show", "smith:2020", "m"],
    ["show", "o\\'b"],
    ["show", "'o'\"'\"'b"],
    ["show", "mü"],
    ["show", "nothing"],
    ["cite", "alpha", "a"],
    ["export", ""],
    ["rm", "zeta2001", "Z"],
    ["merge", "alpha", "s"],
    ["tag", "s"],
    ["set", ""],
]
# ... and those it leaves to Click
LEFT_TO_CLICK = [
    ["--no-cache", "show", "s"],
    ["show", "--bibtex", "s"],
    ["show", "-"],
    ["tag", "alpha", "+"],
    ["merge", "alpha", "zeta2001", "s"],
    ["list", "--keyword", "b"],
    ["sh"],
    ["--", "show", "s"],
]
SHELLS = ["bash", "zsh", "fish"]


def _env(shell: str, line: list[str]) -> dict[str, str]:
    """The variables Click's completion script for ``shell`` sets for ``line`` (its
    last word is the one being completed)."""
    words = " ".join(line)
    if shell == "fish":
        return {"_REFBOOK_COMPLETE": "fish_complete", "COMP_WORDS": words, "COMP_CWORD": line[-1]}
    return {
        "_REFBOOK_COMPLETE": f"{shell}_complete",
        "COMP_WORDS": words,
        "COMP_CWORD": str(len(line) - 1),
    }


def _click(cli, tmp_path: Path, env: dict[str, str]) -> str:
    out = cli(cwd=tmp_path, env=env)
    assert out.exit_code == 0, out.stderr
    return out.stdout


def _fast(env: dict[str, str]) -> str | None:
    data = completion.answer({**os.environ, **env})
    return None if data is None else data.decode("utf-8")


@pytest.fixture
def odd_bib(tmp_path: Path) -> Path:
    path = tmp_path / "odd.bib"
    path.write_text(ODD, encoding="utf-8")
    return path


def _bib_words(bib: Path, words: list[str]) -> list[str]:
    """The command line: ``--bib FILE`` (``--bib=FILE`` for cite) before the words."""
    if words[0] == "--no-cache":
        return ["refbook", "--no-cache", "--bib", str(bib), *words[1:]]
    if words[0] == "cite":
        return ["refbook", f"--bib={bib}", *words]
    return ["refbook", "--bib", str(bib), *words]


@pytest.mark.parametrize("shell", SHELLS)
def test_the_fast_path_writes_what_click_writes(cli, tmp_path, odd_bib, shell):
    for words in ANSWERED:
        env = _env(shell, _bib_words(odd_bib, words))
        no_cache = _env(shell, _bib_words(odd_bib, ["--no-cache", *words]))
        assert completion.answer({**os.environ, **no_cache}) is None
        by_click = _click(cli, tmp_path, env)  # (the first one builds the cache)
        assert _fast(env) == by_click == _click(cli, tmp_path, no_cache), words
    # cold: no cache, so Click answers (and builds it); warm, the fast path answers the same
    for words in ANSWERED[:3]:
        shutil.rmtree(os.environ["REFBOOK_CACHE_DIR"], ignore_errors=True)
        env = _env(shell, _bib_words(odd_bib, words))
        assert _fast(env) is None
        cold = _click(cli, tmp_path, env)
        assert _fast(env) == cold != "\n"


def test_keys_come_alphabetically_then_by_case_then_in_file_order(cli, tmp_path, odd_bib):
    env = _env("bash", _bib_words(odd_bib, ["show", "s"]))
    _click(cli, tmp_path, env)  # builds the cache
    expected = "plain,Smith:2020\nplain,smith:2020\nplain,smith:2020\nplain,SMITH:2020b\n"
    assert _fast(env) == expected
    no_cache = _env("bash", _bib_words(odd_bib, ["--no-cache", "show", "s"]))
    assert _click(cli, tmp_path, no_cache) == expected
    zsh = _fast(_env("zsh", _bib_words(odd_bib, ["show", "SMITH:2"])))
    assert zsh is not None and "plain\nSmith:2020\n_" in zsh  # no help: the colon as it is


@pytest.mark.parametrize("shell", SHELLS)
def test_the_rest_is_left_to_click(cli, tmp_path, odd_bib, shell):
    _click(cli, tmp_path, _env(shell, _bib_words(odd_bib, ["show", ""])))  # warm cache
    for words in LEFT_TO_CLICK:
        assert _fast(_env(shell, _bib_words(odd_bib, words))) is None, words
    assert completion.answer({"_REFBOOK_COMPLETE": "bash_source"}) is None
    assert completion.answer({"_REFBOOK_COMPLETE": "powershell_complete"}) is None


def test_a_bad_encoding_or_config_is_left_to_click(cli, tmp_path, odd_bib):
    env = _env("bash", _bib_words(odd_bib, ["show", "s"]))
    _click(cli, tmp_path, env)
    bad = _env(
        "bash", ["refbook", "--encoding", "no-such-codec", "--bib", str(odd_bib), "show", "s"]
    )
    assert _fast(bad) is None and _click(cli, tmp_path, bad) == "\n"
    (tmp_path / "refbook.toml").write_text("encoding = 'nonsense'\n", encoding="utf-8")
    old = Path.cwd()
    os.chdir(tmp_path)
    try:
        assert _fast(env) is None
    finally:
        os.chdir(old)
    assert _click(cli, tmp_path, env) == "\n"


def test_the_group_encoding_is_honoured_by_both_paths(cli, tmp_path):
    latin = tmp_path / "latin.bib"
    latin.write_bytes("@misc{caf\xe9, title = {x}}\n@misc{cab, title = {y}}\n".encode("latin-1"))
    line = ["refbook", "--encoding", "latin-1", "--bib", str(latin), "show", "ca"]
    env = _env("bash", line)
    click_out = _click(cli, tmp_path, env)
    assert click_out == "plain,cab\nplain,café\n"
    assert _fast(env) == click_out


def test_the_key_table_matches_the_commands():
    """KEY_ARGUMENTS says, for each command, which positions complete keys: as its Click
    arguments say (`shell_complete=complete_keys`)."""
    for name, (module, _help) in COMMANDS.items():
        command: click.Command = importlib.import_module(f"refbook.commands.{module}").command
        arguments = [p for p in command.params if isinstance(p, click.Argument)]
        keys: list[int] = []
        everywhere = False
        at = 0
        for arg in arguments:
            completes = getattr(arg, "_custom_shell_complete", None) is complete_keys
            if arg.nargs == -1:
                everywhere = completes and at == 0
                if completes and at:
                    keys.extend(range(at, at + 8))  # not expressible: the test says so
                break
            if completes:
                keys.append(at)
            at += arg.nargs
        expected = None if everywhere else tuple(keys)
        assert completion.KEY_ARGUMENTS.get(name, ()) == expected, name


_REPORT = """
import os, sys
leave = os._exit
def report(code):
    sys.stdout.flush()
    sys.stderr.write("MODULES=" + ",".join(sorted(sys.modules)) + "\\n")
    sys.stderr.flush()
    leave(code)
os._exit = report
from refbook.completion import main
main()
"""


@pytest.mark.parametrize("shell", SHELLS)
def test_the_program_answers_warm_key_completion_without_click(tmp_path, odd_bib, shell):
    """The console script (and `python -m refbook`) answers from the warm cache, the same
    bytes as Click, importing neither Click nor the parser."""
    env = {**os.environ, **_env(shell, _bib_words(odd_bib, ["show", "s"]))}
    click_path = [sys.executable, "-c", "from refbook.cli import main; main()"]
    by_click = subprocess.run(click_path, env=env, capture_output=True, check=True)  # builds
    fast = subprocess.run([sys.executable, "-m", "refbook"], env=env, capture_output=True)
    assert fast.returncode == 0 and fast.stdout == by_click.stdout
    assert b"smith:2020" in fast.stdout
    report = subprocess.run([sys.executable, "-c", _REPORT], env=env, capture_output=True)
    modules = report.stderr.decode().split("MODULES=")[1].strip().split(",")
    heavy = {m.split(".")[0] for m in modules} & {"click", "bibtexparser", "pylatexenc", "rich"}
    assert heavy == set() and "refbook.model" not in modules
    assert report.stdout == by_click.stdout


def test_a_prefix_whose_last_character_has_no_next_one_still_matches_exactly(cli, tmp_path):
    """The index is read between the prefix and the prefix with its last character the
    next one; U+D7FF's next is a surrogate (not text), so that prefix is compared as is."""
    bib = tmp_path / "hangul.bib"
    bib.write_text(
        "@misc{x\ud7ffa, title = {a}}\n@misc{x\ud7ff, title = {b}}\n@misc{xa, title = {c}}\n",
        encoding="utf-8",
    )
    env = _env("bash", _bib_words(bib, ["show", "x\ud7ff"]))
    by_click = _click(cli, tmp_path, env)
    assert by_click == "plain,x\ud7ff\nplain,x\ud7ffa\n"
    assert _fast(env) == by_click
