"""Microphones: when each one's wearer speaks, and who the wearer is.

A lavalier hears its wearer loud and everyone else faintly (bleed, typically 15 to 20 dB
down, a few milliseconds late). Voice activity alone would give every microphone everyone's
speech, so each microphone is compared with the other channels (the other microphones, and a
camera's scratch audio as the room): for each pair, the level of this microphone relative to
the other falls into two groups over the shoot, its wearer speaking (high) and the other's
sound bleeding in (low). The low group is what this microphone hears of whatever the other
channel hears; the wearer speaks where the microphone is ``mic_margin_db`` louder than the
most any other channel predicts. Crosstalk stays: two people speaking over each other are each
loud in their own microphone.

The wearer is then the person whose mouth moves when the microphone's wearer speaks: the
correlation of each microphone's activity with each person's mouth motion, matched one to one.
A microphone no face matches belongs to someone no camera shows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.optimize import linear_sum_assignment

from facetrack_otio.media.audio import Samples
from facetrack_otio.speakers.turns import SpeakerTurn
from facetrack_otio.speech.vad import VadSettings, energy_envelope, smooth_segments, speech_frames

HOP = 0.02  # seconds per level frame
_SEPARATED_DB = 6.0  # two groups of relative level closer than this are one
_ISOLATION_DB = 18.0  # assumed bleed of a lavalier when only its wearer is ever heard


@dataclass
class Channel:
    """One audio channel on the shoot clock, frame ``k`` at ``t0 + k * HOP``.

    Attributes
    ----------
    level : numpy.ndarray
        dBFS per frame, NaN where the file does not roll.
    speech : numpy.ndarray
        bool per frame: voice activity (webrtcvad and the energy gate of the speech stage).
    """

    level: np.ndarray
    speech: np.ndarray


def channel(pcm: Samples, offset: float, t0: float, n: int, vad: VadSettings) -> Channel:
    """Levels and voice activity of one file's audio on an ``n``-frame grid from ``t0``.

    Parameters
    ----------
    pcm : numpy.ndarray or PcmFile
        Mono audio at 16 kHz.
    offset : float
        Shoot-clock time of its first sample.
    t0 : float
        Shoot-clock time of grid frame 0.
    n : int
        Grid frames.
    vad : VadSettings
        The speech stage's settings.
    """
    rate = 16000
    _, db = energy_envelope(pcm, rate, HOP)
    flags, frame_s = speech_frames(pcm, rate, vad)
    level = np.full(n, np.nan, dtype=np.float32)
    speech = np.zeros(n, dtype=bool)
    idx = np.round((offset + np.arange(len(db)) * HOP - t0) / HOP).astype(np.int64)
    ok = (idx >= 0) & (idx < n)
    level[idx[ok]] = db[ok]
    if len(flags):
        # Each grid frame takes the speech decision of the VAD frame it falls in.
        times = t0 + np.arange(n) * HOP - offset
        k = np.floor(times / frame_s).astype(np.int64)
        inside = (k >= 0) & (k < len(flags))
        speech[inside] = flags[k[inside]]
    return Channel(level, speech)


def _two_groups(values: np.ndarray) -> tuple[float, float]:
    """Centres (low, high) of the two groups of a 1-D sample (Lloyd's 2-means)."""
    lo, hi = np.percentile(values, [25, 75])
    for _ in range(30):
        split = (lo + hi) / 2
        a, b = values[values < split], values[values >= split]
        if not a.size or not b.size:
            break
        new = float(np.median(a)), float(np.median(b))
        if abs(new[0] - lo) < 1e-3 and abs(new[1] - hi) < 1e-3:
            break
        lo, hi = new
    return float(lo), float(hi)


def bleed_gain(mine: Channel, other: Channel) -> float | None:
    """What this microphone hears of the other channel's sound, in dB relative to it.

    Returns
    -------
    float or None
        None when the two channels share too little speech to tell.
    """
    both = np.isfinite(mine.level) & np.isfinite(other.level) & (mine.speech | other.speech)
    if both.sum() < 50:
        return None
    d = (mine.level - other.level)[both]
    lo, hi = _two_groups(d)
    if hi - lo >= _SEPARATED_DB:
        return lo

    # One group only: either the wearer is all this microphone hears here, or never heard.
    # The channel nearer its own loudest level is the one speaking.
    def near_top(c: Channel) -> float:
        top = np.percentile(c.level[np.isfinite(c.level) & c.speech], 95) if c.speech.any() else 0
        return float(np.median(c.level[both] - top))

    middle = float(np.median(d))
    return middle - _ISOLATION_DB if near_top(mine) > near_top(other) else middle


def own_voice(mics: Sequence[Channel], room: Channel | None, margin_db: float) -> list[np.ndarray]:
    """Per microphone, the frames where its wearer speaks.

    Parameters
    ----------
    mics : sequence of Channel
        The microphones.
    room : Channel or None
        A camera's scratch audio, which hears everyone.
    margin_db : float
        How much louder than the predicted bleed the microphone must be.

    Returns
    -------
    list of numpy.ndarray
        bool per grid frame, one array per microphone.
    """
    out = []
    for i, m in enumerate(mics):
        others = [c for j, c in enumerate(mics) if j != i] + ([room] if room is not None else [])
        predicted = np.full(len(m.level), -np.inf, dtype=np.float32)
        for c in others:
            gain = bleed_gain(m, c)
            if gain is None:
                continue
            with np.errstate(invalid="ignore"):
                predicted = np.fmax(predicted, c.level + gain)
        with np.errstate(invalid="ignore"):
            loud = ~np.isfinite(predicted) | (m.level - predicted >= margin_db)
        out.append(m.speech & loud & np.isfinite(m.level))
    return out


def segments(active: np.ndarray, t0: float, vad: VadSettings) -> list[tuple[float, float]]:
    """Frames of activity as smoothed spans on the shoot clock (the VAD's smoothing)."""
    edges = np.diff(np.r_[0, active.astype(np.int8), 0])
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    spans = [(float(s * HOP), float(e * HOP)) for s, e in zip(starts, ends)]
    smoothed = smooth_segments(spans, len(active) * HOP, vad.pad, vad.min_speech, vad.min_silence)
    return [(t0 + a, t0 + b) for a, b in smoothed]


def tie_mics(
    active: Sequence[np.ndarray],
    t0: float,
    visible: np.ndarray,
    activity: np.ndarray,
    fps: float,
    face_t0: float,
    min_correlation: float,
) -> tuple[list[int | None], np.ndarray]:
    """Which person wears each microphone: whose mouth moves when it hears its wearer.

    Parameters
    ----------
    active : sequence of numpy.ndarray
        :func:`own_voice` of each microphone (grid of ``HOP`` from ``t0``).
    t0 : float
        Shoot time of that grid's frame 0.
    visible, activity : numpy.ndarray
        The people's faces on the face grid (:class:`~facetrack_otio.multicam.people.ShootFaces`).
    fps : float
        The face grid's rate; frame 0 at ``face_t0``.
    face_t0 : float
        Shoot time of the face grid's frame 0.
    min_correlation : float
        Below this, a microphone is tied to nobody.

    Returns
    -------
    (list of int or None, numpy.ndarray)
        Person id per microphone (None: nobody on camera), and the correlation matrix
        (microphones x people+1, column 0 unused).
    """
    n_face = len(visible)
    n_people = visible.shape[1]
    corr = np.zeros((len(active), n_people), dtype=np.float64)
    face_times = face_t0 + np.arange(n_face) / fps
    for i, a in enumerate(active):
        # The microphone's activity at each face frame: the share of its frames that are on.
        idx = np.clip(np.round((face_times - t0) / HOP).astype(np.int64), 0, len(a) - 1)
        win = max(1, round(1.0 / (fps * HOP)))
        smooth = np.convolve(a.astype(np.float32), np.ones(win) / win, mode="same")[idx]
        for p in range(1, n_people):
            known = visible[:, p] & np.isfinite(activity[:, p])
            if known.sum() < 10:
                continue
            x, y = smooth[known], activity[known, p]
            if x.std() < 1e-6 or y.std() < 1e-6:
                continue
            corr[i, p] = float(np.corrcoef(x, y)[0, 1])
    owners: list[int | None] = [None] * len(active)
    if n_people > 1 and len(active):
        rows, cols = linear_sum_assignment(corr[:, 1:], maximize=True)
        for r, c in zip(rows, cols):
            if corr[r, c + 1] >= min_correlation:
                owners[r] = int(c + 1)
    return owners, corr


def mic_turns(
    spans: Sequence[Sequence[tuple[float, float]]], owners: Sequence[int]
) -> list[SpeakerTurn]:
    """Turns from each microphone's spans, given to its wearer (cue ``microphone``)."""
    turns = [
        SpeakerTurn(owner, max(0.0, a), b, 0.95, "microphone")
        for owner, mine in zip(owners, spans)
        for a, b in mine
        if b > max(0.0, a)
    ]
    return sorted(turns, key=lambda t: (t.start, t.end, t.speaker))
