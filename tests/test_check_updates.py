"""check: retracted, withdrawn, corrected and superseded works, and what a DOI that does
not match its entry really points to -- against local servers that answer as the Handle
API, Crossref's REST API (``updated-by``, ``update-to``, ``relation``, ``type``) and
DataCite's (arXiv DOIs' ``relatedIdentifiers``) do.  Never the internet."""

from __future__ import annotations

import json
import subprocess
import xml.etree.ElementTree as ET

import pytest

from .servers import serve_registry


def _date(*parts: int) -> dict:
    return {"date-parts": [list(parts)], "date-time": "2021-03-04T00:00:00Z", "timestamp": 0}


def _update(kind: str, doi: str, when: tuple[int, ...], source: str, label: str) -> dict:
    """One ``updated-by``/``update-to`` item as Crossref's REST API writes it."""
    item = {"updated": _date(*when), "DOI": doi, "type": kind, "source": source, "label": label}
    if source == "retraction-watch":
        item["record-id"] = 41234
    return item


def _work(doi: str, title: str, family: str, year: int, **more) -> dict:
    return {
        "DOI": doi,
        "type": "journal-article",
        "title": [title],
        "author": [{"given": "A.", "family": family, "sequence": "first"}],
        "issued": {"date-parts": [[year]]},
        "container-title": ["Journal of Tests"],
        "publisher": "Test Press",
        **more,
    }


CROSSREF = {
    "10.1000/retracted": _work(
        "10.1000/retracted",
        "Vaccines and Everything",
        "Fraud",
        2012,
        **{
            "updated-by": [
                _update(
                    "retraction",
                    "10.1000/retraction-notice",
                    (2014, 5, 2),
                    "publisher",
                    "Retraction",
                ),
                _update(
                    "retraction",
                    "10.1000/retraction-notice",
                    (2014, 5, 2),
                    "retraction-watch",
                    "Retraction",
                ),
                _update("correction", "10.1000/erratum", (2013, 1, 7), "publisher", "Correction"),
            ]
        },
    ),
    "10.1000/withdrawn": _work(
        "10.1000/withdrawn",
        "A Withdrawn Paper",
        "Gone",
        2019,
        **{
            "updated-by": [
                _update("withdrawal", "10.1000/w-notice", (2020, 2), "publisher", "Withdrawal")
            ]
        },
    ),
    "10.1000/concern": _work(
        "10.1000/concern",
        "A Doubtful Paper",
        "Maybe",
        2018,
        **{
            "updated-by": [
                _update(
                    "expression_of_concern",
                    "10.1000/eoc",
                    (2019, 6, 1),
                    "retraction-watch",
                    "Expression of concern",
                )
            ]
        },
    ),
    "10.1000/corrected": _work(
        "10.1000/corrected",
        "A Corrected Paper",
        "Fixed",
        2017,
        **{
            "updated-by": [
                _update("erratum", "10.1000/err", (2018, 2, 3), "publisher", "Erratum"),
                _update("new_version", "10.1000/v2", (2018, 3, 3), "publisher", "New version"),
            ]
        },
    ),
    "10.1000/reinstated": _work(
        "10.1000/reinstated",
        "A Reinstated Paper",
        "Back",
        2015,
        **{
            "updated-by": [
                _update("retraction", "10.1000/r1", (2016, 1, 1), "publisher", "Retraction"),
                _update("reinstatement", "10.1000/r2", (2017, 1, 1), "publisher", "Reinstatement"),
            ]
        },
    ),
    "10.1000/retraction-notice": _work(
        "10.1000/retraction-notice",
        "Retraction: Vaccines and Everything",
        "Editors",
        2014,
        **{
            "update-to": [
                _update("retraction", "10.1000/retracted", (2014, 5, 2), "publisher", "Retraction")
            ]
        },
    ),
    "10.1101/2020.01.01.123456": {
        "DOI": "10.1101/2020.01.01.123456",
        "type": "posted-content",
        "subtype": "preprint",
        "title": ["Cells Do Things"],
        "author": [{"given": "Ann", "family": "Early"}],
        "issued": {"date-parts": [[2020, 1, 2]]},
        "institution": [{"name": "bioRxiv"}],
        "publisher": "Cold Spring Harbor Laboratory",
        "relation": {
            "is-preprint-of": [
                {"id-type": "doi", "id": "10.1000/cells-published", "asserted-by": "subject"}
            ]
        },
    },
    "10.1000/cells-published": {
        **_work(
            "10.1000/cells-published",
            "Cells Do Things, Reliably",
            "Early",
            2021,
            volume="12",
            issue="3",
            page="101-119",
        ),
        "author": [{"given": "Ann", "family": "Early"}, {"given": "Bo", "family": "Later"}],
        "container-title": ["Cell Reports"],
        "relation": {
            "has-preprint": [
                {"id-type": "doi", "id": "10.1101/2020.01.01.123456", "asserted-by": "object"}
            ]
        },
    },
    "10.1000/other": _work("10.1000/other", "Soil Chemistry of the Andes", "Nobody", 1999),
    "10.1103/physrevd.108.063017": {
        **_work("10.1103/physrevd.108.063017", "Gravity Waves Seen", "Wave", 2023),
        "container-title": ["Physical Review D"],
    },
}
DATACITE = {
    "10.48550/arXiv.2303.08812": {
        "doi": "10.48550/arxiv.2303.08812",
        "titles": [{"title": "Gravity Waves Seen"}],
        "creators": [{"name": "Wave, W.", "familyName": "Wave", "givenName": "W."}],
        "publicationYear": 2023,
        "publisher": "arXiv",
        "types": {"resourceTypeGeneral": "Preprint", "citeproc": "article"},
        "relatedIdentifiers": [
            {
                "relationType": "IsVersionOf",
                "relatedIdentifier": "10.1103/physrevd.108.063017",
                "relatedIdentifierType": "DOI",
                "resourceTypeGeneral": "JournalArticle",
            }
        ],
    },
}

BIB = """\
@article{fraud2012,
  author = {Fraud, A.},
  title = {Vaccines and Everything},
  journal = {Journal of Tests},
  year = {2012},
  doi = {10.1000/retracted},
}

@article{gone2019,
  author = {Gone, A.},
  title = {A Withdrawn Paper},
  journal = {Journal of Tests},
  year = {2019},
  doi = {10.1000/withdrawn},
}

@article{maybe2018,
  author = {Maybe, A.},
  title = {A Doubtful Paper},
  journal = {Journal of Tests},
  year = {2018},
  doi = {10.1000/concern},
}

@article{fixed2017,
  author = {Fixed, A.},
  title = {A Corrected Paper},
  journal = {Journal of Tests},
  year = {2017},
  doi = {10.1000/corrected},
}

@article{back2015,
  author = {Back, A.},
  title = {A Reinstated Paper},
  journal = {Journal of Tests},
  year = {2015},
  doi = {10.1000/reinstated},
}

@article{notice2014,
  author = {Editors},
  title = {Retraction: Vaccines and Everything},
  journal = {Journal of Tests},
  year = {2014},
  doi = {10.1000/retraction-notice},
}

@misc{early2020,
  author = {Early, Ann},
  title = {Cells Do Things},
  howpublished = {bioRxiv},
  year = {2020},
  doi = {10.1101/2020.01.01.123456},
  keywords = {cells, biology},
  annotation = {Read for chapter 2; the published version adds a replication.},
}

@misc{wave2023,
  author = {Wave, W.},
  title = {Gravity Waves Seen},
  year = {2023},
  doi = {10.48550/arXiv.2303.08812},
  url = {https://arxiv.org/abs/2303.08812},
  note = {arXiv preprint},
}

@misc{wave2023b,
  author = {Wave, W.},
  title = {Gravity Waves Seen},
  year = {2023},
  eprint = {2303.08812v2},
  archiveprefix = {arXiv},
}

@article{typo2020,
  author = {Someone, A.},
  title = {Border Security in South Asia},
  journal = {J},
  year = {2020},
  doi = {10.1000/other},
}
"""


@pytest.fixture
def crossref() -> dict[str, dict]:
    """Crossref's records, a copy a test may change: the server reads it per request."""
    return json.loads(json.dumps(CROSSREF))


@pytest.fixture
def registry(httpserver, crossref) -> dict[str, str]:
    return serve_registry(httpserver, crossref, json.loads(json.dumps(DATACITE)))


@pytest.fixture
def bib(tmp_path):
    path = tmp_path / "refs.bib"
    path.write_text(BIB)
    return path


def _check(cli, registry, bib, *args, cache=False):
    base = ["check", "--allow-private", "--dois-only", "--bib", str(bib)]
    base += [] if cache else ["--no-cache"]
    return cli(*base, *args, env=registry)


def _by_key(out) -> dict[str, dict]:
    return {r["key"]: r for r in json.loads(out.stdout)["results"]}


def test_each_update_gives_its_verdict_with_the_notice(cli, registry, bib):
    out = _check(cli, registry, bib, "--json")
    results = _by_key(out)
    verdicts = {k: r["verdict"] for k, r in results.items()}
    assert verdicts == {
        "fraud2012": "retracted",
        "gone2019": "withdrawn",
        "maybe2018": "expression-of-concern",
        "fixed2017": "corrected",
        "back2015": "ok",  # reinstated after its retraction
        "notice2014": "notice",
        "early2020": "has-published-version",
        "wave2023": "has-published-version",
        "wave2023b": "has-published-version",  # an arXiv e-print without a DOI
        "typo2020": "mismatch",
    }
    assert out.exit_code == 1  # retracted, withdrawn, mismatch
    fraud = results["fraud2012"]
    assert fraud["update"] == {
        "type": "retraction",
        "doi": "10.1000/retraction-notice",
        "date": "2014-05-02",
        "source": "retraction-watch",
        "label": "Retraction",
    }
    assert {u["source"] for u in fraud["updates"]} == {"publisher", "retraction-watch"}
    assert (
        "retraction notice 10.1000/retraction-notice (retraction-watch, 2014-05-02)"
        in (fraud["message"])
    )
    assert results["maybe2018"]["update"]["doi"] == "10.1000/eoc"
    assert "erratum notice 10.1000/err (publisher, 2018-02-03)" in results["fixed2017"]["message"]
    assert results["notice2014"]["notice_of"]["doi"] == "10.1000/retracted"


def test_preprints_name_their_published_version(cli, registry, bib):
    results = _by_key(_check(cli, registry, bib, "--json"))
    early = results["early2020"]
    assert early["published"] == {
        "doi": "10.1000/cells-published",
        "title": "Cells Do Things, Reliably",
        "author": "Early",
        "year": 2021,
        "venue": "Cell Reports",
    }
    assert (
        early["message"]
        == "a preprint, published as 10.1000/cells-published in Cell Reports (2021)"
    )
    assert early["preprint_server"] == "bioRxiv"
    wave = results["wave2023"]  # an arXiv DOI: DataCite's IsVersionOf
    assert wave["published"]["doi"] == "10.1103/physrevd.108.063017"
    assert wave["published"]["venue"] == "Physical Review D"


def test_a_mismatch_names_the_work_the_doi_points_to(cli, registry, bib):
    typo = _by_key(_check(cli, registry, bib, "--json"))["typo2020"]
    assert typo["message"] == (
        "DOI points to another work: Nobody (1999), 'Soil Chemistry of the Andes', "
        "Journal of Tests; the entry's title is 'Border Security in South Asia'"
    )
    assert typo["points_to"]["title"] == "Soil Chemistry of the Andes"


def test_fail_on_decides_what_fails(cli, registry, bib, tmp_path):
    keys = ["maybe2018", "fixed2017", "early2020"]  # warnings only
    assert _check(cli, registry, bib, *keys).exit_code == 0
    assert _check(cli, registry, bib, *keys, "--fail-on", "warning").exit_code == 1
    (tmp_path / "refbook.toml").write_text('[check]\nfail_on = "warning"\n')
    out = cli(
        "check",
        "--allow-private",
        "--no-cache",
        "--bib",
        str(bib),
        *keys,
        env=registry,
        cwd=tmp_path,
    )
    assert out.exit_code == 1
    assert _check(cli, registry, bib, "back2015", "--fail-on", "info").exit_code == 0


def test_new_verdicts_in_every_format(cli, registry, bib):
    lines = BIB.splitlines()
    fraud_line = lines.index("  doi = {10.1000/retracted},") + 1
    plain = _check(cli, registry, bib).stdout
    assert (
        f"{bib}:{fraud_line}: error: [retracted] fraud2012: doi 10.1000/retracted: the work is "
        "retracted: retraction notice 10.1000/retraction-notice (retraction-watch, 2014-05-02)"
        in plain
    )
    assert "warning: [has-published-version] early2020:" in plain
    assert (
        "warning: [has-published-version] wave2023b: doi 10.48550/arXiv.2303.08812 (from "
        "eprint): a preprint, published as 10.1103/physrevd.108.063017 in Physical Review D"
        in plain
    )
    assert "warning: [expression-of-concern] maybe2018:" in plain
    assert "warning: [corrected] fixed2017:" in plain
    assert "warning: [update-notice] notice2014:" in plain
    assert "error: [withdrawn] gone2019:" in plain
    gh = _check(cli, registry, bib, "--format", "github").stdout
    assert f"::error file={bib},line={fraud_line},title=fraud2012 [retracted]::" in gh
    assert "::warning file=" in gh and "[has-published-version]" in gh
    sarif = json.loads(_check(cli, registry, bib, "--format", "sarif").stdout)["runs"][0]
    levels = {(r["ruleId"], r["level"]) for r in sarif["results"]}
    assert {
        ("retracted", "error"),
        ("withdrawn", "error"),
        ("expression-of-concern", "warning"),
        ("corrected", "warning"),
        ("update-notice", "warning"),
        ("has-published-version", "warning"),
    } <= levels
    described = {r["id"] for r in sarif["tool"]["driver"]["rules"]}
    assert {"retracted", "withdrawn", "has-published-version"} <= described
    junit = ET.fromstring(_check(cli, registry, bib, "--format", "junit").stdout)
    assert junit.get("failures") == "3"  # retracted, withdrawn, mismatch
    md = _check(cli, registry, bib, "--format", "markdown").stdout
    assert "`retracted`" in md and "`has-published-version`" in md
    table = _check(cli, registry, bib, "--format", "table").stdout
    column = [line.split("│")[1].strip() for line in table.splitlines() if line.startswith("│")]
    shown = [v for v in column if v and v != "verdict"]
    assert shown[:3] == ["retracted", "withdrawn", "mismatch"]  # retractions first


def test_a_retraction_is_asked_again_sooner_than_the_doi(cli, registry, bib, httpserver, crossref):
    """The record (updated-by) is cached with the result for --updates-max-age, the DOI's
    existence for --max-age: a retraction after the first run is seen once the record is
    older than --updates-max-age, without asking the Handle API again."""
    first = _by_key(_check(cli, registry, bib, "back2015", "--json", cache=True))
    assert first["back2015"]["verdict"] == "ok"
    crossref["10.1000/reinstated"]["updated-by"].append(  # retracted again, years later
        _update("retraction", "10.1000/r3", (2024, 9, 9), "retraction-watch", "Retraction")
    )
    before = len(httpserver.log)
    again = _by_key(_check(cli, registry, bib, "back2015", "--json", cache=True))
    assert again["back2015"]["verdict"] == "ok" and again["back2015"]["cached"]
    assert len(httpserver.log) == before  # within 12h: nothing asked
    later = _check(cli, registry, bib, "back2015", "--json", "--updates-max-age", "0s", cache=True)
    assert _by_key(later)["back2015"]["verdict"] == "retracted"
    asked = [req.path for req, _ in httpserver.log[before:]]
    assert asked == ["/cr/works/10.1000/reinstated"]  # the record only, not the Handle API
    assert later.exit_code == 1
    # a retraction found is cached too, and still fails the next run
    cached = _check(cli, registry, bib, "back2015", "--json", cache=True)
    assert _by_key(cached)["back2015"]["verdict"] == "retracted" and cached.exit_code == 1


# -- --update-preprints ---------------------------------------------------------------------


def test_update_preprints_is_a_dry_run_by_default(cli, registry, bib):
    before = bib.read_bytes()
    out = _check(cli, registry, bib, "--update-preprints")
    assert out.exit_code == 0, out.stderr
    assert bib.read_bytes() == before  # nothing written
    assert "-@misc{early2020," in out.stdout and "+@article{early2020," in out.stdout
    assert "+  journal = {Cell Reports}," in out.stdout
    data = json.loads(_check(cli, registry, bib, "--update-preprints", "--json").stdout)
    assert [(u["key"], u["from"], u["to"]) for u in data["updated"]] == [
        ("early2020", "10.1101/2020.01.01.123456", "10.1000/cells-published"),
        ("wave2023", "10.48550/arXiv.2303.08812", "10.1103/physrevd.108.063017"),
        ("wave2023b", "10.48550/arXiv.2303.08812", "10.1103/physrevd.108.063017"),
    ]


def test_update_preprints_apply_keeps_key_annotation_and_keywords(cli, registry, bib):
    out = _check(cli, registry, bib, "--update-preprints", "--apply")
    assert out.exit_code == 0, out.stderr
    from refbook import load

    lib = load(bib)
    early = lib["early2020"]
    assert early.type == "article"
    assert early.title == "Cells Do Things, Reliably"
    assert [a.family for a in early.authors] == ["Early", "Later"]
    assert (early.container, early.year, early.volume, early.number, early.get("pages")) == (
        "Cell Reports",
        2021,
        "12",
        "3",
        "101--119",
    )
    assert early.doi == "10.1000/cells-published"
    assert early.keywords == ["cells", "biology"]
    assert early.annotation.startswith("Read for chapter 2")
    assert "howpublished" not in early  # the preprint server's, gone with it
    # the old DOI is kept as the eprint: bioRxiv's DOI, arXiv's identifier
    assert (early.get("eprint"), early.get("eprinttype")) == (
        "10.1101/2020.01.01.123456",
        "bioRxiv",
    )
    wave = lib["wave2023"]
    assert (wave.get("eprint"), wave.get("eprinttype")) == ("2303.08812", "arxiv")
    assert wave.container == "Physical Review D" and "url" not in wave and "note" not in wave
    # an e-print without a DOI: the DOI is added, the e-print kept as written
    eprint_only = lib["wave2023b"]
    assert (eprint_only.type, eprint_only.doi) == ("article", "10.1103/physrevd.108.063017")
    assert (eprint_only.get("eprint"), eprint_only.get("archiveprefix")) == (
        "2303.08812v2",
        "arXiv",
    )
    # the other entries are untouched, byte for byte
    text = bib.read_text()
    for key in ("fraud2012", "typo2020", "back2015"):
        block = BIB[BIB.index("@article{" + key) :]
        block = block[: block.index("\n}\n") + 3]
        assert block in text
    # checked again: nothing left to update
    again = json.loads(_check(cli, registry, bib, "--dois-only", "--json").stdout)
    assert {r["key"]: r["verdict"] for r in again["results"]}["early2020"] == "ok"


def test_update_preprints_refuses_what_it_cannot_mean(cli, registry, bib):
    assert _check(cli, registry, bib, "--apply").exit_code == 2
    assert _check(cli, registry, bib, "--update-preprints", "--format", "sarif").exit_code == 2
    out = cli("check", "--offline", "--update-preprints", "--bib", str(bib))
    assert out.exit_code == 2


def test_update_preprints_on_a_read_only_file_is_refused(cli, registry, bib):
    bib.chmod(0o444)
    try:
        out = _check(cli, registry, bib, "--update-preprints", "--apply")
    finally:
        bib.chmod(0o644)
    assert out.exit_code == 5 and len(out.stderr.strip().splitlines()) == 1
    assert bib.read_text() == BIB


# -- --changed-since ------------------------------------------------------------------------


def _git(cwd, *args: str) -> str:
    return subprocess.run(
        ["git", "-c", "user.name=T", "-c", "user.email=t@example.org", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
        text=True,
    ).stdout


@pytest.fixture
def repo(tmp_path):
    """A git repository whose main branch holds BIB as docs/refs.bib."""
    (tmp_path / "docs").mkdir()
    bib = tmp_path / "docs" / "refs.bib"
    bib.write_text(BIB)
    _git(tmp_path, "init", "-q", "-b", "main")
    _git(tmp_path, "add", "-A")
    _git(tmp_path, "commit", "-q", "-m", "references")
    _git(tmp_path, "checkout", "-q", "-b", "pr")
    return tmp_path


def _checked(cli, bib, *args) -> list[str]:
    out = cli("check", "--offline", "--json", "--bib", str(bib), *args)
    assert out.exit_code in (0, 1), out.stderr
    return sorted({r["key"] for r in json.loads(out.stdout)["results"]})


def test_changed_since_checks_only_what_the_branch_touched(cli, repo):
    bib = repo / "docs" / "refs.bib"
    text = BIB.replace("doi = {10.1000/concern}", "doi = {10.1000/concern-2}")  # changed
    text = text.replace(  # only re-laid out: the same data
        "@article{fixed2017,\n  author = {Fixed, A.},",
        "@article{fixed2017,\n      author    =   {Fixed, A.},",
    )
    text += "\n@online{new2024, title = {New}, year = {2024}, url = {https://example.org/n}}\n"
    bib.write_text(text)
    assert _checked(cli, bib, "--changed-since", "main") == ["maybe2018", "new2024"]
    _git(repo, "commit", "-q", "-am", "edit")  # committed on the branch: the same answer
    assert _checked(cli, bib, "--changed-since", "main") == ["maybe2018", "new2024"]
    assert _checked(cli, bib, "--changed-since", "HEAD") == []
    # with a selection, the two narrow each other
    assert _checked(cli, bib, "maybe2018", "fraud2012", "--changed-since", "main") == ["maybe2018"]


def test_changed_since_a_commit_without_the_file_checks_everything(cli, repo):
    bib = repo / "docs" / "refs.bib"
    first = _git(repo, "rev-list", "--max-parents=0", "HEAD").strip()
    (repo / "docs" / "other.bib").write_text(BIB)
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "another file")
    other = repo / "docs" / "other.bib"
    assert len(_checked(cli, other, "--changed-since", first)) == 10
    assert _checked(cli, bib, "--changed-since", first) == []


def test_changed_since_a_bad_ref_or_no_repository_is_one_line(cli, repo, tmp_path_factory):
    bib = repo / "docs" / "refs.bib"
    out = cli("check", "--offline", "--bib", str(bib), "--changed-since", "no-such-branch")
    assert out.exit_code == 2
    assert out.stderr.strip().splitlines() == [
        f"refbook: error: --changed-since: 'no-such-branch' is not a commit in {bib.parent} "
        "(in a CI checkout, fetch the base branch: actions/checkout with fetch-depth: 0)"
    ]
    out = cli("check", "--offline", "--bib", str(bib), "--changed-since", "--output=/tmp/x")
    assert out.exit_code == 2
    elsewhere = tmp_path_factory.mktemp("nogit") / "refs.bib"
    elsewhere.write_text(BIB)
    out = cli("check", "--offline", "--bib", str(elsewhere), "--changed-since", "main")
    assert out.exit_code == 2 and "is not in a git work tree" in out.stderr
    out = cli("check", "--offline", "--bib", "-", "--changed-since", "main", input=BIB)
    assert out.exit_code == 2 and "not standard input" in out.stderr


@pytest.mark.parametrize(
    "record",
    [
        {"title": ["Vaccines and Everything"], "updated-by": "retracted"},
        {
            "title": ["Vaccines and Everything"],
            "updated-by": [{"type": "retraction", "updated": 5}],
        },
        {"title": ["Vaccines and Everything"], "updated-by": [{"type": 7}], "update-to": [None]},
        {"title": ["Vaccines and Everything"], "relation": [], "type": "posted-content"},
        {
            "title": ["Vaccines and Everything"],
            "type": "posted-content",
            "relation": {"is-preprint-of": [{"id-type": "doi", "id": 5}, "x"]},
        },
        {"title": 5, "author": ["x"], "issued": {"date-parts": "2020"}, "page": []},
        {"title": ["Vaccines and Everything"], "author": [None], "container-title": {"a": 1}},
        {
            "title": ["Vaccines and Everything"],
            "type": "posted-content",
            "institution": 5,
            "publisher": {"name": 1},
            "relation": {"is-preprint-of": [{"id-type": "doi", "id": "10.1000/retracted"}]},
        },
    ],
)
def test_a_malformed_record_is_never_a_traceback(cli, httpserver, bib, record):
    """What a registry answers is untrusted: a record of the wrong shape is read as far as
    it makes sense, and never stops the check."""
    env = serve_registry(httpserver, {"10.1000/retracted": record})
    out = cli(
        "check",
        "--allow-private",
        "--no-cache",
        "--dois-only",
        "--json",
        "fraud2012",
        "--bib",
        str(bib),
        env=env,
    )
    assert out.exit_code in (0, 1), out.stderr
    (result,) = json.loads(out.stdout)["results"]
    assert result["verdict"] in ("ok", "mismatch", "retracted", "has-published-version")


def test_a_registry_that_does_not_answer_keeps_what_was_known(cli, httpserver, bib, crossref):
    """A cached retraction is not turned into "ok" because Crossref answered 503 when its
    record was asked again; a DOI whose record could not be fetched is not cached."""
    busy: set[str] = set()
    env = serve_registry(httpserver, crossref, busy=busy)
    args = ["check", "--allow-private", "--dois-only", "--json", "--bib", str(bib)]
    assert _by_key(cli(*args, "fraud2012", env=env))["fraud2012"]["verdict"] == "retracted"
    busy.add("10.1000/retracted")
    again = cli(*args, "fraud2012", "--updates-max-age", "0s", "--retries", "0", env=env)
    result = _by_key(again)["fraud2012"]
    assert (result["verdict"], result["cached"], again.exit_code) == ("retracted", True, 1)
    # never known: "ok" (the DOI exists), said why, and asked again next time
    busy.add("10.1000/concern")
    first = _by_key(cli(*args, "maybe2018", "--retries", "0", env=env))["maybe2018"]
    assert first["verdict"] == "ok" and "could not be fetched" in first["message"]
    busy.clear()
    second = _by_key(cli(*args, "maybe2018", env=env))["maybe2018"]
    assert (second["verdict"], second["cached"]) == ("expression-of-concern", False)


@pytest.mark.parametrize(
    ("setting", "says"),
    [
        (
            'fail_on = "fatal"',
            "setting 'check.fail_on': 'fatal' is not one of error, warning, info",
        ),
        ('updates_max_age = "soon"', "setting 'check.updates_max_age': bad age 'soon'"),
    ],
)
def test_a_bad_new_setting_is_one_line_naming_the_file(cli, registry, bib, tmp_path, setting, says):
    (tmp_path / "refbook.toml").write_text(f"[check]\n{setting}\n")
    out = cli(
        "check", "--allow-private", "--dois-only", "--bib", str(bib), env=registry, cwd=tmp_path
    )
    assert out.exit_code == 4
    assert out.stderr.strip().splitlines() == [
        f"refbook: {tmp_path / 'refbook.toml'}: error: {says} (use e.g. 30m, 12h, 1d)"
        if "age" in says
        else f"refbook: {tmp_path / 'refbook.toml'}: error: {says}"
    ]
    (tmp_path / "refbook.toml").unlink()
    out = _check(cli, registry, bib, "--updates-max-age", "soon", cache=True)
    assert out.exit_code == 2 and "--updates-max-age: bad age 'soon'" in out.stderr


@pytest.mark.parametrize(
    ("fields", "doi"),
    [
        ("eprint = {2303.08812}, eprinttype = {arxiv}", "10.48550/arXiv.2303.08812"),
        ("eprint = {arXiv:1501.00001v3}, archiveprefix = {arXiv}", "10.48550/arXiv.1501.00001"),
        ("eprint = {hep-th/9901001}, archivePrefix = {arXiv}", "10.48550/arXiv.hep-th/9901001"),
        ("eprint = {math.GT/0309136}, eprinttype = {arXiv}", "10.48550/arXiv.math.GT/0309136"),
        ("eprint = {2303.08812}", None),  # no type: not known to be arXiv's
        ("eprint = {12345}, eprinttype = {pubmed}", None),
        ("eprint = {not an id}, eprinttype = {arxiv}", None),
        ("eprint = {2303.08812}, eprinttype = {arxiv}, doi = {10.1000/x}", None),  # has a DOI
    ],
)
def test_the_doi_of_an_arxiv_eprint(fields, doi):
    from refbook.links.targets import arxiv_doi
    from refbook.model import loads

    (entry,) = list(loads(f"@misc{{k, title = {{T}}, {fields}}}\n"))
    assert arxiv_doi(entry) == doi


def test_a_published_record_without_authors_keeps_the_entrys(cli, registry, bib, crossref):
    del crossref["10.1000/cells-published"]["author"]
    out = _check(cli, registry, bib, "early2020", "--update-preprints", "--apply", "--json")
    assert out.exit_code == 0, out.stderr
    (update,) = json.loads(out.stdout)["updated"]
    assert "author" not in update["fields"] and "keywords" not in update["fields"]
    assert {"type", "title", "year", "doi", "journal", "howpublished"} <= set(update["fields"])
    from refbook import load

    assert [a.family for a in load(bib)["early2020"].authors] == ["Early"]
