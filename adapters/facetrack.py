"""OpenTimelineIO adapter: a video file in, the speaker timeline out; and clips rendered out.

Reading runs the whole facetrack analysis and returns the timeline ``facetrack run`` writes
(see docs/editors.md)::

    otio.adapters.read_from_file("talk.mp4", adapter_name="facetrack", names="1=Alice,2=Bob")
    otio.adapters.read_from_file("talk.mp4")  # mp4, mov, m4v, mkv, avi, webm: found by suffix

Adapter arguments of the reader (all optional; ``otioconvert -a KEY=VALUE``): ``device``,
``embedder_weights``, ``names`` (a mapping or ``"1=Alice,2=Bob"``), ``audio_stream``,
``tracker``, ``max_fps``, ``max_side``. They mean what the options of ``facetrack run`` mean.

Writing renders one mp4 per speaker turn of a facetrack timeline with ffmpeg into a folder::

    otio.adapters.write_to_file(timeline, "clips/", adapter_name="facetrack")

``filepath`` is the folder; a name ending in a video suffix (``clips.mp4``, as ``otioconvert
-o`` needs one to pick this adapter) stands for the folder of that name without the suffix.
Writer arguments: ``crf``, ``preset``, ``pad``, ``jobs`` (as for ``facetrack render``).

The plugin has no hooks and no media linker, on purpose. The reader already points every clip
at the analysed file by absolute URL, so there is nothing left for a linker to find; and hooks
run on every read and write of every OTIO program on the machine, so one here would touch
other people's timelines to fix nothing in ours. OTIO's own writers (``fcpx_xml``,
``fcp_xml``, ``cmx_3600``) see the plain timeline; facetrack's writers ``facetrack_fcpxml``,
``facetrack_fcp7`` and ``facetrack_edl`` (``otioconvert -O ...``), the same code as
``facetrack export``, add what they miss, for any timeline.

OTIO loads this file as ``opentimelineio.adapters.facetrack``: imports here are absolute.
"""

from __future__ import annotations

import functools
import os
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import opentimelineio as otio

from facetrack_otio.config import Settings, updated
from facetrack_otio.errors import InputError, ToolError
from facetrack_otio.exports.otio_adapter import refuse_unknown
from facetrack_otio.faces.tracker import TRACKERS
from facetrack_otio.pipeline import SpeakerPipeline
from facetrack_otio.render.clips import RenderSettings, render_turns
from facetrack_otio.render.timeline import reframe_keyframes, render_settings_for
from facetrack_otio.timeline.names import parse_names
from facetrack_otio.timeline.read import speaker_data

# The suffixes listed in plugin_manifest.json: a writer path ending in one names a folder.
VIDEO_SUFFIXES = (".mp4", ".mov", ".m4v", ".mkv", ".avi", ".webm")
READ_ARGS = (
    "device",
    "embedder_weights",
    "names",
    "audio_stream",
    "tracker",
    "max_fps",
    "max_side",
)
WRITE_ARGS = ("crf", "preset", "pad", "jobs", "per", "aspect", "segment", "annotate", "encoder")

_LOCK = threading.Lock()


@functools.cache
def _pipeline(settings: Settings) -> SpeakerPipeline:
    # One pipeline (and so one set of models) per distinct settings, for the process.
    return SpeakerPipeline(settings)


def _number(name: str, value: Any, kind: type, minimum: float) -> Any:
    # otioconvert passes "-a max_fps=10" as 10 but "-a max_fps=ten" as the string "ten".
    try:
        number = kind(value)
        if isinstance(value, bool) or (kind is int and number != float(value)):
            raise ValueError
    except (TypeError, ValueError):
        raise InputError(
            f"facetrack adapter: {name} must be {'a whole number' if kind is int else 'a number'}"
            f", got {value!r}"
        ) from None
    if not number >= minimum:
        raise InputError(f"facetrack adapter: {name} must be at least {minimum}, got {value!r}")
    return number


def parse_names_argument(value: Any) -> dict[int, str]:
    """The ``names`` adapter argument as person id to name.

    Parameters
    ----------
    value : mapping, str, sequence of str or None
        ``{1: "Alice"}``, ``"1=Alice,2=Bob"`` or ``["1=Alice", "2=Bob"]``.

    Returns
    -------
    dict of int to str

    Raises
    ------
    InputError
        On an item that is not ``ID=NAME`` (see :func:`facetrack_otio.timeline.parse_names`).
    """
    if value is None:
        return {}
    if isinstance(value, Mapping):
        items = [f"{k}={v}" for k, v in value.items()]
    elif isinstance(value, str):
        items = value.split(",")
    elif isinstance(value, (list, tuple)):
        items = [str(v) for v in value]
    else:
        raise InputError(f"facetrack adapter: names must be like '1=Alice,2=Bob', got {value!r}")
    return parse_names([i.strip() for i in items if i.strip()])


def settings_from_arguments(
    device: str | None = None,
    embedder_weights: str | os.PathLike[str] | None = None,
    audio_stream: Any = 0,
    tracker: str | None = None,
    max_fps: Any = None,
    max_side: Any = None,
) -> Settings:
    """Analysis settings from the reader's adapter arguments (``None``: the default).

    Parameters
    ----------
    device : str, optional
        ``auto``, ``cpu``, ``cuda``, ``cuda:1``, ``mps``.
    embedder_weights : str or os.PathLike, optional
        InceptionResnetV1 VGGFace2 weights file.
    audio_stream : int
        Which audio stream to listen to.
    tracker : str, optional
        ``template``, ``mosse``, ``kcf``, ``csrt`` or ``none``.
    max_fps : float, optional
        Analysis frame rate cap.
    max_side : int, optional
        Analysis size: longest side in pixels.

    Returns
    -------
    Settings

    Raises
    ------
    InputError
        On a value of the wrong type or out of range.
    """
    faces: dict[str, Any] = {}
    if device is not None:
        faces["device"] = str(device)
    if embedder_weights is not None:
        faces["embedder_weights"] = os.fspath(embedder_weights)
    if tracker is not None:
        if tracker not in TRACKERS:
            raise InputError(
                f"facetrack adapter: tracker must be one of {', '.join(TRACKERS)}, got {tracker!r}"
            )
        faces["tracker"] = tracker
    if max_fps is not None:
        faces["max_fps"] = _number("max_fps", max_fps, float, 0.1)
    if max_side is not None:
        faces["max_side"] = _number("max_side", max_side, int, 32)
    stream = _number("audio_stream", 0 if audio_stream is None else audio_stream, int, 0)
    return updated(Settings(), {"faces": faces, "audio_stream": stream})


# Every argument is a named parameter (not **kwargs) so that `otiopluginfo` lists them.
def read_from_file(
    filepath: str | os.PathLike[str],
    device: str | None = None,
    embedder_weights: str | os.PathLike[str] | None = None,
    names: Any = None,
    audio_stream: Any = 0,
    tracker: str | None = None,
    max_fps: Any = None,
    max_side: Any = None,
    **unknown: Any,
) -> otio.schema.Timeline:
    """Analyse a video and return its speaker timeline.

    Parameters
    ----------
    filepath : str or os.PathLike
        The video file.
    device : str, optional
        Where the face models run: ``auto`` (CUDA, then MPS, then CPU), ``cpu``, ``cuda``...
    embedder_weights : str or os.PathLike, optional
        InceptionResnetV1 VGGFace2 weights; without them the built-in descriptor is used.
    names : mapping or str, optional
        People's names by id: ``{1: "Alice"}`` or ``"1=Alice,2=Bob"``.
    audio_stream : int
        Which audio stream to listen to (0: the first).
    tracker : str, optional
        OpenCV tracker between detections: ``mosse``, ``kcf`` (default), ``csrt``, ``none``.
    max_fps : float, optional
        Analysis frame rate cap (default 12.5).
    max_side : int, optional
        Analysis size: longest side in pixels (default 640).
    **unknown
        Refused, with the list of known arguments.

    Returns
    -------
    opentimelineio.schema.Timeline
        The speaker timeline: Program, one track per speaker, the source audio, markers and
        ``metadata["facetrack"]``.

    Raises
    ------
    InputError
        On an unknown or bad argument, or a file that is missing or not a video.
    """
    refuse_unknown("facetrack", "reader", unknown, READ_ARGS)
    people = parse_names_argument(names)
    settings = settings_from_arguments(
        device, embedder_weights, audio_stream, tracker, max_fps, max_side
    )
    pipeline = _pipeline(settings)
    # The cached pipeline is shared: names are set and used under one lock.
    with _LOCK:
        pipeline.names = people
        return pipeline(os.fspath(filepath)).timeline()


def clips_folder(filepath: str | os.PathLike[str]) -> Path:
    """The folder the writer renders into for ``filepath``.

    Parameters
    ----------
    filepath : str or os.PathLike
        A folder, or a name with a video suffix (``clips.mp4`` gives ``clips``).

    Returns
    -------
    pathlib.Path
    """
    out = Path(filepath)
    # Only a video suffix is dropped: a folder called "take.2" stays "take.2".
    if out.suffix.lower() in VIDEO_SUFFIXES:
        out = out.with_suffix("")
    return out


def write_to_file(
    input_otio: otio.schema.Timeline,
    filepath: str | os.PathLike[str],
    crf: Any = None,
    preset: str | None = None,
    pad: Any = None,
    jobs: Any = None,
    per: str | None = None,
    aspect: str | None = None,
    segment: Any = None,
    annotate: Any = None,
    encoder: str | None = None,
    **unknown: Any,
) -> None:
    """Render the speaker clips of a facetrack timeline into a folder.

    Clips are named ``0001_speaker-1_00m00s.mp4`` (H.264/AAC, ``+faststart``), each cut to its
    turn on the source's frame grid; with ``per="speaker"``, ``speaker-1.mp4`` holds all of a
    person's turns. A clip that fails leaves no file.

    Parameters
    ----------
    input_otio : opentimelineio.schema.Timeline
        A timeline made by facetrack (its metadata holds the turns and the source).
    filepath : str or os.PathLike
        Output folder, created when missing (see :func:`clips_folder`).
    crf : int, optional
        x264 constant rate factor, 0..51 (default 20).
    preset : str, optional
        x264 preset (default ``veryfast``).
    pad : float, optional
        Seconds added before and after each turn.
    jobs : int, optional
        Parallel encodes (default: one per core).
    per : str, optional
        ``turn`` (default) or ``speaker``.
    aspect : str, optional
        ``source`` (default), ``16:9``, ``9:16``, ``1:1`` or ``4:5``: a crop of that shape
        following the speaker's face.
    segment : float, optional
        Longest clip in seconds; longer turns are split (default: no split).
    annotate : bool, optional
        Also write ``NAME.review.mp4``, the whole video with face boxes and who speaks.
    encoder : str, optional
        ``auto`` (default), ``libx264`` or ``h264_nvenc``.
    **unknown
        Refused, with the list of known arguments.

    Raises
    ------
    InputError
        When the timeline is not facetrack's, its source is missing, an argument is bad, or
        the folder cannot be written.
    ToolError
        When a clip fails to render (the others are still written), or NVENC is asked for
        where it does not work.
    """
    refuse_unknown("facetrack", "writer", unknown, WRITE_ARGS)
    if not isinstance(input_otio, otio.schema.Timeline):
        raise InputError("facetrack adapter: the writer renders a timeline made by facetrack")
    data = speaker_data(input_otio)
    values: dict[str, Any] = {
        "crf": crf,
        "preset": preset,
        "pad": pad,
        "jobs": jobs,
        "per": per,
        "aspect": aspect,
        "encoder": encoder,
    }
    if segment is not None:
        values["segment"] = _number("segment", segment, float, 0)
    if annotate is not None:
        # otioconvert passes "-A annotate=true" as a string.
        values["annotate"] = str(annotate).strip().lower() in ("1", "true", "yes", "on")
    try:
        settings = RenderSettings(**{k: v for k, v in values.items() if v is not None})
    except (TypeError, ValueError) as exc:
        raise InputError(f"facetrack adapter: {exc}") from None
    # The clips carry the audio stream the analysis listened to.
    settings = render_settings_for(data, settings)
    out = clips_folder(filepath)
    try:
        report = render_turns(
            data.info,
            data.turns,
            data.people,
            out,
            settings,
            progress=False,
            reframe=reframe_keyframes(input_otio),
        )
    except OSError as exc:
        raise InputError(f"{out}: cannot write the clips ({exc.strerror or exc})") from None
    if report.failures:
        turn, why = report.failures[0]
        raise ToolError(
            f"{len(report.failures)} clip(s) failed, the first at {turn.start:.2f}s: {why}"
        )
