"""Render speaker clips with ffmpeg: one mp4 per turn (or segment), or one per speaker.

Each turn is cut on the source's frame grid: its start and end are rounded to the nearest
frame boundary, the clip holds exactly the frames in between (re-timed to the constant nominal
rate, so a variable-frame-rate source still gives clips of the expected length), and the audio
is cut at the same instant. Encodes run in parallel, one ffmpeg process per clip, each writing
to a temporary name that is renamed only once ffmpeg has succeeded.

The ffmpeg command for one clip is built by :func:`ffmpeg_args` alone, which accepts an optional
video filter string: the reframing crop (a 9:16 window following the speaker's face, see
:mod:`facetrack_otio.render.reframe`) plugs in there. A speaker's turns joined into one file
are cut and concatenated in a single ffmpeg run by :func:`joined_args`. What files are written
and their names is decided in :mod:`facetrack_otio.render.plan`; the review video with boxes
drawn on it in :mod:`facetrack_otio.render.annotate`.
"""

from __future__ import annotations

import errno
import json
import logging
import math
import os
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from tqdm import tqdm

from facetrack_otio.errors import MediaError
from facetrack_otio.fsutil import WRITE_ERRNOS, atomic_path, failed_write
from facetrack_otio.machine import cores
from facetrack_otio.media.probe import MediaInfo, _require, isobmff_damage
from facetrack_otio.outputs import review_name
from facetrack_otio.render import plan
from facetrack_otio.render.encoders import ENCODERS, resolve_encoder, video_codec_args
from facetrack_otio.render.reframe import (
    ASPECTS,
    CropPath,
    ReframeSettings,
    crop_filter,
    crop_path,
    join_paths,
    parse_aspect,
)
from facetrack_otio.speakers.turns import Person, SpeakerTurn

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from facetrack_otio.render.annotate import Annotator

# libx264's preset names; checked up front so a typo is one clear error, not one per clip.
X264_PRESETS = (
    "ultrafast",
    "superfast",
    "veryfast",
    "faster",
    "fast",
    "medium",
    "slow",
    "slower",
    "veryslow",
    "placebo",
)

# How long an ffmpeg error message may be in a failure reason.
_MAX_REASON = 200


@dataclass(frozen=True)
class RenderSettings:
    """How clips are cut and encoded.

    Attributes
    ----------
    crf : int
        libx264 constant rate factor, 0 (lossless) to 51; lower is better and bigger.
    preset : str
        libx264 preset, ``ultrafast`` … ``placebo``; slower presets compress better.
    pad : float
        Seconds added before and after each turn (clamped to the source).
    jobs : int or None
        Encodes run at the same time; ``None`` means the number of CPU cores.
    audio_bitrate : str
        AAC bitrate as ffmpeg reads it (``"160k"``).
    audio_stream : int
        Which of the source's audio streams goes into the clips.
    per : str
        ``turn``: one file per turn; ``speaker``: one file per speaker, their turns joined.
    aspect : str
        ``source`` (no crop), or ``16:9``, ``9:16``, ``1:1``, ``4:5``: a window of that shape
        following the speaker's face.
    segment : float
        Longest file in seconds: longer turns (or speaker files) are split; 0 splits nothing.
    annotate : bool
        Also write a review video of the whole source with face boxes, names and who speaks.
    encoder : str
        ``auto`` (NVENC when an NVIDIA GPU and ffmpeg support it, else libx264), ``libx264``
        or ``h264_nvenc``.
    """

    crf: int = 20
    preset: str = "veryfast"
    pad: float = 0.0
    jobs: int | None = None
    audio_bitrate: str = "160k"
    audio_stream: int = 0
    per: str = "turn"
    aspect: str = "source"
    segment: float = 0.0
    annotate: bool = False
    encoder: str = "auto"

    def __post_init__(self) -> None:
        if not 0 <= self.crf <= 51:
            raise ValueError(f"crf must be in 0..51, got {self.crf}")
        if self.preset not in X264_PRESETS:
            raise ValueError(
                f"unknown x264 preset {self.preset!r}; one of {', '.join(X264_PRESETS)}"
            )
        if not (math.isfinite(self.pad) and self.pad >= 0):
            raise ValueError(f"pad must be >= 0 seconds, got {self.pad}")
        if self.jobs is not None and self.jobs < 1:
            raise ValueError(f"jobs must be >= 1 (or None for one per core), got {self.jobs}")
        if self.audio_stream < 0:
            raise ValueError(f"audio_stream must be >= 0, got {self.audio_stream}")
        if self.per not in plan.PER:
            raise ValueError(f"per must be one of {', '.join(plan.PER)}, got {self.per!r}")
        if self.aspect not in ASPECTS:
            raise ValueError(f"unknown aspect {self.aspect!r}; one of {', '.join(ASPECTS)}")
        # Parts shorter than half a second would be thousands of files for nothing.
        if not (self.segment == 0 or (math.isfinite(self.segment) and self.segment >= 0.5)):
            raise ValueError(
                f"segment must be 0 (no split) or at least 0.5 seconds, got {self.segment}"
            )
        if self.encoder not in ENCODERS:
            raise ValueError(f"unknown encoder {self.encoder!r}; one of {', '.join(ENCODERS)}")


@dataclass
class RenderReport:
    """What :func:`render_turns` produced.

    Attributes
    ----------
    outputs : list of Path
        The files written (absolute paths): clips in time order (per speaker: by speaker),
        then the review video when one was asked for.
    failures : list of (SpeakerTurn, str)
        Turns that gave no clip, each with a one-line reason (for a joined speaker file, a
        turn spanning what it holds; for the review video, one spanning the whole source).
    encoder : str
        The video encoder used.
    paths : dict of str to CropPath
        The crop window per frame of each reframed clip, by file name.
    spans : dict of str to tuple of Span
        The source frames each clip holds, joined in order, by file name.
    review : Path or None
        The review video, when written.
    """

    outputs: list[Path] = field(default_factory=list)
    failures: list[tuple[SpeakerTurn, str]] = field(default_factory=list)
    encoder: str = "libx264"
    paths: dict[str, CropPath] = field(default_factory=dict)
    spans: dict[str, tuple[plan.Span, ...]] = field(default_factory=dict)
    review: Path | None = None

    @property
    def ok(self) -> bool:
        """True when every turn gave a clip."""
        return not self.failures


@dataclass(frozen=True)
class ClipRange:
    """A span of the source on its frame grid.

    Attributes
    ----------
    first_frame : int
        Index of the first frame on the nominal grid (frame ``k`` starts at ``k / fps``).
    n_frames : int
        Number of frames in the clip (at least 1).
    fps : Fraction
        The source's nominal frame rate.
    origin : float
        Seconds between the container's start and the first video frame (``-ss`` counts from
        the container's start; turn times count from the first frame).
    """

    first_frame: int
    n_frames: int
    fps: Fraction
    origin: float = 0.0

    @property
    def start(self) -> float:
        """Start in seconds from the first video frame."""
        return float(self.first_frame / self.fps)

    @property
    def duration(self) -> float:
        """Exact length in seconds (``n_frames / fps``)."""
        return float(self.n_frames / self.fps)

    @property
    def end(self) -> float:
        return self.start + self.duration


@dataclass(frozen=True)
class _VideoTiming:
    origin: float
    video_end: float


def clip_name(index: int, turn: SpeakerTurn, person: Person) -> str:
    """File name of a turn's clip: ``0003_speaker-2_00m41s.mp4``.

    Parameters
    ----------
    index : int
        Position of the turn in time order; zero-padded so names sort in time.
    turn : SpeakerTurn
        The turn; its start gives the ``MMmSSs`` part.
    person : Person
        Who speaks; their label (``speaker-2``, ``off-screen``) names the clip.

    Returns
    -------
    str
    """
    minutes, seconds = divmod(int(turn.start), 60)
    return f"{index:04d}_{person.label}_{minutes:02d}m{seconds:02d}s.mp4"


def frame_range(
    start: float, end: float, fps: Fraction, *, origin: float = 0.0, limit: float | None = None
) -> ClipRange:
    """Round a time span to the frame grid.

    Parameters
    ----------
    start, end : float
        Seconds from the first video frame; ``end > start``.
    fps : Fraction
        Nominal frame rate.
    origin : float
        Passed through to :class:`ClipRange`.
    limit : float, optional
        Seconds of video available; the range is clamped to it.

    Returns
    -------
    ClipRange
        Start and end each rounded to the nearest frame boundary, so the clip's length is
        within one frame of ``end - start``; never empty.

    Raises
    ------
    ValueError
        When the span starts at or after ``limit``.
    """
    first = max(0, round(Fraction(start) * fps))
    last = round(Fraction(end) * fps)
    if limit is not None:
        total = max(1, round(Fraction(limit) * fps))
        if first >= total:
            raise ValueError(
                f"starts at {start:.3f} s, at or after the end of the video ({limit:.3f} s)"
            )
        last = min(last, total)
    return ClipRange(first, max(1, last - first), fps, origin)


def _seconds(value: float | Fraction) -> str:
    # ffmpeg reads times in microseconds; six decimals lose nothing.
    return f"{float(value):.6f}"


def ffmpeg_args(
    source: str | os.PathLike[str],
    output: str | os.PathLike[str],
    clip: ClipRange,
    settings: RenderSettings,
    *,
    audio: bool,
    video_filter: str | None = None,
    threads: int = 0,
    ffmpeg: str = "ffmpeg",
    encoder: str = "libx264",
) -> list[str]:
    """The ffmpeg argument list that cuts and encodes one clip.

    Parameters
    ----------
    source, output : str or os.PathLike
        Input media and the mp4 to write (made absolute and given as ``file:`` URLs, so no
        name is read as an option or a protocol).
    clip : ClipRange
        The frames to keep.
    settings : RenderSettings
        Encoder settings.
    audio : bool
        Whether to include the source's audio stream ``settings.audio_stream``.
    video_filter : str, optional
        An ffmpeg filter chain applied to the video (e.g. ``crop=405:720:100:0``); its time
        ``t`` starts at 0 at the clip's first frame.
    threads : int
        Encoder threads (0 lets x264 choose).
    ffmpeg : str
        The ffmpeg executable.
    encoder : str
        ``libx264`` or ``h264_nvenc``.

    Returns
    -------
    list of str
        Arguments for :func:`subprocess.run` (never a shell string).
    """
    seek = _seek(clip)
    args = [ffmpeg, "-nostdin", "-hide_banner", "-v", "error", "-y"]
    # Machine-readable progress on stdout: the final frame count tells a clip cut short by a
    # damaged or truncated source from a complete one.
    args += ["-progress", "pipe:1", "-nostats"]
    # -ss before -i with re-encoding is frame-accurate: ffmpeg seeks to the keyframe before and
    # drops what decodes ahead of the seek point, for video and audio alike.
    args += ["-ss", _seconds(seek), "-i", _file_url(source)]
    args += ["-map", "0:v:0"]
    if audio:
        args += ["-map", f"0:a:{settings.audio_stream}"]
    # -t on the output cuts video and audio at the same instant, n_frames / fps after the seek
    # point. (-frames:v would stop the muxer before the AAC encoder's last packets and shorten
    # the audio.)
    args += ["-t", _seconds(clip.duration)]
    fps = clip.fps
    rate = f"{fps.numerator}/{fps.denominator}"
    # The fps filter puts every frame on the nominal grid and, where a variable-rate source
    # skips a frame, repeats the one on screen; so a clip always holds n_frames frames, each
    # showing what the source shows at that instant.
    chain = f"fps={rate}" + (f",{video_filter}" if video_filter else "")
    # yuv420p needs an even width and height: drop a stray last row or column (a no-op on the
    # usual sizes, and a guard for whatever a crop filter produces).
    chain += ",crop=trunc(iw/2)*2:trunc(ih/2)*2"
    args += ["-vf", chain, *video_codec_args(encoder, settings.preset, settings.crf, threads)]
    args += ["-r", rate]
    if audio:
        args += ["-c:a", "aac", "-b:a", settings.audio_bitrate]
    args += _mp4_tail(output)
    return args


def _seek(clip: ClipRange) -> Fraction:
    # A hair before the first frame, so a frame whose timestamp is rounded a little early in
    # the container still counts; far less than a frame, and inaudible.
    nudge = min(Fraction(1, 500), 1 / (4 * clip.fps))
    return max(Fraction(0), Fraction(clip.origin) + clip.first_frame / clip.fps - nudge)


def joined_args(
    source: str | os.PathLike[str],
    output: str | os.PathLike[str],
    clips: Sequence[ClipRange],
    settings: RenderSettings,
    *,
    audio: bool,
    video_filter: str | None = None,
    threads: int = 0,
    ffmpeg: str = "ffmpeg",
    encoder: str = "libx264",
) -> list[str]:
    """The ffmpeg argument list that cuts several spans and joins them into one clip.

    Each span is its own seeked input (so only those parts of the source are decoded), put on
    the frame grid and cut to exactly its frames; its audio is cut to the same length (padded
    with silence should the source's audio end early), so the audio stays in sync across the
    joins. The concat filter joins them in one encode.

    Parameters
    ----------
    source, output : str or os.PathLike
        Input media and the mp4 to write.
    clips : sequence of ClipRange
        The spans, in the order they are joined.
    settings : RenderSettings
        Encoder settings.
    audio : bool
        Whether to include the source's audio stream ``settings.audio_stream``.
    video_filter : str, optional
        A filter chain applied to the joined video; its ``t`` starts at 0 at the first frame.
    threads : int
        Encoder threads (0 lets x264 choose).
    ffmpeg : str
        The ffmpeg executable.
    encoder : str
        ``libx264`` or ``h264_nvenc``.

    Returns
    -------
    list of str
    """
    if not clips:
        raise ValueError("nothing to join")
    fps = clips[0].fps
    rate = f"{fps.numerator}/{fps.denominator}"
    args = [ffmpeg, "-nostdin", "-hide_banner", "-v", "error", "-y", "-progress", "pipe:1"]
    args += ["-nostats"]
    parts = []
    for i, clip in enumerate(clips):
        # Input -t only bounds the decoding; trim/atrim below make the exact cut.
        read = clip.duration + 2 / float(fps)
        args += ["-ss", _seconds(_seek(clip)), "-t", _seconds(read), "-i", _file_url(source)]
        parts.append(
            f"[{i}:v:0]fps={rate},trim=end_frame={clip.n_frames},setpts=PTS-STARTPTS[v{i}]"
        )
        if audio:
            d = _seconds(clip.duration)
            parts.append(
                f"[{i}:a:{settings.audio_stream}]atrim=end={d},apad=whole_dur={d},"
                f"asetpts=PTS-STARTPTS[a{i}]"
            )
    joined = "".join(f"[v{i}]" + (f"[a{i}]" if audio else "") for i in range(len(clips)))
    tail = f"{video_filter}," if video_filter else ""
    parts.append(
        f"{joined}concat=n={len(clips)}:v=1:a={int(audio)}[vj]" + ("[aout]" if audio else "")
    )
    parts.append(f"[vj]{tail}crop=trunc(iw/2)*2:trunc(ih/2)*2[vout]")
    args += ["-filter_complex", ";".join(parts), "-map", "[vout]"]
    if audio:
        args += ["-map", "[aout]", "-c:a", "aac", "-b:a", settings.audio_bitrate]
    total = Fraction(sum(c.n_frames for c in clips)) / fps
    args += [*video_codec_args(encoder, settings.preset, settings.crf, threads), "-r", rate]
    args += ["-t", _seconds(total), *_mp4_tail(output)]
    return args


def _mp4_tail(output: str | os.PathLike[str]) -> list[str]:
    return [
        # The source's timecode and chapters would be wrong for a piece cut out of it.
        "-map_metadata",
        "-1",
        "-map_chapters",
        "-1",
        "-movflags",
        "+faststart",
        # ffmpeg exits 0 when nothing was encoded; make that an error.
        "-abort_on",
        "empty_output",
        "-f",
        "mp4",
        _file_url(output),
    ]


def _file_url(path: str | os.PathLike[str]) -> str:
    return "file:" + str(Path(path).resolve())


def _video_timing(info: MediaInfo, ffprobe: str) -> _VideoTiming:
    """Where the first video frame sits in the container, and where the video ends."""
    cmd = [
        ffprobe,
        "-v",
        "error",
        "-select_streams",
        "v:0",
        "-show_entries",
        "stream=start_time,duration:format=start_time",
        "-of",
        "json",
        _file_url(info.path),
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    try:
        data = json.loads(proc.stdout or "{}")
        v_start = _float(data["streams"][0].get("start_time"))
        v_duration = _float(data["streams"][0].get("duration"))
        f_start = _float(data.get("format", {}).get("start_time"))
    except (ValueError, KeyError, IndexError, TypeError):
        return _VideoTiming(0.0, info.duration)
    origin = max(0.0, (v_start or 0.0) - (f_start or 0.0))
    end = v_duration if v_duration else info.duration - origin
    return _VideoTiming(origin, end)


def _float(text: object) -> float | None:
    if text in (None, "N/A"):
        return None
    return float(str(text))


def _short(stderr: bytes, returncode: int, start: float) -> str:
    """One line from ffmpeg's stderr: its last message, truncated."""
    lines = [ln.strip() for ln in stderr.decode(errors="replace").splitlines() if ln.strip()]
    tail = lines[-1] if lines else "no message"
    if tail == "Empty output":
        return f"no frames could be decoded from {start:.3f} s on (damaged or truncated file?)"
    if len(tail) > _MAX_REASON:
        tail = tail[: _MAX_REASON - 1] + "…"
    return f"ffmpeg exited with code {returncode}: {tail}"


def _frames_written(progress: bytes) -> int | None:
    """The last ``frame=`` count in ffmpeg's ``-progress`` output."""
    count = None
    for line in progress.decode(errors="replace").splitlines():
        key, _, value = line.partition("=")
        if key.strip() == "frame" and value.strip().isdigit():
            count = int(value.strip())
    return count


class _EncodeError(Exception):
    pass


# Free space below which an incomplete clip is put down to a full disk.
_LOW_SPACE = 1 << 20


@dataclass(frozen=True)
class _Job:
    """One file to write: ``args(tmp)`` gives the ffmpeg command that writes it to ``tmp``."""

    turn: SpeakerTurn
    output: Path
    n_frames: int
    start: float
    args: Callable[[Path], list[str]] | None = None
    review: Annotator | None = None  # imported lazily: OpenCV is slow to load


class _Encoder:
    """Runs ffmpeg processes and can stop all of them at once."""

    def __init__(self, ffmpeg: str, info: MediaInfo, settings: RenderSettings, threads: int):
        self.ffmpeg = ffmpeg
        self.info = info
        self.settings = settings
        self.threads = threads
        self.cancelled = threading.Event()
        self._lock = threading.Lock()
        self._running: set[subprocess.Popen[bytes]] = set()
        self.encoder = "libx264"
        self.origin = 0.0

    def _register(self, proc: subprocess.Popen[bytes]) -> None:
        with self._lock:
            if self.cancelled.is_set():
                proc.kill()
            self._running.add(proc)

    def encode(self, job: _Job) -> Path:
        with atomic_path(job.output) as tmp:
            frames = self._review(job, tmp) if job.review is not None else self._run(job, tmp)
            # One frame of slack: a variable-rate source may lack the frame at the very end.
            if frames is not None and frames < job.n_frames - 1:
                raise _EncodeError(
                    f"source ended early: {frames} of {job.n_frames} frames "
                    f"(damaged or truncated file?)"
                )
            # ffmpeg can say it succeeded when the disk filled up as it moved the index to
            # the front (+faststart): a file without its index plays nowhere.
            damage = isobmff_damage(tmp, need_index=True)
            if damage:
                if shutil.disk_usage(tmp.parent).free < _LOW_SPACE:
                    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(tmp))
                raise _EncodeError(f"ffmpeg wrote an {damage.removeprefix('truncated or ')}")
        return job.output

    def _run(self, job: _Job, tmp: Path) -> int | None:
        assert job.args is not None
        args = job.args(tmp)
        with self._lock:
            if self.cancelled.is_set():
                raise _EncodeError("cancelled")
            proc = subprocess.Popen(
                args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE
            )
            self._running.add(proc)
        try:
            progress, err = proc.communicate()
        finally:
            with self._lock:
                self._running.discard(proc)
        if proc.returncode != 0:
            # A full disk stops the run (exit 2): no other clip would fit either.
            raise failed_write(err.decode(errors="replace"), proc.returncode, tmp) or _EncodeError(
                _short(err, proc.returncode, job.start)
            )
        return _frames_written(progress)

    def _review(self, job: _Job, tmp: Path) -> int:
        from facetrack_otio.render.annotate import render_review

        s = self.settings
        try:
            return render_review(
                self.info.path,
                tmp,
                job.review,
                self.origin,
                s.audio_stream if self.info.has_audio else None,
                s.audio_bitrate,
                self.encoder,
                s.preset,
                s.crf,
                self.threads,
                self.ffmpeg,
                register=self._register,
                cancelled=self.cancelled,
            )
        except RuntimeError as exc:
            raise failed_write(str(exc), 0, tmp) or _EncodeError(str(exc)) from None

    def stop(self) -> None:
        with self._lock:
            self.cancelled.set()
            for proc in self._running:
                proc.kill()


def _people_by_id(people: Mapping[int, Person] | Sequence[Person]) -> dict[int, Person]:
    if isinstance(people, Mapping):
        return dict(people)
    return {p.id: p for p in people}


def _check_source(info: MediaInfo, settings: RenderSettings) -> None:
    if not Path(info.path).is_file():
        raise MediaError(f"{info.path}: no such file")
    if info.has_audio and settings.audio_stream not in info.audio_streams:
        raise MediaError(
            f"{info.path}: no audio stream {settings.audio_stream} "
            f"(it has {len(info.audio_streams)})"
        )


def _display_size(info: MediaInfo) -> tuple[int, int]:
    # ffmpeg applies the rotation before the filters: crop in the frame as displayed.
    if int(getattr(info, "rotation", 0) or 0) % 180:
        return info.height, info.width
    return info.width, info.height


def render_turns(
    info: MediaInfo,
    turns: Sequence[SpeakerTurn],
    people: Mapping[int, Person] | Sequence[Person],
    outdir: str | os.PathLike[str],
    settings: RenderSettings = RenderSettings(),
    progress: bool = True,
    reframe: Mapping[int, np.ndarray] | None = None,
    reframe_settings: ReframeSettings | None = None,
) -> RenderReport:
    """Render speaker clips: one mp4 per turn (or segment), or one per speaker.

    Parameters
    ----------
    info : MediaInfo
        The probed source.
    turns : sequence of SpeakerTurn
        The turns to render, in any order; clips are numbered in time order.
    people : mapping of id to Person, or sequence of Person
        Who is who; a turn whose speaker is missing gets a default name.
    outdir : str or os.PathLike
        Folder for the clips (created when missing).
    settings : RenderSettings
        What to write (``per``, ``aspect``, ``segment``, ``annotate``), cut and encoder
        settings.
    progress : bool
        Show a progress bar on stderr.
    reframe : mapping of int to ndarray, optional
        Face boxes per person id, rows ``[t, x1, y1, x2, y2]`` normalised to the frame (see
        :func:`facetrack_otio.render.timeline.reframe_keyframes`); the crop follows them when
        ``settings.aspect`` is not ``source``, and the review video draws them. Without them
        a crop stays in the centre.
    reframe_settings : ReframeSettings, optional
        How the crop follows the face (dead zone, speed and acceleration limits, hold).

    Returns
    -------
    RenderReport
        The files written and the turns that failed, each with a reason.

    Raises
    ------
    ToolError
        When ffmpeg or ffprobe is not installed, or ``settings.encoder`` is ``h264_nvenc``
        and NVENC does not work here.
    MediaError
        When the source file has gone, or the requested audio stream does not exist.

    Notes
    -----
    Each clip is H.264 (yuv420p, ``settings.preset``/``settings.crf``) with AAC audio when the
    source has audio, and ``+faststart``. Its start and end are rounded to the nearest source
    frame boundary, so its length is within one frame of the turn (plus pads, clamped to the
    source). Encodes run in parallel, up to ``settings.jobs`` (default: one per core); a
    failed encode leaves no file and does not stop the others.
    """
    ffmpeg = _require("ffmpeg")
    ffprobe = _require("ffprobe")
    _check_source(info, settings)
    encoder = resolve_encoder(settings.encoder, ffmpeg)
    if settings.encoder == "auto":
        why = "an NVIDIA GPU's NVENC" if encoder == "h264_nvenc" else "no working NVENC here"
        log.info("encoder auto: %s (%s)", encoder, why)
    out = Path(outdir).resolve()
    out.mkdir(parents=True, exist_ok=True)
    by_id = _people_by_id(people)
    timing = _video_timing(info, ffprobe)
    fps = info.fps
    total = max(1, round(Fraction(timing.video_end) * fps))
    keyframes = {int(k): np.asarray(v, float).reshape(-1, 5) for k, v in (reframe or {}).items()}
    aspect = parse_aspect(settings.aspect)
    size = _display_size(info)
    rs = reframe_settings or ReframeSettings()

    report = RenderReport(encoder=encoder)
    make = plan.per_speaker if settings.per == "speaker" else plan.per_turn
    outputs, report.failures = make(
        turns, by_id, fps, total, pad=settings.pad, segment=settings.segment
    )
    scripts = Path(tempfile.mkdtemp(prefix="facetrack-render-"))
    jobs: list[_Job] = []
    audio = info.has_audio
    try:
        for n, o in enumerate(outputs):
            report.spans[o.name] = o.spans
            clips = [ClipRange(s.first, s.count, fps, timing.origin) for s in o.spans]
            vf = None
            if aspect is not None:
                path = join_paths(
                    [
                        crop_path(
                            keyframes.get(o.speaker, np.zeros((0, 5))),
                            (np.arange(c.n_frames) + c.first_frame) / float(fps),
                            size,
                            aspect,
                            float(fps),
                            rs,
                        )
                        for c in clips
                    ]
                )
                report.paths[o.name] = path
                vf = crop_filter(path, fps, scripts / f"{n:05d}.cmd")
            jobs.append(
                _Job(
                    o.turn,
                    out / o.name,
                    o.n_frames,
                    clips[0].start,
                    args=_builder(info.path, clips, settings, audio, vf, ffmpeg, encoder),
                )
            )
        if settings.annotate:
            from facetrack_otio.render.annotate import Annotator

            whole = SpeakerTurn(-1, 0.0, max(float(total / fps), 1e-3))
            annotator = Annotator(size, fps, total, turns, by_id, keyframes)
            name = review_name(Path(info.path).stem)
            jobs.append(_Job(whole, out / name, total, 0.0, review=annotator))
        done = _run_jobs(jobs, ffmpeg, info, settings, encoder, timing.origin, report, progress)
    finally:
        shutil.rmtree(scripts, ignore_errors=True)
    report.outputs = [done[i] for i in sorted(done)]
    if settings.annotate and jobs and jobs[-1].review is not None and len(jobs) - 1 in done:
        report.review = done[len(jobs) - 1]
    report.failures.sort(key=lambda f: (f[0].start, f[0].end))
    return report


def _builder(
    source: str,
    clips: Sequence[ClipRange],
    settings: RenderSettings,
    audio: bool,
    video_filter: str | None,
    ffmpeg: str,
    encoder: str,
) -> Callable[[Path], list[str]]:
    def build(tmp: Path, threads: int = 0) -> list[str]:
        common = dict(audio=audio, video_filter=video_filter, ffmpeg=ffmpeg, encoder=encoder)
        if len(clips) == 1:
            return ffmpeg_args(source, tmp, clips[0], settings, threads=threads, **common)
        return joined_args(source, tmp, clips, settings, threads=threads, **common)

    return build


def _run_jobs(
    jobs: Sequence[_Job],
    ffmpeg: str,
    info: MediaInfo,
    settings: RenderSettings,
    encoder: str,
    origin: float,
    report: RenderReport,
    progress: bool,
) -> dict[int, Path]:
    """Run the jobs in parallel; failures go into ``report``; return what was written."""
    done: dict[int, Path] = {}
    if not jobs:
        return done
    n_cores = cores()
    workers = max(1, min(settings.jobs or n_cores, len(jobs)))
    # Share the cores between parallel encodes rather than letting each x264 claim them all
    # (cores x cores threads on a big machine); two at least, as a single-threaded x264 also
    # loses its lookahead thread and stalls.
    threads = max(2, -(-n_cores // workers))
    runner = _Encoder(ffmpeg, info, settings, threads)
    runner.encoder = encoder
    runner.origin = origin
    jobs = [
        _Job(j.turn, j.output, j.n_frames, j.start, _with_threads(j.args, threads), j.review)
        if j.args is not None
        else j
        for j in jobs
    ]
    bar = tqdm(total=len(jobs), unit="file", desc="render", disable=not progress)
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="render")
    # The longest first: a long encode started last would run alone at the end.
    order = sorted(range(len(jobs)), key=lambda i: -jobs[i].n_frames)
    try:
        futures: dict[Future[Path], int] = {pool.submit(runner.encode, jobs[i]): i for i in order}
        for future in as_completed(futures):
            i = futures[future]
            try:
                done[i] = future.result()
            except _EncodeError as exc:
                report.failures.append((jobs[i].turn, str(exc)))
            except OSError as exc:
                if exc.errno in WRITE_ERRNOS:
                    raise  # a full disk: the run stops, leaving nothing
                report.failures.append((jobs[i].turn, f"{type(exc).__name__}: {exc}"))
            bar.update(1)
    except BaseException:
        # Interrupted: stop every running ffmpeg; each worker then removes its temporary file.
        runner.stop()
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    finally:
        pool.shutdown(wait=True)
        bar.close()
    return done


def _with_threads(
    build: Callable[..., list[str]] | None, threads: int
) -> Callable[[Path], list[str]]:
    assert build is not None
    return lambda tmp: build(tmp, threads)
