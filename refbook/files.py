"""Files on disk: the per-file lock, atomic writes, read-only refusal and ``-o`` outputs.

Writes are atomic (temporary file in the same directory, fsync, rename, file mode kept) and
every OS failure is one ``WriteError`` (exit 5) naming the file and the reason, with the file
as it was.  The lock (``filelock``) lives in the user cache directory, so that no lock file
appears next to the user's .bib.  ``refbook.store`` re-exports these names.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path
from typing import Any

from .errors import WriteError

LOCK_TIMEOUT = 10.0  # seconds to wait for another refbook process to finish saving

_locks: dict[str, Any] = {}


def reason(exc: OSError) -> str:
    """An OS error in a few words: "No space left on device", "Read-only file system"."""
    reason = exc.strerror or str(exc) or type(exc).__name__
    if exc.errno == errno.EPERM:
        reason += ": the file may be immutable (chattr +i)"
    return reason


def refuse_readonly(path: str | os.PathLike) -> None:
    """``WriteError`` (exit 5) when ``path`` is read-only, as editors and git see it: no
    write permission for this user, or -- as root, who may write anything -- no write bit
    in its mode at all (``chmod 444``).  A file that does not exist yet is writable."""
    try:
        st = os.stat(path)
    except OSError:
        return  # missing: created; unreadable: the write reports it
    if not stat.S_ISREG(st.st_mode):
        return
    if st.st_mode & 0o222 and os.access(path, os.W_OK):
        return
    if st.st_mode & 0o222 and _on_readonly_fs(path):
        raise WriteError(f"{path}: error: the file system is read-only; nothing written")
    mode = stat.filemode(st.st_mode)[1:]
    raise WriteError(
        f"{path}: error: the file is read-only ({mode}); nothing written (--force writes it anyway)"
    )


def _on_readonly_fs(path: str | os.PathLike) -> bool:
    try:
        return bool(os.statvfs(path).f_flag & os.ST_RDONLY)
    except (OSError, AttributeError):
        return False


def file_lock(path: str | os.PathLike, timeout: float = LOCK_TIMEOUT) -> _TimeoutAsWriteError:
    """An inter-process lock for one .bib, re-entrant within this process.

    The lock file lives in the user cache directory (keyed by the .bib's real path) so that
    the user's directory never gets a stray ``.lock`` file.
    """
    from filelock import FileLock

    from .paths import cache_dir

    real = os.path.realpath(path)
    lock = _locks.get(real)
    if lock is None:
        lock_dir = cache_dir() / "locks"
        try:
            lock_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise WriteError(
                f"{path}: error: cannot create the lock directory {lock_dir} "
                f"({reason(exc)}); nothing written"
            ) from None
        import hashlib  # here: only writers need it (start-up of read-only commands)

        digest = hashlib.sha256(real.encode()).hexdigest()[:24]
        lock = FileLock(str(lock_dir / f"{digest}.lock"), timeout=timeout)
        _locks[real] = lock
    return _TimeoutAsWriteError(lock, path)


class _TimeoutAsWriteError:
    def __init__(self, lock: Any, path: str | os.PathLike) -> None:
        self.lock = lock
        self.path = path

    def __enter__(self) -> _TimeoutAsWriteError:
        from filelock import Timeout

        try:
            self.lock.acquire()
        except Timeout:
            raise WriteError(
                f"{self.path}: error: another refbook process is writing this file "
                "(lock timeout); nothing written"
            ) from None
        except OSError as exc:
            raise WriteError(
                f"{self.path}: error: cannot take the lock {self.lock.lock_file} "
                f"({reason(exc)}); nothing written"
            ) from None
        return self

    def __exit__(self, *exc: object) -> None:
        self.lock.release()


def atomic_write(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` so that readers see the old file or the new one, never a
    mix: temporary file in the same directory, fsync, rename over, fsync the directory.
    The file's permission bits are kept; a symlink is followed, not replaced.  Any failure
    (disk full, read-only file system, no permission on the directory, an immutable file)
    is a ``WriteError`` naming ``path`` and the reason, with ``path`` unchanged and no
    temporary file left."""
    staged = stage_write(path, data)
    staged.commit()


class StagedWrite:
    """A file written next to its target and not yet renamed over it (``stage_write``):
    ``commit()`` puts it in place, ``discard()`` removes it.  Lets a command that writes
    several files prepare them all before it replaces any."""

    def __init__(self, path: str | os.PathLike, target: Path, tmp: str, mode: int) -> None:
        self.path = path
        self.target = target
        self.tmp = tmp
        self.mode = mode

    def commit(self) -> None:
        try:
            os.chmod(self.tmp, self.mode)
            os.replace(self.tmp, self.target)
        except OSError as exc:
            self.discard()
            raise _write_error(self.path, exc) from None
        _fsync_dir(self.target.parent)

    def discard(self) -> None:
        try:
            os.unlink(self.tmp)
        except OSError:
            pass


def _write_error(path: str | os.PathLike, exc: OSError) -> WriteError:
    return WriteError(f"{path}: error: could not be written ({reason(exc)}); nothing was changed")


def stage_write(path: str | os.PathLike, data: bytes) -> StagedWrite:
    """Write ``data`` to a temporary file beside ``path`` (fsynced); see ``StagedWrite``."""
    target = Path(os.path.realpath(path))
    import tempfile

    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as exc:
        raise _write_error(path, exc) from None
    try:
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        finally:
            os.close(fd)
        try:
            mode = stat.S_IMODE(os.stat(target).st_mode)
        except FileNotFoundError:
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask
    except BaseException as exc:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(exc, OSError):
            raise _write_error(path, exc) from None
        raise
    return StagedWrite(path, target, tmp, mode)


def check_output(path: str | os.PathLike, inputs: tuple[str | os.PathLike, ...] = ()) -> Path:
    """An ``-o FILE`` option's path, checked before any work is done: a directory is a
    ``WriteError`` (exit 5), and so is one of the command's ``inputs`` (the bibliography,
    the essay: ``render essay.md -o references.bib`` must not replace the bibliography).
    Missing parent folders are fine: ``write_output`` creates them, as pandoc does."""
    p = Path(path)
    if p.is_dir():
        raise WriteError(
            f"{path}: error: is a directory; give a file name for -o (nothing written)"
        )
    for source in inputs:
        if source != "-" and p.exists() and Path(source).exists() and os.path.samefile(p, source):
            raise WriteError(
                f"{path}: error: -o names an input of this command ({source}); "
                "give another file name (nothing written)"
            )
    return p


def write_output(path: str | os.PathLike, data: bytes) -> None:
    """Write an output file (``export -o``, ``render -o``): missing parent folders are
    created (as pandoc does), the write is atomic, and any failure is one ``WriteError``
    (exit 5) naming the file and the reason."""
    p = check_output(path)
    try:
        p.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise WriteError(
            f"{path}: error: cannot create the folder {p.parent} ({reason(exc)}); nothing written"
        ) from None
    atomic_write(p, data)


def _fsync_dir(directory: Path) -> None:
    try:
        dir_fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    except OSError:
        pass
    finally:
        os.close(dir_fd)
