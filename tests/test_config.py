"""Settings (refbook/config.py): defaults, the user's config file, the project's
(refbook.toml or pyproject.toml's [tool.refbook]), the environment; every value checked
against SETTINGS, a bad one exit 4 naming the file and the setting."""

from __future__ import annotations

import json
import shutil

from refbook.config import SETTINGS, find_bib, load_config

from .conftest import FIXTURES

FIELD_ORDER = FIXTURES / "store" / "field_order.bib"


def test_config_shows_sources_and_bib_from_project_file(cli, tmp_path):
    shutil.copyfile(FIELD_ORDER, tmp_path / "mine.bib")
    (tmp_path / "refbook.toml").write_text('bib = "mine.bib"\n[check]\nconcurrency = 8\n')
    data = json.loads(cli("config", "--json", cwd=tmp_path).stdout)
    assert data["settings"]["check.concurrency"] == {
        "value": 8,
        "source": str(tmp_path / "refbook.toml"),
        "help": data["settings"]["check.concurrency"]["help"],
    }
    assert data["settings"]["export.style"]["source"] == "default"
    assert data["bib"] == str(tmp_path / "mine.bib")
    assert cli("list", "--keys", cwd=tmp_path).stdout.split() == ["zeta2019"]


def test_pyproject_tool_refbook_section(cli, tmp_path):
    (tmp_path / "pyproject.toml").write_text('[tool.refbook.lint]\nfail_on = "warning"\n')
    data = json.loads(cli("config", "--json", cwd=tmp_path).stdout)
    assert data["settings"]["lint.fail_on"]["value"] == "warning"


def test_bad_config_is_exit_4(cli, tmp_path):
    (tmp_path / "refbook.toml").write_text("[check\nconcurrency = 8\n")
    result = cli("config", cwd=tmp_path)
    assert result.exit_code == 4
    assert result.stderr.startswith(f"refbook: {tmp_path / 'refbook.toml'}: error: invalid TOML")
    (tmp_path / "refbook.toml").write_text("[check]\nconcurency = 8\n")
    result = cli("list", cwd=tmp_path)
    assert result.exit_code == 4
    assert "unknown setting 'check.concurency'" in result.stderr
    (tmp_path / "refbook.toml").write_text('[check]\nconcurrency = "many"\n')
    result = cli("list", cwd=tmp_path)
    assert result.exit_code == 4
    assert "setting 'check.concurrency' must be int" in result.stderr


def test_user_config_is_read(cli, tmp_path):
    cfg_dir = tmp_path / "userconf"
    cfg_dir.mkdir()
    (cfg_dir / "config.toml").write_text('[export]\nstyle = "ieee"\n')
    data = json.loads(cli("config", "--json", env={"REFBOOK_CONFIG_DIR": str(cfg_dir)}).stdout)
    assert data["settings"]["export.style"]["value"] == "ieee"
    assert data["settings"]["export.style"]["source"] == str(cfg_dir / "config.toml")


def test_project_file_overrides_user_file_and_environment_overrides_both(cli, tmp_path):
    cfg_dir = tmp_path / "userconf"
    cfg_dir.mkdir()
    (cfg_dir / "config.toml").write_text(
        '[export]\nstyle = "ieee"\npandoc = "/user/pandoc"\n[check]\ntimeout = 3.5\n'
    )
    project = tmp_path / "project"
    project.mkdir()
    (project / "refbook.toml").write_text('[export]\nstyle = "mla"\npandoc = "/project/pandoc"\n')
    env = {"REFBOOK_CONFIG_DIR": str(cfg_dir), "REFBOOK_PANDOC": "/env/pandoc"}
    data = json.loads(cli("config", "--json", cwd=project, env=env).stdout)["settings"]
    assert data["export.style"]["value"] == "mla"  # project over user
    assert data["check.timeout"]["value"] == 3.5  # user over default
    assert data["export.pandoc"] == {
        "value": "/env/pandoc",
        "source": "environment REFBOOK_PANDOC",
        "help": SETTINGS["export.pandoc"].help,
    }


def test_values_are_checked_against_the_defaults_type(tmp_path):
    (tmp_path / "refbook.toml").write_text("[check]\ntimeout = 5\nretries = 0\n")
    cfg = load_config(tmp_path)
    assert cfg["check.timeout"] == 5.0 and isinstance(cfg["check.timeout"], float)
    assert cfg["check.retries"] == 0
    for text, said in [
        ("[check]\nconcurrency = true\n", "setting 'check.concurrency' must be int, got bool"),
        ("[check]\nallow_private = 1\n", "setting 'check.allow_private' must be bool"),
        ('[lint]\nselect = "url"\n', "setting 'lint.select' must be list"),
    ]:
        (tmp_path / "refbook.toml").write_text(text)
        result = _config_error(tmp_path)
        assert result.startswith(f"{tmp_path / 'refbook.toml'}: error: {said}"), result


def _config_error(where) -> str:
    from refbook.errors import ConfigError

    try:
        load_config(where)
    except ConfigError as exc:
        return str(exc)
    raise AssertionError("no ConfigError")


def test_bib_setting_is_relative_to_its_config_file(tmp_path):
    shutil.copyfile(FIELD_ORDER, tmp_path / "mine.bib")
    (tmp_path / "refbook.toml").write_text('bib = "mine.bib"\n')
    below = tmp_path / "chapters" / "one"
    below.mkdir(parents=True)
    assert find_bib(None, load_config(below), below) == str(tmp_path / "mine.bib")
    assert find_bib("other.bib", load_config(below), below) == "other.bib"  # --bib wins


def test_references_bib_is_found_upward(tmp_path):
    (tmp_path / "references.bib").write_text("@misc{a, title={T}}\n")
    below = tmp_path / "a" / "b"
    below.mkdir(parents=True)
    assert find_bib(None, load_config(below), below) == str(tmp_path / "references.bib")
    assert find_bib(None, load_config(tmp_path), tmp_path) == "references.bib"


def test_every_setting_has_help_and_a_default_of_a_checked_type():
    for name, setting in SETTINGS.items():
        assert setting.help.endswith("."), name
        assert type(setting.default) in (str, int, float, bool, list), name


def test_unknown_fail_on_severity_is_exit_4_not_a_traceback(cli, tmp_path):
    # lint.fail_on = "fatal" used to end in a ValueError traceback from the Severity enum
    shutil.copyfile(FIELD_ORDER, tmp_path / "references.bib")
    (tmp_path / "refbook.toml").write_text('[lint]\nfail_on = "fatal"\n')
    result = cli("lint", cwd=tmp_path)
    assert result.exit_code == 4
    assert result.stderr == (
        f"refbook: {tmp_path / 'refbook.toml'}: error: setting 'lint.fail_on': "
        "'fatal' is not one of error, warning, info\n"
    )
