"""facetrack-otio: who speaks when, from a video, as an OpenTimelineIO timeline."""

__version__ = "0.1.0"
