"""OpenTimelineIO adapter: MLT XML for Shotcut and melt (``.mlt``), from any timeline.

The same writer as ``facetrack export -f mlt`` (:mod:`facetrack_otio.exports.mlt`). It
takes no argument and claims no suffix (found by name; see docs/editors.md)::

    otioconvert -i talk.otio -o talk.mlt -O facetrack_mlt

OTIO loads this file as ``opentimelineio.adapters.facetrack_mlt``: imports are absolute.
"""

from __future__ import annotations

from facetrack_otio.exports import mlt
from facetrack_otio.exports.otio_adapter import plain_writers

NAME = "facetrack_mlt"

write_to_string, write_to_file = plain_writers(NAME, mlt.to_string)
