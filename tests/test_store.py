"""The store never damages the user's file: lossless round trips, minimal-diff edits,
atomic locked writes, and clear one-line errors for malformed input."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from refbook import bibtex
from refbook.errors import InputError, UsageError, WriteError
from refbook.store import BibFile, editing

from .conftest import FIXTURES, SHIPPED_BIB

STORE_FIXTURES = sorted((FIXTURES / "store").glob("*.bib"))


def test_there_are_at_least_twelve_store_fixtures():
    assert len(STORE_FIXTURES) >= 12


@pytest.mark.parametrize("path", STORE_FIXTURES + [SHIPPED_BIB], ids=lambda p: p.name)
def test_unchanged_file_renders_byte_identical(path: Path):
    data = path.read_bytes()
    bib = BibFile.read(path)
    assert bib.render_bytes() == data
    # and a save with no change does not even rewrite the file
    assert bib.entries(), "fixture has entries"


@pytest.mark.parametrize("path", STORE_FIXTURES + [SHIPPED_BIB], ids=lambda p: p.name)
def test_every_entry_edit_round_trips_through_rendering(path: Path, tmp_path):
    """Replacing each entry by its own text (a no-op edit) still gives identical bytes."""
    copy = tmp_path / path.name
    copy.write_bytes(path.read_bytes())
    bib = BibFile.read(copy)
    for blk in bib.entries():
        bib.replace_entry(blk.key, bib.block_text(blk))
    assert bib.modified
    assert bib.render_bytes() == path.read_bytes()


def test_tugboat_round_trip_is_byte_identical(tugboat):
    data = tugboat.read_bytes()
    bib = BibFile.read(tugboat)
    assert len(bib.entries()) > 3000
    assert not [p for p in bib.problems if p.severity == "error"]
    assert bib.render_bytes() == data


def test_noop_save_does_not_touch_the_file(tmp_bib):
    before = os.stat(tmp_bib)
    bib = BibFile.read(tmp_bib)
    assert bib.save() is False
    after = os.stat(tmp_bib)
    assert (before.st_mtime_ns, before.st_ino) == (after.st_mtime_ns, after.st_ino)


def _edit_and_diff(path: Path, key: str, field: str, value: str, tmp_path: Path):
    copy = tmp_path / path.name
    copy.write_bytes(path.read_bytes())
    bib = BibFile.read(copy)
    blk = bib.find(key)
    start, end = blk.start, blk.end
    original = bib.text
    bib.set_field(key, field, value)
    bib.save()
    new = copy.read_bytes().decode("utf-8-sig")
    return original, new, start, end


@pytest.mark.parametrize("path", STORE_FIXTURES, ids=lambda p: p.name)
def test_set_field_changes_only_that_entry(path: Path, tmp_path):
    bib = BibFile.read(path)
    key = bib.entries()[-1].key
    original, new, start, end = _edit_and_diff(path, key, "note", "Added by a test", tmp_path)
    assert new[:start] == original[:start]
    tail = len(original) - end
    assert new[len(new) - tail :] == original[end:]
    reread = BibFile.read(tmp_path / path.name)
    entry = reread.find(key).entry
    assert (
        bibtex.evaluate(next(f.value for f in entry.fields if f.key.lower() == "note"))
        == "Added by a test"
    )
    assert not [p for p in reread.problems if p.rule == "syntax"]


def test_new_field_follows_the_entrys_layout(tmp_path):
    for name, expected in [
        ("tabs_no_trailing_comma.bib", "\tyear = {2016},\n\tnote = {N}\n}"),
        ("aligned.bib", "  year      = {2011},\n  note      = {N},\n}"),
        ("single_line.bib", "title={Second One-Liner},year={2007}, note={N}}"),
        ("upper_case.bib", "  YEAR = {2008},\n  NOTE = {N},\n}"),
        ("crlf.bib", "  year = {2016},\r\n  note = {N},\r\n}"),
    ]:
        path = FIXTURES / "store" / name
        bib = BibFile.read(path)
        key = bib.entries()[-1].key
        bib.set_field(key, "note", "N")
        assert expected in bib.render(), name


def test_changing_an_existing_value_keeps_its_delimiters(tmp_path):
    bib = BibFile.read(FIXTURES / "store" / "quotes.bib")
    bib.set_field("quote2018", "year", "2019")
    assert 'year = "2019",' in bib.render()
    bib = BibFile.read(FIXTURES / "store" / "strings_concat.bib")
    bib.set_field("knuth1984", "journal", "Other")
    assert "journal = {Other}," in bib.render()
    assert '@string{tug = "TUGboat"}' in bib.render()


def test_remove_field_removes_its_line_only():
    bib = BibFile.read(FIXTURES / "store" / "field_order.bib")
    assert bib.remove_field("zeta2019", "pages")
    assert bib.render() == (FIXTURES / "store" / "field_order.bib").read_text().replace(
        "  pages = {1--10},\n", ""
    )


def test_appended_entry_uses_the_files_style():
    cases = {
        "tabs_no_trailing_comma.bib": "@book{new,\n\ttitle = {T},\n\tyear = {2024}\n}\n",
        "crlf.bib": "@article{new,\r\n  title = {T},\r\n  year = {2024},\r\n}\r\n",
        "quotes.bib": '@article{new,\n  title = "T",\n  year = "2024",\n}\n',
        "upper_case.bib": "@ARTICLE{new,\n  TITLE = {T},\n  YEAR = {2024},\n}\n",
    }
    for name, expected in cases.items():
        path = FIXTURES / "store" / name
        bib = BibFile.read(path)
        etype = bib.entries()[0].entry.entry_type.lower()
        bib.append_entry(bib.format_entry(etype, "new", [("title", "T"), ("year", "2024")]))
        out = bib.render()
        assert out.startswith(path.read_bytes().decode("utf-8-sig")), name
        assert out.endswith(expected), (name, out[-80:])


def test_append_to_file_without_final_newline_separates_entries():
    bib = BibFile.read(FIXTURES / "store" / "no_final_newline.bib")
    bib.append_entry(bib.format_entry("misc", "new", [("title", "T")]))
    assert (
        bib.render()
        == (FIXTURES / "store" / "no_final_newline.bib").read_text()
        + "\n\n@misc{new,\n  title = {T},\n}\n"
    )
    BibFile(bib.render())  # parses


def test_remove_entry_leaves_no_gap():
    text = "@misc{a, title={A}}\n\n@misc{b, title={B}}\n\n@misc{c, title={C}}\n"
    bib = BibFile(text)
    bib.remove_entry("b")
    assert bib.render() == "@misc{a, title={A}}\n\n@misc{c, title={C}}\n"


def test_bom_is_kept():
    path = FIXTURES / "store" / "bom.bib"
    bib = BibFile.read(path)
    bib.set_field("bom2010", "year", "2011")
    assert bib.render_bytes().startswith(b"\xef\xbb\xbf@misc{bom2010,")


def test_invalid_values_are_refused_and_nothing_changes():
    bib = BibFile.read(FIXTURES / "store" / "field_order.bib")
    with pytest.raises(bibtex.BibSyntaxError):
        bib.set_field("zeta2019", "title", "unbalanced {brace")
    with pytest.raises(UsageError):
        bib.replace_entry("zeta2019", "@article{zeta2019, title = {x}")
    assert not bib.modified
    assert bib.render() == (FIXTURES / "store" / "field_order.bib").read_text()


def test_duplicate_keys_are_reported_with_both_lines_and_kept():
    bib = BibFile.read(FIXTURES / "store" / "duplicate_keys.bib")
    assert [b.key for b in bib.entries()] == ["dup2006", "DUP2006"]
    dups = [p for p in bib.problems if p.rule == "duplicate-key"]
    assert len(dups) == 1
    assert str(dups[0]).startswith(
        "duplicate_keys.bib:6: error: duplicate key 'DUP2006' (also on line 1)"
    ) or "(also on line 1)" in str(dups[0])
    assert dups[0].line == 6


def test_keyless_entries_are_reported_once_each_with_their_line():
    """58 entries '@article{,' were reported 57 times as "duplicate key ''"."""
    bib = BibFile(
        "@article{,\n  title = {A},\n}\n\n@article{,\n  title = {B},\n}\n\n"
        "@misc{named, title = {C}}\n\n@book{, title = {D}}\n",
        name="k.bib",
    )
    assert [str(p) for p in bib.problems] == [
        "k.bib:1: error: entry without a key (it cannot be cited)",
        "k.bib:5: error: entry without a key (it cannot be cited)",
        "k.bib:11: error: entry without a key (it cannot be cited)",
    ]
    assert len(bib.entries()) == 4


# -- saving -------------------------------------------------------------------------


def test_save_is_refused_when_the_file_changed_on_disk(tmp_bib):
    bib = BibFile.read(tmp_bib)
    key = bib.entries()[0].key
    bib.set_field(key, "note", "mine")
    other = tmp_bib.read_text() + "\n% someone else's edit\n"
    tmp_bib.write_text(other)
    with pytest.raises(WriteError, match="changed on disk"):
        bib.save()
    assert tmp_bib.read_text() == other


def test_save_keeps_file_mode_and_leaves_no_temp_files(tmp_bib):
    os.chmod(tmp_bib, 0o640)
    bib = BibFile.read(tmp_bib)
    bib.set_field(bib.entries()[0].key, "note", "x")
    assert bib.save() is True
    assert stat.S_IMODE(os.stat(tmp_bib).st_mode) == 0o640
    assert sorted(p.name for p in tmp_bib.parent.iterdir()) == ["references.bib"]


def test_save_follows_a_symlink(tmp_bib):
    link = tmp_bib.parent / "link.bib"
    link.symlink_to(tmp_bib)
    bib = BibFile.read(link)
    bib.set_field(bib.entries()[0].key, "note", "through the link")
    bib.save()
    assert link.is_symlink()
    assert "through the link" in tmp_bib.read_text()


def test_second_save_after_first_edits_again(tmp_bib):
    bib = BibFile.read(tmp_bib)
    keys = [b.key for b in bib.entries()]
    bib.set_field(keys[0], "note", "one")
    bib.save()
    bib.set_field(keys[1], "note", "two")
    bib.save()
    again = BibFile.read(tmp_bib)
    assert "note = {one}" in again.block_text(again.find(keys[0]))
    assert "note = {two}" in again.block_text(again.find(keys[1]))
    assert again.find(keys[1]).line == bib.find(keys[1]).line


def test_editing_context_saves_under_the_lock(tmp_bib):
    with editing(tmp_bib) as bib:
        bib.set_field(bib.entries()[0].key, "note", "ctx")
    assert "note = {ctx}" in tmp_bib.read_text()


def test_stdin_library_cannot_be_saved():
    bib = BibFile("@misc{a, title={A}}\n", "-")
    with pytest.raises(UsageError):
        bib.save()


# -- property: random edits of one field change only that entry ---------------------

_value = st.text(
    alphabet=st.characters(blacklist_characters="{}\\\r", blacklist_categories=("Cs", "Cc")),
    max_size=40,
).map(str.strip)
_field = st.sampled_from(["title", "note", "year", "annotation", "keywords", "pages", "x-new"])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), field=_field, value=_value)
def test_property_one_field_edit_changes_only_that_entry(data, field, value):
    path = data.draw(st.sampled_from(STORE_FIXTURES + [SHIPPED_BIB]), label="file")
    bib = BibFile.read(path)
    blocks = bib.entries()
    blk = data.draw(st.sampled_from(blocks), label="entry")
    original = bib.text
    start, end = blk.start, blk.end
    bib.set_field(blk.key, field, value)
    new = bib.render()
    assert new[:start] == original[:start]
    assert new[len(new) - (len(original) - end) :] == original[end:]
    reread = BibFile(new)
    entry = reread.find(blk.key).entry
    values = {f.key.lower(): f.value for f in entry.fields}
    assert bibtex.evaluate(values[field], reread.strings) == value
    assert [b.key for b in reread.entries()] == [b.key for b in blocks]


# -- malformed input ----------------------------------------------------------------

MALFORMED = FIXTURES / "malformed"

# file -> (exit code of `refbook list`, the one-line message on stderr)
MALFORMED_CASES = {
    "unclosed_brace.bib": (
        3,
        "unclosed_brace.bib:1: error: entry is not closed: unbalanced '{' "
        "or '\"' (reached the end of the file) (near key unclosed2020); "
        "no entry could be read",
    ),
    "missing_comma_after_key.bib": (
        3,
        "missing_comma_after_key.bib:1: error: missing comma "
        "after the key (near key nocomma2020); no entry could be read",
    ),
    "missing_comma_between_fields.bib": (
        0,
        "missing_comma_between_fields.bib:7: error: field "
        "'title': unexpected text 'year = {2021}' after value "
        "(missing comma?) (near key nocomma2021)",
    ),
    "missing_key.bib": (3, "missing_key.bib:1: error: entry has no key; no entry could be read"),
    "parenthesis_mismatch.bib": (
        3,
        "parenthesis_mismatch.bib:1: error: expected a `=` after "
        "entry key, but found `}` (line 4) (near key mixed2020); no "
        "entry could be read",
    ),
    "stray_at.bib": (
        0,
        "stray_at.bib:1: warning: stray '@' that does not start an entry (kept as a comment)",
    ),
    "bad_encoding.bib": (
        3,
        "bad_encoding.bib:2: error: not UTF-8 (byte 0xFC, near key "
        "latin2020); it looks like windows-1252: use refbook --encoding "
        'windows-1252 (or encoding = "windows-1252" in refbook.toml)',
    ),
    "empty.bib": (1, "empty.bib: no entries"),
    "binary_garbage.bib": (
        3,
        "binary_garbage.bib:3: error: binary data (NUL byte); this is not a BibTeX file",
    ),
    "no_entries.bib": (3, "no_entries.bib: error: no BibTeX entries found"),
    "duplicate_field.bib": (
        0,
        "duplicate_field.bib:3: error: field 'title' written twice "
        "(lines 2 and 3); BibTeX reads the first (near key dupfield2020)",
    ),
    "one_bad_among_good.bib": (
        0,
        "one_bad_among_good.bib:6: error: entry is not closed: "
        "unbalanced '{' or '\"' before the next entry on line 11 (near "
        "key broken2020)",
    ),
}


@pytest.mark.parametrize("name", sorted(MALFORMED_CASES))
def test_malformed_input_gives_one_line_error_and_exit_code(name, cli):
    code, message = MALFORMED_CASES[name]
    result = cli("list", "--bib", name, cwd=MALFORMED)
    assert result.exit_code == code
    lines = [ln.removeprefix("refbook: ") for ln in result.stderr.splitlines()]
    assert message in lines


def test_malformed_files_keep_every_byte(tmp_path):
    """Blocks that fail to parse survive an edit of another entry verbatim."""
    path = tmp_path / "f.bib"
    path.write_bytes((MALFORMED / "one_bad_among_good.bib").read_bytes())
    bib = BibFile.read(path)
    assert [b.key for b in bib.entries()] == ["ok2019", "ok2021"]
    bib.set_field("ok2021", "note", "edited")
    bib.save()
    text = path.read_text()
    assert "@article{broken2020,\n  title = {Unbalanced {Brace},\n  year = {2020},\n}" in text
    assert "note = {edited}" in text


def test_partial_file_still_lists_the_good_entries(cli):
    result = cli("list", "--keys", "--bib", str(MALFORMED / "one_bad_among_good.bib"))
    assert result.stdout.split() == ["ok2019", "ok2021"]


def test_directory_instead_of_file(cli, tmp_path):
    (tmp_path / "dir.bib").mkdir()
    result = cli("list", "--bib", "dir.bib", cwd=tmp_path)
    assert result.exit_code == 3
    assert result.stderr.strip() == "refbook: dir.bib: error: is a directory, not a .bib file"


def test_missing_file(cli, tmp_path):
    result = cli("list", "--bib", "nope.bib", cwd=tmp_path)
    assert result.exit_code == 3
    assert result.stderr.strip() == "refbook: nope.bib: error: no such file"


def test_unreadable_file(cli, tmp_path, monkeypatch):
    path = tmp_path / "secret.bib"
    path.write_text("@misc{a, title={A}}\n")
    os.chmod(path, 0)
    if os.access(path, os.R_OK):  # running as root: permissions do not stop reads
        original = Path.read_bytes

        def deny(self):
            if self.name == "secret.bib":
                raise PermissionError(13, "Permission denied")
            return original(self)

        monkeypatch.setattr(Path, "read_bytes", deny)
    result = cli("list", "--bib", "secret.bib", cwd=tmp_path)
    assert result.exit_code == 3
    assert result.stderr.strip() == "refbook: secret.bib: error: permission denied"


def test_library_api_raises_input_error_for_unreadable_input():
    with pytest.raises(InputError):
        BibFile.read(MALFORMED / "binary_garbage.bib")
