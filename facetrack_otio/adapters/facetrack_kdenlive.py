"""OpenTimelineIO adapter: a Kdenlive project (``.kdenlive``), from any timeline.

The same writer as ``facetrack export -f kdenlive`` (:mod:`facetrack_otio.exports.kdenlive`). It
takes no argument and claims no suffix (found by name; see docs/editors.md)::

    otioconvert -i talk.otio -o talk.kdenlive -O facetrack_kdenlive

OTIO loads this file as ``opentimelineio.adapters.facetrack_kdenlive``: imports are absolute.
"""

from __future__ import annotations

from facetrack_otio.exports import kdenlive
from facetrack_otio.exports.otio_adapter import plain_writers

NAME = "facetrack_kdenlive"

write_to_string, write_to_file = plain_writers(NAME, kdenlive.to_string)
