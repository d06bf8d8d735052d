"""dlib's face ResNet run by torch gives dlib's own descriptors, on real face chips."""

from __future__ import annotations

import logging
from fractions import Fraction
from itertools import islice
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

from facetrack_otio.faces import dlib_torch
from facetrack_otio.faces.detections import Detections
from facetrack_otio.faces.dlib_resnet import DlibEmbedder, dlib_unavailable, model_path
from facetrack_otio.faces.dlib_torch import (
    DlibModelError,
    DlibTorchEmbedder,
    read_network,
)
from facetrack_otio.faces.embed import make_embedder
from facetrack_otio.media.decode import analysis_size, iter_frames
from facetrack_otio.media.probe import probe

from .conftest import SAMPLES

FACES = Path(__file__).resolve().parents[3] / "shared" / "samples" / "faces"

pytestmark = pytest.mark.skipif(dlib_unavailable() is not None, reason="dlib is not installed")


@pytest.fixture(scope="module")
def dlib_net() -> DlibEmbedder:
    return DlibEmbedder()


@pytest.fixture(scope="module")
def torch_net() -> DlibTorchEmbedder:
    return DlibTorchEmbedder()


def _chips(images: list[np.ndarray], embedder: DlibEmbedder) -> list[np.ndarray]:
    """The face stage's chips (5-point aligned by ``align``) of the faces in ``images`` (RGB).

    The boxes come from dlib's HOG detector, ten times cheaper here than the face stage's
    MTCNN: which detector framed the face does not matter to the descriptor comparison.
    """
    import dlib

    hog = dlib.get_frontal_face_detector()
    chips: list[np.ndarray] = []
    for image in images:
        rects = hog(image, 0)
        xyxy = [(r.left(), r.top(), r.right(), r.bottom()) for r in rects]
        n = len(xyxy)
        chips += embedder.align(
            image, Detections(xyxy, np.ones(n), np.zeros((n, 5, 2)), -np.ones(n))
        )
    return chips


def _assert_same(dlib_net: DlibEmbedder, torch_net: DlibTorchEmbedder, chips) -> None:
    ref = np.array(dlib_net.net.compute_face_descriptor(chips), dtype=np.float64)
    ours = torch_net.raw(chips).astype(np.float64)
    assert ours.shape == ref.shape == (len(chips), 128)
    l2 = np.linalg.norm(ours - ref, axis=1)
    cos = np.sum(ours * ref, axis=1) / np.linalg.norm(ours, axis=1) / np.linalg.norm(ref, axis=1)
    assert l2.max() < 1e-3, l2.max()
    assert cos.min() >= 0.9999, cos.min()
    # The normalised descriptors the face stage uses agree as well.
    normed = dlib_net.describe(chips)
    assert np.abs(torch_net.describe(chips) - normed).max() < 1e-4


def test_the_file_holds_dlibs_network() -> None:
    net = read_network(model_path())
    assert np.allclose(net.mean_rgb, (122.782, 117.001, 104.298), atol=1e-3)
    kinds = [layer.kind for layer in net.layers]
    assert kinds.count("con") == 29 and kinds.count("affine") == 29
    assert kinds.count("add_prev") == 14 and kinds[0] == "fc"
    (weights,) = net.layers[0].params
    assert weights.shape == (256, 128) and np.isfinite(weights).all()


def test_descriptors_equal_dlibs_on_two_shot(dlib_net, torch_net) -> None:
    info = probe(SAMPLES / "two_shot.mp4")
    frames = islice(iter_frames(info, analysis_size(info, 640), Fraction(1, 4)), 8)
    chips = _chips([f.image for f in frames], dlib_net)
    assert len(chips) >= 8
    _assert_same(dlib_net, torch_net, chips)


@pytest.mark.skipif(not FACES.is_dir(), reason="../shared/samples/faces is absent")
def test_descriptors_equal_dlibs_on_real_photos(dlib_net, torch_net) -> None:
    # Every fourth photo: a dozen people's faces under other light and cameras (dlib's own
    # network takes a seventh of a second a face; bench/face_descriptor.py compares them all).
    photos = sorted(FACES.glob("*.jpg"))[::4]
    images = [cv2.cvtColor(cv2.imread(str(p)), cv2.COLOR_BGR2RGB) for p in photos]
    chips = _chips(images, dlib_net)
    assert len(chips) >= len(photos)
    _assert_same(dlib_net, torch_net, chips)


def test_a_batch_gives_what_one_chip_at_a_time_gives(torch_net) -> None:
    rng = np.random.default_rng(3)
    chips = list(rng.integers(0, 256, (19, 150, 150, 3), dtype=np.uint8))  # spans two batches
    together = torch_net.raw(chips)
    alone = np.concatenate([torch_net.raw([c]) for c in chips])
    assert np.abs(together - alone).max() < 1e-5


def test_describing_leaves_torch_threads_as_they_were(torch_net) -> None:
    previous = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        torch_net.describe([np.zeros((150, 150, 3), np.uint8)])
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(previous)


def test_chips_of_another_size_are_refused(torch_net) -> None:
    with pytest.raises(ValueError, match="150x150"):
        torch_net.describe([np.zeros((160, 160, 3), np.uint8)])
    with pytest.raises(ValueError, match="RGB"):
        torch_net.describe([np.zeros((150, 150), np.uint8)])
    assert torch_net.describe([]).shape == (0, 128)


def _damaged(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_a_truncated_file_says_so(tmp_path: Path) -> None:
    data = model_path().read_bytes()
    for cut in (3, 200, len(data) // 2, len(data) - 1):
        path = _damaged(tmp_path, f"cut{cut}.dat", data[:cut])
        with pytest.raises(DlibModelError, match=r"truncated .*while reading") as err:
            read_network(path)
        assert str(path) in str(err.value)


def test_another_file_says_what_it_is_not(tmp_path: Path) -> None:
    data = model_path().read_bytes()
    for name, bad in [
        ("other.dat", (model_path().parent / "shape_predictor_5_face_landmarks.dat").read_bytes()),
        ("renamed.dat", data.replace(b"loss_metric_2", b"loss_metric_9", 1)),
        ("longer.dat", data + b"\0"),
        ("empty.dat", b""),
    ]:
        with pytest.raises(DlibModelError, match=r"not dlib's face ResNet|truncated"):
            read_network(_damaged(tmp_path, name, bad))
    with pytest.raises(DlibModelError, match="cannot be read"):
        read_network(tmp_path / "missing.dat")


def test_the_default_embedder_runs_dlibs_network_in_torch() -> None:
    embedder = make_embedder(None, torch.device("cpu"))
    assert isinstance(embedder, DlibTorchEmbedder)
    assert embedder.name == "dlib-resnet-v1" and embedder.dim == 128


def test_an_unreadable_file_falls_back_to_dlib(tmp_path: Path, monkeypatch, caplog) -> None:
    bad = _damaged(tmp_path, "cut.dat", model_path().read_bytes()[:1000])
    monkeypatch.setattr(dlib_torch, "model_path", lambda: bad)
    with caplog.at_level(logging.WARNING, logger="facetrack_otio.faces.embed"):
        embedder = make_embedder(None, torch.device("cpu"), "dlib")
    assert type(embedder) is DlibEmbedder and embedder.name == "dlib-resnet-v1"
    assert any(
        "truncated" in r.getMessage() and "dlib's own" in r.getMessage() for r in caplog.records
    )
