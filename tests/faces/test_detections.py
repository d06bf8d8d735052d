from __future__ import annotations

import numpy as np
import pytest

from facetrack_otio.faces.detections import Detections, box_iou


def _one(box: list[float]) -> Detections:
    return Detections(np.array([box]), np.ones(1), np.zeros((1, 5, 2)), np.full(1, -1))


def test_inverted_box_raises() -> None:
    with pytest.raises(ValueError):
        _one([10, 10, 5, 20])
    with pytest.raises(ValueError):
        _one([10, 30, 20, 20])


def test_mismatched_lengths_raise() -> None:
    with pytest.raises(ValueError):
        Detections(np.zeros((2, 4)), np.ones(3), np.zeros((2, 5, 2)), np.zeros(2))


def test_from_mtcnn_without_faces_is_empty() -> None:
    assert len(Detections.from_mtcnn(None, None, None)) == 0


def test_from_mtcnn_object_arrays_and_confidence_filter() -> None:
    boxes = np.array([np.array([0, 0, 10, 10.0]), np.array([5, 5, 20, 20.0])], dtype=object)
    points = np.array([np.zeros((5, 2)), np.ones((5, 2))], dtype=object)
    d = Detections.from_mtcnn(boxes, [0.99, 0.5], points, min_confidence=0.9)
    assert len(d) == 1 and d.tracker_id.tolist() == [-1]
    assert d.xyxy.dtype == np.float32 and d.landmarks.shape == (1, 5, 2)


def test_clip_and_index() -> None:
    d = _one([-5, -5, 700, 400]).clip(640, 360)
    assert d.xyxy.tolist() == [[0, 0, 640, 360]]
    assert len(d[0]) == 1 and len(d[[]]) == 0


def test_box_iou() -> None:
    iou = box_iou(
        np.array([[0, 0, 10, 10]]), np.array([[0, 0, 10, 10], [5, 0, 15, 10], [20, 20, 30, 30]])
    )
    assert iou.shape == (1, 3)
    assert iou[0, 0] == pytest.approx(1.0) and iou[0, 1] == pytest.approx(1 / 3) and iou[0, 2] == 0
