"""Work spread over the machine's cores: the first group done in this process, the
others in forked worker processes, the results in order.

A large shared input (the file's text) is not sent to the workers: they inherit it when
forked (``SHARED``), so only the groups (small lists) go out and the results come back.
Workers never touch a SQLite connection (the parent's is not theirs after a fork).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from typing import Any

MAX_WORKERS = 8
SHARED: Any = None  # the shared input, as forked workers see it


def cores() -> int:
    return min(os.cpu_count() or 1, MAX_WORKERS)


def _with_shared(fn: Callable[[Any, Any], Any], group: Any) -> Any:
    return fn(SHARED, group)


def pooled(fn: Callable[[Any, Any], Any], shared: Any, groups: Sequence[Any]) -> Iterator[Any]:
    """``fn(shared, group)`` for each of ``groups``, in order: the first in this process
    while workers do the others (forked, so that they inherit ``shared``; where a fork
    cannot be made, ``shared`` is sent to them)."""
    global SHARED
    if len(groups) < 2:
        yield from (fn(shared, g) for g in groups)
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    fork = "fork" in multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if fork else None)
    SHARED = shared
    try:
        with ProcessPoolExecutor(len(groups) - 1, mp_context=context) as pool:
            futures = [
                pool.submit(_with_shared, fn, g) if fork else pool.submit(fn, shared, g)
                for g in groups[1:]
            ]
            yield fn(shared, groups[0])
            for future in futures:
                yield future.result()
    finally:
        SHARED = None
