"""refbook cache"""

from __future__ import annotations

import click

from ._common import bib_option, bib_path, json_option, root_obj


@click.command("cache")
@click.argument("action", type=click.Choice(["info", "clear"]), default="info")
@json_option
@bib_option
def command(action: str, as_json: bool) -> int:
    """Show the library cache (info: where, how big, entries, what the last run did) or
    remove it (clear).

    Every read command reads the bibliography through a cache in the user cache directory
    (REFBOOK_CACHE_DIR moves it); it is rebuilt, only where the file changed, whenever the
    file changed. `refbook --no-cache COMMAND` runs without it.
    """
    from ..cache import clear, info
    from ..errors import InputError
    from ..output import choose_mode
    from ..output.cache import render_cleared, render_info

    mode = choose_mode(as_json)
    if action == "clear":
        removed, freed = clear()
        render_cleared(removed, freed, mode)
        return 0
    try:
        bib = bib_path()
    except InputError:
        bib = None  # no bibliography here: the cache directory alone
    from ._common import bib_encoding

    render_info(
        info(bib, bib_encoding() if bib else None), mode, disabled=bool(root_obj().get("no_cache"))
    )
    return 0
