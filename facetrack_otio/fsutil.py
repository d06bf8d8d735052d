"""File-system helpers: files written whole (a temporary name, then a rename), inputs checked
before anything opens them, names that fit, and a failed write told in one line."""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import signal
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

from facetrack_otio.errors import InputError
from facetrack_otio.text import shown, unicode_text


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
