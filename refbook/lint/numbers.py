"""Lint rules about pages, years, dates and volume numbers."""

from __future__ import annotations

import re
from collections.abc import Iterator

from ..model import Entry, to_text
from .registry import Context, Issue, rule

_PAGES = re.compile(r"^\s*([A-Za-z]?\d+)\s*(-{1,3}|–|—)\s*([A-Za-z]?\d+)\s*$")


@rule(
    "pages-dash",
    "pages",
    "warning",
    "A page range is written with a single hyphen or a Unicode dash; BibTeX wants '--'.",
    fixable=True,
)
def _pages_dash(entry: Entry, ctx: Context) -> Iterator[Issue]:
    pages = entry.get("pages") or ""
    m = _PAGES.match(pages)
    if m and m.group(2) != "--":
        yield Issue(
            f"page range {pages!r} should use '--'",
            "pages",
            ("pages", f"{m.group(1)}--{m.group(3)}"),
        )


@rule("pages-reversed", "pages", "error", "A page range ends before it starts.")
def _pages_reversed(entry: Entry, ctx: Context) -> Iterator[Issue]:
    m = _PAGES.match(entry.get("pages") or "")
    # "1059--67" abbreviates the end (pandoc expands it); only a real reversal is an error
    if (
        m
        and m.group(1).isdigit()
        and m.group(3).isdigit()
        and int(m.group(1)) > int(m.group(3))
        and len(m.group(3)) >= len(m.group(1))
    ):
        yield Issue(f"page range {entry['pages']!r} is reversed", "pages")


@rule("year-format", "dates", "error", "The year is not a four-digit year.")
def _year_format(entry: Entry, ctx: Context) -> Iterator[Issue]:
    # as printed: {\noopsort{1973b}}1973 is the year 1973 (the sorting trick prints nothing)
    year = to_text(entry.get("year") or "").strip()
    if year and not re.fullmatch(r"\d{4}", year):
        yield Issue(f"year {year!r} is not a four-digit year", "year")


@rule("year-future", "dates", "error", "The year (or date) lies in the future.")
def _year_future(entry: Entry, ctx: Context) -> Iterator[Issue]:
    if entry.year and entry.year > ctx.today.year:
        yield Issue(f"year {entry.year} is in the future", "year" if entry.get("year") else "date")


@rule("year-date-mismatch", "dates", "warning", "The year and date fields disagree.")
def _year_date(entry: Entry, ctx: Context) -> Iterator[Issue]:
    year, date = (entry.get("year") or "").strip(), (entry.get("date") or "").strip()
    if year and date and not date.startswith(year):
        yield Issue(f"year {year} but date {date}", "date")


@rule(
    "volume-number-swap",
    "numbers",
    "warning",
    "An article's volume is much smaller than its number (as in '1(98)'): probably swapped.",
)
def _volume_number(entry: Entry, ctx: Context) -> Iterator[Issue]:
    if entry.type != "article":
        return
    vol, num = (entry.get("volume") or "").strip(), (entry.get("number") or "").strip()
    if vol.isdigit() and num.isdigit() and int(num) > 12 and int(vol) <= 12 and int(vol) < int(num):
        yield Issue(f"volume {vol}, number {num}: volume and number swapped?", "volume")
