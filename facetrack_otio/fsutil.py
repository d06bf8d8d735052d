"""File-system helpers: nothing half-written is ever left behind; files known by content."""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import tempfile
from collections import OrderedDict
from collections.abc import Iterator
from pathlib import Path

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
