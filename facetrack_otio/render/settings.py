"""How clips are cut and encoded: the render stage's settings."""

from __future__ import annotations

from dataclasses import dataclass

from facetrack_otio.setting import (
    EVERY_RENDER,
    RENDERED,
    WRITE,
    OneOf,
    Range,
    check,
    setting,
)

# libx264's preset names; checked up front so a typo is one clear error, not one per clip.
X264_PRESETS = (
    "ultrafast",
    "superfast",
    "veryfast",
    "faster",
    "fast",
    "medium",
    "slow",
    "slower",
    "veryslow",
    "placebo",
)

# One file per turn, or per speaker (render/plan.py); crop shapes (render/reframe.py); video
# encoders (render/encoders.py).
PER = ("turn", "speaker")
ASPECTS = ("source", "16:9", "9:16", "1:1", "4:5")
ENCODERS = ("auto", "libx264", "h264_nvenc")


@dataclass(frozen=True)
class RenderSettings:
    """How clips are cut and encoded."""

    crf: int = setting(
        20,
        "x264 CRF, 0 (lossless) to 51; lower is better and bigger",
        Range(0, 51),
        flag="--crf",
        commands=EVERY_RENDER,
        adapter=WRITE,
    )
    preset: str = setting(
        "veryfast",
        "x264 preset, ultrafast ... placebo; slower presets compress better",
        OneOf(X264_PRESETS, noun="x264 preset"),
        metavar="PRESET",
        flag="--preset",
        commands=EVERY_RENDER,
        adapter=WRITE,
    )
    pad: float = setting(
        0.0,
        "seconds of handles added before and after each turn (clamped to the source)",
        Range(0, says=">= 0 seconds"),
        flag="--pad",
        commands=RENDERED,
        adapter=WRITE,
    )
    jobs: int | None = setting(
        None,
        "encodes at once: clips side by side, or the runs of shots a program is cut into, "
        "then joined (1: one ffmpeg does it all)",
        Range(1),
        flag="--jobs",
        commands=("run", "render", "multicam"),
        adapter=WRITE,
        none="one clip per core; a program's runs 2, one per 4 cores from 8",
    )
    audio_bitrate: str = setting("160k", "AAC bitrate as ffmpeg reads it")
    audio_stream: int = setting(
        0, "which of the source's audio streams goes into the clips", Range(0)
    )
    per: str = setting(
        "turn",
        "turn: one clip per turn; speaker: one file per speaker with their turns joined",
        OneOf(PER),
        flag="--per",
        commands=RENDERED,
        adapter=WRITE,
    )
    aspect: str = setting(
        "source",
        "crop to this shape, following the speaker's face (source: no crop)",
        OneOf(ASPECTS, noun="aspect"),
        flag="--aspect",
        commands=RENDERED,
        adapter=WRITE,
    )
    # Parts shorter than half a second would be thousands of files for nothing.
    segment: float = setting(
        0.0,
        "split longer turns (or speaker files) into parts of at most this many seconds",
        Range(0.5, off=0, off_means="no split", unit="seconds"),
        flag="--segment",
        commands=RENDERED,
        adapter=WRITE,
        metavar="SECONDS",
    )
    annotate: bool = setting(
        False,
        "also write NAME.review.mp4: the whole video with face boxes and who speaks",
        flag="--annotate",
        commands=RENDERED,
        adapter=WRITE,
    )
    encoder: str = setting(
        "auto",
        "video encoder: auto (NVENC when an NVIDIA GPU works with ffmpeg, else libx264), "
        "libx264 or h264_nvenc",
        OneOf(ENCODERS, noun="encoder"),
        flag="--encoder",
        commands=EVERY_RENDER,
        adapter=WRITE,
    )

    def __post_init__(self) -> None:
        check(self)
