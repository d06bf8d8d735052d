"""Render speaker clips with ffmpeg: per turn or per speaker, cut on the frame grid, optionally
reframed to another aspect ratio following the speaker's face, plus an annotated review video.

:mod:`~facetrack_otio.render.clips` renders (``render_turns``), with the settings of
:mod:`~facetrack_otio.render.settings`, the commands of :mod:`~facetrack_otio.render.ffmpeg`,
the encoder pool of :mod:`~facetrack_otio.render.pool` and the files planned by
:mod:`~facetrack_otio.render.plan`. The names below are loaded when first asked for, so that
importing the settings alone does not load the renderer.
"""

from __future__ import annotations

import importlib
from typing import Any

_WHERE = {
    "ClipRange": "facetrack_otio.render.ffmpeg",
    "CropPath": "facetrack_otio.render.reframe",
    "ReframeSettings": "facetrack_otio.render.reframe",
    "RenderReport": "facetrack_otio.render.clips",
    "RenderSettings": "facetrack_otio.render.settings",
    "clip_name": "facetrack_otio.render.clips",
    "crop_path": "facetrack_otio.render.reframe",
    "crop_size": "facetrack_otio.render.reframe",
    "ffmpeg_args": "facetrack_otio.render.ffmpeg",
    "frame_range": "facetrack_otio.render.ffmpeg",
    "joined_args": "facetrack_otio.render.ffmpeg",
    "render_turns": "facetrack_otio.render.clips",
}

__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(_WHERE[name]), name)
