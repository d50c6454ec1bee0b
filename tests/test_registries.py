"""The registries that give the CLI its choices: data formats (``refbook.formats``: one
module per format, read and written with one type table) and output formats of findings
(``refbook.output.findings``: one module per format); and the architecture rule that
commands hand their output to ``refbook.output`` instead of writing it themselves."""

from __future__ import annotations

import ast
import io
import json
from pathlib import Path

import click
import pytest

import refbook
from refbook import formats
from refbook.cli import COMMANDS
from refbook.output import findings as findings_output

COMMANDS_DIR = Path(refbook.__file__).parent / "commands"


def _command(name: str) -> click.Command:
    import importlib

    return importlib.import_module(f"refbook.commands.{COMMANDS[name][0]}").command


def _choices(name: str, option: str) -> tuple[str, ...]:
    param = next(p for p in _command(name).params if p.name == option)
    assert isinstance(param.type, click.Choice)
    return tuple(param.type.choices)


# -- data formats ------------------------------------------------------------------------


def test_export_and_add_take_their_formats_from_the_registry():
    assert _choices("export", "fmt") == formats.names(writes=True)
    assert _choices("add", "fmt") == formats.names(reads=True)
    assert set(formats.names(writes=True)) == set(formats.FORMATS)  # every format is written
    assert {"bibtex", "ris", "csl-json"} <= set(formats.names(reads=True))


def test_every_registered_format_appears_in_export_help(cli):
    out = cli("export", "--help")
    assert out.exit_code == 0
    for name in formats.FORMATS:
        assert name in out.stdout


@pytest.mark.parametrize("name", list(formats.FORMATS))
def test_every_format_module_has_what_the_registry_promises(name):
    fmt = formats.get(name)
    module = fmt.implementation()
    assert callable(getattr(module, "write", None)) is fmt.writes
    assert callable(getattr(module, "read", None)) is fmt.reads
    if fmt.detect_order is not None:
        assert callable(module.detect)


def _entry_from(draft: formats.Draft) -> refbook.Entry:
    """A draft as an entry of a library of its own, as ``add`` would store it."""
    from refbook.store import Style

    text = Style().format_entry(draft.entry_type, draft.key or "k", list(draft.fields.items()))
    return next(iter(refbook.loads(text)))


def test_ris_reads_and_writes_with_one_type_table():
    """Each RIS type refbook writes comes back as itself: read, stored, written."""
    from refbook.formats import ris

    written = {ris.ris_type(csl) for csl in ris.TYPES.values()}
    assert "JOUR" in written and "CPAPER" in written and "CONF" not in written
    for rtype in sorted(written):
        (draft,) = formats.read(f"TY  - {rtype}\nTI  - A title\nPY  - 2020\nER  - \n", "ris")
        out = formats.write([_entry_from(draft)], "ris")
        assert out.startswith(f"TY  - {rtype}\n"), (rtype, draft.entry_type, out)


def test_ris_aliases_are_read_as_their_type():
    (conf,) = formats.read("TY  - CONF\nTI  - T\nER  - \n", "ris")
    (news,) = formats.read("TY  - NEWS\nTI  - T\nT2  - The Paper\nER  - \n", "ris")
    (other,) = formats.read("TY  - SOUND\nTI  - T\nER  - \n", "ris")
    assert conf.entry_type == "inproceedings"
    assert (news.entry_type, news.fields["entrysubtype"]) == ("article", "newspaper")
    assert other.entry_type == "misc"


def test_csl_types_read_back_as_the_bibtex_type_written():
    """CSL-JSON's type table both ways: an entry of each type CSL-JSON is read as is
    written with a CSL type that is read back as that entry type."""
    from refbook.csl.types import BIBTEX_TYPES, bibtex_type

    for etype in sorted(set(BIBTEX_TYPES.values())):
        (item,) = json.loads(
            formats.write(refbook.loads(f"@{etype}{{k, title={{T}}, year=2020}}\n"), "csl-json")
        )
        assert bibtex_type(item["type"]) == etype


def test_an_unknown_format_or_option_is_a_usage_error():
    from refbook.errors import UsageError

    with pytest.raises(UsageError, match="unknown data format 'endnote'"):
        formats.get("endnote")
    lib = refbook.loads("@book{k, title={T}}\n")
    with pytest.raises(UsageError, match="RIS has no canonical layout"):
        formats.write(lib, "ris", normalize=True)
    with pytest.raises(UsageError, match="cannot read CSL-YAML"):
        formats.read("references: []\n", "csl-yaml")


# -- output formats of findings ----------------------------------------------------------


@pytest.mark.parametrize("command", ["lint", "check", "cite-check"])
def test_findings_commands_offer_the_registry_formats(command):
    assert _choices(command, "fmt") == findings_output.NAMES


def test_lint_format_markdown(cli, tmp_bib):
    bib = tmp_bib  # the shipped file: a warning and notes (missing urldates)
    out = cli("lint", "--format", "markdown", "--bib", str(bib))
    assert out.exit_code == 0
    lines = out.stdout.splitlines()
    assert lines[0].startswith("### refbook lint: ")
    plain = cli("lint", "--format", "json", "--bib", str(bib))
    found = json.loads(plain.stdout)["findings"]
    rows = [line for line in lines if line.startswith("| ") and "`" in line]
    assert len(rows) == len(found) > 0
    assert all(f"`{f['rule']}`" in row for f, row in zip(found, rows))


def test_every_registered_findings_format_renders_to_the_stream_given(capsys):
    from refbook.findings import Finding, Severity

    found = [Finding("a.bib", 3, Severity.ERROR, "doi-syntax", "bad DOI", "k1", 5)]
    for name in findings_output.NAMES:
        buf = io.StringIO()
        findings_output.render(found, name, tool="t", stream=buf)
        assert "doi-syntax" in buf.getvalue(), name
    assert capsys.readouterr().out == ""


def test_cite_check_report_renders_to_the_stream_given(capsys, tmp_path):
    from refbook.manuscript import check_manuscripts
    from refbook.output.manuscript import render

    lib = refbook.loads("@book{known, title={T}, year=2020}\n")
    essay = tmp_path / "essay.md"
    essay.write_text("See [@missing] and [@known].\n")
    result = check_manuscripts(lib, [str(essay)], markup="markdown")
    buf = io.StringIO()
    render(result, "plain", "refs.bib", uncited=False, stream=buf)
    assert "missing" in buf.getvalue()
    assert capsys.readouterr().out == ""


# -- the architecture rule ---------------------------------------------------------------


def _calls(tree: ast.AST) -> list[str]:
    """Dotted names of the functions called in ``tree`` (``json.dumps``, ``print``)."""
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            parts = []
            func = node.func
            while isinstance(func, ast.Attribute):
                parts.append(func.attr)
                func = func.value
            if isinstance(func, ast.Name):
                parts.append(func.id)
            names.append(".".join(reversed(parts)))
    return names


@pytest.mark.parametrize("path", sorted(COMMANDS_DIR.glob("*.py")), ids=lambda p: p.name)
def test_commands_leave_output_to_refbook_output(path):
    """Commands parse options, call the core and hand results to ``refbook.output``:
    none writes to stdout itself, serialises JSON, or cancels a save behind the store's
    back (``bib.modified = False``: ``editing(dry_run=)``, ``EditReport.cancel()``)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    forbidden = {
        "print",
        "click.echo",
        "click.secho",
        "json.dumps",
        "json.dump",
        "sys.stdout.write",
        "sys.stderr.write",
    }
    assert not forbidden & set(_calls(tree))
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr == "stdout":
            assert not (isinstance(node.value, ast.Name) and node.value.id == "sys"), (
                f"{path.name}:{node.lineno}: sys.stdout"
            )
        if isinstance(node, ast.Assign):
            for target in node.targets:
                assert not (isinstance(target, ast.Attribute) and target.attr == "modified"), (
                    f"{path.name}:{node.lineno}: sets .modified"
                )


def test_an_editing_dry_run_writes_nothing(tmp_bib):
    from refbook.store import editing

    before = tmp_bib.read_bytes()
    with editing(tmp_bib, dry_run=True) as bib:
        key = next(iter(bib.entries())).key
        bib.set_field(key, "note", "changed")
        assert bib.pending_changes()
    assert tmp_bib.read_bytes() == before


def test_py_typed_is_shipped():
    """The package has a public API (``refbook.load``): type checkers read its hints."""
    import re

    root = Path(refbook.__file__).parent
    assert (root / "py.typed").is_file()
    pyproject = (root.parent / "pyproject.toml").read_text(encoding="utf-8")
    listed = re.search(r"(?m)^\[tool\.setuptools\.package-data\]\nrefbook = \[(.*)\]", pyproject)
    assert listed
    shipped = re.findall(r'"([^"]+)"', listed.group(1))
    assert "py.typed" in shipped
    for pattern in shipped:  # nothing listed that is not there
        assert list(root.glob(pattern)), pattern


_HELP_IMPORTS = """
import sys
from refbook.cli import main
try:
    main([COMMAND, "--help"])
except SystemExit:
    pass
prefixes = ("refbook.formats.", "refbook.output.findings.", "rich", "bibtexparser", "pylatexenc")
print(sorted(m for m in sys.modules if m.startswith(prefixes)), file=sys.stderr)
"""


@pytest.mark.parametrize("command", ["export", "add", "lint", "check", "cite-check"])
def test_help_of_a_command_with_registry_choices_imports_no_format(command):
    """The registries name their formats without importing them: ``--help`` stays fast."""
    import subprocess
    import sys

    code = _HELP_IMPORTS.replace("COMMAND", repr(command))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stderr.strip() == "[]"


def test_every_renderer_takes_a_stream():
    """A renderer writes to the stream it is given (stdout by default), so no command has
    to swap ``sys.stdout`` to put a report on stderr; ``render_corrections`` only warns
    (stderr) by design."""
    import importlib
    import inspect
    import pkgutil

    import refbook.output as output

    modules = [output] + [
        importlib.import_module(f"refbook.output.{m.name}")
        for m in pkgutil.iter_modules(output.__path__)
    ]
    renderers = {
        f"{module.__name__}.{name}": function
        for module in modules
        for name, function in inspect.getmembers(module, inspect.isfunction)
        if name.startswith(("render", "emit")) and function.__module__ == module.__name__
    }
    assert len(renderers) > 10
    missing = [
        name
        for name, function in renderers.items()
        if "stream" not in inspect.signature(function).parameters
        and not name.endswith("render_corrections")
    ]
    assert missing == []


def test_records_render_to_the_stream_given(capsys):
    from refbook.output.records import render_list, render_show, render_stats

    lib = refbook.loads("@book{k, title={T}, year=2020}\n")
    buf = io.StringIO()
    render_list(list(lib), "plain", stream=buf)
    render_show(list(lib), "plain", stream=buf)
    render_stats(
        {"entries": 1, "types": {}, "years": {}, "keywords": {}, "missing": {}}, "plain", buf
    )
    assert buf.getvalue().count("k") >= 2 and "entries\t1" in buf.getvalue()
    assert capsys.readouterr().out == ""
