"""Render one mp4 per speaker turn with ffmpeg.

Each turn is cut on the source's frame grid: its start and end are rounded to the nearest
frame boundary, the clip holds exactly the frames in between (re-timed to the constant nominal
rate, so a variable-frame-rate source still gives clips of the expected length), and the audio
is cut at the same instant. Encodes run in parallel, one ffmpeg process per clip, each writing
to a temporary name that is renamed only once ffmpeg has succeeded.

The ffmpeg command for one clip is built by :func:`ffmpeg_args` alone, which accepts an optional
video filter string; a per-clip crop or reframe (e.g. a 9:16 window following a face) plugs in
there without touching the rest.
"""

from __future__ import annotations

import json
import os
import subprocess
import threading
from collections.abc import Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

from tqdm import tqdm

from facetrack_otio.errors import MediaError
from facetrack_otio.fsutil import atomic_path
from facetrack_otio.media.probe import MediaInfo, _require
from facetrack_otio.speakers.turns import Person, SpeakerTurn, default_name

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
    """

    crf: int = 20
    preset: str = "veryfast"
    pad: float = 0.0
    jobs: int | None = None
    audio_bitrate: str = "160k"
    audio_stream: int = 0

    def __post_init__(self) -> None:
        if not 0 <= self.crf <= 51:
            raise ValueError(f"crf must be in 0..51, got {self.crf}")
        if self.preset not in X264_PRESETS:
            raise ValueError(
                f"unknown x264 preset {self.preset!r}; one of {', '.join(X264_PRESETS)}"
            )
        if not self.pad >= 0:
            raise ValueError(f"pad must be >= 0 seconds, got {self.pad}")
        if self.jobs is not None and self.jobs < 1:
            raise ValueError(f"jobs must be >= 1 (or None for one per core), got {self.jobs}")
        if self.audio_stream < 0:
            raise ValueError(f"audio_stream must be >= 0, got {self.audio_stream}")


@dataclass
class RenderReport:
    """What :func:`render_turns` produced.

    Attributes
    ----------
    outputs : list of Path
        The clips written (absolute paths), in time order.
    failures : list of (SpeakerTurn, str)
        Turns that gave no clip, each with a one-line reason.
    """

    outputs: list[Path] = field(default_factory=list)
    failures: list[tuple[SpeakerTurn, str]] = field(default_factory=list)

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

    Returns
    -------
    list of str
        Arguments for :func:`subprocess.run` (never a shell string).
    """
    # A hair before the first frame, so a frame whose timestamp is rounded a little early in
    # the container still counts; far less than a frame, and inaudible.
    nudge = min(Fraction(1, 500), 1 / (4 * clip.fps))
    seek = max(Fraction(0), Fraction(clip.origin) + clip.first_frame / clip.fps - nudge)
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
    args += [
        "-vf",
        chain,
        "-c:v",
        "libx264",
        "-preset",
        settings.preset,
        "-crf",
        str(settings.crf),
        "-pix_fmt",
        "yuv420p",
        "-r",
        rate,
        "-threads",
        str(threads),
    ]
    if audio:
        args += ["-c:a", "aac", "-b:a", settings.audio_bitrate]
    args += [
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
    return args


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


def _short(stderr: bytes, returncode: int, clip: ClipRange) -> str:
    """One line from ffmpeg's stderr: its last message, truncated."""
    lines = [ln.strip() for ln in stderr.decode(errors="replace").splitlines() if ln.strip()]
    tail = lines[-1] if lines else "no message"
    if tail == "Empty output":
        return f"no frames could be decoded from {clip.start:.3f} s on (damaged or truncated file?)"
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


@dataclass(frozen=True)
class _Job:
    turn: SpeakerTurn
    output: Path
    clip: ClipRange
    video_filter: str | None = None


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

    def encode(self, job: _Job) -> Path:
        with atomic_path(job.output) as tmp:
            args = ffmpeg_args(
                self.info.path,
                tmp,
                job.clip,
                self.settings,
                audio=self.info.has_audio,
                video_filter=job.video_filter,
                threads=self.threads,
                ffmpeg=self.ffmpeg,
            )
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
                raise _EncodeError(_short(err, proc.returncode, job.clip))
            frames = _frames_written(progress)
            # One frame of slack: a variable-rate source may lack the frame at the very end.
            if frames is not None and frames < job.clip.n_frames - 1:
                raise _EncodeError(
                    f"source ended early: {frames} of {job.clip.n_frames} frames "
                    f"(damaged or truncated file?)"
                )
        return job.output

    def stop(self) -> None:
        with self._lock:
            self.cancelled.set()
            for proc in self._running:
                proc.kill()


def _people_by_id(people: Mapping[int, Person] | Sequence[Person]) -> dict[int, Person]:
    if isinstance(people, Mapping):
        return dict(people)
    return {p.id: p for p in people}


def render_turns(
    info: MediaInfo,
    turns: Sequence[SpeakerTurn],
    people: Mapping[int, Person] | Sequence[Person],
    outdir: str | os.PathLike[str],
    settings: RenderSettings = RenderSettings(),
    progress: bool = True,
) -> RenderReport:
    """Render one mp4 per speaker turn.

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
        Cut and encoder settings.
    progress : bool
        Show a progress bar on stderr.

    Returns
    -------
    RenderReport
        The clips written (in time order) and the turns that failed, each with a reason.

    Raises
    ------
    ToolError
        When ffmpeg or ffprobe is not installed.
    MediaError
        When the source file has gone, or the requested audio stream does not exist.

    Notes
    -----
    Each clip is H.264 (libx264, yuv420p, ``settings.preset``/``settings.crf``) with AAC audio
    when the source has audio, and ``+faststart``. Its start and end are rounded to the nearest
    source frame boundary, so its length is within one frame of the turn (plus pads, clamped to
    the source). A failed encode leaves no file and does not stop the others.
    """
    ffmpeg = _require("ffmpeg")
    ffprobe = _require("ffprobe")
    if not Path(info.path).is_file():
        raise MediaError(f"{info.path}: no such file")
    if info.has_audio and settings.audio_stream not in info.audio_streams:
        raise MediaError(
            f"{info.path}: no audio stream {settings.audio_stream} "
            f"(it has {len(info.audio_streams)})"
        )
    out = Path(outdir).resolve()
    out.mkdir(parents=True, exist_ok=True)
    by_id = _people_by_id(people)
    timing = _video_timing(info, ffprobe)

    report = RenderReport()
    jobs: list[_Job] = []
    ordered = sorted(turns, key=lambda t: (t.start, t.end, t.speaker))
    for index, turn in enumerate(ordered, 1):
        person = by_id.get(turn.speaker) or Person(turn.speaker, default_name(turn.speaker))
        try:
            clip = frame_range(
                turn.start - settings.pad,
                turn.end + settings.pad,
                info.fps,
                origin=timing.origin,
                limit=timing.video_end,
            )
        except ValueError as exc:
            report.failures.append((turn, str(exc)))
            continue
        jobs.append(_Job(turn, out / clip_name(index, turn, person), clip))

    cores = os.cpu_count() or 1
    workers = max(1, min(settings.jobs or cores, len(jobs)))
    # Share the cores between parallel encodes rather than letting each x264 claim them all
    # (cores x cores threads on a big machine); two at least, as a single-threaded x264 also
    # loses its lookahead thread and stalls.
    threads = max(2, -(-cores // workers))
    encoder = _Encoder(ffmpeg, info, settings, threads)
    done: dict[int, Path] = {}
    bar = tqdm(total=len(jobs), unit="clip", desc="render", disable=not progress)
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="render")
    try:
        futures: dict[Future[Path], int] = {
            pool.submit(encoder.encode, j): i for i, j in enumerate(jobs)
        }
        for future in as_completed(futures):
            i = futures[future]
            try:
                done[i] = future.result()
            except _EncodeError as exc:
                report.failures.append((jobs[i].turn, str(exc)))
            except OSError as exc:
                report.failures.append((jobs[i].turn, f"{type(exc).__name__}: {exc}"))
            bar.update(1)
    except BaseException:
        # Interrupted: stop every running ffmpeg; each worker then removes its temporary file.
        encoder.stop()
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    finally:
        pool.shutdown(wait=True)
        bar.close()

    report.outputs = [done[i] for i in sorted(done)]
    report.failures.sort(key=lambda f: (f[0].start, f[0].end))
    return report
