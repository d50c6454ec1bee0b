"""refbook search: the query language, decoding, ranking, fuzzy fallback, the index."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import refbook
from refbook.cache.db import db_path
from refbook.errors import UsageError
from refbook.index import memory_index, select
from refbook.query import parse

from .conftest import FIXTURES, REPO

RANKING = FIXTURES / "search" / "ranking.bib"


@pytest.fixture(scope="module")
def index():
    return memory_index(refbook.load(RANKING))


def keys(index, query, **kw):
    return [h.key for h in index.search(query, **kw).hits]


def test_free_words_are_anded_over_all_fields(index):
    assert set(keys(index, "border")) == {
        "annotonly2020",
        "titlematch2019",
        "titlematch2021",
        "schroder2018",
    }
    assert keys(index, "border trade") == ["schroder2018"]
    assert keys(index, "borders") == ["titlematch2021", "titlematch2019"]  # journal name


def test_title_match_ranks_above_annotation_match_and_ties_by_newest(index):
    hits = keys(index, "border")
    assert hits.index("titlematch2021") < hits.index("annotonly2020")
    assert hits.index("titlematch2021") < hits.index("titlematch2019")


def test_decoded_accent_and_latex_insensitive(index):
    for spelling in ("Schröder", "schroder", r"Schr{\"o}der", r"Schr\"{o}der", "SCHRODER"):
        found = (
            set(keys(index, f"author:{spelling}", fuzzy=False))
            if spelling.islower()
            else set(keys(index, f"author:{spelling.lower()}", fuzzy=False))
        )
        assert found == {"schroder2018", "schroeder2017", "plain2016"}, spelling
    assert keys(index, "muhammad") == ["schroeder2017"]
    assert keys(index, "jurgen") == ["schroder2018"]


def test_punctuation_and_hyphens_are_not_significant(index):
    assert keys(index, '"cross border"') == ["schroder2018"]
    assert keys(index, "cross-border") == ["schroder2018"]
    assert keys(index, "ttp") == ["schroder2018"]


def test_field_terms_and_aliases(index):
    assert keys(index, "t:question", sort="key") == ["titlematch2019", "titlematch2021"]
    assert keys(index, "title:border journal:borders", sort="key") == [
        "titlematch2019",
        "titlematch2021",
    ]
    assert keys(index, "j:borders year:2021") == ["titlematch2021"]
    assert keys(index, "k:trade") == ["schroder2018"]
    assert keys(index, "type:online") == ["plain2016"]
    assert keys(index, "key:match2019") == ["titlematch2019"]
    assert keys(index, "doi:10.1234/abc") == ["plain2016"]
    assert keys(index, "note:passing") == ["annotonly2020"]
    assert keys(index, "annotation:passing") == ["annotonly2020"]


def test_year_ranges(index):
    assert keys(index, "year:2019-2020", sort="year") == ["annotonly2020", "titlematch2019"]
    assert keys(index, "year:>=2020", sort="year") == ["titlematch2021", "annotonly2020"]
    assert keys(index, "y:<2017") == ["plain2016"]
    assert keys(index, "year:2018") == ["schroder2018"]


def test_boolean_operators(index):
    assert keys(index, "border -annotation:passing -journal:borders") == ["schroder2018"]
    assert keys(index, "border NOT trade NOT question") == ["annotonly2020"]
    assert set(keys(index, "security OR trade")) == {"schroeder2017", "schroder2018"}
    assert set(keys(index, "(security OR trade) author:anna")) == {"schroeder2017"}
    assert keys(index, "questi*", sort="key") == ["titlematch2019", "titlematch2021"]


def test_regex_and_smart_case(index):
    assert keys(index, 'title~"^Plain"') == ["plain2016"]
    assert keys(index, 'title~"^plain"') == ["plain2016"]  # lower-case pattern: ignores case
    assert keys(index, 'title~"^PLAIN"') == []  # upper case: case-sensitive
    assert keys(index, "ASCII") == ["plain2016"]
    assert keys(index, "Ascii", fuzzy=False) == []


def test_fuzzy_fallback_says_what_it_did(index):
    result = index.search("questoin")
    assert result.corrections == [("questoin", "question")]
    assert {h.key for h in result.hits} == {"titlematch2019", "titlematch2021"}
    assert index.search("questoin", fuzzy=False).hits == []


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="abcdeilnorstuw", min_size=1, max_size=14))
def test_fuzzy_suggestion_reads_only_words_of_a_possible_length(word):
    # the vocabulary is read by length (fast at 100k entries); it must suggest exactly
    # what a comparison with every indexed word would
    from rapidfuzz import fuzz, process

    index = SHIPPED_INDEX
    vocab = dict(index.conn.execute("SELECT term, doc FROM vocab").fetchall())
    best = process.extract(word, list(vocab), scorer=fuzz.ratio, limit=None, score_cutoff=70)
    expected = None
    if best:
        top = max(score for _, score, _ in best)
        expected = max((t for t, score, _ in best if score == top), key=vocab.get)
    assert index.suggest(word) == expected


SHIPPED_INDEX = memory_index(refbook.load(REPO / "references.bib"))


@pytest.mark.parametrize(
    "query, column, message",
    [
        ('"unbalanced', 1, "unbalanced quote"),
        ("(border", 1, "unbalanced '('"),
        ("border)", 7, "unbalanced ')'"),
        ("colour:red", 1, "unknown field 'colour'"),
        ('title~"(["', 7, "bad regular expression"),
        ("year:20x3", 6, "bad year '20x3'"),
        ("year:2023-2019", 6, "bad year range"),
        ("border OR", 10, "query ends too early"),
    ],
)
def test_malformed_queries_point_at_the_position(query, column, message):
    with pytest.raises(UsageError) as exc:
        parse(query)
    text = str(exc.value)
    assert f"at column {column}: {message}" in text
    assert text.splitlines()[-1].index("^") - 2 == column - 1


def test_select_is_the_public_api():
    lib = refbook.load(RANKING)
    assert [e.key for e in select(lib, "border trade")] == ["schroder2018"]


# -- the CLI ---------------------------------------------------------------------------


def test_cli_plain_json_keys_count_and_exit_codes(cli):
    bib = str(RANKING)
    out = cli("search", "border", "trade", "--bib", bib)
    assert out.exit_code == 0
    assert out.stdout.splitlines() == [
        "key\tauthors\tyear\ttitle\ttype",
        "schroder2018\tSchröder\t2018\tCross-border Trade in TTP Areas\tbook",
    ]
    data = json.loads(cli("search", "border", "--json", "--limit", "2", "--bib", bib).stdout)
    assert data["total"] == 4 and len(data["results"]) == 2
    by_id = {
        r["id"]: r
        for r in json.loads(cli("search", "border", "--json", "--bib", bib).stdout)["results"]
    }
    assert by_id["titlematch2021"]["matched"] == ["title"]
    assert by_id["annotonly2020"]["matched"] == ["annotation"]
    assert by_id["titlematch2021"]["score"] > by_id["annotonly2020"]["score"] > 0
    assert cli("search", "border", "--count", "--bib", bib).stdout == "4\n"
    assert cli("search", "border", "--keys", "--sort", "key", "--bib", bib).stdout.split() == [
        "annotonly2020",
        "schroder2018",
        "titlematch2019",
        "titlematch2021",
    ]
    none = cli("search", "zzzzqqqq", "--bib", bib)
    assert none.exit_code == 1 and none.stdout == ""
    assert "no results for 'zzzzqqqq'" in none.stderr
    bad = cli("search", "(border", "--bib", bib)
    assert bad.exit_code == 2 and "unbalanced '('" in bad.stderr
    fuzzy = cli("search", "questoin", "--keys", "--bib", bib)
    assert 'no match for "questoin"; showing results for "question"' in fuzzy.stderr


def test_shipped_bibliography_queries(cli):
    ttp = cli("search", "ttp", "--keys", cwd=REPO).stdout.split()
    assert {
        "firdous2023ttps",
        "mir2023pakistan",
        "anwar2023pakistan",
        "zahid2023dealing",
        "kaleem2023understanding",
    } <= set(ttp)
    assert ttp[0] in {
        "firdous2023ttps",
        "mir2023pakistan",
        "anwar2023pakistan",
        "zahid2023dealing",
        "kaleem2023understanding",
        "pti2023pakistan",
    }
    assert cli("search", "author:siddique", "--keys", cwd=REPO).stdout.split() == [
        "siddique2023collision"
    ]
    both = cli("search", "author:siddiq*", "--keys", "--sort", "key", cwd=REPO).stdout.split()
    assert both == ["siddique2023collision", "siddiqui2020irrefutable"]
    y = cli("search", "year:2023 pakistan", "--json", cwd=REPO)
    data = json.loads(y.stdout)
    assert data["total"] >= 8 and all(r["year"] == 2023 for r in data["results"])


# -- the on-disk index -------------------------------------------------------------------


def _big(tmp_path, n=30):
    text = RANKING.read_text()
    extra = "".join(
        f"@misc{{filler{i},\n  title = {{Filler Number {i}}},\n  year = {{2000}},\n}}\n\n"
        for i in range(n)
    )
    path = tmp_path / "big.bib"
    path.write_text(text + "\n" + extra)
    return path


def open_index(path):
    """The search index of ``path`` through the library cache; (index, True when this
    run rebuilt or updated the cache)."""
    from refbook.cache import open_cached

    lib, notes = open_cached(path, needs=("search",))  # as refbook search opens it
    assert lib is not None and notes == []
    last = json.loads(db_path(path).with_suffix(".run.json").read_text())
    return lib.search_index(), last["result"] != "hit"


def test_index_is_used_for_large_files_and_reused(cli, tmp_path):
    path = _big(tmp_path)
    first = cli("search", "border", "trade", "--keys", "--bib", str(path), cwd=tmp_path)
    assert first.stdout.split() == ["schroder2018"]
    idx = db_path(path)
    assert idx.exists()
    mtime = idx.stat().st_mtime_ns
    again = cli("search", "filler", "--count", "--bib", str(path), cwd=tmp_path)
    assert again.stdout == "30\n"
    assert idx.stat().st_mtime_ns == mtime  # warm: not rebuilt


def test_index_is_never_stale_even_when_size_and_mtime_stay(tmp_path):
    path = _big(tmp_path)
    index, built = open_index(path)
    assert built
    assert [h.key for h in index.search("question", sort="key").hits] == [
        "titlematch2019",
        "titlematch2021",
    ]
    st = os.stat(path)
    # same size, same mtime: only the content differs ("Question" -> "Answerxx")
    text = path.read_text().replace("The Border Question", "The Border Answerxx")
    path.write_text(text)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert os.stat(path).st_size == st.st_size
    index, rebuilt = open_index(path)
    assert rebuilt
    assert index.search("question", fuzzy=False).hits == []
    assert len(index.search("answerxx").hits) == 2


def test_index_updated_by_an_edit_through_refbook(tmp_path):
    path = _big(tmp_path)
    open_index(path)
    lib = refbook.load(path)
    lib["plain2016"]["title"] = "Plain Spelling Revised"
    lib.save()  # updates the cache as it saves: the next run finds it fresh
    index, rebuilt = open_index(path)
    assert not rebuilt
    assert [h.key for h in index.search("revised").hits] == ["plain2016"]


def test_old_index_stays_usable_while_another_run_rebuilds(tmp_path):
    path = _big(tmp_path)
    open_index(path)
    # a reader reads in one transaction (refbook.cache.db.open_read_only): its first read
    # fixes the version it sees
    conn = sqlite3.connect(db_path(path), isolation_level=None)
    conn.execute("BEGIN")
    assert conn.execute("SELECT count(*) FROM docs").fetchone()[0] == 36
    shutil.copyfile(RANKING, path)  # file shrinks; the next run rebuilds
    index, rebuilt = open_index(path)
    assert rebuilt
    # the connection opened before the rebuild still reads the old, complete index
    assert conn.execute("SELECT count(*) FROM docs").fetchone()[0] == 36
    assert index.conn.execute("SELECT count(*) FROM docs").fetchone()[0] == 6


def test_no_index_option_bypasses_the_cache(cli, tmp_path):
    path = _big(tmp_path)
    out = cli("search", "border", "--no-index", "--count", "--bib", str(path), cwd=tmp_path)
    assert out.stdout == "4\n"
    assert not db_path(path).exists()


def test_index_build_shows_a_spinner_on_a_terminal_only(tmp_path):
    """On a terminal, stderr says what the wait is for; piped, stdout and stderr stay clean."""
    import pty
    import subprocess
    import sys

    path = _big(tmp_path)
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    env.update(TERM="xterm", COLUMNS="100")
    leader, follower = pty.openpty()
    proc = subprocess.run(
        [sys.executable, "-m", "refbook", "search", "filler", "--count", "--bib", str(path)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=follower,
        timeout=60,
    )
    os.close(follower)
    terminal = b""
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:
            break
        if not chunk:
            break
        terminal += chunk
    os.close(leader)
    assert proc.stdout == b"30\n"
    assert b"into the cache" in terminal and str(path).encode() in terminal
    os.unlink(db_path(path))
    piped = subprocess.run(
        [sys.executable, "-m", "refbook", "search", "filler", "--count", "--bib", str(path)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        timeout=60,
    )
    assert piped.stdout == b"30\n" and piped.stderr == b""
    assert db_path(path).exists()
