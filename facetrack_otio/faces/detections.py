"""``Detections``: the one value type that flows through the face stage."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass
class Detections:
    """Faces found in one frame.

    Attributes
    ----------
    xyxy : np.ndarray
        (N, 4) float32 boxes ``x1, y1, x2, y2`` in pixels of the analysis frame.
    confidence : np.ndarray
        (N,) float32 detector scores (1.0 for boxes carried by a tracker).
    landmarks : np.ndarray
        (N, 5, 2) float32 points: left eye, right eye, nose, left and right mouth corner.
    tracker_id : np.ndarray
        (N,) int64 track ids, -1 where not assigned yet.
    """

    xyxy: np.ndarray
    confidence: np.ndarray
    landmarks: np.ndarray
    tracker_id: np.ndarray

    def __post_init__(self) -> None:
        self.xyxy = np.asarray(self.xyxy, dtype=np.float32).reshape(-1, 4)
        n = len(self.xyxy)
        self.confidence = np.asarray(self.confidence, dtype=np.float32).reshape(n)
        self.landmarks = np.asarray(self.landmarks, dtype=np.float32).reshape(n, 5, 2)
        self.tracker_id = np.asarray(self.tracker_id, dtype=np.int64).reshape(n)
        if n and not np.all(self.xyxy[:, 2:] >= self.xyxy[:, :2]):
            raise ValueError("boxes must have x2 >= x1 and y2 >= y1")

    def __len__(self) -> int:
        return len(self.xyxy)

    def __getitem__(self, index: Any) -> Detections:
        if isinstance(index, (int, np.integer)):
            index = [int(index)]
        return Detections(
            self.xyxy[index], self.confidence[index], self.landmarks[index], self.tracker_id[index]
        )

    @classmethod
    def empty(cls) -> Detections:
        return cls(np.zeros((0, 4)), np.zeros(0), np.zeros((0, 5, 2)), np.zeros(0))

    @classmethod
    def from_mtcnn(
        cls, boxes: Any, probs: Any, points: Any, min_confidence: float = 0.0
    ) -> Detections:
        """Build from one frame of ``MTCNN.detect(..., landmarks=True)`` output.

        With ``keep_all=True`` a frame without faces gives ``None`` and batched output comes
        back as object arrays; both are normalised here.
        """
        if boxes is None or len(boxes) == 0:
            return cls.empty()
        xyxy = np.asarray(np.stack(list(boxes)), dtype=np.float32).reshape(-1, 4)
        conf = np.asarray(list(probs), dtype=np.float32).reshape(-1)
        pts = np.asarray(np.stack(list(points)), dtype=np.float32).reshape(-1, 5, 2)
        keep = conf >= min_confidence
        return cls(xyxy[keep], conf[keep], pts[keep], np.full(int(keep.sum()), -1))

    @property
    def area(self) -> np.ndarray:
        wh = self.xyxy[:, 2:] - self.xyxy[:, :2]
        return wh[:, 0] * wh[:, 1]

    def clip(self, width: int, height: int) -> Detections:
        """Boxes clipped to the frame."""
        xyxy = self.xyxy.copy()
        xyxy[:, [0, 2]] = xyxy[:, [0, 2]].clip(0, width)
        xyxy[:, [1, 3]] = xyxy[:, [1, 3]].clip(0, height)
        return Detections(xyxy, self.confidence, self.landmarks, self.tracker_id)


def box_iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU matrix between (N, 4) and (M, 4) ``xyxy`` boxes."""
    a = np.asarray(a, dtype=np.float32).reshape(-1, 4)
    b = np.asarray(b, dtype=np.float32).reshape(-1, 4)
    lt = np.maximum(a[:, None, :2], b[None, :, :2])
    rb = np.minimum(a[:, None, 2:], b[None, :, 2:])
    inter = np.prod(np.clip(rb - lt, 0, None), axis=2)
    area_a = np.prod(a[:, 2:] - a[:, :2], axis=1)
    area_b = np.prod(b[:, 2:] - b[:, :2], axis=1)
    return inter / np.maximum(area_a[:, None] + area_b[None, :] - inter, 1e-9)
