"""Speech / non-speech scoring on hand-made cases with known answers and on the bundled RTTMs."""

from __future__ import annotations

from pathlib import Path

import pytest

from facetrack_otio.eval.speech import speech_f1, speech_scores, union_intervals
from facetrack_otio.exports.rttm import read_rttm

SAMPLES = Path(__file__).resolve().parents[2] / "samples"


def test_identical_and_disjoint() -> None:
    ref = [(1.0, 2.0), (3.0, 5.0)]
    assert speech_f1(ref, ref) == pytest.approx(1.0)
    assert speech_f1(ref, [(2.0, 3.0), (6.0, 7.0)]) == 0.0


def test_partial_overlap_known_scores() -> None:
    s = speech_scores([(0.0, 10.0)], [(5.0, 15.0)])
    assert s.precision == pytest.approx(0.5)
    assert s.recall == pytest.approx(0.5)
    assert s.f1 == pytest.approx(0.5)
    s = speech_scores([(0.0, 10.0)], [(0.0, 5.0)])
    assert s.precision == pytest.approx(1.0)
    assert s.recall == pytest.approx(0.5)
    assert s.f1 == pytest.approx(2 / 3)
    assert s.reference == pytest.approx(10.0)
    assert s.hypothesis == pytest.approx(5.0)


def test_overlapping_intervals_count_once() -> None:
    s = speech_scores([(0.0, 6.0), (4.0, 10.0)], [(0.0, 10.0), (2.0, 3.0)])
    assert s.f1 == pytest.approx(1.0)
    assert s.reference == pytest.approx(10.0)


def test_empty_inputs() -> None:
    assert speech_f1([], []) == 1.0
    assert speech_f1([(0.0, 1.0)], []) == 0.0
    s = speech_scores([], [(0.0, 1.0)])
    assert (s.precision, s.recall, s.f1) == (0.0, 0.0, 0.0)


def test_resolution_grid() -> None:
    # A 5 ms miss is below a 10 ms grid step but visible on a 1 ms one.
    ref, hyp = [(0.0, 1.0)], [(0.005, 1.0)]
    assert speech_scores(ref, hyp, resolution=0.001).recall == pytest.approx(0.995)
    assert speech_scores(ref, hyp, resolution=0.01).recall >= 0.99
    with pytest.raises(ValueError):
        speech_f1(ref, hyp, resolution=0.0)


def test_union_intervals() -> None:
    assert union_intervals([(3.0, 4.0), (0.0, 1.0), (0.5, 2.0), (2.0, 2.5), (5.0, 5.0)]) == [
        (0.0, 2.5),
        (3.0, 4.0),
    ]


def test_rttm_speech_against_shifted_copy() -> None:
    # two_shot's turns against the same turns 0.1 s late: each of the 7 turns loses 0.1 s of
    # recall at its start and gains 0.1 s of false alarm after its end (except where turns
    # touch or overlap).
    (turns,) = read_rttm(SAMPLES / "two_shot.rttm").values()
    ref = [(s, e) for _, s, e in turns]
    assert speech_f1(ref, ref) == pytest.approx(1.0)
    union = union_intervals(ref)
    shifted = [(s + 0.1, e + 0.1) for s, e in ref]
    scores = speech_scores(ref, shifted)
    total = sum(e - s for s, e in union)
    # The 10 ms grid may round each end of each span by up to half a step.
    grid = 0.01 * len(union)
    assert scores.reference == pytest.approx(total, abs=grid)
    assert scores.recall == pytest.approx((total - 0.1 * len(union)) / total, abs=grid / total)
    assert scores.precision == pytest.approx(scores.recall, abs=grid / total)
