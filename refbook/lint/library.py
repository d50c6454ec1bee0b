"""Rules over the whole library as one pass over the entries that keeps compact facts.

A ``LibraryPass`` sees every entry once, in file order, by its place (``at``: 0, 1, …)
and keeps only what it compares (a title key and a place, a DOI and a place); after the
pass it names the entries it flags (``Flag``: the flagged entry's place, the place of
the entry its message names, or the message itself).  The runner (``lint.runner``)
reads the flagged entries again as its pass of the per-entry rules reaches them, so a
library of 100k entries is never held whole; ``check_all`` runs a pass over a list of
entries and gives ``Issue``s, as the rules over the whole library always did (the
language server calls it)."""

from __future__ import annotations

from array import array
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, NamedTuple

from ..model import Entry
from .registry import Context, Issue


class Flag(NamedTuple):
    at: int  # the flagged entry's place
    other: int  # the place of the entry the message names (-1: none)
    text: str | None = None  # the message, when made already (``message`` otherwise)


class LibraryPass:
    """One rule over the whole library: ``see`` each entry, then ``flags``."""

    field: str | None = None  # the field the findings point at

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def see(self, at: int, entry: Entry) -> None:
        raise NotImplementedError

    def flags(self, entry_at: Callable[[int], Any]) -> Iterable[Flag]:
        """The entries flagged, in the order the rule reports them (``entry_at``: an
        entry read again by its place)."""
        raise NotImplementedError

    def message(self, flagged: Any, other: Any) -> str:
        """The message of a flag whose ``text`` is None (``other``: the entry it names,
        or its key and line only)."""
        raise NotImplementedError


class SameValuePass(LibraryPass):
    """A rule flagging every entry whose ``value`` (a title key, a DOI…) an earlier entry
    has: one dict of value -> the place of its first entry, the flags in two arrays."""

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        self.first: dict[str, int] = {}
        self.at = array("q")  # the entries flagged, and the first of their value
        self.other = array("q")

    def value(self, entry: Entry) -> str | None:
        """What two entries must not share (None: nothing to compare)."""
        raise NotImplementedError

    def see(self, at: int, entry: Entry) -> None:
        value = self.value(entry)
        if value is not None:
            first = self.first.setdefault(value, at)
            if first != at:
                self.at.append(at)
                self.other.append(first)

    def flags(self, entry_at: Callable[[int], Any]) -> Iterator[Flag]:
        return (Flag(at, other) for at, other in zip(self.at, self.other))


def check_all(kind: type[LibraryPass]) -> Callable[[Sequence[Entry], Context], Iterator[Issue]]:
    """The rule as a function over a list of entries, giving ``Issue``s with keys."""

    def run(entries: Sequence[Entry], ctx: Context) -> Iterator[Issue]:
        entries = entries if isinstance(entries, list) else list(entries)
        found = kind(ctx)
        for at, e in enumerate(entries):
            found.see(at, e)
        for flag in found.flags(entries.__getitem__):
            e = entries[flag.at]
            text = flag.text
            if text is None:
                text = found.message(e, entries[flag.other])
            yield Issue(text, kind.field, key=e.key)

    run.__doc__ = kind.__doc__
    return run
