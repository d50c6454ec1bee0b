"""Starting a bibliography: ``refbook init`` writes a new .bib with a short header and,
if asked, a ``refbook.toml`` beside it; it never overwrites a file."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from .errors import WriteError

BIB_HEADER = """\
% {name}: an annotated bibliography, kept with refbook.
%
% One BibTeX entry per work, with an `annotation` field saying what the source argues
% and what you use it for. Add entries with `refbook add --doi DOI` (or a .bib, .ris or
% CSL-JSON file), check them with `refbook lint` and `refbook check`, and cite them
% with `refbook cite KEY` or `refbook export`. Text outside entries, like these lines,
% is a comment to BibTeX, biber and refbook alike.
"""

CONFIG = """\
# refbook settings for this project (`refbook config` shows every setting and where its
# value comes from).
bib = "{bib}"

# New citation keys (JabRef syntax): zahid2023dealing
key_pattern = "[auth:lower][year][shorttitle:lower]"

[export]
style = "apa"   # apa, mla, chicago, harvard, ieee, vancouver, or a .csl file

[check]
# mailto = "you@example.org"   # Crossref's polite pool
"""


@dataclass
class Created:
    """The files ``init`` wrote, in order."""

    paths: list[str] = field(default_factory=list)


def init_project(
    bib: str | os.PathLike = "references.bib", *, config: str | os.PathLike | None = None
) -> Created:
    """Create ``bib`` (a header, no entries) and, when ``config`` names one, a
    ``refbook.toml`` whose ``bib`` points at it.  Refuses (``WriteError``, exit 5) when
    either exists -- checked for both before anything is written -- and creates each file
    exclusively, so that a file appearing meanwhile is not overwritten either."""
    targets = [Path(bib)] + ([Path(config)] if config is not None else [])
    for path in targets:
        if path.exists() or path.is_symlink():
            raise WriteError(
                f"{path}: error: already exists; refbook init never overwrites "
                "a file (use another name, or add to it with `refbook add`)"
            )
        if not path.parent.is_dir():
            raise WriteError(f"{path}: error: no such directory {str(path.parent)!r}")
    created = Created()
    texts = [BIB_HEADER.format(name=Path(bib).name)]
    if config is not None:
        relative = os.path.relpath(Path(bib).resolve(), Path(config).resolve().parent)
        texts.append(CONFIG.format(bib=Path(relative).as_posix().replace('"', '\\"')))
    try:
        for path, text in zip(targets, texts):
            _create(path, text)
            created.paths.append(str(path))
    except OSError as exc:
        for done in created.paths:  # all or nothing
            os.unlink(done)
        raise WriteError(
            f"{exc.filename or targets[0]}: error: cannot create ({exc.strerror or exc})"
        ) from None
    return created


def _create(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
        fh.write(text)
