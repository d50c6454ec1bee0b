"""Data formats: one module per format, one registry.

Each format lives in one module of this package (``bibtex``, ``biblatex``, ``csl_json``,
``csl_yaml``, ``ris``, ``refbook_json``) with its own type table; a module that reads a format
has ``read(text, name) -> list[Draft]`` and ``detect(text) -> bool``, one that writes it
``write(entries) -> str`` and ``write_parts(entries)``, the same document in pieces, an
entry at a time (a cached export of 100,000 entries is never held whole).  ``FORMATS``
below is the only list of their names: the CLI takes its choices from it (``export
--format``: ``names(writes=True)``, ``add --from``: ``names(reads=True)``), and
``read``/``write``/``detect`` dispatch through it.

Importing this package imports no format module (``refbook --help`` stays fast); a
format's module is imported the first time it reads or writes.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from types import ModuleType
from typing import TYPE_CHECKING

from ..errors import UsageError

if TYPE_CHECKING:
    from ..model import Entry


@dataclass
class Draft:
    """A new entry read from elsewhere (a file, a DOI, a web page): its entry type and
    BibTeX field values, to be given a key and appended by the store."""

    entry_type: str
    fields: dict[str, str] = field(default_factory=dict)
    key: str | None = None  # kept when the source had one (BibTeX, RIS ID)
    source: str = ""  # where it came from, for messages


@dataclass(frozen=True)
class DataFormat:
    """One data format: its name on the command line, the module that reads and/or
    writes it, and what refbook knows about it."""

    name: str
    title: str  # as said in messages: "CSL-JSON"
    module: str  # under refbook.formats
    extensions: tuple[str, ...] = ()
    reads: bool = False
    writes: bool = False
    # the order in which content detection tries the format (lower first); None: the
    # format is never detected (another one reads the same text)
    detect_order: int | None = None
    # items are identified by CSL ids (refbook.csl.unique_ids): an entry may be written
    # under another id than its key, which the user is told
    csl_ids: bool = False
    # written in refbook's canonical layout on request (``export --normalize``)
    normalizes: bool = False

    def implementation(self) -> ModuleType:
        return importlib.import_module(f"{__name__}.{self.module}")

    def read(self, text: str, name: str = "<input>") -> list[Draft]:
        if not self.reads:
            raise UsageError(f"error: refbook cannot read {self.title}")
        reader: Callable[[str, str], list[Draft]] = self.implementation().read
        return reader(text, name)

    def write(self, entries: Sequence[Entry], *, normalize: bool = False) -> str:
        if not self.writes:
            raise UsageError(f"error: refbook cannot write {self.title}")
        if normalize and not self.normalizes:
            raise UsageError(f"error: {self.title} has no canonical layout to normalize to")
        module = self.implementation()
        return module.write(entries, normalize=True) if normalize else module.write(entries)

    def detect(self, text: str) -> bool:
        """Whether ``text`` looks like this format (formats with a ``detect_order``)."""
        return self.detect_order is not None and bool(self.implementation().detect(text))


FORMATS: dict[str, DataFormat] = {
    f.name: f
    for f in (
        DataFormat(
            "bibtex",
            "BibTeX",
            "bibtex",
            (".bib",),
            reads=True,
            writes=True,
            detect_order=3,
            normalizes=True,
        ),
        DataFormat("biblatex", "BibLaTeX", "biblatex", (".bib",), reads=True, writes=True),
        DataFormat(
            "csl-json",
            "CSL-JSON",
            "csl_json",
            (".json",),
            reads=True,
            writes=True,
            detect_order=1,
            csl_ids=True,
        ),
        DataFormat(
            "csl-yaml", "CSL-YAML", "csl_yaml", (".yaml", ".yml"), writes=True, csl_ids=True
        ),
        DataFormat(
            "ris", "RIS", "ris", (".ris",), reads=True, writes=True, detect_order=2, csl_ids=True
        ),
        DataFormat("json", "refbook JSON", "refbook_json", (".json",), writes=True),
    )
}


def names(*, reads: bool = False, writes: bool = False) -> tuple[str, ...]:
    """The formats' names in registry order; only those that refbook reads (``reads``)
    or writes (``writes``) when asked."""
    return tuple(
        f.name for f in FORMATS.values() if (f.reads or not reads) and (f.writes or not writes)
    )


def get(name: str) -> DataFormat:
    try:
        return FORMATS[name]
    except KeyError:
        raise UsageError(
            f"error: unknown data format {name!r} (known: {', '.join(FORMATS)})"
        ) from None


def detect(text: str, path: str | None = None) -> DataFormat:
    """The format of ``text``, by content; when the content says nothing, by the
    extension of ``path``.  ``UsageError`` when neither tells."""
    candidates = sorted(
        (f for f in FORMATS.values() if f.detect_order is not None),
        key=lambda f: f.detect_order or 0,
    )
    for fmt in candidates:
        if fmt.detect(text):
            return fmt
    if path:
        ext = os.path.splitext(path)[1].lower()
        for fmt in FORMATS.values():
            if fmt.reads and ext in fmt.extensions:
                return fmt
    readable = [f.title for f in candidates]
    raise UsageError(
        f"error: cannot tell the format of the input ({', '.join(readable[:-1])} "
        f"or {readable[-1]}?); use --from"
    )


def read(text: str, fmt: str | None = None, name: str = "<input>") -> list[Draft]:
    """Drafts of the entries in ``text``, in format ``fmt`` (detected when None: by
    content, else by the extension of ``name``); a problem with the input is an
    ``InputError`` naming ``name``, and nothing is read."""
    data_format = get(fmt) if fmt else detect(text, name)
    return data_format.read(text, name)


def write(entries: Sequence[Entry], fmt: str, *, normalize: bool = False) -> str:
    """``entries`` as a document in data format ``fmt``."""
    return get(fmt).write(entries, normalize=normalize)


def streamed(entries: Sequence[Entry], columns: Sequence[str]) -> Iterable[Entry]:
    """The entries for a writer's one pass that reads ``columns`` of each (``item``: the
    record, ``csl``: the CSL item): from the library cache (``cache.parts.Selection``)
    read in one pass, each let go once the writer moves on; other entries as they are."""
    with_parts = getattr(entries, "with_parts", None)
    return entries if with_parts is None else with_parts(columns)


def with_csl_items(
    entries: Sequence[Entry], columns: Sequence[str] = ("item", "csl")
) -> Iterator[tuple[Entry, dict]]:
    """Each entry with its CSL item, ids made unique as ``csl.csl_items`` makes them, one
    at a time (the cache's stored items read in one pass, with ``columns``)."""
    from ..csl import to_csl, unique_ids

    ids = unique_ids(entries)[0]
    for entry, ident in zip(streamed(entries, columns), ids):
        yield entry, to_csl(entry, ident)


def write_parts(entries: Sequence[Entry], fmt: str, *, normalize: bool = False) -> Iterator[str]:
    """The document ``write`` gives, in pieces: a format module with ``write_parts``
    gives its items one by one (a large export is never held whole), another one piece."""
    data_format = get(fmt)
    parts = getattr(data_format.implementation(), "write_parts", None)
    if parts is None or normalize or not data_format.writes:
        return iter([data_format.write(entries, normalize=normalize)])
    return parts(entries)
