"""refbook check"""

from __future__ import annotations

import click

from ._common import bib_option, complete_keys, get_config, open_library, refuse_together

FORMATS = ("table", "plain", "json", "junit", "github", "markdown", "sarif")


@click.command("check")
@click.argument("keys", nargs=-1, shell_complete=complete_keys)
@click.option("-q", "--query", metavar="QUERY", help="Only entries matching a search query.")
@click.option("--dois-only", is_flag=True, help="Check DOIs only.")
@click.option("--urls-only", is_flag=True, help="Check URLs only.")
@click.option("--offline", is_flag=True, help="Syntax only; no network.")
@click.option("--strict", is_flag=True, help="Also fail on blocked, timeout, rate-limited, error.")
@click.option("--concurrency", type=click.IntRange(1, 512), help="Requests at once (32).")
@click.option("--per-host", type=click.IntRange(1, 64), help="Requests at once per host (4).")
@click.option("--timeout", type=float, help="Seconds per request (10).")
@click.option("--retries", type=click.IntRange(0, 10), help="Retries for timeouts/5xx (2).")
@click.option("--max-age", metavar="AGE", help="Reuse cached results this young (1d).")
@click.option("--no-cache", is_flag=True, help="Neither read nor write the results cache.")
@click.option("--allow-private", is_flag=True,
              help="Allow private, loopback and link-local addresses.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), help="Output format.")
@click.option("--json", "as_json", is_flag=True, help="Same as --format json.")
@bib_option
def command(keys, query, dois_only, urls_only, offline, strict, concurrency, per_host,
            timeout, retries, max_age, no_cache, allow_private, fmt, as_json) -> int:
    """Check DOIs (do they exist, do they describe this work?) and URLs (do they answer?).

    Verdicts: ok, redirected, broken, mismatch, blocked, timeout, rate-limited, error.
    Exit code 1 when a URL or DOI is broken, a DOI points to another work, or a DOI or
    URL is malformed (with --strict also on blocked, timeout, rate-limited, error).
    Exit code 6 when the network cannot be reached at all (no name resolves, no route):
    one line says how many links were not checked.
    """
    from .. import __version__
    from ..errors import NetworkError, UsageError
    from ..links import STRICT_FAILING, Checker, Options, ResultCache, collect, parse_age
    from ..output import choose_mode
    from ..output.check import render
    from ..paths import cache_dir
    from .export import select_entries

    ctx = click.get_current_context()
    refuse_together(ctx, "dois_only", "urls_only", "together they check nothing")
    refuse_together(ctx, "as_json", "fmt", "--json is --format json", when=fmt != "json")
    refuse_together(ctx, "offline", ("concurrency", "per_host", "timeout", "retries",
                                     "max_age", "no_cache", "allow_private"),
                    "--offline checks syntax only and makes no request")
    cfg = get_config()
    lib = open_library()
    entries = select_entries(lib, keys, query, ())
    targets = collect(entries, dois=not urls_only, urls=not dois_only)
    mailto = cfg["check.mailto"]
    opts = Options(
        doi_resolver=cfg["check.doi_resolver"], crossref_api=cfg["check.crossref_api"],
        datacite_api=cfg["check.datacite_api"],
        concurrency=concurrency or cfg["check.concurrency"],
        per_host=per_host or cfg["check.per_host"], timeout=timeout or cfg["check.timeout"],
        retries=cfg["check.retries"] if retries is None else retries,
        allow_private=allow_private or cfg["check.allow_private"], offline=offline,
        user_agent=f"refbook/{__version__} (+https://github.com/refbook/refbook"
                   f"{'; mailto:' + mailto if mailto else ''})")
    cache = None
    if not no_cache and not offline:
        try:
            age = parse_age(max_age or cfg["check.max_age"])
        except ValueError as exc:
            raise UsageError(f"error: {exc}") from None
        cache = ResultCache(cache_dir() / "check" / "results.sqlite", age)
    mode = "json" if as_json else fmt or ("table" if choose_mode(False) == "rich" else "plain")
    checker = Checker(opts, cache)
    by_key = {e.key: e for e in entries}
    if mode == "table" and targets and not offline:
        from ..output.check import progress_bar

        with progress_bar(len(targets)) as advance:
            results = checker.run(targets, by_key, progress=advance)
    else:
        results = checker.run(targets, by_key)
    failing = STRICT_FAILING if strict else {"broken", "mismatch"}
    if checker.network_down:
        # one line, not one finding per link; machine formats still get every result
        if mode not in ("table", "plain"):
            render(results, mode, lib.path, failing)
        unchecked = sum(r.cause is not None for r in results)
        raise NetworkError(f"could not reach the network: {unchecked} "
                           f"link{'s' if unchecked != 1 else ''} not checked")
    render(results, mode, lib.path, failing)
    bad = any(r.verdict in failing or (r.verdict == "error" and _syntax(r)) for r in results)
    return 1 if bad else 0


def _syntax(result) -> bool:
    """Malformed DOIs and URLs always fail the run."""
    return result.message.startswith(("not a DOI", "DOI ends", "doi field holds",
                                       "not an http", "white space"))
