"""Voices: tie speech that no moving mouth explains to a known person by how they sound.

Each person's voice is learned from the turns where they were *seen* speaking (a moving mouth,
or the only face on screen and moving): a diagonal Gaussian over MFCC frames. Turns that
vision could not settle — off-screen speech, or one visible face whose mouth stays still —
are scored against every learned voice; when one voice explains the speech clearly better, the
turn goes to that person with cue ``voice``.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from facetrack_otio.media.audio import Samples
from facetrack_otio.speakers.turns import OFF_SCREEN_ID, SpeakerTurn

_FRAME = 0.025  # seconds per analysis window
_HOP = 0.010
_PER_SECOND = round(1.0 / _HOP)


@dataclass(frozen=True)
class VoiceSettings:
    """When and how voices decide a turn."""

    min_training: float = 2.0
    """Seconds of seen speech needed before a person's voice is trusted."""
    trust: float = 0.75
    """Turns at or above this confidence (and seen, not heard) teach the voice models."""
    revisit: float = 0.7
    """Turns below this confidence, and off-screen turns, are scored by voice."""
    margin: float = 0.5
    """The best voice must win by this fraction of how far apart the voices are on their own
    training turns (mean log-likelihood per frame, own model minus the others)."""
    min_margin: float = 0.1
    """...and by at least this much, however alike the voices are."""
    n_mfcc: int = 20
    max_training: float = 600.0
    """Seconds of a person's seen speech a voice model learns from at most; more is sampled
    evenly (keeps long recordings in bounded memory)."""


@functools.cache
def _mel_filters(sample_rate: int, n_fft: int, n_mels: int = 40) -> np.ndarray:
    """Triangular mel filterbank (n_mels, n_fft // 2 + 1)."""

    def mel(f: np.ndarray) -> np.ndarray:
        return 2595.0 * np.log10(1.0 + f / 700.0)

    def hz(m: np.ndarray) -> np.ndarray:
        return 700.0 * (10 ** (m / 2595.0) - 1.0)

    edges = hz(np.linspace(mel(np.array(60.0)), mel(np.array(sample_rate / 2 - 200)), n_mels + 2))
    bins = np.fft.rfftfreq(n_fft, 1.0 / sample_rate)
    fb = np.zeros((n_mels, len(bins)))
    for i in range(n_mels):
        lo, mid, hi = edges[i], edges[i + 1], edges[i + 2]
        fb[i] = np.clip(np.minimum((bins - lo) / (mid - lo), (hi - bins) / (hi - mid)), 0, None)
    return fb


def _n_frames(n_samples: int, win: int, hop: int) -> int:
    return 1 + (n_samples - win) // hop if n_samples >= win else 0


class _Mfcc:
    """MFCC of any stretch of one recording, once its noise spectrum is known.

    Steady background noise (hiss, hum, room tone) would make every voice look alike, so its
    spectrum (the mean over the quietest fifth of frames) is subtracted first. The recording is
    read a block at a time (a whole hour framed at once would take gigabytes), and features are
    only made for the stretches asked for.
    """

    def __init__(self, pcm: Samples, sample_rate: int, n_mfcc: int, block: int = 6000) -> None:
        self.x = pcm if pcm.dtype == np.int16 else np.asarray(pcm, dtype=np.float32)
        self.win, self.hop = int(_FRAME * sample_rate), int(_HOP * sample_rate)
        self.n = _n_frames(len(self.x), self.win, self.hop)
        self.n_mfcc = n_mfcc
        self.block = block
        self.n_fft = 1 << (self.win - 1).bit_length()
        # int16 samples are scaled per block, never as a float copy of the whole file.
        scale = 32768.0 if self.x.dtype == np.int16 else 1.0
        self.window = np.hamming(self.win).astype(np.float32) / scale
        mel = _mel_filters(sample_rate, self.n_fft).T.astype(np.float32)
        n_mels = mel.shape[1]
        k = np.arange(n_mels)
        dct = np.cos(np.pi / n_mels * (k[None, :] + 0.5) * np.arange(1, n_mfcc + 1)[:, None])
        self.mel, self.dct = mel, dct.T.astype(np.float32)
        self.noise = np.zeros(self.n_fft // 2 + 1, dtype=np.float32)
        if self.n == 0:
            return
        # Pass 1: frame energies, to find the quiet frames.
        energy = np.concatenate([p.sum(axis=1) for _, p in self._power(0, self.n)])
        quiet = energy <= np.percentile(energy, 20)
        # Pass 2: the noise spectrum over the quiet frames.
        noise = np.zeros(self.n_fft // 2 + 1, dtype=np.float64)
        for first, power in self._power(0, self.n):
            noise += power[quiet[first : first + len(power)]].sum(axis=0)
        self.noise = (noise / max(int(quiet.sum()), 1)).astype(np.float32)

    def _power(self, first: int, stop: int) -> Iterator[tuple[int, np.ndarray]]:
        """(first frame, power spectra) of Hamming-windowed frames ``[first, stop)``."""
        for f in range(first, stop, self.block):
            k = min(self.block, stop - f)
            samples = np.asarray(self.x[f * self.hop : (f + k - 1) * self.hop + self.win])
            frames = np.lib.stride_tricks.sliding_window_view(samples, self.win)[:: self.hop]
            frames = frames.astype(np.float32) * self.window
            yield f, (np.abs(np.fft.rfft(frames, self.n_fft)) ** 2).astype(np.float32)

    def frames(self, first: int, stop: int) -> np.ndarray:
        """Features of frames ``[first, stop)`` (clipped to the recording), (n, n_mfcc)."""
        first, stop = max(0, first), min(stop, self.n)
        out = [np.zeros((0, self.n_mfcc), dtype=np.float32)]
        for _, power in self._power(first, stop):
            clean = np.maximum(power - self.noise[None, :], 0.05 * power)
            out.append(np.log(clean @ self.mel + 1e-10) @ self.dct)
        return np.concatenate(out).astype(np.float32)


def mfcc(pcm: Samples, sample_rate: int = 16000, n_mfcc: int = 20, block: int = 6000) -> np.ndarray:
    """MFCC frames (n_frames, n_mfcc) every 10 ms, without c0 (loudness), after spectral
    subtraction of the steady background noise.

    Parameters
    ----------
    pcm : np.ndarray or PcmFile
        Mono audio, int16 or float.
    sample_rate : int
        Samples per second.
    n_mfcc : int
        Coefficients kept (c1..c_n).
    block : int
        Frames processed at a time (memory, not results, depends on it).
    """
    features = _Mfcc(pcm, sample_rate, n_mfcc, block)
    return features.frames(0, features.n)


@dataclass(frozen=True)
class VoiceModel:
    """A person's voice: diagonal Gaussian over MFCC frames."""

    mean: np.ndarray
    var: np.ndarray
    seconds: float
    floor: float
    """Lowest score (per-frame log-likelihood) still taken as this voice: a little under the
    worst second of its own training speech."""

    def loglik(self, feats: np.ndarray) -> float:
        """Mean log-likelihood per frame of ``feats`` (n, d)."""
        z = (feats - self.mean) ** 2 / self.var
        return float(-0.5 * np.mean(np.sum(z + np.log(2 * np.pi * self.var), axis=1)))


def _frames_in(turn: SpeakerTurn) -> tuple[int, int]:
    return int(turn.start / _HOP), int(turn.end / _HOP)


def _is_training(turn: SpeakerTurn, settings: VoiceSettings) -> bool:
    seen = turn.cue in ("mouth-motion", "single-face")
    return turn.speaker != OFF_SCREEN_ID and seen and turn.confidence >= settings.trust


def _is_unsettled(turn: SpeakerTurn, settings: VoiceSettings) -> bool:
    return turn.speaker == OFF_SCREEN_ID or turn.confidence < settings.revisit


def training_features(
    turns: Sequence[SpeakerTurn],
    features: Callable[[SpeakerTurn], np.ndarray],
    settings: VoiceSettings,
) -> dict[int, list[np.ndarray]]:
    """Each person's MFCC frames from the turns they were seen speaking in, one array per turn.

    Beyond ``settings.max_training`` seconds a person's speech is sampled evenly, whole seconds
    at a time (one second in k), so an hour-long recording costs no more than a short one.
    """
    training = [t for t in turns if _is_training(t, settings)]
    seconds: dict[int, float] = {}
    for t in training:
        seconds[t.speaker] = seconds.get(t.speaker, 0.0) + t.duration
    every = {p: max(1, math.ceil(s / settings.max_training)) for p, s in seconds.items()}
    offset = dict.fromkeys(seconds, 0)
    chunks: dict[int, list[np.ndarray]] = {}
    for t in training:
        feats = features(t)
        k = every[t.speaker]
        if k > 1:
            second = (offset[t.speaker] + np.arange(len(feats))) // _PER_SECOND
            offset[t.speaker] += len(feats)
            feats = feats[second % k == 0]
        chunks.setdefault(t.speaker, []).append(feats)
    return chunks


def learn_voices(
    chunks: dict[int, list[np.ndarray]], settings: VoiceSettings
) -> dict[int, VoiceModel]:
    """Voice models for people with at least ``settings.min_training`` seconds of features."""
    models = {}
    for person, parts in chunks.items():
        data = np.concatenate(parts)
        seconds = len(data) * _HOP
        if seconds >= settings.min_training:
            model = VoiceModel(data.mean(0), data.var(0) + 1e-3, seconds, -np.inf)
            own = [
                model.loglik(data[i : i + _PER_SECOND])
                for i in range(0, len(data) - _PER_SECOND + 1, _PER_SECOND)
            ]
            floor = float(np.percentile(own, 5)) - settings.margin if own else -np.inf
            models[person] = VoiceModel(model.mean, model.var, seconds, floor)
    return models


def _separation(chunks: dict[int, list[np.ndarray]], models: dict[int, VoiceModel]) -> float:
    """Median over training turns of (own voice score - best other voice score).

    Noise and similar voices shrink it; it scales how clearly a voice must win elsewhere.
    With a single voice there is nothing to compare: 0.
    """
    if len(models) < 2:
        return 0.0
    gaps = []
    for person, parts in chunks.items():
        if person not in models:
            continue
        for chunk in parts:
            if len(chunk) < 20:
                continue
            own = models[person].loglik(chunk)
            gaps.append(own - max(m.loglik(chunk) for p, m in models.items() if p != person))
    return float(np.median(gaps)) if gaps else 0.0


def attribute_by_voice(
    turns: Sequence[SpeakerTurn],
    pcm: Samples,
    sample_rate: int = 16000,
    settings: VoiceSettings | None = None,
) -> list[SpeakerTurn]:
    """Reassign unsettled turns to the person whose voice explains them clearly best.

    Parameters
    ----------
    turns : sequence of SpeakerTurn
        Turns from the visual fusion.
    pcm : np.ndarray or PcmFile
        The mono audio they were found in (read a block at a time).
    sample_rate : int
        Its sample rate.
    settings : VoiceSettings, optional

    Returns
    -------
    list of SpeakerTurn
        The same turns, some with a new speaker and cue ``voice`` (their confidence says how
        clearly the voice won; ``extra["voice_margin"]`` holds the margin).
    """
    settings = settings or VoiceSettings()
    if not turns or len(pcm) == 0:
        return list(turns)
    n = _n_frames(len(pcm), int(_FRAME * sample_rate), int(_HOP * sample_rate))

    def length(t: SpeakerTurn) -> int:
        first, stop = _frames_in(t)
        return max(0, min(stop, n) - min(first, n))

    if not any(_is_unsettled(t, settings) and length(t) >= 20 for t in turns):
        return list(turns)  # nothing for voices to decide: no need to listen
    features = _Mfcc(pcm, sample_rate, settings.n_mfcc)

    def features_of(t: SpeakerTurn) -> np.ndarray:
        return features.frames(*_frames_in(t))

    chunks = training_features(turns, features_of, settings)
    models = learn_voices(chunks, settings)
    if not models:
        return list(turns)
    needed = max(settings.min_margin, settings.margin * _separation(chunks, models))
    out = []
    for t in turns:
        if not _is_unsettled(t, settings) or length(t) < 20:
            out.append(t)
            continue
        chunk = features_of(t)
        scores = {p: m.loglik(chunk) for p, m in models.items()}
        best = max(scores, key=scores.__getitem__)
        others = [v for p, v in scores.items() if p != best]
        # Against the vision's pick when it has a model; else against the runner-up voice.
        rival = scores.get(t.speaker, max(others) if others else None)
        margin = scores[best] - rival if rival is not None else needed
        known = scores[best] >= models[best].floor  # an unknown voice stays unattributed
        if best != t.speaker and margin >= needed and known:
            confidence = float(np.clip(0.5 + 0.25 * margin / needed, 0.5, 0.95))
            out.append(
                SpeakerTurn(best, t.start, t.end, confidence, "voice", {"voice_margin": margin})
            )
        else:
            out.append(t)
    return out
