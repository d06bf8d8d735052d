"""Decode audio through ffmpeg into a file of mono PCM that the speech stages read by slices.

An hour of 16 kHz audio is 115 MB of samples; held in memory (twice, while it is read from a
pipe) it would dominate a long run's peak. In a temporary file it costs nothing but the slices
being looked at.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from types import TracebackType

import numpy as np

from facetrack_otio.errors import MediaError
from facetrack_otio.fsutil import failed_write
from facetrack_otio.media.probe import MediaInfo, require_tool

_SAMPLE = np.dtype("<i2")


class PcmFile:
    """Mono 16-bit PCM in a file, sliced like a 1-D ``int16`` array (``pcm[a:b]``, ``len``).

    Slices are read from the file on demand. Use it as a context manager, or call
    :meth:`close`, to remove the file it owns.

    Parameters
    ----------
    path : str or os.PathLike, optional
        Raw little-endian ``s16le`` samples; ``None`` for no audio (length 0).
    sample_rate : int
        Samples per second.
    owned : bool
        Delete the file's folder on :meth:`close` (set for files made by :func:`decode_audio`).
    """

    dtype = np.dtype(np.int16)
    ndim = 1

    def __init__(
        self, path: str | os.PathLike[str] | None, sample_rate: int, owned: bool = False
    ) -> None:
        self.path = Path(path) if path is not None else None
        self.sample_rate = sample_rate
        self._owned = owned
        self._fd = os.open(self.path, os.O_RDONLY) if self.path is not None else None
        self._n = os.fstat(self._fd).st_size // _SAMPLE.itemsize if self._fd is not None else 0

    def __len__(self) -> int:
        return self._n

    @property
    def size(self) -> int:
        """Number of samples (as ``ndarray.size``)."""
        return self._n

    @property
    def duration(self) -> float:
        """Length in seconds."""
        return self._n / self.sample_rate

    def __getitem__(self, key: slice) -> np.ndarray:
        if not isinstance(key, slice):
            raise TypeError("PcmFile reads slices only, e.g. pcm[a:b]")
        start, stop, step = key.indices(self._n)
        if step != 1:
            raise ValueError("PcmFile slices take no step")
        if stop <= start or self._fd is None:
            return np.zeros(0, dtype=np.int16)
        data = os.pread(self._fd, (stop - start) * _SAMPLE.itemsize, start * _SAMPLE.itemsize)
        return np.frombuffer(data, dtype=_SAMPLE).astype(np.int16, copy=False)

    def close(self) -> None:
        """Close the file, and remove it when this object made it."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
        if self._owned and self.path is not None:
            shutil.rmtree(self.path.parent, ignore_errors=True)
            self._owned = False

    def __enter__(self) -> PcmFile:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __del__(self) -> None:
        self.close()


Samples = np.ndarray | PcmFile
"""Mono samples the speech stages accept: an array in memory, or a :class:`PcmFile`."""


def decode_audio(info: MediaInfo, sample_rate: int = 16000, stream: int = 0) -> PcmFile:
    """Decode one audio stream of ``info`` as mono 16-bit PCM at ``sample_rate`` into a
    temporary file.

    Parameters
    ----------
    info : MediaInfo
        The probed input.
    sample_rate : int
        Samples per second to resample to.
    stream : int
        Index among the input's audio streams.

    Returns
    -------
    PcmFile
        The samples (length 0 when the file has no audio stream); close it to remove the file.

    Raises
    ------
    MediaError
        The stream does not exist or nothing of it decodes.
    """
    if not info.has_audio:
        return PcmFile(None, sample_rate)
    if stream not in info.audio_streams:
        raise MediaError(
            f"{info.path}: no audio stream {stream} (it has {len(info.audio_streams)})"
        )
    folder = Path(tempfile.mkdtemp(prefix="facetrack-audio-"))
    target = folder / "audio.s16le"
    cmd = [
        require_tool("ffmpeg"),
        "-nostdin",
        "-v",
        "error",
        "-i",
        info.path,
        "-map",
        f"0:a:{stream}",
        "-ac",
        "1",
        "-ar",
        str(sample_rate),
        "-f",
        "s16le",
        "-y",
        str(target),
    ]
    try:
        proc = subprocess.run(cmd, capture_output=True, check=False)
        full = failed_write(proc.stderr.decode(errors="replace"), proc.returncode, target)
        if full is not None:
            raise full  # the audio cut short where the disk filled up: no speech after it
        written = target.stat().st_size if target.exists() else 0
        if proc.returncode != 0 and written == 0:
            err = proc.stderr.decode(errors="replace").strip()
            raise MediaError(f"{info.path}: audio could not be decoded ({err[-200:]})")
        if not target.exists():
            target.touch()
        return PcmFile(target, sample_rate, owned=True)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise


def read_audio(info: MediaInfo, sample_rate: int = 16000, stream: int = 0) -> np.ndarray:
    """Decode one audio stream as mono 16-bit PCM at ``sample_rate``, whole, in memory.

    Returns an empty array when the file has no audio stream. Long inputs are better read
    through :func:`decode_audio`.
    """
    with decode_audio(info, sample_rate, stream) as pcm:
        return pcm[:].copy()
