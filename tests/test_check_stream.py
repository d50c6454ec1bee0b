"""`check --offline` writes its results as they come (issue 16: at 100k entries the
results and their JSON document were all held, 251 MiB): the same text as ``render``
gives for the whole list, in every format, and written before the last result is made."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest

from refbook.links import Result, Target, Verdict
from refbook.output.check import render, render_each
from refbook.output.findings import BATCH, NAMES


def _results(n: int) -> list[Result]:
    out = []
    for i in range(n):
        kind = "doi" if i % 3 else "url"
        value = f"10.1000/{i}" if kind == "doi" else f"https://example.org/{i}\u202e"
        target = Target(f"k{i}", kind, value, 10 * i + 1, "eprint" if i % 7 == 0 else "")
        if i % 11 == 0:
            out.append(Result(target, Verdict.ERROR, "bad syntax", malformed=True))
        elif i % 13 == 0:
            out.append(Result(target, Verdict.EXCLUDED, "not checked: matches ^x"))
        elif i % 17 == 0:
            out.append(Result(target, Verdict.OK, "ok", warnings=["year 2001 ≠ 2002"]))
        else:
            out.append(Result(target, Verdict.OK, "syntax ok"))
    return out


@pytest.mark.parametrize("fmt", [f for f in NAMES if f != "table"])
@pytest.mark.parametrize("n", [0, 1, 40, BATCH + 5])
@pytest.mark.parametrize("strict", [False, True])
def test_render_each_is_render(fmt, n, strict):
    results = _results(n)
    whole, each = io.StringIO(), io.StringIO()
    render(results, fmt, "refs.bib", strict, stream=whole)
    render_each(iter(results), fmt, "refs.bib", strict, stream=each)
    assert each.getvalue() == whole.getvalue()


@pytest.mark.parametrize("fmt", ["json", "plain", "github"])
def test_render_each_writes_as_results_come(fmt):
    """A format that can write as it goes has written the first batch before the last
    result is made: the results are not all held (plain and github write findings: more
    than a batch of them, a fifth of these results having one)."""
    stream = io.StringIO()
    seen: list[int] = []

    def results() -> Iterator[Result]:
        many = _results(6 * BATCH)
        for i, r in enumerate(many):
            if i == len(many) - 1:
                seen.append(len(stream.getvalue()))
            yield r

    render_each(results(), fmt, "refs.bib", stream=stream)
    assert seen and seen[0] > 0


def test_offline_check_streams(cli, tmp_path, monkeypatch):
    """The command writes offline results through ``render_each`` (not the list)."""
    import refbook.output.check as check_output

    called = []
    real = check_output.render_each
    monkeypatch.setattr(
        check_output, "render_each", lambda *a, **k: (called.append(a[1]), real(*a, **k))
    )
    bib = tmp_path / "refs.bib"
    bib.write_text(
        "@article{a, title={A}, doi={10.1000/x}, url={https://example.org/a}}\n"
        "@article{b, title={B}, doi={not a doi}}\n"
    )
    out = cli("check", "--offline", "--json", "--bib", str(bib))
    assert called == ["json"]
    assert out.exit_code == 1
    assert '"verdict": "error"' in out.stdout
