"""Active speaker: who of the visible people speaks during each stretch of speech.

Speech segments are cut into short windows. In each window:

- nobody visible: the speech is off-screen (person 0, cue ``off-screen``);
- one person visible: they speak (cue ``single-face``);
- several visible: the one whose mouth region moves most relative to their own usual level
  speaks (cue ``mouth-motion``); the margin over the runner-up gives the confidence.

Window decisions are then joined into turns: runs of one speaker become a turn, a run shorter
than ``min_turn`` is absorbed by its neighbours, and turns of one speaker separated by less than
``merge_gap`` are joined.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from facetrack_otio.config import SpeakerSettings
from facetrack_otio.faces.tracks import FaceTracks
from facetrack_otio.speakers.turns import OFF_SCREEN_ID, SpeakerTurn
from facetrack_otio.speech.segments import SpeechSegment

# Mouth motion below this (contrast-normalised units) is noise on a still mouth.
_MOTION_FLOOR = 0.05


# Activity (relative to the face's usual level) under which a lone face counts as silent.
_STILL = 0.0


@dataclass(frozen=True)
class _Window:
    start: float
    end: float
    speaker: int
    confidence: float
    cue: str


def mouth_activity(tracks: FaceTracks) -> tuple[np.ndarray, np.ndarray]:
    """Per-frame visibility and mouth motion above rest, per person.

    Returns
    -------
    visible : np.ndarray
        (n_frames, P+1) bool, column p for person p.
    activity : np.ndarray
        (n_frames, P+1) float: mouth motion relative to that person's typical level
        (``motion / median - 1``), NaN where unknown. Relative, because faces differ in how
        much their mouth region moves at rest (beard, grain, head motion, compression).
    """
    visible = tracks.visible()
    activity = np.full(visible.shape, np.nan, dtype=np.float32)
    for t in tracks.tracks:
        if t.person <= 0:
            continue
        ok = t.frames < tracks.n_frames
        activity[t.frames[ok], t.person] = t.mouth[ok]
    for p in range(1, visible.shape[1]):
        col = activity[:, p]
        known = col[np.isfinite(col)]
        if known.size:
            # The floor keeps a face whose mouth never moves from turning noise into motion.
            activity[:, p] = col / max(float(np.median(known)), _MOTION_FLOOR) - 1.0
    return visible, activity


def _decide(
    visible: np.ndarray, activity: np.ndarray, f0: int, f1: int, settings: SpeakerSettings
) -> tuple[int, float, str, int | None]:
    """Speaker, confidence, cue and an overlapping second speaker for frames ``f0:f1``."""
    seen = visible[f0:f1].mean(axis=0) if f1 > f0 else np.zeros(visible.shape[1])
    candidates = [p for p in range(1, visible.shape[1]) if seen[p] >= 0.5]
    if not candidates:
        return OFF_SCREEN_ID, 0.5, "off-screen", None
    if len(candidates) == 1:
        # The only face speaks, unless its mouth stays still: then the speech may be someone
        # out of view, and the low confidence lets the voice stage look again.
        col = activity[f0:f1, candidates[0]]
        col = col[np.isfinite(col)]
        still = col.size > 0 and float(col.mean()) < _STILL
        return candidates[0], 0.6 if still else 0.9, "single-face", None
    scores = []
    for p in candidates:
        col = activity[f0:f1, p]
        col = col[np.isfinite(col)]
        scores.append(float(col.mean()) if col.size else 0.0)
    order = np.argsort(scores)[::-1]
    best, second = scores[order[0]], scores[order[1]]
    margin = (best - second) / (abs(best) + abs(second) + 1e-6)
    confidence = float(np.clip(0.5 + 0.5 * margin, 0.5, 1.0))
    # Two mouths both moving hard at once: both are talking (overlapping speech).
    both = second >= settings.overlap_activity and second >= settings.overlap_ratio * best
    other = candidates[int(order[1])] if both else None
    return candidates[int(order[0])], confidence, "mouth-motion", other


def assign_speakers(
    tracks: FaceTracks,
    speech: Sequence[SpeechSegment],
    settings: SpeakerSettings = SpeakerSettings(),
    duration: float | None = None,
) -> list[SpeakerTurn]:
    """Turn speech segments and face tracks into speaker turns.

    Parameters
    ----------
    tracks : FaceTracks
        The face stage's output (people, per-frame boxes, mouth motion).
    speech : sequence of SpeechSegment
        Where someone speaks.
    settings : SpeakerSettings
        Window length and smoothing.
    duration : float, optional
        Source duration; turns are clipped to it.

    Returns
    -------
    list of SpeakerTurn
        Sorted by start.
    """
    visible, activity = mouth_activity(tracks)
    return assign_from_activity(visible, activity, float(tracks.fps), speech, settings, duration)


def assign_from_activity(
    visible: np.ndarray,
    activity: np.ndarray,
    fps: float,
    speech: Sequence[SpeechSegment],
    settings: SpeakerSettings = SpeakerSettings(),
    duration: float | None = None,
) -> list[SpeakerTurn]:
    """Speaker turns from per-frame visibility and mouth activity (see :func:`mouth_activity`).

    :func:`assign_speakers` for arrays made another way: the multicam stage joins the faces of
    several angles on one clock before deciding.

    Parameters
    ----------
    visible, activity : numpy.ndarray
        (n_frames, P+1) visibility and relative mouth activity, column p for person p.
    fps : float
        Frames per second of the arrays (frame 0 at time 0 of ``speech``).
    speech, settings, duration
        As :func:`assign_speakers`.

    Returns
    -------
    list of SpeakerTurn
        Sorted by start.
    """
    n_frames = len(visible)
    turns: list[SpeakerTurn] = []
    overlaps: list[_Window] = []
    for seg in speech:
        n = max(1, round(seg.duration / settings.window))
        edges = np.linspace(seg.start, seg.end, n + 1)
        windows = []
        for a, b in itertools.pairwise(edges):
            f0 = int(np.floor(a * fps))
            f1 = max(f0 + 1, int(np.ceil(b * fps)))
            f0, f1 = min(f0, n_frames), min(f1, n_frames)
            speaker, conf, cue, other = _decide(visible, activity, f0, f1, settings)
            windows.append(_Window(float(a), float(b), speaker, conf, cue))
            if other is not None:
                overlaps.append(_Window(float(a), float(b), other, 0.6, "mouth-motion"))
        turns.extend(_windows_to_turns(_absorb_short(windows, settings.min_turn)))
    turns.extend(_windows_to_turns(overlaps))
    turns = merge_turns(turns, settings.merge_gap)
    if duration is not None:
        turns = [
            SpeakerTurn(t.speaker, t.start, min(t.end, duration), t.confidence, t.cue)
            for t in turns
            if t.start < duration
        ]
    return turns


def _runs(windows: list[_Window]) -> list[list[_Window]]:
    runs: list[list[_Window]] = []
    for w in windows:
        if runs and runs[-1][-1].speaker == w.speaker:
            runs[-1].append(w)
        else:
            runs.append([w])
    return runs


def _absorb_short(windows: list[_Window], min_turn: float) -> list[_Window]:
    """Give runs shorter than ``min_turn`` to the stronger neighbouring run, shortest first."""
    runs = _runs(windows)
    while len(runs) > 1:
        lengths = [r[-1].end - r[0].start for r in runs]
        i = int(np.argmin(lengths))
        if lengths[i] >= min_turn:
            break
        left = runs[i - 1] if i > 0 else None
        right = runs[i + 1] if i + 1 < len(runs) else None
        target = left if right is None or (left is not None and len(left) >= len(right)) else right
        assert target is not None
        who, cue = target[0].speaker, target[0].cue
        runs[i] = [_Window(w.start, w.end, who, w.confidence * 0.5, cue) for w in runs[i]]
        runs = _runs([w for r in runs for w in r])
    return [w for r in runs for w in r]


def _windows_to_turns(windows: list[_Window]) -> list[SpeakerTurn]:
    turns = []
    for run in _runs(windows):
        cues = [w.cue for w in run]
        turns.append(
            SpeakerTurn(
                speaker=run[0].speaker,
                start=run[0].start,
                end=run[-1].end,
                confidence=float(np.mean([w.confidence for w in run])),
                cue=max(set(cues), key=cues.count),
            )
        )
    return turns


def merge_turns(turns: list[SpeakerTurn], gap: float) -> list[SpeakerTurn]:
    """Join each speaker's turns that overlap or are separated by less than ``gap`` seconds."""
    out: list[SpeakerTurn] = []
    for speaker in sorted({t.speaker for t in turns}):
        mine: list[SpeakerTurn] = []
        for t in sorted((t for t in turns if t.speaker == speaker), key=lambda t: t.start):
            if mine and t.start - mine[-1].end < gap:
                prev = mine[-1]
                total = prev.duration + t.duration
                conf = (prev.confidence * prev.duration + t.confidence * t.duration) / total
                cue = prev.cue if prev.duration >= t.duration else t.cue
                mine[-1] = SpeakerTurn(speaker, prev.start, max(prev.end, t.end), conf, cue)
            else:
                mine.append(t)
        out.extend(mine)
    return sorted(out, key=lambda t: (t.start, t.end, t.speaker))
