"""Decode video frames through an ffmpeg pipe (argument lists only, never a shell)."""

from __future__ import annotations

import collections
import contextlib
import logging
import math
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from typing import IO

import numpy as np

from facetrack_otio.errors import MediaError
from facetrack_otio.machine import cores
from facetrack_otio.media.probe import MediaInfo, require_tool

log = logging.getLogger(__name__)

# Video that decodes this much shorter than the file announces (seconds, at least) is
# reported: a truncated or damaged file. Below it, audio that outlasts the picture a little.
SHORT_VIDEO_S = 1.0

# Cores this process's analysis and its decoder share (0: all the machine's). A worker that
# shares the machine with other workers is given its share (set_decoder_cores).
_cores = 0


def set_decoder_cores(n: int) -> None:
    """Cores this process's analysis and its decoder may use (0: all of this machine's).

    Parameters
    ----------
    n : int
        A batch worker sharing ``C`` cores with ``N - 1`` others has ``C // N``; a Ray actor
        without a GPU, the one CPU it holds.
    """
    global _cores
    _cores = max(0, int(n))


def decoder_threads() -> int:
    """Threads of the analysis decoder: every core but the analysis's one, at least one.

    The analysis (one thread) and the decoder run side by side; on 2 cores, one decoder thread
    decoded cuts (720p30) for 2.86 s of CPU and the face stage took 3.11 s, where frame
    threads cost 3.34 s of CPU and 3.57 s (docs/performance.md).
    """
    return max(1, (_cores or cores()) - 1)


_FFMPEG_PREFIX = re.compile(r"^\[[^\]]* @ 0x[0-9a-f]+\]\s*")


def analysis_size(info: MediaInfo, max_side: int) -> tuple[int, int]:
    """Size (width, height) to analyse at: the source scaled so its longer side is at most
    ``max_side``, aspect kept, both even."""
    scale = min(1.0, max_side / max(info.width, info.height))
    w = max(2, round(info.width * scale / 2) * 2)
    h = max(2, round(info.height * scale / 2) * 2)
    return w, h


def analysis_rate(info: MediaInfo, max_fps: float) -> Fraction:
    """Analysis frame rate: the source rate divided by the smallest whole step that brings it
    to at most ``max_fps`` (so analysis frames fall on source frames), but never so low that
    the video gives fewer than two analysis frames (ffmpeg's rate filter gives none at all
    when its interval is much longer than the video)."""
    if not max_fps > 0:
        raise ValueError(f"max_fps must be above 0, got {max_fps}")
    # Computed, not counted up to: a very low cap would take as many steps as it divides by.
    step = max(1, math.ceil(float(info.fps) / (max_fps + 1e-9)))
    while info.fps / step > max_fps + 1e-9:
        step += 1
    while step > 1 and info.fps / (step - 1) <= max_fps + 1e-9:
        step -= 1
    if info.n_frames > 1:
        step = min(step, max(1, info.n_frames // 2))
    return info.fps / step


@dataclass(frozen=True)
class Frame:
    """One analysis frame: index among analysis frames, time in seconds, RGB pixels.

    RGB straight from ffmpeg: MTCNN wants RGB, and the trackers do not care about channel
    order, so no colour conversion is needed per frame.
    """

    index: int
    t: float
    image: np.ndarray


def iter_frames(
    info: MediaInfo,
    size: tuple[int, int],
    fps: Fraction,
    *,
    scale_flags: str = "fast_bilinear",
    start: float = 0.0,
    deblock: bool = True,
) -> Iterator[Frame]:
    """Yield frames of ``info`` at ``size`` and constant rate ``fps`` (RGB, uint8).

    Frame ``k`` shows the source at time ``start + k / fps``. Variable-rate sources are
    resampled to the constant rate by ffmpeg's ``fps`` filter. Memory stays at one frame.

    Parameters
    ----------
    deblock : bool
        Run the codec's in-loop deblocking filter (H.264, HEVC). False skips it: 8-22% less
        decoder CPU on the samples, for frames 42-62 dB PSNR from the exact ones once scaled
        to 640x360 (blocking is finer than the analysis size resolves).
    """
    w, h = size
    cmd = [require_tool("ffmpeg"), "-nostdin", "-v", "error"]
    cmd += ["-threads", str(decoder_threads())]
    if not deblock:
        cmd += ["-skip_loop_filter", "all"]
    if start > 0:
        cmd += ["-ss", f"{start:.6f}"]
    cmd += [
        "-i",
        info.path,
        "-map",
        "0:v:0",
        "-vf",
        # Resized in YUV first, then converted to RGB at the small size: swscale's plain
        # YUV->RGB conversion is SIMD, resizing straight into rgb24 is not (11% less decoder
        # CPU time on two_shot, which runs beside the models on the other core).
        f"fps={fps.numerator}/{fps.denominator},scale={w}:{h}:flags={scale_flags}"
        + ",format=yuv420p",
        "-f",
        "rawvideo",
        "-pix_fmt",
        "rgb24",
        "pipe:1",
    ]
    frame_bytes = w * h * 3
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, bufsize=frame_bytes
    )
    assert proc.stdout is not None and proc.stderr is not None
    _widen_pipe(proc.stdout.fileno(), frame_bytes)
    # A damaged file can make ffmpeg write an error per frame: stderr is drained on the side
    # (keeping the last lines) so that a full pipe never stalls the decoder.
    errors: collections.deque[str] = collections.deque(maxlen=20)
    drain = threading.Thread(target=_drain, args=(proc.stderr, errors), daemon=True)
    drain.start()
    k = 0
    try:
        while True:
            buf = proc.stdout.read(frame_bytes)
            if len(buf) < frame_bytes:
                break
            image = np.frombuffer(buf, dtype=np.uint8).reshape(h, w, 3)
            yield Frame(k, start + k / float(fps), image)
            k += 1
    finally:
        proc.stdout.close()
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        drain.join(timeout=5)
        proc.stderr.close()
    err = errors[-1] if errors else ""
    if k == 0:
        raise MediaError(f"{info.path}: no video frames could be decoded ({err[-200:] or 'empty'})")
    decoded = k / float(fps)
    expected = info.duration - start
    if expected - decoded > max(SHORT_VIDEO_S, 2 / float(fps)):
        # What decodes is analysed; the pipeline warns the user (also on cached runs). The
        # decoder's own reason is detail for -v.
        log.debug(
            "%s: the video decodes to %.2f s of the %.2f s the file announces "
            "(truncated or damaged%s)",
            info.path,
            start + decoded,
            info.duration,
            f": {err[-120:]}" if err else "",
        )


def _widen_pipe(fd: int, size: int) -> None:
    """Let the pipe hold a whole frame where the system allows (Linux: up to
    ``/proc/sys/fs/pipe-max-size``, 1 MiB by default; pipes start at 64 KiB).

    With 64 KiB, ffmpeg stops every 64 KiB until Python reads, and each of those reads waits
    for the GIL: the decoder then runs in step with the analysis rather than beside it.
    """
    if not sys.platform.startswith("linux"):
        return
    import fcntl

    try:
        with open("/proc/sys/fs/pipe-max-size", encoding="ascii") as f:
            limit = int(f.read())
    except (OSError, ValueError):
        limit = 1 << 20
    with contextlib.suppress(OSError):  # a smaller pipe still works, only slower
        fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, min(size, limit))


def _drain(stream: IO[bytes], keep: collections.deque[str]) -> None:
    for line in stream:
        # "[mov,mp4,m4a,3gp,3g2,mj2 @ 0x55d0c1a8] stream 0, offset 0x34ee0: partial file"
        # -> "stream 0, offset 0x34ee0: partial file"
        keep.append(_FFMPEG_PREFIX.sub("", line.decode(errors="replace").strip()))
