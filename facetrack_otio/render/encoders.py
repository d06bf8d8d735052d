"""Which H.264 encoder renders the clips: libx264 on the CPU, or NVENC on an NVIDIA GPU."""

from __future__ import annotations

import functools
import subprocess

from facetrack_otio.errors import ToolError
from facetrack_otio.render.settings import ENCODERS

__all__ = ["ENCODERS", "nvenc_available", "resolve_encoder", "video_codec_args"]

# x264 preset names mapped onto NVENC's p1 (fastest) .. p7 (best).
_NVENC_PRESETS = {
    "ultrafast": "p1",
    "superfast": "p1",
    "veryfast": "p2",
    "faster": "p3",
    "fast": "p4",
    "medium": "p4",
    "slow": "p5",
    "slower": "p6",
    "veryslow": "p7",
    "placebo": "p7",
}


@functools.cache
def nvenc_available(ffmpeg: str = "ffmpeg") -> bool:
    """Whether ffmpeg can encode H.264 with NVENC here.

    Parameters
    ----------
    ffmpeg : str
        The ffmpeg executable.

    Returns
    -------
    bool
        True when ``ffmpeg -encoders`` lists ``h264_nvenc`` and a one-frame test encode works
        (the encoder is often built in where no GPU or driver is present). Probed once per
        process.
    """
    try:
        listed = subprocess.run(
            [ffmpeg, "-hide_banner", "-nostdin", "-encoders"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        if "h264_nvenc" not in listed.stdout:
            return False
        # NVENC refuses frames smaller than about 145x49; 256x256 is safe.
        test = [ffmpeg, "-hide_banner", "-nostdin", "-v", "error"]
        test += ["-f", "lavfi", "-i", "color=c=gray:s=256x256:r=25:d=0.04"]
        test += ["-frames:v", "1", "-c:v", "h264_nvenc", "-f", "null", "-"]
        return subprocess.run(test, capture_output=True, timeout=60, check=False).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def resolve_encoder(name: str, ffmpeg: str = "ffmpeg") -> str:
    """The encoder to use for a setting.

    Parameters
    ----------
    name : str
        ``auto`` (NVENC when it works here, else libx264), ``libx264`` or ``h264_nvenc``.
    ffmpeg : str
        The ffmpeg executable.

    Returns
    -------
    str
        ``libx264`` or ``h264_nvenc``.

    Raises
    ------
    ValueError
        For an unknown name.
    ToolError
        When ``h264_nvenc`` is asked for where it does not work.
    """
    if name not in ENCODERS:
        raise ValueError(f"unknown encoder {name!r}; one of {', '.join(ENCODERS)}")
    if name == "libx264":
        return name
    if nvenc_available(ffmpeg):
        return "h264_nvenc"
    if name == "h264_nvenc":
        raise ToolError("h264_nvenc does not work here (no NVIDIA GPU, driver or ffmpeg support)")
    return "libx264"


def video_codec_args(encoder: str, preset: str, crf: int, threads: int) -> list[str]:
    """ffmpeg output options for the video encoder.

    Parameters
    ----------
    encoder : str
        ``libx264`` or ``h264_nvenc``.
    preset : str
        An x264 preset name (mapped onto NVENC's p1..p7).
    crf : int
        x264 CRF; for NVENC the constant-quality level ``-cq`` (a similar scale).
    threads : int
        x264 threads (0: x264 chooses); NVENC ignores it.

    Returns
    -------
    list of str
    """
    if encoder == "h264_nvenc":
        # Constant quality with no bitrate cap, the closest NVENC has to CRF.
        return [
            "-c:v", "h264_nvenc", "-preset", _NVENC_PRESETS.get(preset, "p4"),
            "-rc", "vbr", "-cq", str(max(crf, 1)), "-b:v", "0", "-pix_fmt", "yuv420p",
        ]  # fmt: skip
    return [
        "-c:v", "libx264", "-preset", preset, "-crf", str(crf), "-pix_fmt", "yuv420p",
        "-threads", str(threads),
    ]  # fmt: skip
