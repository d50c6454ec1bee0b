"""Citation keys for new entries (refbook/keys.py): JabRef-style patterns, ASCII
transliteration, uniqueness ignoring case, and the ``key_pattern`` setting."""

from __future__ import annotations

import pytest

import refbook
from refbook.keys import ascii_fold, make_key, pattern_problem, unique_key

from .conftest import SHIPPED_BIB


def _entry(source: str) -> refbook.Entry:
    return next(iter(refbook.loads(source)))


def test_key_pattern_and_uniqueness():
    lib = refbook.loads(
        '@misc{x, author={Schr{\\"o}der, J.}, title={The Border Question}, '
        "year={2019}}\n@misc{y, author={\\c{C}elik, A.}, title={On Trade}, "
        "year={2020}}\n@misc{z, author={{PTI}}, title={News}, year={2023}}\n"
    )
    assert make_key(lib["x"]) == "schroder2019border"
    assert make_key(lib["y"]) == "celik2020trade"
    assert make_key(lib["z"]) == "pti2023news"
    assert make_key(lib["x"], "[authors2][year]") == "Schroder2019"
    assert make_key(refbook.load(SHIPPED_BIB)["zahid2023dealing"]) == "zahid2023dealing"
    assert unique_key("zahid2023dealing", ["Zahid2023Dealing"]) == "zahid2023dealinga"
    assert unique_key("k", ["k", "ka", "KB"]) == "kc"


def test_every_pattern_field_and_modifier():
    e = _entry(
        "@article{k, author={Kaleem, M. and Iqbal, K. and Zahid, F.}, "
        "title={How the Taliban and the TTP Work Together}, year={2023}, pages={e12--30}}"
    )
    assert make_key(e, "[auth][year]") == "Kaleem2023"
    assert make_key(e, "[auth:upper]") == "KALEEM"
    assert make_key(e, "[authors2]") == "KaleemEtAl"  # three or more: the first + EtAl
    assert make_key(e, "[shorttitle]") == "Taliban"  # "How" and "the" are skipped
    assert make_key(e, "[veryshorttitle:lower]") == "taliban"
    assert make_key(e, "[title]") == "TalibanTtpWork"  # three significant words, capitalised
    assert make_key(e, "[firstpage]") == "e12"
    assert make_key(e, "[auth:lower]-[year]") == "kaleem-2023"  # text between fields kept


def test_missing_author_and_year():
    e = _entry("@misc{k, title={A Report}}")
    assert make_key(e) == "anon" + "nd" + "report"
    e = _entry("@book{k, editor={Barfield, Thomas}, title={Afghanistan}, year={2010}}")
    assert make_key(e) == "barfield2010afghanistan"  # an editor when there is no author
    assert make_key(_entry("@misc{k, title={The}}"), "[shorttitle]") == "entry"


def test_keys_are_ascii():
    assert ascii_fold("Schröder Łukasz Ørsted straße") == "Schroder Lukasz Orsted strasse"
    # capital thorn and eth too (they were dropped: Þórarinsson gave "orarinsson")
    assert ascii_fold("Þórarinsson Ðorđević") == "Thorarinsson Dordevic"
    assert ascii_fold("日本") == ""  # no ASCII form: dropped
    e = _entry("@misc{k, author={Øvergaard, Å.}, title={Æsthetics}, year={2001}}")
    assert make_key(e) == "overgaard2001aesthetics"


def test_unique_key_runs_past_z():
    taken = ["k"] + [f"k{chr(c)}" for c in range(ord("a"), ord("z") + 1)]
    assert unique_key("k", taken) == "kaa"
    assert unique_key("new", taken) == "new"


def test_pattern_problems_are_named():
    assert pattern_problem("[auth:lower][year][shorttitle:lower]") is None
    assert pattern_problem("[author][year]").startswith("unknown field [author]")
    assert pattern_problem("[auth:title]").startswith("unknown modifier :title")
    with pytest.raises(ValueError):
        make_key(_entry("@misc{k, title={T}}"), "[bogus]")


def test_a_bad_key_pattern_setting_is_a_config_error(cli, tmp_path):
    """A typo in key_pattern is exit 4 naming the file and the setting (it was a Python
    traceback when the first entry needed a key), before anything is written."""
    bib = tmp_path / "r.bib"
    bib.write_text("@misc{a, title={T}, year={2020}}\n")
    new = tmp_path / "new.bib"
    new.write_text("@misc{a, title={Other Thing}, author={Roe, J.}, year={2022}}\n")
    (tmp_path / "refbook.toml").write_text('key_pattern = "[auth:title][year]"\n')
    result = cli("add", str(new), "--bib", str(bib), cwd=tmp_path)
    assert result.exit_code == 4
    assert result.stderr == (
        f"refbook: {tmp_path / 'refbook.toml'}: error: setting 'key_pattern': unknown "
        "modifier :title in [auth:title] (known: :lower, :upper)\n"
    )
    assert bib.read_text() == "@misc{a, title={T}, year={2020}}\n"


def test_add_names_new_entries_by_the_key_pattern_setting(cli, tmp_path):
    bib = tmp_path / "r.bib"
    bib.write_text("@misc{a, title={T}, year={2020}}\n")
    new = tmp_path / "new.bib"
    new.write_text("@misc{a, title={Other Thing}, author={Roe, J.}, year={2022}}\n")
    (tmp_path / "refbook.toml").write_text('key_pattern = "[auth:upper]_[year]"\n')
    assert cli("add", str(new), "--bib", str(bib), cwd=tmp_path).exit_code == 0
    assert [e.key for e in refbook.load(bib)] == ["a", "ROE_2022"]
