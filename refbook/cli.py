"""The ``refbook`` command line: a Click group whose subcommands are imported on demand.

Only Click is imported at start-up; each subcommand lives in ``refbook/commands/<name>.py``
and is loaded when it runs (or when its own ``--help`` is asked for), so ``refbook --help``
and ``refbook --version`` start as fast as Click itself.  Commands return an exit code;
``RefbookError`` becomes a one-line message on stderr and that error's exit code.
"""

from __future__ import annotations

import sys

import click

from . import __version__
from .exits import leave as _leave
from .exits import quiet_stdout as _quiet_stdout

# name -> (module under refbook.commands, one-line help shown by `refbook --help`)
COMMANDS: dict[str, tuple[str, str]] = {
    "init": ("init", "Start a bibliography: a new references.bib (and refbook.toml)."),
    "list": ("list_", "List entries (table, plain, --json, --keys)."),
    "show": ("show", "Show entries in full, with annotation (--bibtex: source text)."),
    "stats": ("stats", "Counts per type, year and keyword; fields missing."),
    "config": ("config_", "Show the effective settings and where each came from."),
    "search": ("search", "Search with a query language; ranked, fuzzy, indexed."),
    "add": ("add", "Add references from DOIs, web pages, BibTeX/RIS/CSL-JSON files."),
    "annotate": ("annotate", "Set an entry's annotation (or edit it in $EDITOR)."),
    "tag": ("tag", "Add or remove keywords: tag KEY +border -pakistan."),
    "set": ("set_", "Set fields: set KEY field=value …"),
    "unset": ("unset", "Remove fields from an entry."),
    "rm": ("rm", "Remove entries."),
    "rename": ("rename", "Rename a key (and its citations with --in)."),
    "edit": ("edit", "Edit one entry in $EDITOR, validated before saving."),
    "dedupe": ("dedupe", "List likely duplicates with evidence and confidence."),
    "merge": ("merge", "Merge two entries (KEEP DROP), keeping ids = {DROP}."),
    "check": ("check", "Check DOIs (exist? same work?) and URLs (alive?) for CI."),
    "export": ("export", "Export formatted citations (APA, MLA, …) or data (RIS, CSL-JSON, …)."),
    "cite": ("cite", "Print an in-text citation: (Zahid, 2023), Zahid (2023), [@key]."),
    "cite-check": ("cite_check", "Check a manuscript's citations against the bibliography."),
    "render": ("render", "Render a Markdown essay with formatted citations and references."),
    "fmt": ("fmt", "Format the .bib in one canonical layout, losslessly (--check, -i)."),
    "lsp": ("lsp", "Language server for citations in the editor (see docs/editors.md)."),
    "lint": ("lint", "Find defects: fields, duplicates, DOIs, URLs, pages, titles (--fix)."),
    "cache": ("cache", "Show (info) or remove (clear) the library cache."),
}

EXIT_CODES_HELP = """\b
Exit codes:
  0  success
  1  findings, or nothing found (unknown key, no search result)
  2  usage error (bad option or query)
  3  unreadable or unparseable input
  4  configuration error (bad refbook.toml, pandoc missing)
  5  a file could not be written (read-only, changed on disk, disk full…)
  6  network error (fetching data failed; check reached no network)
"""


class LazyGroup(click.Group):
    """A group that imports a subcommand's module only when that subcommand is used."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in COMMANDS:
            return None
        import importlib

        module = importlib.import_module(f"refbook.commands.{COMMANDS[name][0]}")
        collect_again()
        return module.command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, COMMANDS[name][1]) for name in self.list_commands(ctx)]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


@click.group(
    cls=LazyGroup, epilog=EXIT_CODES_HELP, context_settings={"help_option_names": ["-h", "--help"]}
)
@click.version_option(__version__, "-V", "--version", prog_name="refbook")
@click.option(
    "--bib",
    "bib",
    metavar="PATH",
    envvar=None,
    help="Bibliography file (default: $REFBOOK_BIB, the config's `bib`, or "
    "references.bib found from the current directory upward; - for stdin).",
)
@click.option(
    "--encoding",
    "encoding",
    metavar="ENC",
    help="Encoding of the bibliography (default: the `encoding` setting, else its "
    "byte-order mark or JabRef '% Encoding:' header, else UTF-8); it is "
    "written back in the same encoding.",
)
@click.option(
    "--no-cache",
    "no_cache",
    is_flag=True,
    help="Read the bibliography without the library cache (and leave the cache as it is).",
)
@click.pass_context
def cli(ctx: click.Context, bib: str | None, encoding: str | None, no_cache: bool) -> None:
    """refbook: an annotated bibliography in a plain BibTeX file.

    List, search, check and export the references in references.bib.
    Every command has --json; output is plain text when piped or NO_COLOR is set.
    """
    ctx.ensure_object(dict)
    ctx.obj["bib"] = bib
    if encoding:
        ctx.obj["encoding"] = encoding
    if no_cache:
        ctx.obj["no_cache"] = True


# what commands leave to the operating system (``keep_until_exit``): a list only in a
# process of its own (``main``), which ends without freeing anything (``_leave``)
_KEPT: list[object] | None = None


def keep_until_exit(*objects: object) -> None:
    """Keep ``objects`` alive until the process ends, when it is a process of its own:
    freed one by one as the command returned, the entries and results of ``refbook
    check`` cost 5-15 ms after its report, for memory the operating system takes back
    at once.  Called in-process (tests, ``run``), nothing is kept."""
    if _KEPT is not None:
        _KEPT.append(objects)


def collect_again() -> None:
    """The cyclic garbage collector back on, when the program's start turned it off
    (``completion.main``), the objects of the start-up frozen first: modules, classes
    and Click's command tree live until exit, and walking them again in every full
    collection (28 collections, ~9 ms before `refbook check`'s first request) finds
    nothing to free."""
    import gc

    if not gc.isenabled():
        gc.freeze()
        gc.enable()


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point: run the CLI and turn errors into exit codes."""
    global _KEPT
    if argv is None:
        _KEPT = []
    code = run(argv)
    if argv is None:
        _leave(code)  # a process of its own: skip the interpreter's teardown
    sys.exit(code)


def run(argv: list[str] | None = None, *, again: bool = True) -> int:
    """Run the CLI; the exit code, with errors already reported on stderr.  A library
    cache found damaged midway is removed and the command run again (``cache.recover``),
    once, when nothing it read from the cache was written out yet."""
    from .errors import EXIT_INPUT, RefbookError

    for name, reset in (("refbook.cache.db", "OPENED"), ("refbook.output", "STREAMING")):
        module = sys.modules.get(name)  # another run in this process (tests, the API)
        if module is not None:
            getattr(module, reset)[:] = [False] if reset == "STREAMING" else []
    try:
        rv = cli.main(args=argv, prog_name="refbook", standalone_mode=False)
    except click.exceptions.Abort:
        sys.stderr.write("Aborted.\n")
        return 130
    except click.ClickException as exc:
        _show_click_error(exc)
        return exc.exit_code
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except RefbookError as exc:
        from .output import warn

        warn(f"refbook: {exc}")  # file names, keys and values shown with visible controls
        return exc.exit_code
    except BrokenPipeError:
        _quiet_stdout()  # `refbook list | head`: the reader left; exit quietly like other Unix tools
        return 1
    except KeyboardInterrupt:
        sys.stderr.write("Interrupted.\n")
        return 130
    except Exception as exc:
        if "refbook.cache" not in sys.modules:
            raise
        from .cache import recover

        unseen = recover(exc)
        if unseen is None:
            raise
        if unseen and again:
            return run(argv, again=False)
        from .output import warn

        warn(
            f"refbook: the library cache was damaged ({exc}); it is removed: run the command again"
        )
        return EXIT_INPUT
    return rv if isinstance(rv, int) else 0


def _show_click_error(exc: click.ClickException) -> None:
    """Click's message (usage, hint, error), its control characters made visible: it
    can quote an argument, such as a file name, and the terminal must not obey it."""
    import io

    from .output import visible

    buffer = io.StringIO()
    exc.show(file=buffer)
    sys.stderr.write(visible(buffer.getvalue()))
