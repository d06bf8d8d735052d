"""Voices: tie speech that no moving mouth explains to a known person by how they sound.

Each person's voice is learned from the turns where they were *seen* speaking (a moving mouth,
or the only face on screen and moving): a diagonal Gaussian over MFCC frames. Turns that
vision could not settle — off-screen speech, or one visible face whose mouth stays still —
are scored against every learned voice; when one voice explains the speech clearly better, the
turn goes to that person with cue ``voice``.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from facetrack_otio.speakers.turns import OFF_SCREEN_ID, SpeakerTurn

_FRAME = 0.025  # seconds per analysis window
_HOP = 0.010


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


def _power_blocks(
    x: np.ndarray, win: int, hop: int, n_fft: int, block: int
) -> Iterator[tuple[int, np.ndarray]]:
    """(first frame, power spectra) of Hamming-windowed frames, ``block`` frames at a time.

    Blocks keep memory flat in the audio's length: a whole hour framed at once would take
    gigabytes.
    """
    n = 1 + (len(x) - win) // hop
    # int16 samples are scaled per block, never as a float copy of the whole file.
    window = np.hamming(win).astype(np.float32) / (32768.0 if x.dtype == np.int16 else 1.0)
    frames_all = np.lib.stride_tricks.sliding_window_view(x, win)[::hop]
    for first in range(0, n, block):
        frames = frames_all[first : first + block].astype(np.float32) * window
        yield first, (np.abs(np.fft.rfft(frames, n_fft)) ** 2).astype(np.float32)


def mfcc(
    pcm: np.ndarray, sample_rate: int = 16000, n_mfcc: int = 20, block: int = 6000
) -> np.ndarray:
    """MFCC frames (n_frames, n_mfcc) every 10 ms, without c0 (loudness).

    Steady background noise (hiss, hum, room tone) would make every voice look alike, so its
    spectrum (the mean over the quietest fifth of frames) is subtracted first.

    Parameters
    ----------
    pcm : np.ndarray
        Mono audio, int16 or float.
    sample_rate : int
        Samples per second.
    n_mfcc : int
        Coefficients kept (c1..c_n).
    block : int
        Frames processed at a time (memory, not results, depends on it).
    """
    x = pcm if pcm.dtype == np.int16 else pcm.astype(np.float32)
    win, hop = int(_FRAME * sample_rate), int(_HOP * sample_rate)
    if len(x) < win:
        return np.zeros((0, n_mfcc), dtype=np.float32)
    n_fft = 1 << (win - 1).bit_length()
    # Pass 1: frame energies, to find the quiet frames.
    energy = np.concatenate([p.sum(axis=1) for _, p in _power_blocks(x, win, hop, n_fft, block)])
    quiet = energy <= np.percentile(energy, 20)
    # Pass 2: the noise spectrum over the quiet frames.
    noise = np.zeros(n_fft // 2 + 1, dtype=np.float64)
    for first, power in _power_blocks(x, win, hop, n_fft, block):
        noise += power[quiet[first : first + len(power)]].sum(axis=0)
    noise /= max(int(quiet.sum()), 1)
    # Pass 3: subtract, log-mel, DCT.
    mel = _mel_filters(sample_rate, n_fft).T.astype(np.float32)
    n_mels = mel.shape[1]
    k = np.arange(n_mels)
    dct = np.cos(np.pi / n_mels * (k[None, :] + 0.5) * np.arange(1, n_mfcc + 1)[:, None])
    dct = dct.T.astype(np.float32)
    out = []
    for _, power in _power_blocks(x, win, hop, n_fft, block):
        clean = np.maximum(power - noise.astype(np.float32)[None, :], 0.05 * power)
        out.append(np.log(clean @ mel + 1e-10) @ dct)
    return np.concatenate(out).astype(np.float32)


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


def _frames_in(turn: SpeakerTurn, n: int) -> slice:
    return slice(min(n, int(turn.start / _HOP)), min(n, int(turn.end / _HOP)))


def learn_voices(
    turns: Sequence[SpeakerTurn], feats: np.ndarray, settings: VoiceSettings
) -> dict[int, VoiceModel]:
    """Voice models for people seen speaking for at least ``settings.min_training`` seconds."""
    by_person: dict[int, list[np.ndarray]] = {}
    for t in turns:
        seen = t.cue in ("mouth-motion", "single-face")
        if t.speaker == OFF_SCREEN_ID or not seen or t.confidence < settings.trust:
            continue
        by_person.setdefault(t.speaker, []).append(feats[_frames_in(t, len(feats))])
    models = {}
    for person, chunks in by_person.items():
        data = np.concatenate(chunks) if chunks else np.zeros((0, feats.shape[1]))
        seconds = len(data) * _HOP
        if seconds >= settings.min_training:
            model = VoiceModel(data.mean(0), data.var(0) + 1e-3, seconds, -np.inf)
            per_second = int(1.0 / _HOP)
            own = [
                model.loglik(data[i : i + per_second])
                for i in range(0, len(data) - per_second + 1, per_second)
            ]
            floor = float(np.percentile(own, 5)) - settings.margin if own else -np.inf
            models[person] = VoiceModel(model.mean, model.var, seconds, floor)
    return models


def _separation(
    turns: Sequence[SpeakerTurn], feats: np.ndarray, models: dict[int, VoiceModel]
) -> float:
    """Median over training turns of (own voice score - best other voice score).

    Noise and similar voices shrink it; it scales how clearly a voice must win elsewhere.
    With a single voice there is nothing to compare: 0.
    """
    gaps = []
    for t in turns:
        if t.speaker not in models or len(models) < 2:
            continue
        chunk = feats[_frames_in(t, len(feats))]
        if len(chunk) < 20:
            continue
        own = models[t.speaker].loglik(chunk)
        gaps.append(own - max(m.loglik(chunk) for p, m in models.items() if p != t.speaker))
    return float(np.median(gaps)) if gaps else 0.0


def attribute_by_voice(
    turns: Sequence[SpeakerTurn],
    pcm: np.ndarray,
    sample_rate: int = 16000,
    settings: VoiceSettings | None = None,
) -> list[SpeakerTurn]:
    """Reassign unsettled turns to the person whose voice explains them clearly best.

    Parameters
    ----------
    turns : sequence of SpeakerTurn
        Turns from the visual fusion.
    pcm : np.ndarray
        The mono audio they were found in.
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
    if not turns or pcm.size == 0:
        return list(turns)
    feats = mfcc(pcm, sample_rate, settings.n_mfcc)
    models = learn_voices(turns, feats, settings)
    if not models:
        return list(turns)
    needed = max(settings.min_margin, settings.margin * _separation(turns, feats, models))
    out = []
    for t in turns:
        unsettled = t.speaker == OFF_SCREEN_ID or t.confidence < settings.revisit
        chunk = feats[_frames_in(t, len(feats))]
        if not unsettled or len(chunk) < 20:
            out.append(t)
            continue
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
