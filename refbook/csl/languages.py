"""An entry's language (``langid``, ``hyphenation``, ``language``) as an IETF tag, and
whether its titles are sentence-cased (English, or unknown)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from ..latex import to_text

if TYPE_CHECKING:
    from ..model import Entry

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
