"""New entries from the network (refbook/importers.py): a web page's meta tags become an
``@online`` draft; pages are fetched through the one transport (servers on 127.0.0.1).
DOIs through ``add --doi``: tests/test_edit.py; file formats: tests/test_registries.py."""

from __future__ import annotations

import datetime as dt

import pytest
from werkzeug import Response

from refbook.errors import InputError, NetworkError, UsageError
from refbook.importers import fetch_url, from_html

TODAY = dt.date(2024, 3, 1)


def test_highwire_tags_win_and_names_are_turned_round():
    page = (
        "<html><head><title>Site | Story</title>"
        '<meta name="citation_title" content="Pakistan Seeks US Help">'
        '<meta name="citation_author" content="Akmal Dawi">'
        '<meta name="citation_author" content="Khan, Sana">'
        '<meta name="citation_author" content="Reuters">'
        '<meta name="citation_publication_date" content="2023/6/5">'
        '<meta name="citation_doi" content="doi:10.1234/VOA.5">'
        '<meta property="og:title" content="Not this one">'
        '<meta property="og:site_name" content="Voice of America">'
        "</head></html>"
    )
    draft = from_html(page, "https://example.org/story", today=TODAY)
    assert draft.entry_type == "online"
    assert draft.fields == {
        "author": "Dawi, Akmal and Khan, Sana and Reuters",
        "title": "Pakistan Seeks US Help",
        "organization": "Voice of America",
        "year": "2023",
        "date": "2023-06-05",
        "doi": "10.1234/VOA.5",
        "url": "https://example.org/story",
        "urldate": "2024-03-01",
    }
    assert draft.source == "URL https://example.org/story"


def test_dublin_core_then_open_graph_then_the_title_element():
    dc = (
        '<meta name="DC.title" content="Border Trade">'
        '<meta name="DC.creator" content="Jan, Ali">'
        '<meta name="DC.date" content="2021">'
        '<meta name="DC.identifier" content="urn:isbn:9780000000000">'
    )
    draft = from_html(dc, "https://example.org/a", today=TODAY)
    assert draft.fields["title"] == "Border Trade" and draft.fields["author"] == "Jan, Ali"
    assert draft.fields["year"] == "2021" and "date" not in draft.fields
    assert "doi" not in draft.fields  # an identifier that is not a DOI
    og = '<meta property="og:title" content="OG Title"><meta property="og:url" content="https://x.org/c">'
    draft = from_html(og, "https://x.org/c?utm_source=feed", today=TODAY)
    assert draft.fields["title"] == "OG Title" and draft.fields["url"] == "https://x.org/c"
    draft = from_html("<title> Only a title </title>", "https://x.org/t", today=TODAY)
    assert draft.fields["title"] == "Only a title"


def test_special_characters_are_written_as_bibtex_reads_them_back():
    page = '<meta name="citation_title" content="50% of R&amp;D: the $1 question #2">'
    draft = from_html(page, "https://x.org/p", today=TODAY)
    assert draft.fields["title"] == r"50\% of R\&D: the \$1 question \#2"
    with pytest.raises(UsageError):  # a lone brace cannot be stored in BibTeX
        from_html('<meta name="citation_title" content="A } B">', "https://x.org/b")


@pytest.fixture
def pages(httpserver):
    latin1 = '<meta name="citation_title" content="Politique étrangère">'.encode("latin-1")
    httpserver.expect_request("/latin1").respond_with_response(
        Response(latin1, 200, content_type="text/html; charset=ISO-8859-1")
    )
    httpserver.expect_request("/gone").respond_with_data("gone", status=410)
    httpserver.expect_request("/brace").respond_with_data(
        '<meta name="citation_title" content="A } B">', content_type="text/html"
    )
    return httpserver


def test_a_page_is_read_in_the_charset_it_declares(pages):
    draft = fetch_url(pages.url_for("/latin1"), allow_private=True)
    assert draft.fields["title"] == "Politique étrangère"


def test_fetch_errors_are_one_line_with_their_exit_code(pages):
    with pytest.raises(NetworkError, match=r"answered 410$"):
        fetch_url(pages.url_for("/gone"), allow_private=True)
    with pytest.raises(InputError, match=r"/brace: .*nothing added$"):
        fetch_url(pages.url_for("/brace"), allow_private=True)
    with pytest.raises(UsageError, match=r"^error: --url: "):
        fetch_url("ftp://example.org/x")
    # the private-address guard: a local page is refused unless allowed
    with pytest.raises(NetworkError):
        fetch_url(pages.url_for("/latin1"))
