"""CSL-YAML: written (``export --format csl-yaml``) as pandoc reads it, ``references:``
in a YAML document; the items are CSL-JSON's (``refbook.csl``), so the type table is
``refbook.csl.types``'."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..model import Entry


_STRING = json.encoder.encode_basestring  # json.dumps(text, ensure_ascii=False), in C


def _scalar(value: Any) -> str:
    return _STRING(value) if type(value) is str else json.dumps(value, ensure_ascii=False)


def yaml(value: Any, indent: int = 0) -> str:
    """A minimal YAML emitter (JSON scalars are valid YAML double-quoted scalars)."""
    pad = "  " * indent
    if isinstance(value, dict):
        return "\n".join(
            f"{pad}{k}:"
            + (
                ("\n" + yaml(v, indent + 1))
                if isinstance(v, (dict, list)) and v
                else " " + _scalar(v)
            )
            for k, v in value.items()
        )
    if isinstance(value, list):
        lines = []
        for v in value:
            if isinstance(v, dict):
                inner = yaml(v, indent + 1).lstrip()
                lines.append(f"{pad}- {inner}")
            elif isinstance(v, list):
                lines.append(f"{pad}- " + json.dumps(v))
            else:
                lines.append(f"{pad}- " + _scalar(v))
        return "\n".join(lines)
    return pad + _scalar(value)


def write(entries: Sequence[Entry]) -> str:
    """CSL YAML as pandoc reads it (``references:`` in a YAML document)."""
    return "".join(write_parts(entries))


def write_parts(entries: Sequence[Entry]) -> Iterator[str]:
    """``write``'s document in pieces, an item at a time (``yaml`` of the list of items
    writes each so, a line apart)."""
    from . import with_csl_items

    yield "---\nreferences:\n"
    for i, (_, item) in enumerate(with_csl_items(entries, ("csl",))):
        text = yaml([item], 1)
        yield "\n" + text if i else text
    yield "\n...\n"
