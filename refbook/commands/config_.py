"""refbook config"""

from __future__ import annotations

import click

from ._common import bib_option, get_config, json_option, root_obj


@click.command("config")
@json_option
@bib_option
def command(as_json: bool) -> int:
    """Show the effective settings and where each one came from.

    Settings come from defaults, the user config file, the project's refbook.toml (or
    [tool.refbook] in pyproject.toml, searched from the current directory upward), then
    environment variables.
    """
    from ..config import SETTINGS, find_bib, user_config_file
    from ..errors import InputError
    from ..output import JSON, choose_mode, emit_json, emit_table

    cfg = get_config()
    try:
        bib = find_bib(root_obj().get("bib"), cfg)
    except InputError:
        bib = None
    mode = choose_mode(as_json)
    if mode == JSON:
        emit_json(
            {
                "bib": bib,
                "user_config": str(user_config_file()),
                "settings": {
                    name: {
                        "value": cfg.values[name],
                        "source": cfg.sources[name],
                        "help": SETTINGS[name].help,
                    }
                    for name in SETTINGS
                },
            }
        )
        return 0
    rows = [("(bibliography)", bib or "(none found)", "")]
    rows += [
        (
            name,
            repr(cfg.values[name]) if not isinstance(cfg.values[name], str) else cfg.values[name],
            cfg.sources[name],
        )
        for name in SETTINGS
    ]
    emit_table(("setting", "value", "source"), rows, mode)
    return 0
