"""Settings: defaults, then the user config file, then the project's, then the environment.

Project settings live in ``refbook.toml`` or in ``[tool.refbook]`` of ``pyproject.toml``,
whichever is found first from the current directory upward; user settings in
``<user config dir>/refbook/config.toml`` (platformdirs).  Every setting is declared in
``SETTINGS`` with its default; an unknown name or a value of the wrong type is a
``ConfigError`` (exit code 4) naming the file and the setting.  ``refbook config`` shows
the effective value of each and where it came from.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple, cast

from .errors import ConfigError, InputError


# NamedTuple and a plain class, not dataclasses: importing dataclasses (with inspect)
# took ~10 ms of every warm key completion
class Setting(NamedTuple):
    name: str  # dotted: "check.concurrency"
    default: Any
    help: str
    env: str | None = None  # environment variable that overrides it
    # what is wrong with a value of the right type (None: nothing), said in the error
    problem: Callable[[Any], str | None] | None = None


def _key_pattern_problem(pattern: str) -> str | None:
    from .keys import pattern_problem

    return pattern_problem(pattern)


def _severity_problem(value: str) -> str | None:
    from .findings import Severity

    names = [s.value for s in Severity]
    return None if value in names else f"{value!r} is not one of {', '.join(names)}"


def _settings(*items: Setting) -> dict[str, Setting]:
    return {s.name: s for s in items}


SETTINGS: dict[str, Setting] = _settings(
    Setting("bib", "", "Bibliography file (relative to the config file).", "REFBOOK_BIB"),
    Setting(
        "encoding",
        "",
        "Encoding of the bibliography (empty: its byte-order mark or "
        "JabRef '% Encoding:' header, else UTF-8).",
        "REFBOOK_ENCODING",
    ),
    Setting(
        "key_pattern",
        "[auth:lower][year][shorttitle:lower]",
        "Citation key pattern for new entries (JabRef syntax).",
        problem=_key_pattern_problem,
    ),
    # search
    Setting(
        "search.index_min_entries",
        2000,
        "No longer used (every bibliography is read through the library cache: "
        "`refbook cache`); accepted so that existing settings files still load.",
    ),
    # check
    Setting("check.mailto", "", "E-mail sent in the User-Agent (Crossref's polite pool)."),
    Setting("check.concurrency", 32, "Requests in flight at once."),
    Setting("check.per_host", 4, "Requests in flight per host."),
    Setting("check.timeout", 10.0, "Seconds before a request times out."),
    Setting("check.retries", 2, "Retries for timeouts and 5xx answers."),
    Setting("check.max_age", "1d", "How long a cached result is reused."),
    Setting(
        "check.updates_max_age",
        "12h",
        "How long a DOI's retraction, correction and published-version status is reused "
        "(at most check.max_age).",
    ),
    Setting(
        "check.fail_on",
        "error",
        "Lowest severity that fails the run.",
        problem=_severity_problem,
    ),
    Setting("check.allow_private", False, "Allow private, loopback and link-local addresses."),
    Setting("check.exclude", [], "URL regexes that are not checked."),
    Setting(
        "check.doi_resolver", "https://doi.org", "DOI resolver base URL.", "REFBOOK_DOI_RESOLVER"
    ),
    Setting(
        "check.crossref_api",
        "https://api.crossref.org",
        "Crossref REST API base URL.",
        "REFBOOK_CROSSREF_API",
    ),
    Setting(
        "check.datacite_api",
        "https://api.datacite.org",
        "DataCite REST API base URL.",
        "REFBOOK_DATACITE_API",
    ),
    # add
    Setting(
        "add.allow_private",
        False,
        "Allow private, loopback and link-local addresses in add --doi (the resolver) and --url.",
    ),
    # export
    Setting("export.style", "apa", "Default citation style (name or .csl path)."),
    Setting(
        "export.pandoc",
        "",
        "pandoc executable (default: the pypandoc-binary one).",
        "REFBOOK_PANDOC",
    ),
    # lint
    Setting("lint.select", [], "Rule ids or families to run (empty: all)."),
    Setting("lint.ignore", [], "Rule ids or families to skip."),
    Setting(
        "lint.fail_on",
        "error",
        "Lowest severity that fails the run.",
        problem=_severity_problem,
    ),
    # fmt
    Setting("fmt.indent", "  ", "Indentation of fields."),
    Setting("fmt.quote", "{", "Value delimiter: '{' or '\"'."),
    Setting("fmt.field_case", "lower", "Field name case: lower or upper."),
    Setting("fmt.align", False, "Align '=' within an entry."),
    Setting("fmt.sort", "none", "Entry order: none, key or year."),
    Setting("fmt.field_order", [], "Field order (empty: refbook's default order)."),
    # manuscripts
    Setting("manuscript.ignore_uncited", [], "Keys never reported as uncited."),
)


class Config:
    def __init__(self) -> None:
        self.values: dict[str, Any] = {}
        self.sources: dict[str, str] = {}
        self.base_dirs: dict[str, Path] = {}  # for relative paths

    def get(self, name: str) -> Any:
        return self.values[name]

    def __getitem__(self, name: str) -> Any:
        return self.values[name]

    def path(self, name: str) -> Path | None:
        """A path setting, resolved against the directory of the file that set it."""
        value = self.values.get(name)
        if not value:
            return None
        p = Path(os.path.expanduser(value))
        base = self.base_dirs.get(name)
        return p if p.is_absolute() or base is None else base / p


def find_project_file(start: Path | None = None) -> tuple[Path, dict[str, Any]] | None:
    """The nearest ``refbook.toml`` (or ``pyproject.toml`` with ``[tool.refbook]``)."""
    here = (start or Path.cwd()).resolve()
    for d in (here, *here.parents):
        candidate = d / "refbook.toml"
        if candidate.is_file():
            return candidate, _read_toml(candidate)
        pyproject = d / "pyproject.toml"
        if pyproject.is_file() and _mentions_refbook(pyproject):
            data = _read_toml(pyproject)
            if "refbook" in data.get("tool", {}):
                return pyproject, data["tool"]["refbook"]
    return None


def _mentions_refbook(path: Path) -> bool:
    """Whether ``path`` has the word at all (any way of writing ``[tool.refbook]``
    does): most projects' pyproject.toml need not be parsed on every command."""
    try:
        return b"refbook" in path.read_bytes()
    except OSError:
        return True  # _read_toml says what is wrong


def user_config_file() -> Path:
    from .paths import config_dir

    return config_dir() / "config.toml"


def _read_toml(path: Path) -> dict[str, Any]:
    if sys.version_info >= (3, 11):  # here: most runs find no TOML file to read
        import tomllib
    else:  # Python 3.10
        import tomli as tomllib
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: error: invalid TOML: {exc}") from None
    except OSError as exc:
        raise ConfigError(f"{path}: error: cannot read ({exc.strerror})") from None


def _flatten(data: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in data.items():
        name = f"{prefix}{k}".replace("-", "_")
        if isinstance(v, dict):
            out.update(_flatten(v, name + "."))
        else:
            out[name] = v
    return out


def _check_type(name: str, value: Any, where: str) -> Any:
    default = SETTINGS[name].default
    expected: tuple[type, ...]
    if isinstance(default, bool):
        expected = (bool,)
    elif isinstance(default, int):
        expected = (int,)
    elif isinstance(default, float):
        expected = (int, float)
    elif isinstance(default, list):
        expected = (list,)
    else:
        expected = (str,)
    if not isinstance(value, expected) or (isinstance(value, bool) and bool not in expected):
        raise ConfigError(
            f"{where}: error: setting {name!r} must be {expected[0].__name__}, "
            f"got {type(value).__name__} {value!r}"
        )
    return float(cast(float, value)) if expected == (int, float) else value


def load_config(cwd: Path | None = None) -> Config:
    cfg = Config()
    for name, setting in SETTINGS.items():
        cfg.values[name] = setting.default
        cfg.sources[name] = "default"
    layers: list[tuple[Path, dict[str, Any]]] = []
    user = user_config_file()
    if user.is_file():
        layers.append((user, _read_toml(user)))
    project = find_project_file(cwd)
    if project is not None:
        layers.append(project)
    for path, data in layers:
        for name, value in _flatten(data).items():
            if name not in SETTINGS:
                raise ConfigError(
                    f"{path}: error: unknown setting {name!r} (see `refbook config` for the list)"
                )
            cfg.values[name] = _check_type(name, value, str(path))
            problem = SETTINGS[name].problem
            said = problem(cfg.values[name]) if problem else None
            if said:
                raise ConfigError(f"{path}: error: setting {name!r}: {said}")
            cfg.sources[name] = str(path)
            cfg.base_dirs[name] = path.parent
    for name, setting in SETTINGS.items():
        if setting.env and os.environ.get(setting.env):
            value = os.environ[setting.env]
            cfg.values[name] = value
            cfg.sources[name] = f"environment {setting.env}"
            cfg.base_dirs[name] = Path.cwd()
    return cfg


def bib_encoding(option: str | None, cfg: Config | None) -> str | None:
    """The bibliography's encoding as the user gives it (``--encoding``, else the
    ``encoding`` setting of ``cfg``), or None: the file says (byte-order mark, header) or
    UTF-8."""
    if option:
        from .encoding import check_name

        return check_name(option)
    if cfg is None or not cfg["encoding"]:
        return None
    from .encoding import lookup

    value = str(cfg["encoding"])
    if lookup(value) is None:
        raise ConfigError(
            f"{cfg.sources['encoding']}: error: setting 'encoding': unknown encoding {value!r}"
        )
    return value


def find_bib(option: str | None, cfg: Config, cwd: Path | None = None) -> str:
    """The bibliography to use: ``--bib``, else ``REFBOOK_BIB``/config ``bib``, else the
    nearest ``references.bib`` from the current directory upward."""
    if option:
        return option
    configured = cfg.path("bib")
    if configured is not None:
        return str(configured)
    here = (cwd or Path.cwd()).resolve()
    for d in (here, *here.parents):
        candidate = d / "references.bib"
        if candidate.is_file():
            return str(candidate) if d != here else "references.bib"
    raise InputError(
        f"error: no references.bib in {here} or its parents; "
        "use --bib PATH or set REFBOOK_BIB, or start one with `refbook init`"
    )
