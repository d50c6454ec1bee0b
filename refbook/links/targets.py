"""What ``check`` checks: each entry's ``doi`` and ``url`` with the line of the field, and
the patterns of targets not to check (``--exclude``, setting ``check.exclude``)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..identifiers import strip_doi_prefix
from ..safelinks import DOI_RESOLVER

if TYPE_CHECKING:
    from ..model import Entry

KINDS = ("doi", "url")


@dataclass
class Target:
    key: str
    kind: str  # "doi" | "url"
    value: str  # as written
    line: int


def collect(entries: Iterable[Entry], *, dois: bool = True, urls: bool = True) -> list[Target]:
    """The DOIs and URLs to check, with the line of the field."""
    out = []
    for e in entries:
        for kind, wanted in (("doi", dois), ("url", urls)):
            value = e.get(kind) if wanted else None
            if value:
                out.append(Target(e.key, kind, value.strip(), e.field_line(kind)))
    return out


class Exclusions:
    """Regular expressions of targets not to check, as lychee's ``--exclude``: a pattern
    excludes a URL it matches anywhere (``re.search``), and a DOI when it matches the DOI
    as written or its resolver URL (``https://doi.org/10.…``)."""

    def __init__(self, patterns: Sequence[str] = ()) -> None:
        """Raises ``ValueError`` naming the first pattern that is not a regular expression."""
        self.patterns: list[re.Pattern[str]] = []
        for pattern in patterns:
            if not isinstance(pattern, str):  # from a config file: [1, 2]
                raise ValueError(f"not a regular expression: {pattern!r}")
            try:
                self.patterns.append(re.compile(pattern))
            except re.error as exc:
                raise ValueError(f"not a regular expression: {pattern!r} ({exc})") from None

    def __bool__(self) -> bool:
        return bool(self.patterns)

    def match(self, target: Target) -> str | None:
        """The first pattern that excludes ``target``, or None."""
        texts = [target.value]
        if target.kind == "doi":
            texts.append(DOI_RESOLVER + strip_doi_prefix(target.value))
        for pattern in self.patterns:
            if any(pattern.search(text) for text in texts):
                return pattern.pattern
        return None
