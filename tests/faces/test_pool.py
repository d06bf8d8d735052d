"""The faces a tracklet gets described by: the best of each stretch, spread over its length."""

from __future__ import annotations

import numpy as np

from facetrack_otio.faces.detections import Detections
from facetrack_otio.faces.pool import FacePool, face_quality


def _crop(frame: int) -> np.ndarray:
    return np.full((2, 2, 3), frame % 256, dtype=np.uint8)


def test_the_pool_stays_small_and_spread_over_a_long_tracklet() -> None:
    pool = FacePool(8)
    rng = np.random.default_rng(0)
    for frame in range(0, 20000, 5):
        quality = float(rng.uniform())
        if pool.wants(frame, quality):
            pool.add(frame, quality, _crop(frame))
    assert len(pool) <= 8
    frames = sorted(f for _, f, _ in pool.best.values())
    # Spread: no more than a quarter of the tracklet without a candidate.
    gaps = np.diff([0, *frames, 20000])
    assert gaps.max() <= 5000, frames


def test_the_best_face_of_each_group_is_chosen() -> None:
    pool = FacePool(4)
    for frame, quality in [(0, 0.2), (1, 0.9), (2, 0.1), (3, 0.3)]:
        pool.add(frame, quality, _crop(frame))
    assert [int(c[0, 0, 0]) for c in pool.choose(2)] == [1, 3]
    assert len(pool.choose(10)) == 4
    assert pool.choose(0) == []


def test_a_worse_face_is_not_made_when_a_better_one_holds_its_stretch() -> None:
    pool = FacePool(1)
    pool.add(0, 0.8, _crop(0))
    assert not pool.wants(0, 0.5)
    assert pool.wants(0, 0.9)


def test_quality_prefers_large_frontal_confident_faces() -> None:
    def face(width: float, nose_dx: float, conf: float) -> list:
        eyes = [[30.0, 40.0], [30.0 + 0.4 * width, 40.0]]
        nose = [30.0 + 0.2 * width + nose_dx * 0.4 * width, 55.0]
        return [[10, 10, 10 + width, 10 + width], conf, [*eyes, nose, [35, 70], [45, 70]]]

    rows = [face(120, 0.0, 0.99), face(40, 0.0, 0.99), face(120, 0.4, 0.99), face(120, 0, 0.5)]
    det = Detections(
        [r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows], [-1] * len(rows)
    )
    q = face_quality(det)
    assert q[0] == q.max()
    assert q[1] < q[0] and q[2] < q[0] and q[3] < q[0]
