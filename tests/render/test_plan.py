"""Which frames go into which file, and the files' names."""

from __future__ import annotations

from fractions import Fraction

import pytest

from facetrack_otio.render.plan import Span, per_speaker, per_turn, split
from facetrack_otio.speakers.turns import Person, SpeakerTurn

FPS = Fraction(25)
PEOPLE = {1: Person(1, "Ada"), 2: Person(2, "Bo")}
TURNS = [
    SpeakerTurn(2, 41.3, 63.0),  # 21.7 s: three segments of at most 10 s
    SpeakerTurn(1, 0.5, 4.0),
    SpeakerTurn(1, 4.2, 9.0),
    SpeakerTurn(0, 70.0, 71.0),
]
TOTAL = 100 * 25


def test_per_turn_names_sort_in_time_and_say_who() -> None:
    outputs, failures = per_turn(TURNS, PEOPLE, FPS, TOTAL)
    assert not failures
    assert [o.name for o in outputs] == [
        "0001_speaker-1_00m00s.mp4",
        "0002_speaker-1_00m04s.mp4",
        "0003_speaker-2_00m41s.mp4",
        "0004_off-screen_01m10s.mp4",
    ]
    assert outputs[2].spans == (Span(round(41.3 * 25), round(63.0 * 25) - round(41.3 * 25)),)


def test_segments_split_long_turns_evenly_with_sortable_names() -> None:
    outputs, _ = per_turn(TURNS, PEOPLE, FPS, TOTAL, segment=10)
    names = [o.name for o in outputs]
    assert names == sorted(names)
    assert names[2:5] == [
        "0003-01_speaker-2_00m41s.mp4",
        "0003-02_speaker-2_00m48s.mp4",
        "0003-03_speaker-2_00m55s.mp4",
    ]
    parts = [o.spans[0] for o in outputs[2:5]]
    assert all(p.count <= 250 for p in parts)
    assert [p.first for p in parts[1:]] == [p.stop for p in parts[:-1]]  # no gap, no overlap
    assert parts[-1].stop == round(63.0 * 25)
    assert max(p.count for p in parts) - min(p.count for p in parts) <= 1


def test_split_edge_cases() -> None:
    assert split(Span(10, 50), 0) == [Span(10, 50)]
    assert split(Span(10, 50), 50) == [Span(10, 50)]
    assert split(Span(10, 51), 50) == [Span(10, 26), Span(36, 25)]


def test_per_speaker_joins_turns_and_merges_overlapping_pads() -> None:
    outputs, _ = per_speaker(TURNS, PEOPLE, FPS, TOTAL, pad=0.5)
    assert [o.name for o in outputs] == ["speaker-1.mp4", "speaker-2.mp4", "off-screen.mp4"]
    ada = outputs[0]
    # 0.0..4.5 and 3.7..9.5 overlap once padded: one span, no frame twice.
    assert ada.spans == (Span(0, round(9.5 * 25)),)
    assert ada.n_frames == round(9.5 * 25)


def test_per_speaker_segments_are_parts_of_at_most_that_length() -> None:
    outputs, _ = per_speaker(TURNS, PEOPLE, FPS, TOTAL, segment=8)
    bo = [o for o in outputs if o.speaker == 2]
    assert [o.name for o in bo] == [
        "speaker-2_part01.mp4",
        "speaker-2_part02.mp4",
        "speaker-2_part03.mp4",
    ]
    assert all(o.n_frames <= 200 for o in bo)
    assert sum(o.n_frames for o in bo) == round(63.0 * 25) - round(41.3 * 25)
    ada = [o for o in outputs if o.speaker == 1]
    assert [len(o.spans) for o in ada] == [2, 1]  # the first part joins two turns


def test_turn_after_the_end_fails_alone() -> None:
    late = SpeakerTurn(1, 120.0, 121.0)
    outputs, failures = per_turn([*TURNS, late], PEOPLE, FPS, TOTAL)
    assert len(outputs) == 4 and [t for t, _ in failures] == [late]
    outputs, failures = per_speaker([*TURNS, late], PEOPLE, FPS, TOTAL)
    assert len(outputs) == 3 and [t for t, _ in failures] == [late]


@pytest.mark.parametrize("segment", [0.0, 3.0])
def test_every_frame_of_every_turn_is_somewhere(segment: float) -> None:
    for make in (per_turn, per_speaker):
        outputs, _ = make(TURNS, PEOPLE, FPS, TOTAL, segment=segment)
        frames = {f for o in outputs for s in o.spans for f in range(s.first, s.stop)}
        for t in TURNS:
            assert set(range(round(t.start * 25), round(t.end * 25))) <= frames
