"""OpenTimelineIO adapter: a video file in, the speaker timeline out; and clips rendered out.

Reading runs the whole facetrack analysis and returns the timeline ``facetrack run`` writes
(see docs/editors.md)::

    otio.adapters.read_from_file("talk.mp4", adapter_name="facetrack", names="1=Alice,2=Bob")
    otio.adapters.read_from_file("talk.mp4")  # mp4, mov, m4v, mkv, avi, webm: found by suffix

Adapter arguments of the reader (all optional; ``otioconvert -a KEY=VALUE``): ``names`` (a
mapping or ``"1=Alice,2=Bob"``) and the analysis settings declared with a reader argument
(:data:`READ_ARGS`: ``device``, ``max_fps``, ``audio_stream``...; ``otiopluginfo facetrack``
lists them). They mean what the options of ``facetrack run`` of the same names mean.

Writing renders one mp4 per speaker turn of a facetrack timeline with ffmpeg into a folder::

    otio.adapters.write_to_file(timeline, "clips/", adapter_name="facetrack")

``filepath`` is the folder; a name ending in a video suffix (``clips.mp4``, as ``otioconvert
-o`` needs one to pick this adapter) stands for the folder of that name without the suffix.
Writer arguments: the render settings declared with a writer argument (:data:`WRITE_ARGS`:
``crf``, ``preset``, ``pad``, ``jobs``...), as the options of ``facetrack render``.

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

from facetrack_otio.adapters.arguments import argument_names, settings_from, with_arguments
from facetrack_otio.config import Settings
from facetrack_otio.errors import InputError, ToolError
from facetrack_otio.exports.otio_adapter import refuse_unknown
from facetrack_otio.pipeline import SpeakerPipeline
from facetrack_otio.render.clips import render_turns
from facetrack_otio.render.timeline import reframe_keyframes, render_settings_for
from facetrack_otio.setting import READ, WRITE
from facetrack_otio.timeline.names import parse_names
from facetrack_otio.timeline.read import speaker_data

# The suffixes listed in plugin_manifest.json: a writer path ending in one names a folder.
VIDEO_SUFFIXES = (".mp4", ".mov", ".m4v", ".mkv", ".avi", ".webm")
READ_ARGS = ("names", *argument_names(READ))
WRITE_ARGS = argument_names(WRITE)

_LOCK = threading.Lock()


@functools.cache
def _pipeline(settings: Settings) -> SpeakerPipeline:
    # One pipeline (and so one set of models) per distinct settings, for the process.
    return SpeakerPipeline(settings)


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


def settings_from_arguments(**arguments: Any) -> Settings:
    """Analysis settings from the reader's adapter arguments (None: the default).

    Parameters
    ----------
    **arguments
        Any of :data:`READ_ARGS` but ``names``, as ``otioconvert -a`` passes them (``10``,
        ``"480"``).

    Returns
    -------
    Settings

    Raises
    ------
    InputError
        On a value of the wrong type or out of range.
    """
    return settings_from(READ, arguments)


# Every argument is a named parameter of the signature (with_arguments, below) so that
# `otiopluginfo` lists them.
def read_from_file(
    filepath: str | os.PathLike[str], names: Any = None, **arguments: Any
) -> otio.schema.Timeline:
    """Analyse a video and return its speaker timeline.

    Parameters
    ----------
    filepath : str or os.PathLike
        The video file.
    names : mapping or str, optional
        People's names by id: ``{1: "Alice"}`` or ``"1=Alice,2=Bob"``.
    {arguments}
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
    refuse_unknown("facetrack", "reader", _unknown(arguments, READ_ARGS), READ_ARGS)
    people = parse_names_argument(names)
    pipeline = _pipeline(settings_from_arguments(**arguments))
    # The cached pipeline is shared: names are set and used under one lock.
    with _LOCK:
        pipeline.names = people
        return pipeline(os.fspath(filepath)).timeline()


with_arguments(read_from_file, READ, ("filepath", "names"))


def _unknown(given: dict[str, Any], known: tuple[str, ...]) -> dict[str, Any]:
    return {k: v for k, v in given.items() if k not in known}


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
    input_otio: otio.schema.Timeline, filepath: str | os.PathLike[str], **arguments: Any
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
    {arguments}
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
    refuse_unknown("facetrack", "writer", _unknown(arguments, WRITE_ARGS), WRITE_ARGS)
    if not isinstance(input_otio, otio.schema.Timeline):
        raise InputError("facetrack adapter: the writer renders a timeline made by facetrack")
    data = speaker_data(input_otio)
    settings = settings_from(WRITE, arguments).render
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


with_arguments(write_to_file, WRITE, ("input_otio", "filepath"))
