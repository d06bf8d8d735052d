"""Render per-speaker clips with ffmpeg: one mp4 per speaker turn, cut on the frame grid."""

from facetrack_otio.render.clips import (
    ClipRange,
    RenderReport,
    RenderSettings,
    clip_name,
    ffmpeg_args,
    frame_range,
    render_turns,
)

__all__ = [
    "ClipRange",
    "RenderReport",
    "RenderSettings",
    "clip_name",
    "ffmpeg_args",
    "frame_range",
    "render_turns",
]
