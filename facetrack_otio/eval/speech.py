"""Speech / non-speech scoring on a time grid: precision, recall and F1 of detected speech."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class SpeechScores:
    """Agreement of detected speech with reference speech.

    Attributes
    ----------
    precision : float
        Share of detected speech time that is reference speech.
    recall : float
        Share of reference speech time that was detected.
    f1 : float
        Harmonic mean of precision and recall.
    reference : float
        Reference speech time in seconds (overlaps counted once).
    hypothesis : float
        Detected speech time in seconds (overlaps counted once).
    """

    precision: float
    recall: float
    f1: float
    reference: float
    hypothesis: float


def union_intervals(intervals: Iterable[tuple[float, float]]) -> list[tuple[float, float]]:
    """Merge overlapping or touching intervals.

    Parameters
    ----------
    intervals : iterable of (float, float)
        ``(start, end)`` pairs in seconds, in any order; empty or reversed ones are ignored.

    Returns
    -------
    list of (float, float)
        Sorted, disjoint intervals covering the same time.
    """
    out: list[list[float]] = []
    for start, end in sorted((float(s), float(e)) for s, e in intervals if e > s):
        if out and start <= out[-1][1]:
            out[-1][1] = max(out[-1][1], end)
        else:
            out.append([start, end])
    return [(s, e) for s, e in out]


def _mask(intervals: Sequence[tuple[float, float]], n: int, resolution: float) -> np.ndarray:
    """Grid cells (cell ``k`` covers ``[k, k+1) * resolution``) whose centre lies in a span."""
    mask = np.zeros(n, dtype=bool)
    for start, end in intervals:
        # Cell k's centre is (k + 0.5) * resolution; it is inside when start <= centre < end.
        i0 = max(0, math.ceil(start / resolution - 0.5))
        i1 = min(n, math.ceil(end / resolution - 0.5))
        if i1 > i0:
            mask[i0:i1] = True
    return mask


def speech_scores(
    reference: Sequence[tuple[float, float]],
    hypothesis: Sequence[tuple[float, float]],
    resolution: float = 0.01,
) -> SpeechScores:
    """Precision, recall and F1 of detected speech against reference speech.

    Both inputs are sampled on a grid of ``resolution`` seconds; overlapping intervals within
    one input count once (speech is speech, whoever speaks).

    Parameters
    ----------
    reference : sequence of (float, float)
        True speech spans ``(start, end)`` in seconds, e.g. the turns of an RTTM file.
    hypothesis : sequence of (float, float)
        Detected speech spans in seconds.
    resolution : float
        Grid step in seconds.

    Returns
    -------
    SpeechScores
        When neither input holds any speech the detection is perfect (all scores 1.0); when
        only one does, the empty side's ratio is 0.0 and so is F1.
    """
    if resolution <= 0:
        raise ValueError(f"resolution must be > 0, got {resolution}")
    ref = union_intervals(reference)
    hyp = union_intervals(hypothesis)
    end = max([e for _, e in ref] + [e for _, e in hyp] + [0.0])
    n = math.ceil(end / resolution) + 1
    r = _mask(ref, n, resolution)
    h = _mask(hyp, n, resolution)
    n_ref, n_hyp = int(r.sum()), int(h.sum())
    if n_ref == 0 and n_hyp == 0:
        return SpeechScores(1.0, 1.0, 1.0, 0.0, 0.0)
    hit = int(np.count_nonzero(r & h))
    precision = hit / n_hyp if n_hyp else 0.0
    recall = hit / n_ref if n_ref else 0.0
    f1 = 2 * precision * recall / (precision + recall) if hit else 0.0
    return SpeechScores(precision, recall, f1, n_ref * resolution, n_hyp * resolution)


def speech_f1(
    reference: Sequence[tuple[float, float]],
    hypothesis: Sequence[tuple[float, float]],
    resolution: float = 0.01,
) -> float:
    """F1 of detected speech against reference speech (see :func:`speech_scores`).

    Parameters
    ----------
    reference : sequence of (float, float)
        True speech spans ``(start, end)`` in seconds.
    hypothesis : sequence of (float, float)
        Detected speech spans in seconds.
    resolution : float
        Grid step in seconds.

    Returns
    -------
    float
        F1 in ``[0, 1]``; 1.0 when neither input holds speech.
    """
    return speech_scores(reference, hypothesis, resolution).f1
