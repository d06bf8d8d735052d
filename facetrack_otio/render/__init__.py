"""Render speaker clips with ffmpeg: per turn or per speaker, cut on the frame grid, optionally
reframed to another aspect ratio following the speaker's face, plus an annotated review video."""

from facetrack_otio.render.clips import (
    ClipRange,
    RenderReport,
    RenderSettings,
    clip_name,
    ffmpeg_args,
    frame_range,
    joined_args,
    render_turns,
)
from facetrack_otio.render.reframe import CropPath, ReframeSettings, crop_path, crop_size

__all__ = [
    "ClipRange",
    "CropPath",
    "ReframeSettings",
    "RenderReport",
    "RenderSettings",
    "clip_name",
    "crop_path",
    "crop_size",
    "ffmpeg_args",
    "frame_range",
    "joined_args",
    "render_turns",
]
