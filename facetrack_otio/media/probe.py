"""Probe a media file with ffprobe into a :class:`MediaInfo`."""

from __future__ import annotations

import itertools
import json
import math
import os
import shutil
import subprocess
from dataclasses import asdict, dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

from facetrack_otio.errors import MediaError, ToolError
from facetrack_otio.fsutil import readable_file
from facetrack_otio.text import display_name, shown

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
# Frame rates and durations beyond these come from damaged headers.
_MIN_FPS = Fraction(1, 100)
_MAX_FPS = Fraction(1000)
_MAX_SECONDS = 7 * 24 * 3600.0
# ffprobe reads headers (and, for a file that does not say its length, packets): seconds.
_PROBE_TIMEOUT = 120


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
        """Source file stem, used as the timeline name and to name the exports: on one line
        and valid Unicode (see :func:`facetrack_otio.text.display_name`)."""
        return display_name(Path(self.path).stem)

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


def require_tool(tool: str) -> str:
    """The path of ``tool`` (``ffmpeg``, ``ffprobe``) on ``PATH``.

    Raises
    ------
    ToolError
        When it is not installed.
    """
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
    """Display rotation in quarter turns (0, 90, 180, 270); a damaged value counts as none."""
    angle: Any = None
    for side in stream.get("side_data_list") or []:
        if isinstance(side, dict) and "rotation" in side:
            angle = -_number(side["rotation"])
            break
    else:
        angle = _number((stream.get("tags") or {}).get("rotate"))
    if not math.isfinite(angle):
        return 0
    return round(angle / 90) * 90 % 360


def _number(value: Any) -> float:
    """ffprobe's number as a float (NaN when absent or not a number)."""
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def _count(value: Any) -> int:
    """A whole count ffprobe gave (0 when absent, damaged or negative)."""
    number = _number(value)
    return int(number) if math.isfinite(number) and number > 0 else 0


def _seconds(value: Any) -> float:
    """A duration ffprobe gave, in seconds (0 when absent, damaged, negative or beyond any
    recording: a damaged header can announce centuries)."""
    number = _number(value)
    return number if math.isfinite(number) and 0 < number < _MAX_SECONDS else 0.0


def _ffprobe(cmd: list[str], name: str) -> subprocess.CompletedProcess[str]:
    """Run ffprobe; its text is read as UTF-8 with undecodable bytes replaced (a file name
    need not be UTF-8)."""
    try:
        return subprocess.run(
            cmd,
            capture_output=True,
            text=True,
            encoding="utf-8",
            errors="replace",
            check=False,
            timeout=_PROBE_TIMEOUT,
        )
    except subprocess.TimeoutExpired:
        raise MediaError(
            f"{name}: ffprobe did not finish in {_PROBE_TIMEOUT} s (a damaged file?)"
        ) from None


def _count_frames(ffprobe: str, path: str, name: str) -> int:
    """Frames of the first video stream, counted by reading its packets (no decoding)."""
    cmd = [ffprobe, "-v", "error", "-select_streams", "v:0", "-count_packets"]
    cmd += ["-show_entries", "stream=nb_read_packets", "-of", "csv=p=0", "-i", path]
    proc = _ffprobe(cmd, name)
    words = proc.stdout.split()
    return _count(words[0].strip(",")) if proc.returncode == 0 and words else 0


# ISO base media (MP4, MOV, M4V, 3GP): top-level boxes, each a 32-bit size and a type.
_ISO_TOP = {b"ftyp", b"moov", b"mdat", b"free", b"skip", b"wide", b"pnot", b"uuid", b"styp"}


def isobmff_damage(path: str | os.PathLike[str], need_index: bool = False) -> str | None:
    """What is wrong with an MP4/MOV's top-level boxes, or None when nothing shows there
    (or the file is no MP4/MOV).

    ffprobe opens an MP4 whose index (``moov``, at the end unless written with
    ``+faststart``) is cut inside without a word: a track whose description is lost is
    simply gone (its audio, say), or becomes a "data" stream. The box sizes show it: the
    ``moov`` box reaches past the end of the file. A cut in the media data after a whole
    index is the truncation the decoder reports (what decodes is analysed).

    Parameters
    ----------
    path : str or os.PathLike
        The file.
    need_index : bool
        Also report a file without a ``moov`` box (a file ffmpeg was writing when the disk
        filled up: it can end without its index and still say it succeeded).
    """
    found = False
    try:
        size = os.path.getsize(path)
        with open(path, "rb") as f:
            head = f.read(8)
            if len(head) < 8 or head[4:8] not in _ISO_TOP:
                return None
            offset = 0
            while offset + 8 <= size:
                f.seek(offset)
                header = f.read(16)
                length, kind = int.from_bytes(header[:4], "big"), header[4:8]
                if length == 1 and len(header) >= 16:
                    length = int.from_bytes(header[8:16], "big")
                elif length == 0:  # the last box runs to the end of the file
                    length = size - offset
                if length < 8:
                    break  # not a box structure ffprobe would have read either
                if kind == b"moov":
                    if offset + length > size:
                        return (
                            "truncated or incomplete MP4/MOV (its index, the moov atom, is "
                            f"cut short: {size - offset} of its {length} bytes are there)"
                        )
                    found = True
                offset += length
    except OSError:
        return None
    if need_index and not found:
        return "incomplete MP4/MOV (its index, the moov atom, is missing)"
    return None


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
    cmd = [require_tool("ffprobe"), "-v", "error", "-select_streams", str(stream["index"])]
    cmd += ["-read_intervals", f"%+#{_RATE_PACKETS}", "-show_entries", "packet=pts"]
    cmd += ["-of", "csv=p=0", "-i", path]
    proc = _ffprobe(cmd, shown(path))
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
    # The path may hold a line break: take it out before reading lines.
    stderr = stderr.replace(f"file:{resolved}: ", "").replace(f"{resolved}: ", "")
    lines = [ln.strip() for ln in stderr.strip().splitlines() if ln.strip()]
    if any("moov atom not found" in ln for ln in lines):
        # An MP4/MOV keeps its index (the moov atom) at the end unless written with
        # +faststart: cut short or still being written, nothing in it can be located.
        return "truncated or incomplete MP4/MOV (its index, the moov atom, is missing)"
    reason = lines[-1] if lines else "unreadable"
    return f"not a readable media file ({reason})"


# The frame rate an audio-only input's timeline is laid out at: editors need one, and 25 fps
# timecode counts whole frames (no drop-frame).
AUDIO_ONLY_RATE = Fraction(25)


def _audio_only(p: Path, name: str, fmt: dict[str, Any], audios: list[dict[str, Any]]) -> MediaInfo:
    """What an audio-only file (or a video file without a video stream) offers."""
    durations = [
        d for d in (_seconds(fmt.get("duration")), *(_seconds(a.get("duration")) for a in audios))
        if d
    ]  # fmt: skip
    duration = max(durations) if durations else 0.0
    if duration <= 0:
        raise MediaError(f"{name}: the audio has no duration")
    timecode = (fmt.get("tags") or {}).get("timecode")
    return MediaInfo(
        path=str(p.resolve()),
        width=0,
        height=0,
        fps=AUDIO_ONLY_RATE,
        duration=duration,
        n_frames=round(duration * AUDIO_ONLY_RATE),
        audio_streams=tuple(range(len(audios))),
        audio_sample_rate=_count(audios[0].get("sample_rate")),
        start_timecode=timecode if isinstance(timecode, str) else None,
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
    p = readable_file(path, "media file", MediaError)
    name = shown(p)
    resolved = str(p.resolve())
    cmd = [require_tool("ffprobe"), "-v", "error", "-print_format", "json"]
    cmd += ["-show_format", "-show_streams", "-i", resolved]
    damage = isobmff_damage(p)
    if damage:
        raise MediaError(f"{name}: {damage}")
    proc = _ffprobe(cmd, name)
    if proc.returncode != 0:
        raise MediaError(f"{name}: {_unreadable_reason(proc.stderr, resolved)}")
    try:
        data = json.loads(proc.stdout or "{}")
    except ValueError:
        data = None
    if not isinstance(data, dict):
        raise MediaError(f"{name}: not a readable media file (ffprobe could not describe it)")
    streams = [x for x in data.get("streams") or [] if isinstance(x, dict)]
    fmt = data.get("format") or {}
    videos = [
        x
        for x in streams
        if x.get("codec_type") == "video"
        and not (x.get("disposition") or {}).get("attached_pic")
        and _count(x.get("width")) > 0
        and _count(x.get("height")) > 0
    ]
    audios = [x for x in streams if x.get("codec_type") == "audio"]
    if not videos:
        if not audios:
            raise MediaError(f"{name}: no video or audio stream (nothing facetrack can analyse)")
        return _audio_only(p, name, fmt, audios)
    v = videos[0]

    nominal = _rational(v.get("r_frame_rate"))
    average = _rational(v.get("avg_frame_rate"))
    fps = nominal or average
    if fps is None:
        raise MediaError(f"{name}: video stream has no frame rate")
    fps = _NTSC.get(fps, fps)
    if fps > 240 and average is not None:  # timebase-like nominal rates (e.g. 90000/1)
        fps = _NTSC.get(average.limit_denominator(1001), average.limit_denominator(1001))
    if not _MIN_FPS <= fps <= _MAX_FPS:
        raise MediaError(f"{name}: video stream announces {float(fps):g} fps (damaged?)")
    vfr = average is not None and abs(float(average) - float(fps)) > 0.01 * float(fps)
    coarse = _rational(v.get("time_base"))
    if fps not in _STANDARD_RATES and coarse is not None and coarse >= Fraction(1, 1000):
        measured = _rate_from_timestamps(resolved, v)
        if measured is not None:
            fps, vfr = measured

    durations = [d for d in (_seconds(fmt.get("duration")), _seconds(v.get("duration"))) if d]
    duration = max(durations) if durations else 0.0
    n_frames = _count(v.get("nb_frames"))
    if n_frames == 0:
        n_frames = round(duration * float(average or fps))
    if n_frames == 0:
        # Nothing says how long it is (an image, a raw stream): count what is there.
        n_frames = _count_frames(cmd[0], resolved, name)
        if n_frames == 0:
            raise MediaError(f"{name}: the video stream holds no frames")
    if duration <= 0:
        duration = n_frames / float(fps)

    rotation = _rotation(v)
    w, h = _count(v["width"]), _count(v["height"])
    if rotation in (90, 270):
        w, h = h, w

    timecode = (fmt.get("tags") or {}).get("timecode") or (v.get("tags") or {}).get("timecode")
    if timecode is None:
        for x in streams:
            timecode = (x.get("tags") or {}).get("timecode")
            if timecode:
                break
    if not isinstance(timecode, str):
        timecode = None

    return MediaInfo(
        path=resolved,
        width=w,
        height=h,
        fps=fps,
        duration=duration,
        n_frames=n_frames,
        variable_frame_rate=vfr,
        rotation=rotation,
        audio_streams=tuple(range(len(audios))),
        audio_sample_rate=_count(audios[0].get("sample_rate")) if audios else 0,
        start_timecode=timecode,
        video_codec=str(v.get("codec_name", "")),
    )
