"""Build the face models once per process and device, and reuse them.

facenet-pytorch imports torchvision only for ``ops.boxes.batched_nms`` and
``transforms.functional.to_tensor``. PyPI's torchvision wheels do not load beside the CPU torch
used here, so when torchvision is missing or broken these two functions are provided in plain
torch for the duration of the import, then removed again from ``sys.modules``.
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import logging
import sys
import types
from typing import Any

import numpy as np
import torch

from facetrack_otio.errors import InputError, ToolError
from facetrack_otio.model_packages import INSTALL_HINT

log = logging.getLogger(__name__)


def _nms(boxes: torch.Tensor, scores: torch.Tensor, iou_threshold: float) -> torch.Tensor:
    """Greedy non-maximum suppression (same result as torchvision.ops.nms)."""
    if boxes.numel() == 0:
        return torch.zeros(0, dtype=torch.long, device=boxes.device)
    x1, y1, x2, y2 = boxes.unbind(1)
    areas = (x2 - x1).clamp(min=0) * (y2 - y1).clamp(min=0)
    order = scores.argsort(descending=True)
    keep: list[int] = []
    # Work in numpy: the candidate sets are small and a python loop over tensors is slower.
    b = boxes.detach().cpu().numpy()
    a = areas.detach().cpu().numpy()
    idx = order.cpu().numpy()
    while idx.size:
        i = int(idx[0])
        keep.append(i)
        if idx.size == 1:
            break
        rest = idx[1:]
        xx1 = np.maximum(b[i, 0], b[rest, 0])
        yy1 = np.maximum(b[i, 1], b[rest, 1])
        xx2 = np.minimum(b[i, 2], b[rest, 2])
        yy2 = np.minimum(b[i, 3], b[rest, 3])
        inter = np.clip(xx2 - xx1, 0, None) * np.clip(yy2 - yy1, 0, None)
        iou = inter / (a[i] + a[rest] - inter + 1e-12)
        idx = rest[iou <= iou_threshold]
    return torch.as_tensor(keep, dtype=torch.long, device=boxes.device)


def _batched_nms(
    boxes: torch.Tensor, scores: torch.Tensor, idxs: torch.Tensor, iou_threshold: float
) -> torch.Tensor:
    """NMS per category ``idxs``: offset boxes so that different categories never overlap."""
    if boxes.numel() == 0:
        return torch.zeros(0, dtype=torch.long, device=boxes.device)
    offsets = idxs.to(boxes) * (boxes.max() + 1)
    return _nms(boxes + offsets[:, None], scores, iou_threshold)


def _to_tensor(pic: Any) -> torch.Tensor:
    """HWC uint8/float array or PIL image -> CHW float tensor (uint8 scaled to 0..1)."""
    arr = np.asarray(pic)
    if arr.ndim == 2:
        arr = arr[:, :, None]
    t = torch.from_numpy(np.ascontiguousarray(arr.transpose(2, 0, 1)))
    return t.float().div(255) if arr.dtype == np.uint8 else t.float()


def _torchvision_works() -> bool:
    try:
        from torchvision.ops.boxes import batched_nms  # noqa: F401
        from torchvision.transforms import functional  # noqa: F401
    except Exception:  # a CUDA-only wheel raises RuntimeError, not ImportError
        for name in [m for m in sys.modules if m == "torchvision" or m.startswith("torchvision.")]:
            del sys.modules[name]
        return False
    return True


@functools.cache
def facenet() -> types.ModuleType:
    """Import facenet_pytorch, with or without a working torchvision.

    Raises
    ------
    ToolError
        When it is not installed (``facetrack models --install``).
    """
    if importlib.util.find_spec("facenet_pytorch") is None:
        raise ToolError(
            "the face detector's weights (facenet-pytorch) are not installed; "
            f"install them with: {INSTALL_HINT}"
        )
    if _torchvision_works():
        return importlib.import_module("facenet_pytorch")
    shim = {
        "torchvision": types.ModuleType("torchvision"),
        "torchvision.ops": types.ModuleType("torchvision.ops"),
        "torchvision.ops.boxes": types.ModuleType("torchvision.ops.boxes"),
        "torchvision.transforms": types.ModuleType("torchvision.transforms"),
        "torchvision.transforms.functional": types.ModuleType("torchvision.transforms.functional"),
    }
    shim["torchvision.ops.boxes"].batched_nms = _batched_nms  # type: ignore[attr-defined]
    shim["torchvision.transforms.functional"].to_tensor = _to_tensor  # type: ignore[attr-defined]
    shim["torchvision"].ops = shim["torchvision.ops"]  # type: ignore[attr-defined]
    shim["torchvision.ops"].boxes = shim["torchvision.ops.boxes"]  # type: ignore[attr-defined]
    shim["torchvision"].transforms = shim["torchvision.transforms"]  # type: ignore[attr-defined]
    shim["torchvision.transforms"].functional = shim["torchvision.transforms.functional"]  # type: ignore[attr-defined]
    sys.modules.update(shim)
    try:
        module = importlib.import_module("facenet_pytorch")
    finally:
        for name in shim:
            sys.modules.pop(name, None)
    log.debug("facenet_pytorch imported with the built-in NMS (no working torchvision)")
    return module


def pick_device(requested: str = "auto") -> torch.device:
    """CUDA, then Apple MPS, then CPU; or the device named by ``requested``.

    Raises
    ------
    InputError
        For a device name torch does not know, or one this machine does not have.
    """
    if requested != "auto":
        try:
            device = torch.device(requested)
        except RuntimeError:
            raise InputError(f"unknown device {requested!r} (use auto, cpu, cuda or mps)") from None
        if device.type == "cuda" and not torch.cuda.is_available():
            raise InputError(f"device {requested!r} asked for, but CUDA is not available here")
        mps = getattr(torch.backends, "mps", None)
        if device.type == "mps" and not (mps is not None and mps.is_available()):
            raise InputError("device 'mps' asked for, but Apple MPS is not available here")
        return device
    if torch.cuda.is_available():
        return torch.device("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


@functools.cache
def mtcnn(device: str, min_face_size: int, thresholds: tuple[float, float, float]) -> Any:
    """One MTCNN per (device, settings) for the whole process."""
    fp = facenet()
    return fp.MTCNN(
        keep_all=True,
        min_face_size=min_face_size,
        thresholds=list(thresholds),
        post_process=False,
        device=torch.device(device),
    ).eval()
