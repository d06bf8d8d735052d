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

import logging
import os
import shutil
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import numpy as np

from facetrack_otio.errors import MediaError
from facetrack_otio.media.probe import MediaInfo, require_tool
from facetrack_otio.outputs import review_name
from facetrack_otio.render import plan
from facetrack_otio.render.encoders import resolve_encoder
from facetrack_otio.render.ffmpeg import ClipRange, ffmpeg_args, frame_range, joined_args
from facetrack_otio.render.pool import Job, run_jobs
from facetrack_otio.render.reframe import (
    CropPath,
    ReframeSettings,
    crop_filter,
    crop_path,
    join_paths,
    parse_aspect,
)
from facetrack_otio.render.settings import RenderSettings
from facetrack_otio.render.timing import video_timing
from facetrack_otio.speakers.turns import Person, SpeakerTurn

# What other modules take from here: the render stage's entry and its settings.
__all__ = [
    "ClipRange",
    "RenderReport",
    "RenderSettings",
    "clip_name",
    "ffmpeg_args",
    "frame_range",
    "joined_args",
    "render_turns",
]

log = logging.getLogger(__name__)


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
    ffmpeg = require_tool("ffmpeg")
    ffprobe = require_tool("ffprobe")
    _check_source(info, settings)
    encoder = resolve_encoder(settings.encoder, ffmpeg)
    if settings.encoder == "auto":
        why = "an NVIDIA GPU's NVENC" if encoder == "h264_nvenc" else "no working NVENC here"
        log.info("encoder auto: %s (%s)", encoder, why)
    out = Path(outdir).resolve()
    out.mkdir(parents=True, exist_ok=True)
    by_id = _people_by_id(people)
    timing = video_timing(info, ffprobe)
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
    jobs: list[Job] = []
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
                Job(
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
            jobs.append(Job(whole, out / name, total, 0.0, review=annotator))
        done = run_jobs(
            jobs, ffmpeg, info, settings, encoder, timing.origin, report.failures, progress
        )
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
