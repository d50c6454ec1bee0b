"""A dictionary changed without copying it: ``Overlay``, a shared base that is never
changed and the keys changed since (``changed``), for indexes of 100,000 entries that an
edit changes a few of while the version before goes on being read (the language
server's author-year matcher after an edit of the .bib: seven such dictionaries copied
per keystroke were ~50 ms)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")

_GONE: Any = object()  # (a key taken out since the base)
_MISSING: Any = object()
# the changes folded into a new base once they are this many (and this part of the base):
# a copy of the whole every few hundred edits, instead of at every one
FOLD_AT = 4096
FOLD_PART = 8


class Overlay(Mapping[K, V], Generic[K, V]):
    """``base`` as changed by ``changed`` (a key -> its value, or taken out).  ``edited``
    gives a new one to change, this one left as it is (its readers unaffected): the
    changes so far copied, the base shared."""

    __slots__ = ("base", "changed", "size")

    def __init__(self, base: Mapping[K, V], changed: dict[K, V] | None = None) -> None:
        if isinstance(base, Overlay):  # (one level: a lookup is two dictionary reads)
            changed = {**base.changed, **(changed or {})}
            base = base.base
        self.base: Mapping[K, V] = base
        self.changed: dict[K, V] = changed or {}
        self.size = len(base) + sum((v is not _GONE) - (k in base) for k, v in self.changed.items())

    def edited(self) -> Overlay[K, V]:
        """A copy to change (the changes folded into a new base when they are many)."""
        if len(self.changed) > max(FOLD_AT, len(self.base) // FOLD_PART):
            return Overlay(dict(self.items()))
        out = Overlay.__new__(Overlay)
        out.base, out.changed, out.size = self.base, dict(self.changed), self.size
        return out

    def __getitem__(self, key: K) -> V:
        value = self.changed.get(key, _MISSING)
        if value is _MISSING:  # (``get``: a defaultdict base is not added to)
            value = self.base.get(key, _GONE)
        if value is _GONE:
            raise KeyError(key)
        return value

    def get(self, key: K, default: Any = None) -> Any:
        value = self.changed.get(key, _MISSING)
        if value is _MISSING:
            return self.base.get(key, default)
        return default if value is _GONE else value

    def __contains__(self, key: object) -> bool:
        value = self.changed.get(key, _MISSING)  # type: ignore[arg-type]
        if value is _MISSING:
            return key in self.base
        return value is not _GONE

    def __setitem__(self, key: K, value: V) -> None:
        if key not in self:
            self.size += 1
        self.changed[key] = value

    def __delitem__(self, key: K) -> None:
        if key not in self:
            raise KeyError(key)
        self.size -= 1
        self.changed[key] = _GONE

    def pop(self, key: K, default: Any = _MISSING) -> Any:
        value = self.get(key, _MISSING)
        if value is _MISSING:
            if default is _MISSING:
                raise KeyError(key)
            return default
        del self[key]
        return value

    def __len__(self) -> int:
        return self.size

    def __iter__(self) -> Iterator[K]:
        changed = self.changed
        for key in self.base:
            if key not in changed:
                yield key
        for key, value in changed.items():
            if value is not _GONE:
                yield key
