"""Decision windows: the short stretches of speech the speaker stage decides one by one, and
how runs of them become speaker turns."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from facetrack_otio.speakers.turns import SpeakerTurn
from facetrack_otio.speech.segments import SpeechSegment


@dataclass(frozen=True)
class Window:
    """Who speaks from ``start`` to ``end`` (seconds), and why.

    Attributes
    ----------
    speaker : int
        Person id (see :mod:`facetrack_otio.speakers.turns`).
    confidence : float
        0..1.
    cue : str
        What decided it: ``mouth-motion``, ``single-face``, ``voice`` or ``off-screen``.
    visible : tuple of int
        People on screen during the window.
    segment : tuple of float
        The speech segment the window lies in (its voice is described inside it only).
    activity : tuple of float
        Mouth motion of each visible person over the window, relative to their usual level
        (NaN where unknown).
    """

    start: float
    end: float
    speaker: int
    confidence: float
    cue: str
    visible: tuple[int, ...] = ()
    segment: tuple[float, float] = (0.0, 0.0)
    activity: tuple[float, ...] = ()

    @property
    def duration(self) -> float:
        return self.end - self.start

    def given_to(self, speaker: int, confidence: float, cue: str) -> Window:
        return replace(self, speaker=speaker, confidence=confidence, cue=cue)


def split_speech(
    speech: Sequence[SpeechSegment], length: float
) -> list[tuple[float, float, tuple[float, float]]]:
    """Speech cut into windows of about ``length`` seconds: (start, end, segment)."""
    out = []
    for seg in speech:
        n = max(1, round(seg.duration / length))
        edges = np.linspace(seg.start, seg.end, n + 1)
        out += [(float(a), float(b), (seg.start, seg.end)) for a, b in itertools.pairwise(edges)]
    return out


def _runs(windows: Sequence[Window]) -> list[list[Window]]:
    runs: list[list[Window]] = []
    for w in windows:
        if runs and runs[-1][-1].speaker == w.speaker and runs[-1][-1].segment == w.segment:
            runs[-1].append(w)
        else:
            runs.append([w])
    return runs


def absorb_short(windows: Sequence[Window], min_turn: float) -> list[Window]:
    """Give runs shorter than ``min_turn`` (within one speech segment) to the stronger
    neighbouring run, shortest first."""
    out: list[Window] = []
    for _, group in itertools.groupby(windows, key=lambda w: w.segment):
        runs = _runs(list(group))
        while len(runs) > 1:
            lengths = [r[-1].end - r[0].start for r in runs]
            i = int(np.argmin(lengths))
            if lengths[i] >= min_turn:
                break
            left = runs[i - 1] if i > 0 else None
            right = runs[i + 1] if i + 1 < len(runs) else None
            target = (
                left if right is None or (left is not None and len(left) >= len(right)) else right
            )
            assert target is not None
            who, cue = target[0].speaker, target[0].cue
            runs[i] = [w.given_to(who, w.confidence * 0.5, cue) for w in runs[i]]
            runs = _runs([w for r in runs for w in r])
        out += [w for r in runs for w in r]
    return out


def windows_to_turns(windows: Sequence[Window]) -> list[SpeakerTurn]:
    """One turn per run of one speaker's windows."""
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


def merge_turns(turns: Sequence[SpeakerTurn], gap: float) -> list[SpeakerTurn]:
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


def build_turns(
    windows: Sequence[Window],
    overlaps: Sequence[Window],
    min_turn: float,
    merge_gap: float,
    duration: float | None = None,
) -> list[SpeakerTurn]:
    """Speaker turns from decided windows (and overlapping second speakers).

    Runs shorter than ``min_turn`` go to their neighbours, a speaker's turns closer than
    ``merge_gap`` join, and turns are clipped to ``duration``.
    """
    turns = windows_to_turns(absorb_short(windows, min_turn))
    turns += windows_to_turns(overlaps)
    turns = merge_turns(turns, merge_gap)
    if duration is not None:
        turns = [
            SpeakerTurn(t.speaker, t.start, min(t.end, duration), t.confidence, t.cue)
            for t in turns
            if t.start < duration
        ]
    return turns
