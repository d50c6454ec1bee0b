"""refbook lint"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

import click

from ..errors import EXIT_FINDINGS, EXIT_OK
from ..findings import Severity, fails
from ..output.findings import NAMES as FINDINGS_FORMATS
from ._common import (
    bib_encoding,
    bib_option,
    bib_path,
    cached_or_parsed,
    complete_rules,
    force_option,
    get_config,
    refuse_together,
    requires,
)

if TYPE_CHECKING:
    from ..cache.library import CachedLibrary
    from ..findings import Finding
    from ..lint import LintResult, Rule
    from ..model import Library


@click.command("lint")
@click.argument("files", nargs=-1, type=click.Path())
@click.option(
    "--select",
    "select",
    multiple=True,
    metavar="RULE",
    shell_complete=complete_rules,
    help="Only these rule ids or families (repeatable; default: lint.select).",
)
@click.option(
    "--ignore",
    "ignore",
    multiple=True,
    metavar="RULE",
    shell_complete=complete_rules,
    help="Skip these rule ids or families (repeatable; adds to lint.ignore).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FINDINGS_FORMATS),
    help="Output format (default: table on a terminal, plain otherwise).",
)
@click.option("--json", "as_json", is_flag=True, help="Same as --format json.")
@click.option(
    "--fail-on",
    type=click.Choice([s.value for s in Severity]),
    help="Lowest severity that makes the exit code 1 (default: lint.fail_on, error).",
)
@click.option("--fix", is_flag=True, help="Apply the safe fixes to the file (minimal diff).")
@click.option("--dry-run", is_flag=True, help="With --fix: print the diff, write nothing.")
@click.option("--list-rules", is_flag=True, help="List the rules and exit.")
@force_option
@bib_option
def command(
    files: tuple[str, ...],
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    fmt: str | None,
    as_json: bool,
    fail_on: str | None,
    fix: bool,
    dry_run: bool,
    list_rules: bool,
    force: bool,
) -> int:
    """Find the defects a reference list really has.

    FILES default to the bibliography in use (--bib). Required fields, duplicate keys/DOIs/titles, DOI and URL syntax (resolver prefixes,
    hyphenation artefacts like 'pakist-an', URLs split over lines, LaTeX in URLs), page
    dashes, implausible years and volume/number swaps, unprotected acronyms and proper
    nouns, characters 8-bit BibTeX cannot handle, missing annotations and urldates, an
    author spelled two ways. Suppress a rule for one entry with a comment line right
    above it: % refbook: ignore[rule-id]. Exit code 1 when a finding at or above
    --fail-on remains.
    """
    from ..lint import RULES, select_rules
    from ..output import choose_mode

    ctx = click.get_current_context()
    refuse_together(ctx, "as_json", "fmt", "--json is --format json", when=fmt != "json")
    refuse_together(
        ctx,
        "list_rules",
        ("fix", "dry_run", "fail_on", "fmt"),
        "--list-rules lists the rules (--json, --select and --ignore apply)",
    )
    if list_rules and files:
        raise click.UsageError("--list-rules takes no FILES", ctx)
    requires(ctx, "dry_run", "--fix", fix)
    refuse_together(
        ctx,
        "fix",
        ("fmt", "as_json", "fail_on"),
        "--fix applies the fixes and says how many; lint without --fix reports the findings",
    )
    cfg = get_config()
    if list_rules:
        from ..output.rules import render_rules

        listed = select_rules(select, ignore) if (select or ignore) else list(RULES.values())
        render_rules(listed, choose_mode(as_json))
        return 0
    rules = select_rules(select or cfg["lint.select"], [*cfg["lint.ignore"], *ignore])
    paths = list(files) or [bib_path()]
    if fix:
        return max(_fix(path, rules, dry_run, force, bib_encoding()) for path in paths)
    from contextlib import nullcontext

    from ..output import busy
    from ..output.findings import spins, streams

    fmt = "json" if as_json else fmt or ("table" if choose_mode(False) == "rich" else "plain")
    encoding = bib_encoding()
    seen: dict[Severity, Finding] = {}  # a finding of each severity: all fails() needs
    if len(paths) == 1 and streams(fmt):
        # written as they come: at 100k entries the findings are never all held
        lib = _read(paths[0], encoding)  # (a file that cannot be read: nothing written)
        progress = f"linting {paths[0]}…"
        widths = _table_widths(paths[0], lib) if fmt == "table" else {}
        with nullcontext() if spins(fmt) else busy(progress):  # (a table shows its own)
            _render(_noted(_findings(lib, rules), seen), fmt, rules, widths, progress)
    else:
        with busy(f"linting {', '.join(paths)}…"):
            found = [f for path in paths for f in _findings(_read(path, encoding), rules)]
        seen.update((f.severity, f) for f in found)
        _render(found, fmt, rules)
    return EXIT_FINDINGS if fails(seen.values(), fail_on or cfg["lint.fail_on"]) else EXIT_OK


def _render(
    findings: Iterable[Finding],
    fmt: str,
    rules: list[Rule],
    widths: dict[str, int] | None = None,
    progress: str = "",
) -> None:
    from ..output.findings import render

    rule_docs = {r.id: r.doc for r in rules}
    render(findings, fmt, tool="refbook lint", rules=rule_docs, widths=widths, progress=progress)


def _table_widths(path: str, lib: Library | CachedLibrary) -> dict[str, int]:
    """How wide a table's location and key columns can be, known before the findings:
    a line number has at most as many digits as the file's size in bytes (and a column
    number, when a finding has one, rarely more than three)."""
    import os

    try:
        size = os.path.getsize(path)
    except OSError:
        return {}
    return {
        "location": len(path) + 1 + len(str(size + 1)) + 4,
        "key": max(map(len, lib.keys()), default=0),
    }


def _noted(findings: Iterable[Finding], seen: dict[Severity, Finding]) -> Iterator[Finding]:
    """The findings, the first of each severity noted in ``seen`` as they pass (for the
    exit code: the findings themselves are not held)."""
    for f in findings:
        seen.setdefault(f.severity, f)
        yield f


def _findings(lib: Library | CachedLibrary, rules: list[Rule]) -> Iterator[Finding]:
    from ..lint import lint_findings

    return lint_findings(lib, rules)


def _read(path: str, encoding: str | None) -> Library | CachedLibrary:
    """A file to lint: from the library cache (its warnings said), else parsed."""
    lib = cached_or_parsed(path=path, encoding=encoding, needs=("lint",))
    if lib is not None:
        return lib
    from ..model import load

    return load(path, encoding)


def _lint(lib: Library | CachedLibrary, rules: list[Rule], fixes: bool = False) -> LintResult:
    from ..lint import lint

    return lint(lib, rules, fixes=fixes)


def _fix(
    path: str, rules: list[Rule], dry_run: bool, force: bool = False, encoding: str | None = None
) -> int:
    """Apply safe fixes in rounds (a fix can reveal another), through the store."""

    from ..lint import apply_fixes
    from ..model import Library
    from ..output.edits import render_fixes
    from ..store import BibFile, editing

    def rounds(bib: BibFile) -> int:
        total = 0
        for _ in range(5):
            result = _lint(Library(bib), rules, fixes=True)
            seen, todo = set(), []
            for key, field, value in result.fixes:
                if (key, field) not in seen:
                    seen.add((key, field))
                    todo.append((key, field, value))
            if not todo:
                break
            total += apply_fixes(bib, todo)
        return total

    if dry_run:
        from ..diffs import pending_diff

        bib = BibFile.read(path, encoding)
        n = rounds(bib)
        render_fixes(path, n, pending_diff(bib, path))
        return 0
    with editing(path, force=force, encoding=encoding) as bib:
        n = rounds(bib)
    render_fixes(path, n)
    return 0
