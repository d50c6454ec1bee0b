"""Writes that must be refused, and failures that must be clean: a read-only .bib, a save
that fails (disk full, read-only file system, no permission, an immutable file), a rename
across manuscripts that cannot all be done, every -o option, and pandoc's own failures.

OS failures are injected at the boundary (os.write, os.replace, tempfile.mkstemp); where
the machine allows it (root, as CI runs), the same cases run for real too: chattr +i, and
a tiny or read-only tmpfs in a private mount namespace."""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

EDITS = [
    ("tag", "zahid2023dealing", "+border"),
    ("set", "zahid2023dealing", "note=x"),
    ("annotate", "zahid2023dealing", "Something new."),
    ("unset", "zahid2023dealing", "keywords"),
    ("rm", "--yes", "zahid2023dealing"),
    ("merge", "anwar2023pakistan", "mir2023pakistan", "--prefer", "keep"),
    ("rename", "zahid2023dealing", "zahid2023"),
    ("edit", "zahid2023dealing"),
    ("fmt", "-i"),
    ("lint", "--fix"),
    ("add", "-"),
]
NEW_ENTRY = "@misc{new2024, title = {New}, year = {2024}}\n"
IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


def leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.endswith(".tmp"))


def _run_edit(cli, tmp_bib, args, *extra):
    env = {
        "EDITOR": f"{sys.executable} -c \"import sys; p=sys.argv[1]; open(p,'a').write(' ')\""
    }  # `edit` changes the entry a little
    if args[0] == "fmt" or args[0] == "lint":
        return cli(*args, *extra, str(tmp_bib), env=env)
    return cli(
        *args, *extra, "--bib", str(tmp_bib), env=env, input=NEW_ENTRY if args[0] == "add" else None
    )


# -- read-only files ----------------------------------------------------------------------------


@pytest.mark.parametrize("args", EDITS, ids=lambda a: a[0])
def test_a_read_only_bib_is_refused_by_every_editing_command(cli, tmp_bib, args):
    os.chmod(tmp_bib, 0o444)  # as root too: the mode bits are respected, as editors do
    before = tmp_bib.read_bytes()
    out = _run_edit(cli, tmp_bib, args)
    assert out.exit_code == 5, out.stderr
    assert "read-only" in out.stderr and str(tmp_bib) in out.stderr and "--force" in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1 and "Traceback" not in out.stderr
    assert tmp_bib.read_bytes() == before


@pytest.mark.parametrize("args", EDITS, ids=lambda a: a[0])
def test_force_writes_a_read_only_bib_and_keeps_its_mode(cli, tmp_bib, args):
    if args[0] in ("fmt", "lint"):  # something for them to change
        with open(tmp_bib, "a") as fh:
            fh.write(
                "\n@misc{messy2024,TITLE={Messy},year=2024,doi={https://doi.org/10.1000/xy}}\n"
            )
    os.chmod(tmp_bib, 0o444)
    before = tmp_bib.read_bytes()
    out = _run_edit(cli, tmp_bib, args, "--force")
    assert out.exit_code == 0, out.stderr
    assert tmp_bib.read_bytes() != before
    assert oct(tmp_bib.stat().st_mode & 0o777) == oct(0o444)


def test_dry_run_of_a_read_only_bib_is_fine(cli, tmp_bib):
    os.chmod(tmp_bib, 0o444)
    out = cli("rm", "--yes", "--dry-run", "zahid2023dealing", "--bib", str(tmp_bib))
    assert out.exit_code == 0 and out.stdout.startswith(f"--- {tmp_bib}\n")


def test_the_python_api_refuses_a_read_only_file_unless_forced(tmp_bib):
    import refbook
    from refbook.errors import WriteError

    lib = refbook.load(tmp_bib)
    lib["zahid2023dealing"]["note"] = "x"
    os.chmod(tmp_bib, 0o444)
    with pytest.raises(WriteError, match="read-only"):
        lib.save()
    assert lib.save(force=True)


# -- saves that fail ---------------------------------------------------------------------------


def _enospc_on_tmp_files(monkeypatch, after: int = 0):
    """os.write fails with ENOSPC on refbook's temporary files, after ``after`` bytes."""
    real = os.write
    written = {"n": 0}

    def write(fd, data):
        if os.readlink(f"/proc/self/fd/{fd}").endswith(".tmp"):
            room = after - written["n"]
            if room <= 0:
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
            n = real(fd, bytes(data)[:room])
            written["n"] += n
            return n
        return real(fd, data)

    monkeypatch.setattr(os, "write", write)


def _fail(exc_errno: int):
    def fail(*_args, **_kwargs):
        raise OSError(exc_errno, os.strerror(exc_errno))

    return fail


FAILURES = {
    "disk-full": (lambda mp: _enospc_on_tmp_files(mp), "No space left on device"),
    "disk-full-midway": (
        lambda mp: _enospc_on_tmp_files(mp, after=4096),
        "No space left on device",
    ),
    "read-only-fs": (
        lambda mp: mp.setattr(tempfile, "mkstemp", _fail(errno.EROFS)),
        "Read-only file system",
    ),
    "directory-permission": (
        lambda mp: mp.setattr(tempfile, "mkstemp", _fail(errno.EACCES)),
        "Permission denied",
    ),
    "immutable": (
        lambda mp: mp.setattr(os, "replace", _fail(errno.EPERM)),
        "Operation not permitted",
    ),
    "fsync-io-error": (lambda mp: mp.setattr(os, "fsync", _fail(errno.EIO)), "Input/output error"),
}


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc")
@pytest.mark.parametrize("failure", FAILURES)
@pytest.mark.parametrize("args", [EDITS[0], EDITS[4], EDITS[10]], ids=lambda a: a[0])
def test_a_failed_save_is_one_line_exit_5_and_the_file_intact(
    cli, tmp_bib, monkeypatch, failure, args
):
    inject, reason = FAILURES[failure]
    before = tmp_bib.read_bytes()
    with monkeypatch.context() as mp:
        inject(mp)
        out = _run_edit(cli, tmp_bib, args)
    assert out.exit_code == 5, out.stderr
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in out.stderr
    assert str(tmp_bib) in lines[0] and reason in lines[0]
    assert tmp_bib.read_bytes() == before
    assert leftovers(tmp_bib.parent) == []


@pytest.mark.skipif(not IS_ROOT or not shutil.which("chattr"), reason="needs root and chattr")
def test_an_immutable_bib_for_real(cli, tmp_bib):
    before = tmp_bib.read_bytes()
    if subprocess.run(["chattr", "+i", str(tmp_bib)], capture_output=True).returncode:
        pytest.skip("the file system has no immutable attribute")
    try:
        out = cli("tag", "zahid2023dealing", "+x", "--bib", str(tmp_bib))
        assert out.exit_code == 5 and "read-only" in out.stderr
        out = cli("tag", "zahid2023dealing", "+x", "--force", "--bib", str(tmp_bib))
        assert out.exit_code == 5 and "Operation not permitted" in out.stderr
        assert "immutable" in out.stderr and len(out.stderr.strip().splitlines()) == 1
    finally:
        subprocess.run(["chattr", "-i", str(tmp_bib)])
    assert tmp_bib.read_bytes() == before
    assert leftovers(tmp_bib.parent) == []


def _in_tmpfs(tmp_path: Path, script: str) -> subprocess.CompletedProcess:
    """Run a shell script with $D a fresh 64 KiB tmpfs, in a private mount namespace."""
    if not IS_ROOT or not shutil.which("unshare"):
        pytest.skip("needs root and unshare")
    d = tmp_path / "mnt"
    d.mkdir()
    env = {**os.environ, "D": str(d), "PY": sys.executable}
    proc = subprocess.run(
        ["unshare", "-m", "sh", "-ec", f'mount -t tmpfs -o size=64k tmpfs "$D"\n{script}'],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    if "mount:" in proc.stderr or "unshare:" in proc.stderr:
        pytest.skip(f"cannot mount a tmpfs here: {proc.stderr.strip()}")
    return proc


def test_disk_full_for_real(tmp_path):
    src = Path(__file__).resolve().parent.parent / "references.bib"
    proc = _in_tmpfs(
        tmp_path,
        f"""
cp {src} "$D/refs.bib"
cp "$D/refs.bib" "$D/before"
head -c $((64*1024)) /dev/zero > "$D/fill" 2>/dev/null || true
set +e
"$PY" -m refbook annotate zahid2023dealing "$(head -c 30000 /dev/zero | tr '\\0' x)" --bib "$D/refs.bib"
echo "exit=$?"
cmp "$D/refs.bib" "$D/before" && echo same
ls -a "$D" | grep '\\.tmp$' || echo no-temp
""",
    )
    assert "exit=5" in proc.stdout, proc.stderr
    assert "No space left on device" in proc.stderr and "Traceback" not in proc.stderr
    assert "same" in proc.stdout and "no-temp" in proc.stdout


def test_read_only_file_system_for_real(tmp_path):
    src = Path(__file__).resolve().parent.parent / "references.bib"
    proc = _in_tmpfs(
        tmp_path,
        f"""
cp {src} "$D/refs.bib"
mount -o remount,ro "$D"
set +e
"$PY" -m refbook tag zahid2023dealing +x --bib "$D/refs.bib"
echo "exit=$?"
"$PY" -m refbook tag zahid2023dealing +x --force --bib "$D/refs.bib"
echo "exit=$?"
cmp "$D/refs.bib" {src} && echo same
""",
    )
    assert proc.stdout.count("exit=5") == 2, proc.stderr
    assert "read-only file system" in proc.stderr.lower() and "Traceback" not in proc.stderr
    assert "same" in proc.stdout


# -- rename across manuscripts: all or nothing -------------------------------------------------


def test_rename_checks_every_manuscript_before_writing_anything(cli, tmp_bib, tmp_path):
    a = tmp_path / "a.md"
    a.write_text("As [@zahid2023dealing] shows.\n")
    b = tmp_path / "b.bin"
    b.write_bytes(b"\x89PNG\r\n\x1a\n\xff\xfe @zahid2023dealing")
    before = tmp_bib.read_bytes(), a.read_bytes()
    out = cli(
        "rename",
        "zahid2023dealing",
        "zahid2023",
        "--in",
        str(a),
        "--in",
        str(b),
        "--bib",
        str(tmp_bib),
    )
    assert out.exit_code == 3, out.stderr
    assert str(b) in out.stderr and "Traceback" not in out.stderr
    assert (tmp_bib.read_bytes(), a.read_bytes()) == before


def test_rename_refuses_a_read_only_manuscript_before_writing(cli, tmp_bib, tmp_path):
    a = tmp_path / "a.md"
    a.write_text("As [@zahid2023dealing] shows.\n")
    os.chmod(a, 0o444)
    before = tmp_bib.read_bytes()
    out = cli("rename", "zahid2023dealing", "zahid2023", "--in", str(a), "--bib", str(tmp_bib))
    assert out.exit_code == 5 and "read-only" in out.stderr
    assert tmp_bib.read_bytes() == before


def test_rename_leaves_the_manuscripts_alone_when_the_bib_cannot_be_saved(
    cli, tmp_bib, tmp_path, monkeypatch
):
    a = tmp_path / "a.md"
    a.write_text("As [@zahid2023dealing] shows.\n")
    before = tmp_bib.read_bytes(), a.read_bytes()
    real = os.replace

    def replace(src, dst):
        if Path(dst).name == tmp_bib.name:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real(src, dst)

    monkeypatch.setattr(os, "replace", replace)
    out = cli("rename", "zahid2023dealing", "zahid2023", "--in", str(a), "--bib", str(tmp_bib))
    assert out.exit_code == 5, out.stderr
    assert (tmp_bib.read_bytes(), a.read_bytes()) == before
    assert leftovers(tmp_path) == []


# -- -o options --------------------------------------------------------------------------------

OUTPUT_COMMANDS = [
    ("export", "--format", "ris"),
    ("export",),
    ("render", "ESSAY"),
    ("render", "ESSAY", "--to", "docx"),
]


@pytest.mark.parametrize("command", OUTPUT_COMMANDS)
def test_o_creates_missing_folders_like_pandoc(cli, tmp_path, command):
    essay = tmp_path / "essay.md"
    essay.write_text("As [@zahid2023dealing] shows.\n")
    out_file = tmp_path / "missing" / "dir" / ("out.docx" if "docx" in command else "out.txt")
    args = [str(essay) if a == "ESSAY" else a for a in command]
    out = cli(*args, "-o", str(out_file), cwd=Path(__file__).resolve().parent.parent)
    assert out.exit_code == 0, out.stderr
    assert out_file.stat().st_size > 0
    assert leftovers(out_file.parent) == []


@pytest.mark.parametrize("command", OUTPUT_COMMANDS)
def test_o_an_existing_directory_is_one_line_exit_5(cli, tmp_path, command):
    essay = tmp_path / "essay.md"
    essay.write_text("As [@zahid2023dealing] shows.\n")
    target = tmp_path / "somedir"
    target.mkdir()
    args = [str(essay) if a == "ESSAY" else a for a in command]
    out = cli(*args, "-o", str(target), cwd=Path(__file__).resolve().parent.parent)
    assert out.exit_code == 5, out.stderr
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and "is a directory" in lines[0] and str(target) in lines[0]
    assert "ioException" not in out.stderr and "Traceback" not in out.stderr
    assert list(target.iterdir()) == []


def test_o_that_cannot_be_written_is_exit_5(cli, tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "mkstemp", _fail(errno.ENOSPC))
    out = cli(
        "export",
        "--format",
        "ris",
        "-o",
        str(tmp_path / "out.ris"),
        cwd=Path(__file__).resolve().parent.parent,
    )
    assert out.exit_code == 5 and "No space left on device" in out.stderr
    assert not (tmp_path / "out.ris").exists()


# -- pandoc's failures -------------------------------------------------------------------------


def test_pandoc_io_failures_are_one_refbook_line(tmp_path):
    from refbook.errors import WriteError
    from refbook.export import run_pandoc

    with pytest.raises(WriteError) as info:
        run_pandoc(["-f", "markdown", "-t", "docx", "-o", str(tmp_path)], "hi")
    message = str(info.value)
    assert "\n" not in message and "is a directory" in message and str(tmp_path) in message
    assert "ioException" not in message and "HasCallStack" not in message
    assert "withBinaryFile" not in message


def test_a_broken_front_matter_is_an_input_error_naming_the_essay(cli, tmp_path):
    essay = tmp_path / "essay.md"
    essay.write_text("---\ntitle: [unclosed\n---\nAs [@zahid2023dealing] shows.\n")
    out = cli("render", str(essay), cwd=Path(__file__).resolve().parent.parent)
    assert out.exit_code == 3, out.stderr
    assert out.stderr.startswith(f"refbook: {essay}: error: pandoc cannot read the document")
    assert len(out.stderr.strip().splitlines()) == 1


def test_a_lock_that_cannot_be_taken_is_exit_5_not_a_traceback(cli, tmp_bib, tmp_path):
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    before = tmp_bib.read_bytes()
    out = cli(
        "tag",
        "zahid2023dealing",
        "+x",
        "--bib",
        str(tmp_bib),
        env={"REFBOOK_CACHE_DIR": str(blocker / "cache")},
    )
    assert out.exit_code == 5 and "lock" in out.stderr and "Traceback" not in out.stderr
    assert tmp_bib.read_bytes() == before
