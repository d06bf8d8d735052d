"""Output folders written whole or not at all: a lock that refuses a second writer, and a
hidden staging folder whose files move in only when the run succeeds."""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path, PurePosixPath

from facetrack_otio.errors import InputError
from facetrack_otio.fsutil import atomic_path, write_failure

LOCK_NAME = ".facetrack.lock"

# Hidden names a run leaves only when it is killed outright (SIGKILL, power loss): its
# staging folder and temporary files (tempfile's random part: 8 of [a-z0-9_]).
STAGE_PREFIX = ".facetrack-"
_LEFTOVER = re.compile(r"^(\.facetrack-[a-z0-9_]{8}|\..*\.[a-z0-9_]{8}\.part(\.[^./]*)?)$")


def _clear_leftovers(folder: Path) -> None:
    """Remove what a killed run left in ``folder``; only called with its lock held."""
    with os.scandir(folder) as entries:
        for entry in entries:
            if not _LEFTOVER.match(entry.name):
                continue
            if entry.name.startswith(STAGE_PREFIX) and entry.is_dir(follow_symlinks=False):
                shutil.rmtree(entry.path, ignore_errors=True)
            elif entry.is_file(follow_symlinks=False):
                with contextlib.suppress(OSError):
                    os.unlink(entry.path)


@contextlib.contextmanager
def locked_folder(outdir: str | os.PathLike[str]) -> Iterator[Path]:
    """Create ``outdir`` if needed and hold its lock file for the block.

    A second writer is refused (``InputError``) while a live run holds the lock; a lock left
    by a run that died is taken over, and so are the staging folder and temporary files it
    left. An ``outdir`` this call created and that is still empty at the end is removed.
    """
    folder = Path(outdir)
    created = not folder.exists()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        lock = _Lock.take(folder)
    except OSError as exc:
        if created:
            with contextlib.suppress(OSError):
                folder.rmdir()
        raise InputError(f"{folder}: cannot write output folder ({exc.strerror})") from None
    except BaseException:
        if created:
            with contextlib.suppress(OSError):
                folder.rmdir()
        raise
    try:
        _clear_leftovers(folder)
        yield folder
    finally:
        lock.release()
        if created and not any(folder.iterdir()):
            folder.rmdir()


@contextlib.contextmanager
def staging_folder(
    outdir: str | os.PathLike[str], earlier: Callable[[PurePosixPath], bool] | None = None
) -> Iterator[Path]:
    """A hidden folder inside the locked ``outdir``; its files move in only on success.

    Whatever fails or is interrupted inside the block leaves nothing behind in ``outdir``. A
    full or read-only disk is an ``InputError`` (exit 2) naming the folder.

    Parameters
    ----------
    outdir : str or os.PathLike
        The output folder.
    earlier : callable, optional
        Tells, from its path relative to ``outdir``, whether a file in a sub-folder the run
        writes into (``clips/``, ``thumbs/``) is an output of an earlier run; such files that
        this run does not write again are removed, so that the sub-folder holds this run's
        outputs. Files of other names (the user's own) are always kept.
    """
    with locked_folder(outdir) as folder:
        stage: Path | None = None
        try:
            stage = Path(tempfile.mkdtemp(prefix=STAGE_PREFIX, dir=folder))
            yield stage
            _move_in(stage, folder, earlier)
        except OSError as exc:
            failure = write_failure(exc, folder)
            if failure is None:
                raise
            raise failure from None
        finally:
            if stage is not None:
                shutil.rmtree(stage, ignore_errors=True)


def _move_in(stage: Path, folder: Path, earlier: Callable[[PurePosixPath], bool] | None) -> None:
    """Move the staged files into ``folder``, merging into the sub-folders already there.

    Everything is checked before anything moves: a file where a folder goes (or the other
    way round) is refused with nothing moved.
    """
    moves: list[tuple[Path, Path]] = []
    merged: list[tuple[Path, PurePosixPath, set[str]]] = []

    def plan(src: Path, dest: Path, rel: PurePosixPath) -> None:
        names = set()
        for item in sorted(src.iterdir()):
            target, sub = dest / item.name, rel / item.name
            names.add(item.name)
            if item.is_dir() and not item.is_symlink():
                if target.is_dir():  # a link to a folder is followed: the user put it there
                    plan(item, target, sub)
                elif os.path.lexists(target):
                    raise InputError(f"{target}: a file is in the way of a folder of outputs")
                else:
                    moves.append((item, target))
            elif target.is_dir() and not target.is_symlink():
                raise InputError(f"{target}: a folder is in the way of an output file")
            else:
                moves.append((item, target))
        if rel.parts:
            merged.append((dest, rel, names))

    plan(stage, folder, PurePosixPath())
    for src, dest in moves:
        _place(src, dest)
    if earlier is None:
        return
    for dest, rel, names in merged:
        for entry in os.scandir(dest):
            stale = entry.name not in names and earlier(rel / entry.name)
            if stale and entry.is_file(follow_symlinks=False):
                os.unlink(entry.path)


def _place(src: Path, dest: Path) -> None:
    """Rename ``src`` to ``dest``; across file systems (a sub-folder linked elsewhere), copy
    it beside ``dest`` first and rename that."""
    try:
        os.replace(src, dest)
    except OSError as exc:
        if exc.errno != errno.EXDEV:
            raise
        if src.is_dir():
            tmp = Path(tempfile.mkdtemp(prefix=STAGE_PREFIX, dir=dest.parent))
            tmp.rmdir()
            try:
                shutil.copytree(src, tmp, symlinks=True)
                os.replace(tmp, dest)
            except BaseException:
                shutil.rmtree(tmp, ignore_errors=True)
                raise
        else:
            with atomic_path(dest) as tmp:
                shutil.copy2(src, tmp)


class _Lock:
    """The lock file of an output folder: held with ``flock`` while the run lives.

    The kernel lets the lock go when its process ends, however it ends, so a lock left by a
    run that was killed, or naming a process id that another program has since been given,
    is taken over at once. The file holds the process id, for the message a second run
    gets. Where the file system has no ``flock``, the process id and its start time decide.
    """

    def __init__(self, path: Path, fd: int | None) -> None:
        self.path = path
        self.fd = fd

    @classmethod
    def take(cls, folder: Path) -> _Lock:
        lock = folder / LOCK_NAME
        for _ in range(5):
            fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = _read_pid(lock)
                os.close(fd)
                pid = f" (pid {holder})" if holder else ""
                raise InputError(
                    f"{folder}: another facetrack run{pid} is writing this folder"
                ) from None
            except OSError as exc:  # no flock here (some network file systems)
                os.close(fd)
                if exc.errno not in (errno.ENOLCK, errno.EOPNOTSUPP, errno.ENOSYS):
                    raise
                return cls._take_by_pid(folder, lock)
            try:
                if os.fstat(fd).st_ino != os.stat(lock).st_ino:
                    os.close(fd)  # released and removed by its holder meanwhile: again
                    continue
                os.ftruncate(fd, 0)
                os.write(fd, _lock_text().encode())
            except FileNotFoundError:
                os.close(fd)
                continue
            except BaseException:
                lock.unlink(missing_ok=True)
                os.close(fd)
                raise
            return cls(lock, fd)
        raise InputError(f"{folder}: cannot take the folder's lock ({lock})")

    @classmethod
    def _take_by_pid(cls, folder: Path, lock: Path) -> _Lock:
        for _ in range(2):
            try:
                fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                holder = _read_pid(lock, with_start=True)
                if holder is not None:
                    raise InputError(
                        f"{folder}: another facetrack run (pid {holder}) is writing this folder"
                    ) from None
                lock.unlink(missing_ok=True)  # left by a run that died: take it over
                continue
            try:
                os.write(fd, _lock_text().encode())
            except BaseException:
                lock.unlink(missing_ok=True)
                raise
            finally:
                os.close(fd)
            return cls(lock, None)
        raise InputError(f"{folder}: cannot take the folder's lock ({lock})")

    def release(self) -> None:
        # Removed while still held, so that no one takes a lock file on its way out.
        self.path.unlink(missing_ok=True)
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None


def _lock_text() -> str:
    start = _start_time(os.getpid())
    return f"{os.getpid()} {start}\n" if start else f"{os.getpid()}\n"


def _start_time(pid: int) -> str | None:
    """When process ``pid`` started (clock ticks since boot, from /proc), or None."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rpartition(")")[2].split()  # the name in parentheses may hold spaces
    return fields[19] if len(fields) > 19 else None


def _read_pid(lock: Path, with_start: bool = False) -> int | None:
    """The pid a lock file names; with ``with_start``, only while that process is the very
    facetrack run that wrote it (a live pid given to another program since is no holder)."""
    try:
        words = lock.read_text().split()
        pid = int(words[0])
    except (OSError, ValueError, IndexError):
        return None
    if not with_start:
        return pid
    if pid <= 0 or pid == os.getpid() or not _alive(pid):
        return None
    start = _start_time(pid)
    if start is None:  # no /proc here: a live pid is all there is to go by
        return pid
    if len(words) > 1:
        return pid if words[1] == start else None
    return pid if _is_facetrack(pid) else None


def _is_facetrack(pid: int) -> bool:
    """Whether process ``pid`` runs facetrack (the command or ``python -m facetrack_otio``)."""
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return True
    return any(os.path.basename(a).startswith(b"facetrack") for a in argv[:3])


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
