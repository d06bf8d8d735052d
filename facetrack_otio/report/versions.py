"""Versions of facetrack and the tools a run depends on, for the report."""

from __future__ import annotations

import functools
import shutil
import subprocess
from importlib import metadata

from facetrack_otio import __version__

# Distribution names to look up; read from package metadata so nothing heavy is imported.
_DISTRIBUTIONS = {
    "torch": ("torch",),
    "opencv": ("opencv-contrib-python", "opencv-contrib-python-headless", "opencv-python"),
    "opentimelineio": ("opentimelineio",),
}


def _dist_version(names: tuple[str, ...]) -> str:
    for name in names:
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return "not installed"


@functools.cache
def ffmpeg_version() -> str:
    """The version word of ``ffmpeg -version`` (``"missing"`` when ffmpeg is not found)."""
    exe = shutil.which("ffmpeg")
    if exe is None:
        return "missing"
    try:
        out = subprocess.run(
            [exe, "-hide_banner", "-version"], capture_output=True, text=True, timeout=20
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    words = out.split()
    # "ffmpeg version 5.1.6-0+deb12u1 Copyright ..."
    return words[2] if len(words) > 2 and words[1] == "version" else "unknown"


def versions() -> dict[str, str]:
    """Versions of facetrack, torch, OpenCV, OpenTimelineIO and ffmpeg installed now.

    Returns
    -------
    dict of str to str
        Name -> version, in a fixed order.
    """
    out = {"facetrack": __version__}
    for key, names in _DISTRIBUTIONS.items():
        out[key] = _dist_version(names)
    out["ffmpeg"] = ffmpeg_version()
    return out
