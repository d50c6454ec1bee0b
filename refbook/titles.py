"""Titles as text for matching: one home for the comparison key and the stop words.

Lint's ``duplicate-title``/``similar-title`` rules, ``refbook dedupe`` and ``add``'s
duplicate check compare titles by ``title_key`` and block them by their first
``significant_words``, so that they agree on what "the same title" is.  Like
``refbook.identifiers`` (DOIs, URLs), nothing here decodes LaTeX fully or touches the
network: a key is cheap enough to compute for every entry of a large file.
"""

from __future__ import annotations

import re

from .latex import fold

# short words that say nothing about which work a title names
STOP_WORDS = frozenset(
    {"a", "an", "the", "of", "on", "in", "and", "to", "for", "with", "is", "at", "by"}
)
# a LaTeX command (an accent's letter after it stays) and the braces around words: a
# brace inside a word (Schr{\"o}der) must not split it
_COMMAND = re.compile(r"\\[A-Za-z]+|\\.|[{}]")
_WORD = re.compile(r"\w+")


def title_key(raw_title: str) -> str:
    """A comparison key for titles: LaTeX commands dropped (an accent command's letter
    stays: Schr{\\"o}der -> schroder), accents and case folded, punctuation ignored.
    Cheaper than decoding every title, and equal for the same title however written."""
    return " ".join(_WORD.findall(fold(_COMMAND.sub("", raw_title))))


def significant_words(key: str) -> list[str]:
    """The words of a ``title_key`` that are not ``STOP_WORDS``, in order."""
    return [w for w in key.split() if w not in STOP_WORDS]
