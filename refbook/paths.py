"""Where refbook keeps its own files: user config and cache directories (platformdirs).

``REFBOOK_CACHE_DIR`` and ``REFBOOK_CONFIG_DIR`` override the platform defaults (tests and
CI use them to stay out of the real home directory).
"""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import sqlite3

# marks a SQLite file as one of refbook's caches (PRAGMA application_id): "rfk1"
SQLITE_APPLICATION_ID = 0x72666B31


def cache_dir() -> Path:
    env = os.environ.get("REFBOOK_CACHE_DIR")
    if env:
        return Path(env)
    return Path(_platformdirs().user_cache_dir("refbook", appauthor=False))


def config_dir() -> Path:
    env = os.environ.get("REFBOOK_CONFIG_DIR")
    if env:
        return Path(env)
    return Path(_platformdirs().user_config_dir("refbook", appauthor=False))


# what platformdirs' Unix module takes from tempfile, for its runtime directory only
_TEMPFILE_CALLED = frozenset({"TemporaryFile", "gettempdir", "gettempdirb", "mkdtemp", "mkstemp"})


def _platformdirs() -> ModuleType:
    """platformdirs, imported without importing tempfile when nothing else has yet.

    Its Unix module imports tempfile at its top for its runtime directory alone; with
    tempfile come shutil, random, bz2 and lzma: ~9 ms of the ~60 ms a warm ``refbook
    show KEY`` or key completion takes, on every run, to find two directory names.  So
    while platformdirs is imported, ``tempfile`` is a stand-in whose functions import
    the real module when they are called (any other name imports it at once); it is
    gone from ``sys.modules`` afterwards, and the first real ``import tempfile`` imports
    the real one."""
    if "platformdirs" in sys.modules or "tempfile" in sys.modules:
        import platformdirs

        return platformdirs
    stand_in = _LazyTempfile("tempfile")
    sys.modules["tempfile"] = stand_in
    try:
        import platformdirs
    finally:
        if sys.modules.get("tempfile") is stand_in:
            del sys.modules["tempfile"]
    return platformdirs


def _real_tempfile() -> ModuleType:
    if isinstance(sys.modules.get("tempfile"), _LazyTempfile):
        del sys.modules["tempfile"]
    import tempfile

    return tempfile


class _LazyTempfile(ModuleType):
    """``tempfile`` while platformdirs is imported (``_platformdirs``)."""

    def __getattr__(self, name: str) -> object:
        if name.startswith("__"):  # the import system asking (``__path__``…)
            raise AttributeError(name)
        if name not in _TEMPFILE_CALLED:
            return getattr(_real_tempfile(), name)

        def call(*args: object, **kwargs: object) -> object:
            return getattr(_real_tempfile(), name)(*args, **kwargs)

        call.__name__ = call.__qualname__ = name
        return call


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
