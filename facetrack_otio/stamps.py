"""Files known by content: SHA-256 hashes, and stamps (size, modification time) that vouch for
a hash taken earlier, so an unchanged input is not read again."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import time
from collections import OrderedDict
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from facetrack_otio.fsutil import atomic_write_text

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
