"""The findings formats that write as they go (json, plain, github) write, a batch at
a time, exactly the text they wrote in one piece."""

from __future__ import annotations

import io

import pytest

import refbook.output.findings as formats
from refbook.findings import Finding, Severity
from refbook.output import json_text, visible
from refbook.output.findings import Run, github_line, json_doc, plain, summary
from refbook.output.findings import github as github_format

# messages with what each format escapes: quotes, a newline, a C1 control, a lone CR
FINDINGS = [
    Finding(
        "a.bib",
        i,
        (Severity.WARNING, Severity.ERROR, Severity.INFO)[i % 3],
        "rule-x",
        f'message {i} "quoted"\n\u0085 end\r',
        f"key{i}" if i % 2 else None,
        i or None,
        {"nested": [1, {}], "n": i} if i == 2 else {},
    )
    for i in range(8)
]


@pytest.fixture(autouse=True)
def small_batches(monkeypatch):
    monkeypatch.setattr(formats, "BATCH", 3)


@pytest.mark.parametrize("n", [0, 1, 3, 4, 8])
@pytest.mark.parametrize("extra", [{}, {"files": 2}])
def test_json_written_in_batches_is_the_whole_document(n, extra):
    out = io.StringIO()
    json_doc.render(FINDINGS[:n], Run(extra=extra), out)
    whole = {"findings": [f.to_dict() for f in FINDINGS[:n]], "summary": summary(FINDINGS[:n])}
    whole.update(extra)
    assert out.getvalue() == json_text(whole) + "\n"


@pytest.mark.parametrize("n", [0, 1, 3, 4, 8])
def test_plain_and_github_written_in_batches_are_the_whole_text(n):
    out = io.StringIO()
    plain.render(FINDINGS[:n], Run(), out)
    assert out.getvalue() == visible("".join(f.line_text() + "\n" for f in FINDINGS[:n]))
    out = io.StringIO()
    github_format.render(FINDINGS[:n], Run(), out)
    assert out.getvalue() == "".join(github_line(f) + "\n" for f in FINDINGS[:n])


@pytest.mark.parametrize("n", [0, 1, 3, 4, 8])
def test_sarif_written_in_batches_is_the_whole_document(n):
    from refbook.output.findings import sarif_doc as sarif_format

    out = io.StringIO()
    run = Run(tool="t", rules={"rule-x": "X", "other": "O"})
    sarif_format.render(FINDINGS[:n], run, out)
    whole = sarif_format.sarif_document(FINDINGS[:n], run)
    assert out.getvalue() == json_text(whole) + "\n"


def test_the_python_api_format_functions_keep_working_after_their_modules_are_imported():
    """``findings.sarif()``/``junit()``/``markdown()`` are the Python API; a format module
    of the same name, once imported (by a first call or a ``--format`` render), replaced
    the package's function with itself: the second call raised 'module is not callable'."""
    from refbook.output import findings

    for _ in range(2):
        for fmt in ("sarif", "junit", "markdown"):
            findings.render(FINDINGS[:2], fmt, stream=io.StringIO())
        assert findings.sarif(FINDINGS[:2])["version"] == "2.1.0"
        assert "<testsuite" in findings.junit(FINDINGS[:2])
        assert "|" in findings.markdown(FINDINGS[:2])
