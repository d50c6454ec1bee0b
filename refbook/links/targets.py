"""What ``check`` checks: each entry's ``doi`` and ``url`` with the line of the field, and
the patterns of targets not to check (``--exclude``, setting ``check.exclude``)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..identifiers import strip_doi_prefix

if TYPE_CHECKING:
    from typing import TypeAlias

    from ..cache.entry import RecordEntry
    from ..model import Entry

    AnyEntry: TypeAlias = Entry | RecordEntry  # parsed, or read from the library cache

KINDS = ("doi", "url")


@dataclass
class Target:
    key: str
    kind: str  # "doi" | "url"
    value: str  # as written
    line: int
    # the field it comes from when that is not ``kind``: "eprint" for the DOI of an
    # arXiv e-print (10.48550/arXiv.ID) in an entry without a doi field
    field: str = ""


# an arXiv identifier as BibTeX entries write it: 2303.08812, 2303.08812v2, arXiv:…,
# hep-th/9901001 (before 2007)
ARXIV_ID = re.compile(
    r"(?:arxiv:)?\s*(\d{4}\.\d{4,5}|[a-z]+(?:-[a-z]+)*(?:\.[a-z]{2})?/\d{7})(?:v\d+)?", re.I
)


def arxiv_doi(entry: Entry | RecordEntry) -> str | None:
    """The DOI arXiv registered (with DataCite) for an entry's e-print, when the entry
    cites an arXiv e-print (``eprint`` with ``eprinttype``/``archiveprefix`` arXiv) and
    has no ``doi``: so that check can ask whether it has been published since."""
    eprint = entry.get("eprint")
    kind = (entry.get("eprinttype") or entry.get("archiveprefix") or "").strip().lower()
    if not eprint or kind != "arxiv" or entry.get("doi"):
        return None
    found = ARXIV_ID.fullmatch(eprint.strip())
    return f"10.48550/arXiv.{found.group(1)}" if found else None


def collect(
    entries: Iterable[Entry | RecordEntry], *, dois: bool = True, urls: bool = True
) -> list[Target]:
    """The DOIs and URLs to check, with the line of the field; an arXiv e-print without
    a DOI is checked as its arXiv DOI."""
    return list(iter_targets(entries, dois=dois, urls=urls))


def iter_targets(
    entries: Iterable[Entry | RecordEntry], *, dois: bool = True, urls: bool = True
) -> Iterator[Target]:
    """``collect``'s targets one by one, for a checker that starts on the first ones while
    the rest are read."""
    for e in entries:
        for kind, wanted in (("doi", dois), ("url", urls)):
            value = e.get(kind) if wanted else None
            if value:
                yield Target(e.key, kind, value.strip(), e.field_line(kind))
            elif kind == "doi" and wanted:
                derived = arxiv_doi(e)
                if derived:
                    yield Target(e.key, "doi", derived, e.field_line("eprint"), "eprint")


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
            from ..safelinks import DOI_RESOLVER  # (with html: not before a URL's request)

            texts.append(DOI_RESOLVER + strip_doi_prefix(target.value))
        for pattern in self.patterns:
            if any(pattern.search(text) for text in texts):
                return pattern.pattern
        return None
