"""Which faces of a tracklet get described: the best of each stretch of its length.

A trained face descriptor costs about 0.1 s on one core, so describing every detection of an
hour of video would cost more than the rest of the analysis. Each open tracklet keeps instead
a small pool of aligned crops (cheap to make): the best-scoring crop of each stretch of frames.
When the pool is full, stretches double in length and only the better crop of each merged pair
stays, so the pool stays spread over the whole tracklet however long it runs. When the
tracklet ends, a few crops are described: the best of evenly spaced groups.
"""

from __future__ import annotations

import numpy as np

from facetrack_otio.faces.detections import Detections

# Faces this wide (analysis pixels) or wider count as full size for quality.
_FULL_WIDTH = 100.0


def face_quality(detections: Detections) -> np.ndarray:
    """(N,) 0..1 how well each face can be recognised: detector confidence, size, frontality.

    Frontality: how far the nose sits from the middle of the eyes, in eye distances (a face
    turned by ~45 degrees is down to about half).
    """
    if not len(detections):
        return np.zeros(0, dtype=np.float32)
    width = detections.xyxy[:, 2] - detections.xyxy[:, 0]
    size = np.clip(width / _FULL_WIDTH, 0.05, 1.0)
    lm = detections.landmarks
    eyes = lm[:, 1] - lm[:, 0]
    distance = np.maximum(np.linalg.norm(eyes, axis=1), 1.0)
    middle = (lm[:, 0] + lm[:, 1]) / 2
    # The nose's offset along the line of the eyes, in eye distances (roll does not count).
    along = np.abs(np.sum((lm[:, 2] - middle) * eyes, axis=1)) / distance**2
    frontal = np.clip(1.0 - 2.0 * along, 0.1, 1.0)
    return (detections.confidence * size * frontal).astype(np.float32)


class FacePool:
    """The best crop per stretch of frames of one tracklet, ``capacity`` crops at most."""

    def __init__(self, capacity: int) -> None:
        self.capacity = max(1, capacity)
        self.stretch = 1  # frames per stretch; doubles when the pool overflows
        self.best: dict[int, tuple[float, int, np.ndarray]] = {}

    def wants(self, frame: int, quality: float) -> bool:
        """Whether a crop of this quality at ``frame`` would be kept (make it only then)."""
        held = self.best.get(frame // self.stretch)
        return held is None or quality > held[0]

    def add(self, frame: int, quality: float, crop: np.ndarray) -> None:
        if not self.wants(frame, quality):
            return
        self.best[frame // self.stretch] = (quality, frame, crop)
        while len(self.best) > self.capacity:
            self.stretch *= 2
            merged: dict[int, tuple[float, int, np.ndarray]] = {}
            for q, f, c in self.best.values():
                slot = f // self.stretch
                if slot not in merged or q > merged[slot][0]:
                    merged[slot] = (q, f, c)
            self.best = merged

    def __len__(self) -> int:
        return len(self.best)

    def choose(self, n: int) -> list[np.ndarray]:
        """The best crop of each of ``n`` evenly spaced groups of the pool (in time order)."""
        held = sorted(self.best.values(), key=lambda item: item[1])
        if not held or n <= 0:
            return []
        groups = np.array_split(np.arange(len(held)), min(n, len(held)))
        return [max((held[i] for i in g), key=lambda item: item[0])[2] for g in groups]
