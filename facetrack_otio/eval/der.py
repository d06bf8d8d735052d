"""Diarization error rate (DER), scored the way NIST md-eval and pyannote.metrics score it.

The timeline is cut into elementary slices at every segment and collar boundary. In each scored
slice with ``nref`` reference and ``nhyp`` hypothesis speakers active::

    missed      = max(0, nref - nhyp)
    false alarm = max(0, nhyp - nref)
    confusion   = min(nref, nhyp) - (active pairs that the speaker mapping matches)

each weighted by the slice duration. The mapping is the one-to-one assignment of hypothesis to
reference labels that maximises their total co-occurrence over the scored time (Hungarian
algorithm). DER = (missed + false alarm + confusion) / total, where total is the scored reference
speech time with overlapping speakers counted once each.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import linear_sum_assignment

# (speaker label, start seconds, end seconds), as read by facetrack_otio.exports.rttm
Turn = tuple[str, float, float]


@dataclass
class DERResult:
    """Components of a diarization error rate.

    Attributes
    ----------
    der : float
        ``(missed + false_alarm + confusion) / total``; 0.0 when there is nothing to score
        and nothing was hypothesised, 1.0 when there is no reference speech but some
        hypothesis.
    missed : float
        Seconds of reference speech with no hypothesis speaker (per missing speaker).
    false_alarm : float
        Seconds of hypothesis speech beyond the reference speakers present.
    confusion : float
        Seconds of speech attributed to the wrong speaker under the optimal mapping.
    total : float
        Scored reference speech in seconds, overlapping speakers counted once each.
    mapping : dict of str to str
        Hypothesis label -> reference label of the optimal one-to-one mapping (only pairs
        that co-occur in scored time).
    """

    der: float
    missed: float
    false_alarm: float
    confusion: float
    total: float
    mapping: dict[str, str] = field(default_factory=dict)

    @property
    def correct(self) -> float:
        """Seconds of reference speech attributed to the right speaker."""
        return self.total - self.missed - self.confusion


def _merge(turns: Sequence[Turn]) -> list[Turn]:
    """Merge each speaker's overlapping or touching turns, drop empty ones.

    A speaker either speaks or not; the boundaries inside one continuous stretch of a speaker's
    speech are not turn boundaries and get no collar.
    """
    by_label: dict[str, list[tuple[float, float]]] = {}
    for label, start, end in turns:
        if float(end) > float(start):
            by_label.setdefault(str(label), []).append((float(start), float(end)))
    out: list[Turn] = []
    for label, spans in by_label.items():
        spans.sort()
        cur_start, cur_end = spans[0]
        for start, end in spans[1:]:
            if start <= cur_end:
                cur_end = max(cur_end, end)
            else:
                out.append((label, cur_start, cur_end))
                cur_start, cur_end = start, end
        out.append((label, cur_start, cur_end))
    return out


def _activity(turns: list[Turn], labels: list[str], bounds: np.ndarray) -> np.ndarray:
    """Boolean matrix (slice, label): whether the label speaks during each slice."""
    index = {label: k for k, label in enumerate(labels)}
    active = np.zeros((len(bounds) - 1, len(labels)), dtype=bool)
    for label, start, end in turns:
        i0 = int(np.searchsorted(bounds, start, side="left"))
        i1 = int(np.searchsorted(bounds, end, side="left"))
        active[i0:i1, index[label]] = True
    return active


def diarization_error_rate(
    reference: Sequence[Turn],
    hypothesis: Sequence[Turn],
    collar: float = 0.25,
    skip_overlap: bool = False,
) -> DERResult:
    """Score a hypothesis diarization against a reference.

    Parameters
    ----------
    reference : sequence of (str, float, float)
        True turns ``(speaker, start, end)`` in seconds (e.g. ``read_rttm(path)[uri]``).
        Overlapping turns of different speakers are overlapped speech; overlapping or
        touching turns of one speaker are merged first.
    hypothesis : sequence of (str, float, float)
        Detected turns; labels need not match the reference's.
    collar : float
        Seconds excluded from scoring on each side of every reference turn's start and end
        (md-eval's ``-c``; pyannote.metrics' ``collar`` is the full width, twice this).
    skip_overlap : bool
        When True, time where two or more reference speakers overlap is not scored.

    Returns
    -------
    DERResult
    """
    if collar < 0:
        raise ValueError(f"collar must be >= 0, got {collar}")
    ref = _merge(reference)
    hyp = _merge(hypothesis)

    edges = {t for _, s, e in ref + hyp for t in (s, e)}
    ref_bounds = sorted({t for _, s, e in ref for t in (s, e)})
    if collar > 0:
        edges |= {t + d for t in ref_bounds for d in (-collar, collar)}
    bounds = np.array(sorted(edges), dtype=np.float64)
    if len(bounds) < 2:  # neither side holds any speech
        return DERResult(0.0, 0.0, 0.0, 0.0, 0.0, {})

    ref_labels = sorted({label for label, _, _ in ref})
    hyp_labels = sorted({label for label, _, _ in hyp})
    r = _activity(ref, ref_labels, bounds)
    h = _activity(hyp, hyp_labels, bounds)
    dur = np.diff(bounds)

    scored = np.ones(len(dur), dtype=bool)
    if collar > 0 and ref_bounds:
        mid = (bounds[:-1] + bounds[1:]) / 2
        rb = np.array(ref_bounds)
        # Distance from each slice's middle to the nearest reference boundary.
        pos = np.searchsorted(rb, mid)
        left = np.abs(mid - rb[np.clip(pos - 1, 0, len(rb) - 1)])
        right = np.abs(rb[np.clip(pos, 0, len(rb) - 1)] - mid)
        scored &= np.minimum(left, right) >= collar
    nref = r.sum(axis=1)
    nhyp = h.sum(axis=1)
    if skip_overlap:
        scored &= nref <= 1
    w = np.where(scored, dur, 0.0)

    mapping: dict[str, str] = {}
    correct = np.zeros(len(dur))
    if ref_labels and hyp_labels:
        # Co-occurrence seconds of each (reference, hypothesis) pair over the scored time.
        cooc = r.T.astype(np.float64) @ (h * w[:, None])
        rows, cols = linear_sum_assignment(cooc, maximize=True)
        for i, j in zip(rows, cols, strict=True):
            if cooc[i, j] > 0:
                mapping[hyp_labels[j]] = ref_labels[i]
                correct += r[:, i] & h[:, j]

    missed = float(np.sum(w * np.maximum(0, nref - nhyp)))
    false_alarm = float(np.sum(w * np.maximum(0, nhyp - nref)))
    confusion = float(np.sum(w * (np.minimum(nref, nhyp) - correct)))
    total = float(np.sum(w * nref))
    errors = missed + false_alarm + confusion
    # With nothing to score, any hypothesised speech is all error.
    der = errors / total if total > 0 else float(errors > 0)
    return DERResult(der, missed, false_alarm, confusion, total, mapping)
