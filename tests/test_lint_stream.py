"""lint's findings come out in file order as they are made (``lint.runner``): two
streaming passes, the rules over the whole library reported at the entries they flag
and merged by line with the per-entry findings.  They must be exactly what the whole
library linted at once and sorted gives (the order the formats write, ties included),
for a parsed library and for one read from the library cache."""

from __future__ import annotations

import datetime as _dt
import random
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from refbook.cache import open_cached
from refbook.lint import RULES, Context, _Report, lint_findings, protected_words, suppressions
from refbook.model import load

TODAY = _dt.date(2026, 12, 1)

# every kind of finding at once: whole-library findings on lines between per-entry ones,
# two entries on one line (ties broken by column), a key written twice (a finding of a
# rule over the whole library goes to the last entry of that key), one title nearly the
# same as two earlier ones, a parse problem and an @string defined twice, suppressions
TEXT = """\
@string{jn = "Journal of Tests"}
@string{JN = "Journal of Tests Again"}
@article{first, author = {Kowalski, Jan and Doe, Jane}, title = {Border Politics in the TTP Era},
  journal = jn, year = 2001, pages = {9-3}, doi = {10.1000/xyz}}
@article{dup, title = {Border Politics in the TTP Era}, year = 2002, journal = jn,
  author = {Roe, Rick}, doi = {https://doi.org/10.1000/XYZ}}
@book{a1, title = {Sand and Stone in Old Kabul}, year = 2003} @book{a2, title = {Border Politics in the TTP Era}, year = 2004}
@book{b1, title = {Rivers of the Hindu Kush Region}, year = 2005, publisher = {P}}
@book{b2, title = {Rivers of the Hindu Kush Regions}, year = 2006, publisher = {P}}
@book{b3, title = {Rivers of the Hindu Kush Regionz}, year = 2007, publisher = {P}}
@article{broken, title = {Oops
@article{spell, author = {Kowalsky, Jan and Doe, Jane}, title = {Sand and Stone in Old Kabul},
  journal = jn, year = 2008, doi = {10.1000/XYZ}}
% refbook: ignore[duplicate-title]
@article{dup, title = {Rivers of the Hindu Kush Region}, journal = jn, year = 2009,
  author = {Roe, Rick}, pages = {5--1}}
@misc{last, title = {Sand and Stone in Old Kabul}, note = {50% off}}
@misc{swat, title = {Notes on the old {Swat} valley and its many rivers}, year = 2010}
@misc{swat2, title = {The Swat valley in the rain and the rivers}, year = 2011}
"""


def _at_once(lib, cached: bool) -> list:
    """The findings as lint made them before it streamed: every entry held, the rules
    over the whole library run on the list, everything sorted once."""
    rules = list(RULES.values())
    entries = list(lib)
    ctx = Context(today=TODAY)
    ctx.protected_words = protected_words(entries)
    report = _Report(lib.path, lib.suppressions() if cached else suppressions(lib.bib), False)
    report.findings += [p for p in lib.problems if p.rule not in RULES]
    by_key = {e.key: e for e in entries}
    for r in rules:
        if r.check_file is not None:
            file = lib if cached else lib.bib
            report.findings += [
                type(report.findings[0])(lib.path, i.line, r.severity, r.id, i.message, i.key)
                for i in r.check_file(file, ctx)
            ]
        elif r.check_all is not None:
            for issue in r.check_all(entries, ctx):
                report.add(r, by_key[issue.key], issue)
    for e in entries:
        for r in rules:
            if r.check is not None:
                for issue in r.check(e, ctx):
                    report.add(r, e, issue)
    report.findings.sort(key=lambda f: (f.line or 0, f.column or 0, f.rule))
    return report.findings


def _both(path: Path) -> tuple[list, list, list]:
    """(streamed from the parse, streamed from the cache, all at once from the parse)."""
    parsed = load(str(path))
    cached, _ = open_cached(path, needs=("lint",))
    assert cached is not None and not hasattr(cached, "bib")
    streamed = list(lint_findings(parsed, today=TODAY))
    from_cache = list(lint_findings(cached, today=TODAY))
    return streamed, from_cache, _at_once(load(str(path)), False)


def test_streamed_findings_are_the_sorted_whole(tmp_path):
    path = tmp_path / "refs.bib"
    path.write_text(TEXT, encoding="utf-8")
    streamed, from_cache, whole = _both(path)
    rules = [f.rule for f in whole]
    # the cases this text is made of, all present
    for rule in ("duplicate-title", "similar-title", "duplicate-doi", "author-spelling"):
        assert rule in rules, rule
    assert "syntax" in rules and "duplicate-string" in rules
    assert "unprotected-proper-noun" in rules  # Swat: braced by the file itself
    assert rules.count("similar-title") >= 2  # b3 nearly the same as b1 and b2
    assert streamed == whole
    assert from_cache == whole
    # a finding of a rule over the whole library about the first `dup` is reported at
    # the last entry of that key (by key, as it always was)
    last_dup = max(e.line for e in load(str(path)) if e.key == "dup")
    assert [f.line for f in whole if f.rule == "duplicate-doi" and f.key == "dup"] == [last_dup]


TITLES = ["Border Politics", "Border Politic", "Border Politics Now", "Rivers of {TTP}", "Kabul"]
KEYS = ["k1", "k2", "k3", "K1", "k4", "k5"]


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(seed=st.integers(0, 10**6), n=st.integers(1, 14))
def test_random_libraries_stream_the_sorted_whole(tmp_path, seed, n):
    rng = random.Random(seed)
    parts = []
    for _ in range(n):
        fields = [f"title = {{{rng.choice(TITLES)}}}"]
        if rng.random() < 0.5:
            fields.append(f"doi = {{10.1000/{rng.choice('ab')}}}")
        if rng.random() < 0.5:
            fields.append(f"author = {{{rng.choice(['Kowalski', 'Kowalsky'])}, Jan and Doe, J}}")
        if rng.random() < 0.3:
            fields.append("pages = {9-3}")
        sep = " " if rng.random() < 0.3 else "\n"  # entries on one line
        if rng.random() < 0.15:
            parts.append("% refbook: ignore[duplicate-title, pages-dash]\n")
        parts.append(f"@article{{{rng.choice(KEYS)}, " + f",{sep}".join(fields) + "}" + sep)
    path = tmp_path / f"r{seed}-{n}.bib"
    path.write_text("".join(parts), encoding="utf-8")
    streamed, from_cache, whole = _both(path)
    assert streamed == whole
    assert from_cache == whole
