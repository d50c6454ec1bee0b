"""The server's documents take an incremental change as pygls takes it, at the cost of
the change (``refbook.lsp.textdocs``)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from lsprotocol import types as lsp
from pygls.workspace import PositionCodec
from pygls.workspace.text_document import TextDocument

from refbook.lsp.documents import line_start
from refbook.lsp.textdocs import SplicedDocument, splice

# mostly "\n" and "\r\n" line ends (the splice), sometimes those pygls is left with
TEXT = st.one_of(
    st.lists(st.sampled_from(["ab", " ", "\n", "\r\n", "é", "😋", "\t"]), max_size=25).map("".join),
    st.text(alphabet="ab \n\r\té😋\u2028", max_size=40),
)
POSITION = st.tuples(st.integers(0, 3), st.integers(0, 6))


def _change(
    start: tuple[int, int], end: tuple[int, int], text: str
) -> lsp.TextDocumentContentChangePartial:
    return lsp.TextDocumentContentChangePartial(
        range=lsp.Range(lsp.Position(*start), lsp.Position(*end)), text=text
    )


@settings(max_examples=400, deadline=None)
@given(
    TEXT,
    st.lists(st.tuples(POSITION, POSITION, TEXT), min_size=1, max_size=4),
    st.sampled_from(["utf-16", "utf-8", "utf-32"]),
)
def test_a_spliced_change_gives_the_text_pygls_gives(text, changes, encoding):
    codec = PositionCodec(encoding=encoding)
    ours = SplicedDocument("file:///a.bib", text, 1, position_codec=codec)
    theirs = TextDocument("file:///a.bib", text, 1, position_codec=codec)
    for start, end, new in changes:
        ours.apply_change(_change(start, end, new))
        theirs.apply_change(_change(start, end, new))
        assert ours.source == theirs.source


def test_a_change_in_a_long_text_is_spliced_without_pygls_splitting_it(monkeypatch):
    text = "".join(f"line {i} é\n" for i in range(200_000))
    doc = SplicedDocument("file:///a.bib", text, 1)

    def no_lines(self):  # what pygls's own way reads first
        raise AssertionError("the whole text split into lines")

    monkeypatch.setattr(TextDocument, "lines", property(no_lines))
    doc.apply_change(_change((150_000, 4), (150_001, 0), "X\n"))
    assert doc.source.count("\n") == 200_000
    assert doc.source.splitlines()[150_000] == "lineX"
    assert doc.source.splitlines()[150_001] == "line 150001 é"


def test_line_start_counts_line_ends():
    text = "a\nbb\n\nccc"
    assert [line_start(text, n) for n in range(5)] == [0, 2, 5, 6, None]
    assert line_start(text, 2, 2) == 6


def test_a_whole_new_text_is_looked_at_again_for_line_ends():
    """After a change of the whole text, its line ends decide again who splices."""
    doc = SplicedDocument("file:///a.bib", "a\nb\n", 1)
    theirs = TextDocument("file:///a.bib", "a\nb\n", 1)
    doc.apply_change(_change((0, 0), (0, 0), "x"))  # plain: spliced
    for d in (doc, theirs):
        d.apply_change(lsp.TextDocumentContentChangeWholeDocument(text="a\rb\nc\n"))
        d.apply_change(_change((1, 0), (1, 1), "Z"))
    assert doc.source == theirs.source


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.sampled_from(["@a{k,\n", "x", "y", "\n", "é", "😋"]), max_size=60).map("".join),
    st.integers(1, 400),
    st.data(),
    st.text(alphabet="xy\né😋", max_size=5),
)
def test_a_splice_is_the_text_with_the_change_made(unit, copies, data, new):
    """Where the stretch around the change occurs many times before it (a .bib of
    copied entries), the change is still made at its own place."""
    source = unit * copies
    a = data.draw(st.integers(0, len(source)))
    b = data.draw(st.integers(a, len(source)))
    assert splice(source, a, b, new) == source[:a] + new + source[b:]


def test_a_splice_far_into_a_text_of_copies_is_made_at_its_place():
    entry = "@article{key,\n  title = {The same title},\n  year = 1999,\n}\n\n"
    source = entry * 5000 + "@article{other,\n}\n" + entry * 5000
    at = len(entry) * 7000 + 12
    assert splice(source, at, at + 3, "ZZ") == source[:at] + "ZZ" + source[at + 3 :]


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet="a\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029é", max_size=30))
def test_plain_line_ends_are_found_as_the_expression_finds_them(text):
    """Whether a text has line ends pygls must be left with (a lone "\\r", a form feed,
    U+2028…), told by string searches as the regular expression tells it."""
    from refbook.lsp.textdocs import _OTHER_BREAK, plain_breaks

    assert plain_breaks(text) == (_OTHER_BREAK.search(text) is None)
