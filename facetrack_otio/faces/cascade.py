"""MTCNN face detection with the P/R/O-net weights of facenet-pytorch, driven from NumPy.

facenet-pytorch's own ``detect_face`` resizes the image pyramid and every candidate crop with
``torch.nn.functional.interpolate(mode="area")``, one call per crop; on a CPU those calls cost
more than the networks. Here the pyramid and the crops are resized with OpenCV, the candidate
crops go to R-net and O-net in one batch each, and NMS runs in NumPy. The three networks and
their thresholds are MTCNN's; crops that reach past the frame are zero-padded, as the networks
were trained, so faces cut by the frame edge keep their shape.
"""

from __future__ import annotations

import math
from typing import Any

import cv2
import numpy as np
import torch

from facetrack_otio.faces.detections import Detections

_STRIDE = 2
_CELL = 12


def nms(boxes: np.ndarray, scores: np.ndarray, threshold: float, mode: str = "union") -> np.ndarray:
    """Greedy non-maximum suppression; indexes of the kept boxes, best first.

    ``mode="min"`` divides the overlap by the smaller box (drops boxes nested in others).
    """
    if len(boxes) == 0:
        return np.zeros(0, dtype=np.int64)
    x1, y1, x2, y2 = boxes[:, 0], boxes[:, 1], boxes[:, 2], boxes[:, 3]
    area = (x2 - x1 + 1) * (y2 - y1 + 1)
    order = np.argsort(-scores, kind="stable")
    keep: list[int] = []
    while order.size:
        i = int(order[0])
        keep.append(i)
        rest = order[1:]
        w = np.clip(np.minimum(x2[i], x2[rest]) - np.maximum(x1[i], x1[rest]) + 1, 0, None)
        h = np.clip(np.minimum(y2[i], y2[rest]) - np.maximum(y1[i], y1[rest]) + 1, 0, None)
        inter = w * h
        denom = np.minimum(area[i], area[rest]) if mode == "min" else area[i] + area[rest] - inter
        order = rest[inter / np.maximum(denom, 1e-9) <= threshold]
    return np.asarray(keep, dtype=np.int64)


def _square(boxes: np.ndarray) -> np.ndarray:
    """Boxes grown to squares around their centres (the networks expect square crops)."""
    out = boxes.copy()
    w = boxes[:, 2] - boxes[:, 0]
    h = boxes[:, 3] - boxes[:, 1]
    side = np.maximum(w, h)
    out[:, 0] = boxes[:, 0] + (w - side) / 2
    out[:, 1] = boxes[:, 1] + (h - side) / 2
    out[:, 2] = out[:, 0] + side
    out[:, 3] = out[:, 1] + side
    return out


def _regress(boxes: np.ndarray, reg: np.ndarray) -> np.ndarray:
    """Apply the networks' box offsets (fractions of the box size)."""
    out = boxes.copy()
    w = boxes[:, 2] - boxes[:, 0] + 1
    h = boxes[:, 3] - boxes[:, 1] + 1
    out[:, 0] += reg[:, 0] * w
    out[:, 1] += reg[:, 1] * h
    out[:, 2] += reg[:, 2] * w
    out[:, 3] += reg[:, 3] * h
    return out


def _crops(image: np.ndarray, boxes: np.ndarray, size: int) -> np.ndarray:
    """(N, 3, size, size) float32 network input: each box cropped (zero outside the frame)."""
    h, w = image.shape[:2]
    out = np.zeros((len(boxes), size, size, 3), dtype=np.uint8)
    for k, (x1, y1, x2, y2) in enumerate(np.trunc(boxes[:, :4]).astype(np.int64)):
        bw, bh = x2 - x1 + 1, y2 - y1 + 1
        if bw < 2 or bh < 2:
            continue
        patch = np.zeros((bh, bw, 3), dtype=np.uint8)
        sx1, sy1, sx2, sy2 = max(x1, 0), max(y1, 0), min(x2 + 1, w), min(y2 + 1, h)
        if sx2 <= sx1 or sy2 <= sy1:
            continue
        patch[sy1 - y1 : sy2 - y1, sx1 - x1 : sx2 - x1] = image[sy1:sy2, sx1:sx2]
        interp = cv2.INTER_AREA if bw > size else cv2.INTER_LINEAR
        out[k] = cv2.resize(patch, (size, size), interpolation=interp)
    return _normalise(out).transpose(0, 3, 1, 2)


def _normalise(pixels: np.ndarray) -> np.ndarray:
    return (pixels.astype(np.float32) - 127.5) * 0.0078125


def _pool(x: torch.Tensor, k: int, s: int) -> torch.Tensor:
    """Max-pool with ``ceil_mode`` (the networks' pooling) from strided maxima.

    On a CPU this is several times faster than ``max_pool2d`` for these small kernels.
    """
    h, w = x.shape[-2:]
    oh, ow = -(-(h - k) // s) + 1, -(-(w - k) // s) + 1
    ph, pw = (oh - 1) * s + k - h, (ow - 1) * s + k - w
    if ph > 0 or pw > 0:
        x = torch.nn.functional.pad(x, (0, max(pw, 0), 0, max(ph, 0)), value=float("-inf"))
    rows = x[:, :, 0 : (oh - 1) * s + 1 : s]
    for i in range(1, k):
        rows = torch.maximum(rows, x[:, :, i : i + (oh - 1) * s + 1 : s])
    out = rows[..., 0 : (ow - 1) * s + 1 : s]
    for i in range(1, k):
        out = torch.maximum(out, rows[..., i : i + (ow - 1) * s + 1 : s])
    return out


def _flat(x: torch.Tensor) -> torch.Tensor:
    # The dense layers were trained on (width, height, channel) order.
    return x.permute(0, 3, 2, 1).reshape(x.shape[0], -1)


def _pnet(net: Any, x: torch.Tensor) -> tuple[torch.Tensor, ...]:
    """P-net: box offsets, face probability per 12x12 window (stride 2)."""
    x = _pool(net.prelu1(net.conv1(x)), 2, 2)
    x = net.prelu3(net.conv3(net.prelu2(net.conv2(x))))
    return net.conv4_2(x), torch.softmax(net.conv4_1(x), dim=1)


def _rnet(net: Any, x: torch.Tensor) -> tuple[torch.Tensor, ...]:
    """R-net on 24x24 crops: box offsets, face probability."""
    x = _pool(net.prelu1(net.conv1(x)), 3, 2)
    x = _pool(net.prelu2(net.conv2(x)), 3, 2)
    x = net.prelu4(net.dense4(_flat(net.prelu3(net.conv3(x)))))
    return net.dense5_2(x), torch.softmax(net.dense5_1(x), dim=1)


def _onet(net: Any, x: torch.Tensor) -> tuple[torch.Tensor, ...]:
    """O-net on 48x48 crops: box offsets, landmarks, face probability."""
    x = _pool(net.prelu1(net.conv1(x)), 3, 2)
    x = _pool(net.prelu2(net.conv2(x)), 3, 2)
    x = _pool(net.prelu3(net.conv3(x)), 2, 2)
    x = net.prelu5(net.dense5(_flat(net.prelu4(net.conv4(x)))))
    return net.dense6_2(x), net.dense6_3(x), torch.softmax(net.dense6_1(x), dim=1)


class Cascade:
    """MTCNN on one RGB frame at a time.

    Parameters
    ----------
    nets : object
        Anything with ``pnet``, ``rnet`` and ``onet`` modules (a facenet-pytorch ``MTCNN``).
    min_face_size : int
        Smallest face searched for, in pixels of the frames given to :meth:`detect`.
    thresholds : tuple of float
        Score thresholds of P-, R- and O-net.
    factor : float
        Scale step of the image pyramid.
    device : torch.device
        Where the networks run.
    """

    def __init__(
        self,
        nets: Any,
        min_face_size: int,
        thresholds: tuple[float, float, float],
        factor: float = 0.709,
        device: torch.device | None = None,
    ) -> None:
        self.pnet, self.rnet, self.onet = nets.pnet, nets.rnet, nets.onet
        self.min_face_size = min_face_size
        self.thresholds = thresholds
        self.factor = factor
        self.device = device or torch.device("cpu")

    def scales(self, height: int, width: int) -> list[float]:
        """Pyramid scales: the smallest face maps to P-net's 12-pixel window, then shrinks."""
        scale = _CELL / self.min_face_size
        side = min(height, width) * scale
        out = []
        while side >= _CELL:
            out.append(scale)
            scale *= self.factor
            side *= self.factor
        return out

    def _net(self, forward: Any, net: Any, data: np.ndarray) -> list[np.ndarray]:
        x = torch.from_numpy(np.ascontiguousarray(data)).to(self.device)
        with torch.inference_mode():
            out = forward(net, x)
        return [o.cpu().numpy() for o in out]

    def _proposals(self, image: np.ndarray) -> np.ndarray:
        """P-net over the pyramid: (N, 9) rows ``x1 y1 x2 y2 score dx1 dy1 dx2 dy2``."""
        h, w = image.shape[:2]
        found = []
        for scale in self.scales(h, w):
            sw, sh = math.ceil(w * scale), math.ceil(h * scale)
            interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
            level = _normalise(cv2.resize(image, (sw, sh), interpolation=interp))
            reg, prob = self._net(_pnet, self.pnet, level.transpose(2, 0, 1)[None])
            ys, xs = np.nonzero(prob[0, 1] >= self.thresholds[0])
            if not len(ys):
                continue
            cells = np.stack([xs, ys], axis=1).astype(np.float32)
            q1 = np.floor((_STRIDE * cells + 1) / scale)
            q2 = np.floor((_STRIDE * cells + _CELL) / scale)
            rows = np.concatenate(
                [q1, q2, prob[0, 1, ys, xs][:, None], reg[0][:, ys, xs].T], axis=1
            )
            found.append(rows[nms(rows[:, :4], rows[:, 4], 0.5)])
        if not found:
            return np.zeros((0, 9), dtype=np.float32)
        rows = np.concatenate(found)
        return rows[nms(rows[:, :4], rows[:, 4], 0.7)]

    def detect(self, image: np.ndarray) -> Detections:
        """Faces in one RGB uint8 frame (boxes, scores, five landmarks)."""
        rows = self._proposals(image)
        if not len(rows):
            return Detections.empty()
        w = rows[:, 2] - rows[:, 0]
        h = rows[:, 3] - rows[:, 1]
        boxes = rows[:, :4] + rows[:, 5:9] * np.stack([w, h, w, h], axis=1)
        boxes = _square(boxes)

        reg, prob = self._net(_rnet, self.rnet, _crops(image, boxes, 24))
        keep = prob[:, 1] > self.thresholds[1]
        boxes, scores, reg = boxes[keep], prob[keep, 1], reg[keep]
        if not len(boxes):
            return Detections.empty()
        keep = nms(boxes, scores, 0.7)
        boxes = _square(_regress(boxes[keep], reg[keep]))

        reg, points, prob = self._net(_onet, self.onet, _crops(image, boxes, 48))
        keep = prob[:, 1] > self.thresholds[2]
        boxes, scores, reg, points = boxes[keep], prob[keep, 1], reg[keep], points[keep]
        if not len(boxes):
            return Detections.empty()
        bw = (boxes[:, 2] - boxes[:, 0] + 1)[:, None]
        bh = (boxes[:, 3] - boxes[:, 1] + 1)[:, None]
        px = boxes[:, 0:1] + bw * points[:, :5] - 1
        py = boxes[:, 1:2] + bh * points[:, 5:] - 1
        landmarks = np.stack([px, py], axis=2)
        boxes = _regress(boxes, reg)
        keep = nms(boxes, scores, 0.7, mode="min")
        return Detections(boxes[keep], scores[keep], landmarks[keep], np.full(len(keep), -1))
