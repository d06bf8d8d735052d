"""A trained voice encoder: GE2E speaker embeddings from the weights ``resemblyzer`` ships.

The network (3-layer LSTM over 40 mel bands, 256-d output, trained with the generalised
end-to-end loss on thousands of speakers; Apache-2.0) turns 1.6 s of speech into an
L2-normalised vector; two stretches of one voice score a high cosine similarity, two voices a
lower one, whatever the words. Only the weights file is taken from the package: importing
``resemblyzer`` would pull librosa, and the mel spectrogram it needs is a few lines of NumPy
here (the same filterbank and framing, so the embeddings are the same).
"""

from __future__ import annotations

import functools
import importlib.util
import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch

from facetrack_otio.media.audio import Samples
from facetrack_otio.model_packages import INSTALL_HINT

log = logging.getLogger(__name__)

RATE = 16000
_N_FFT = 400  # 25 ms
_HOP = 160  # 10 ms
_MELS = 40
PARTIAL = 160  # frames (1.6 s) per network input, as it was trained
_TARGET_DBFS = -30.0  # the level the network was trained at
_BLOCK = 128  # windows described at a time


def weights_path() -> Path | None:
    """``pretrained.pt`` inside the installed ``resemblyzer`` package (not imported)."""
    spec = importlib.util.find_spec("resemblyzer")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "pretrained.pt"
    return path if path.is_file() else None


def _hz_to_mel(f: np.ndarray) -> np.ndarray:
    """Slaney's mel scale: linear below 1 kHz, logarithmic above."""
    f = np.asarray(f, dtype=np.float64)
    mel = f / (200.0 / 3)
    log_part = f >= 1000.0
    return np.where(log_part, 15.0 + np.log(np.maximum(f, 1e-9) / 1000.0) / (np.log(6.4) / 27), mel)


def _mel_to_hz(m: np.ndarray) -> np.ndarray:
    m = np.asarray(m, dtype=np.float64)
    return np.where(m >= 15.0, 1000.0 * np.exp((np.log(6.4) / 27) * (m - 15.0)), m * 200.0 / 3)


@functools.cache
def mel_filters() -> np.ndarray:
    """(40, 201) triangular Slaney-normalised mel filters from 0 Hz to 8 kHz."""
    freqs = np.linspace(0, RATE / 2, _N_FFT // 2 + 1)
    edges = _mel_to_hz(np.linspace(_hz_to_mel(0.0), _hz_to_mel(RATE / 2), _MELS + 2))
    widths = np.diff(edges)
    ramps = edges[:, None] - freqs[None, :]
    lower = -ramps[:-2] / widths[:-1, None]
    upper = ramps[2:] / widths[1:, None]
    weights = np.maximum(0.0, np.minimum(lower, upper))
    weights *= (2.0 / (edges[2 : _MELS + 2] - edges[:_MELS]))[:, None]
    return weights.astype(np.float32)


@functools.cache
def _window() -> np.ndarray:
    n = np.arange(_N_FFT)
    return (0.5 - 0.5 * np.cos(2 * np.pi * n / _N_FFT)).astype(np.float32)  # periodic Hann


def mel_spectrogram(samples: np.ndarray) -> np.ndarray:
    """(frames, 40) mel power spectrogram of float samples at 16 kHz (frames centred on every
    10 ms, the signal padded with zeros at both ends)."""
    x = np.pad(np.asarray(samples, dtype=np.float32), _N_FFT // 2)
    if len(x) < _N_FFT:
        return np.zeros((0, _MELS), dtype=np.float32)
    frames = np.lib.stride_tricks.sliding_window_view(x, _N_FFT)[::_HOP] * _window()
    power = np.abs(np.fft.rfft(frames, _N_FFT)) ** 2
    return (power.astype(np.float32) @ mel_filters().T).astype(np.float32)


class _Net(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.lstm = torch.nn.LSTM(_MELS, 256, 3, batch_first=True)
        self.linear = torch.nn.Linear(256, 256)

    def forward(self, mels: torch.Tensor) -> torch.Tensor:
        _, (hidden, _) = self.lstm(mels)
        raw = torch.relu(self.linear(hidden[-1]))
        return raw / torch.norm(raw, dim=1, keepdim=True).clamp_min(1e-9)


@functools.cache
def _network(path: str) -> _Net:
    net = _Net()
    state = torch.load(path, map_location="cpu", weights_only=True)["model_state"]
    net.load_state_dict({k: v for k, v in state.items() if not k.startswith("similarity")})
    return net.eval()


class VoiceEncoder:
    """GE2E speaker embeddings of stretches of one recording.

    Raises
    ------
    FileNotFoundError
        When the ``resemblyzer`` package (its weights) is not installed.
    """

    name = "ge2e-resemblyzer"
    dim = 256

    def __init__(self) -> None:
        path = weights_path()
        if path is None:
            raise FileNotFoundError("the resemblyzer package (voice encoder weights) is missing")
        self.net = _network(str(path))

    def embed(
        self, pcm: Samples, windows: Sequence[tuple[float, float]], sample_rate: int = RATE
    ) -> np.ndarray:
        """(N, 256) L2-normalised embeddings of the ``windows`` (start, end seconds) of ``pcm``.

        Runs torch on one thread (restored after): on two cores with another process busy,
        two threads were measured five times slower than one.
        """
        previous = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            return self._embed(pcm, windows, sample_rate)
        finally:
            torch.set_num_threads(previous)

    @torch.inference_mode()
    def _embed(
        self, pcm: Samples, windows: Sequence[tuple[float, float]], sample_rate: int
    ) -> np.ndarray:
        # Each window is brought to the level the network was trained at and cut into 1.6 s
        # pieces (half overlapping; a shorter window is one piece) whose embeddings are
        # averaged.
        if sample_rate != RATE:
            raise ValueError(f"the voice encoder takes {RATE} Hz audio, not {sample_rate}")
        out = np.zeros((len(windows), self.dim), dtype=np.float32)
        # A block of windows at a time: an hour's spectrograms at once would take ~170 MB.
        for first in range(0, len(windows), _BLOCK):
            part = windows[first : first + _BLOCK]
            out[first : first + len(part)] = self._embed_block(pcm, part)
        return out

    def _embed_block(self, pcm: Samples, windows: Sequence[tuple[float, float]]) -> np.ndarray:
        pieces: list[np.ndarray] = []
        owner: list[int] = []
        for run in _runs(windows):
            # One spectrogram per run of overlapping windows (they overlap threefold), sliced
            # per window; a window's level is set by scaling its slice (power: gain squared).
            a0 = windows[run[0]][0]
            b0 = max(windows[i][1] for i in run)
            first = max(0, int(a0 * RATE))
            x = np.asarray(pcm[first : max(first, int(b0 * RATE))], dtype=np.float32)
            if pcm.dtype == np.int16:
                x /= 32768.0
            mel = mel_spectrogram(x)
            for i in run:
                a, b = windows[i]
                lo, hi = max(0, int(a * RATE)) - first, max(0, int(b * RATE)) - first
                part = x[max(0, lo) : max(0, hi)]
                rms = float(np.sqrt(np.mean(part**2))) if len(part) else 0.0
                gain = (10 ** (_TARGET_DBFS / 20) / rms) ** 2 if rms > 1e-5 else 1.0
                f0 = max(0, round(lo / _HOP))
                frames = mel[f0 : f0 + 1 + len(part) // _HOP] * gain
                if len(frames) <= PARTIAL:
                    starts = [0]
                else:
                    starts = list(range(0, len(frames) - PARTIAL + 1, PARTIAL // 2))
                    if starts[-1] + PARTIAL < len(frames):
                        starts.append(len(frames) - PARTIAL)
                for s in starts:
                    pieces.append(frames[s : s + PARTIAL])
                    owner.append(i)
        out = np.zeros((len(windows), self.dim), dtype=np.float32)
        # Pieces of one length go through the network together.
        by_length: dict[int, list[int]] = {}
        for j, p in enumerate(pieces):
            by_length.setdefault(len(p), []).append(j)
        for length, idx in by_length.items():
            if length == 0:
                continue
            batch = torch.from_numpy(np.stack([pieces[j] for j in idx]).astype(np.float32))
            for j, e in zip(idx, self.net(batch).numpy()):
                out[owner[j]] += e
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.maximum(norms, 1e-9)


def _runs(windows: Sequence[tuple[float, float]], longest: float = 60.0) -> list[list[int]]:
    """Indexes of ``windows`` in runs that overlap or touch, each at most ``longest`` s."""
    runs: list[list[int]] = []
    start = end = 0.0
    for i, (a, b) in enumerate(windows):
        if runs and start <= a <= end + 0.05 and b - start <= longest:
            runs[-1].append(i)
            end = max(end, b)
        else:
            runs.append([i])
            start, end = a, b
    return runs


def voice_encoder_unavailable() -> str | None:
    """Why the voice encoder cannot run here (None when it can)."""
    if weights_path() is not None:
        return None
    return f"the resemblyzer package is not installed ({INSTALL_HINT})"
