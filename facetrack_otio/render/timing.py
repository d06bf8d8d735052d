"""Where a source's first video frame sits in its container, and where its video ends."""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass

from facetrack_otio.media.probe import MediaInfo
from facetrack_otio.render.ffmpeg import file_url


@dataclass(frozen=True)
class VideoTiming:
    """Seconds from the container's start to the first video frame, and the video's end."""

    origin: float
    video_end: float


def video_timing(info: MediaInfo, ffprobe: str) -> VideoTiming:
    """Where the first video frame sits in the container, and where the video ends."""
    cmd = [
        ffprobe,
        "-v",
        "error",
        "-select_streams",
        "v:0",
        "-show_entries",
        "stream=start_time,duration:format=start_time",
        "-of",
        "json",
        file_url(info.path),
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    try:
        data = json.loads(proc.stdout or "{}")
        v_start = _float(data["streams"][0].get("start_time"))
        v_duration = _float(data["streams"][0].get("duration"))
        f_start = _float(data.get("format", {}).get("start_time"))
    except (ValueError, KeyError, IndexError, TypeError):
        return VideoTiming(0.0, info.duration)
    origin = max(0.0, (v_start or 0.0) - (f_start or 0.0))
    end = v_duration if v_duration else info.duration - origin
    return VideoTiming(origin, end)


def _float(text: object) -> float | None:
    if text in (None, "N/A"):
        return None
    return float(str(text))
