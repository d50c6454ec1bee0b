"""Dates: ISO 8601/EDTF ``date`` fields (ranges, open ranges, approximate, seasons) and
``year``/``month``/``day`` (``endyear``...) as CSL dates."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from ..latex import to_text

if TYPE_CHECKING:
    from ..model import Entry
# a date of ISO 8601/EDTF; one-digit months and days are read too (1995-1-4)
_EDTF_PART = re.compile(r"^(-?\d+)(?:-(\d{1,2}))?(?:-(\d{1,2}))?(?:T[\d:.+\-Z]*)?$")


def parse_date(value: str) -> dict[str, Any] | None:
    """An ISO 8601/EDTF date (``2023-12-13``, ``1984/1986``, ``1990~``, ``2001-22``
    (summer)) as a CSL date; a literal when it cannot be read."""
    text = re.sub(r"[{}]", "", value).strip()  # not to_text: ~ marks an approximate date
    if not text:
        return None
    circa = False
    if text[-1:] in "~?%" and len(text) > 1:
        circa = True
        text = text[:-1]
    halves = text.split("/") if "/" in text else [text]
    if len(halves) > 2:
        return {"literal": to_text(value)}
    parts: list[list[int | str]] = []
    season = None
    for half in halves:
        half = half.strip().rstrip("~?%")
        if half.lower() in ("", "..", "unknown", "open"):
            parts.append([""] if parts else [])
            continue
        # EDTF's unspecified digits (199u, 19XX, 1999-uu) and long years (y-12000)
        half = re.sub(r"^[yY](?=-?\d{5,}$)", "", half)
        half = re.sub(r"-[uUxX]{2}", "", half)
        if re.fullmatch(r"-?\d*[uUxX]+", half) and re.search(r"\d", half):
            half = re.sub(r"[uUxX]", "0", half)
        m = _EDTF_PART.match(half)
        if not m:
            return {"literal": to_text(value)}
        year = int(m.group(1))
        # ISO years count a year 0 (= 1 BC); CSL's negative years do not
        date: list[int | str] = [year if year > 0 else year - 1]
        if m.group(2):
            month = int(m.group(2))
            if 21 <= month <= 24:
                season = month - 20
            elif 1 <= month <= 12:
                date.append(month)
                if m.group(3) and 1 <= int(m.group(3)) <= 31:
                    date.append(int(m.group(3)))
        parts.append(date)
    parts = [p for p in parts if p] or []
    if not parts:
        return None
    out: dict[str, Any] = {"date-parts": parts}
    if circa:
        out["circa"] = True
    if season:
        out["season"] = season
    return out


def _month(value: str | None) -> int | None:
    from ..model import month_number

    return month_number(to_text(value or "")) if value else None


def _old_date(entry: Entry, prefix: str) -> dict[str, Any] | None:
    """year/month/day (and endyear/endmonth/endday), or with a prefix (``origyear``...)."""
    year = entry.get(prefix + "year")
    if not year:
        return None
    text = re.sub(r"^[\u2013\u2014]", "-", to_text(year).strip())  # a BC year written --300
    if not re.fullmatch(r"-?\d+", text):
        return {"literal": text} if text else None
    parts = [_ymd(entry, prefix, "")]
    end_year = to_text(entry.get(prefix + "endyear") or "").strip()
    if re.fullmatch(r"-?\d+", end_year):
        parts.append(_ymd(entry, prefix, "end"))
    return {"date-parts": parts}


def _ymd(entry: Entry, prefix: str, end: str) -> list[int]:
    """[year, month, day] as far as they are given (the year is known to be a number)."""
    year = re.sub(r"^[\u2013\u2014]", "-", to_text(entry.get(f"{prefix}{end}year")).strip())
    parts = [int(year)]
    month = _month(entry.get(f"{prefix}{end}month"))
    if month:
        parts.append(month)
        day = to_text(entry.get(f"{prefix}{end}day") or "").strip()
        if day.isdigit():
            parts.append(int(day))
    return parts


def a_date(entry: Entry, field_name: str, prefix: str) -> dict[str, Any] | None:
    value = entry.get(field_name)
    if value:
        parsed = parse_date(value)
        if parsed and "date-parts" in parsed:
            return parsed
        return _old_date(entry, prefix) or parsed
    return _old_date(entry, prefix)
