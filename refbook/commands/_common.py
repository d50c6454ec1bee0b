"""Options and helpers shared by the subcommands."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Literal, overload

import click

from ..errors import NotFoundError

if TYPE_CHECKING:
    from ..cache.library import CachedLibrary
    from ..config import Config
    from ..encoding import Decoded
    from ..model import Library


def _set_bib(ctx: click.Context, _param: click.Parameter, value: str | None) -> None:
    if value:
        ctx.ensure_object(dict)
        root = ctx.find_root()
        root.ensure_object(dict)
        root.obj["bib"] = value


def _set_encoding(ctx: click.Context, _param: click.Parameter, value: str | None) -> None:
    if value:
        root = ctx.find_root()
        root.ensure_object(dict)
        root.obj["encoding"] = value


def bib_path_option(f: Callable) -> Callable:
    """``--bib PATH`` accepted after the subcommand too (``refbook list --bib x.bib``)."""
    return click.option(
        "--bib",
        metavar="PATH",
        expose_value=False,
        callback=_set_bib,
        is_eager=True,
        help="Bibliography file (see `refbook --help`).",
    )(f)


def force_option(f: Callable) -> Callable:
    """``--force`` of the editing commands: write even when the .bib is read-only."""
    return click.option(
        "--force", is_flag=True, help="Write even when the .bib is read-only (chmod 444)."
    )(f)


def dry_run_option(f: Callable) -> Callable:
    return click.option(
        "--dry-run", is_flag=True, help="Print the diff that would be written; write nothing."
    )(f)


def bib_option(f: Callable) -> Callable:
    """``--bib PATH`` and ``--encoding ENC`` (the bibliography's) accepted after the
    subcommand too.  Commands that read other files (manuscripts, files to import) use
    ``bib_path_option`` and an ``--encoding`` of their own for those files."""
    f = click.option(
        "--encoding",
        metavar="ENC",
        expose_value=False,
        callback=_set_encoding,
        is_eager=True,
        help="Encoding of the bibliography (see `refbook --help`).",
    )(f)
    return bib_path_option(f)


def json_option(f: Callable) -> Callable:
    return click.option("--json", "as_json", is_flag=True, help="Machine-readable JSON output.")(f)


def root_obj(ctx: click.Context | None = None) -> dict[str, Any]:
    ctx = ctx or click.get_current_context()
    root = ctx.find_root()
    root.ensure_object(dict)
    return root.obj


def get_config(ctx: click.Context | None = None) -> Config:
    obj = root_obj(ctx)
    if "config" not in obj:
        from ..config import load_config

        obj["config"] = load_config()
    return obj["config"]


def bib_path(ctx: click.Context | None = None) -> str:
    from ..config import find_bib

    obj = root_obj(ctx)
    option = obj.get("bib") or (ctx or click.get_current_context()).find_root().params.get("bib")
    return find_bib(option, get_config(ctx))


def bib_encoding(ctx: click.Context | None = None) -> str | None:
    """The bibliography's encoding as the user gives it (``--encoding``, else the
    ``encoding`` setting), or None: the file says (byte-order mark, header) or UTF-8."""
    from ..config import bib_encoding as encoding_of

    option = root_obj(ctx).get("encoding")
    if not option:  # the group's option: read from its parameters too (shell completion)
        option = (ctx or click.get_current_context()).find_root().params.get("encoding")
    return encoding_of(option, None if option else get_config(ctx))


def input_encoding_option(what: str) -> Callable[[Callable], Callable]:
    """``--encoding ENC`` for the files a command reads besides the bibliography."""
    return click.option(
        "--encoding",
        "encoding",
        metavar="ENC",
        help=f"Encoding of {what} (default: byte-order mark or declaration, "
        "UTF-8, else detected and said). The bibliography's is given "
        "before the command: refbook --encoding ENC …",
    )


def decode_input(path: str, encoding: str | None, what: str = "text") -> Decoded:
    """A manuscript or file to import, decoded (``refbook.encoding``); a detected encoding
    is said on stderr."""
    from ..encoding import check_name, read_text
    from ..output import warn

    if encoding:
        check_name(encoding)
    decoded = read_text(path, encoding, what=what)
    for note in decoded.notes:
        warn(note)
    return decoded


def cache_enabled(ctx: click.Context | None = None) -> bool:
    """Whether the library cache is in use (not with ``refbook --no-cache``)."""
    ctx = ctx or click.get_current_context()
    return not (root_obj(ctx).get("no_cache") or ctx.find_root().params.get("no_cache"))


def cached_library(
    ctx: click.Context | None = None,
    *,
    quiet: bool = False,
    path: str | None = None,
    encoding: str | None = None,
    needs: Collection[str] = (),
) -> CachedLibrary | None:
    """The bibliography read through the library cache (``refbook.cache``), or None when
    it cannot be (``--no-cache``, standard input, an encoding that cannot be cached, a
    cache directory that cannot be written: said once on stderr unless ``quiet``).
    ``path`` (in ``encoding``): another file than the one in use (``lint FILES``: no
    indicator of its own, lint shows one); ``needs``: the cache's lazy tables the command
    reads ("csl", "lint", "search")."""
    lib: CachedLibrary | None = _through_cache(ctx, quiet, path, encoding, needs, parse=False)
    return lib


def cached_or_parsed(
    ctx: click.Context | None = None,
    *,
    path: str | None = None,
    encoding: str | None = None,
    needs: Collection[str] = (),
) -> CachedLibrary | Library | None:
    """``cached_library``, except when the one table the cache still lacks is the lint
    records (made by parsing the file): then the file parsed once, as without the cache
    (a ``model.Library``), the records stored from that parse (``lint``, ``check``: their
    first run after a cold build parsed the file to fill the table, then read it all
    back from the cache)."""
    return _through_cache(ctx, False, path, encoding, needs, parse=True)


def _through_cache(
    ctx: click.Context | None,
    quiet: bool,
    path: str | None,
    encoding: str | None,
    needs: Collection[str],
    parse: bool,
) -> Any:
    if not cache_enabled(ctx):
        return None
    from ..cache import open_cached

    if path is not None:
        lib, notes = open_cached(path, encoding, needs=needs, parse=parse)
    else:
        path = bib_path(ctx)
        lib, notes = open_cached(
            path,
            bib_encoding(ctx),
            busy=lambda: _busy_reading(path),
            needs=needs,
            parse=parse,
        )
    if not quiet and notes:
        from ..output import warn

        for note in notes:
            warn(note)
    return lib


def _busy_reading(path: str) -> Any:
    from ..output import busy  # here: a warm run (key completion) needs no output module

    return busy(f"reading {path} into the cache (once per change of the file)…")


@overload
def open_library(
    ctx: click.Context | None = None,
    *,
    require_entries: bool = True,
    cached: Literal[False] = False,
    usable: None = None,
    needs: Collection[str] = (),
) -> Library: ...


@overload
def open_library(
    ctx: click.Context | None = None,
    *,
    require_entries: bool = True,
    cached: bool,
    usable: Callable[[CachedLibrary], bool] | None = None,
    needs: Collection[str] = (),
) -> Library | CachedLibrary: ...


def open_library(
    ctx: click.Context | None = None,
    *,
    require_entries: bool = True,
    cached: bool = False,
    usable: Callable[[CachedLibrary], bool] | None = None,
    needs: Collection[str] = (),
) -> Library | CachedLibrary:
    """Load the bibliography; parse problems go to stderr as one-line warnings.

    With ``require_entries``, an empty bibliography is "nothing found" (exit 1).  With
    ``cached``, the entries may come from the library cache (``RecordEntry``: the
    read-only part of an entry's interface), for commands that only read them, unless
    ``usable`` says the cached library lacks what the command needs; ``needs``: the
    cache's lazy tables it reads (filled first when they are not yet)."""
    from ..output import warn

    # the lint table missing: the file parsed once instead (cached_or_parsed)
    lib: Library | CachedLibrary | None = cached_or_parsed(ctx, needs=needs) if cached else None
    if lib is not None and usable is not None:
        from ..cache.library import CachedLibrary as Cached

        if isinstance(lib, Cached) and not usable(lib):
            lib = None
    if lib is None:
        from ..model import load

        lib = load(bib_path(ctx), bib_encoding(ctx))
    for problem in lib.problems:
        warn(str(problem))
    if require_entries and len(lib) == 0:
        raise NotFoundError(f"{lib.path}: no entries")
    return lib


def complete_keys(ctx: click.Context, _param: click.Parameter, incomplete: str) -> list:
    """Shell completion of citation keys from the bibliography in use."""
    try:
        lib = _completion_library(ctx)
    except Exception:  # completion must never fail loudly
        return []
    from ..cache.library import CachedLibrary

    if isinstance(lib, CachedLibrary):  # the cache reads the matching keys only
        return lib.keys_starting(incomplete)
    from ..completion import completion_order

    low = incomplete.lower()
    return completion_order(k for k in lib.keys() if k.lower().startswith(low))


def _completion_library(ctx: click.Context) -> Library | CachedLibrary:
    lib: Library | CachedLibrary | None = cached_library(ctx, quiet=True)
    if lib is None:
        from ..model import load

        lib = load(bib_path(ctx), bib_encoding(ctx))
    return lib


def complete_keywords(ctx: click.Context, _param: click.Parameter, incomplete: str) -> list:
    """Shell completion of the keywords in use (``list --keyword``; ``tag KEY +word``
    and ``-word``, the sign kept), most used first."""
    sign = incomplete[:1] if incomplete[:1] in "+-" and incomplete else ""
    low = incomplete[len(sign) :].lower()
    try:
        lib = _completion_library(ctx)
        from ..cache.library import CachedLibrary

        words = lib.keywords() if isinstance(lib, CachedLibrary) else _keywords_of(lib)
    except Exception:  # completion must never fail loudly
        return []
    return [sign + w for w in words if w.lower().startswith(low)]


def _keywords_of(lib: Any) -> list[str]:
    from collections import Counter

    counts: Counter[str] = Counter()
    for e in lib:
        counts.update(e.keywords)
    return [w for w, _ in counts.most_common()]


def complete_fields(ctx: click.Context, _param: click.Parameter, incomplete: str) -> list:
    """Shell completion of the fields of the entry named before (``unset KEY FIELD``)."""
    try:
        entry = _completion_library(ctx).get(ctx.params.get("key") or "")
    except Exception:  # completion must never fail loudly
        return []
    if entry is None:
        return []
    return [n for n in entry.fields if n.startswith(incomplete.lower())]


def complete_assignments(ctx: click.Context, _param: click.Parameter, incomplete: str) -> list:
    """Shell completion of ``field=`` for the entry named before (``set KEY field=value``):
    its own fields."""
    if "=" in incomplete:
        return []
    names = complete_fields(ctx, _param, incomplete)
    return [f"{n}=" for n in names]


def complete_styles(_ctx: click.Context, _param: click.Parameter, incomplete: str) -> list:
    """Shell completion of ``--style``: the bundled styles by name, else a .csl file."""
    from click.shell_completion import CompletionItem

    from ..export.pandoc import STYLES

    names = [n for n in STYLES if n.startswith(incomplete.lower())]
    return names or [CompletionItem(incomplete, type="file")]


def style_option(f: Callable) -> Callable:
    """``-s/--style`` of the commands that format citations (``cite``, ``render``)."""
    return click.option(
        "-s",
        "--style",
        metavar="NAME|FILE.csl",
        help="Citation style (default apa).",
        shell_complete=complete_styles,
    )(f)


def complete_rules(_ctx: click.Context, _param: click.Parameter, incomplete: str) -> list:
    """Shell completion of lint rule ids and families (``lint --select/--ignore``)."""
    from ..lint import RULES

    names = dict.fromkeys([r.id for r in RULES.values()] + [r.family for r in RULES.values()])
    return [n for n in names if n.startswith(incomplete.lower())]


def complete_types(ctx: click.Context, _param: click.Parameter, incomplete: str) -> list:
    """Shell completion of the entry types in use (``list --type``), most used first."""
    from collections import Counter

    try:
        lib = _completion_library(ctx)
        from ..cache.library import CachedLibrary

        if isinstance(lib, CachedLibrary):
            types = list(lib.counts({})["types"])
        else:
            types = [t for t, _ in Counter(e.type for e in lib).most_common()]
    except Exception:  # completion must never fail loudly
        return []
    return [t for t in types if t.startswith(incomplete.lower())]


class EditReport:
    """What an editing command says besides the changes the store records: ``lines`` in
    plain mode, ``extra`` members in its ``--json`` object.  (Not a dataclass: that
    import is ~2 ms of every command's start-up, a warm ``show`` included.)"""

    def __init__(self) -> None:
        self.bib: Any = None
        self.lines: list[str] = []
        self.extra: dict[str, Any] = {}
        self.cancelled = False

    def cancel(self) -> None:
        """Write nothing and report no change (the user said no)."""
        self.cancelled = True


class _Cancelled(Exception):
    """Leaves ``editing()`` without saving (``EditReport.cancel``)."""


@contextmanager
def reported_edit(
    as_json: bool, *, force: bool = False, dry_run: bool = False
) -> Iterator[EditReport]:
    """Read-modify-write the bibliography in use (locked, atomic, minimal diff), then
    render what changed: ``with reported_edit(as_json) as edit: annotate(edit.bib, …)``.
    A read-only file is refused unless ``force``; ``dry_run`` reports the diff instead
    of writing it; ``edit.cancel()`` writes nothing and reports no change."""
    from ..output import choose_mode
    from ..output.edits import render_edit
    from ..store import editing

    path = bib_path()
    report = EditReport()
    try:
        with editing(path, force=force, encoding=bib_encoding(), dry_run=dry_run) as bib:
            report.bib = bib
            yield report
            if report.cancelled:
                raise _Cancelled
            changes = bib.pending_changes()
            if dry_run:
                from ..diffs import pending_diff

                patch = pending_diff(bib, path)
                report.lines = [patch.rstrip("\n")] if patch else []
                report.extra["diff"] = patch
    except _Cancelled:
        changes = []
    render_edit(
        path,
        changes,
        choose_mode(as_json),
        saved=bool(changes) and not dry_run,
        lines=report.lines,
        extra=report.extra,
    )


def given(ctx: click.Context, name: str) -> bool:
    """Whether the user gave option ``name`` (on the command line or in its environment
    variable), as opposed to its default."""
    from click.core import ParameterSource

    source = ctx.get_parameter_source(name)
    return source in (ParameterSource.COMMANDLINE, ParameterSource.ENVIRONMENT)


def option_name(ctx: click.Context, name: str) -> str:
    """How option ``name`` is spelled on the command line (its long form)."""
    for param in ctx.command.params:
        if param.name == name and isinstance(param, click.Option):
            return max(param.opts, key=len)
    return name


def refuse_together(
    ctx: click.Context,
    first: str,
    others: tuple[str, ...] | str,
    why: str = "",
    *,
    when: bool = True,
) -> None:
    """A usage error (exit 2) when option ``first`` is given with any of ``others`` (and
    ``when`` holds): one of them would otherwise be ignored without a word."""
    if not when:
        return
    for other in (others,) if isinstance(others, str) else others:
        if given(ctx, first) and given(ctx, other):
            reason = f": {why}" if why else ""
            raise click.UsageError(
                f"{option_name(ctx, first)} and {option_name(ctx, other)} "
                f"cannot be used together{reason}",
                ctx,
            )


def requires(ctx: click.Context, name: str, needed: str, ok: bool, why: str = "") -> None:
    """A usage error (exit 2) when option ``name`` is given but ``ok`` is false (the
    option ``needed`` for it to mean anything is missing)."""
    if given(ctx, name) and not ok:
        reason = f" ({why})" if why else ""
        raise click.UsageError(f"{option_name(ctx, name)} needs {needed}{reason}", ctx)
