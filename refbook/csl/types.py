"""Entry types: BibTeX/BibLaTeX -> CSL (``TYPE_MAP``, as pandoc's BibLaTeX reader maps
them) and back (``BIBTEX_TYPES``, for CSL-JSON read by ``add``): one table each way."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..model import Entry

TYPE_MAP = {
    "article": "article-journal",
    "book": "book",
    "mvbook": "book",
    "booklet": "pamphlet",
    "bookinbook": "book",
    "inbook": "chapter",
    "incollection": "chapter",
    "suppbook": "chapter",
    "suppcollection": "chapter",
    "inproceedings": "paper-conference",
    "conference": "paper-conference",
    "proceedings": "book",
    "mvproceedings": "book",
    "collection": "book",
    "mvcollection": "book",
    "reference": "book",
    "mvreference": "book",
    "inreference": "entry-encyclopedia",
    "report": "report",
    "techreport": "report",
    "thesis": "thesis",
    "phdthesis": "thesis",
    "mastersthesis": "thesis",
    "online": "webpage",
    "www": "webpage",
    "electronic": "webpage",
    "manual": "book",
    "unpublished": "manuscript",
    "misc": "document",
    "dataset": "dataset",
    "data": "dataset",
    "software": "software",
    "patent": "patent",
    "periodical": "periodical",
    "suppperiodical": "article-journal",
    "artwork": "graphic",
    "image": "graphic",
    "audio": "song",
    "music": "song",
    "commentary": "book",
    "jurisdiction": "legal_case",
    "legislation": "legislation",
    "legal": "treaty",
    "letter": "personal_communication",
    "letters": "personal_communication",
    "movie": "motion_picture",
    "video": "motion_picture",
    "performance": "speech",
    "review": "review",
    "standard": "standard",
    "newsarticle": "article-newspaper",
}
CHAPTERLIKE = frozenset({"inbook", "incollection", "inproceedings", "inreference", "bookinbook"})
ARTICLELIKE = frozenset({"article", "periodical", "suppperiodical", "review"})
IN_SERIES = frozenset(
    {
        "book",
        "collection",
        "proceedings",
        "reference",
        "mvbook",
        "mvcollection",
        "mvproceedings",
        "mvreference",
        "bookinbook",
        "inbook",
        "incollection",
        "inproceedings",
        "inreference",
        "suppbook",
        "suppcollection",
    }
)
# -- types ----------------------------------------------------------------------------------


def csl_type(entry: Entry) -> str:
    t = entry.type
    sub = (entry.get("entrysubtype") or "").strip().lower()
    if t in ("article", "periodical", "suppperiodical") and sub in ("newspaper", "magazine"):
        return f"article-{sub}"
    if t == "misc" and entry.get("url"):
        return "webpage"
    if t == "unpublished" and any(entry.get(n) for n in ("eventdate", "eventtitle", "venue")):
        return "speech"
    return TYPE_MAP.get(t, "document")


# CSL type -> the BibTeX type a CSL item is read as (refbook.formats.csl_json)
BIBTEX_TYPES = {
    "article-journal": "article",
    "article": "article",
    "article-magazine": "article",
    "article-newspaper": "article",
    "book": "book",
    "chapter": "incollection",
    "paper-conference": "inproceedings",
    "report": "report",
    "thesis": "thesis",
    "webpage": "online",
    "post-weblog": "online",
    "post": "online",
    "dataset": "dataset",
    "manuscript": "unpublished",
    "software": "software",
    "patent": "patent",
    "entry-encyclopedia": "incollection",
    "entry-dictionary": "incollection",
}


def bibtex_type(csl_type: str) -> str:
    """The BibTeX type a CSL item of ``csl_type`` is read as (``misc`` when unknown)."""
    return BIBTEX_TYPES.get(csl_type, "misc")
