"""The speaker timeline: build it, read it back, rename its people."""

from facetrack_otio.timeline.build import build_timeline
from facetrack_otio.timeline.names import parse_names, rename_people
from facetrack_otio.timeline.read import SpeakerTimeline, load_timeline, speaker_data

__all__ = [
    "SpeakerTimeline",
    "build_timeline",
    "load_timeline",
    "parse_names",
    "rename_people",
    "speaker_data",
]
