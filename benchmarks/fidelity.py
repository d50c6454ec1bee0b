"""Fidelity on real .bib files: does refbook read, keep, format, lint and export them right?

    python benchmarks/fidelity.py                 # every file of tests/corpus/MANIFEST
    python benchmarks/fidelity.py -v              # and every field that differs from pandoc
    python benchmarks/fidelity.py d2l.bib mne-references.bib
    python benchmarks/fidelity.py --json          # the figures as JSON

Not a timed test: one row a file, each check run on the whole command as a user runs it
(``python -m refbook ...`` in a child process, on a copy of the file):

read     the file loads (``refbook list --json``), or the error names the file's encoding
         (MANIFEST says which it is when it is not UTF-8)
noop     a save without changes, and a splice of every entry's own text, give back the
         same bytes (an entry refbook refuses to edit, with a message, is noted)
fmt      ``refbook fmt -i`` succeeds, keeps the data (fmt's data signature), and a second run
         changes nothing
lint     ``refbook lint --json`` and ``refbook lint --fix --dry-run`` finish (no traceback)
export   ``refbook export`` (APA, HTML) lists every entry of the file
entity   no HTML entity (``&amp;``, ``&lt;``, ``&#38;``...) in the text and Markdown
         output that the source did not contain, and none escaped twice in HTML
fields   refbook's CSL-JSON against pandoc's own reader (``pandoc -f biblatex -t csljson``),
         field by field: title (with subtitle), author and editor family names (with
         particles, and "others" as et al.), year, container title, volume, issue, page,
         DOI.  Titles and container titles are compared as pandoc's plain-text writer
         renders them (math rendered, markup dropped), so that CSL rich text and TeX math
         compare by what a reader sees; page ranges compare with any dash, quotation
         marks and apostrophes whatever their shape (the style's locale sets them), a
         particle ending in - or ' joined to the family name as CSL prints it.
         pandoc's reader rejects some entries (a type with "_", entries in parentheses)
         and loops on crossref cycles: parenthesised entries get braces, rejected entries
         are found by bisection and left out (the row says how many), and cyclic crossref
         fields are cut from the oracle's copy.

Targets (issue 13): every file readable (or a clear encoding error naming the encoding),
100 % of the other checks, and at least 99.8 % of the compared fields equal to pandoc's.
The refbook under test is the one in this checkout (``PYTHONPATH`` is set to it), so the
script also measures an older checkout when copied into it.
"""

from __future__ import annotations

import argparse
import codecs
import configparser
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
MANIFEST = ROOT / "tests" / "corpus" / "MANIFEST"
# the files are not in the repository (fetched from other projects; see MANIFEST for where
# each comes from): --corpus DIR, else $REFBOOK_CORPUS, else ../shared/corpus/real
CORPUS = Path(os.environ.get("REFBOOK_CORPUS") or ROOT.parent / "shared" / "corpus" / "real")
PY = sys.executable
COMPARED = (
    "title",
    "author",
    "editor",
    "year",
    "container-title",
    "volume",
    "issue",
    "page",
    "DOI",
)
ENTITY = re.compile(r"&(?:[A-Za-z][A-Za-z0-9]*|#[0-9]+|#x[0-9A-Fa-f]+);")
DOUBLE_ESCAPED = re.compile(r"&amp;(?:[A-Za-z][A-Za-z0-9]*|#[0-9]+|#x[0-9A-Fa-f]+);")
# names under which an error message may name a file's encoding (MANIFEST's encoding)
ENCODING_NAMES = {
    "latin-1": ("latin-1", "latin1", "iso-8859-1", "iso8859-1", "windows-1252", "cp1252"),
    "windows-1252": ("windows-1252", "cp1252"),
    "utf-16-be": ("utf-16",),
    "utf-16-le": ("utf-16",),
    "gbk": ("gbk", "gb2312", "gb18030"),
}


@dataclass
class Row:
    name: str
    entries: int = 0
    checks: dict[str, bool | None] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    agree: int = 0
    compared: int = 0
    differences: list[str] = field(default_factory=list)
    deliberate: dict[str, int] = field(default_factory=dict)  # reason -> fields


# -- running refbook and pandoc ------------------------------------------------------------


def refbook(
    *args: str, cwd: Path | None = None, timeout: float = 600
) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT), NO_COLOR="1", PYTHONIOENCODING="utf-8")
    env.pop("REFBOOK_PANDOC", None)
    return subprocess.run(
        [PY, "-m", "refbook", *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        errors="replace",
        env=env,
        cwd=cwd,
        timeout=timeout,
    )


def python(code: str, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT), PYTHONIOENCODING="utf-8")
    return subprocess.run(
        [PY, "-c", code, *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        errors="replace",
        env=env,
        timeout=600,
    )


def pandoc_path() -> str:
    import pypandoc

    return pypandoc.get_pandoc_path()


def pandoc(*args: str, stdin: str = "", timeout: float = 600) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(
            [pandoc_path(), *args],
            input=stdin,
            capture_output=True,
            text=True,
            encoding="utf-8",
            errors="replace",
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:  # pandoc loops on cyclic crossrefs
        return subprocess.CompletedProcess(args, -1, "", f"no answer in {timeout:.0f} s")


def crashed(proc: subprocess.CompletedProcess) -> bool:
    return "Traceback (most recent call last)" in proc.stderr


def last_line(proc: subprocess.CompletedProcess) -> str:
    lines = [ln for ln in proc.stderr.strip().splitlines() if ln.strip()]
    return lines[-1][:160] if lines else f"exit {proc.returncode}"


# -- the checks ------------------------------------------------------------------------------

_NOOP = """
import sys
from refbook.store import BibFile
path, copy = sys.argv[1], sys.argv[2]
bib = BibFile.read(path)
raw = open(path, 'rb').read()
bib.save(copy)
same_save = open(copy, 'rb').read() == raw
failed = []
for block in bib.entries():
    try:
        bib.replace_entry(block, bib.block_text(block))
    except Exception as exc:  # noqa: BLE001 - reported, not hidden
        failed.append(f"{block.key}: {exc}")
same_splice = bib.render_bytes() == raw
print(same_save, same_splice, len(failed), failed[:1])
"""

_SIGNATURE = """
import sys, hashlib
from refbook.store import BibFile
from refbook.fmt import data_signature
print(hashlib.sha256(repr(data_signature(BibFile.read(sys.argv[1]))).encode()).hexdigest())
"""


def check_read(row: Row, path: Path, encoding: str | None) -> bool:
    proc = refbook("--bib", str(path), "list", "--json")
    if proc.returncode == 0 and not crashed(proc):
        row.entries = len(json.loads(proc.stdout or "[]"))
        row.checks["read"] = True
        return True
    message = last_line(proc)
    names = ENCODING_NAMES.get(encoding or "", ())
    said = message.replace(str(path), "<file>").lower()  # the file's name may hold one
    named = any(n in said for n in names) and not crashed(proc)
    row.checks["read"] = named
    row.notes.append(f"read: {message}")
    return False


def check_noop(row: Row, path: Path, tmp: Path) -> None:
    proc = python(_NOOP, str(path), str(tmp / "noop.bib"))
    if proc.returncode != 0:
        row.checks["noop"] = False
        row.notes.append(f"noop: {last_line(proc)}")
        return
    same_save, same_splice, failed, first = proc.stdout.split(" ", 3)
    ok = same_save == "True" and same_splice == "True"
    row.checks["noop"] = ok
    if not ok:
        row.notes.append(f"noop: save identical {same_save}, splice identical {same_splice}")
    if failed != "0":  # refused with a message: the entry cannot be edited field by field
        row.notes.append(f"noop: {failed} entries refbook will not edit {first.strip()[:200]}")


def check_fmt(row: Row, path: Path, tmp: Path) -> None:
    copy = tmp / "fmt.bib"
    shutil.copyfile(path, copy)
    before = python(_SIGNATURE, str(copy)).stdout.strip()
    first = refbook("--bib", str(copy), "fmt", "-i")
    if first.returncode != 0 or crashed(first):
        row.checks["fmt"] = False
        row.notes.append(f"fmt: {last_line(first)}")
        return
    after = python(_SIGNATURE, str(copy)).stdout.strip()
    once = copy.read_bytes()
    second = refbook("--bib", str(copy), "fmt", "-i")
    stable = second.returncode == 0 and copy.read_bytes() == once
    ok = bool(before) and before == after and stable
    row.checks["fmt"] = ok
    if not ok:
        row.notes.append(f"fmt: data kept {before == after}, second run unchanged {stable}")


def check_lint(row: Row, path: Path, tmp: Path) -> None:
    lint = refbook("--bib", str(path), "lint", "--json")
    copy = tmp / "lint.bib"
    shutil.copyfile(path, copy)
    fix = refbook("--bib", str(copy), "lint", "--fix", "--dry-run")
    ok = True
    for what, proc in (("lint", lint), ("lint --fix --dry-run", fix)):
        if proc.returncode not in (0, 1) or crashed(proc):
            ok = False
            row.notes.append(f"{what}: {last_line(proc)}")
    try:
        json.loads(lint.stdout)
    except ValueError:
        ok = False
    row.checks["lint"] = ok


def check_export(row: Row, path: Path, source: str) -> None:
    html = refbook("--bib", str(path), "export", "--style", "apa", "--to", "html")
    listed = html.stdout.count('class="csl-entry"')
    ok = html.returncode == 0 and listed == row.entries
    row.checks["export"] = ok
    if not ok:
        row.notes.append(
            f"export: {listed} of {row.entries} entries listed"
            + (f" ({last_line(html)})" if html.returncode else "")
        )
    new: set[str] = set()
    source = source.replace("\\&", "&").replace("\\#", "#")  # \&\#039; is the entity
    for to in ("text", "markdown"):
        out = refbook("--bib", str(path), "export", "--style", "apa", "--to", to).stdout
        new |= {m for m in ENTITY.findall(out) if m not in source}
    # in HTML, an entity the source itself holds as text is rightly escaped once more
    new |= {m for m in DOUBLE_ESCAPED.findall(html.stdout) if "&" + m[5:] not in source}
    row.checks["entity"] = not new
    if new:
        row.notes.append(f"entity: {', '.join(sorted(new)[:6])}")


# -- the comparison with pandoc's reader -----------------------------------------------------


def utf8_text(data: bytes, encoding: str | None = None) -> str | None:
    """The file as text for pandoc (which reads UTF-8 only): the encoding MANIFEST gives,
    BOMs and a JabRef ``% Encoding:`` header are honoured; None when it is unknown."""
    if encoding:
        return data.decode(encoding).lstrip("\ufeff")
    for bom, codec in (
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if data.startswith(bom):
            return data.decode(codec)
    m = re.match(rb"(?:[^\n]*\n){0,4}?%\s*Encoding:\s*([\w.-]+)", data)
    if m:
        try:
            return data.decode(m.group(1).decode("ascii"))
        except (LookupError, UnicodeDecodeError):
            return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _inlines(value: dict[str, Any]) -> list:
    if value["t"] == "MetaInlines":
        return value["c"]
    if value["t"] == "MetaString":
        return [{"t": "Str", "c": value["c"]}]
    if value["t"] == "MetaBlocks":
        return [i for b in value["c"] if b["t"] in ("Para", "Plain") for i in b["c"]]
    return []


def rendered_fields(
    ast: dict[str, Any], names: tuple[str, ...]
) -> dict[tuple[str, int], dict[str, str]]:
    """{(id, occurrence): {field: plain text}} for the rich-text fields, rendered by
    pandoc's plain writer from pandoc's own AST (one pandoc run for all of them)."""
    refs = ast.get("meta", {}).get("references", {"c": []})["c"]
    blocks, where = [], []
    seen: dict[str, int] = {}
    for ref in refs:
        fields = ref["c"]
        ident = fields.get("id", {}).get("c", "")
        ident = (
            ident
            if isinstance(ident, str)
            else "".join(i.get("c", " ") if isinstance(i.get("c"), str) else " " for i in ident)
        )
        seen[ident] = seen.get(ident, 0) + 1
        ident = (ident, seen[ident])
        for name in names:
            if name in fields:
                where.append((ident, name))
                n = len(where) - 1
                blocks.append(
                    {
                        "t": "Para",
                        "c": [{"t": "Str", "c": f"\u27e6{n}\u27e7"}, *_inlines(fields[name])],
                    }
                )
    if not blocks:
        return {}
    doc = {"pandoc-api-version": ast["pandoc-api-version"], "meta": {}, "blocks": blocks}
    out = pandoc("-f", "json", "-t", "plain", "--wrap=none", stdin=json.dumps(doc)).stdout
    result: dict[tuple[str, int], dict[str, str]] = {}
    for m in re.finditer(r"\u27e6(\d+)\u27e7(.*?)(?=\n*\u27e6\d+\u27e7|\Z)", out, re.S):
        ident, name = where[int(m.group(1))]
        # soft hyphens (\-) are invisible: pandoc keeps them, refbook drops them
        text = " ".join(m.group(2).replace("\xad", "").split())
        result.setdefault(ident, {})[name] = _neutral_quotes(text)
    return result


def _neutral_quotes(text: str) -> str:
    """Quotation marks and apostrophes as one character: citeproc sets quotation marks by
    the style's locale and nesting (pandoc's plain writer shows a `single' quotation as
    ‘single’, citeproc prints it “single”), so their shape says nothing about the data."""
    return re.sub("[\u2018\u2019\u201a\u201b\u201c\u201d\u201e\"']", '"', text)


def _names(people: list[dict[str, str]] | None) -> str | None:
    if not people:
        return None
    out = []
    for p in people:
        if "literal" in p:
            out.append(p["literal"])
        else:
            particle = " ".join(
                x for x in (p.get("dropping-particle"), p.get("non-dropping-particle")) if x
            )
            # as CSL prints it: no space after a particle ending in - or ' (al-Hakim)
            glue = "" if particle.endswith(("-", "'", "\u2019")) else " "
            out.append((particle + glue if particle else "") + (p.get("family") or ""))
    return _neutral_quotes("; ".join(" ".join(n.split()) for n in out))


def _year(item: dict[str, Any]) -> str | None:
    issued = item.get("issued") or {}
    parts = issued.get("date-parts") or []
    if parts and parts[0] and parts[0][0] not in (None, ""):
        return str(parts[0][0])
    if issued.get("literal"):
        return str(issued["literal"])
    return None


def _plain(value: Any) -> str | None:
    if value in (None, ""):
        return None
    return " ".join(str(value).split())


def comparable(
    items: list[dict[str, Any]], rendered: dict[tuple[str, int], dict[str, str]]
) -> dict[str, dict[str, str | None]]:
    out = {}
    seen: dict[str, int] = {}
    for item in items:
        ident = str(item.get("id", ""))
        seen[ident] = seen.get(ident, 0) + 1
        texts = rendered.get((ident, seen[ident]), {})
        if seen[ident] > 1:  # entries sharing a key: the second is refbook's key-2
            ident = f"{ident}-{seen[ident]}"
        page = _plain(item.get("page"))
        out[ident] = {
            "title": texts.get("title") or None,
            "author": _names(item.get("author")),
            "editor": _names(item.get("editor")),
            "year": _year(item),
            "container-title": texts.get("container-title") or None,
            "volume": _plain(item.get("volume")),
            "issue": _plain(item.get("issue")),
            "page": re.sub(r"\s*[-–—]+\s*", "-", page) if page else None,
            "DOI": _plain(item.get("DOI")),
        }
    return out


_BLOCK_START = re.compile(r"^[ \t]*@", re.M)
_NOT_ENTRY = re.compile(r"(?i)^\s*@\s*(?:string|preamble|comment)\b")
_PAREN_ENTRY = re.compile(r"^(\s*@\s*[A-Za-z]+\s*)\(")


def _blocks(text: str) -> tuple[str, list[str]]:
    """The file cut at each line starting with '@': (everything that is not an entry,
    the entries); @comments are left out.  Entries in parentheses, which pandoc's reader
    does not accept, get braces (the same entry for BibTeX)."""
    starts = [m.start() for m in _BLOCK_START.finditer(text)]
    pieces = [text[a:b] for a, b in zip([0, *starts], [*starts, len(text)]) if text[a:b]]
    common, entries = [], []
    for piece in pieces:
        if re.match(r"(?i)\s*@\s*comment", piece):
            continue  # pandoc's reader rejects "@Comment text" without braces; not data
        if not piece.lstrip().startswith("@") or _NOT_ENTRY.match(piece):
            common.append(piece)
            continue
        m = _PAREN_ENTRY.match(piece)
        if m and ")" in piece:
            close = piece.rindex(")")
            piece = m.group(1) + "{" + piece[m.end() : close] + "}" + piece[close + 1 :]
        entries.append(piece)
    return "".join(common), entries


_ENTRY_KEY = re.compile(r"^\s*@\s*\w+\s*[{(]\s*([^,\s]+)")
_LINK_FIELD = {
    name: re.compile(rf"(?i)\b{name}\s*=\s*(?:\{{([^{{}}]*)\}}|\"([^\"]*)\")\s*,?")
    for name in ("crossref", "xdata")
}


def _on_a_cycle(links: dict[str, list[str]]) -> set[str]:
    """The keys from which their own key can be reached again."""
    out = set()
    for start in links:
        stack, seen = list(links[start]), set()
        while stack:
            key = stack.pop()
            if key == start:
                out.add(start)
                break
            if key not in seen:
                seen.add(key)
                stack.extend(links.get(key, []))
    return out


def _cut_cycles(text: str) -> tuple[str, int]:
    """pandoc's reader loops for ever on a crossref (or xdata) cycle: the oracle gets the
    file with those fields removed from the entries in a cycle.  Returns (text, entries
    cut)."""
    common, entries = _blocks(text)
    cut = 0
    for pattern in _LINK_FIELD.values():
        links: dict[str, list[str]] = {}
        for entry in entries:
            key, ref = _ENTRY_KEY.match(entry), pattern.search(entry)
            if key and ref:
                links[key.group(1).lower()] = [
                    k.lower() for k in re.split(r"[\s,]+", ref.group(1) or ref.group(2) or "") if k
                ]
        cyclic = _on_a_cycle(links)
        for i, entry in enumerate(entries):
            key = _ENTRY_KEY.match(entry)
            if key and key.group(1).lower() in cyclic:
                entries[i] = pattern.sub("", entry, count=1)
                cut += 1
    return common + "".join(entries), cut


def pandoc_reading(text: str, tmp: Path) -> tuple[list | None, dict | None, int, str]:
    """pandoc's CSL-JSON and AST of the file (``-f biblatex``), the number of entries it
    could not read (left out, each found by bisection, so that one entry pandoc's parser
    rejects does not lose the file), and why there is nothing when there is nothing."""

    def run(body: str) -> tuple[list | None, dict | None, str]:
        src = tmp / "oracle.bib"
        src.write_text(body, encoding="utf-8")
        csl = pandoc("-f", "biblatex", "-t", "csljson", str(src), timeout=60)
        if csl.returncode != 0:
            return None, None, (csl.stderr.strip().splitlines() or ["failed"])[0]
        ast = pandoc("-f", "biblatex", "-t", "json", str(src), timeout=60)
        if ast.returncode != 0:
            return None, None, (ast.stderr.strip().splitlines() or ["failed"])[0]
        return json.loads(csl.stdout), json.loads(ast.stdout), ""

    text, _cut = _cut_cycles(text)
    items, ast, why = run(text)
    if items is not None:
        return items, ast, 0, ""
    if why.startswith("no answer"):
        return None, None, 0, why
    common, entries = _blocks(text)
    if not entries:
        return None, None, 0, why

    def reads(chunk: list[str]) -> bool:
        src = tmp / "probe.bib"
        src.write_text(common + "".join(chunk), encoding="utf-8")
        return pandoc("-f", "biblatex", "-t", "csljson", str(src), timeout=60).returncode == 0

    def bad(chunk: list[str]) -> list[str]:
        if reads(chunk):
            return []
        if len(chunk) == 1:
            return chunk
        half = len(chunk) // 2
        return bad(chunk[:half]) + bad(chunk[half:])

    rejected = [e for i in range(0, len(entries), 64) for e in bad(entries[i : i + 64])]
    kept = [e for e in entries if e not in rejected]
    items, ast, why2 = run(common + "".join(kept))
    if items is None:
        return None, None, 0, why
    return items, ast, len(rejected), ""


def check_fields(row: Row, path: Path, tmp: Path, encoding: str | None) -> None:
    text = utf8_text(path.read_bytes(), encoding)
    if text is None:
        row.notes.append("fields: pandoc reads UTF-8 only and the file's encoding is unknown")
        return
    their_items, their_ast, rejected, why = pandoc_reading(text, tmp)
    if their_items is None:
        row.notes.append(f"fields: pandoc cannot read it ({why[:120]})")
        return
    if rejected:
        row.notes.append(f"fields: {rejected} entries pandoc's parser rejects are not compared")
    ours = refbook("--bib", str(path), "export", "--format", "csl-json")
    if ours.returncode != 0:
        row.notes.append(f"fields: {last_line(ours)}")
        return
    agree, compared, differences, deliberate = compare_with_pandoc(
        their_items, their_ast, json.loads(ours.stdout), tmp, text
    )
    row.agree += agree
    row.compared += compared
    row.differences += differences
    for reason, n in deliberate.items():
        row.deliberate[reason] = row.deliberate.get(reason, 0) + n


def compare_with_pandoc(
    their_items: list, their_ast: dict, our_items: list, tmp: Path, source: str = ""
) -> tuple[int, int, list[str], dict[str, int]]:
    """(fields equal, fields compared, differences, deliberate differences by reason) of
    refbook's CSL-JSON items against pandoc's reading of the same file (``pandoc_reading``);
    ``source`` (the file's text) lets a difference be put down to a documented choice."""
    (tmp / "ours.json").write_text(json.dumps(our_items, ensure_ascii=False), encoding="utf-8")
    our_ast = pandoc("-f", "csljson", "-t", "json", str(tmp / "ours.json"))
    rich = ("title", "container-title")
    a = comparable(their_items, rendered_fields(their_ast, rich))
    b = comparable(
        our_items,
        rendered_fields(json.loads(our_ast.stdout), rich) if our_ast.returncode == 0 else {},
    )
    entries = source_entries(source)
    aliases = {
        a.lower() for e in entries.values() for a in re.split(r"[\s,]+", field_of(e, "ids")) if a
    } - set(entries)
    parents = {k: field_of(e, "crossref").lower() for k, e in entries.items()}
    agree, compared, differences, deliberate = 0, 0, [], {}
    for ident, expected in a.items():
        got = b.get(ident)
        if got is None:
            compared += 1
            differences.append(f"{ident}: missing from refbook's CSL-JSON")
            continue
        for name in COMPARED:
            if expected[name] is None and got[name] is None:
                continue
            compared += 1
            if expected[name] == got[name]:
                agree += 1
                continue
            entry = entries.get(ident.lower(), "")
            chain, key = [], ident.lower()
            while key in parents and parents[key] and key not in chain and len(chain) < 8:
                chain.append(key)
                key = parents[key]
            by_alias = key in aliases
            ancestors = "".join(entries.get(k, "") for k in [*chain[1:], key] if k != ident.lower())
            reason = deliberate_reason(name, expected[name], got[name], entry, by_alias, ancestors)
            if reason:
                deliberate[reason] = deliberate.get(reason, 0) + 1
            differences.append(
                f"{ident} {name}: pandoc {expected[name]!r} | "
                f"refbook {got[name]!r}" + (f"  [{reason}]" if reason else "")
            )
    return agree, compared, differences, deliberate


def source_entries(text: str) -> dict[str, str]:
    """The file's entries by key (lower case), as written; a second entry with a key is
    ``key-2`` (as refbook's CSL ids)."""
    out: dict[str, str] = {}
    for entry in _blocks(text)[1] if text else []:
        key = _ENTRY_KEY.match(entry)
        if key:
            ident, n = key.group(1).lower(), 1
            while ident in out:
                n += 1
                ident = f"{key.group(1).lower()}-{n}"
            out[ident] = entry
    return out


def field_of(entry: str, name: str) -> str:
    return raw_field_of(entry, name).strip('{}"')


def raw_field_of(entry: str, name: str) -> str:
    """A field's value as written, with its delimiters."""
    m = re.search(
        rf"(?i)(?:^|[,\s]){name}\s*=\s*(\{{(?:[^{{}}]|\{{[^{{}}]*\}})*\}}|\"[^\"]*\"|\w+)", entry
    )
    return m.group(1) if m else ""


_RESOLVER = re.compile(r"^\s*(?:https?://(?:dx\.)?doi\.org/|doi:\s*)", re.I)
_ENTRY_TYPE = re.compile(r"^\s*@\s*(\w+)")


def deliberate_reason(
    name: str,
    pandoc_value: str | None,
    refbook_value: str | None,
    entry: str,
    by_alias: bool = False,
    ancestors: str = "",
) -> str | None:
    """The documented reason (docs/export.md, "Differences from pandoc's BibLaTeX reader")
    why refbook's value differs from pandoc's, or None when there is none.  ``by_alias``:
    the entry's crossref chain names a parent by one of its ``ids``; ``ancestors``: the
    text of the entries it inherits from (crossref), whose fields it may show."""
    m = _ENTRY_TYPE.match(entry)
    etype = m.group(1).lower() if m else ""
    if by_alias:
        return "crossref-by-alias"
    if name == "DOI" and pandoc_value and refbook_value == _RESOLVER.sub("", pandoc_value):
        return "doi-resolver"
    if (
        name == "issue"
        and pandoc_value is None
        and field_of(entry, "issue")
        and not field_of(entry, "number")
    ):
        return "issue-without-number"
    if (
        name in ("author", "editor")
        and pandoc_value
        and refbook_value
        and re.sub(r"\bet al\.?", "others", pandoc_value) == refbook_value
    ):
        return "et-al-as-others"
    if name == "container-title" and pandoc_value is None and refbook_value:
        if field_of(entry, "organization") and etype in ("online", "www", "electronic", "misc"):
            return "online-organization"
        if field_of(entry, "booktitle"):
            return "booktitle-of-a-misc"
    if name == "year" and pandoc_value in (None, "0") and refbook_value:
        return "date-pandoc-cannot-read"
    sources = {
        "title": "title",
        "container-title": "journal|journaltitle|booktitle",
        "author": "author",
        "editor": "editor",
    }.get(name)
    if (
        sources
        and pandoc_value
        and refbook_value
        and pandoc_value.lower() == refbook_value.lower()
        and any(
            re.search(rf"(?i)(?:^|[,\s])(?:{sources})\s*=(?:[^,]*#)?\s*[A-Za-z]", text)
            for text in (entry, ancestors)
        )
    ):
        return "undefined-macro"
    if name in ("author", "editor") and re.search(r"[()]|\{\\", raw_field_of(entry, name)):
        return "bibtex-name-parts"
    if (
        name in ("author", "editor")
        and pandoc_value
        and refbook_value
        and re.sub(r"\.\s+", ".", pandoc_value) == re.sub(r"\.\s+", ".", refbook_value)
    ):
        return "initials-as-written"
    if (
        name == "title"
        and field_of(entry, "maintitle")
        and field_of(entry, "subtitle")
        and not field_of(entry, "mainsubtitle")
    ):
        return "volume-subtitle"
    if (
        name in ("title", "container-title")
        and pandoc_value
        and refbook_value
        and pandoc_value.lower() == refbook_value.lower()
    ):
        raw = field_of(entry, "title" if name == "title" else "booktitle") or entry
        if re.search(r"\\(?:textsc|sc|scshape)\b", raw):
            return "small-caps"
        if re.search(r"\\(?:emph|textit|textbf|textsl|mkbibemph|mkbibitalic|mkbibbold)\b", raw):
            return "emph-keeps-case"
        if field_of(entry, "language") and not (
            field_of(entry, "langid") or field_of(entry, "hyphenation")
        ):
            return "language-field"
    if (
        name in ("title", "container-title")
        and refbook_value
        and (
            (
                pandoc_value
                and refbook_value.startswith(pandoc_value.rstrip())
                and len(refbook_value) > len(pandoc_value)
            )
            or (pandoc_value is None and re.search(r"[#%]", field_of(entry, name)))
        )
    ):
        return "pandoc-drops-text"
    return None


# -- the table ---------------------------------------------------------------------------------


def manifest() -> dict[str, dict[str, str]]:
    parser = configparser.ConfigParser(interpolation=None, comment_prefixes=("#",))
    parser.read(MANIFEST, encoding="utf-8")
    return {name: dict(parser[name]) for name in parser.sections()}


def run_file(corpus: Path, name: str, encoding: str | None = None) -> Row:
    row = Row(name)
    source_bytes = (corpus / name).read_bytes()
    source = utf8_text(source_bytes, encoding) or source_bytes.decode("latin-1")
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        path = tmp / name
        shutil.copyfile(corpus / name, path)
        readable = check_read(row, path, encoding)
        if readable:
            check_noop(row, path, tmp)
            check_fmt(row, path, tmp)
            check_lint(row, path, tmp)
            check_export(row, path, source)
        else:
            for check in ("noop", "fmt", "lint", "export", "entity"):
                row.checks[check] = None
        check_fields(row, path, tmp, encoding)
    return row


CHECKS = ("read", "noop", "fmt", "lint", "export", "entity")


def mark(value: bool | None) -> str:
    return {True: "ok", False: "FAIL", None: "-"}[value]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="*", help="corpus files (default: all in MANIFEST)")
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help="list every field that differs from pandoc's reading",
    )
    parser.add_argument("--json", action="store_true", help="figures as JSON")
    args = parser.parse_args()
    files = manifest()
    if not args.corpus.is_dir():
        parser.error(f"no corpus at {args.corpus}: give --corpus DIR (files listed in {MANIFEST})")
    names = args.files or list(files)
    version = pandoc("--version").stdout.split("\n")[0]
    if not args.json:
        print(f"refbook at {ROOT}; oracle: {version} (-f biblatex)\n")
        print(
            f"{'file':36} {'entries':>7} "
            + " ".join(f"{c:>6}" for c in CHECKS)
            + f" {'fields equal to pandoc':>24}"
        )
    rows = []
    for name in names:
        row = run_file(args.corpus, name, files.get(name, {}).get("encoding"))
        rows.append(row)
        if not args.json:
            pct = (
                f"{row.agree}/{row.compared} {100 * row.agree / row.compared:6.2f}%"
                if row.compared
                else "-"
            )
            print(
                f"{name[:36]:36} {row.entries:7d} "
                + " ".join(f"{mark(row.checks.get(c)):>6}" for c in CHECKS)
                + f" {pct:>24}",
                flush=True,
            )
            for note in row.notes:
                print(f"{'':8}{note}")
            if args.verbose:
                for diff in row.differences:
                    print(f"{'':8}differs: {diff}")
    agree = sum(r.agree for r in rows)
    compared = sum(r.compared for r in rows)
    reasons: dict[str, int] = {}
    for r in rows:
        for reason, n in r.deliberate.items():
            reasons[reason] = reasons.get(reason, 0) + n
    explained = sum(reasons.values())
    totals = {
        c: (
            sum(1 for r in rows if r.checks.get(c)),
            sum(1 for r in rows if r.checks.get(c) is not None),
        )
        for c in CHECKS
    }
    if args.json:
        print(
            json.dumps(
                {
                    "files": [r.__dict__ for r in rows],
                    "totals": totals,
                    "fields": {"agree": agree, "compared": compared, "deliberate": reasons},
                },
                indent=2,
            )
        )
        return 0
    print(f"\n{len(rows)} files, {sum(r.entries for r in rows)} entries")
    for c in CHECKS:
        ok, n = totals[c]
        print(f"  {c:7} {ok:3d}/{n:<3d} files pass" + ("  (target: all)" if n else ""))
    if compared:
        pct = 100 * agree / compared
        print(
            f"  fields  {agree}/{compared} equal to pandoc's reading: {pct:.2f} % "
            f"(target 99.8 %: {'met' if pct >= 99.8 else 'MISSED'})"
        )
        rest = compared - agree - explained
        print(
            f"          {explained} differ by a documented choice (docs/export.md), "
            f"{rest} unexplained; equal or documented: "
            f"{100 * (agree + explained) / compared:.2f} %"
        )
        for reason, n in sorted(reasons.items(), key=lambda kv: -kv[1]):
            print(f"            {n:5d}  {reason}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
