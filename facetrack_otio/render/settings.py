"""How clips are cut and encoded: the render stage's settings."""

from __future__ import annotations

import math
from dataclasses import dataclass

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
    """How clips are cut and encoded.

    Attributes
    ----------
    crf : int
        libx264 constant rate factor, 0 (lossless) to 51; lower is better and bigger.
    preset : str
        libx264 preset, ``ultrafast`` … ``placebo``; slower presets compress better.
    pad : float
        Seconds added before and after each turn (clamped to the source).
    jobs : int or None
        Encodes run at the same time; ``None`` means the number of CPU cores.
    audio_bitrate : str
        AAC bitrate as ffmpeg reads it (``"160k"``).
    audio_stream : int
        Which of the source's audio streams goes into the clips.
    per : str
        ``turn``: one file per turn; ``speaker``: one file per speaker, their turns joined.
    aspect : str
        ``source`` (no crop), or ``16:9``, ``9:16``, ``1:1``, ``4:5``: a window of that shape
        following the speaker's face.
    segment : float
        Longest file in seconds: longer turns (or speaker files) are split; 0 splits nothing.
    annotate : bool
        Also write a review video of the whole source with face boxes, names and who speaks.
    encoder : str
        ``auto`` (NVENC when an NVIDIA GPU and ffmpeg support it, else libx264), ``libx264``
        or ``h264_nvenc``.
    """

    crf: int = 20
    preset: str = "veryfast"
    pad: float = 0.0
    jobs: int | None = None
    audio_bitrate: str = "160k"
    audio_stream: int = 0
    per: str = "turn"
    aspect: str = "source"
    segment: float = 0.0
    annotate: bool = False
    encoder: str = "auto"

    def __post_init__(self) -> None:
        if not 0 <= self.crf <= 51:
            raise ValueError(f"crf must be in 0..51, got {self.crf}")
        if self.preset not in X264_PRESETS:
            raise ValueError(
                f"unknown x264 preset {self.preset!r}; one of {', '.join(X264_PRESETS)}"
            )
        if not (math.isfinite(self.pad) and self.pad >= 0):
            raise ValueError(f"pad must be >= 0 seconds, got {self.pad}")
        if self.jobs is not None and self.jobs < 1:
            raise ValueError(f"jobs must be >= 1 (or None for one per core), got {self.jobs}")
        if self.audio_stream < 0:
            raise ValueError(f"audio_stream must be >= 0, got {self.audio_stream}")
        if self.per not in PER:
            raise ValueError(f"per must be one of {', '.join(PER)}, got {self.per!r}")
        if self.aspect not in ASPECTS:
            raise ValueError(f"unknown aspect {self.aspect!r}; one of {', '.join(ASPECTS)}")
        # Parts shorter than half a second would be thousands of files for nothing.
        if not (self.segment == 0 or (math.isfinite(self.segment) and self.segment >= 0.5)):
            raise ValueError(
                f"segment must be 0 (no split) or at least 0.5 seconds, got {self.segment}"
            )
        if self.encoder not in ENCODERS:
            raise ValueError(f"unknown encoder {self.encoder!r}; one of {', '.join(ENCODERS)}")
