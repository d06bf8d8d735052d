"""OpenTimelineIO adapter: FCPXML 1.8 for Final Cut Pro and DaVinci Resolve, from any timeline.

The same writer as ``facetrack export -f fcpxml`` (:mod:`facetrack_otio.exports.fcpxml`):
exact NTSC frame durations, every time on a frame, the start timecode, percent-encoded media
paths, clip names, lanes for the other tracks, transitions and markers kept. It writes any
OTIO timeline, not only facetrack's, and is found by name (``.fcpxml`` stays OTIO's own
``fcpx_xml``; see docs/editors.md)::

    otioconvert -i talk.mp4 -o talk.fcpxml -O facetrack_fcpxml
    otioconvert -i cut.otio -o cut.fcpxml -O facetrack_fcpxml -A drop_frame=true
    otio.adapters.write_to_file(timeline, "cut.fcpxml", adapter_name="facetrack_fcpxml")

Writer argument (``-A``): ``drop_frame`` (``auto``, ``true`` or ``false``): drop-frame
timecode at 29.97 and 59.94 fps; by default as the source's timecode is.

OTIO loads this file as ``opentimelineio.adapters.facetrack_fcpxml``: imports here are
absolute.
"""

from __future__ import annotations

import os
from typing import Any

import opentimelineio as otio

from facetrack_otio.exports import fcpxml
from facetrack_otio.exports.otio_adapter import export_text, write_text

NAME = "facetrack_fcpxml"


def write_to_string(
    input_otio: otio.schema.Timeline, drop_frame: Any = None, **unknown: Any
) -> str:
    """The timeline (or the one timeline of a collection) as FCPXML 1.8 text.

    ``drop_frame``: ``auto`` (default), ``true`` or ``false``; any other argument is refused
    (``InputError``), as is a timeline FCPXML export cannot hold (no video track, a nested
    composition).
    """
    options = {"drop_frame": drop_frame}
    return export_text(NAME, fcpxml.to_string, input_otio, options, unknown)


def write_to_file(
    input_otio: otio.schema.Timeline,
    filepath: str | os.PathLike[str],
    drop_frame: Any = None,
    **unknown: Any,
) -> None:
    """Write :func:`write_to_string`'s text to ``filepath``, whole or not at all."""
    write_text(filepath, write_to_string(input_otio, drop_frame, **unknown))
