"""The lint registry: ``RULES`` (rule id -> ``Rule``), the ``@rule`` decorator that fills
it, and what a rule gets and gives (``Context``, ``Issue``)."""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable
from dataclasses import dataclass, field

from ..findings import Severity
from ..model import Entry


@dataclass
class Issue:
    message: str
    field: str | None = None
    fix: tuple[str, str] | None = None  # (field, new value): a safe fix
    key: str | None = None  # for library-wide rules: the entry concerned
    line: int | None = None  # where, when not the field's (first) line (file rules: the defect's)


@dataclass(frozen=True)
class Rule:
    id: str
    family: str
    severity: Severity
    doc: str
    check: Callable | None = None  # per entry
    check_all: Callable | None = None  # over the whole library
    fixable: bool = False
    check_file: Callable | None = (
        None  # over the file's blocks (a BibFile, or the CachedLibrary: its problems)
    )
    # a rule over the whole library as a pass keeping compact facts (``lint.library``):
    # the runner's way of running ``check_all``
    library_pass: type | None = None


RULES: dict[str, Rule] = {}


def rule(
    id: str,
    family: str,
    severity: Severity | str,
    doc: str,
    *,
    library: bool = False,
    fixable: bool = False,
    file: bool = False,
) -> Callable[[Callable], Callable]:
    """Register the decorated function as rule ``id``: it checks one entry (the default),
    the whole library (``library``: a ``lint.library.LibraryPass``, run over a list as
    ``check_all``, whose issues give their ``key``) or the file's blocks (``file``: it
    gives each issue's ``line``)."""

    def register(fn: Callable) -> Callable:
        whole = None
        if library:
            from .library import LibraryPass, check_all

            if not (isinstance(fn, type) and issubclass(fn, LibraryPass)):
                raise TypeError(f"rule {id}: a rule over the whole library is a LibraryPass")
            whole, fn = fn, check_all(fn)
        RULES[id] = Rule(
            id,
            family,
            Severity(severity),
            doc,
            None if library or file else fn,
            fn if library else None,
            fixable,
            fn if file else None,
            whole,
        )
        return whole or fn

    return register


@dataclass
class Context:
    today: _dt.date = field(default_factory=_dt.date.today)
    protected_words: set[str] = field(default_factory=set)


def has(entry: Entry, name: str) -> bool:
    names = _ALTERNATIVES.get(name)
    if names is None:
        names = _ALTERNATIVES[name] = tuple(name.split("|"))
    for n in names:
        value = entry.get(n)
        if value and value.strip():
            return True
    return False


_ALTERNATIVES: dict[str, tuple[str, ...]] = {}  # "year|date" -> ("year", "date")
