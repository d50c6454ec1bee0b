"""Rendering of ``refbook cache``: where the library cache is, its size, the last run."""

from __future__ import annotations

from typing import IO, Any

from . import JSON, emit_json, emit_table


def _size(n: int) -> str:
    return f"{n / 2**20:.1f} MiB" if n >= 2**20 else f"{n / 2**10:.0f} KiB"


def render_info(
    info: Any, mode: str, *, disabled: bool = False, stream: IO[str] | None = None
) -> None:
    data = info.to_dict()
    if mode == JSON:
        emit_json({**data, "disabled": disabled}, stream)
        return
    last = info.last_run or {}
    run = ", ".join(f"{k} {v}" for k, v in last.items()) if last else "-"
    rows = [
        ("directory", info.directory),
        ("file", info.file or "(no bibliography)"),
        ("exists", "yes" if info.exists else "no"),
        ("size", _size(info.size) if info.exists else "-"),
        ("entries", "-" if info.entries is None else str(info.entries)),
        ("mode", info.mode or "-"),
        ("fresh", "-" if info.fresh is None else "yes" if info.fresh else "no"),
        ("last run", run),
        ("all caches", f"{info.files} files, {_size(info.total_size)}"),
    ]
    if disabled:
        rows.append(("--no-cache", "given: this run does not use the cache"))
    emit_table(("cache", "value"), rows, mode, stream=stream)


def render_cleared(removed: int, freed: int, mode: str, stream: IO[str] | None = None) -> None:
    if mode == JSON:
        emit_json({"removed": removed, "bytes": freed}, stream)
        return
    emit_table(("removed", "freed"), [(f"{removed} files", _size(freed))], mode, stream=stream)
