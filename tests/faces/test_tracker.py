from __future__ import annotations

import cv2
import numpy as np
import pytest

from facetrack_otio.faces.detections import Detections
from facetrack_otio.faces.tracker import (
    FaceTracker,
    RedetectMonitor,
    TemplateTracker,
    best_pairs,
)


def _scene(offset: tuple[int, int] = (0, 0), rgb: bool = False) -> np.ndarray:
    """A frame with a textured 60x60 'face' at (100, 80) + offset.

    The texture is smooth like a face (blurred noise): pixel-level noise decorrelates
    under any resampling and no tracker follows it.
    """
    rng = np.random.default_rng(1)
    img = np.full((240, 320), 90, dtype=np.uint8)
    patch = cv2.GaussianBlur(rng.integers(0, 255, (60, 60)).astype(np.float32), (0, 0), 3)
    patch = cv2.normalize(patch, None, 0, 255, cv2.NORM_MINMAX).astype(np.uint8)
    x, y = 100 + offset[0], 80 + offset[1]
    img[y : y + 60, x : x + 60] = patch
    return np.dstack([img] * 3) if rgb else img


def _det(*boxes: list[float]) -> Detections:
    n = len(boxes)
    pts = np.zeros((n, 5, 2), dtype=np.float32)
    for i, (x1, y1, x2, y2) in enumerate(boxes):
        pts[i] = [[x1 + 0.3 * (x2 - x1), y1 + 0.4 * (y2 - y1)]] * 5
    return Detections(np.array(boxes), np.ones(n), pts, np.full(n, -1))


@pytest.mark.parametrize("kind", ["template", "kcf", "none"])
def test_ids_kept_across_frames(kind: str) -> None:
    tracker = FaceTracker(kind)
    rgb = kind == "kcf"  # OpenCV's trackers want colour frames
    first = tracker.update(_scene(rgb=rgb), _det([100, 80, 160, 140]))
    (tid,) = first.tracker_id.tolist()
    for step in range(1, 6):
        moved = tracker.update(_scene((3 * step, step), rgb), None)
        assert moved.tracker_id.tolist() == [tid]
    again = tracker.update(_scene((15, 5), rgb), _det([115, 85, 175, 145]))
    assert again.tracker_id.tolist() == [tid]


def test_template_tracker_follows_and_holds_still() -> None:
    tracker = FaceTracker("template")
    tracker.update(_scene(), _det([100, 80, 160, 140]))
    still = tracker.update(_scene(), None)
    assert still.xyxy[0].tolist() == [100, 80, 160, 140]  # no wobble on a still face
    for step in range(1, 6):
        moved = tracker.update(_scene((4 * step, 2 * step)), None)
    assert moved.xyxy[0] == pytest.approx([120, 90, 180, 150], abs=1.5)


def test_template_tracker_fails_when_the_face_is_gone() -> None:
    t = TemplateTracker()
    t.init(_scene(), (100, 80, 60, 60))
    ok, _ = t.update(np.full((240, 320), 90, dtype=np.uint8))
    assert not ok


def test_detection_without_match_ends_track() -> None:
    tracker = FaceTracker("template")
    a = tracker.update(_scene(), _det([100, 80, 160, 140]))
    b = tracker.update(_scene(), _det([220, 20, 280, 80]))
    assert a.tracker_id[0] != b.tracker_id[0]
    assert [t.id for t in tracker.tracks] == b.tracker_id.tolist()
    assert len(tracker.update(_scene(), Detections.empty())) == 0
    assert tracker.tracks == []


def test_two_faces_keep_their_ids() -> None:
    tracker = FaceTracker("none")
    first = tracker.update(_scene(), _det([10, 10, 50, 50], [200, 10, 240, 50]))
    second = tracker.update(_scene(), _det([202, 12, 242, 52], [12, 11, 52, 51]))
    assert second.tracker_id.tolist() == first.tracker_id[::-1].tolist()


def test_unknown_tracker_raises() -> None:
    with pytest.raises(ValueError):
        FaceTracker("boosting")


@pytest.mark.parametrize(
    ("successes", "interval"),
    [(20, 80), (19, 80), (18, 40), (16, 40), (13, 20), (12, 20), (11, 10), (0, 10)],
)
def test_redetect_monitor_intervals(successes: int, interval: int) -> None:
    monitor = RedetectMonitor((80, 40, 20, 10), window=20)
    for i in range(20):
        monitor.record(i < successes)
    assert monitor.interval == interval


def test_redetect_monitor_is_cautious_until_the_window_fills() -> None:
    monitor = RedetectMonitor((80, 40, 20, 10), window=20)
    for _ in range(19):
        monitor.record(True)
    assert monitor.interval == 10
    monitor.record(True)
    assert monitor.interval == 80
    for _ in range(20):  # the window slides: only the last 20 updates count
        monitor.record(False)
    assert monitor.interval == 10


def test_cli_offers_every_tracker() -> None:
    from facetrack_otio.faces.settings import TRACKERS as TRACKER_CHOICES
    from facetrack_otio.faces.tracker import TRACKERS

    assert set(TRACKER_CHOICES) == set(TRACKERS)


@pytest.mark.parametrize("shape", [(0, 3), (1, 1), (1, 5), (4, 1), (3, 3), (2, 6), (6, 4), (9, 9)])
def test_best_pairs_scores_as_high_as_scipy(shape: tuple[int, int]) -> None:
    from scipy.optimize import linear_sum_assignment

    rng = np.random.default_rng(sum(shape))
    for _ in range(50):
        # IoU-like: many pairs do not overlap at all.
        score = rng.random(shape) * (rng.random(shape) > 0.5)
        rows, cols = best_pairs(score)
        ref_rows, ref_cols = linear_sum_assignment(score, maximize=True)
        assert len(rows) == len(ref_rows) == min(shape)
        assert score[rows, cols].sum() == pytest.approx(score[ref_rows, ref_cols].sum())
        assert len(set(rows.tolist())) == len(rows) and len(set(cols.tolist())) == len(cols)
        assert list(rows) == sorted(rows)
