"""``Checker.run``'s loop: targets read one by one and handed out while the first requests
are already on the wire; a URL's requests made by the lean engine (``links.wire``) in this
thread, a DOI's checks (several registry requests, through urllib3) on worker threads
started as they are needed; at most ``limit`` targets in flight at once."""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterable, Mapping
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from .wire import Reply, Wire

if TYPE_CHECKING:
    from ..cache.entry import RecordEntry
    from ..model import Entry
    from .checker import Checker
    from .targets import Target
    from .verdicts import Result

Hops = Generator[tuple[str, str], Reply, "Result"]


def run_lean(
    checker: Checker,
    targets: Iterable[Target],
    entries: Mapping[str, Entry | RecordEntry],
    progress: Callable[[Result], None] | None,
    results: dict[int, Result],
    limit: int,
    idle: Callable[[], bool] | None = None,
) -> int:
    """Check ``targets`` into ``results`` (by their position); the number of targets.  An
    error while reading them (or Ctrl-C) is raised at once: what is in flight is dropped.
    ``idle``: work done a piece at a time while nothing is ready (True: a piece was done)."""
    o = checker.options
    registries = frozenset(
        urlsplit(u).hostname or "" for u in (o.doi_resolver, o.crossref_api, o.datacite_api)
    )
    wire = Wire(checker.client, delegated=registries, threads=limit)
    in_flight = 0

    def finish(i: int, result: Result) -> None:
        nonlocal in_flight
        in_flight -= 1
        results[i] = result
        if progress:
            progress(result)

    def drive(i: int, hops: Hops, reply: Reply | None) -> None:
        try:
            method, url = next(hops) if reply is None else hops.send(reply)
        except StopIteration as stop:
            finish(i, checker.remember(stop.value))
            return
        wire.request(method, url, lambda answer: drive(i, hops, answer))

    def wait() -> None:
        while idle is not None and idle():
            if wire.poll(0):
                return
        wire.poll(None)

    count = 0
    todo = iter(targets)
    try:
        while True:
            while in_flight < limit:
                target = next(todo, None)
                if target is None:
                    break
                i, count, in_flight = count, count + 1, in_flight + 1
                if target.kind != "url":
                    entry = entries.get(target.key)
                    wire.in_thread(
                        lambda t=target, e=entry: checker._check(t, e),  # type: ignore[misc]
                        lambda result, i=i: finish(i, result),  # type: ignore[misc]
                        urllib3=True,
                    )
                elif (settled := checker.settled(target)) is not None:
                    finish(i, settled)
                else:
                    drive(i, checker.url_hops(target), None)
                wire.poll(0)  # the request out before the next target is read
            else:
                wait()
                continue
            if in_flight == 0:
                return count
            wait()
    finally:
        wire.close()
        checker.reached = checker.reached or wire.reached
