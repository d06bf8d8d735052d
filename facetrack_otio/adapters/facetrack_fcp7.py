"""OpenTimelineIO adapter: FCP7 XML (xmeml) for Premiere Pro and DaVinci Resolve, any timeline.

The same writer as ``facetrack export -f fcp7`` (:mod:`facetrack_otio.exports.fcp7`): OTIO's
``fcp_xml`` writer, then put right for Premiere: NTSC rates flagged, timecode drop-frame only
where it should be, clip markers counted from the start of the media, plain file names beside
percent-encoded paths, every track kept, media without a file (an EDL's reels) written as
offline files. It writes any OTIO timeline, not only facetrack's, and is found by name
(``.xml`` stays OTIO's own ``fcp_xml``; see docs/editors.md)::

    otioconvert -i talk.mp4 -o talk.xml -O facetrack_fcp7
    otioconvert -i cut.edl -a rate=29.97 -o cut.xml -O facetrack_fcp7

Writer argument (``-A``): ``drop_frame`` (``auto``, ``true`` or ``false``): drop-frame
timecode at 29.97 and 59.94 fps; by default as the source's timecode is.

OTIO loads this file as ``opentimelineio.adapters.facetrack_fcp7``: imports here are absolute.
"""

from __future__ import annotations

import os
from typing import Any

import opentimelineio as otio

from facetrack_otio.exports import fcp7
from facetrack_otio.exports.otio_adapter import export_text, write_text

NAME = "facetrack_fcp7"


def write_to_string(
    input_otio: otio.schema.Timeline, drop_frame: Any = None, **unknown: Any
) -> str:
    """The timeline (or the one timeline of a collection) as FCP7 XML text, every track.

    ``drop_frame``: ``auto`` (default), ``true`` or ``false``; any other argument is refused
    (``InputError``), as is a rate without SMPTE timecode (such as 15 fps).
    """
    options = {"drop_frame": drop_frame}
    return export_text(NAME, fcp7.to_string, input_otio, options, unknown)


def write_to_file(
    input_otio: otio.schema.Timeline,
    filepath: str | os.PathLike[str],
    drop_frame: Any = None,
    **unknown: Any,
) -> None:
    """Write :func:`write_to_string`'s text to ``filepath``, whole or not at all."""
    write_text(filepath, write_to_string(input_otio, drop_frame, **unknown))
