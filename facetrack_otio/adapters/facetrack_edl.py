"""OpenTimelineIO adapter: CMX 3600 EDLs, read at their exact rate and written from any timeline.

The same writer as ``facetrack export -f edl`` (:mod:`facetrack_otio.exports.edl`): OTIO's
``cmx_3600`` writer at the timeline's exact rate, then timecode drop-frame only where it should
be, with an ``FCM:`` line, record timecode from the timeline's start, reels without spaces and
a ``SOURCE FILE`` comment to relink by. An EDL holds one video track: this writes facetrack's
program (else the first; ``facetrack export`` writes one EDL per video track), or the one
``track`` names. It writes any OTIO timeline, not only facetrack's.

It also reads, with OTIO's own ``cmx_3600`` reader at the exact timecode rate of the ``rate``
given (``29.97`` is 30000/1001, which OTIO alone refuses), so it claims the ``.edl`` suffix
without taking reading away from ``cmx_3600`` (see docs/editors.md)::

    otioconvert -i cut.edl -a rate=29.97 -o cut.xml -O facetrack_fcp7

    otioconvert -i talk.mp4 -o talk.edl -O facetrack_edl
    otioconvert -i cut.otio -o broll.edl -O facetrack_edl -A track=2

Writer arguments (``-A``): ``track``, the video track's number from 1 (or ``V2``) or its
name; ``drop_frame`` (``auto``, ``true`` or ``false``): drop-frame timecode at 29.97 and
59.94 fps, by default as the source's timecode is. Reader arguments (``-a``): ``rate``
(24 by default, as ``cmx_3600``) and ``cmx_3600``'s own ``ignore_timecode_mismatch``:
``otio.adapters.read_from_file(path, rate=29.97)``.

OTIO loads this file as ``opentimelineio.adapters.facetrack_edl``: imports here are absolute.
"""

from __future__ import annotations

import os
from typing import Any

import opentimelineio as otio

from facetrack_otio.exports import edl
from facetrack_otio.exports.otio_adapter import export_text, write_text

NAME = "facetrack_edl"


def read_from_string(input_str: str, rate: Any = 24, **options: Any) -> otio.schema.Timeline:
    """The EDL text as a timeline (OTIO's ``cmx_3600`` at the exact rate of ``rate``)."""
    return edl.read_text(input_str, rate, **options)


def read_from_file(
    filepath: str | os.PathLike[str], rate: Any = 24, **options: Any
) -> otio.schema.Timeline:
    """The EDL file as a timeline (see :func:`read_from_string`)."""
    with open(filepath, encoding="utf-8", errors="replace") as f:
        return read_from_string(f.read(), rate, **options)


def write_to_string(
    input_otio: otio.schema.Timeline, track: Any = None, drop_frame: Any = None, **unknown: Any
) -> str:
    """One video track of the timeline (or of a collection's one timeline) as CMX 3600 text.

    ``track``: its number from 1, ``V2``, or its name (default: the program, else the first);
    ``drop_frame``: ``auto`` (default), ``true`` or ``false``. Any other argument is refused
    (``InputError``), as are a missing track and a rate without SMPTE timecode (15 fps).
    """
    options = {"track": track, "drop_frame": drop_frame}
    return export_text(NAME, edl.to_string, input_otio, options, unknown)


def write_to_file(
    input_otio: otio.schema.Timeline,
    filepath: str | os.PathLike[str],
    track: Any = None,
    drop_frame: Any = None,
    **unknown: Any,
) -> None:
    """Write :func:`write_to_string`'s text to ``filepath``, whole or not at all."""
    write_text(filepath, write_to_string(input_otio, track, drop_frame, **unknown))
