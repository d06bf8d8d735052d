"""Diarization error rate on hand-made cases with known answers and on the bundled RTTMs."""

from __future__ import annotations

from pathlib import Path

import pytest

from facetrack_otio.eval.der import DERResult, diarization_error_rate
from facetrack_otio.exports.rttm import read_rttm

SAMPLES = Path(__file__).resolve().parents[2] / "samples"
CLIPS = ("two_shot", "cuts", "enter_exit", "hard")


def der(ref, hyp, collar: float = 0.0, skip_overlap: bool = False) -> DERResult:
    return diarization_error_rate(ref, hyp, collar=collar, skip_overlap=skip_overlap)


def turns(name: str) -> list[tuple[str, float, float]]:
    (only,) = read_rttm(SAMPLES / f"{name}.rttm").values()
    return only


REF = [("A", 0.0, 10.0), ("B", 10.0, 20.0)]


def test_perfect_hypothesis() -> None:
    r = der(REF, REF)
    assert r.der == 0.0
    assert r.total == pytest.approx(20.0)
    assert r.mapping == {"A": "A", "B": "B"}


def test_everything_missed() -> None:
    r = der(REF, [])
    assert r.der == pytest.approx(1.0)
    assert r.missed == pytest.approx(20.0)
    assert r.false_alarm == r.confusion == 0.0
    assert r.mapping == {}


def test_permuted_labels_cost_nothing() -> None:
    hyp = [("spk7", 0.0, 10.0), ("spk2", 10.0, 20.0)]
    r = der(REF, hyp, collar=0.25)
    assert r.der == 0.0
    assert r.mapping == {"spk7": "A", "spk2": "B"}


def test_known_confusion_and_collar() -> None:
    # The hypothesis moves the A->B change from 10 s to 12 s.
    hyp = [("x", 0.0, 12.0), ("y", 12.0, 20.0)]
    r = der(REF, hyp)
    assert r.confusion == pytest.approx(2.0)
    assert r.missed == r.false_alarm == 0.0
    assert r.der == pytest.approx(0.1)
    assert r.correct == pytest.approx(18.0)
    # Collars of 0.25 s around 0, 10 and 20 s leave 19 s to score, 1.75 s of them wrong.
    r = der(REF, hyp, collar=0.25)
    assert r.total == pytest.approx(19.0)
    assert r.confusion == pytest.approx(1.75)
    assert r.der == pytest.approx(1.75 / 19.0)


def test_collar_forgives_small_boundary_shifts() -> None:
    hyp = [("A", 0.2, 10.2), ("B", 10.2, 19.8)]
    assert der(REF, hyp, collar=0.25).der == 0.0
    r = der(REF, hyp, collar=0.0)
    # 0.2 s missed at the start and at the end, 0.2 s confused after 10 s.
    assert r.missed == pytest.approx(0.4)
    assert r.confusion == pytest.approx(0.2)
    assert r.der == pytest.approx(0.6 / 20.0)


def test_false_alarm() -> None:
    hyp = [*REF, ("B", 20.0, 25.0)]
    r = der(REF, hyp)
    assert r.false_alarm == pytest.approx(5.0)
    assert r.der == pytest.approx(0.25)
    # The collar around 20 s hides the first 0.25 s of it.
    assert der(REF, hyp, collar=0.25).false_alarm == pytest.approx(4.75)


def test_false_alarm_with_no_reference() -> None:
    r = der([], [("x", 1.0, 2.0)])
    assert r.der == 1.0
    assert r.false_alarm == pytest.approx(1.0)
    assert r.total == 0.0
    assert der([], []).der == 0.0


def test_overlapped_speech_is_scored_per_speaker() -> None:
    ref = [("A", 0.0, 10.0), ("B", 5.0, 15.0)]
    hyp = [("x", 0.0, 10.0), ("y", 10.0, 15.0)]
    r = der(ref, hyp)
    # Each overlapped second counts twice in the total; one of the two voices is missed there.
    assert r.total == pytest.approx(20.0)
    assert r.missed == pytest.approx(5.0)
    assert r.confusion == 0.0
    assert r.der == pytest.approx(0.25)
    assert r.mapping == {"x": "A", "y": "B"}
    # Without the overlap there is nothing wrong left.
    r = der(ref, hyp, skip_overlap=True)
    assert r.total == pytest.approx(10.0)
    assert r.der == 0.0


def test_overlap_with_a_wrong_speaker() -> None:
    ref = [("A", 0.0, 10.0), ("B", 5.0, 15.0)]
    hyp = [("x", 0.0, 12.0)]  # one voice throughout, taken for A
    r = der(ref, hyp)
    # 5-10 s: B missed; 10-12 s: B heard as A; 12-15 s: B missed.
    assert r.mapping == {"x": "A"}
    assert r.missed == pytest.approx(8.0)
    assert r.confusion == pytest.approx(2.0)
    assert r.der == pytest.approx(0.5)


def test_hypothesised_overlap_is_a_false_alarm() -> None:
    hyp = [("x", 0.0, 10.0), ("y", 8.0, 20.0)]
    r = der(REF, hyp)
    assert r.false_alarm == pytest.approx(2.0)
    assert r.confusion == 0.0
    assert r.der == pytest.approx(0.1)


def test_one_speakers_overlapping_turns_count_once() -> None:
    ref = [("A", 0.0, 5.0), ("A", 3.0, 8.0)]
    r = der(ref, [("x", 0.0, 8.0)])
    assert r.total == pytest.approx(8.0)
    assert r.der == 0.0
    # Touching turns of one speaker make one stretch: no collar where they meet.
    r = der([("A", 0.0, 5.0), ("A", 5.0, 10.0)], [("x", 0.0, 10.0)], collar=0.25)
    assert r.total == pytest.approx(9.5)


def test_extra_hypothesis_speaker_is_confusion() -> None:
    # Three hypothesis voices for two reference speakers: the smallest one cannot be mapped.
    hyp = [("x", 0.0, 10.0), ("y", 10.0, 17.0), ("z", 17.0, 20.0)]
    r = der(REF, hyp)
    assert r.mapping == {"x": "A", "y": "B"}
    assert r.confusion == pytest.approx(3.0)
    assert r.der == pytest.approx(0.15)


def test_negative_collar_is_rejected() -> None:
    with pytest.raises(ValueError):
        diarization_error_rate(REF, REF, collar=-0.1)


@pytest.mark.parametrize("name", CLIPS)
def test_rttm_against_itself(name: str) -> None:
    ref = turns(name)
    assert len(ref) >= 7
    for collar in (0.0, 0.25):
        r = diarization_error_rate(ref, ref, collar=collar)
        assert r.der == 0.0
        assert r.total > 15.0
    # Renamed speakers and boundaries moved by less than the collar cost nothing either.
    renamed = [(f"hyp-{label}", s + 0.1, e + 0.1) for label, s, e in ref]
    r = diarization_error_rate(ref, renamed, collar=0.25)
    assert r.der == pytest.approx(0.0, abs=1e-9)
    assert set(r.mapping.values()) == {label for label, _, _ in ref}


def test_rttm_single_label_hypothesis() -> None:
    # Everything said in two_shot attributed to one voice: the voice is mapped to the speaker
    # with more speech (A); all of B's speech outside the overlap becomes confusion, and in the
    # overlap (13.345-14.36 s) one of the two voices is missed.
    ref = turns("two_shot")
    # One hypothesis turn over each run of speech: 1.035-17.486, 17.946-21.782, 22.829-end.
    hyp = [("x", ref[0][1], ref[3][2]), ("x", ref[4][1], ref[4][2]), ("x", ref[5][1], ref[6][2])]
    r = diarization_error_rate(ref, hyp, collar=0.0)
    a = sum(e - s for label, s, e in ref if label == "A")
    b = sum(e - s for label, s, e in ref if label == "B")
    overlap = ref[2][2] - ref[3][1]  # A's turn at 10.464 s runs into B's at 13.345 s
    assert overlap == pytest.approx(1.015)
    assert r.mapping == {"x": "A"}
    assert r.total == pytest.approx(a + b)
    assert r.missed == pytest.approx(overlap)
    assert r.confusion == pytest.approx(b - overlap)
    # The hypothesis also spans the pauses between turns: those are false alarm.
    hyp_time = sum(e - s for _, s, e in hyp)
    assert r.false_alarm == pytest.approx(hyp_time - (a + b - overlap))
    assert r.der == pytest.approx((r.false_alarm + b) / (a + b))
