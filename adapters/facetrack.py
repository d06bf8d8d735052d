"""OpenTimelineIO adapter: a video file in, the speaker timeline out; and clips rendered out.

Reading runs the whole facetrack analysis::

    otio.adapters.read_from_file("talk.mp4", adapter_name="facetrack", names="1=Alice,2=Bob")

Adapter arguments (all optional): ``device``, ``embedder_weights``, ``names`` (a mapping or
``"1=Alice,2=Bob"``), ``audio_stream``, ``tracker``, ``max_fps``, ``max_side``.

Writing renders one mp4 per speaker turn of a facetrack timeline with ffmpeg into a folder
(``filepath`` is the folder; a path with a video suffix uses the folder of that name without
its suffix)::

    otio.adapters.write_to_file(timeline, "clips/", adapter_name="facetrack")

OTIO loads this file as ``opentimelineio.adapters.facetrack``: imports here are absolute.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import opentimelineio as otio

from facetrack_otio.config import Settings, updated
from facetrack_otio.errors import InputError
from facetrack_otio.pipeline import SpeakerPipeline
from facetrack_otio.render.clips import RenderSettings, render_turns
from facetrack_otio.timeline.names import parse_names
from facetrack_otio.timeline.read import speaker_data

_FACE_ARGS = ("device", "embedder_weights", "tracker", "max_fps", "max_side")


@functools.cache
def _pipeline(settings: Settings) -> SpeakerPipeline:
    # One pipeline (and so one set of models) per distinct settings, for the process.
    return SpeakerPipeline(settings)


def _names(value: Any) -> dict[int, str]:
    if value is None:
        return {}
    if isinstance(value, Mapping):
        return {int(k): str(v) for k, v in value.items()}
    items = value.split(",") if isinstance(value, str) else list(value)
    return parse_names([i.strip() for i in items if i.strip()])


def read_from_file(filepath: str | os.PathLike[str], **kwargs: Any) -> otio.schema.Timeline:
    """Analyse a video and return its speaker timeline.

    Parameters
    ----------
    filepath : str or os.PathLike
        The video file.
    **kwargs
        Analysis settings: device, embedder_weights, tracker, max_fps, max_side,
        audio_stream, names.

    Returns
    -------
    opentimelineio.schema.Timeline
    """
    unknown = set(kwargs) - {*_FACE_ARGS, "audio_stream", "names"}
    if unknown:
        raise InputError(f"unknown facetrack adapter argument(s): {', '.join(sorted(unknown))}")
    faces = {k: kwargs[k] for k in _FACE_ARGS if kwargs.get(k) is not None}
    settings = updated(
        Settings(), {"faces": faces, "audio_stream": int(kwargs.get("audio_stream", 0))}
    )
    pipeline = _pipeline(settings)
    pipeline.names = _names(kwargs.get("names"))
    return pipeline(os.fspath(filepath)).timeline()


def write_to_file(
    input_otio: otio.schema.Timeline, filepath: str | os.PathLike[str], **kwargs: Any
) -> None:
    """Render one clip per speaker turn of a facetrack timeline into a folder.

    Parameters
    ----------
    input_otio : opentimelineio.schema.Timeline
        A timeline made by facetrack (its metadata holds the turns and the source).
    filepath : str or os.PathLike
        Output folder (a name with a suffix such as ``out.mp4`` uses ``out/``).
    **kwargs
        Render settings: crf, preset, pad, jobs.
    """
    data = speaker_data(input_otio)
    out = Path(filepath)
    if out.suffix:
        out = out.with_suffix("")
    try:
        settings = RenderSettings(**kwargs)
    except (TypeError, ValueError) as exc:
        raise InputError(f"facetrack render arguments: {exc}") from None
    report = render_turns(data.info, data.turns, data.people, out, settings, progress=False)
    if report.failures:
        turn, why = report.failures[0]
        raise InputError(
            f"{len(report.failures)} clip(s) failed, first at {turn.start:.2f}s: {why}"
        )
