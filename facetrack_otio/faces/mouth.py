"""Mouth-region motion per face and frame: the visual cue for who is speaking.

Tracker boxes jitter by a pixel or two, which alone makes a still mouth look as if it moved.
So each frame's mouth patch is matched against a slightly larger patch of the previous frame
(``cv2.matchTemplate``), and only the change left after the best shift counts as motion.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

PATCH = (24, 16)  # width, height of the normalised mouth patch
MARGIN = 3  # pixels (at patch scale) searched around the previous patch


@dataclass(frozen=True)
class MouthPatch:
    """The mouth region at patch scale: ``core`` (PATCH) and ``wide`` (core + MARGIN around)."""

    core: np.ndarray
    wide: np.ndarray


def mouth_patch(gray: np.ndarray, landmarks: np.ndarray) -> MouthPatch | None:
    """Crop the mouth region from a gray frame, normalised to ``PATCH`` size.

    The region spans the mouth corners widened by 60%, from halfway between nose and mouth
    down to below the lips, so opening the jaw changes it while head position does not.
    Returns None when the region is too small or leaves the frame.
    """
    left, right, nose = landmarks[3], landmarks[4], landmarks[2]
    centre = (left + right) / 2
    width = float(np.linalg.norm(right - left)) * 1.6
    if width < 6:
        return None
    top = (nose[1] + centre[1]) / 2
    height = max(float(centre[1] + 0.9 * (centre[1] - nose[1]) - top), 4.0)
    sx, sy = PATCH[0] / width, PATCH[1] / height
    mx, my = MARGIN / sx, MARGIN / sy
    x1, x2 = centre[0] - width / 2 - mx, centre[0] + width / 2 + mx
    y1, y2 = top - my, top + height + my
    h, w = gray.shape
    if x1 < 0 or y1 < 0 or x2 > w or y2 > h:
        return None
    size = (PATCH[0] + 2 * MARGIN, PATCH[1] + 2 * MARGIN)
    # Area averaging while shrinking also smooths film grain and compression noise.
    crop = gray[int(y1) : int(np.ceil(y2)), int(x1) : int(np.ceil(x2))]
    wide = cv2.resize(crop, size, interpolation=cv2.INTER_AREA).astype(np.float32)
    core = wide[MARGIN:-MARGIN, MARGIN:-MARGIN]
    return MouthPatch(core=np.ascontiguousarray(core), wide=wide)


def patch_motion(previous: MouthPatch | None, current: MouthPatch | None) -> float:
    """Change of the mouth between two frames after the best small shift, contrast-normalised.

    NaN when either patch is unknown.
    """
    if previous is None or current is None:
        return float("nan")
    ssd = cv2.matchTemplate(previous.wide, current.core, cv2.TM_SQDIFF)
    best = float(ssd.min()) / current.core.size
    scale = max(float(current.core.std()), 4.0)
    return float(np.sqrt(max(best, 0.0)) / scale)
