"""Voices: who speaks, by how they sound, joined with who is seen speaking.

Every decision window of speech is described by a trained voice encoder (GE2E, see
:mod:`facetrack_otio.speakers.voice_encoder`) over the ``context`` seconds of speech around it.
The windows are then clustered into voices (average linkage on cosine similarity), with what
the faces already settled as constraints: windows where one of several visible mouths clearly
speaks teach the clustering that they are that person's voice, and that two people's windows
are two voices.

Each voice is then tied to a person:

- a voice that holds such windows belongs to their person;
- any other voice, the longest first, goes to the person on screen during most of it (at least
  ``min_shared`` of it) who has no voice yet: in an edited interview the speaker is usually
  shown, while a cutaway to a listener shows someone whose own voice is elsewhere;
- a voice tied to nobody is someone never seen: "Off-screen 1", "Off-screen 2", ... (the
  interviewer behind the camera), the same identity wherever they speak.

Finally each window takes its voice's person, except where several faces are on screen and one
mouth clearly speaks (``vision_wins``): similar voices in noise can fool the voice encoder,
those mouths cannot.

Without faces at all (audio only) the voices are the speakers: 1, 2, ...
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from facetrack_otio.clustering import cluster_in_blocks
from facetrack_otio.media.audio import Samples
from facetrack_otio.speakers.settings import VoiceSettings
from facetrack_otio.speakers.windows import Window

if TYPE_CHECKING:  # torch is imported only when voices are described, not with the settings
    from facetrack_otio.speakers.voice_encoder import VoiceEncoder

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Voices:
    """The voice stage's result: windows with their final speaker, and each voice's person.

    Attributes
    ----------
    windows : list of Window
        The decision windows, each given to a person.
    labels : np.ndarray
        (N,) voice of each window, 0..K-1.
    person : dict of int to int
        Voice -> person id (negative for voices never seen).
    embeddings : np.ndarray
        (N, 256) voice embedding of each window.
    """

    windows: list[Window]
    labels: np.ndarray
    person: dict[int, int]
    embeddings: np.ndarray

    @property
    def off_screen(self) -> list[int]:
        """Ids of the voices no face was tied to (-1, -2, ...)."""
        return sorted({p for p in self.person.values() if p < 0}, reverse=True)


def describe_windows(
    encoder: VoiceEncoder, pcm: Samples, windows: Sequence[Window], context: float
) -> np.ndarray:
    """(N, 256) voice embedding of each window: ``context`` seconds around its middle, kept
    inside its speech segment (a window longer than that is described whole)."""
    spans = []
    for w in windows:
        half = max(context, w.duration) / 2
        middle = (w.start + w.end) / 2
        lo, hi = w.segment if w.segment[1] > w.segment[0] else (w.start, w.end)
        a, b = max(lo, middle - half), min(hi, middle + half)
        # Near a segment's edge, take the context from the other side.
        spare = 2 * half - (b - a)
        a, b = max(lo, a - spare), min(hi, b + spare)
        spans.append((a, b))
    return encoder.embed(pcm, spans)


def _seeds(windows: Sequence[Window], settings: VoiceSettings) -> np.ndarray:
    """(N,) the person a window surely belongs to by the mouths seen (-1: not sure)."""
    return np.array(
        [
            w.speaker
            if len(w.visible) > 1
            and w.cue == "mouth-motion"
            and w.speaker > 0
            and w.confidence >= settings.seed_confidence
            else -1
            for w in windows
        ],
        dtype=np.int64,
    )


def _fold_short_voices(
    labels: np.ndarray,
    embeddings: np.ndarray,
    durations: np.ndarray,
    seeded: np.ndarray,
    min_voice: float,
) -> np.ndarray:
    """Voices heard for less than ``min_voice`` seconds (and not seeded) join the voice most
    like them: a window straddling two speakers makes a voice of its own otherwise."""
    labels = labels.copy()
    while True:
        ids = np.unique(labels)
        seconds = np.array([durations[labels == k].sum() for k in ids])
        short = [k for k, s in zip(ids, seconds) if s < min_voice and not seeded[labels == k].any()]
        if not short or len(ids) < 2:
            break
        k = min(short, key=lambda v: durations[labels == v].sum())
        mean = embeddings[labels == k].mean(axis=0)
        others = [v for v in ids if v != k]
        sims = [float(embeddings[labels == v].mean(axis=0) @ mean) for v in others]
        labels[labels == k] = others[int(np.argmax(sims))]
    _, labels = np.unique(labels, return_inverse=True)
    return labels


def _fold_changes(
    labels: np.ndarray,
    embeddings: np.ndarray,
    windows: Sequence[Window],
    seeded: np.ndarray,
    context: float,
) -> np.ndarray:
    """A voice heard only where one voice hands over to another, inside one stretch of
    speech, is their blend: each of its windows joins the neighbour it is more like.

    A window is described by ``context`` seconds around its middle, so where one speaker
    follows another without a pause the windows whose middles lie within half that of the
    change hear both: at most ``context`` plus one window. When those windows make a voice of
    their own (found in no other place, unseeded, no longer than that), it is no one.
    """
    labels = labels.copy()
    for k in np.unique(labels):
        idx = np.flatnonzero(labels == k)
        first, last = int(idx[0]), int(idx[-1])
        if len(idx) != last - first + 1 or seeded[idx].any():
            continue  # heard in more than one place, or the mouths vouch for it
        if first == 0 or last == len(labels) - 1:
            continue
        before, after = int(labels[first - 1]), int(labels[last + 1])
        if before == after or not (
            windows[first - 1].segment == windows[first].segment == windows[last + 1].segment
            and windows[first].segment == windows[last].segment
        ):
            continue
        longest = max(w.duration for w in windows[first : last + 1])
        if windows[last].end - windows[first].start > context + longest + 1e-6:
            continue
        means = []
        for v in (before, after):
            mean = embeddings[labels == v].mean(axis=0)
            means.append(mean / max(float(np.linalg.norm(mean)), 1e-9))
        sims = embeddings[idx] @ np.stack(means).T
        labels[idx] = np.where(sims[:, 0] >= sims[:, 1], before, after)
    _, labels = np.unique(labels, return_inverse=True)
    return labels


def attribute_voices(
    windows: Sequence[Window],
    pcm: Samples,
    settings: VoiceSettings = VoiceSettings(),
    encoder: VoiceEncoder | None = None,
    faces_seen: bool = True,
    mixed: Sequence[bool] | None = None,
) -> Voices:
    """Give every window the person whose voice it holds.

    Parameters
    ----------
    windows : sequence of Window
        Windows decided by the faces (:func:`~facetrack_otio.speakers.active.visual_windows`),
        or undecided ones for audio only.
    pcm : np.ndarray or PcmFile
        The mono 16 kHz audio.
    settings : VoiceSettings
    encoder : VoiceEncoder, optional
        Built here when not given.
    faces_seen : bool
        False for a recording without faces: voices become speakers 1, 2, ...
    mixed : sequence of bool, optional
        Windows where two people speak at once (two mouths moving hard): their sound is a
        mix, not a voice, so they join the voice most like them instead of making one of their
        own, and the mouths keep deciding them.

    Returns
    -------
    Voices
    """
    windows = list(windows)
    if not windows:
        return Voices([], np.zeros(0, dtype=np.int64), {}, np.zeros((0, 256), np.float32))
    if encoder is None:
        from facetrack_otio.speakers.voice_encoder import VoiceEncoder

        encoder = VoiceEncoder()
    emb = describe_windows(encoder, pcm, windows, settings.context)
    durations = np.array([w.duration for w in windows])
    seeds = _seeds(windows, settings) if faces_seen else np.full(len(windows), -1)
    mix = np.zeros(len(windows), dtype=bool) if mixed is None else np.asarray(mixed, dtype=bool)
    clean = ~mix if (~mix).any() else np.ones(len(windows), dtype=bool)
    seeds[~clean] = -1
    # Seeds of one person start as one voice; two people's seeds are two voices.
    labels = np.zeros(len(windows), dtype=np.int64)
    labels[clean] = cluster_in_blocks(
        emb[clean], settings.similarity, groups=seeds[clean], n_clusters=settings.speakers or None
    )
    if (~clean).any():  # mixes join the voice most like them
        ids = np.unique(labels[clean])
        means = np.stack([emb[clean][labels[clean] == k].mean(axis=0) for k in ids])
        labels[~clean] = ids[np.argmax(emb[~clean] @ means.T, axis=1)]
    labels = _reassign(labels, emb, seeds, [w.segment for w in windows], settings.smooth_margin)
    if not settings.speakers:
        labels = _fold_changes(labels, emb, windows, seeds >= 0, settings.context)
        labels = _fold_short_voices(labels, emb, durations, seeds >= 0, settings.min_voice)
    person = _tie_voices(windows, labels, seeds, durations, settings, faces_seen)
    out = []
    for w, k, m in zip(windows, labels, mix):
        who = person[int(k)]
        sure = (
            len(w.visible) > 1 and w.cue == "mouth-motion" and w.confidence >= settings.vision_wins
        )
        if sure or (m and w.cue == "mouth-motion"):
            out.append(w)  # the mouths are sure, or two of them speak at once
        elif who == w.speaker:
            out.append(w)
        else:
            confidence = 0.85 if who in w.visible else 0.75
            out.append(w.given_to(who, confidence, "voice"))
    return Voices(out, labels, person, emb)


def _reassign(
    labels: np.ndarray,
    embeddings: np.ndarray,
    seeds: np.ndarray,
    segments: Sequence[tuple[float, float]],
    smooth_margin: float,
    rounds: int = 2,
) -> np.ndarray:
    """Each window not settled by the mouths goes to the voice whose mean it is most like.

    Average linkage places a window by its mean similarity to a whole cluster, and a stretch
    of windows that joined together moves as one; near-alike voices (two people in noise) are
    told apart better one window at a time against each voice's mean. A seeded voice's mean is
    taken over its seeded windows only: the stretches the mouths confirmed.
    """
    labels = labels.copy()
    free = seeds < 0
    for _ in range(rounds):
        ids = np.unique(labels)
        means = []
        for k in ids:
            members = (labels == k) & ~free if ((labels == k) & ~free).any() else labels == k
            mean = embeddings[members].mean(axis=0)
            means.append(mean / max(float(np.linalg.norm(mean)), 1e-9))
        sims = embeddings @ np.stack(means).T
        new = labels.copy()
        new[free] = ids[np.argmax(sims[free], axis=1)]
        column = {int(k): j for j, k in enumerate(ids)}
        for i in range(1, len(new) - 1):
            a, b = new[i - 1], new[i + 1]
            lone = free[i] and a == b != new[i]
            close = sims[i, column[int(new[i])]] - sims[i, column[int(a)]] < smooth_margin
            if lone and close and segments[i - 1] == segments[i] == segments[i + 1]:
                new[i] = a
        if np.array_equal(new, labels):
            break
        labels = new
    _, labels = np.unique(labels, return_inverse=True)
    return labels


def _tie_voices(
    windows: Sequence[Window],
    labels: np.ndarray,
    seeds: np.ndarray,
    durations: np.ndarray,
    settings: VoiceSettings,
    faces_seen: bool,
) -> dict[int, int]:
    """Voice -> person.

    Seeded voices go to their person. The others go to a person without a voice yet who is on
    screen during at least ``min_shared`` of them and whose mouth does not move less while
    this voice speaks than while others do (a listener in a cutaway); the best such pairs
    first (time on screen plus how much more the mouth moves). The rest are off-screen.
    """
    voices = [int(k) for k in np.unique(labels)]
    if not faces_seen:
        return {k: i + 1 for i, k in enumerate(voices)}
    person: dict[int, int] = {}
    for k in voices:
        mine = seeds[(labels == k) & (seeds >= 0)]
        if mine.size:
            person[k] = int(np.bincount(mine).argmax())
    # Per voice and person: seconds on screen, and mouth activity x seconds where known.
    shown: dict[tuple[int, int], float] = {}
    moved: dict[tuple[int, int], list[float]] = {}
    for w, k in zip(windows, labels):
        for p, level in zip(w.visible, w.activity or (float("nan"),) * len(w.visible)):
            shown[int(k), p] = shown.get((int(k), p), 0.0) + w.duration
            if np.isfinite(level):
                acc = moved.setdefault((int(k), p), [0.0, 0.0])
                acc[0] += level * w.duration
                acc[1] += w.duration
    total = {k: float(durations[labels == k].sum()) for k in voices}

    def contrast(k: int, p: int) -> float:
        """How much more p's mouth moves while voice k speaks than while the others do."""
        here = moved.get((k, p))
        there = [moved[j, p] for j in voices if j != k and (j, p) in moved]
        if here is None or here[1] <= 0 or not there:
            return 0.0
        elsewhere = sum(m[0] for m in there) / max(sum(m[1] for m in there), 1e-9)
        return float(np.clip(here[0] / here[1] - elsewhere, -1.0, 1.0))

    candidates = []
    for (k, p), seconds in shown.items():
        if k in person:
            continue
        share = seconds / max(total[k], 1e-9)
        c = contrast(k, p)
        if share >= settings.min_shared and c > -settings.listener_margin:
            candidates.append((share + c, k, p))
    taken = set(person.values())
    for _, k, p in sorted(candidates, reverse=True):
        if k not in person and p not in taken:
            person[k] = p
            taken.add(p)
    # Voices tied to nobody: off-screen identities in order of first appearance.
    first = {k: int(np.flatnonzero(labels == k)[0]) for k in voices if k not in person}
    for n, k in enumerate(sorted(first, key=first.__getitem__), start=1):
        person[k] = -n
    return person
