"""Speech segments: spans of the audio where someone speaks."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SpeechSegment:
    """Speech from ``start`` to ``end`` seconds."""

    start: float
    end: float

    def __post_init__(self) -> None:
        if not self.end > self.start >= 0:
            raise ValueError(f"segment needs 0 <= start < end, got {self.start}..{self.end}")

    @property
    def duration(self) -> float:
        return self.end - self.start
