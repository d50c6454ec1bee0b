"""Code the next person can change (issue 15): no module over ~500 lines and no function
over ~60 without the reason in its docstring.  A module says "over 500 lines" and why; a
function says "on purpose" and why."""

from __future__ import annotations

import ast

from .conftest import REPO

MODULE_LINES = 520  # "~500"
FUNCTION_LINES = 65  # "~60": body lines, the docstring not counted
# long functions in modules other branches are rewriting now (none at present): remove
# each once its branch is merged and the function is split or says why
PENDING: set[str] = set()
PENDING_MODULES: set[str] = set()


def _modules() -> list[tuple[str, ast.Module, int]]:
    out = []
    for path in sorted((REPO / "refbook").rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        out.append((str(path.relative_to(REPO)), ast.parse(text), text.count("\n")))
    return out


def _body_lines(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    body = fn.body
    first = body[0]
    if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and len(body) > 1:
        first = body[1]  # the docstring does not count
    return (fn.end_lineno or fn.lineno) - first.lineno + 1


def long_functions() -> list[str]:
    found = []
    for name, tree, _lines in _modules():
        for node in ast.walk(tree):
            if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            where = f"{name}:{node.name}"
            doc = ast.get_docstring(node) or ""
            if _body_lines(node) > FUNCTION_LINES and "on purpose" not in doc:
                found.append(where)
    return sorted(set(found) - PENDING)


def long_modules() -> list[str]:
    return sorted(
        name
        for name, tree, lines in _modules()
        if lines > MODULE_LINES
        and "500 lines" not in (ast.get_docstring(tree) or "")
        and name not in PENDING_MODULES
    )


def test_no_function_is_long_without_saying_why():
    assert long_functions() == []


def test_no_module_is_long_without_saying_why():
    assert long_modules() == []


def test_the_size_checks_find_a_long_function():
    body = "\n".join(f"    x{i} = {i}" for i in range(FUNCTION_LINES + 1))
    tree = ast.parse(f'def f():\n    """Doc."""\n{body}\n')
    fn = tree.body[0]
    assert isinstance(fn, ast.FunctionDef) and _body_lines(fn) == FUNCTION_LINES + 1
