"""refbook's BibTeX/BibLaTeX -> CSL-JSON mapping (the data pandoc's citeproc formats).

The reference is pandoc's own BibLaTeX reader (``pandoc -f biblatex -t csljson``):
refbook maps every field it maps, the same way, except where docs/export.md says why
not.  ``benchmarks/fidelity.py`` measures the agreement on real files.

- Text is plain Unicode plus CSL's rich-text markup only (``refbook.richtext``): no HTML
  entities, LaTeX decoded, TeX math converted, braces -> ``<span class="nocase">``.
- Titles (title, subtitle, titleaddon; maintitle, booktitle, series, eventtitle...) are
  sentence-cased as pandoc does, for English entries only: an entry whose ``langid`` (or
  ``hyphenation``, or ``language``) is another language keeps its case, and the item
  gets that ``language`` (``german`` -> ``de-DE``) so that styles leave it alone too.
  Journal titles are never case-changed.  A subtitle is joined with ": ", a titleaddon
  with ". ".
- Entry types map to CSL types (``TYPE_MAP``; ``entrysubtype = newspaper/magazine``).
- Names: ``{Corporate Name}`` -> ``literal``; von -> ``non-dropping-particle``; Jr. ->
  ``suffix``; ``and others`` -> ``{"literal": "others"}``, which citeproc prints as
  "et al." (as pandoc writes it).  Also translator, bookauthor (container-author),
  editortype/editora/editoratype.
- Dates: ``date`` (ISO 8601/EDTF: ranges ``1984/1986``, open ranges, ``~`` and ``?``,
  seasons) or ``year``/``month``/``day`` (``endyear``...); ``origdate``, ``eventdate``,
  ``urldate``.  A year that is not a number (``2023a``, ``in press``) is a literal.
- ``number`` is ``issue`` for articles (with ``issue`` appended), ``collection-number``
  for books in a series, ``number`` otherwise; ``volume.part``; pages with an en dash.
- ``eprint`` with ``eprinttype = arxiv`` (or ``archivePrefix``), jstor, pubmed or
  googlebooks gives the URL when there is none; an arXiv preprint also gets
  ``number`` ``arXiv:ID [class]`` and, without another publisher, ``publisher`` arXiv.
- ``publisher``: school, institution, organization, howpublished and publisher, each
  ``and``-list joined with "; "; ``address``/``location`` -> ``publisher-place``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from . import richtext
from .identifiers import strip_doi_prefix
from .model import Entry, Person, to_text

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
_CHAPTERLIKE = frozenset({"inbook", "incollection", "inproceedings", "inreference", "bookinbook"})
_ARTICLELIKE = frozenset({"article", "periodical", "suppperiodical", "review"})
_IN_SERIES = frozenset(
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
# babel/polyglossia language names (langid, hyphenation) -> IETF tags, as pandoc maps them
LANGUAGES = {
    "english": "en-US",
    "usenglish": "en-US",
    "american": "en-US",
    "british": "en-GB",
    "ukenglish": "en-GB",
    "canadian": "en-US",
    "australian": "en-GB",
    "newzealand": "en-GB",
    "afrikaans": "af-ZA",
    "arabic": "ar",
    "basque": "eu",
    "bulgarian": "bg-BG",
    "catalan": "ca-AD",
    "croatian": "hr-HR",
    "czech": "cs-CZ",
    "danish": "da-DK",
    "dutch": "nl-NL",
    "estonian": "et-EE",
    "finnish": "fi-FI",
    "canadien": "fr-CA",
    "acadian": "fr-CA",
    "french": "fr-FR",
    "francais": "fr-FR",
    "austrian": "de-AT",
    "naustrian": "de-AT",
    "german": "de-DE",
    "germanb": "de-DE",
    "ngerman": "de-DE",
    "greek": "el-GR",
    "polutonikogreek": "el-GR",
    "polytonicgreek": "el-GR",
    "hebrew": "he-IL",
    "hungarian": "hu-HU",
    "icelandic": "is-IS",
    "italian": "it-IT",
    "japanese": "ja-JP",
    "latvian": "lv-LV",
    "lithuanian": "lt-LT",
    "magyar": "hu-HU",
    "mongolian": "mn-MN",
    "norsk": "nb-NO",
    "nynorsk": "nn-NO",
    "farsi": "fa-IR",
    "polish": "pl-PL",
    "brazil": "pt-BR",
    "brazilian": "pt-BR",
    "portugues": "pt-PT",
    "portuguese": "pt-PT",
    "romanian": "ro-RO",
    "russian": "ru-RU",
    "serbian": "sr-RS",
    "serbianc": "sr-RS",
    "slovak": "sk-SK",
    "slovene": "sl-SL",
    "spanish": "es-ES",
    "swedish": "sv-SE",
    "thai": "th-TH",
    "turkish": "tr-TR",
    "ukrainian": "uk-UA",
    "vietnamese": "vi-VN",
    "latin": "la",
    "chinese": "zh-CN",
    "korean": "ko-KR",
    "norwegian": "nb-NO",
    "swissgerman": "de-CH",
    "nswissgerman": "de-CH",
    "portuges": "pt-PT",
    "slovenian": "sl-SL",
}
# a free-text language field is trusted when it is one of these or a babel name
_ISO_CODE = re.compile(r"^[a-z]{2,3}(?:[-_][A-Za-z]{2,4})?$")
_ENGLISH_WORDS = {"en", "eng", "english"}
# biblatex localisation keys that appear in data (type = {phdthesis}, \bibstring{...})
BIBSTRINGS = {
    "phdthesis": "PhD thesis",
    "mathesis": "Master's thesis",
    "techreport": "Tech. rep.",
    "resreport": "research rep.",
    "software": "computer software",
    "datacd": "CD-ROM",
    "audiocd": "audio CD",
    "candthesis": "Candidate thesis",
    "patent": "patent",
    "patentus": "U.S. patent",
    "patentuk": "British patent",
    "patentde": "German patent",
    "patenteu": "European patent",
    "patentfr": "French patent",
    "jourser": "ser.",
    "newseries": "new ser.",
    "oldseries": "old ser.",
    "inpreparation": "in preparation",
    "submitted": "submitted",
    "forthcoming": "forthcoming",
    "inpress": "in press",
    "prepublished": "pre-published",
}
_NOTE_VARIABLE = re.compile(r"^(\s*)(\{|[^\s:<>]+)(\s*:)")
_EPRINT_URLS = {
    "arxiv": "https://arxiv.org/abs/",
    "jstor": "https://www.jstor.org/stable/",
    "pubmed": "https://www.ncbi.nlm.nih.gov/pubmed/",
    "googlebooks": "https://books.google.com?id=",
}
# editortype/editoratype -> CSL name variable
_EDITOR_ROLES = {
    "editor": "editor",
    "compiler": "compiler",
    "director": "director",
    "organizer": "organizer",
    "collaborator": "contributor",
    "redactor": "contributor",
    "reviser": "contributor",
    "founder": "contributor",
    "continuator": "contributor",
    "translator": "translator",
    "chair": "chair",
    "curator": "curator",
    "producer": "producer",
    "illustrator": "illustrator",
}


# -- languages ------------------------------------------------------------------------------


def language(entry: Entry) -> str | None:
    """The entry's language as an IETF tag (``langid = {german}`` -> ``de-DE``), from
    langid, hyphenation or language; None when unknown."""
    for name in ("langid", "hyphenation"):
        value = (entry.get(name) or "").strip().lower()
        if value:
            if name == "langid" and value == "english":
                opts = (entry.get("langidopts") or "").replace(" ", "").lower()
                variant = {
                    "variant=british": "en-GB",
                    "variant=uk": "en-GB",
                    "variant=australian": "en-GB",
                    "variant=newzealand": "en-GB",
                }
                if opts in variant:
                    return variant[opts]
            return LANGUAGES.get(value, value)
    value = to_text(entry.get("language") or "").strip()
    low = value.lower()
    if low in LANGUAGES:
        return LANGUAGES[low]
    if low in _ENGLISH_WORDS:
        return "en"
    if _ISO_CODE.match(value):
        return value.replace("_", "-")
    return None


def is_english(tag: str | None) -> bool:
    """Titles are sentence-cased for English entries and entries of unknown language."""
    if tag is None:
        return True
    low = tag.lower()
    return low == "en" or low.startswith("en-") or low in _ENGLISH_WORDS


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


# -- text fields ----------------------------------------------------------------------------


def rich_title(value: str, sentence_case: bool = True) -> str:
    """A BibTeX title as CSL rich text (sentence case, braces -> nocase)."""
    return richtext.rich(value, sentence_case)


def rich_text(value: str) -> str:
    """A BibTeX value as CSL rich text without case changes (braces become nocase)."""
    return richtext.rich(value, False)


def _joined(parts: list[tuple[str, str]]) -> str:
    """pandoc's concatWith: each part after the first joined by its separator and a space,
    or by a space alone when the text so far ends with punctuation."""
    out = ""
    for sep, text in parts:
        if not text:
            continue
        if not out:
            out = text
        elif re.sub(r"<[^>]+>", "", out)[-1:] in "!?.,:;":
            out += " " + text
        else:
            out += sep + " " + text
    return out


def _title_of(entry: Entry, names: tuple[str, str, str], sentence: bool) -> str | None:
    """(title, subtitle, addon) fields of ``entry`` as one rich text, or None."""
    base = entry.get(names[0])
    if not base:
        return None
    parts = [
        (sep, richtext.rich(entry.get(name) or "", sentence))
        for sep, name in (("", names[0]), (":", names[1]), (".", names[2]))
    ]
    return _joined(parts) or None


def _titles(entry: Entry, english: bool) -> dict[str, str]:
    t = entry.type
    chapterlike = t in _CHAPTERLIKE
    periodical = t == "periodical"
    has_main = bool(entry.get("maintitle"))
    own = ("title", "subtitle", "titleaddon")
    main = ("maintitle", "mainsubtitle", "maintitleaddon")
    book = ("booktitle", "booksubtitle", "booktitleaddon")
    out: dict[str, str] = {}
    title = None
    if periodical:
        title = _title_of(entry, ("issuetitle", "issuesubtitle", "issuetitleaddon"), english)
    if title is None and has_main and not chapterlike:
        title = _title_of(entry, main, english)
        volume_title = _title_of(entry, own, english)
        if volume_title:
            out["volume-title"] = volume_title
    if title is None:
        title = _title_of(entry, own, english)
    if title:
        out["title"] = title
    if has_main and chapterlike:
        volume_title = _title_of(entry, book, english)
        if volume_title:
            out["volume-title"] = volume_title
    container = None
    if periodical:
        container = _title_of(entry, own, False)
    if container is None and chapterlike:
        container = _title_of(entry, main, english) or _title_of(entry, book, english)
    if container is None:
        container = _title_of(
            entry, ("journaltitle", "journalsubtitle", "journaltitleaddon"), False
        ) or _title_of(entry, ("journal", "journalsubtitle", "journaltitleaddon"), False)
    if container is None and entry.get("booktitle") and t not in _IN_SERIES | {"periodical"}:
        container = _title_of(entry, book, english)  # a @misc or @online in a book
    if container:
        out["container-title"] = container
    if entry.get("shortjournal"):
        out["container-title-short"] = rich_text(entry["shortjournal"])
    short = entry.get("shorttitle")
    if short and (not has_main or chapterlike):
        out["title-short"] = richtext.rich(short, english)
    elif entry.get("title") and ":" in (entry.get("title") or ""):
        head = (entry.get("title") or "").split(":", 1)[0]
        if head.count("{") == head.count("}"):
            out["title-short"] = richtext.rich(head, english)
    if entry.get("series"):
        series = entry["series"]
        series = BIBSTRINGS.get(series.strip(), series)
        out["collection-title"] = richtext.rich(series, english)
    for src, dst in (("eventtitle", "event-title"), ("origtitle", "original-title")):
        if entry.get(src):
            out[dst] = richtext.rich(entry[src], english)
    return out


def _literal_list(value: str) -> str:
    """A biblatex literal list (``A and B``) as "A; B"."""
    parts = re.split(r"\s+and\s+", value.strip())
    return "; ".join(rich_text(p) for p in parts if p.strip())


# -- names ----------------------------------------------------------------------------------


def _csl_name(person: Person) -> dict[str, str]:
    name = person.to_csl()
    # "Santos, Cicero Nogueira dos": BibTeX reads "dos" as a given name (its initial would
    # print "C. N. d."); it is a particle that drops, as pandoc and citeproc read it
    given = name.get("given", "").split(" ")
    particle = []
    while len(given) > 1 and given[-1][:1].islower() and not given[-1].endswith("."):
        particle.insert(0, given.pop())
    if particle:
        name["given"] = " ".join(given)
        name["dropping-particle"] = " ".join(particle)
    # typographic apostrophes, as pandoc's reader gives them: O'Meara -> O’Meara
    return {k: v.replace("'", "\u2019") for k, v in name.items()}


def _names(people: list[Person]) -> list[dict[str, str]]:
    return [_csl_name(p) for p in people]


def _add_names(item: dict[str, Any], role: str, people: list[Person]) -> None:
    if people:
        item.setdefault(role, []).extend(_names(people))


# -- dates ----------------------------------------------------------------------------------

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
    from .model import _month_number

    return _month_number(to_text(value or "")) if value else None


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


def _a_date(entry: Entry, field_name: str, prefix: str) -> dict[str, Any] | None:
    value = entry.get(field_name)
    if value:
        parsed = parse_date(value)
        if parsed and "date-parts" in parsed:
            return parsed
        return _old_date(entry, prefix) or parsed
    return _old_date(entry, prefix)


# -- the item -------------------------------------------------------------------------------


def _text(entry: Entry, name: str) -> str:
    return to_text(entry.get(name) or "")


def _genre(entry: Entry) -> str | None:
    value = (entry.get("type") or "").strip()
    if value:
        return to_text(BIBSTRINGS.get(value, value))
    if entry.type == "mastersthesis":
        return BIBSTRINGS["mathesis"]
    if entry.type == "phdthesis":
        return BIBSTRINGS["phdthesis"]
    return None


def _eprint(entry: Entry) -> tuple[str, str, str]:
    kind = (entry.get("eprinttype") or entry.get("archiveprefix") or "").strip().lower()
    ident = (entry.get("eprint") or "").strip()
    cls = (entry.get("eprintclass") or entry.get("primaryclass") or "").strip()
    return kind, ident, cls


def to_csl(entry: Entry, ident: str | None = None) -> dict[str, Any]:
    """One entry as a CSL-JSON item (pandoc, Zotero and citeproc-js read it); ``ident``
    replaces the key as its id (``csl_items`` makes ids unique)."""
    ctype = csl_type(entry)
    item: dict[str, Any] = {"id": entry.key if ident is None else ident, "type": ctype}
    lang = language(entry)
    english = is_english(lang)
    if lang:
        item["language"] = lang
    # names
    authors = entry.authors
    if authors:
        item["author"] = _names(authors)
    editortype = (entry.get("editortype") or "editor").strip().lower()
    _add_names(item, _EDITOR_ROLES.get(editortype, "editor"), entry.editors)
    for suffix in ("a", "b", "c"):  # further editors in the roles biblatex gives them
        people = entry.people("editor" + suffix)
        role = (entry.get(f"editor{suffix}type") or "editor").strip().lower()
        _add_names(item, _EDITOR_ROLES.get(role, "contributor"), people)
    _add_names(item, "translator", entry.people("translator"))
    _add_names(item, "container-author", entry.people("bookauthor"))
    # titles
    item.update(_titles(entry, english))
    if ctype == "webpage" and "container-title" not in item and entry.get("organization"):
        item["container-title"] = rich_text(entry["organization"])
    # publisher and places
    publishers = [
        (n, entry.get(n))
        for n in ("school", "institution", "organization", "howpublished", "publisher")
        if entry.get(n)
    ]
    if ctype == "webpage":  # the site's organisation is its container, not a publisher
        publishers = [(n, v) for n, v in publishers if n not in ("organization", "howpublished")]
    if publishers:
        item["publisher"] = "; ".join(
            rich_text(v) if n == "howpublished" else _literal_list(v) for n, v in publishers
        )
    if entry.get("origpublisher"):
        item["original-publisher"] = rich_text(entry["origpublisher"])
    place = entry.get("address") or (entry.get("location") if entry.type != "patent" else None)
    if place:
        item["publisher-place"] = _literal_list(place)
    if entry.type == "patent" and entry.get("location"):
        item["jurisdiction"] = _literal_list(entry["location"])
    if entry.get("origlocation"):
        item["original-publisher-place"] = _literal_list(entry["origlocation"])
    if entry.get("venue"):
        item["event-place"] = rich_text(entry["venue"])
    # dates
    for field_name, prefix, dst in (
        ("date", "", "issued"),
        ("eventdate", "event", "event-date"),
        ("origdate", "orig", "original-date"),
        ("urldate", "url", "accessed"),
    ):
        date = _a_date(entry, field_name, prefix)
        if date:
            item[dst] = date
    # numbers
    volume, part = _text(entry, "volume"), _text(entry, "part")
    if volume or part:
        item["volume"] = f"{volume}.{part}" if volume and part else volume or part
    number, issue = _text(entry, "number"), _text(entry, "issue")
    if number and entry.type in _IN_SERIES:
        item["collection-number"] = number
    elif entry.type in _ARTICLELIKE and (number or issue):
        item["issue"] = ", ".join(x for x in (number, issue) if x)
    elif number:
        item["number"] = number
    elif issue:
        item["issue"] = issue
    if entry.pages:
        item["page"] = entry.pages
    for src, dst in (
        ("pagetotal", "number-of-pages"),
        ("volumes", "number-of-volumes"),
        ("chapter", "chapter-number"),
        ("edition", "edition"),
        ("version", "version"),
        ("isbn", "ISBN"),
        ("issn", "ISSN"),
        ("pmid", "PMID"),
        ("pmcid", "PMCID"),
        ("library", "call-number"),
        ("ids", "other-ids"),
    ):
        if entry.get(src):
            item[dst] = _text(entry, src)
    genre = _genre(entry)
    if genre:
        item["genre"] = genre
    if entry.get("pubstate"):
        state = entry["pubstate"].strip()
        item["status"] = BIBSTRINGS.get(state, to_text(state))
    # identifiers and links
    if entry.get("doi"):
        # the resolver is not part of the DOI (styles add their own); its case is kept
        item["DOI"] = strip_doi_prefix(to_text(entry["doi"]))
    kind, eprint, eprint_class = _eprint(entry)
    if entry.url:
        item["URL"] = entry.url
    elif eprint and kind in _EPRINT_URLS:
        item["URL"] = _EPRINT_URLS[kind] + eprint
    if kind == "arxiv" and eprint:
        item.setdefault(
            "number", f"arXiv:{eprint}" + (f" [{eprint_class}]" if eprint_class else "")
        )
        if "publisher" not in item and "container-title" not in item:
            item["publisher"] = "arXiv"
    # notes
    notes = [
        rich_text(entry[n])
        for n in ("note", "addendum")
        if entry.get(n) and not (n == "note" and entry.type == "periodical")
    ]
    if notes:
        # a note starting "Word: ..." (Mendeley writes "ID: TN_...") would be read by
        # citeproc as a variable (that one replaces the item's id) and vanish
        item["note"] = _NOTE_VARIABLE.sub(
            r'\1<span class="nocase">\2</span>\3', _joined([(".", n) for n in notes])
        )
    if entry.annotation:
        item["annote"] = entry.annotation
    if entry.keywords:
        item["keyword"] = ", ".join(entry.keywords)
    if entry.get("abstract"):
        item["abstract"] = _text(entry, "abstract")
    return item


# -- ids --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class IdChange:
    """An entry exported under another id than its key: a duplicate key, or none."""

    entry: Entry
    ident: str
    first_line: int | None  # the line of the entry that kept the key (duplicates)

    @property
    def message(self) -> str:
        if not self.entry.key:
            return f"entry without a key; exported as {self.ident!r}"
        return (
            f"duplicate key {self.entry.key!r} (also on line {self.first_line}); "
            f"exported as {self.ident!r}"
        )


def unique_ids(entries: Sequence[Entry]) -> tuple[list[str], list[IdChange]]:
    """An id per entry, unique (case-insensitively, as keys are): the first entry with a
    key keeps it, later ones get ``key-2``, ``key-3``; an entry without a key gets
    ``line-N`` (its line).  No entry may vanish from a reference list because two share
    an id.  Returns the ids and the changes to report."""
    taken = {e.key.lower() for e in entries if e.key}
    first: dict[str, Entry] = {}
    ids: list[str] = []
    changes: list[IdChange] = []
    for e in entries:
        low = e.key.lower()
        if e.key and low not in first:
            first[low] = e
            ids.append(e.key)
            continue
        base = f"{e.key}-" if e.key else f"line-{e.line}"
        n = 2 if e.key else 1
        ident = f"{base}{n}" if e.key else base
        while ident.lower() in taken:
            n += 1
            ident = f"{base}{n}" if e.key else f"{base}-{n}"
        taken.add(ident.lower())
        ids.append(ident)
        changes.append(IdChange(e, ident, first[low].line if e.key else None))
    return ids, changes


def csl_items(entries: Sequence[Entry]) -> list[dict[str, Any]]:
    """CSL-JSON items for ``entries``, with unique ids (``unique_ids``)."""
    ids, _ = unique_ids(entries)
    return [to_csl(e, i) for e, i in zip(entries, ids)]
