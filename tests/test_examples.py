"""Every example command of the README and docs/ that needs no network runs as shown on a
plain checkout: each code block runs in a fresh copy of the repository's tracked files
(what a clone has), through a shell as a reader would type it, and where the block shows
output, the output is compared ("..." stands for text left out)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from .conftest import REPO

DOCUMENTS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
# examples that go to the network (a DOI not in the file, a web page, link checking)
NETWORK = re.compile(r"refbook check(?!.*--offline)|--url |add --doi -|dois\.txt")
# examples that need something a clone does not have: a clipboard, the test run itself
NOT_HERE = re.compile(r"^(pbpaste|pytest$|eval .*(zsh|fish)|_REFBOOK_COMPLETE=fish)")
# a line of a ```sh or plain block that is a command to run
COMMAND_LINE = re.compile(r"^(refbook\s|pytest$|eval |_REFBOOK_COMPLETE=|\S+ \| refbook\s)")


@dataclass
class Example:
    where: str  # file:line
    commands: list[tuple[str, list[str] | None]] = field(default_factory=list)  # (cmd, output)


def examples() -> list[Example]:
    found = []
    for doc in DOCUMENTS:
        text = doc.read_text(encoding="utf-8")
        for m in re.finditer(r"^```(\w*)\n(.*?)^```", text, re.S | re.M):
            lang, body = m.group(1), m.group(2)
            if lang not in ("console", "sh", "") or "refbook" not in body:
                continue
            ex = Example(f"{doc.relative_to(REPO)}:{text[: m.start()].count(chr(10)) + 1}")
            if lang == "console":
                for line in body.splitlines():
                    if line.startswith("$ "):
                        ex.commands.append((line[2:], []))
                    elif ex.commands:
                        ex.commands[-1][1].append(line)
            else:  # command lines only: a block may also show a message ("refbook: …")
                for line in body.splitlines():
                    command = line.split(" && ")[-1].strip()  # `pip install -e . && refbook …`
                    if COMMAND_LINE.match(command):
                        ex.commands.append((command, None))
            if not ex.commands:
                continue
            found.append(ex)
    return found


def _plain_checkout(dest: Path) -> Path:
    """The repository's tracked files, as a clone has them (the working tree's content)."""
    try:
        names = (
            subprocess.run(["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=True)
            .stdout.decode()
            .split("\0")
        )
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout")
    for name in filter(None, names):
        source = REPO / name
        if source.is_file():
            target = dest / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    return dest


def _matches(expected: list[str], actual: list[str]) -> bool:
    """``expected`` lines against ``actual``: a line "..." stands for any lines, "..." in a
    line for any text."""
    pattern = []
    for line in expected:
        if line.strip() == "...":
            pattern.append(r"(?:[^\n]*\n)*?")
        else:
            pattern.append(
                ".*".join(re.escape(part) for part in line.rstrip().split("...")) + r"\n"
            )
    return (
        re.fullmatch("".join(pattern), "".join(a.rstrip() + "\n" for a in actual), re.S) is not None
    )


EXAMPLES = examples()


def test_the_docs_have_examples_to_run():
    assert len(EXAMPLES) >= 8
    assert not any("../shared" in cmd for ex in EXAMPLES for cmd, _ in ex.commands)


@pytest.mark.parametrize("example", EXAMPLES, ids=[ex.where for ex in EXAMPLES])
def test_example_runs_as_shown(example: Example, tmp_path):
    root = _plain_checkout(tmp_path / "clone")
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "REFBOOK_CACHE_DIR": str(tmp_path / "cache"),
        "PYTHONPATH": str(REPO),
    }
    env.pop("NO_COLOR", None)
    ran = 0
    for command, shown in example.commands:
        shell_line = command.split("  #")[0].strip()
        if NETWORK.search(shell_line) or NOT_HERE.search(shell_line):
            continue
        if "jq " in shell_line and shutil.which("jq") is None:
            continue
        proc = subprocess.run(
            ["bash", "-o", "pipefail", "-c", shell_line],
            cwd=root,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        ran += 1
        where = f"{example.where}: $ {command}"
        assert "Traceback" not in proc.stderr, f"{where}\n{proc.stderr}"
        assert proc.returncode in (0, 1), f"{where}: exit {proc.returncode}\n{proc.stderr}"
        if shown:
            while shown and not shown[-1].strip():
                shown = shown[:-1]
            out, err = proc.stdout.splitlines(), proc.stderr.splitlines()
            assert _matches(shown, err + out) or _matches(shown, out + err), (
                f"{where}\nexpected:\n" + "\n".join(shown) + "\ngot:\n" + proc.stderr + proc.stdout
            )
    assert ran or all(NETWORK.search(c) or NOT_HERE.search(c) for c, _ in example.commands)
