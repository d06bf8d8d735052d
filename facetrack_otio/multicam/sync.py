"""Sync: place every file of a shoot on one clock by its sound.

Cameras carry scratch audio and each microphone records the room it is in, so any two files
rolling at the same time share the sound of that time, at different levels, through different
equalisation and noise. Two steps find where they line up:

1. **Coarse.** Each file's audio becomes an onset envelope at 100 Hz: log energy in 16 bands
   (150 Hz to 6 kHz), its rise from one 10 ms frame to the next (onsets: the starts of
   syllables), each band scaled by its own spread, averaged over the bands and freed of its
   slow drift. Logs and per-band scaling make it blind to level and to equalisation. The
   envelopes of two files are cross-correlated over every lag; the highest peak is their
   offset to 10 ms, and its height over the highest peak elsewhere (more than 0.2 s away) is
   the confidence: about 4 to 10 for files of one shoot, 1.0 to 1.5 for files of two.
2. **Fine.** GCC-PHAT on the waveforms (cross-power spectrum whitened to its phase), summed
   over up to a dozen 2 s windows of the overlap, searched 50 ms around the coarse offset and
   interpolated between samples.

Files are then placed by a spanning tree of the most confident pairs, starting from the files
whose place is known (the first file of the largest group, or the files placed by hand).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from facetrack_otio.media.audio import Samples

SYNC_RATE = 16000
"""Samples per second of the audio the sync (and the speech stages after it) read."""
ENVELOPE_HZ = 100
_WIN = 512  # 32 ms frames at 16 kHz
_HOP = SYNC_RATE // ENVELOPE_HZ
_BANDS = np.geomspace(150.0, 6000.0, 17)
_BLOCK = 6000  # frames of the envelope computed at a time (memory stays flat)
_DRIFT_S = 1.0  # the slow drift removed from the envelope (moving average length)
_EXCLUDE_S = 0.2  # the second-best peak is looked for this far from the best
_FINE_WINDOW_S = 2.0
_FINE_WINDOWS = 12
_FINE_SEARCH_S = 0.05


@dataclass(frozen=True)
class PairOffset:
    """Where file ``b`` sits relative to file ``a``.

    Attributes
    ----------
    lag : float
        ``offset(b) - offset(a)`` in seconds: the sound at time ``t`` of ``b`` is at time
        ``t + lag`` of ``a``.
    confidence : float
        Height of the correlation peak over the highest peak elsewhere (1: no peak stands out).
    """

    lag: float
    confidence: float


@dataclass(frozen=True)
class Placement:
    """A file's place on the shoot clock.

    Attributes
    ----------
    offset : float
        Shoot-clock time of the file's first frame or sample, in seconds.
    method : str
        ``"sound"`` (by its audio), ``"hand"`` (``--offset``) or ``"reference"`` (the file the
        others were placed against).
    confidence : float
        The confidence of the pair that placed it (``inf`` for the reference and hand-placed
        files).
    via : int or None
        Index of the file it was placed against.
    """

    offset: float
    method: str
    confidence: float = math.inf
    via: int | None = None


class SyncError(ValueError):
    """Some files could not be placed: ``reasons`` maps each one's index to why."""

    def __init__(self, reasons: Mapping[int, str]) -> None:
        super().__init__("; ".join(f"file {i}: {why}" for i, why in reasons.items()))
        self.reasons = dict(reasons)


def _band_matrix() -> np.ndarray:
    freqs = np.fft.rfftfreq(_WIN, 1.0 / SYNC_RATE)
    m = np.zeros((len(freqs), len(_BANDS) - 1), dtype=np.float32)
    for k, (lo, hi) in enumerate(itertools.pairwise(_BANDS)):
        m[(freqs >= lo) & (freqs < hi), k] = 1.0
    return m


def onset_envelope(pcm: Samples) -> np.ndarray:
    """The file's onset envelope at :data:`ENVELOPE_HZ`, zero mean and unit spread.

    Parameters
    ----------
    pcm : numpy.ndarray or PcmFile
        Mono audio at :data:`SYNC_RATE` (int16, or floats at full scale 1.0), read a block at a
        time.

    Returns
    -------
    numpy.ndarray
        float32, one value per 10 ms; all zeros when the audio is silent or shorter than a
        frame.
    """
    n = 1 + (len(pcm) - _WIN) // _HOP if len(pcm) >= _WIN else 0
    if n < 2:
        return np.zeros(max(n, 0), dtype=np.float32)
    bands = _band_matrix()
    window = np.hanning(_WIN).astype(np.float32)
    scale = 1 / 32768.0 if np.dtype(pcm.dtype) == np.int16 else 1.0
    logs = np.empty((n, bands.shape[1]), dtype=np.float32)
    for first in range(0, n, _BLOCK):
        k = min(_BLOCK, n - first)
        samples = np.asarray(pcm[first * _HOP : (first + k - 1) * _HOP + _WIN], dtype=np.float32)
        frames = np.lib.stride_tricks.sliding_window_view(samples * scale, _WIN)[::_HOP][:k]
        power = np.abs(np.fft.rfft(frames * window, axis=1)) ** 2
        logs[first : first + k] = np.log(power.astype(np.float32) @ bands + 1e-10)
    flux = np.maximum(np.diff(logs, axis=0, prepend=logs[:1]), 0.0)
    spread = flux.std(axis=0)
    live = spread > 1e-6
    if not live.any():
        return np.zeros(n, dtype=np.float32)
    env = (flux[:, live] / spread[live]).mean(axis=1)
    width = max(1, round(_DRIFT_S * ENVELOPE_HZ))
    csum = np.concatenate([[0.0], np.cumsum(env, dtype=np.float64)])
    lo = np.clip(np.arange(n) - width // 2, 0, n)
    hi = np.clip(np.arange(n) + width // 2 + 1, 0, n)
    env = env - (csum[hi] - csum[lo]) / (hi - lo)
    sd = float(env.std())
    if sd < 1e-9:
        return np.zeros(n, dtype=np.float32)
    return ((env - env.mean()) / sd).astype(np.float32)


def coarse_offset(env_a: np.ndarray, env_b: np.ndarray) -> PairOffset:
    """The lag between two files from their onset envelopes (10 ms steps).

    Parameters
    ----------
    env_a, env_b : numpy.ndarray
        :func:`onset_envelope` of each file.

    Returns
    -------
    PairOffset
        Confidence 0 when either envelope is empty or silent.
    """
    if len(env_a) < 2 or len(env_b) < 2 or not env_a.any() or not env_b.any():
        return PairOffset(0.0, 0.0)
    size = 1 << (len(env_a) + len(env_b) - 1).bit_length()
    spec = np.fft.rfft(env_a, size) * np.conj(np.fft.rfft(env_b, size))
    full = np.fft.irfft(spec, size)
    # Lags 0..len(a)-1 then -(len(b)-1)..-1: a[t + lag] lines up with b[t].
    corr = np.concatenate([full[size - len(env_b) + 1 :], full[: len(env_a)]])
    lags = np.arange(-len(env_b) + 1, len(env_a))
    best = int(np.argmax(corr))
    peak = float(corr[best])
    if peak <= 0:
        return PairOffset(0.0, 0.0)
    exclude = round(_EXCLUDE_S * ENVELOPE_HZ)
    others = np.concatenate([corr[: max(0, best - exclude)], corr[best + exclude + 1 :]])
    second = float(others.max()) if others.size else 0.0
    confidence = peak / second if second > 0 else math.inf
    return PairOffset(float(lags[best]) / ENVELOPE_HZ, confidence)


def fine_offset(pcm_a: Samples, pcm_b: Samples, lag: float) -> float:
    """``lag`` refined to a fraction of a sample by GCC-PHAT around it.

    Parameters
    ----------
    pcm_a, pcm_b : numpy.ndarray or PcmFile
        The two files' audio at :data:`SYNC_RATE`.
    lag : float
        The coarse lag (``offset(b) - offset(a)``), good to a few 10 ms frames.

    Returns
    -------
    float
        The refined lag; ``lag`` itself when the overlap is too short to refine on.
    """
    rate = SYNC_RATE
    width = round(_FINE_WINDOW_S * rate)
    margin = round(_FINE_SEARCH_S * rate)
    # b's time t is a's time t + lag: the overlap in b's time.
    t0 = max(0.0, -lag) + _FINE_SEARCH_S
    t1 = min(len(pcm_b) / rate, len(pcm_a) / rate - lag) - _FINE_WINDOW_S - _FINE_SEARCH_S
    if t1 <= t0:
        return lag
    size = 1 << (width + 2 * margin - 1).bit_length()
    taper_a = np.hanning(width + 2 * margin).astype(np.float32)
    taper_b = np.hanning(width).astype(np.float32)
    acc = np.zeros(size // 2 + 1, dtype=np.complex128)
    shift = round(lag * rate)
    for start in np.linspace(t0, t1, _FINE_WINDOWS):
        ib = round(start * rate)
        ia = ib + shift - margin
        a = np.asarray(pcm_a[ia : ia + width + 2 * margin], dtype=np.float32)
        b = np.asarray(pcm_b[ib : ib + width], dtype=np.float32)
        if len(a) < width + 2 * margin or len(b) < width or not a.any() or not b.any():
            continue
        cross = np.fft.rfft(a * taper_a, size) * np.conj(np.fft.rfft(b * taper_b, size))
        acc += cross / np.maximum(np.abs(cross), 1e-12)
    if not acc.any():
        return lag
    corr = np.fft.irfft(acc, size)[: 2 * margin + 1]
    k = int(np.argmax(corr))
    frac = 0.0
    if 0 < k < 2 * margin:
        y0, y1, y2 = corr[k - 1], corr[k], corr[k + 1]
        den = y0 - 2 * y1 + y2
        frac = float(0.5 * (y0 - y2) / den) if den < 0 else 0.0
    return (shift - margin + k + frac) / rate


def place_files(
    envelopes: Sequence[np.ndarray | None],
    pcms: Sequence[Samples | None],
    hand: Mapping[int, float],
    min_confidence: float,
) -> list[Placement]:
    """Every file's offset on one clock.

    Parameters
    ----------
    envelopes : sequence of numpy.ndarray or None
        :func:`onset_envelope` per file (None: the file has no audio).
    pcms : sequence of numpy.ndarray, PcmFile or None
        Each file's audio, for the fine step (None where the envelope is None).
    hand : mapping of int to float
        Files placed by hand: index -> offset relative to file 0 (seconds).
    min_confidence : float
        Pairs below this confidence do not place each other.

    Returns
    -------
    list of Placement
        One per file, offsets shifted so the earliest file starts at 0.

    Raises
    ------
    SyncError
        Naming the files that could not be placed, with the reason.
    """
    n = len(envelopes)
    pairs: dict[tuple[int, int], PairOffset] = {}
    for a in range(n):
        for b in range(a + 1, n):
            ea, eb = envelopes[a], envelopes[b]
            if ea is not None and eb is not None:
                pairs[(a, b)] = coarse_offset(ea, eb)

    def edge(a: int, b: int) -> PairOffset | None:
        if (a, b) in pairs:
            return pairs[(a, b)]
        if (b, a) in pairs:
            p = pairs[(b, a)]
            return PairOffset(-p.lag, p.confidence)
        return None

    placed: dict[int, Placement] = {}
    if hand:
        placed[0] = Placement(0.0, "reference")
        for i, offset in hand.items():
            placed[i] = Placement(float(offset), "hand" if i else "reference")
    else:
        anchor = _largest_group(n, pairs, min_confidence)
        placed[anchor] = Placement(0.0, "reference")
    # Prim's algorithm: always the most confident pair from a placed file to an unplaced one.
    while True:
        best: tuple[float, int, int] | None = None
        for a in placed:
            for b in range(n):
                if b in placed:
                    continue
                e = edge(a, b)
                good = e is not None and e.confidence >= min_confidence
                if good and (best is None or e.confidence > best[0]):
                    best = (e.confidence, a, b)
        if best is None:
            break
        confidence, a, b = best
        e = edge(a, b)
        assert e is not None
        pa, pb = pcms[a], pcms[b]
        lag = fine_offset(pa, pb, e.lag) if pa is not None and pb is not None else e.lag
        placed[b] = Placement(placed[a].offset + lag, "sound", confidence, a)

    missing = [i for i in range(n) if i not in placed]
    if missing:
        raise SyncError({i: _why(i, envelopes, placed, edge, min_confidence) for i in missing})
    start = min(p.offset for p in placed.values())
    return [
        Placement(placed[i].offset - start, placed[i].method, placed[i].confidence, placed[i].via)
        for i in range(n)
    ]


def _largest_group(n: int, pairs: Mapping[tuple[int, int], PairOffset], threshold: float) -> int:
    """The first file of the largest group of files that place each other."""
    parent = list(range(n))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for (a, b), p in pairs.items():
        if p.confidence >= threshold:
            parent[root(a)] = root(b)
    sizes: dict[int, list[int]] = {}
    for i in range(n):
        sizes.setdefault(root(i), []).append(i)
    group = max(sizes.values(), key=lambda g: (len(g), -g[0]))
    return group[0]


def _why(
    i: int,
    envelopes: Sequence[np.ndarray | None],
    placed: Mapping[int, Placement],
    edge: Callable[[int, int], PairOffset | None],
    threshold: float,
) -> str:
    """Why file ``i`` could not be placed."""
    env = envelopes[i]
    if env is None:
        return "no audio stream to sync it by"
    if not env.any():
        return "its audio is silent: nothing to sync it by"
    best = max((e.confidence for j in placed if (e := edge(i, j)) is not None), default=0.0)
    return (
        f"no sound in common with the other files (best match {best:.1f}, "
        f"{threshold:.1f} needed: a file of another shoot?)"
    )
