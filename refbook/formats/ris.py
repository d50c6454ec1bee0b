"""RIS: read (``add --from ris``) and written (``export --format ris``) as Zotero and
EndNote read and write it.  ``TYPES`` is the one type table, both ways: an RIS type is
read as the BibTeX type of its CSL type (``refbook.csl.types.bibtex_type``), and an
entry is written as the first RIS type of its CSL type (``refbook.csl.types.csl_type``)."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from ..errors import InputError, UsageError
from ..identifiers import strip_doi_prefix
from . import Draft

if TYPE_CHECKING:
    from ..model import Entry, Person

# RIS type -> CSL type.  Writing takes the first RIS type of an entry's CSL type, so a
# type's usual spelling comes before its aliases (CPAPER before CONF, ELEC before WEB).
TYPES = {
    "JOUR": "article-journal",
    "MGZN": "article-magazine",
    "NEWS": "article-newspaper",
    "BOOK": "book",
    "CHAP": "chapter",
    "CPAPER": "paper-conference",
    "RPRT": "report",
    "THES": "thesis",
    "ELEC": "webpage",
    "UNPB": "manuscript",
    "DATA": "dataset",
    "COMP": "software",
    "PAT": "patent",
    "GEN": "document",
    # read only: other spellings of the types above
    "JFULL": "article-journal",
    "EBOOK": "book",
    "ECHAP": "chapter",
    "CONF": "paper-conference",
    "WEB": "webpage",
    "BLOG": "webpage",
}
_WRITTEN = {csl: ris for ris, csl in reversed(TYPES.items())}  # first RIS type wins
_LINE = re.compile(r"^([A-Z][A-Z0-9])  -\s?(.*)$")
_START = re.compile(r"^TY  - ", re.M)


def ris_type(csl_type: str) -> str:
    """The RIS type an item of ``csl_type`` is written as (``GEN`` when none fits)."""
    return _WRITTEN.get(csl_type, "GEN")


def detect(text: str) -> bool:
    return _START.search(text) is not None


# -- reading ----------------------------------------------------------------------------


def read(text: str, name: str = "<input>") -> list[Draft]:
    """The records of an RIS file as drafts; a value BibTeX cannot store (a lone brace)
    is an ``InputError`` naming ``name``, and nothing is read."""
    drafts = []
    record: list[tuple[str, str]] = []
    try:
        for line in text.splitlines():
            m = _LINE.match(line.lstrip("\ufeff"))
            if not m:
                continue
            tag, value = m.group(1), m.group(2).strip()
            if tag == "ER":
                if record:
                    drafts.append(from_record(record))
                record = []
            else:
                record.append((tag, value))
        if record:
            drafts.append(from_record(record))
    except UsageError as exc:  # a lone brace, which BibTeX cannot store
        raise InputError(f"{name}: error: {exc}; nothing added") from None
    return drafts


def _escape(text: str) -> str:
    from ..plaintext import to_bibtex

    return to_bibtex(text)


def from_record(record: list[tuple[str, str]]) -> Draft:
    """One RIS record (its tags and values in order) as a BibTeX draft."""
    from ..csl.types import bibtex_type

    tags: dict[str, list[str]] = {}
    for tag, value in record:
        tags.setdefault(tag, []).append(value)

    def first(*names: str) -> str:
        for n in names:
            if tags.get(n):
                return tags[n][0]
        return ""

    rtype = first("TY") or "GEN"
    ctype = TYPES.get(rtype, "document")
    etype = bibtex_type(ctype)
    f: dict[str, str] = {}
    authors = tags.get("AU", []) + tags.get("A1", [])
    if authors:
        f["author"] = " and ".join(
            _escape(a) if "," in a or " " not in a.strip() else "{" + _escape(a) + "}"
            for a in authors
        )
    if tags.get("A2") or tags.get("ED"):
        f["editor"] = " and ".join(_escape(a) for a in tags.get("A2", []) + tags.get("ED", []))
    if first("TI", "T1"):
        f["title"] = _escape(first("TI", "T1"))
    container = first("T2", "JO", "JF", "JA", "BT")
    if container:
        key = {"article": "journal", "online": "organization"}.get(etype, "booktitle")
        f[key] = _escape(container)
    if ctype in ("article-newspaper", "article-magazine"):
        f["entrysubtype"] = ctype.split("-")[1]  # as CSL-JSON's are read
    f.update(_dates(first("PY", "Y1", "DA"), first("DA")))
    for tag, field_name in (
        ("VL", "volume"),
        ("IS", "number"),
        ("PB", "publisher"),
        ("CY", "address"),
        ("SN", "issn"),
        ("ET", "edition"),
    ):
        if first(tag):
            f[field_name] = _escape(first(tag))
    if first("SP"):
        f["pages"] = first("SP") + (f"--{first('EP')}" if first("EP") else "")
    if first("DO"):
        f["doi"] = strip_doi_prefix(first("DO"))
    if first("UR"):
        f["url"] = first("UR")
    if first("Y2"):
        f["urldate"] = first("Y2").replace("/", "-").strip("-")
    if tags.get("KW"):
        f["keywords"] = _escape(", ".join(tags["KW"]))
    if first("N1"):
        f["annotation"] = _escape(first("N1"))
    if first("AB", "N2"):
        f["abstract"] = _escape(first("AB", "N2"))
    return Draft(etype, f, key=first("ID") or None, source=f"RIS {rtype}")


def _dates(year_text: str, date_text: str) -> dict[str, str]:
    """``year`` from the first of PY/Y1/DA, ``date`` from DA (``2023/05/01/``)."""
    f: dict[str, str] = {}
    m = re.search(r"\d{4}", year_text)
    if m:
        f["year"] = m.group(0)
    parts = [p for p in date_text.split("/") if p.strip()]
    if len(parts) >= 2 and parts[0].isdigit():
        f["date"] = "-".join([parts[0]] + [f"{int(p):02d}" for p in parts[1:3] if p.isdigit()])
    return f


# -- writing ----------------------------------------------------------------------------


def _person(p: Person) -> str:
    return p.literal or (p.family + (", " + p.first if p.first else ""))


def write(entries: Sequence[Entry]) -> str:
    """The entries as RIS records (ids as in CSL-JSON: ``refbook.csl.unique_ids``)."""
    return "".join(write_parts(entries))


def write_parts(entries: Sequence[Entry]) -> Iterator[str]:
    """``write``'s document in pieces, a record at a time."""
    from . import with_csl_items

    for i, (e, item) in enumerate(with_csl_items(entries)):
        record = _record(e, item)
        yield "\n\n" + record if i else record
    yield "\n"


def _record(e: Entry, item: dict[str, Any]) -> str:
    """One entry as an RIS record, given its CSL item."""
    lines = [f"TY  - {ris_type(item['type'])}"]  # (to_csl's csl_type)
    lines += [f"AU  - {_person(p)}" for p in e.authors]
    lines += [f"A2  - {_person(p)}" for p in e.editors]
    lines.append(f"TI  - {e.title}")
    if e.container:
        lines.append(f"T2  - {e.container}")
    if e.year:
        lines.append(f"PY  - {e.year}")
    if item.get("issued", {}).get("date-parts"):
        parts = item["issued"]["date-parts"][0]
        lines.append("DA  - " + "/".join(f"{p:02d}" if i else str(p) for i, p in enumerate(parts)))
    for tag, value in (("VL", e.volume), ("IS", e.number)):
        if value:
            lines.append(f"{tag}  - {value}")
    if e.pages:
        start, _, end = e.pages.partition("–")
        lines.append(f"SP  - {start.strip()}")
        if end:
            lines.append(f"EP  - {end.strip()}")
    if item.get("publisher"):
        lines.append(f"PB  - {re.sub(r'<[^>]+>', '', html.unescape(item['publisher']))}")
    if e.doi:
        lines.append(f"DO  - {item['DOI']}")
    if e.url:
        lines.append(f"UR  - {e.url}")
    if e.get("urldate"):
        lines.append(f"Y2  - {e['urldate']}")
    lines += [f"KW  - {k}" for k in e.keywords]
    if e.annotation:
        lines.append(f"N1  - {e.annotation}")
    lines.append(f"ID  - {item['id']}")
    lines.append("ER  - ")
    return "\n".join(lines)
