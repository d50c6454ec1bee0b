"""One home per fact: DOIs and URLs are read, normalised and judged by refbook.identifiers,
so that lint, check, the importers and the model agree; severities are an enum."""

from __future__ import annotations

import json

import pytest

import refbook
from refbook.findings import Finding, Severity, fails
from refbook.identifiers import (
    doi_syntax_error,
    normalize_doi,
    redact,
    strip_doi_prefix,
    url_syntax_error,
)
from refbook.links import Checker, Options, Target
from refbook.lint import RULES, lint


@pytest.mark.parametrize(
    "written, bare",
    [
        ("10.1177/ABC", "10.1177/ABC"),
        ("https://doi.org/10.1177/ABC", "10.1177/ABC"),
        (" http://dx.doi.org/10.1/X ", "10.1/X"),
        ("doi: 10.1000/xyz", "10.1000/xyz"),
        ("DOI:10.1000/xyz", "10.1000/xyz"),
    ],
)
def test_doi_prefixes_are_stripped_the_same_everywhere(written, bare):
    from refbook.importers import from_csl, from_ris

    assert strip_doi_prefix(written) == bare and normalize_doi(written) == bare.lower()
    assert from_csl({"type": "book", "title": "T", "DOI": written}).fields["doi"] == bare
    assert (
        from_ris(f"TY  - BOOK\nTI  - T\nDO  - {written.strip()}\nER  - \n")[0].fields["doi"] == bare
    )


def _lint_messages(text: str, rule: str) -> list[str]:
    lib = refbook.loads(text)
    return [f.message for f in lint(lib, [RULES[rule]]).findings if f.rule == rule]


@pytest.mark.parametrize("doi", ["11.1234/x", "10.12/short", "10.1234/ends.", "10.1234/x]"])
def test_lint_and_check_judge_a_doi_alike(doi):
    text = f"@misc{{k, title={{T}}, doi={{{doi}}}}}\n"
    problem = doi_syntax_error(doi)
    assert problem and _lint_messages(text, "doi-syntax") == [problem]
    result = Checker(Options(offline=True)).check(Target("k", "doi", doi, 1), None)
    assert (result.verdict, result.message, result.malformed) == ("error", problem, True)


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.org/x",
        "example.org",
        "http://[::1/x",
        "https://.example.org/",
        "https://user:pw@/x",
    ],
)
def test_lint_and_check_judge_a_url_alike(url):
    text = f"@misc{{k, title={{T}}, url={{{url}}}}}\n"
    problem = url_syntax_error(url)
    assert problem and _lint_messages(text, "url-syntax") == [problem]
    result = Checker(Options(offline=True)).check(Target("k", "url", url, 1), None)
    assert (result.message, result.malformed) == (problem, True)
    assert "pw" not in problem  # credentials never printed


def test_redact_keeps_ipv6_brackets():
    assert redact("http://a:b@[::1]:8080/x") == "http://***@[::1]:8080/x"
    assert redact("http://example.org/@x") == "http://example.org/@x"


def test_severities_are_ordered_by_rank_not_by_their_text():
    order = [Severity.INFO, Severity.WARNING, Severity.ERROR]
    for i, low in enumerate(order):
        for high in order[i:]:
            assert high.at_least(low)
        for higher in order[i + 1 :]:
            assert not low.at_least(higher)
    info = Finding("f.bib", 1, "info", "r", "m")  # the Python API may still pass text
    assert info.severity is Severity.INFO
    assert not fails([info]) and fails([info], "info") and fails([info], Severity.INFO)
    assert json.loads(json.dumps(info.to_dict()))["severity"] == "info"
    assert f"{Severity.ERROR}" == str(Severity.ERROR) == "error"
