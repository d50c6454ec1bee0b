"""Where refbook keeps its own files: user config and cache directories (platformdirs).

``REFBOOK_CACHE_DIR`` and ``REFBOOK_CONFIG_DIR`` override the platform defaults (tests and
CI use them to stay out of the real home directory).
"""

from __future__ import annotations

import os
from pathlib import Path


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
