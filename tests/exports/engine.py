"""A real engine as the judge: MLT's ``melt`` renders a project, every frame is read back.

Each source is replaced by a stand-in of the same rate, length and timecode whose frames carry
their own number (and the file's id) as a barcode of 16 black or white columns, drawn by
ffmpeg at a small size so that rendering is quick. A rendered frame then says which frame of
which file the engine showed; the sound is compared by cross-correlation.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np
import opentimelineio as otio

from facetrack_otio.exports.sequence import frames_at
from facetrack_otio.timeline.meta import rate_fraction

BITS = 16
FRAME_BITS = 12  # frame numbers below 4096; the file's id above them
W, H = 64, 36
RATE = 48000


def _run(args: list[str], timeout: float = 300) -> bytes:
    proc = subprocess.run(args, capture_output=True, timeout=timeout, check=False)
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")[-2000:]
    return proc.stdout


def stand_in(
    out: Path,
    ident: int,
    fps: Fraction,
    n_frames: int,
    sound: Path | None = None,
    timecode: str | None = None,
) -> Path:
    """A ``.mov`` of ``n_frames`` frames at ``fps``, frame N showing ``ident * 4096 + N``,
    with the sound of ``sound`` (PCM) and the start ``timecode`` when given."""
    rate = f"{fps.numerator}/{fps.denominator}"
    value = f"(N+{ident * (1 << FRAME_BITS)})"
    lum = f"255*mod(floor({value}/pow(2,floor(X*{BITS}/W))),2)"
    args = ["ffmpeg", "-nostdin", "-v", "error", "-y"]
    args += ["-f", "lavfi", "-i", f"color=c=black:s={W}x{H}:r={rate}"]
    if sound is not None:
        args += ["-i", str(sound)]
    args += ["-vf", f"format=gray,geq=lum='{lum}',format=yuv420p", "-frames:v", str(n_frames)]
    args += ["-c:v", "libx264", "-preset", "ultrafast", "-qp", "0", "-g", "1"]
    if sound is not None:
        duration = n_frames / fps
        args += ["-map", "0:v", "-map", "1:a", "-c:a", "pcm_s16le", "-ar", str(RATE), "-ac", "1"]
        args += ["-af", f"apad=whole_dur={float(duration):.6f}", "-t", f"{float(duration):.6f}"]
    if timecode:
        args += ["-timecode", timecode]
    _run([*args, str(out)])
    return out


def melt(project: Path, out: Path) -> Path:
    """Render ``project`` with ``melt``: raw grey frames and 48 kHz mono PCM in a NUT file."""
    exe = shutil.which("melt")
    assert exe, "melt is needed (scripts/setup.sh installs it)"
    _run(
        [exe, "-quiet", str(project), "-consumer", f"avformat:{out}", "vcodec=rawvideo",
         "pix_fmt=gray", "acodec=pcm_s16le", f"ar={RATE}", "ac=1", "real_time=0"],
        timeout=600,
    )  # fmt: skip
    return out


def frames_of(video: Path, size: tuple[int, int] = (W, H)) -> list[int]:
    """The barcode value of every frame of ``video``."""
    w, h = size
    raw = _run(["ffmpeg", "-nostdin", "-v", "error", "-i", str(video), "-f", "rawvideo",
                "-pix_fmt", "gray", "-s", f"{w}x{h}", "-"])  # fmt: skip
    pics = np.frombuffer(raw, np.uint8).reshape(-1, h, w)
    cols = ((np.arange(BITS) + 0.5) * w / BITS).astype(int)
    bits = pics[:, h // 2, cols] > 128
    return [int(v) for v in (bits * (1 << np.arange(BITS))).sum(axis=1)]


def sound_of(media: Path) -> np.ndarray:
    """The first audio stream of ``media`` as 48 kHz mono floats."""
    raw = _run(["ffmpeg", "-nostdin", "-v", "error", "-i", str(media), "-vn", "-f", "f32le",
                "-ac", "1", "-ar", str(RATE), "-"])  # fmt: skip
    return np.frombuffer(raw, np.float32)


def lag(heard: np.ndarray, expected: np.ndarray, within: float = 0.1) -> float:
    """Seconds by which ``expected`` is late in ``heard`` (cross-correlation peak, to the
    sample, searched within ``within`` seconds)."""
    n = min(len(heard), len(expected))
    a, b = heard[:n].astype(np.float64), expected[:n].astype(np.float64)
    size = 1 << int(np.ceil(np.log2(2 * n)))
    xc = np.fft.irfft(np.fft.rfft(a, size) * np.conj(np.fft.rfft(b, size)), size)
    m = int(within * RATE)
    window = np.concatenate([xc[-m:], xc[: m + 1]])
    return (int(np.argmax(window)) - m) / RATE


@dataclass(frozen=True)
class Shown:
    """What the timeline shows at a frame: a file's id and its frame."""

    ident: int
    frame: int

    @property
    def code(self) -> int:
        return self.ident * (1 << FRAME_BITS) + self.frame


def expected_frames(
    timeline: otio.schema.Timeline, ids: dict[str, int], fps: Fraction, n: int
) -> list[int | None]:
    """The barcode each of the first ``n`` frames must show: the topmost enabled clip there
    (its file's id, its frame counted from the file's first frame); None where no clip is."""
    out: list[int | None] = [None] * n
    for track in timeline.video_tracks():  # bottom first: those above overwrite
        for clip in track.find_clips(shallow_search=True):
            if not clip.enabled:
                continue
            r = clip.range_in_parent()
            at, length = frames_at(r.start_time, fps), frames_at(r.duration, fps)
            ref = clip.media_reference
            url = ref.target_url
            rate = rate_fraction(clip.source_range.start_time.rate)
            first = frames_at(clip.source_range.start_time - ref.available_range.start_time, rate)
            for k in range(max(0, at), min(n, at + length)):
                out[k] = Shown(ids[url], first + (k - at)).code
    return out


def check_frames(got: list[int], want: list[int | None]) -> tuple[int, int]:
    """(frames right, frames with something to show)."""
    pairs = [(g, w) for g, w in zip(got, want) if w is not None]
    return sum(g == w for g, w in pairs), len(pairs)
