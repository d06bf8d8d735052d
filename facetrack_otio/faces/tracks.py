"""The face stage's output: tracklets (a face followed without interruption) and all the
faces of a video, at the analysis rate and size."""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np


@dataclass
class FaceTrack:
    """One tracklet: a face followed without interruption.

    Arrays are per observed analysis frame: ``frames`` (indexes), ``boxes`` (N, 4) xyxy and
    ``landmarks`` (N, 5, 2) in analysis pixels, ``detected`` (True where the detector saw it,
    False where the tracker carried it), ``mouth`` (mouth-region motion, NaN where unknown).
    ``embedding`` (D,) is the L2-normalised mean of the embeddings sampled along the tracklet
    (empty when none was taken): the reservoir itself is dropped when the tracklet ends, so a
    long video's hundreds of tracklets do not each keep two dozen descriptors.
    """

    id: int
    frames: np.ndarray
    boxes: np.ndarray
    landmarks: np.ndarray
    detected: np.ndarray
    confidence: np.ndarray
    mouth: np.ndarray
    embedding: np.ndarray
    person: int = 0

    @property
    def n_detections(self) -> int:
        return int(self.detected.sum())


@dataclass
class FaceTracks:
    """All faces of a video, at the analysis rate and size."""

    fps: Fraction
    size: tuple[int, int]
    n_frames: int
    tracks: list[FaceTrack]
    embedder: str
    device: str
    stats: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def none(cls, fps: Fraction) -> FaceTracks:
        """No faces at all: an audio-only input."""
        return cls(fps=fps, size=(0, 0), n_frames=0, tracks=[], embedder="none", device="none")

    def time(self, frames: np.ndarray | int) -> np.ndarray | float:
        """Seconds of analysis frame index (or indexes)."""
        return np.asarray(frames) / float(self.fps)

    @property
    def people(self) -> list[int]:
        return sorted({t.person for t in self.tracks if t.person > 0})

    def person_tracks(self, person: int) -> list[FaceTrack]:
        return [t for t in self.tracks if t.person == person]

    def visible(self) -> np.ndarray:
        """(n_frames, n_people+1) bool: person p visible at frame f (column 0 unused)."""
        people = self.people
        out = np.zeros((self.n_frames, (max(people) if people else 0) + 1), dtype=bool)
        for t in self.tracks:
            if t.person > 0:
                out[t.frames[t.frames < self.n_frames], t.person] = True
        return out

    def screen_time(self, person: int) -> float:
        return float(self.visible()[:, person].sum() / float(self.fps))
