"""`refbook show` answered from a warm cache before Click is imported (refbook.warmshow):
the same output, warnings and exit code as the `show` command, warm, cold and
--no-cache; everything it does not read is left to Click, with nothing written."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from refbook import warmshow

from .test_completion import _REPORT as _COMPLETION_REPORT

# a parse problem (a warning on every read), a crossref child, an alias, an annotation,
# a control character, keys in two cases
BIB = """\
@book{parent, title = {The Parent Volume}, publisher = {Press}, year = 1999}
@incollection{child, author = {Doe, Jane and van der Berg, Piet}, title = {A {Child}
  Chapter}, crossref = {parent}, pages = {1--9}, ids = {kid}}
@article{Smith:2020, author = {Smith, Ann}, title = {Odd \\emph{title}}, journal = {J},
  year = 2020, annotation = {Why it matters.}, doi = {10.1000/x}, note = {bell \x07 here}}
@article{smith:2020b, author = {Smith, Ann}, title = {Second}, journal = {J}, year = 2021}
@article{broken, title = {no closing brace
@misc{last, title = {Last}, url = {https://example.org/a b}}
"""

ANSWERED = [
    ["show", "child"],
    ["show", "KID"],
    ["show", "smith:2020", "child", "last"],
    ["show", "--json", "Smith:2020", "smith:2020b"],
    ["show", "child", "--json"],
    ["show", "--bibtex", "child", "Smith:2020"],
    ["show", "last", "--json", "--json"],
]
LEFT_TO_CLICK = [
    ["show", "nosuch"],
    ["show", "child", "nosuch"],
    ["show", "--json", "--bibtex", "child"],
    ["show", "--", "child"],
    ["show", "--help"],
    ["show"],
    ["show", "child", "--bib", "x.bib"],
    ["--no-cache", "show", "child"],
    ["--version", "show"],
    ["list", "show"],
]


@pytest.fixture
def bib(tmp_path: Path) -> Path:
    (tmp_path / "refs.bib").write_text(BIB, encoding="utf-8")
    return tmp_path / "refs.bib"


def _line(bib: Path, words: list[str]) -> list[str]:
    """``--bib=FILE`` before the words (after ``--no-cache``; none before ``--version``)."""
    head = words[:1] if words[0] == "--no-cache" else []
    option = [] if words[0] == "--version" else [f"--bib={bib}"]
    return [*head, *option, *words[len(head) :]]


def _fast(capfd: pytest.CaptureFixture[str], argv: list[str]) -> tuple[int | None, str, str]:
    capfd.readouterr()
    code = warmshow.run(argv)
    out, err = capfd.readouterr()
    return code, out, err


def test_the_fast_path_writes_what_the_show_command_writes(cli, capfd, bib):
    cli("--bib", str(bib), "list", "--keys")  # builds the cache: the next runs are warm
    for words in ANSWERED:
        argv = _line(bib, words)
        code, out, err = _fast(capfd, argv)
        assert code is not None, words  # answered here
        by_click = cli(*argv)
        uncached = cli("--no-cache", *argv)
        assert (code, out, err) == (by_click.exit_code, by_click.stdout, by_click.stderr), words
        assert (out, err) == (uncached.stdout, uncached.stderr), words
        assert code == 0 and "refs.bib" in err  # the parse problem, said as show says it


def test_what_it_does_not_read_is_left_to_click_with_nothing_written(cli, capfd, bib):
    cli("--bib", str(bib), "list", "--keys")
    for words in LEFT_TO_CLICK:
        assert _fast(capfd, _line(bib, words)) == (None, "", ""), words


def test_a_cold_cache_is_left_to_click_which_builds_it(cli, capfd, bib):
    argv = _line(bib, ["show", "child"])
    assert _fast(capfd, argv) == (None, "", "")
    by_click = cli(*argv)
    assert _fast(capfd, argv) == (0, by_click.stdout, by_click.stderr)


def test_a_broken_configuration_is_left_to_click(cli, capfd, bib, tmp_path, monkeypatch):
    cli("--bib", str(bib), "list", "--keys")
    (tmp_path / "refbook.toml").write_text("bib = [\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert _fast(capfd, _line(bib, ["show", "child"])) == (None, "", "")
    assert cli("--bib", str(bib), "show", "child", cwd=tmp_path).exit_code == 4


# the program run with its modules reported at exit (test_completion's, with argv)
_REPORT = _COMPLETION_REPORT.replace(
    "os._exit = report\n", 'os._exit = report\nsys.argv = ["refbook", *sys.argv[1:]]\n'
)
assert _REPORT != _COMPLETION_REPORT


def test_the_program_shows_a_warm_entry_without_click_or_the_parser(bib):
    """The console script (and `python -m refbook`) answers `show KEY` from the warm
    cache: neither Click, the parser, rich (output piped), nor the modules platformdirs
    would bring through tempfile (shutil, random, bz2, lzma) are imported."""
    argv = ["--bib", str(bib), "show", "child"]
    first = subprocess.run([sys.executable, "-m", "refbook", *argv], capture_output=True)
    assert first.returncode == 0  # cold: Click's path, which builds the cache
    env = {k: v for k, v in os.environ.items() if k != "REFBOOK_CONFIG_DIR"}
    env["XDG_CONFIG_HOME"] = str(bib.parent / "config")  # found by platformdirs
    report = subprocess.run(
        [sys.executable, "-c", _REPORT, *argv], env=env, capture_output=True, check=True
    )
    assert report.stdout == first.stdout
    modules = report.stderr.decode().split("MODULES=")[1].strip().split(",")
    tops = {m.split(".")[0] for m in modules}
    heavy = {"click", "bibtexparser", "pylatexenc", "rich", "tempfile", "shutil", "random"}
    assert tops & heavy == set()
    assert {"refbook.warmshow", "platformdirs"} <= set(modules)  # answered here, dirs found
    assert "refbook.model" not in modules and "refbook.cli" not in modules


_DIRS = """
import sys
from refbook import paths
got = [str(paths.cache_dir()), str(paths.config_dir()), "tempfile" in sys.modules]
import platformdirs, tempfile
got += [type(sys.modules["tempfile"]).__name__, platformdirs.user_runtime_dir("refbook")]
got += [tempfile.gettempdir(), isinstance(tempfile.mkdtemp, type(len))]
print(got)
"""


def test_platformdirs_finds_the_same_directories_without_importing_tempfile(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("REFBOOK_")}
    env.update(XDG_CACHE_HOME=str(tmp_path / "c"), XDG_CONFIG_HOME=str(tmp_path / "f"))
    env.update(XDG_RUNTIME_DIR=str(tmp_path), TMPDIR=str(tmp_path))
    ours = subprocess.run([sys.executable, "-c", _DIRS], env=env, capture_output=True, text=True)
    plain = "import tempfile\n" + _DIRS  # platformdirs as it imports itself
    theirs = subprocess.run([sys.executable, "-c", plain], env=env, capture_output=True, text=True)
    assert ours.returncode == 0, ours.stderr
    got, expected = eval(ours.stdout), eval(theirs.stdout)  # noqa: S307  (our own list)
    assert got[2] is False and expected[2] is True  # tempfile not imported to find them
    assert (
        got[:2]
        == expected[:2]
        == [str(tmp_path / "c" / "refbook"), str(tmp_path / "f" / "refbook")]
    )
    assert got[3:] == expected[3:]  # the real tempfile afterwards, platformdirs' use of it too
