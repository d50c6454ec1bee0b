"""docs/editors.md: each editor's snippet starts `refbook lsp` (the right command, in that
editor's own syntax), and the command it names exists."""

from __future__ import annotations

import json
import re
import sys

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

from .conftest import REPO

DOC = (REPO / "docs" / "editors.md").read_text(encoding="utf-8")


def sections() -> dict[str, list[tuple[str, str]]]:
    """Editor name -> its (language, code) blocks."""
    out: dict[str, list[tuple[str, str]]] = {}
    for m in re.finditer(r"^## (.+?)\n(.*?)(?=^## |\Z)", DOC, re.S | re.M):
        blocks = re.findall(r"^```(\w+)\n(.*?)^```", m.group(2), re.S | re.M)
        out[m.group(1).strip()] = blocks
    return out


def test_every_editor_the_issue_names_has_a_section() -> None:
    assert {"Neovim", "Helix", "VS Code", "Emacs (eglot)", "Zed", "Obsidian"} <= set(sections())


def test_neovim_snippets_start_refbook_lsp() -> None:
    blocks = sections()["Neovim"]
    assert [lang for lang, _ in blocks] == ["lua", "lua"]
    for _, code in blocks:
        assert re.search(r'cmd = \{ "refbook", "lsp" \}', code)


def test_helix_snippet_is_valid_toml_naming_refbook_lsp() -> None:
    ((lang, code),) = sections()["Helix"]
    data = tomllib.loads(code)
    assert data["language-server"]["refbook"] == {"command": "refbook", "args": ["lsp"]}
    assert all("refbook" in lang["language-servers"] for lang in data["language"])


def test_vscode_settings_are_json_for_the_generic_client() -> None:
    ((lang, code),) = sections()["VS Code"]
    settings = json.loads(code)
    assert settings["glspc.server.command"] == "refbook"
    assert settings["glspc.server.commandArguments"] == ["lsp"]
    assert "markdown" in settings["glspc.server.languageId"]


def test_eglot_snippet_names_refbook_lsp() -> None:
    ((lang, code),) = sections()["Emacs (eglot)"]
    assert lang == "elisp"
    assert code.count("(") == code.count(")")
    assert re.search(r'\. \("refbook" "lsp"\)\)', code)


def test_the_command_exists_and_accepts_stdio(cli) -> None:
    out = cli("lsp", "--help")
    assert out.exit_code == 0 and "--stdio" in out.stdout
