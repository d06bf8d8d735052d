from __future__ import annotations

import importlib.util
import sys

import numpy as np
import pytest
import torch

from facetrack_otio.faces import cascade
from facetrack_otio.faces.detections import Detections, box_iou
from facetrack_otio.faces.models import _batched_nms, _nms, facenet, mtcnn, pick_device
from facetrack_otio.media.decode import analysis_rate, analysis_size, iter_frames
from facetrack_otio.media.probe import probe

from .conftest import SAMPLES


def test_facenet_imports_without_torchvision() -> None:
    fp = facenet()
    assert hasattr(fp, "MTCNN") and hasattr(fp, "InceptionResnetV1")
    if importlib.util.find_spec("torchvision") is None:
        # The stand-in modules are gone again once facenet_pytorch is imported.
        assert "torchvision" not in sys.modules


def test_pick_device() -> None:
    assert pick_device("auto").type == ("cuda" if torch.cuda.is_available() else "cpu") or (
        pick_device("auto").type == "mps"
    )
    assert pick_device("cpu") == torch.device("cpu")


def test_pick_device_is_cpu_here() -> None:
    if torch.cuda.is_available():
        pytest.skip("a GPU is present")
    assert pick_device().type == "cpu"


def test_plain_torch_nms() -> None:
    boxes = torch.tensor([[0, 0, 10, 10], [1, 1, 11, 11], [20, 20, 30, 30.0]])
    scores = torch.tensor([0.9, 0.8, 0.7])
    assert _nms(boxes, scores, 0.5).tolist() == [0, 2]
    assert sorted(_batched_nms(boxes, scores, torch.tensor([0, 1, 0]), 0.5).tolist()) == [0, 1, 2]


@pytest.mark.parametrize(("k", "s"), [(2, 2), (3, 2)])
@pytest.mark.parametrize("size", [9, 10, 11, 22, 23, 46])
def test_pool_matches_max_pool2d(k: int, s: int, size: int) -> None:
    x = torch.randn(2, 3, size, size + 1)
    expected = torch.nn.functional.max_pool2d(x, k, s, ceil_mode=True)
    assert torch.equal(cascade._pool(x, k, s), expected)


def test_network_passes_match_facenet_modules() -> None:
    nets = mtcnn("cpu", 32, (0.6, 0.7, 0.7))
    with torch.inference_mode():
        for fn, net, shape in [
            (cascade._pnet, nets.pnet, (1, 3, 45, 61)),
            (cascade._rnet, nets.rnet, (4, 3, 24, 24)),
            (cascade._onet, nets.onet, (3, 3, 48, 48)),
        ]:
            x = torch.randn(*shape)
            for ours, theirs in zip(fn(net, x), net(x)):
                assert torch.allclose(ours, theirs, atol=1e-5)


def test_cascade_agrees_with_facenet_detect() -> None:
    info = probe(SAMPLES / "two_shot.mp4")
    size = analysis_size(info, 640)
    image = next(iter_frames(info, size, analysis_rate(info, 12.5))).image
    nets = mtcnn("cpu", 32, (0.6, 0.7, 0.7))
    ours = cascade.Cascade(nets, 32, (0.6, 0.7, 0.7)).detect(image)
    boxes, probs, points = nets.detect(image, landmarks=True)
    theirs = Detections.from_mtcnn(boxes, probs, points)
    assert len(ours) == len(theirs) == 2
    iou = box_iou(theirs.xyxy, ours.xyxy)
    assert (iou.max(axis=1) > 0.85).all()
    match = iou.argmax(axis=1)
    assert np.abs(theirs.landmarks - ours.landmarks[match]).max() < 6


def test_cascade_on_a_blank_frame() -> None:
    nets = mtcnn("cpu", 32, (0.6, 0.7, 0.7))
    assert (
        len(cascade.Cascade(nets, 32, (0.6, 0.7, 0.7)).detect(np.zeros((120, 160, 3), np.uint8)))
        == 0
    )


def test_cascade_nms_modes() -> None:
    boxes = np.array([[0, 0, 100, 100], [10, 10, 40, 40], [200, 200, 220, 220.0]])
    scores = np.array([0.9, 0.8, 0.7])
    assert cascade.nms(boxes, scores, 0.5).tolist() == [0, 1, 2]
    assert cascade.nms(boxes, scores, 0.5, mode="min").tolist() == [0, 2]
