"""Errors refbook raises, each carrying the exit code the CLI turns it into.

Exit codes (documented in the README and in ``refbook --help``):

====  =====================================================================
0     success
1     findings (lint/check problems, missing citations) or nothing found
2     usage error (bad option, malformed query, unknown style name)
3     unreadable or unparseable input (the .bib or another input file)
4     configuration error (bad refbook.toml, missing/too old pandoc, bad .csl)
5     a file could not be written: the .bib (read-only, changed on disk since it was read,
      lock timeout, disk full…) or an -o output
6     network error: fetching data failed (``refbook add --doi``), or ``check`` reached no network
====  =====================================================================
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2
EXIT_INPUT = 3
EXIT_CONFIG = 4
EXIT_WRITE = 5
EXIT_NETWORK = 6


class RefbookError(Exception):
    """Base class: ``str(err)`` is the one-line message shown to the user."""

    exit_code = EXIT_INPUT


class NotFoundError(RefbookError):
    """A key (or anything else asked for by name) is not in the bibliography."""

    exit_code = EXIT_FINDINGS


class UsageError(RefbookError):
    exit_code = EXIT_USAGE


class InputError(RefbookError):
    """The .bib (or another input file) cannot be read or yields no entries."""

    exit_code = EXIT_INPUT


class ConfigError(RefbookError):
    exit_code = EXIT_CONFIG


class WriteError(RefbookError):
    """Writing was refused or failed: a read-only file, the file changed on disk, the lock
    timed out, or the OS said no (disk full, read-only file system…)."""

    exit_code = EXIT_WRITE


class NetworkError(RefbookError):
    exit_code = EXIT_NETWORK
