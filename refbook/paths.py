"""Where refbook keeps its own files: user config and cache directories (platformdirs).

``REFBOOK_CACHE_DIR`` and ``REFBOOK_CONFIG_DIR`` override the platform defaults (tests and
CI use them to stay out of the real home directory).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import sqlite3

# marks a SQLite file as one of refbook's caches (PRAGMA application_id): "rfk1"
SQLITE_APPLICATION_ID = 0x72666B31


def cache_dir() -> Path:
    env = os.environ.get("REFBOOK_CACHE_DIR")
    if env:
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_cache_dir("refbook", appauthor=False))


def config_dir() -> Path:
    env = os.environ.get("REFBOOK_CONFIG_DIR")
    if env:
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_config_dir("refbook", appauthor=False))


def is_own_file(path: str | os.PathLike) -> bool:
    """``path`` is a regular file (not a symbolic link) owned by the current user.

    refbook reads a cache file only then: one that another user put in its place (or a
    link to somewhere else) is ignored and rebuilt.  Caches hold SQLite and JSON only,
    never an executable serialisation (pickle, marshal), so even a file that passes
    this test can hold wrong data but never run code."""
    try:
        st = os.lstat(path)
    except OSError:
        return False
    getuid = getattr(os, "getuid", None)  # not on Windows, where the user's profile is theirs
    return stat.S_ISREG(st.st_mode) and (getuid is None or st.st_uid == getuid())


def distrust_schema(conn: sqlite3.Connection) -> None:
    """SQLite settings for a file that could have been tampered with: no SQL functions
    run from its schema (triggers, views), as SQLite's security guidance advises."""
    conn.execute("PRAGMA trusted_schema = OFF")
