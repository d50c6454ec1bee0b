"""How a ``refbook`` process ends, with or without Click: ``leave`` (the exit code, output
flushed, no interpreter teardown) and ``quiet_stdout`` (the reader of stdout left)."""

from __future__ import annotations

import os
import sys


def quiet_stdout() -> None:
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


def leave(code: int) -> None:
    """Exit without tearing the interpreter down, as mypy does: freeing every module and
    object one by one took 40-50 ms after `refbook check` (a sixth of its start-up), for
    nothing the operating system does not release anyway.  Exit handlers still run
    (temporary directories, logging) and output is flushed first; with a non-daemon
    thread still running, the normal exit waits for it instead."""
    import atexit
    import threading

    if any(not t.daemon for t in threading.enumerate() if t is not threading.main_thread()):
        return
    run_exit_handlers = getattr(atexit, "_run_exitfuncs", None)
    if run_exit_handlers is None:
        return  # not CPython: exit normally
    run_exit_handlers()
    try:
        if not sys.stdout.closed:  # `refbook lsp`: the server closed it at exit
            sys.stdout.flush()
    except BrokenPipeError:
        quiet_stdout()
        code = code or 1
    try:
        sys.stderr.flush()
    except OSError:
        pass
    os._exit(code)
