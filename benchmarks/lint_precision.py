"""How often refbook lint's judgement rules are right on real files (not a timed test).

Two rules guess rather than check: ``unprotected-proper-noun`` (is this capitalised word a
proper noun?) and ``author-spelling`` (are these two names one person?).  This script runs
them over real .bib files, and scores every finding against hand-made labels: ``LABELS``
below says, for findings of a seeded random sample of both the old and the new rules, whether
each is right (True) or wrong (False), with the reason.  It prints, per rule: findings on
each file, how many are labelled, and precision (right / labelled).

    python benchmarks/lint_precision.py                    # the real-file corpus + ../shared/corpus
    python benchmarks/lint_precision.py --extra DIR        # more files (see EXTRA below)
    python benchmarks/lint_precision.py --unlabelled 40    # print findings still to label

Files: the corpus of ``tests/corpus/MANIFEST`` ($REFBOOK_CORPUS or ../shared/corpus/real), ``../shared/corpus/
tugboat.bib``, and the files of ``--extra`` directories, by file name.  The labels of the
7,166-entry file of issue 13 (``Unabbreviate_on_import_1436-3.bib``) and its siblings need
them: FlamingTempura/bibtex-tidy @ d0311ef7a92fdec9acd6f33f9989e01ca7be9d0c, ``test/bibliographies/better-bibtex/`` (MIT).

Figures (issue 13, item 11) are in the closing note of branch i13b: before, 6,437
proper-noun findings on that file alone, most wrong; after, a handful, all right.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

RULES = ("unprotected-proper-noun", "author-spelling")

# (file, rule, entry key, subject) -> (right?, why).  The subject is the word for
# unprotected-proper-noun and "a|b" (the two folded family names, sorted) for
# author-spelling.
LABELS: dict[tuple[str, str, str, str], tuple[bool, str]] = {
    (
        "Unabbreviate_on_import_1436-1.bib",
        "author-spelling",
        "Brenneis_2015",
        "koblmueller|koblmuller",
    ): (True, "one person, spelled two ways"),
    (
        "Unabbreviate_on_import_1436-1.bib",
        "author-spelling",
        "Brenneis_2015",
        "morkoetter|morkotter",
    ): (True, "one person, spelled two ways"),
    (
        "Unabbreviate_on_import_1436-1.bib",
        "author-spelling",
        "Hertog_2013",
        "gonzalezposada|gonzalezposada",
    ): (True, "one person, spelled two ways"),
    ("Unabbreviate_on_import_1436-1.bib", "author-spelling", "Holt_2014", "holst|holt"): (
        False,
        "two people",
    ),
    (
        "Unabbreviate_on_import_1436-1.bib",
        "author-spelling",
        "Shan_prb_1996",
        "goldberg|goldenberg",
    ): (False, "two people (or not sure)"),
    (
        "Unabbreviate_on_import_1436-2.bib",
        "author-spelling",
        "Ajay_2016",
        "jimenezrodreguez|jimenezrodriguez",
    ): (True, "one person, spelled two ways"),
    ("Unabbreviate_on_import_1436-2.bib", "author-spelling", "Bao_nl_2008", "tragaardh|tragardh"): (
        True,
        "one person, spelled two ways",
    ),
    (
        "Unabbreviate_on_import_1436-2.bib",
        "author-spelling",
        "Bhattacharyya_scanning_2009",
        "bhattacharya|bhattacharyya",
    ): (False, "two people"),
    (
        "Unabbreviate_on_import_1436-2.bib",
        "author-spelling",
        "Christian_rpp_1970",
        "christen|christian",
    ): (False, "two people"),
    ("Unabbreviate_on_import_1436-2.bib", "author-spelling", "Hu_apl_2012", "kraemer|kramer"): (
        True,
        "one person, spelled two ways",
    ),
    ("Unabbreviate_on_import_1436-2.bib", "author-spelling", "Kwon_mseb_2010", "cho|choi"): (
        False,
        "two people",
    ),
    ("Unabbreviate_on_import_1436-2.bib", "author-spelling", "Medvedev_2019", "fan|fang"): (
        False,
        "two people",
    ),
    (
        "Unabbreviate_on_import_1436-2.bib",
        "author-spelling",
        "Novikov_pssr_2010",
        "dubovskii|dubrovskii",
    ): (True, "one person, spelled two ways"),
    ("Unabbreviate_on_import_1436-2.bib", "author-spelling", "Williams_2003", "ren|reno"): (
        False,
        "two people",
    ),
    ("Unabbreviate_on_import_1436-2.bib", "unprotected-proper-noun", "Cunningham_2009", "Photon"): (
        False,
        "a common word (the file braces it only in Title Case titles)",
    ),
    (
        "Unabbreviate_on_import_1436-2.bib",
        "unprotected-proper-noun",
        "Gustafsson_jap_1998",
        "Luminescence",
    ): (False, "a common word (the file braces it only in Title Case titles)"),
    (
        "Unabbreviate_on_import_1436-2.bib",
        "unprotected-proper-noun",
        "Kuttge_2009a",
        "Cathodoluminescence",
    ): (False, "a common word (the file braces it only in Title Case titles)"),
    ("Unabbreviate_on_import_1436-2.bib", "unprotected-proper-noun", "Landmann2015", "Surface"): (
        False,
        "a common word (the file braces it only in Title Case titles)",
    ),
    ("Unabbreviate_on_import_1436-2.bib", "unprotected-proper-noun", "Park_apl_2000", "Wurtzite"): (
        False,
        "a common word (the file braces it only in Title Case titles)",
    ),
    (
        "Unabbreviate_on_import_1436-2.bib",
        "unprotected-proper-noun",
        "Paskov_slms_2006",
        "Optical",
    ): (False, "a common word (the file braces it only in Title Case titles)"),
    ("Unabbreviate_on_import_1436-3.bib", "author-spelling", "AlHassan_2020", "schlli|schuelli"): (
        True,
        "one person, spelled two ways",
    ),
    ("Unabbreviate_on_import_1436-3.bib", "author-spelling", "Motohisa_2019", "kamada|kameda"): (
        False,
        "two people",
    ),
    (
        "Unabbreviate_on_import_1436-3.bib",
        "author-spelling",
        "alvi_2015",
        "sotorodriguez|sotorodriguez",
    ): (True, "one person, spelled two ways"),
    ("Unabbreviate_on_import_1436-3.bib", "author-spelling", "arbiol_2012", "magen|magen"): (
        True,
        "one person, spelled two ways",
    ),
    ("Unabbreviate_on_import_1436-3.bib", "author-spelling", "babadi_2017", "lin|lind"): (
        False,
        "two people",
    ),
    ("Unabbreviate_on_import_1436-3.bib", "author-spelling", "bastek_2010", "blaesing|blasing"): (
        True,
        "one person, spelled two ways",
    ),
    (
        "Unabbreviate_on_import_1436-3.bib",
        "author-spelling",
        "becker_2018",
        "koblmueller|koblmuller",
    ): (True, "one person, spelled two ways"),
    (
        "Unabbreviate_on_import_1436-3.bib",
        "author-spelling",
        "bergbauer_2010",
        "straburg|strassburg",
    ): (True, "one person, spelled two ways"),
    (
        "Unabbreviate_on_import_1436-3.bib",
        "author-spelling",
        "bermudez-urena_2017",
        "tutucuoglu|tutuncuoglu",
    ): (True, "one person, spelled two ways"),
    ("Unabbreviate_on_import_1436-3.bib", "author-spelling", "biermanns_2013a", "schlli|schulli"): (
        True,
        "one person, spelled two ways",
    ),
    (
        "Unabbreviate_on_import_1436-3.bib",
        "author-spelling",
        "biermanns_2013a",
        "schuelli|schulli",
    ): (True, "one person, spelled two ways"),
    (
        "Unabbreviate_on_import_1436-3.bib",
        "author-spelling",
        "biermanns_2013a",
        "schulli|schulli",
    ): (True, "one person, spelled two ways"),
    (
        "Unabbreviate_on_import_1436-3.bib",
        "author-spelling",
        "birowosuto_2014",
        "takeguchi|takiguchi",
    ): (False, "two people"),
    (
        "Unabbreviate_on_import_1436-3.bib",
        "author-spelling",
        "blomers_2012",
        "gruetzmacher|grutzmacher",
    ): (True, "one person, spelled two ways"),
    (
        "Unabbreviate_on_import_1436-3.bib",
        "author-spelling",
        "blomers_2012",
        "schaepers|schapers",
    ): (True, "one person, spelled two ways"),
    ("Unabbreviate_on_import_1436-3.bib", "author-spelling", "blumin_2006", "saveliev|savelyev"): (
        True,
        "one person, spelled two ways",
    ),
    (
        "Unabbreviate_on_import_1436-3.bib",
        "author-spelling",
        "bolinsson_2014",
        "jacobson|jacobsson",
    ): (False, "two people"),
    (
        "Unabbreviate_on_import_1436-3.bib",
        "author-spelling",
        "borgstrom_2005",
        "imamoglu|imamoglu",
    ): (True, "one person, spelled two ways"),
    ("Unabbreviate_on_import_1436-3.bib", "author-spelling", "bottcher_2003", "kroeger|kroger"): (
        True,
        "one person, spelled two ways",
    ),
    (
        "Unabbreviate_on_import_1436-3.bib",
        "author-spelling",
        "bouravleuv_2013",
        "bourauleuv|bouravleuv",
    ): (True, "one person, spelled two ways"),
    ("Unabbreviate_on_import_1436-3.bib", "author-spelling", "brandt_1998b", "yan|yang"): (
        False,
        "two people",
    ),
    ("Unabbreviate_on_import_1436-3.bib", "author-spelling", "briot_2009", "gies|giesen"): (
        False,
        "two people",
    ),
    ("Unabbreviate_on_import_1436-3.bib", "author-spelling", "cai_2006", "cheng|cheung"): (
        False,
        "two people (or not sure)",
    ),
    ("Unabbreviate_on_import_1436-3.bib", "author-spelling", "chen_2012b", "chen|cheng"): (
        False,
        "two people",
    ),
    ("Unabbreviate_on_import_1436-3.bib", "author-spelling", "chen_2017f", "nakajima|nakamae"): (
        False,
        "two people (or not sure)",
    ),
    ("Unabbreviate_on_import_1436-3.bib", "author-spelling", "chen_2017l", "den|deng"): (
        False,
        "two people",
    ),
    ("Unabbreviate_on_import_1436-3.bib", "author-spelling", "cho_2001", "you|youn"): (
        False,
        "two people",
    ),
    ("Unabbreviate_on_import_1436-3.bib", "author-spelling", "chou_2016", "shi|shih"): (
        False,
        "two people",
    ),
    (
        "Unabbreviate_on_import_1436-3.bib",
        "author-spelling",
        "collazo_2006",
        "schlesinger|schlesser",
    ): (False, "two people"),
    (
        "Unabbreviate_on_import_1436-3.bib",
        "author-spelling",
        "dejarld_2016",
        "millunchick|milunchick",
    ): (True, "one person, spelled two ways"),
    ("Unabbreviate_on_import_1436-3.bib", "author-spelling", "dhindsa_2014", "khodabad|khodadad"): (
        False,
        "two people (or not sure)",
    ),
    ("Unabbreviate_on_import_1436-3.bib", "author-spelling", "du_2014", "chen|cheng"): (
        False,
        "two people",
    ),
    ("Unabbreviate_on_import_1436-3.bib", "author-spelling", "duan_2014a", "yan|yang"): (
        False,
        "two people",
    ),
    ("Unabbreviate_on_import_1436-3.bib", "author-spelling", "fiorek_1997", "pakulnota|pakuła"): (
        False,
        "two people (or not sure)",
    ),
    (
        "Unabbreviate_on_import_1436-3.bib",
        "author-spelling",
        "frederiksen_2015",
        "alarconllado|alarconllado",
    ): (True, "one person, spelled two ways"),
    (
        "Unabbreviate_on_import_1436-3.bib",
        "author-spelling",
        "friedl_2018",
        "fontcubertaimorral|fontcubertamorral",
    ): (True, "one person, spelled two ways"),
    ("Unabbreviate_on_import_1436-3.bib", "author-spelling", "groenert_2003", "leite|leitz"): (
        False,
        "two people",
    ),
    ("Unabbreviate_on_import_1436-3.bib", "author-spelling", "gu_2001", "chiou|chiu"): (
        False,
        "two people",
    ),
    ("Unabbreviate_on_import_1436-3.bib", "author-spelling", "gu_2001", "krstic|krstic"): (
        True,
        "one person, spelled two ways",
    ),
    ("Unabbreviate_on_import_1436-3.bib", "author-spelling", "haab_2014", "kardyna|kardynal"): (
        True,
        "one person, spelled two ways",
    ),
    ("Unabbreviate_on_import_1436-3.bib", "author-spelling", "he_2000", "mohammad|mohammed"): (
        False,
        "two people (or not sure)",
    ),
    (
        "Unabbreviate_on_import_1436-3.bib",
        "author-spelling",
        "heiss_2014",
        "alarcollado|alarconllado",
    ): (True, "one person, spelled two ways"),
    (
        "Unabbreviate_on_import_1436-3.bib",
        "author-spelling",
        "hirohata_2014",
        "takahashi|takanashi",
    ): (False, "two people"),
    ("Unabbreviate_on_import_1436-3.bib", "author-spelling", "hsiao_2007", "chi|chia"): (
        False,
        "two people",
    ),
    ("Unabbreviate_on_import_1436-3.bib", "author-spelling", "hu_2012b", "kraemer|kramer"): (
        True,
        "one person, spelled two ways",
    ),
    (
        "Unabbreviate_on_import_1436-3.bib",
        "author-spelling",
        "ivanov_2017",
        "marcinkevicius|marcinkeviius",
    ): (True, "one person, spelled two ways"),
    ("Unabbreviate_on_import_1436-3.bib", "author-spelling", "jung_2002", "cheng|cheong"): (
        False,
        "two people",
    ),
    ("Unabbreviate_on_import_1436-3.bib", "author-spelling", "kang_2019", "fan|fang"): (
        False,
        "two people",
    ),
    ("Unabbreviate_on_import_1436-3.bib", "author-spelling", "kauko_2014", "mullen|muller"): (
        False,
        "two people",
    ),
    (
        "Unabbreviate_on_import_1436-3.bib",
        "author-spelling",
        "kozlowski_2011",
        "schroder|schroeder",
    ): (True, "one person, spelled two ways"),
    ("Unabbreviate_on_import_1436-3.bib", "author-spelling", "li_2015k", "son|song"): (
        False,
        "two people",
    ),
    ("Unabbreviate_on_import_1436-3.bib", "author-spelling", "li_2019", "koblmueller|koblmuller"): (
        True,
        "one person, spelled two ways",
    ),
    ("Unabbreviate_on_import_1436-3.bib", "author-spelling", "lin_2014", "cheong|cheung"): (
        False,
        "two people",
    ),
    ("Unabbreviate_on_import_1436-3.bib", "author-spelling", "lu_2008a", "jaffres|jaffrs"): (
        True,
        "one person, spelled two ways",
    ),
    ("Unabbreviate_on_import_1436-3.bib", "author-spelling", "lu_2008a", "lemaitre|lematre"): (
        True,
        "one person, spelled two ways",
    ),
    (
        "Unabbreviate_on_import_1436-3.bib",
        "author-spelling",
        "martinez-blanque_2014",
        "martinezblanque|martinezblanque",
    ): (True, "one person, spelled two ways"),
    ("Unabbreviate_on_import_1436-3.bib", "author-spelling", "massabuau_2014", "kovacs|kovcs"): (
        True,
        "one person, spelled two ways",
    ),
    (
        "Unabbreviate_on_import_1436-3.bib",
        "author-spelling",
        "mickeviucius_2005",
        "mickevicius|mickeviucius",
    ): (True, "one person, spelled two ways"),
    ("Unabbreviate_on_import_1436-3.bib", "author-spelling", "muraki_1992", "murakami|muraki"): (
        False,
        "two people (or not sure)",
    ),
    ("Unabbreviate_on_import_1436-3.bib", "author-spelling", "nakayama_1996", "nakamae|nakayama"): (
        False,
        "two people",
    ),
    ("Unabbreviate_on_import_1436-3.bib", "author-spelling", "nelson_2017", "bergman|berman"): (
        False,
        "two people",
    ),
    ("Unabbreviate_on_import_1436-3.bib", "author-spelling", "peng_2015a", "johnson|johnston"): (
        False,
        "two people (or not sure)",
    ),
    ("Unabbreviate_on_import_1436-3.bib", "author-spelling", "pollak_1976", "polak|pollak"): (
        False,
        "two people",
    ),
    (
        "Unabbreviate_on_import_1436-3.bib",
        "author-spelling",
        "potts_2017",
        "fontcubertaimorral|fontcubertamorral",
    ): (True, "one person, spelled two ways"),
    ("Unabbreviate_on_import_1436-3.bib", "author-spelling", "pusep_2013", "rodrigues|rodriguez"): (
        False,
        "two people",
    ),
    (
        "Unabbreviate_on_import_1436-3.bib",
        "author-spelling",
        "rastelli_2012",
        "schoberl|schroter",
    ): (False, "two people"),
    ("Unabbreviate_on_import_1436-3.bib", "author-spelling", "rigutti_2014", "shin|shinde"): (
        False,
        "two people",
    ),
    ("Unabbreviate_on_import_1436-3.bib", "author-spelling", "schaffer_1983", "lin|lind"): (
        False,
        "two people",
    ),
    ("Unabbreviate_on_import_1436-3.bib", "author-spelling", "schmidt_2001", "buhler|burgler"): (
        False,
        "two people",
    ),
    ("Unabbreviate_on_import_1436-3.bib", "author-spelling", "seo_2012", "hyun|hyung"): (
        False,
        "two people",
    ),
    ("Unabbreviate_on_import_1436-3.bib", "author-spelling", "shah_1974", "sha|shah"): (
        False,
        "two people",
    ),
    ("Unabbreviate_on_import_1436-3.bib", "author-spelling", "shan_1996", "goldberg|goldenberg"): (
        False,
        "two people",
    ),
    (
        "Unabbreviate_on_import_1436-3.bib",
        "author-spelling",
        "shirak_2012",
        "kotchetkov|kotchtakov",
    ): (True, "one person, spelled two ways"),
    (
        "Unabbreviate_on_import_1436-3.bib",
        "author-spelling",
        "sobanska_2014",
        "tchutchulashvili|tchutchulasvili",
    ): (True, "one person, spelled two ways"),
    (
        "Unabbreviate_on_import_1436-3.bib",
        "author-spelling",
        "soshnikov_2011",
        "bourauleuv|bouravlev",
    ): (True, "one person, spelled two ways"),
    (
        "Unabbreviate_on_import_1436-3.bib",
        "author-spelling",
        "soshnikov_2011",
        "bouravleuv|bouravlev",
    ): (True, "one person, spelled two ways"),
    ("Unabbreviate_on_import_1436-3.bib", "author-spelling", "taupin_2016", "nygard|nygrd"): (
        True,
        "one person, spelled two ways",
    ),
    ("Unabbreviate_on_import_1436-3.bib", "author-spelling", "umeda_2013", "kita|kitano"): (
        False,
        "two people",
    ),
    ("Unabbreviate_on_import_1436-3.bib", "author-spelling", "wang_2005a", "cotta|cottam"): (
        False,
        "two people",
    ),
    ("Unabbreviate_on_import_1436-3.bib", "author-spelling", "wenz_2014", "rose|rosien"): (
        False,
        "two people",
    ),
    ("Unabbreviate_on_import_1436-3.bib", "author-spelling", "xiang_2016b", "xian|xiang"): (
        False,
        "two people",
    ),
    ("Unabbreviate_on_import_1436-3.bib", "author-spelling", "xu_2003", "cheng|cheung"): (
        False,
        "two people (or not sure)",
    ),
    ("Unabbreviate_on_import_1436-3.bib", "author-spelling", "zardo_2012", "mariani|marini"): (
        False,
        "two people",
    ),
    (
        "Unabbreviate_on_import_1436-3.bib",
        "unprotected-proper-noun",
        "blanchard_2018",
        "Regrowth",
    ): (False, "a common word (the file braces it only in Title Case titles)"),
    ("Unabbreviate_on_import_1436-3.bib", "unprotected-proper-noun", "breuer_2011a", "Nanowires"): (
        False,
        "a common word (the file braces it only in Title Case titles)",
    ),
    ("Unabbreviate_on_import_1436-3.bib", "unprotected-proper-noun", "brown_2015", "Enhanced"): (
        False,
        "a common word (the file braces it only in Title Case titles)",
    ),
    ("Unabbreviate_on_import_1436-3.bib", "unprotected-proper-noun", "burgess_2015", "Earth"): (
        False,
        "a common word (the file braces it only in Title Case titles)",
    ),
    ("Unabbreviate_on_import_1436-3.bib", "unprotected-proper-noun", "chen_2015d", "Free"): (
        False,
        "a common word (the file braces it only in Title Case titles)",
    ),
    ("Unabbreviate_on_import_1436-3.bib", "unprotected-proper-noun", "cheze_2013", "Origin"): (
        False,
        "a common word (the file braces it only in Title Case titles)",
    ),
    ("Unabbreviate_on_import_1436-3.bib", "unprotected-proper-noun", "cich_2012", "Based"): (
        False,
        "a common word (the file braces it only in Title Case titles)",
    ),
    ("Unabbreviate_on_import_1436-3.bib", "unprotected-proper-noun", "cingolani_2000", "Field"): (
        False,
        "a common word (the file braces it only in Title Case titles)",
    ),
    (
        "Unabbreviate_on_import_1436-3.bib",
        "unprotected-proper-noun",
        "consonni_2009",
        "Properties",
    ): (False, "a common word (the file braces it only in Title Case titles)"),
    ("Unabbreviate_on_import_1436-3.bib", "unprotected-proper-noun", "cusco_2010", "Nanowires"): (
        False,
        "a common word (the file braces it only in Title Case titles)",
    ),
    ("Unabbreviate_on_import_1436-3.bib", "unprotected-proper-noun", "datta_2000", "Dependence"): (
        False,
        "a common word (the file braces it only in Title Case titles)",
    ),
    ("Unabbreviate_on_import_1436-3.bib", "unprotected-proper-noun", "dick_2004", "Synthesis"): (
        False,
        "a common word (the file braces it only in Title Case titles)",
    ),
    (
        "Unabbreviate_on_import_1436-3.bib",
        "unprotected-proper-noun",
        "dubrovskii_2017a",
        "Nanowires",
    ): (False, "a common word (the file braces it only in Title Case titles)"),
    ("Unabbreviate_on_import_1436-3.bib", "unprotected-proper-noun", "enatsu_2016", "Three"): (
        False,
        "a common word (the file braces it only in Title Case titles)",
    ),
    ("Unabbreviate_on_import_1436-3.bib", "unprotected-proper-noun", "finkelman_1974", "Solid"): (
        False,
        "a common word (the file braces it only in Title Case titles)",
    ),
    ("Unabbreviate_on_import_1436-3.bib", "unprotected-proper-noun", "franssen_2007", "Light"): (
        False,
        "a common word (the file braces it only in Title Case titles)",
    ),
    (
        "Unabbreviate_on_import_1436-3.bib",
        "unprotected-proper-noun",
        "golamsarwar_2012",
        "Charge",
    ): (False, "a common word (the file braces it only in Title Case titles)"),
    ("Unabbreviate_on_import_1436-3.bib", "unprotected-proper-noun", "gregersen_2013", "High"): (
        False,
        "a common word (the file braces it only in Title Case titles)",
    ),
    (
        "Unabbreviate_on_import_1436-3.bib",
        "unprotected-proper-noun",
        "griffiths_2010",
        "Electron",
    ): (False, "a common word (the file braces it only in Title Case titles)"),
    ("Unabbreviate_on_import_1436-3.bib", "unprotected-proper-noun", "heiss_2009", "Nanowires"): (
        False,
        "a common word (the file braces it only in Title Case titles)",
    ),
    ("Unabbreviate_on_import_1436-3.bib", "unprotected-proper-noun", "heo_2012", "Nanowires"): (
        False,
        "a common word (the file braces it only in Title Case titles)",
    ),
    ("Unabbreviate_on_import_1436-3.bib", "unprotected-proper-noun", "hertrampf_2018", "Indium"): (
        False,
        "a common word (the file braces it only in Title Case titles)",
    ),
    ("Unabbreviate_on_import_1436-3.bib", "unprotected-proper-noun", "hoather_1936", "Gallium"): (
        False,
        "a common word (the file braces it only in Title Case titles)",
    ),
    ("Unabbreviate_on_import_1436-3.bib", "unprotected-proper-noun", "howe_2004", "Liquid"): (
        False,
        "a common word (the file braces it only in Title Case titles)",
    ),
    ("Unabbreviate_on_import_1436-3.bib", "unprotected-proper-noun", "huang_1950", "Theory"): (
        False,
        "a common word (the file braces it only in Title Case titles)",
    ),
    ("Unabbreviate_on_import_1436-3.bib", "unprotected-proper-noun", "huang_2011a", "Nanowires"): (
        False,
        "a common word (the file braces it only in Title Case titles)",
    ),
    ("Unabbreviate_on_import_1436-3.bib", "unprotected-proper-noun", "ishii_2013", "Aluminum"): (
        False,
        "a common word (the file braces it only in Title Case titles)",
    ),
    (
        "Unabbreviate_on_import_1436-3.bib",
        "unprotected-proper-noun",
        "jo_2018",
        "Characterization",
    ): (False, "a common word (the file braces it only in Title Case titles)"),
    (
        "Unabbreviate_on_import_1436-3.bib",
        "unprotected-proper-noun",
        "kamimura_2012a",
        "Photoluminescence",
    ): (False, "a common word (the file braces it only in Title Case titles)"),
    ("Unabbreviate_on_import_1436-3.bib", "unprotected-proper-noun", "karimi_2012", "Properties"): (
        False,
        "a common word (the file braces it only in Title Case titles)",
    ),
    (
        "Unabbreviate_on_import_1436-3.bib",
        "unprotected-proper-noun",
        "kasama_2015",
        "Observation",
    ): (False, "a common word (the file braces it only in Title Case titles)"),
    ("Unabbreviate_on_import_1436-3.bib", "unprotected-proper-noun", "kawakami_1996", "Layer"): (
        False,
        "a common word (the file braces it only in Title Case titles)",
    ),
    (
        "Unabbreviate_on_import_1436-3.bib",
        "unprotected-proper-noun",
        "khatsevich_2008",
        "Emission",
    ): (False, "a common word (the file braces it only in Title Case titles)"),
    ("Unabbreviate_on_import_1436-3.bib", "unprotected-proper-noun", "liao_2012", "Quantum"): (
        False,
        "a common word (the file braces it only in Title Case titles)",
    ),
    ("Unabbreviate_on_import_1436-3.bib", "unprotected-proper-noun", "lim_2016", "Plane"): (
        False,
        "a common word (the file braces it only in Title Case titles)",
    ),
    ("Unabbreviate_on_import_1436-3.bib", "unprotected-proper-noun", "long_2002", "Induced"): (
        False,
        "a common word (the file braces it only in Title Case titles)",
    ),
    (
        "Unabbreviate_on_import_1436-3.bib",
        "unprotected-proper-noun",
        "luo_2008",
        "Photoelectrodes",
    ): (False, "a common word (the file braces it only in Title Case titles)"),
    (
        "Unabbreviate_on_import_1436-3.bib",
        "unprotected-proper-noun",
        "mariager_2010",
        "Observation",
    ): (False, "a common word (the file braces it only in Title Case titles)"),
    (
        "Unabbreviate_on_import_1436-3.bib",
        "unprotected-proper-noun",
        "mieszawska_2007",
        "Synthesis",
    ): (False, "a common word (the file braces it only in Title Case titles)"),
    ("Unabbreviate_on_import_1436-3.bib", "unprotected-proper-noun", "noor_2013", "Structure"): (
        False,
        "a common word (the file braces it only in Title Case titles)",
    ),
    ("Unabbreviate_on_import_1436-3.bib", "unprotected-proper-noun", "nozawa_2015", "Photon"): (
        False,
        "a common word (the file braces it only in Title Case titles)",
    ),
    (
        "Unabbreviate_on_import_1436-3.bib",
        "unprotected-proper-noun",
        "peng_1999",
        "Piezoelectric",
    ): (False, "a common word (the file braces it only in Title Case titles)"),
    ("Unabbreviate_on_import_1436-3.bib", "unprotected-proper-noun", "ponce_1997", "Blue"): (
        False,
        "a common word (the file braces it only in Title Case titles)",
    ),
    ("Unabbreviate_on_import_1436-3.bib", "unprotected-proper-noun", "purcell_1946", "American"): (
        True,
        "a place, people or language",
    ),
    (
        "Unabbreviate_on_import_1436-3.bib",
        "unprotected-proper-noun",
        "rakeshkumar_2011",
        "Substrate",
    ): (False, "a common word (the file braces it only in Title Case titles)"),
    ("Unabbreviate_on_import_1436-3.bib", "unprotected-proper-noun", "rao_2007", "The"): (
        False,
        "a common word (the file braces it only in Title Case titles)",
    ),
    ("Unabbreviate_on_import_1436-3.bib", "unprotected-proper-noun", "sanders_1983", "Gap"): (
        False,
        "a common word (the file braces it only in Title Case titles)",
    ),
    ("Unabbreviate_on_import_1436-3.bib", "unprotected-proper-noun", "sarkar_2016", "Growth"): (
        False,
        "a common word (the file braces it only in Title Case titles)",
    ),
    ("Unabbreviate_on_import_1436-3.bib", "unprotected-proper-noun", "shih_2012", "Quantum"): (
        False,
        "a common word (the file braces it only in Title Case titles)",
    ),
    ("Unabbreviate_on_import_1436-3.bib", "unprotected-proper-noun", "singh_2009", "Nanowire"): (
        False,
        "a common word (the file braces it only in Title Case titles)",
    ),
    ("Unabbreviate_on_import_1436-3.bib", "unprotected-proper-noun", "soh_2007", "Grown"): (
        False,
        "a common word (the file braces it only in Title Case titles)",
    ),
    ("Unabbreviate_on_import_1436-3.bib", "unprotected-proper-noun", "stanchu_2016", "Mapping"): (
        False,
        "a common word (the file braces it only in Title Case titles)",
    ),
    ("Unabbreviate_on_import_1436-3.bib", "unprotected-proper-noun", "steidl_2017", "Nanowire"): (
        False,
        "a common word (the file braces it only in Title Case titles)",
    ),
    ("Unabbreviate_on_import_1436-3.bib", "unprotected-proper-noun", "strudley_2013", "Light"): (
        False,
        "a common word (the file braces it only in Title Case titles)",
    ),
    ("Unabbreviate_on_import_1436-3.bib", "unprotected-proper-noun", "teng_2016", "Strain"): (
        False,
        "a common word (the file braces it only in Title Case titles)",
    ),
    ("Unabbreviate_on_import_1436-3.bib", "unprotected-proper-noun", "thooft_1987", "Oscillator"): (
        False,
        "a common word (the file braces it only in Title Case titles)",
    ),
    ("Unabbreviate_on_import_1436-3.bib", "unprotected-proper-noun", "tian_2017b", "Grown"): (
        False,
        "a common word (the file braces it only in Title Case titles)",
    ),
    (
        "Unabbreviate_on_import_1436-3.bib",
        "unprotected-proper-noun",
        "vukajlovic-plestina_2017",
        "Nanowires",
    ): (False, "a common word (the file braces it only in Title Case titles)"),
    ("Unabbreviate_on_import_1436-3.bib", "unprotected-proper-noun", "wang_2013f", "Well"): (
        False,
        "a common word (the file braces it only in Title Case titles)",
    ),
    ("Unabbreviate_on_import_1436-3.bib", "unprotected-proper-noun", "wu_2004", "Structures"): (
        False,
        "a common word (the file braces it only in Title Case titles)",
    ),
    ("Unabbreviate_on_import_1436-3.bib", "unprotected-proper-noun", "xia_2012", "Nanowires"): (
        False,
        "a common word (the file braces it only in Title Case titles)",
    ),
    ("Unabbreviate_on_import_1436-3.bib", "unprotected-proper-noun", "xia_2014a", "Type"): (
        False,
        "a common word (the file braces it only in Title Case titles)",
    ),
    ("Unabbreviate_on_import_1436-3.bib", "unprotected-proper-noun", "you_2013", "Structure"): (
        False,
        "a common word (the file braces it only in Title Case titles)",
    ),
    ("Unabbreviate_on_import_1436-3.bib", "unprotected-proper-noun", "zardo_2012", "Properties"): (
        False,
        "a common word (the file braces it only in Title Case titles)",
    ),
    (
        "Unabbreviate_on_import_1436-3.bib",
        "unprotected-proper-noun",
        "zeeshan_2013",
        "Applications",
    ): (False, "a common word (the file braces it only in Title Case titles)"),
    ("bbt-apa-examples-2660.bib", "unprotected-proper-noun", "10.1:12b", "Science"): (
        False,
        "a common word",
    ),
    ("bbt-apa-examples-2660.bib", "unprotected-proper-noun", "10.1:12b", "The"): (
        False,
        "the first word of the title",
    ),
    ("bbt-apa-examples-2660.bib", "unprotected-proper-noun", "10.3:44", "The"): (
        False,
        "the first word of the title",
    ),
    ("bbt-apa-examples-2660.bib", "unprotected-proper-noun", "10.9:75c", "American"): (
        True,
        "a place, people or language",
    ),
    ("bbt-edtf-dates-590.bib", "author-spelling", "barker11_1273_20171101", "barker1|barker11"): (
        False,
        "numbered or particle test names: two people",
    ),
    ("bbt-edtf-dates-590.bib", "author-spelling", "barker13_-51234_20171101", "barker1|barker13"): (
        False,
        "numbered or particle test names: two people",
    ),
    ("bbt-edtf-dates-590.bib", "author-spelling", "barker14_1999_turkey", "barker10|barker14"): (
        False,
        "numbered or particle test names: two people",
    ),
    ("bbt-edtf-dates-590.bib", "author-spelling", "barker14_1999_turkey", "barker11|barker14"): (
        False,
        "numbered or particle test names: two people",
    ),
    ("bbt-edtf-dates-590.bib", "author-spelling", "barker14_1999_turkey", "barker12|barker14"): (
        False,
        "numbered or particle test names: two people",
    ),
    ("bbt-edtf-dates-590.bib", "author-spelling", "barker14_1999_turkey", "barker13|barker14"): (
        False,
        "two people",
    ),
    ("bbt-edtf-dates-590.bib", "author-spelling", "barker14_1999_turkey", "barker1|barker14"): (
        False,
        "numbered or particle test names: two people",
    ),
    ("bbt-edtf-dates-590.bib", "author-spelling", "barker2_2016_turkey", "barker1|barker2"): (
        False,
        "numbered or particle test names: two people",
    ),
    ("bbt-edtf-dates-590.bib", "author-spelling", "barker3_2016_turkey", "barker10|barker3"): (
        False,
        "numbered or particle test names: two people",
    ),
    ("bbt-edtf-dates-590.bib", "author-spelling", "barker4_-876_turkey", "barker10|barker4"): (
        False,
        "numbered or particle test names: two people",
    ),
    ("bbt-edtf-dates-590.bib", "author-spelling", "barker4_-876_turkey", "barker12|barker4"): (
        False,
        "numbered or particle test names: two people",
    ),
    ("bbt-edtf-dates-590.bib", "author-spelling", "barker4_-876_turkey", "barker13|barker4"): (
        False,
        "two people",
    ),
    ("bbt-edtf-dates-590.bib", "author-spelling", "barker5_1723_turkey", "barker12|barker5"): (
        False,
        "numbered or particle test names: two people",
    ),
    ("bbt-edtf-dates-590.bib", "author-spelling", "barker5_1723_turkey", "barker13|barker5"): (
        False,
        "numbered or particle test names: two people",
    ),
    ("bbt-edtf-dates-590.bib", "author-spelling", "barker5_1723_turkey", "barker14|barker5"): (
        False,
        "two people",
    ),
    ("bbt-edtf-dates-590.bib", "author-spelling", "barker5_1723_turkey", "barker2|barker5"): (
        False,
        "numbered or particle test names: two people",
    ),
    ("bbt-edtf-dates-590.bib", "author-spelling", "barker5_1723_turkey", "barker4|barker5"): (
        False,
        "two people",
    ),
    ("bbt-edtf-dates-590.bib", "author-spelling", "barker6_1723_turkey", "barker12|barker6"): (
        False,
        "numbered or particle test names: two people",
    ),
    ("bbt-edtf-dates-590.bib", "author-spelling", "barker6_1723_turkey", "barker4|barker6"): (
        False,
        "numbered or particle test names: two people",
    ),
    ("bbt-edtf-dates-590.bib", "author-spelling", "barker8_1988_turkey", "barker11|barker8"): (
        False,
        "numbered or particle test names: two people",
    ),
    ("bbt-edtf-dates-590.bib", "author-spelling", "barker8_1988_turkey", "barker12|barker8"): (
        False,
        "numbered or particle test names: two people",
    ),
    ("bbt-edtf-dates-590.bib", "author-spelling", "barker8_1988_turkey", "barker14|barker8"): (
        False,
        "numbered or particle test names: two people",
    ),
    ("bbt-edtf-dates-590.bib", "author-spelling", "barker8_1988_turkey", "barker3|barker8"): (
        False,
        "two people",
    ),
    ("bbt-edtf-dates-590.bib", "author-spelling", "barker9_2004_turkey", "barker10|barker9"): (
        False,
        "two people",
    ),
    ("bbt-edtf-dates-590.bib", "author-spelling", "barker9_2004_turkey", "barker13|barker9"): (
        False,
        "numbered or particle test names: two people",
    ),
    ("bbt-edtf-dates-590.bib", "author-spelling", "barker9_2004_turkey", "barker1|barker9"): (
        False,
        "numbered or particle test names: two people",
    ),
    ("bbt-edtf-dates-590.bib", "author-spelling", "barker9_2004_turkey", "barker2|barker9"): (
        False,
        "numbered or particle test names: two people",
    ),
    ("bbt-edtf-dates-590.bib", "author-spelling", "barker9_2004_turkey", "barker4|barker9"): (
        False,
        "numbered or particle test names: two people",
    ),
    ("bbt-edtf-dates-590.bib", "author-spelling", "barker9_2004_turkey", "barker8|barker9"): (
        False,
        "numbered or particle test names: two people",
    ),
    ("bbt-mendeley-idiocy.bib", "author-spelling", "Brooks2012", "brown|browne"): (
        False,
        "two people (or not sure)",
    ),
    ("bbt-mendeley-idiocy.bib", "unprotected-proper-noun", "", "African"): (
        True,
        "a place, people or language",
    ),
    ("bbt-mendeley-idiocy.bib", "unprotected-proper-noun", "", "American"): (
        True,
        "a place, people or language",
    ),
    ("bbt-mendeley-idiocy.bib", "unprotected-proper-noun", "Abate2010", "American"): (
        True,
        "a place, people or language",
    ),
    ("bbt-mendeley-idiocy.bib", "unprotected-proper-noun", "Amsden2015", "America"): (
        True,
        "a place, people or language",
    ),
    ("bbt-mendeley-idiocy.bib", "unprotected-proper-noun", "Babb1998", "American"): (
        True,
        "a place, people or language",
    ),
    ("bbt-mendeley-idiocy.bib", "unprotected-proper-noun", "Bauman1993", "America's"): (
        True,
        "a place, people or language",
    ),
    ("bbt-mendeley-idiocy.bib", "unprotected-proper-noun", "Berger2005", "American"): (
        True,
        "a place, people or language",
    ),
    ("bbt-mendeley-idiocy.bib", "unprotected-proper-noun", "Bishop2007", "African"): (
        True,
        "a place, people or language",
    ),
    ("bbt-mendeley-idiocy.bib", "unprotected-proper-noun", "Bishop2007", "American"): (
        True,
        "a place, people or language",
    ),
    ("bbt-mendeley-idiocy.bib", "unprotected-proper-noun", "Bishop2012", "African"): (
        True,
        "a place, people or language",
    ),
    ("bbt-mendeley-idiocy.bib", "unprotected-proper-noun", "Bishop2012", "American"): (
        True,
        "a place, people or language",
    ),
    ("bbt-mendeley-idiocy.bib", "unprotected-proper-noun", "Bolton2019", "American"): (
        True,
        "a place, people or language",
    ),
    ("bbt-mendeley-idiocy.bib", "unprotected-proper-noun", "Brooks2008", "African"): (
        True,
        "a place, people or language",
    ),
    ("bbt-mendeley-idiocy.bib", "unprotected-proper-noun", "Brooks2008", "American"): (
        True,
        "a place, people or language",
    ),
    ("bbt-mendeley-idiocy.bib", "unprotected-proper-noun", "Brooks2009", "African"): (
        True,
        "a place, people or language",
    ),
    ("bbt-mendeley-idiocy.bib", "unprotected-proper-noun", "Brooks2009", "American"): (
        True,
        "a place, people or language",
    ),
    ("bbt-mendeley-idiocy.bib", "unprotected-proper-noun", "Dowd1992", "American"): (
        True,
        "a place, people or language",
    ),
    ("bbt-mendeley-idiocy.bib", "unprotected-proper-noun", "Dowd1992", "Asian"): (
        True,
        "a place, people or language",
    ),
    ("bbt-mendeley-idiocy.bib", "unprotected-proper-noun", "Gates2014", "African"): (
        True,
        "a place, people or language",
    ),
    ("bbt-mendeley-idiocy.bib", "unprotected-proper-noun", "Gates2014", "American"): (
        True,
        "a place, people or language",
    ),
    ("bbt-mendeley-idiocy.bib", "unprotected-proper-noun", "Gentina2014", "American"): (
        True,
        "a place, people or language",
    ),
    ("bbt-mendeley-idiocy.bib", "unprotected-proper-noun", "Gentina2014", "French"): (
        True,
        "a place, people or language",
    ),
    ("bbt-mendeley-idiocy.bib", "unprotected-proper-noun", "Goldsmith2017", "China"): (
        True,
        "a place, people or language",
    ),
    ("bbt-mendeley-idiocy.bib", "unprotected-proper-noun", "Harger2016", "American"): (
        True,
        "a place, people or language",
    ),
    ("bbt-mendeley-idiocy.bib", "unprotected-proper-noun", "Immroth2015", "American"): (
        True,
        "a place, people or language",
    ),
    ("bbt-mendeley-idiocy.bib", "unprotected-proper-noun", "Jackson2009", "America"): (
        True,
        "a place, people or language",
    ),
    ("bbt-mendeley-idiocy.bib", "unprotected-proper-noun", "Janssen2011", "European"): (
        True,
        "a place, people or language",
    ),
    ("bbt-mendeley-idiocy.bib", "unprotected-proper-noun", "King2008", "Indian"): (
        True,
        "a place, people or language",
    ),
    ("bbt-mendeley-idiocy.bib", "unprotected-proper-noun", "Knox2015", "America"): (
        True,
        "a place, people or language",
    ),
    ("bbt-mendeley-idiocy.bib", "unprotected-proper-noun", "Kraus2019", "American"): (
        True,
        "a place, people or language",
    ),
    ("bbt-mendeley-idiocy.bib", "unprotected-proper-noun", "Marcus2008", "American"): (
        True,
        "a place, people or language",
    ),
    ("bbt-mendeley-idiocy.bib", "unprotected-proper-noun", "Mathison2018", "American"): (
        True,
        "a place, people or language",
    ),
    ("bbt-mendeley-idiocy.bib", "unprotected-proper-noun", "Mathison2018", "Asian"): (
        True,
        "a place, people or language",
    ),
    ("bbt-mendeley-idiocy.bib", "unprotected-proper-noun", "McCutcheon2014", "American"): (
        True,
        "a place, people or language",
    ),
    ("bbt-mendeley-idiocy.bib", "unprotected-proper-noun", "McCutcheon2014", "Washington"): (
        True,
        "a place, people or language",
    ),
    ("bbt-mendeley-idiocy.bib", "unprotected-proper-noun", "Miller2020", "English"): (
        True,
        "a place, people or language",
    ),
    ("bbt-mendeley-idiocy.bib", "unprotected-proper-noun", "Panlay2016", "African"): (
        True,
        "a place, people or language",
    ),
    ("bbt-mendeley-idiocy.bib", "unprotected-proper-noun", "Panlay2016", "American"): (
        True,
        "a place, people or language",
    ),
    ("bbt-mendeley-idiocy.bib", "unprotected-proper-noun", "Pool2007", "America"): (
        True,
        "a place, people or language",
    ),
    ("bbt-mendeley-idiocy.bib", "unprotected-proper-noun", "ReedPOP2014", "America"): (
        True,
        "a place, people or language",
    ),
    ("bbt-mendeley-idiocy.bib", "unprotected-proper-noun", "Warren1993", "American"): (
        True,
        "a place, people or language",
    ),
    ("bbt-mendeley-idiocy.bib", "unprotected-proper-noun", "Watson2013", "American"): (
        True,
        "a place, people or language",
    ),
    ("bbt-mendeley-idiocy.bib", "unprotected-proper-noun", "Watson2019", "America"): (
        True,
        "a place, people or language",
    ),
    ("bbt-mendeley-idiocy.bib", "unprotected-proper-noun", "Yancy2004", "African"): (
        True,
        "a place, people or language",
    ),
    ("bbt-mendeley-idiocy.bib", "unprotected-proper-noun", "Yancy2004", "American"): (
        True,
        "a place, people or language",
    ),
    (
        "bbt-particles-313.bib",
        "author-spelling",
        "name_ParticlesDemoteNonDroppingNever",
        "vandefamilyname|vanderfamilyname",
    ): (False, "numbered or particle test names: two people"),
    (
        "bbt-particles-313.bib",
        "author-spelling",
        "name_ParticlesDemoteNonDroppingNever",
        "vandenfamilyname|vanderfamilyname",
    ): (False, "numbered or particle test names: two people"),
    (
        "bbt-particles-313.bib",
        "author-spelling",
        "name_ParticlesDemoteNonDroppingNever",
        "vanderfamilyname|vanfamilyname",
    ): (False, "numbered or particle test names: two people"),
    (
        "bbt-particles-313.bib",
        "author-spelling",
        "name_ParticlesDemoteNonDroppingNever",
        "vanderfamilyname|vanhetfamilyname",
    ): (False, "numbered or particle test names: two people"),
    (
        "bbt-quietly-discarded-873.bib",
        "author-spelling",
        "BrachmanETAL:91",
        "mcguiness|mcguinness",
    ): (True, "one person, spelled two ways"),
    ("bbt-quietly-discarded-873.bib", "author-spelling", "Brafman:96", "brachman|brafman"): (
        False,
        "two people (or not sure)",
    ),
    ("bbt-quietly-discarded-873.bib", "author-spelling", "IJCAI01*425", "munozavia|munozavila"): (
        True,
        "one person, spelled two ways",
    ),
    ("bbt-quietly-discarded-873.bib", "author-spelling", "Wise:1976", "miller|milner"): (
        False,
        "two people (or not sure)",
    ),
    ("bbt-quietly-discarded-873.bib", "author-spelling", "Wise:1976", "milne|milner"): (
        False,
        "two people (or not sure)",
    ),
    ("bbt-quietly-discarded-873.bib", "author-spelling", "nau03a", "ilgami|ilghami"): (
        True,
        "one person, spelled two ways",
    ),
    ("bbt-quietly-discarded-873.bib", "unprotected-proper-noun", "Emonds:76", "English"): (
        True,
        "a place, people or language",
    ),
    ("bbt-quietly-discarded-873.bib", "unprotected-proper-noun", "Harper:86", "English"): (
        True,
        "a place, people or language",
    ),
    ("bbt-quietly-discarded-873.bib", "unprotected-proper-noun", "Keyser:76", "English"): (
        True,
        "a place, people or language",
    ),
    ("bbt-quietly-discarded-873.bib", "unprotected-proper-noun", "Ling:94", "English"): (
        True,
        "a place, people or language",
    ),
    ("bbt-quietly-discarded-873.bib", "unprotected-proper-noun", "Martin:73", "English"): (
        True,
        "a place, people or language",
    ),
    ("bbt-quietly-discarded-873.bib", "unprotected-proper-noun", "Montague:73", "English"): (
        True,
        "a place, people or language",
    ),
    ("bbt-quietly-discarded-873.bib", "unprotected-proper-noun", "Pereira:93", "English"): (
        True,
        "a place, people or language",
    ),
    ("bbt-quietly-discarded-873.bib", "unprotected-proper-noun", "Perlmutter:79", "English"): (
        True,
        "a place, people or language",
    ),
    ("bbt-quietly-discarded-873.bib", "unprotected-proper-noun", "Sidner:79", "English"): (
        True,
        "a place, people or language",
    ),
    ("bbt-quietly-discarded-873.bib", "unprotected-proper-noun", "Thorne:68", "English"): (
        True,
        "a place, people or language",
    ),
    ("bbt-quietly-discarded-873.bib", "unprotected-proper-noun", "Wilks:75", "English"): (
        True,
        "a place, people or language",
    ),
    ("bbt-quietly-discarded-873.bib", "unprotected-proper-noun", "Wilks:76", "English"): (
        True,
        "a place, people or language",
    ),
    ("bbt-read-only-group-3430.bib", "unprotected-proper-noun", "austinclairec2015", "Data"): (
        False,
        "a common word",
    ),
    ("bbt-read-only-group-3430.bib", "unprotected-proper-noun", "buddenbohm2016", "Humanities"): (
        False,
        "a common word",
    ),
    ("biber-papers.bib", "author-spelling", "BerryB97", "berry|bery"): (
        True,
        "one person, spelled two ways",
    ),
    ("biber-papers.bib", "author-spelling", "BertossiB86", "bonuccelli|bonucelli"): (
        True,
        "one person, spelled two ways",
    ),
    ("biber-papers.bib", "author-spelling", "BodlaenderDJKKMT98", "deogon|deogun"): (
        True,
        "one person, spelled two ways",
    ),
    ("biber-papers.bib", "author-spelling", "BrandstadtDCV93", "brandsadt|brandstadt"): (
        True,
        "one person, spelled two ways",
    ),
    ("biber-papers.bib", "author-spelling", "FominGKKL09", "liedloff|liefloff"): (
        True,
        "one person, spelled two ways",
    ),
    ("biber-papers.bib", "author-spelling", "GeelenGW02", "whitte|whittle"): (
        True,
        "one person, spelled two ways",
    ),
    ("biber-papers.bib", "author-spelling", "IduryS93", "schaffer|schaffer"): (
        True,
        "one person, spelled two ways",
    ),
    ("biber-papers.bib", "author-spelling", "MakedonSW93", "wolfstahl|wolfsthal"): (
        True,
        "one person, spelled two ways",
    ),
    ("biber-papers.bib", "unprotected-proper-noun", "Andrzejak98", "An"): (
        False,
        "the first word of the title",
    ),
    ("biber-papers.bib", "unprotected-proper-noun", "Dorn07", "Algorithms"): (
        False,
        "a common word",
    ),
    ("biber-papers.bib", "unprotected-proper-noun", "FernauJ04", "Algorithms"): (
        False,
        "a common word",
    ),
    ("biber-papers.bib", "unprotected-proper-noun", "KorteM89", "An"): (
        False,
        "the first word of the title",
    ),
    ("biber-papers.bib", "unprotected-proper-noun", "MatousekT91", "Algorithms"): (
        False,
        "a common word",
    ),
    ("biber-papers.bib", "unprotected-proper-noun", "RanderathS05", "Algorithms"): (
        False,
        "a common word",
    ),
    ("biber-papers.bib", "unprotected-proper-noun", "TarjanV85", "An"): (
        False,
        "the first word of the title",
    ),
    ("biber-papers.bib", "unprotected-proper-noun", "Whitesides81", "An"): (
        False,
        "the first word of the title",
    ),
    ("d2l.bib", "author-spelling", "Cheng.Dong.Lapata.2016", "chen|cheng"): (
        False,
        "two people (or not sure)",
    ),
    ("d2l.bib", "unprotected-proper-noun", "VapChe74", "Russian"): (
        True,
        "a place, people or language",
    ),
    ("d2l.bib", "unprotected-proper-noun", "Vapnik.Chervonenkis.1974*2", "Russian"): (
        True,
        "a place, people or language",
    ),
    (
        "jabref-authors.bib",
        "author-spelling",
        "SchoenbergerSchwalbWirtz2012",
        "schoenberger|schonberger",
    ): (True, "one person, spelled two ways"),
    (
        "jabref-authors.bib",
        "author-spelling",
        "StrauchAndrikopoulosBreitenbuecherEtAl2012",
        "leymann|leyrnann",
    ): (True, "one person, spelled two ways"),
    ("jabref-authors.bib", "unprotected-proper-noun", "KoppLohmann2009", "European"): (
        True,
        "a place, people or language",
    ),
    ("jabref-authors.bib", "unprotected-proper-noun", "SchoenbergerKoppLohmann2012", "European"): (
        True,
        "a place, people or language",
    ),
    ("jabref-citavi2.bib", "unprotected-proper-noun", "", "Africa"): (
        True,
        "a place, people or language",
    ),
    ("jabref-citavi2.bib", "unprotected-proper-noun", "", "Arab"): (
        True,
        "a place, people or language",
    ),
    ("jabref-citavi2.bib", "unprotected-proper-noun", "", "European"): (
        True,
        "a place, people or language",
    ),
    ("jabref-testjabref.bib", "author-spelling", "Berestovskii2006", "plant|plaut"): (
        False,
        "two people",
    ),
    ("jabref-testjabref.bib", "author-spelling", "Kumara2020", "kumar|kumara"): (
        False,
        "two people",
    ),
    ("jabref-testjabref.bib", "unprotected-proper-noun", "Ai2020", "China"): (
        True,
        "a place, people or language",
    ),
    ("jabref-testjabref.bib", "unprotected-proper-noun", "Hu2020", "China"): (
        True,
        "a place, people or language",
    ),
    ("jabref-testjabref.bib", "unprotected-proper-noun", "Liu2020", "China"): (
        True,
        "a place, people or language",
    ),
    ("jabref-testjabref.bib", "unprotected-proper-noun", "Novel2020", "China"): (
        True,
        "a place, people or language",
    ),
    ("jabref-testjabref.bib", "unprotected-proper-noun", "Reyad2020", "Arab"): (
        True,
        "a place, people or language",
    ),
    ("jabref-testjabref.bib", "unprotected-proper-noun", "Shi2020", "China"): (
        True,
        "a place, people or language",
    ),
    ("jabref-testjabref.bib", "unprotected-proper-noun", "Wu2020", "China"): (
        True,
        "a place, people or language",
    ),
    ("jabref-testjabref.bib", "unprotected-proper-noun", "Wu2020", "Chinese"): (
        True,
        "a place, people or language",
    ),
    ("jabref-testjabref.bib", "unprotected-proper-noun", "Zu2020", "China"): (
        True,
        "a place, people or language",
    ),
    ("kks32-thesis-references.bib", "unprotected-proper-noun", "AAB95", "Subspace"): (
        False,
        "a common word",
    ),
    ("kks32-thesis-references.bib", "unprotected-proper-noun", "LM65", "Operators"): (
        False,
        "a common word",
    ),
    ("mne-references.bib", "unprotected-proper-noun", "DalalEtAl2008", "Activity"): (
        False,
        "a common word",
    ),
    ("mne-references.bib", "unprotected-proper-noun", "DalalEtAl2008", "Frequency"): (
        False,
        "a common word",
    ),
    ("mne-references.bib", "unprotected-proper-noun", "DaleSereno1993", "Activity"): (
        False,
        "a common word",
    ),
    ("mne-references.bib", "unprotected-proper-noun", "GramfortEtAl2010", "Estimation"): (
        False,
        "a common word",
    ),
    ("mne-references.bib", "unprotected-proper-noun", "GramfortEtAl2013b", "Time"): (
        False,
        "a common word",
    ),
    ("mne-references.bib", "unprotected-proper-noun", "Koles1991", "Mapping"): (
        False,
        "a common word",
    ),
    ("mne-references.bib", "unprotected-proper-noun", "PerrinEtAl1989", "Mapping"): (
        False,
        "a common word",
    ),
    ("mne-references.bib", "unprotected-proper-noun", "StrohmeierEtAl2016", "Source"): (
        False,
        "a common word",
    ),
    ("mne-references.bib", "unprotected-proper-noun", "TheunissenEtAl2001", "Visual"): (
        False,
        "a common word",
    ),
    (
        "tugboat.bib",
        "author-spelling",
        "Anagnostopoulos:TB13-4-497",
        "anagnostopolous|anagnostopoulos",
    ): (True, "one person, spelled two ways"),
    ("tugboat.bib", "author-spelling", "Berdnikov:TB21-3-186", "janishevsky|janishewsky"): (
        True,
        "one person, spelled two ways",
    ),
    ("tugboat.bib", "author-spelling", "Goossens:TB15-4-427", "rahtz|rahz"): (
        True,
        "one person, spelled two ways",
    ),
    ("tugboat.bib", "unprotected-proper-noun", "Abbott:TB13-3-357", "Typesetting"): (
        False,
        "a common word",
    ),
    ("tugboat.bib", "unprotected-proper-noun", "Anonymous:TB36-1-c3", "Contents"): (
        False,
        "a common word",
    ),
    ("tugboat.bib", "unprotected-proper-noun", "Bien:TB11-2-175", "On"): (
        False,
        "the first word of the title",
    ),
    ("tugboat.bib", "unprotected-proper-noun", "Hagen:TB30-3-72", "The"): (
        False,
        "the first word of the title",
    ),
    ("tugboat.bib", "unprotected-proper-noun", "LaPlante:TB25-2-203", "The"): (
        False,
        "the first word of the title",
    ),
    ("tugboat.bib", "unprotected-proper-noun", "Taylor:TB15-4-464", "An"): (
        False,
        "the first word of the title",
    ),
    ("tugboat.bib", "unprotected-proper-noun", "Walden:TB32-2-213", "Experiences"): (
        False,
        "a common word",
    ),
    ("tugboat.bib", "unprotected-proper-noun", "Wilson:TB27-2-119", "Glisterings"): (
        False,
        "a common word",
    ),
}


def corpus_files(extra: list[Path]) -> list[Path]:
    corpus = Path(os.environ.get("REFBOOK_CORPUS") or REPO.parent / "shared" / "corpus" / "real")
    files = sorted(corpus.glob("*.bib"))  # the files of tests/corpus/MANIFEST (not committed)
    shared = REPO.parent / "shared" / "corpus" / "tugboat.bib"
    if shared.is_file():
        files.append(shared)
    for d in extra:
        files += sorted(d.glob("*.bib"))
    seen: dict[str, Path] = {}
    for f in files:
        seen.setdefault(f.name, f)
    return list(seen.values())


_PAIR = re.compile(r"author (['\"])(.*?)\1 \((.*?)\) and (['\"])(.*?)\4 \((.*?)\)")


def subjects(rule: str, message: str) -> list[str]:
    """What a finding claims: the words, or the pair of names."""
    from refbook.latex import fold

    if rule == "unprotected-proper-noun":
        return message.split(": ", 1)[1].split(", ")
    m = _PAIR.search(message)
    if not m:
        return []
    names = sorted("".join(re.findall(r"\w+", fold(n))) for n in (m.group(2), m.group(5)))
    return ["|".join(names)]


def findings(path: Path) -> list[tuple[str, str, str, str]]:
    """(file, rule, key, subject) for each subject of each finding of the two rules."""
    import refbook
    from refbook.errors import RefbookError
    from refbook.lint import lint, select_rules

    try:
        lib = refbook.load(path)
    except RefbookError:
        return []  # an encoding that needs --encoding, say: not these rules' business
    out = []
    for f in lint(lib, select_rules(list(RULES))).findings:
        if f.rule in RULES:
            out += [(path.name, f.rule, f.key or "", s) for s in subjects(f.rule, f.message)]
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--extra", type=Path, action="append", default=[], help="a directory of more .bib files"
    )
    parser.add_argument(
        "--sample",
        type=int,
        default=70,
        metavar="N",
        help="findings per rule in the scored sample (default 70)",
    )
    parser.add_argument(
        "--unlabelled",
        type=int,
        default=0,
        metavar="N",
        help="print a seeded sample of N unlabelled findings per rule",
    )
    args = parser.parse_args()
    files = corpus_files(args.extra)
    found = [f for path in files for f in findings(path)]
    per_file: dict[str, Counter[str]] = defaultdict(Counter)
    for file, rule, _, _ in found:
        per_file[rule][file] += 1
    print(f"{len(files)} files; labels: {len(LABELS)}")
    for rule in RULES:
        mine = [f for f in found if f[1] == rule]
        # the precision: on a seeded random sample of this run's findings (all of them
        # when there are fewer), so that a run with many findings is not judged by the
        # labelled few that another run also has
        sample = list(mine)
        random.Random(13).shuffle(sample)
        sample = sample[: args.sample]
        judged = [LABELS[f][0] for f in sample if f in LABELS]
        right = sum(judged)
        precision = f"{right / len(judged):.0%}" if judged else "n/a"
        print(
            f"\n{rule}: {len(mine)} findings; sample of {len(sample)}: {len(judged)} "
            f"labelled, {right} right: precision {precision}"
        )
        for file, n in per_file[rule].most_common():
            print(f"  {n:6d}  {file}")
        if args.unlabelled:
            todo = [f for f in mine if f not in LABELS]
            random.Random(13).shuffle(todo)
            for f in sorted(todo[: args.unlabelled]):
                print("   TODO", f)
    missing = {k[0] for k in LABELS} - {p.name for p in files}
    if missing:
        print(f"\nlabelled files not found (give --extra): {', '.join(sorted(missing))}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
