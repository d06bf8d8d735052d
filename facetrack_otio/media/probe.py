"""Probe a media file with ffprobe into a :class:`MediaInfo`."""

from __future__ import annotations

import itertools
import json
import os
import shutil
import subprocess
from dataclasses import asdict, dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

from facetrack_otio.errors import MediaError, ToolError

# Frame rates whose nominal value is an NTSC rate: r_frame_rate sometimes comes back as
# 2997/100 or 5994/100; an editor expects 30000/1001 and 60000/1001.
_NTSC = {
    Fraction(2997, 100): Fraction(30000, 1001),
    Fraction(5994, 100): Fraction(60000, 1001),
    Fraction(2398, 100): Fraction(24000, 1001),
    Fraction(23976, 1000): Fraction(24000, 1001),
    Fraction(29970, 1000): Fraction(30000, 1001),
    Fraction(59940, 1000): Fraction(60000, 1001),
}


# Rates cameras, screen recorders and editors use. A stream with coarse timestamps (Matroska
# and WebM count milliseconds) whose announced rate is none of these is measured again.
_STANDARD_RATES = tuple(
    Fraction(r)
    for r in (
        "10", "12", "12.5", "15", "20", "24000/1001", "24", "25", "30000/1001", "30",
        "48000/1001", "48", "50", "60000/1001", "60", "100", "120000/1001", "120",
    )
)  # fmt: skip
# Packets read to measure a rate: about 8 s at 30 fps, read without decoding.
_RATE_PACKETS = 240
# Frames a decoder may hold back to show them in order (H.264 allows up to 16).
_REORDER_DEPTH = 16


@dataclass(frozen=True)
class MediaInfo:
    """What the pipeline needs to know about a source file.

    Attributes
    ----------
    path : str
        Absolute path of the source.
    width, height : int
        Display size of the video (after rotation).
    fps : Fraction
        Nominal frame rate as an exact rational (30000/1001 stays 29.97).
    duration : float
        Duration in seconds (the longer of container and video stream).
    n_frames : int
        Number of video frames (counted by the stream header, or estimated).
    variable_frame_rate : bool
        True when frame timing is not constant (average rate differs from the nominal one).
    rotation : int
        Display rotation in degrees (0, 90, 180, 270); frames are decoded already rotated.
    audio_streams : tuple of int
        Indexes (among audio streams) that exist; empty when the file has no audio.
    audio_sample_rate : int
        Sample rate of the first audio stream, 0 without audio.
    start_timecode : str or None
        Embedded start timecode (e.g. ``01:00:00:00``), when the file carries one.
    video_codec : str
        Codec name of the video stream.
    """

    path: str
    width: int
    height: int
    fps: Fraction
    duration: float
    n_frames: int
    variable_frame_rate: bool = False
    rotation: int = 0
    audio_streams: tuple[int, ...] = field(default_factory=tuple)
    audio_sample_rate: int = 0
    start_timecode: str | None = None
    video_codec: str = ""

    @property
    def has_audio(self) -> bool:
        return bool(self.audio_streams)

    @property
    def has_video(self) -> bool:
        """False for an audio-only input (a podcast): voices alone decide who speaks."""
        return self.width > 0 and self.height > 0

    @property
    def name(self) -> str:
        """Source file stem, used as the timeline name."""
        return Path(self.path).stem

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["fps"] = f"{self.fps.numerator}/{self.fps.denominator}"
        d["audio_streams"] = list(self.audio_streams)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> MediaInfo:
        d = dict(d)
        d["fps"] = Fraction(d["fps"])
        d["audio_streams"] = tuple(d.get("audio_streams", ()))
        return cls(**d)


def _require(tool: str) -> str:
    exe = shutil.which(tool)
    if exe is None:
        raise ToolError(f"{tool} not found on PATH; install ffmpeg (e.g. apt-get install ffmpeg)")
    return exe


def _rational(text: str | None) -> Fraction | None:
    if not text or text in ("0/0", "N/A"):
        return None
    try:
        value = Fraction(text)
    except (ValueError, ZeroDivisionError):
        return None
    return value if value > 0 else None


def _rotation(stream: dict[str, Any]) -> int:
    for side in stream.get("side_data_list", []) or []:
        if "rotation" in side:
            return round(-float(side["rotation"])) % 360
    tag = (stream.get("tags") or {}).get("rotate")
    return int(tag) % 360 if tag else 0


def _rate_from_timestamps(path: str, stream: dict[str, Any]) -> tuple[Fraction, bool] | None:
    """The standard rate the stream's first packets' timestamps keep to, if any.

    ffmpeg guesses the rate of a stream with millisecond timestamps from its first frame
    intervals; with B-frames at 29.97 fps (intervals of 33 and 34 ms) a Matroska remux was
    announced as 29.47 fps, which no editor takes. Each timestamp of a stream at ``rate`` is
    ``k / rate`` rounded to a tick, with ``k`` skipping where frames were dropped: the lowest
    standard rate for which every interval is a whole number of frames, and the whole span
    too, is the stream's.

    Returns
    -------
    (Fraction, bool) or None
        The rate, and whether frames are missing (a variable rate); None when the timestamps
        are too few or fit no standard rate.
    """
    tick = _rational(stream.get("time_base"))
    if tick is None or "index" not in stream:
        return None
    cmd = [_require("ffprobe"), "-v", "error", "-select_streams", str(stream["index"])]
    cmd += ["-read_intervals", f"%+#{_RATE_PACKETS}", "-show_entries", "packet=pts"]
    cmd += ["-of", "csv=p=0", "-i", path]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    pts = sorted({int(v) for v in proc.stdout.split() if v.lstrip("-").isdigit()})
    # Packets come in decoding order: the last few read may have skipped over frames shown
    # before them, whose packets come later. Those gaps are not the stream's.
    pts = pts[:-_REORDER_DEPTH]
    if proc.returncode != 0 or len(pts) < 3:
        return None
    steps = [(b - a) * tick for a, b in itertools.pairwise(pts)]
    span = (pts[-1] - pts[0]) * tick
    slack = 1.5 * tick  # rounding moves each timestamp by at most a tick
    for rate in _STANDARD_RATES:
        frames = [round(step * rate) for step in steps]
        if min(frames) < 1 or any(
            abs(step - k / rate) > slack for step, k in zip(steps, frames, strict=True)
        ):
            continue
        if abs(span - sum(frames) / rate) <= slack:
            return rate, max(frames) > 1
    return None


def _unreadable_reason(stderr: str, resolved: str) -> str:
    """One line that says why ffprobe could not open a file (without repeating its path)."""
    lines = [ln.strip() for ln in stderr.strip().splitlines() if ln.strip()]
    if any("moov atom not found" in ln for ln in lines):
        # An MP4/MOV keeps its index (the moov atom) at the end unless written with
        # +faststart: cut short or still being written, nothing in it can be located.
        return "truncated or incomplete MP4/MOV (its index, the moov atom, is missing)"
    reason = lines[-1] if lines else "unreadable"
    # ffprobe prefixes the message with the path it was given: keep only the message.
    for prefix in (f"{resolved}: ", f"file:{resolved}: "):
        reason = reason.removeprefix(prefix)
    return f"not a readable media file ({reason})"


# The frame rate an audio-only input's timeline is laid out at: editors need one, and 25 fps
# timecode counts whole frames (no drop-frame).
AUDIO_ONLY_RATE = Fraction(25)


def _audio_only(p: Path, fmt: dict[str, Any], audios: list[dict[str, Any]]) -> MediaInfo:
    """What an audio-only file (or a video file without a video stream) offers."""
    durations = [
        float(x)
        for x in (fmt.get("duration"), *(a.get("duration") for a in audios))
        if x not in (None, "N/A")
    ]
    duration = max(durations) if durations else 0.0
    if duration <= 0:
        raise MediaError(f"{p}: the audio has no duration")
    timecode = (fmt.get("tags") or {}).get("timecode")
    return MediaInfo(
        path=str(p.resolve()),
        width=0,
        height=0,
        fps=AUDIO_ONLY_RATE,
        duration=duration,
        n_frames=round(duration * AUDIO_ONLY_RATE),
        audio_streams=tuple(range(len(audios))),
        audio_sample_rate=int(audios[0].get("sample_rate", 0)),
        start_timecode=timecode,
        video_codec="",
    )


def probe(path: str | os.PathLike[str]) -> MediaInfo:
    """Read a media file's properties with ffprobe (video, or audio only).

    Parameters
    ----------
    path : str or os.PathLike
        The media file.

    Returns
    -------
    MediaInfo

    Raises
    ------
    MediaError
        When the path is missing, is not a file, is empty, or holds no video and no audio
        stream. A file with audio only gives a MediaInfo without video (``has_video`` False),
        laid out at :data:`AUDIO_ONLY_RATE`.
    """
    p = Path(path)
    if not p.exists():
        raise MediaError(f"{p}: no such file")
    if p.is_dir():
        raise MediaError(f"{p}: is a directory, not a video file")
    if p.stat().st_size == 0:
        raise MediaError(f"{p}: file is empty")
    cmd = [
        _require("ffprobe"),
        "-v",
        "error",
        "-print_format",
        "json",
        "-show_format",
        "-show_streams",
        "-i",
        str(p.resolve()),
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise MediaError(f"{p}: {_unreadable_reason(proc.stderr, str(p.resolve()))}")
    data = json.loads(proc.stdout or "{}")
    streams = data.get("streams", [])
    fmt = data.get("format", {})
    videos = [
        s
        for s in streams
        if s.get("codec_type") == "video"
        and not (s.get("disposition") or {}).get("attached_pic")
        and s.get("width")
    ]
    audios = [s for s in streams if s.get("codec_type") == "audio"]
    if not videos:
        if not audios:
            raise MediaError(f"{p}: no video or audio stream (nothing facetrack can analyse)")
        return _audio_only(p, fmt, audios)
    v = videos[0]

    nominal = _rational(v.get("r_frame_rate"))
    average = _rational(v.get("avg_frame_rate"))
    fps = nominal or average
    if fps is None:
        raise MediaError(f"{p}: video stream has no frame rate")
    fps = _NTSC.get(fps, fps)
    if fps > 240 and average is not None:  # timebase-like nominal rates (e.g. 90000/1)
        fps = _NTSC.get(average.limit_denominator(1001), average.limit_denominator(1001))
    vfr = average is not None and abs(float(average) - float(fps)) > 0.01 * float(fps)
    coarse = _rational(v.get("time_base"))
    if fps not in _STANDARD_RATES and coarse is not None and coarse >= Fraction(1, 1000):
        measured = _rate_from_timestamps(str(p.resolve()), v)
        if measured is not None:
            fps, vfr = measured

    durations = [
        float(x) for x in (fmt.get("duration"), v.get("duration")) if x not in (None, "N/A")
    ]
    duration = max(durations) if durations else 0.0
    n_frames = int(v["nb_frames"]) if str(v.get("nb_frames", "")).isdigit() else 0
    if n_frames == 0:
        n_frames = round(duration * float(average or fps))
    if duration <= 0 and n_frames > 0:
        duration = n_frames / float(fps)

    rotation = _rotation(v)
    w, h = int(v["width"]), int(v["height"])
    if rotation in (90, 270):
        w, h = h, w

    timecode = (fmt.get("tags") or {}).get("timecode") or (v.get("tags") or {}).get("timecode")
    if timecode is None:
        for s in streams:
            timecode = (s.get("tags") or {}).get("timecode")
            if timecode:
                break

    return MediaInfo(
        path=str(p.resolve()),
        width=w,
        height=h,
        fps=fps,
        duration=duration,
        n_frames=n_frames,
        variable_frame_rate=vfr,
        rotation=rotation,
        audio_streams=tuple(range(len(audios))),
        audio_sample_rate=int(audios[0].get("sample_rate", 0)) if audios else 0,
        start_timecode=timecode,
        video_codec=str(v.get("codec_name", "")),
    )
