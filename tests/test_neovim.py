"""End to end with a real editor: headless Neovim (the distribution's package; `.ci/run`
installs it) and its built-in LSP client start `refbook lsp`, open a Markdown file, and
get a diagnostic and a completion item.  Skips when nvim is absent."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .test_lsp import BIB

NVIM = shutil.which("nvim")

# Neovim 0.7's API (Debian 12's): start_client + buf_attach_client; results to a JSON file
SCRIPT = r"""
local out = {}
local id = vim.lsp.start_client({
  name = "refbook",
  cmd = { PYTHON, "-m", "refbook", "lsp" },
  root_dir = vim.fn.getcwd(),
})
vim.cmd("edit essay.md")
vim.lsp.buf_attach_client(0, id)
vim.wait(60000, function() return #vim.diagnostic.get(0) > 0 end, 100)
out.diagnostics = {}
for _, d in ipairs(vim.diagnostic.get(0)) do
  table.insert(out.diagnostics, { lnum = d.lnum, col = d.col, end_col = d.end_col, message = d.message })
end
local params = {
  textDocument = vim.lsp.util.make_text_document_params(),
  position = { line = 2, character = 8 },
}
local answers = vim.lsp.buf_request_sync(0, "textDocument/completion", params, 60000) or {}
out.completion = {}
for _, answer in pairs(answers) do
  local items = (answer.result or {}).items or answer.result or {}
  for _, item in ipairs(items) do table.insert(out.completion, item.label) end
end
local fh = io.open("result.json", "w")
fh:write(vim.fn.json_encode(out))
fh:close()
vim.cmd("qa!")
"""


@pytest.mark.skipif(NVIM is None, reason="nvim is not installed (.ci/run installs it)")
def test_neovim_gets_a_diagnostic_and_a_completion_item(tmp_path: Path) -> None:
    (tmp_path / "references.bib").write_text(BIB)
    (tmp_path / "essay.md").write_text("# Essay\n\nSee @knu and [@nobody2020].\n")
    script = tmp_path / "test.lua"
    script.write_text(f"PYTHON = {json.dumps(sys.executable)}\n" + SCRIPT)
    subprocess.run(
        [NVIM, "--headless", "--clean", "-c", f"luafile {script}"],
        cwd=tmp_path,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        timeout=180,
        check=False,
    )
    result = json.loads((tmp_path / "result.json").read_text())
    assert sorted(result["diagnostics"], key=lambda d: d["col"]) == [
        {"lnum": 2, "col": 5, "end_col": 8, "message": "no entry with key knu"},
        {"lnum": 2, "col": 15, "end_col": 25, "message": "no entry with key nobody2020"},
    ]
    assert result["completion"][0] == "knuth1984literate"
