"""Files in other encodings: the .bib (read in the encoding it declares or the user gives,
written back byte-exact in the same encoding), manuscripts and files to import (detected,
given, or a clear error), and one-line errors that name the likely encoding."""

from __future__ import annotations

import codecs
import json
import shutil
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import refbook
from refbook.encoding import decode, likely_encodings, lookup
from refbook.errors import InputError

from .conftest import FIXTURES

ENC = FIXTURES / "encoding"
ENTRY = "@article{{mueller2020,\n  author = {{{author}}},\n  title = {{{title}}},\n  year = {{2020}},\n}}\n"


def _copy(src: Path, tmp_path: Path, name: str = "references.bib") -> Path:
    dest = tmp_path / name
    shutil.copyfile(src, dest)
    return dest


def _write(tmp_path: Path, text: str, codec: str, bom: bytes = b"", name="references.bib"):
    path = tmp_path / name
    path.write_bytes(bom + text.encode(codec))
    return path


def _records(cli, *args):
    out = cli(*args, "list", "--json")
    assert out.exit_code == 0, out.stderr
    return json.loads(out.stdout)


# -- reading the .bib ---------------------------------------------------------------------


def test_jabref_windows_1252_header_is_honoured(cli):
    """JabRef writes '% Encoding: windows-1252'; the degree sign is byte 0xB0."""
    [rec] = _records(cli, "--bib", str(ENC / "windows-1252-header.bib"))
    assert rec["fields"]["abstract"] == "Water boils at 100\u00b0 C"


def test_utf16_be_with_bom_is_read(cli):
    """A UTF-16BE file as JabRef writes it (byte-order mark, CR line ends) was 'binary data (NUL byte)'."""
    [rec] = _records(cli, "--bib", str(ENC / "utf-16be-bom-cr.bib"))
    assert rec["title"] == "\u00dcber Umlaute"


@pytest.mark.parametrize(
    "name, title",
    [("emacs-latin9.bib", "\u0160ibenik guide"), ("emacs-latin1.bib", "S\u00f6derberg notes")],
)
def test_emacs_coding_cookie_is_honoured(cli, name, title):
    [rec] = _records(cli, "--bib", str(ENC / name))
    assert rec["title"] == title


@pytest.mark.parametrize(
    "codec, bom",
    [
        ("utf-16-le", codecs.BOM_UTF16_LE),
        ("utf-16-be", codecs.BOM_UTF16_BE),
        ("utf-32-le", codecs.BOM_UTF32_LE),
        ("utf-32-be", codecs.BOM_UTF32_BE),
    ],
)
def test_wide_encodings_with_bom_are_edited_in_place(cli, tmp_path, codec, bom):
    text = (
        ENTRY.format(author="M\u00fcller, K\u00e4the", title="\u00c9tude")
        + "\n"
        + ENTRY.format(author="Other, A.", title="Second").replace("mueller2020", "other2021")
    )
    path = _write(tmp_path, text, codec, bom)
    before = path.read_bytes()
    assert cli("--bib", str(path), "list").exit_code == 0
    assert path.read_bytes() == before
    out = cli("--bib", str(path), "set", "other2021", "note=Gr\u00fc\u00dfe")
    assert out.exit_code == 0, out.stderr
    head, last = text.rsplit("  year = {2020},\n}\n", 1)
    expected = head + "  year = {2020},\n  note = {Gr\u00fc\u00dfe},\n}\n" + last
    assert path.read_bytes() == bom + expected.encode(codec)


def test_utf16_without_bom_names_the_encoding(cli, tmp_path):
    path = _write(tmp_path, ENTRY.format(author="A, B", title="T"), "utf-16-le")
    out = cli("--bib", str(path), "list")
    assert out.exit_code == 3
    assert (
        "looks like utf-16-le without a byte-order mark: use refbook --encoding utf-16-le"
        in out.stderr
    )
    ok = cli("--encoding", "utf-16-le", "--bib", str(path), "list", "--keys")
    assert ok.exit_code == 0 and ok.stdout.split() == ["mueller2020"]


GBK_TEXT = ENTRY.format(
    author="\u738b\u5c0f\u660e and \u674e\u534e",
    title="\u4e2d\u56fd\u7ecf\u6d4e\u7684\u53d1\u5c55\u4e0e\u6539\u9769\u7814\u7a76",
)


def test_gbk_file_error_names_the_likely_encoding(cli, tmp_path):
    """It was told to run `iconv -f latin1`."""
    path = _write(tmp_path, GBK_TEXT, "gbk")
    out = cli("--bib", str(path), "list")
    assert out.exit_code == 3
    [line] = out.stderr.splitlines()
    assert line.startswith(f"refbook: {path}:2: error: not UTF-8 (byte 0x")
    assert "near key mueller2020" in line
    assert "it looks like gb18030: use refbook --encoding gb18030" in line
    assert "latin1" not in line


def test_encoding_option_setting_and_environment(cli, tmp_path):
    path = _write(tmp_path, GBK_TEXT, "gbk")
    before = path.read_bytes()
    for args, env in ((("--encoding", "gbk"), {}), ((), {"REFBOOK_ENCODING": "gbk"})):
        out = cli(*args, "--bib", str(path), "list", "--json", env=env)
        assert out.exit_code == 0, out.stderr
        assert json.loads(out.stdout)[0]["fields"]["author"].startswith("\u738b\u5c0f\u660e")
    after_subcommand = cli("list", "--bib", str(path), "--encoding", "gbk", "--keys")
    assert after_subcommand.stdout.split() == ["mueller2020"]
    (tmp_path / "refbook.toml").write_text('encoding = "gb18030"\n')
    out = cli("tag", "mueller2020", "+\u7ecf\u6d4e", cwd=tmp_path)
    assert out.exit_code == 0, out.stderr
    after = path.read_bytes()
    assert after.startswith(before[:-2])  # only the new field at the end of the entry
    assert "keywords = {\u7ecf\u6d4e}".encode("gbk") in after


def test_unknown_encoding_is_a_usage_or_config_error(cli, tmp_path):
    path = _write(tmp_path, ENTRY.format(author="A, B", title="T"), "utf-8")
    out = cli("--encoding", "klingon", "--bib", str(path), "list")
    assert out.exit_code == 2 and "unknown encoding 'klingon'" in out.stderr
    (tmp_path / "refbook.toml").write_text('encoding = "klingon"\n')
    out = cli("list", cwd=tmp_path)
    assert out.exit_code == 4
    assert f"{tmp_path / 'refbook.toml'}: error: setting 'encoding': unknown encoding" in out.stderr


def test_explicit_encoding_that_fails_says_where(cli, tmp_path):
    path = _write(tmp_path, ENTRY.format(author="M\u00fcller, K.", title="T"), "cp1252")
    out = cli("--encoding", "utf-8", "--bib", str(path), "list")
    assert out.exit_code == 3
    assert "it looks like windows-1252" in out.stderr


def test_declared_utf8_that_is_not(cli):
    out = cli("--bib", str(ENC / "utf-8-declared-but-windows-1252.bib"), "list")
    assert out.exit_code == 3
    assert out.stderr.strip().endswith(
        "error: not UTF-8, though declared in its % Encoding: header (byte 0xA0); it looks "
        "like windows-1252: use refbook --encoding windows-1252 (or encoding = "
        '"windows-1252" in refbook.toml)'
    )


def test_stale_header_is_warned_about(cli, tmp_path):
    text = "% Encoding: windows-1252\n\n" + ENTRY.format(author="M\u00fcller, K.", title="T")
    path = _write(tmp_path, text, "utf-8")
    out = cli("--bib", str(path), "list", "--keys")
    assert out.exit_code == 0
    assert "declares windows-1252 in its % Encoding: header but its text is UTF-8" in out.stderr
    assert "M\u00c3\u00bcller" in cli("--bib", str(path), "list").stdout  # as declared
    fixed = cli("--encoding", "utf-8", "--bib", str(path), "list")
    assert "M\u00fcller" in fixed.stdout and "declares" not in fixed.stderr


# -- writing the .bib back ----------------------------------------------------------------


def test_windows_1252_edit_is_byte_minimal(cli, tmp_path):
    path = _copy(ENC / "windows-1252-header.bib", tmp_path)
    text = (
        "% Encoding: windows-1252\n\n@article{a,\n  title = {Caf\u00e9 \u201cnoir\u201d},\n}\n\n"
        "@article{b,\n  title = {Na\u00efve \u2013 b},\n}\n"
    )
    path.write_bytes(text.encode("cp1252"))
    out = cli("--bib", str(path), "set", "b", "note=\u00bc \u20ac")
    assert out.exit_code == 0, out.stderr
    expected = text.replace("b},\n}", "b},\n  note = {\u00bc \u20ac},\n}")
    assert path.read_bytes() == expected.encode("cp1252")


def test_character_the_encoding_cannot_hold_is_refused(cli, tmp_path):
    path = _copy(ENC / "windows-1252-header.bib", tmp_path)
    before = path.read_bytes()
    out = cli("--bib", str(path), "set", "", "note=\u0141\u00f3d\u017a")
    assert out.exit_code == 5
    assert "error: '\u0141' (U+0141)" in out.stderr
    assert "cannot be written in windows-1252, the file's encoding; nothing written" in out.stderr
    assert path.read_bytes() == before


def test_fmt_keeps_the_encoding(cli, tmp_path):
    path = _copy(ENC / "emacs-latin9.bib", tmp_path)
    out = cli("--bib", str(path), "fmt", "-i")
    assert out.exit_code == 0, out.stderr
    text = path.read_bytes().decode("iso8859-15")
    assert "@book{test\u0160," in text and "{\u0160ibenik guide}" in text


def test_python_api_takes_an_encoding(tmp_path):
    path = _write(tmp_path, GBK_TEXT, "gbk")
    with pytest.raises(InputError, match="gb18030"):
        refbook.load(path)
    lib = refbook.load(path, encoding="gbk")
    assert lib["mueller2020"].title.startswith("\u4e2d\u56fd")
    assert lib.bib.encoding.name == "gbk"


def test_no_op_saves_are_byte_identical_in_every_encoding(tmp_path):
    for name in sorted(p.name for p in ENC.glob("*.bib") if "declared" not in p.name):
        lib = refbook.load(ENC / name)
        assert lib.save(tmp_path / name) is True
        assert (tmp_path / name).read_bytes() == (ENC / name).read_bytes(), name


# -- manuscripts and files to import ------------------------------------------------------

BIB = ENTRY.format(author="M\u00fcller, K\u00e4the", title="Stra\u00dfen")


def test_latin1_manuscript_citation_is_matched(cli, tmp_path):
    """It was silently missed (the manuscript was read as UTF-8 with replacement)."""
    _write(tmp_path, BIB, "utf-8")
    _write(tmp_path, "As shown (M\u00fcller, 2020), roads matter.\n", "latin-1", name="paper.txt")
    out = cli("cite-check", "paper.txt", "--json", cwd=tmp_path)
    assert out.exit_code == 0, out.stdout + out.stderr
    [c] = json.loads(out.stdout)["citations"]
    assert c["status"] == "matched" and c["keys"] == ["mueller2020"]
    assert "paper.txt: warning: not UTF-8; read as windows-1252 (detected" in out.stderr
    given = cli("cite-check", "--encoding", "latin-1", "paper.txt", "--json", cwd=tmp_path)
    assert json.loads(given.stdout)["citations"][0]["status"] == "matched"
    assert "warning" not in given.stderr


def test_binary_manuscript_is_a_clear_error(cli, tmp_path):
    _write(tmp_path, BIB, "utf-8")
    (tmp_path / "paper.pdf").write_bytes(b"%PDF-1.5\n\x00\x01\x02binary\xff\xfe")
    out = cli("cite-check", "paper.pdf", cwd=tmp_path)
    assert out.exit_code == 3
    assert out.stderr.strip() == (
        "refbook: paper.pdf:2: error: binary data (NUL byte); this is not a text file"
    )


def test_render_latin1_essay(cli, tmp_path):
    """It was a UnicodeDecodeError traceback."""
    _write(tmp_path, BIB, "utf-8")
    _write(tmp_path, "Roads [@mueller2020] \u00e0 la carte.\n", "latin-1", name="essay.md")
    out = cli("render", "essay.md", cwd=tmp_path)
    assert out.exit_code == 0, out.stderr
    assert "\u00e0 la carte" in out.stdout and "M\u00fcller" in out.stdout


def test_rename_in_latin1_manuscript_keeps_its_encoding(cli, tmp_path):
    bib = _write(tmp_path, BIB, "utf-8")
    ms = _write(tmp_path, "Stra\u00dfe [@mueller2020].\n", "latin-1", name="essay.md")
    out = cli("rename", "mueller2020", "mueller2020roads", "--in", "essay.md", cwd=tmp_path)
    assert out.exit_code == 0, out.stderr
    assert ms.read_bytes() == "Stra\u00dfe [@mueller2020roads].\n".encode("latin-1")
    assert "mueller2020roads" in bib.read_text()


def test_rename_with_a_binary_manuscript_changes_nothing(cli, tmp_path):
    """It renamed in the .bib and a.md, then crashed on b.bin."""
    bib = _write(tmp_path, BIB, "utf-8")
    a = _write(tmp_path, "See [@mueller2020].\n", "utf-8", name="a.md")
    (tmp_path / "b.bin").write_bytes(b"\x00\x01\x02\x03 [@mueller2020]")
    before = bib.read_bytes(), a.read_bytes()
    out = cli("rename", "mueller2020", "m2020", "--in", "a.md", "--in", "b.bin", cwd=tmp_path)
    assert out.exit_code == 3
    assert "b.bin:1: error: binary data (NUL byte)" in out.stderr
    assert (bib.read_bytes(), a.read_bytes()) == before


def test_add_latin1_bibtex_file(cli, tmp_path):
    """It was a UnicodeDecodeError traceback."""
    bib = _write(tmp_path, BIB, "utf-8")
    _write(
        tmp_path,
        "@book{new,\n  author = {G\u00f6del, Kurt},\n  title = {\u00dcber formal "
        "unentscheidbare S\u00e4tze},\n  year = {1931},\n}\n",
        "latin-1",
        name="new.bib",
    )
    out = cli("add", "new.bib", cwd=tmp_path)
    assert out.exit_code == 0, out.stderr
    assert "G\u00f6del" in bib.read_text(encoding="utf-8")
    assert "new.bib: warning: not UTF-8; read as" in out.stderr


def test_add_binary_file_is_refused_and_nothing_written(cli, tmp_path):
    bib = _write(tmp_path, BIB, "utf-8")
    before = bib.read_bytes()
    (tmp_path / "x.bin").write_bytes(bytes(range(256)))
    out = cli("add", "x.bin", cwd=tmp_path)
    assert out.exit_code == 3
    assert "x.bin:1: error: binary data (NUL byte)" in out.stderr
    assert bib.read_bytes() == before


def test_add_with_encoding_option(cli, tmp_path):
    bib = _write(tmp_path, BIB, "utf-8")
    _write(
        tmp_path,
        "@book{new, author = {\u041f\u0443\u0448\u043a\u0438\u043d, \u0410.}, "
        "title = {\u0421\u0442\u0438\u0445\u0438}, year = {1830}}\n",
        "koi8-r",
        name="ru.bib",
    )
    out = cli("add", "--encoding", "koi8-r", "ru.bib", cwd=tmp_path)
    assert out.exit_code == 0, out.stderr
    assert "\u041f\u0443\u0448\u043a\u0438\u043d" in bib.read_text(encoding="utf-8")


# -- the helper ---------------------------------------------------------------------------


def test_lookup_knows_the_names_people_write():
    assert lookup("windows-1252") == "cp1252"
    assert lookup("latin-9-unix") == "iso8859-15"  # Emacs
    assert lookup("x-MacRoman") == "mac-roman"  # Java
    assert lookup("rot13") is None and lookup("nonsense") is None


def test_likely_encoding_prefers_what_bibliographies_use():
    assert likely_encodings("Caf\u00e9 \u00e0 Paris, \u00e9t\u00e9".encode("cp1252"))[0] == "cp1252"
    assert (
        likely_encodings(
            "\u0141\u00f3d\u017a i Gda\u0144sk: \u017c\u00f3\u0142\u0107 "
            "g\u0119\u015bl\u0105 ja\u017a\u0144".encode("cp1250")
        )[0]
        == "cp1250"
    )


def test_a_lossy_reading_is_refused():
    """Decoded and encoded again it must give the same bytes: a no-op save is exact."""
    data = "% Encoding: utf-7\n@misc{a, title={+AGE-}}\n".encode("ascii")
    with pytest.raises(InputError, match="written back unchanged"):
        decode(data, "x.bib")


# -- property: any text, any of these encodings: read as written, edits touch only their entry

_HEADERS = {
    "utf-8": ("", b""),
    "utf-8-bom": ("", codecs.BOM_UTF8),
    "utf-16-le": ("", codecs.BOM_UTF16_LE),
    "utf-16-be": ("", codecs.BOM_UTF16_BE),
    "cp1252": ("% Encoding: windows-1252\n\n", b""),
    "latin-1": ("% -*- coding: latin-1 -*-\n\n", b""),
}
_CODEC = {"utf-8-bom": "utf-8"}
_LATIN = "abcXYZ 019,.:;-éèçñüöäßÅØæœ€–“”"


@settings(max_examples=60, deadline=None)
@given(
    kind=st.sampled_from(sorted(_HEADERS)),
    title=st.text(alphabet=_LATIN, min_size=1, max_size=30).map(str.strip).filter(bool),
    note=st.text(alphabet=_LATIN, min_size=1, max_size=20).map(str.strip).filter(bool),
    crlf=st.booleans(),
)
def test_property_text_in_any_encoding_reads_back_and_edits_stay_local(
    tmp_path_factory, kind, title, note, crlf
):
    codec = _CODEC.get(kind, kind)
    if kind in ("latin-1",):
        title = title.replace("€", "E").replace("–", "-").replace("“", '"').replace("”", '"')
        title = title.replace("œ", "oe")
        note = note.replace("€", "E").replace("–", "-").replace("“", "").replace("”", "")
        note = note.replace("œ", "oe")
    header, bom = _HEADERS[kind]
    text = header + f"@misc{{a,\n  title = {{{title}}},\n}}\n\n@misc{{b,\n  title = {{B}},\n}}\n"
    nl = "\r\n" if crlf else "\n"
    text = text.replace("\n", nl)
    path = tmp_path_factory.mktemp("p") / "x.bib"
    path.write_bytes(bom + text.encode(codec))
    lib = refbook.load(path)
    assert lib["a"].get("title") == title
    lib["b"]["note"] = note
    lib.save()
    expected = text.replace(
        f"  title = {{B}},{nl}}}", f"  title = {{B}},{nl}  note = {{{note}}},{nl}}}"
    )
    assert path.read_bytes() == bom + expected.encode(codec)


@settings(max_examples=200, deadline=None)
@given(
    st.text(alphabet="ab\n\r\x00é😋\ufeff", max_size=30),
    st.sampled_from(["utf-8", "utf-8-bom", "latin-1", "utf-16", "declared-latin-1"]),
    st.sampled_from([None, "utf-8", "latin-1"]),
    st.text(alphabet="abé\n", max_size=3),
)
def test_a_file_found_to_hold_a_text_reads_as_that_text(tmp_path_factory, text, form, option, edit):
    """The language server asks whether the .bib on disk is the editor's text without
    reading it whole (``holds_text``): when it says so, reading the file gives that
    text; a plain UTF-8 file of the text (no mark, no declaration) is found to hold it."""
    from refbook.encoding import holds_text, read_text

    path = tmp_path_factory.mktemp("holds") / "references.bib"
    if form == "utf-8-bom":
        path.write_bytes(codecs.BOM_UTF8 + text.encode("utf-8", "surrogatepass"))
    elif form == "declared-latin-1":
        path.write_bytes(("% Encoding: latin-1\n" + text).encode("latin-1", "replace"))
    else:
        path.write_bytes(text.encode(form, "replace"))
    for candidate in (text, text + edit, edit + text):
        if holds_text(path, candidate, option):
            assert read_text(path, option).text == candidate
    plain = form == "utf-8" and option != "latin-1"
    if plain and "\x00" not in text and not text.startswith("\ufeff"):
        assert holds_text(path, text, option)
