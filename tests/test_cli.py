"""The first commands: list, show, stats, config; bibliography discovery; output modes."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys

from .conftest import FIXTURES, REPO, SHIPPED_BIB, read_until_closed

FIELD_ORDER = FIXTURES / "store" / "field_order.bib"


def test_help_lists_commands_and_exit_codes(cli):
    result = cli("--help")
    assert result.exit_code == 0
    for name in ("list", "show", "stats", "config"):
        assert f"\n  {name} " in result.stdout
    assert "Exit codes:" in result.stdout and "3  unreadable or unparseable input" in result.stdout


def test_version_and_python_dash_m():
    out = subprocess.run(
        [sys.executable, "-m", "refbook", "--version"], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "refbook, version " + __import__("refbook").__version__


def test_a_command_runs_with_the_garbage_collector_on(tmp_path):
    """The program turns the cyclic garbage collector off for its start (imports, Click)
    and on again, the start-up's objects frozen, when the command runs: a long command
    (``refbook lsp``, a large file's lint) must collect its cycles."""
    code = (
        "import atexit, gc, sys\n"
        "atexit.register(lambda: print('GC', gc.isenabled(), gc.get_freeze_count() > 0,"
        " file=sys.stderr))\n"
        "from refbook.completion import main\n"
        "sys.argv = ['refbook', '--bib', sys.argv[1], 'list', '--keys']\n"
        "main()\n"
    )
    env = {**os.environ, "REFBOOK_CACHE_DIR": str(tmp_path / "cache")}
    out = subprocess.run(
        [sys.executable, "-c", code, str(SHIPPED_BIB)], capture_output=True, text=True, env=env
    )
    assert out.returncode == 0, out.stderr
    assert "GC True True" in out.stderr


def test_help_does_not_import_heavy_modules():
    code = (
        "import sys; from refbook.cli import main\n"
        "try: main(['--help'])\nexcept SystemExit: pass\n"
        "heavy = [m for m in ('bibtexparser', 'rich', 'requests', 'urllib3', 'pylatexenc',"
        " 'rapidfuzz')"
        " if m in sys.modules]\nprint(heavy, file=sys.stderr)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stderr.strip() == "[]"


def test_list_plain_output_is_tab_separated(cli):
    result = cli("list", "--bib", str(FIXTURES / "store" / "corporate.bib"))
    assert result.exit_code == 0
    assert result.stdout.splitlines() == [
        "key\tauthors\tyear\ttitle\ttype",
        "pti2023\tPTI\t2023\tCorporate Authors Stay Whole\tonline",
        "vanderberg2005\tvan der Berg & Dawn Staff\t2005\tParticles and Suffixes\tbook",
    ]


def test_list_sort_filter_keys_and_json(cli):
    bib = str(FIXTURES / "store" / "corporate.bib")
    assert cli("list", "--keys", "--sort", "year", "--bib", bib).stdout.split() == [
        "vanderberg2005",
        "pti2023",
    ]
    assert cli("list", "--keys", "--sort", "year", "--reverse", "--bib", bib).stdout.split() == [
        "pti2023",
        "vanderberg2005",
    ]
    assert cli("list", "--keys", "--type", "book", "--bib", bib).stdout.split() == [
        "vanderberg2005"
    ]
    data = json.loads(cli("list", "--json", "--bib", bib).stdout)
    assert [d["id"] for d in data] == ["pti2023", "vanderberg2005"]
    assert data[1]["author"][0]["non-dropping-particle"] == "van der"
    nothing = cli("list", "--type", "thesis", "--bib", bib)
    assert nothing.exit_code == 1


def test_show_prints_the_record_and_exact_source(cli):
    bib = str(FIELD_ORDER)
    result = cli("show", "zeta2019", "--bib", bib)
    assert result.exit_code == 0
    assert "title: Fields in an unusual order" in result.stdout
    assert "pages: 1–10" in result.stdout
    src = cli("show", "ZETA2019", "--bibtex", "--bib", bib)
    assert src.stdout == FIELD_ORDER.read_text()
    data = json.loads(cli("show", "zeta2019", "--json", "--bib", bib).stdout)
    assert data[0]["page"] == "1–10" and data[0]["fields"]["pages"] == "1--10"


def test_unknown_key_suggests_and_exits_1(cli):
    result = cli("show", "zeta2091", "--bib", str(FIELD_ORDER))
    assert result.exit_code == 1
    assert result.stderr.strip().endswith("no entry with key 'zeta2091'; did you mean 'zeta2019'?")


def test_stats_counts(cli):
    data = json.loads(
        cli("stats", "--json", "--bib", str(FIXTURES / "store" / "corporate.bib")).stdout
    )
    assert data["entries"] == 2
    assert data["types"] == {"online": 1, "book": 1}
    assert data["missing"]["annotation"] == 2


def test_bib_is_found_from_the_current_directory_upward(cli, tmp_path):
    shutil.copyfile(FIELD_ORDER, tmp_path / "references.bib")
    sub = tmp_path / "chapters" / "one"
    sub.mkdir(parents=True)
    assert cli("list", "--keys", cwd=sub).stdout.split() == ["zeta2019"]


def test_bib_from_environment_and_stdin(cli, tmp_path):
    assert cli(
        "list", "--keys", cwd=tmp_path, env={"REFBOOK_BIB": str(FIELD_ORDER)}
    ).stdout.split() == ["zeta2019"]
    piped = cli("--bib", "-", "list", "--keys", input="@misc{fromstdin, title={S}}\n")
    assert piped.stdout.split() == ["fromstdin"]


def test_no_bib_anywhere_is_an_input_error(cli, tmp_path):
    result = cli("list", cwd=tmp_path)
    assert result.exit_code == 3
    assert "no references.bib" in result.stderr


def test_shipped_bibliography_lists_27_entries(cli):
    result = cli("list", "--keys", cwd=REPO)
    assert result.exit_code == 0
    assert len(result.stdout.split()) == 27
    assert result.stderr == ""


def test_rich_table_on_a_terminal():
    """On a terminal the list is a rich table (box drawing), and NO_COLOR turns it plain."""
    import pty

    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    env["COLUMNS"] = "120"
    code = f"from refbook.cli import main; main(['--bib', {str(SHIPPED_BIB)!r}, 'list'])"

    def run(extra: dict[str, str]) -> str:
        pid, fd = pty.fork()
        if pid == 0:  # child: stdout is the pty
            os.execvpe(sys.executable, [sys.executable, "-c", code], {**env, **extra})
        data = read_until_closed(fd)
        os.waitpid(pid, 0)
        return data.decode("utf-8", "replace")

    assert "━" in run({}) or "─" in run({})
    plain = run({"NO_COLOR": "1"})
    assert "key\tauthors\tyear\ttitle\ttype" in plain.replace("\r\n", "\n")


def test_shell_completion_of_commands_and_keys():
    env = {
        **os.environ,
        "_REFBOOK_COMPLETE": "bash_complete",
        "COMP_CWORD": "4",
        "COMP_WORDS": f"refbook --bib {FIXTURES / 'store' / 'corporate.bib'} show p",
    }
    out = subprocess.run([sys.executable, "-m", "refbook"], env=env, capture_output=True, text=True)
    assert out.stdout.split() == ["plain,pti2023"]
    env.update(COMP_CWORD="1", COMP_WORDS="refbook st")
    out = subprocess.run([sys.executable, "-m", "refbook"], env=env, capture_output=True, text=True)
    assert "plain,stats" in out.stdout.split()


def test_commands_write_nothing_themselves():
    """Commands hand data to refbook/output/, the one place that makes text safe for a
    terminal (control characters visible, no rich markup read from data): none writes to
    stdout or stderr itself."""
    for path in (REPO / "refbook" / "commands").glob("*.py"):
        source = path.read_text(encoding="utf-8")
        found = re.findall(r"sys\.std(?:out|err)\.write|\bprint\(|click\.(?:s)?echo", source)
        assert found == [], f"{path.name} writes output itself: {found}"


def test_every_command_has_a_json_mode():
    import importlib

    from refbook.cli import COMMANDS

    for name, (module, _help) in COMMANDS.items():
        command = importlib.import_module(f"refbook.commands.{module}").command
        options = {opt for param in command.params for opt in getattr(param, "opts", [])}
        assert "--json" in options, f"refbook {name} has no --json"


def test_process_exit_runs_exit_handlers_and_keeps_codes_and_output(tmp_path):
    """The console script leaves without the interpreter's teardown; exit handlers still
    run, everything written reaches the reader, and exit codes are unchanged."""
    code = (
        "import atexit, sys\n"
        "atexit.register(lambda: sys.stderr.write('handler ran\\n'))\n"
        "from refbook.cli import main\n"
        "sys.argv = ['refbook'] + sys.argv[1:]\n"
        "main()\n"
    )
    ok = subprocess.run(
        [sys.executable, "-c", code, "--bib", str(SHIPPED_BIB), "list", "--json"],
        capture_output=True,
        text=True,
    )
    assert ok.returncode == 0
    assert len(json.loads(ok.stdout)) == 27  # a large document, flushed whole
    assert ok.stderr == "handler ran\n"
    missing = subprocess.run(
        [sys.executable, "-c", code, "--bib", str(tmp_path / "none.bib"), "list"],
        capture_output=True,
        text=True,
    )
    assert missing.returncode == 3
    assert missing.stderr.endswith("handler ran\n") and "none.bib" in missing.stderr
