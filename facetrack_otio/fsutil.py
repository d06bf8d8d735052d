"""File-system helpers: nothing half-written is ever left behind; files known by content."""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import json
import os
import re
import shutil
import signal
import stat
import tempfile
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from facetrack_otio.errors import InputError
from facetrack_otio.text import shown, unicode_text

LOCK_NAME = ".facetrack.lock"

# Hashes of files read lately, by what stat says of them: one process asks for the same input's
# hash more than once (batch manifest, analysis cache), and a long video takes seconds to read.
_HASHES: OrderedDict[tuple[str, int, int, int, int], str] = OrderedDict()
_HASHES_KEPT = 16


def content_hash(path: str | os.PathLike[str], chunk: int = 1 << 20) -> str:
    """SHA-256 of a file's bytes (streamed: memory stays at one chunk).

    Remembered for the last few files while their size, modification time and inode stay the
    same, so asking again costs one ``stat``.
    """
    st = os.stat(path)
    key = (os.path.abspath(path), st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)
    if key in _HASHES:
        _HASHES.move_to_end(key)
        return _HASHES[key]
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    digest = h.hexdigest()
    _HASHES[key] = digest
    while len(_HASHES) > _HASHES_KEPT:
        _HASHES.popitem(last=False)
    return digest


# A file changed within this long of being hashed may keep the size and modification time it
# had then (filesystems store times coarsely: FAT to 2 s): its stamp vouches for nothing.
_STAMP_SLACK_NS = 2_000_000_000


@dataclass(frozen=True)
class FileStamp:
    """A file's size and modification time, and when its content was hashed.

    A hash recorded beside a stamp that still vouches for the file is trusted instead of
    reading the whole file again, as git and rsync do: a batch resume or a cached run of a long
    recording then costs a ``stat``, not a read of every byte (about 0.8 s a GB from the page
    cache, far more from disk or a network share).
    """

    size: int
    mtime_ns: int
    hashed_ns: int

    @classmethod
    def of(cls, path: str | os.PathLike[str]) -> FileStamp:
        """The stamp of ``path`` now (taken just before hashing it)."""
        st = os.stat(path)
        return cls(st.st_size, st.st_mtime_ns, time.time_ns())

    def vouches_for(self, path: str | os.PathLike[str]) -> bool:
        """Whether ``path`` still has this size and modification time, set well before the
        hash was taken (a change in the same tick of the clock would not show)."""
        try:
            st = os.stat(path)
        except OSError:
            return False
        return (
            st.st_size == self.size
            and st.st_mtime_ns == self.mtime_ns
            and self.mtime_ns < self.hashed_ns - _STAMP_SLACK_NS
        )

    @classmethod
    def from_dict(cls, d: Any) -> FileStamp | None:
        """The stamp a manifest recorded, or None when it has none (or a damaged one)."""
        try:
            return cls(int(d["size"]), int(d["mtime_ns"]), int(d["hashed_ns"]))
        except (TypeError, KeyError, ValueError):
            return None


def stamped_hash(
    path: str | os.PathLike[str], memo: str | os.PathLike[str] | None = None
) -> tuple[str, FileStamp]:
    """A file's SHA-256 and the stamp it holds for, remembered in ``memo`` across processes.

    Parameters
    ----------
    path : str or os.PathLike
        The file.
    memo : str or os.PathLike, optional
        A folder (the analysis cache's) keeping one small JSON per file path: while the file's
        stamp vouches for it (:meth:`FileStamp.vouches_for`), the hash is taken from there
        and the file is not read. A memo that cannot be read or written is passed over.

    Raises
    ------
    OSError
        The file cannot be read.
    """
    resolved = os.path.abspath(path)
    entry = None
    if memo is not None:
        name = hashlib.sha256(resolved.encode("utf-8", "surrogateescape")).hexdigest()[:32]
        entry = Path(memo) / f"{name}.json"
        try:
            known = json.loads(entry.read_text(encoding="utf-8"))
            stamp = FileStamp.from_dict(known)
            content = known.get("content")
            mine = known.get("path") == resolved and isinstance(content, str)
            if mine and stamp is not None and stamp.vouches_for(resolved):
                return content, stamp
        except (OSError, ValueError, AttributeError):
            pass  # absent or damaged: hash the file
    stamp = FileStamp.of(resolved)
    content = content_hash(resolved)
    if entry is not None:
        with contextlib.suppress(OSError):
            record = {"path": resolved, **asdict(stamp), "content": content}
            atomic_write_text(entry, json.dumps(record))
    return content, stamp


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it to ``path`` when the block succeeds.

    The temporary name keeps the suffix so that tools choosing a format by suffix (ffmpeg,
    OTIO adapters) still work, and is valid UTF-8 whatever ``path`` is, so that tools that
    take only UTF-8 paths (OTIO's writer) can write it. On any error the temporary file is
    removed.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    suffix = unicode_text(f".part{target.suffix}")
    # The dots and tempfile's 8 random characters: the temporary name must fit as the
    # target's does.
    stem = fit_name(unicode_text(target.stem), len(suffix.encode()) + 10)
    with _utf8_folder(target.parent) as folder:
        fd, tmp = tempfile.mkstemp(prefix=f".{stem}.", suffix=suffix, dir=folder)
        os.close(fd)
        tmp_path = Path(tmp)
        # mkstemp makes the file private (0600); give it the mode a plain open() would.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp_path, 0o666 & ~umask)
        try:
            yield tmp_path
            os.replace(tmp_path, target)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                tmp_path.unlink()
            raise


@contextlib.contextmanager
def _utf8_folder(folder: Path) -> Iterator[Path]:
    """``folder``, or where its path is not UTF-8 (bytes of another encoding in a folder's
    name), a link to it from a temporary folder, whose path is."""
    absolute = os.path.abspath(folder)
    try:
        absolute.encode("utf-8")
    except UnicodeEncodeError:
        pass
    else:
        yield folder
        return
    home = tempfile.mkdtemp(prefix="facetrack-link-")
    try:
        link = Path(home) / "folder"
        os.symlink(absolute, link)
        yield link
    finally:
        shutil.rmtree(home, ignore_errors=True)


def atomic_write_text(path: str | os.PathLike[str], text: str, encoding: str = "utf-8") -> Path:
    """Write ``text`` to ``path`` through a temporary file and an atomic rename."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding=encoding)
    return Path(path)


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write ``data`` to ``path`` through a temporary file and an atomic rename."""
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)
    return Path(path)


_KINDS = {
    stat.S_IFIFO: "a named pipe",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
    stat.S_IFSOCK: "a socket",
}


def readable_file(
    path: str | os.PathLike[str],
    what: str = "file",
    error: type[InputError] = InputError,
    allow_empty: bool = False,
) -> Path:
    """``path`` when it is a regular file that can be read, else ``error`` with one line
    that says what it is instead.

    A named pipe or a device would block a reader, or never end; a link that leads nowhere
    or in a circle is told apart from a missing file.

    Parameters
    ----------
    path : str or os.PathLike
        What the user named.
    what : str
        What it should be, for the message (``"video file"``, ``"timeline file"``).
    error : type
        The exception to raise (an ``InputError``).
    allow_empty : bool
        Accept an empty file.

    Returns
    -------
    pathlib.Path
    """
    p = Path(path)
    name = shown(p)
    try:
        st = os.stat(p)
    except FileNotFoundError:
        if os.path.islink(p):
            raise error(
                f"{name}: a symbolic link to {shown(os.readlink(p))}, which does not exist"
            ) from None
        raise error(f"{name}: no such file") from None
    except OSError as exc:
        reasons = {
            errno.ELOOP: "a loop of symbolic links",
            errno.ENOTDIR: "no such file (a part of the path is not a folder)",
            errno.ENAMETOOLONG: "the path is too long",
            errno.EACCES: "permission denied",
        }
        raise error(f"{name}: {reasons.get(exc.errno, f'cannot read ({exc.strerror})')}") from None
    if stat.S_ISDIR(st.st_mode):
        raise error(f"{name}: is a directory, not a {what}")
    if not stat.S_ISREG(st.st_mode):
        kind = _KINDS.get(stat.S_IFMT(st.st_mode), "not a regular file")
        raise error(f"{name}: {kind}, not a {what} (facetrack reads files)")
    if st.st_size == 0 and not allow_empty:
        raise error(f"{name}: file is empty")
    try:
        with open(p, "rb"):
            pass
    except OSError as exc:
        raise error(f"{name}: cannot read ({exc.strerror})") from None
    return p


# Name lengths: most file systems take names of up to 255 bytes.
NAME_MAX = 255


def fit_name(stem: str, reserve: int) -> str:
    """``stem`` shortened, at a character boundary, so that ``reserve`` more bytes still fit
    in a file name (:data:`NAME_MAX` bytes in the file system's encoding).

    A 250-character input name would otherwise give export names (``STEM.speaker-2.edl``)
    and temporary names the file system refuses.
    """
    room = max(1, NAME_MAX - reserve)
    if len(os.fsencode(stem)) <= room:
        return stem
    out, used = [], 0
    for char in stem:
        size = len(os.fsencode(char))
        if used + size > room:
            break
        out.append(char)
        used += size
    return "".join(out).rstrip(" .") or "_"


# What a full, read-only or size-limited disk answers: the outputs cannot be written there,
# which says nothing of facetrack or of the input.
WRITE_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EROFS, errno.ENAMETOOLONG})


# What ffmpeg prints (the system's words) when it cannot write its output.
_TOOL_WRITE_FAILURES = {
    "No space left on device": errno.ENOSPC,
    "Disk quota exceeded": errno.EDQUOT,
    "File too large": errno.EFBIG,
    "Read-only file system": errno.EROFS,
}


def failed_write(message: str, returncode: int, output: str | os.PathLike[str]) -> OSError | None:
    """The ``OSError`` a tool's failure stands for when it could not write ``output``, or
    None: from its error text, or from SIGXFSZ (a limit on file size killed it)."""
    code = errno.EFBIG if returncode == -signal.SIGXFSZ else None
    for words, errnum in _TOOL_WRITE_FAILURES.items():
        if code is None and words in message:
            code = errnum
    return None if code is None else OSError(code, os.strerror(code), os.fspath(output))


def write_failure(exc: OSError, folder: str | os.PathLike[str]) -> InputError | None:
    """The one-line error for an ``OSError`` met while writing into ``folder``, or None when
    it is not one of :data:`WRITE_ERRNOS` (then it is a fault to report as such).

    A file named in the error that lies outside ``folder`` (a temporary file) is named
    instead of the folder.
    """
    if exc.errno not in WRITE_ERRNOS:
        return None
    where = shown(folder)
    if exc.filename:
        named = Path(os.path.abspath(os.fsdecode(exc.filename)))
        temporary = Path(tempfile.gettempdir()).resolve()
        if named.is_relative_to(os.path.abspath(folder)):
            pass
        elif named.resolve().is_relative_to(temporary):
            where = f"{shown(temporary)} (temporary files)"
        else:
            where = shown(named.parent)
    return InputError(f"{where}: cannot write ({exc.strerror or os.strerror(exc.errno)})")


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
