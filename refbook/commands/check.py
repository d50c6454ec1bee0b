"""refbook check"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from ..config import SETTINGS
from ..errors import EXIT_FINDINGS, EXIT_OK
from ..findings import Severity
from ..output.findings import NAMES as FINDINGS_FORMATS
from ._common import (
    bib_encoding,
    bib_option,
    bib_path,
    cache_enabled,
    complete_keys,
    get_config,
    open_library,
    refuse_together,
    reported_edit,
    requires,
)

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

    from ..cache.entry import RecordEntry
    from ..cache.library import CachedLibrary
    from ..config import Config
    from ..links import Checker, Result, ResultCache
    from ..output.check import EncodedResults


def _default(name: str) -> Any:
    """The default of setting ``check.<name>``, for the help texts."""
    return SETTINGS[f"check.{name}"].default


@click.command("check")
@click.argument("keys", nargs=-1, shell_complete=complete_keys)
@click.option("-q", "--query", metavar="QUERY", help="Only entries matching a search query.")
@click.option("--dois-only", is_flag=True, help="Check DOIs only.")
@click.option("--urls-only", is_flag=True, help="Check URLs only.")
@click.option("--offline", is_flag=True, help="Syntax only; no network.")
@click.option("--strict", is_flag=True, help="Also fail on blocked, timeout, rate-limited, error.")
@click.option(
    "--fail-on",
    type=click.Choice([s.value for s in Severity]),
    help="Lowest severity that makes the exit code 1 (default: check.fail_on, error).",
)
@click.option(
    "--changed-since",
    metavar="REF",
    help="Only entries added or changed since git revision REF (a pull request's base).",
)
@click.option(
    "--update-preprints",
    is_flag=True,
    help="Show how preprints with a published version would be updated (with --apply: "
    "update them).",
)
@click.option("--apply", is_flag=True, help="With --update-preprints: write the updates.")
@click.option(
    "--exclude",
    "exclude",
    multiple=True,
    metavar="REGEX",
    help="Do not check URLs and DOIs this regular expression matches (repeatable; "
    "adds to check.exclude).",
)
@click.option(
    "--concurrency",
    type=click.IntRange(1, 512),
    help=f"Requests at once ({_default('concurrency')}).",
)
@click.option(
    "--per-host",
    type=click.IntRange(1, 64),
    help=f"Requests at once per host ({_default('per_host')}).",
)
@click.option(
    "--timeout",
    type=click.FloatRange(0, min_open=True),
    help=f"Seconds per request ({_default('timeout'):g}).",
)
@click.option(
    "--retries",
    type=click.IntRange(0, 10),
    help=f"Retries for timeouts/5xx ({_default('retries')}).",
)
@click.option(
    "--max-age", metavar="AGE", help=f"Reuse cached results this young ({_default('max_age')})."
)
@click.option(
    "--updates-max-age",
    metavar="AGE",
    help="Ask a DOI's record again (retractions, corrections, published versions) after "
    f"AGE ({_default('updates_max_age')}).",
)
@click.option("--no-cache", is_flag=True, help="Neither read nor write the results cache.")
@click.option("--allow-private", is_flag=True, help=SETTINGS["check.allow_private"].help)
@click.option("--format", "fmt", type=click.Choice(FINDINGS_FORMATS), help="Output format.")
@click.option("--json", "as_json", is_flag=True, help="Same as --format json.")
@bib_option
def command(
    keys: tuple[str, ...],
    query: str | None,
    dois_only: bool,
    urls_only: bool,
    offline: bool,
    strict: bool,
    fail_on: str | None,
    changed_since: str | None,
    update_preprints: bool,
    apply: bool,
    exclude: tuple[str, ...],
    concurrency: int | None,
    per_host: int | None,
    timeout: float | None,
    retries: int | None,
    max_age: str | None,
    updates_max_age: str | None,
    no_cache: bool,
    allow_private: bool,
    fmt: str | None,
    as_json: bool,
) -> int:
    """Check DOIs (do they exist, do they describe this work?) and URLs (do they answer?).

    Verdicts: ok, redirected, broken, mismatch, blocked, timeout, rate-limited, error,
    excluded; for DOIs also retracted, withdrawn, expression-of-concern, corrected,
    notice, has-published-version. Exit code 1 when a URL or DOI is broken, a DOI points
    to another work or to a retracted or withdrawn work, or a DOI or URL is malformed
    (with --strict also on blocked, timeout, rate-limited, error; with --fail-on warning
    on every warning).
    Exit code 6 when the network cannot be reached at all (no name resolves, no route):
    one line says how many links were not checked.
    """
    from ..cli import keep_until_exit
    from ..errors import NetworkError
    from ..links import Checker, Options, iter_targets
    from ..output import choose_mode
    from ..output.check import render

    _refuse_conflicts(click.get_current_context(), fmt, update_preprints)
    cfg = get_config()
    _check_exclusions(cfg, exclude)
    threshold = fail_on or cfg["check.fail_on"]  # a config file's value is checked on load
    lib: Any = open_library(  # lines of fields from the lint records; -q: search
        cached=not update_preprints and _library_cache_exists(),
        needs=("lint", *(("search",) if query else ())),
    )
    # offline, no entry is looked up by key: a cached library's are not kept
    entries, by_key, count = _entries(lib, keys, query, changed_since, keep=not offline)
    # an iterator: requests start on the first targets while the rest are read
    targets: Any = iter_targets(
        entries, dois=not urls_only, urls=not (dois_only or update_preprints)
    )
    opts = Options.from_config(
        cfg,
        concurrency=concurrency,
        per_host=per_host,
        timeout=timeout,
        retries=retries,
        offline=offline,
        allow_private=allow_private or None,
        exclude=(*cfg["check.exclude"], *exclude),
    )
    cache = None if no_cache or offline else _result_cache(cfg, max_age, updates_max_age)
    mode = "json" if as_json else fmt or ("table" if choose_mode(False) == "rich" else "plain")
    checker = Checker(opts, cache)
    if offline:  # written as they come: at 100k entries the results are never all held
        from ..output.check import render_each

        failed: list[Result] = []
        noted = _noted(checker.offline_results(targets), failed, strict, threshold)
        render_each(noted, mode, lib.path, strict)
        keep_until_exit(lib, by_key, checker)
        return EXIT_FINDINGS if failed else EXIT_OK
    results, encoded = _run(checker, targets, by_key, count, "bar" if mode == "table" else mode)
    if checker.network_down:
        # one line, not one finding per link; machine formats still get every result
        if mode not in ("table", "plain"):
            render(results, mode, lib.path, strict)
        unchecked = sum(r.cause is not None for r in results)
        raise NetworkError(
            f"could not reach the network: {unchecked} "
            f"link{'s' if unchecked != 1 else ''} not checked"
        )
    if update_preprints:
        _update_preprints(checker, results, as_json, apply)
        return EXIT_OK
    render(results, mode, lib.path, strict, encoded=encoded)
    keep_until_exit(lib, by_key, results, encoded, checker)
    return EXIT_FINDINGS if any(r.fails(strict, threshold) for r in results) else EXIT_OK


def _noted(
    results: Iterable[Result], failed: list[Result], strict: bool, threshold: str
) -> Iterator[Result]:
    """The results, the first that fails the run noted in ``failed`` as they pass (for
    the exit code: the results themselves are not held)."""
    for r in results:
        if not failed and r.fails(strict, threshold):
            failed.append(r)
        yield r


def _run(
    checker: Checker, targets: Any, by_key: dict[str, Any], count: int, mode: str
) -> tuple[list[Result], EncodedResults | None]:
    """The results, with a progress bar (``mode`` "bar", unless offline); for JSON, their
    records made while the network is awaited."""
    from ..output.check import EncodedResults

    if mode == "bar" and not checker.options.offline:
        from ..output.check import progress_bar

        targets = list(targets)  # the bar's length
        with progress_bar(len(targets)) as advance:
            return checker.run(targets, by_key, progress=advance), None
    encoded = EncodedResults() if mode == "json" else None
    results = checker.run(
        targets,
        by_key,
        encoded.add if encoded else None,
        most=2 * count,
        idle=encoded.encode_some if encoded else None,
    )
    return results, encoded


def _entries(
    lib: Any,
    keys: tuple[str, ...],
    query: str | None,
    changed_since: str | None,
    keep: bool = True,
) -> tuple[Iterable[Any], dict[str, Any], int]:
    """The entries to check (an iterator when they are all of a cached library's), the
    entries by key (filled as that iterator goes, unless not ``keep``), and how many
    there are."""
    by_key: dict[str, Any] = {}
    if not (keys or query or changed_since is not None) and hasattr(lib, "read_parts"):
        return _every_entry(lib, by_key if keep else None), by_key, len(lib)
    if keys or query:
        from .export import select_entries

        entries = select_entries(lib, keys, query, ())
    else:  # every entry: the export command (and the formats it imports) not needed
        entries = list(lib)
    if changed_since is not None:
        from ..changes import changed_since as changed

        entries = changed(entries, lib.path, changed_since, bib_encoding())
    by_key.update((e.key, e) for e in entries)
    return entries, by_key, len(entries)


def _every_entry(lib: CachedLibrary, by_key: dict[str, Any] | None) -> Iterator[RecordEntry]:
    """The library's entries in file order, each with what check reads of it (its
    fields, and the lines of its fields from the lint records) read by one query as they
    are needed, not two per entry, and entered in ``by_key`` (when given) as they come
    (the checker looks an entry up by the key of a target already read)."""
    for entry in lib.read_parts(lib, ("item", "lint")):
        if by_key is not None:
            by_key[entry.key] = entry
        yield entry
        # its targets are made: what was read for them let go (~14 KB an entry, 1.4 GiB
        # at 100k); the checker asks the few it compares with a DOI's record again
        entry._reset()


def _library_cache_exists() -> bool:
    """Whether the library cache of the .bib exists: then check reads its entries from it
    (kept up to date; no parser imported when it is warm).  Not built for check alone:
    built from nothing it costs more than reading the file (at 5,000 entries, ~3.4 s of
    CPU against ~1.0 s), and a CI run on a fresh clone would pay that on every run."""
    if not cache_enabled():  # `refbook --no-cache`: SQLite and hashlib not imported to ask
        return False
    from ..cache.db import db_path

    path = bib_path()
    return path != "-" and db_path(path).exists()


def _refuse_conflicts(ctx: click.Context, fmt: str | None, update_preprints: bool) -> None:
    """Usage errors (exit 2) for options that make no sense together."""
    refuse_together(ctx, "dois_only", "urls_only", "together they check nothing")
    refuse_together(ctx, "as_json", "fmt", "--json is --format json", when=fmt != "json")
    refuse_together(
        ctx,
        "offline",
        ("concurrency", "per_host", "timeout", "retries", "max_age", "no_cache", "allow_private"),
        "--offline checks syntax only and makes no request",
    )
    refuse_together(
        ctx,
        "offline",
        ("update_preprints", "updates_max_age"),
        "--offline makes no request",
    )
    refuse_together(
        ctx,
        "no_cache",
        ("max_age", "updates_max_age"),
        "without the results cache there is nothing to reuse or ask again",
    )
    refuse_together(ctx, "update_preprints", ("urls_only", "fmt", "fail_on", "strict"))
    requires(ctx, "apply", "--update-preprints", update_preprints)


def _check_exclusions(cfg: Config, exclude: tuple[str, ...]) -> None:
    """check.exclude's patterns, then --exclude's, compiled once to report a bad one: a
    config file's is exit 4 naming the file, an option's a usage error."""
    from ..errors import ConfigError, UsageError
    from ..links import Exclusions

    for patterns, source in ((cfg["check.exclude"], "config"), (exclude, "option")):
        try:
            Exclusions(patterns)
        except ValueError as exc:
            if source == "option":
                raise UsageError(f"error: --exclude: {exc}") from None
            raise ConfigError(
                f"{cfg.sources['check.exclude']}: error: setting 'check.exclude': {exc}"
            ) from None


def _result_cache(cfg: Config, max_age: str | None, updates_max_age: str | None) -> ResultCache:
    """The results cache, with the ages from the options or else the settings."""
    from ..errors import ConfigError, UsageError
    from ..links import ResultCache, parse_age
    from ..paths import cache_dir

    try:
        age = parse_age(max_age or cfg["check.max_age"])
    except ValueError as exc:
        raise UsageError(f"error: {exc}") from None
    try:
        updates_age = parse_age(updates_max_age or cfg["check.updates_max_age"])
    except ValueError as exc:
        if updates_max_age:
            raise UsageError(f"error: --updates-max-age: {exc}") from None
        raise ConfigError(
            f"{cfg.sources['check.updates_max_age']}: error: setting 'check.updates_max_age': {exc}"
        ) from None
    return ResultCache(cache_dir() / "check" / "results.sqlite", age, updates_age)


def _update_preprints(checker: Any, results: list[Any], as_json: bool, apply: bool) -> None:
    """Preprints with a published version: the published version's metadata written into
    their entries through the store (a diff without ``apply``)."""
    from ..edits import use_published_version
    from ..links import Verdict

    superseded = [r for r in results if r.verdict is Verdict.SUPERSEDED]
    records = checker.records(sorted({r.details["published"]["doi"] for r in superseded}))
    with reported_edit(as_json, dry_run=not apply) as edit:
        updated = []
        for r in superseded:
            published = r.details["published"]["doi"]
            found = records.get(published)
            if found is None:
                edit.lines.append(
                    f"{r.target.key}: the record of {published} could not be read; not updated"
                )
                continue
            fields = use_published_version(
                edit.bib, r.target.key, r.target.value, found.meta, r.details.get("preprint_server")
            )
            updated.append(
                {"key": r.target.key, "from": r.target.value, "to": published, "fields": fields}
            )
            edit.lines.append(f"{r.target.key}: {r.target.value} -> {published}")
        edit.extra["updated"] = updated
