"""File-system helpers: nothing half-written is ever left behind; files known by content."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import tempfile
import time
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from facetrack_otio.errors import InputError

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
    OTIO adapters) still work. On any error the temporary file is removed.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(
        prefix=f".{target.stem}.", suffix=f".part{target.suffix}", dir=target.parent
    )
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


@contextlib.contextmanager
def locked_folder(outdir: str | os.PathLike[str]) -> Iterator[Path]:
    """Create ``outdir`` if needed and hold its lock file for the block.

    A second writer is refused (``InputError``) while a live process holds the lock; a lock
    left by a process that died is taken over. An ``outdir`` this call created and that is
    still empty at the end is removed again.
    """
    folder = Path(outdir)
    created = not folder.exists()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        lock = _take_lock(folder)
    except OSError as exc:
        raise InputError(f"{folder}: cannot write output folder ({exc.strerror})") from None
    try:
        yield folder
    finally:
        lock.unlink(missing_ok=True)
        if created and not any(folder.iterdir()):
            folder.rmdir()


@contextlib.contextmanager
def staging_folder(outdir: str | os.PathLike[str]) -> Iterator[Path]:
    """A hidden folder inside the locked ``outdir``; its files move in only on success.

    Whatever fails or is interrupted inside the block leaves nothing behind in ``outdir``.
    """
    with locked_folder(outdir) as folder:
        stage = Path(tempfile.mkdtemp(prefix=".facetrack-", dir=folder))
        try:
            yield stage
            for item in sorted(stage.iterdir()):
                dest = folder / item.name
                if dest.is_dir() and not dest.is_symlink():
                    shutil.rmtree(dest)
                os.replace(item, dest)
        finally:
            shutil.rmtree(stage, ignore_errors=True)


def _take_lock(folder: Path) -> Path:
    """Create ``folder``'s lock file holding our pid; refuse while another live run holds it."""
    lock = folder / LOCK_NAME
    for _ in range(2):
        try:
            fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            try:
                pid = int(lock.read_text().strip() or 0)
            except (OSError, ValueError):
                pid = 0
            if pid and pid != os.getpid() and _alive(pid):
                raise InputError(
                    f"{folder}: another facetrack run (pid {pid}) is writing this folder"
                ) from None
            lock.unlink(missing_ok=True)  # left by a run that died: take it over
            continue
        with os.fdopen(fd, "w") as f:
            f.write(str(os.getpid()))
        return lock
    raise InputError(f"{folder}: cannot take the folder's lock ({lock})")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
