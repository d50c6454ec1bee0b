"""Control characters: the one definition of what must never reach a terminal raw.

C0 controls but tab and newline, DEL, C1 controls, a CR that does not end a line (CR LF
does), and the bidirectional overrides and isolates U+202A-202E and U+2066-2069 ("Trojan
Source": they make a terminal show text in another order than it is stored).  The output
layer escapes them (``refbook.output.visible``); the ``control-character`` lint rule
reports them in a .bib.
"""

from __future__ import annotations

import re

# a regex character-class body; CR (\x0d) is not in it (see ``LONE_CR``)
CONTROL_CHARS = r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069"
LONE_CR = r"\r(?!\n)"


def control_pattern(extra: str = "") -> re.Pattern[str]:
    """One control character (or a lone CR); ``extra`` adds to the class."""
    return re.compile(rf"[{CONTROL_CHARS}{extra}]|{LONE_CR}")


def maybe_control_pattern(extra: str = "") -> re.Pattern[str]:
    """A single character class that finds every control character and any CR: one fast
    scan for the usual text that has none (a CR found must still be checked)."""
    return re.compile(rf"[{CONTROL_CHARS}\x0d{extra}]")
