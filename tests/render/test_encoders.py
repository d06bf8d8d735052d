"""Encoder choice and the settings that pick what is rendered."""

from __future__ import annotations

import pytest

from facetrack_otio.errors import ToolError
from facetrack_otio.render import RenderSettings
from facetrack_otio.render.encoders import nvenc_available, resolve_encoder, video_codec_args


def test_libx264_arguments() -> None:
    args = video_codec_args("libx264", "veryfast", 23, 4)
    assert args == [
        "-c:v", "libx264", "-preset", "veryfast", "-crf", "23", "-pix_fmt", "yuv420p",
        "-threads", "4",
    ]  # fmt: skip


def test_nvenc_arguments_map_preset_and_quality() -> None:
    args = video_codec_args("h264_nvenc", "ultrafast", 20, 4)
    pairs = dict(zip(args[::2], args[1::2], strict=True))
    assert pairs["-c:v"] == "h264_nvenc" and pairs["-preset"] == "p1"
    assert pairs["-cq"] == "20" and pairs["-b:v"] == "0" and pairs["-pix_fmt"] == "yuv420p"
    assert dict(zip(*[iter(video_codec_args("h264_nvenc", "veryslow", 0, 1))] * 2))["-cq"] == "1"


def test_resolve_encoder() -> None:
    assert resolve_encoder("libx264") == "libx264"
    gpu = nvenc_available()
    assert resolve_encoder("auto") == ("h264_nvenc" if gpu else "libx264")
    if gpu:
        assert resolve_encoder("h264_nvenc") == "h264_nvenc"
    else:
        with pytest.raises(ToolError, match="h264_nvenc does not work here"):
            resolve_encoder("h264_nvenc")
    with pytest.raises(ValueError, match="unknown encoder"):
        resolve_encoder("x265")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"per": "clip"}, "per must be one of turn, speaker"),
        ({"aspect": "21:9"}, "unknown aspect"),
        ({"segment": -1.0}, r"segment must be 0 \(no split\) or at least 0.5 seconds"),
        ({"segment": 0.1}, r"segment must be 0 \(no split\) or at least 0.5 seconds"),
        ({"pad": float("inf")}, "pad must be >= 0 seconds"),
        ({"encoder": "hevc"}, "unknown encoder"),
    ],
)
def test_new_settings_are_checked(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        RenderSettings(**kwargs)  # type: ignore[arg-type]


def test_new_settings_defaults() -> None:
    s = RenderSettings()
    assert (s.per, s.aspect, s.segment, s.annotate, s.encoder) == (
        "turn", "source", 0.0, False, "auto",
    )  # fmt: skip
