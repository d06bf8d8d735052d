"""Active-speaker fusion on face tracks built from known motion."""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from facetrack_otio.config import SpeakerSettings
from facetrack_otio.faces.tracks import FaceTrack, FaceTracks
from facetrack_otio.speakers.active import assign_speakers
from facetrack_otio.speakers.turns import OFF_SCREEN_ID
from facetrack_otio.speech.segments import SpeechSegment

FPS = 10


def track(tid: int, person: int, frames: range, mouth: np.ndarray) -> FaceTrack:
    n = len(frames)
    return FaceTrack(
        id=tid,
        frames=np.array(frames),
        boxes=np.tile([10.0, 10.0, 50.0, 50.0], (n, 1)),
        landmarks=np.zeros((n, 5, 2)),
        detected=np.ones(n, dtype=bool),
        confidence=np.ones(n),
        mouth=mouth.astype(np.float32),
        embedding=np.ones(4),
        person=person,
    )


def faces(*tracks: FaceTrack, n_frames: int = 100) -> FaceTracks:
    return FaceTracks(Fraction(FPS), (640, 360), n_frames, list(tracks), "test", "cpu")


def motion(n: int, moving: slice, level: float = 0.4) -> np.ndarray:
    m = np.zeros(n)
    m[moving] = level
    return m


def test_the_moving_mouth_speaks() -> None:
    a = track(0, 1, range(100), motion(100, slice(0, 40)))
    b = track(1, 2, range(100), motion(100, slice(40, 80)))
    turns = assign_speakers(faces(a, b), [SpeechSegment(0.0, 8.0)])
    assert [(t.speaker, round(t.start, 1), round(t.end, 1)) for t in turns] == [
        (1, 0.0, 4.0),
        (2, 4.0, 8.0),
    ]
    assert {t.cue for t in turns} == {"mouth-motion"}
    assert all(t.confidence > 0.9 for t in turns)


def test_single_face_and_off_screen() -> None:
    a = track(0, 1, range(50), motion(50, slice(0, 50)))
    turns = assign_speakers(faces(a), [SpeechSegment(0.5, 4.5), SpeechSegment(6.0, 9.0)])
    assert [(t.speaker, t.cue) for t in turns] == [
        (1, "single-face"),
        (OFF_SCREEN_ID, "off-screen"),
    ]


def test_a_still_lone_face_is_not_sure() -> None:
    # The lone face moves early on (its usual level), then stays still while someone speaks.
    a = track(0, 1, range(100), motion(100, slice(0, 30)))
    turns = assign_speakers(faces(a), [SpeechSegment(0.0, 3.0), SpeechSegment(5.0, 9.0)])
    assert turns[0].confidence > turns[1].confidence
    assert turns[1].confidence < 0.7


def test_overlap_gives_two_turns() -> None:
    a = track(0, 1, range(100), motion(100, slice(0, 40)))
    b = track(1, 2, range(100), motion(100, slice(25, 65)))
    turns = assign_speakers(faces(a, b), [SpeechSegment(0.0, 6.5)])
    spans = {t.speaker: (t.start, t.end) for t in turns}
    assert spans[1][1] > spans[2][0], "the two turns overlap"
    assert spans[1][0] == 0.0 and spans[2][1] == 6.5


def test_short_flips_are_absorbed_and_gaps_merged() -> None:
    a = track(0, 1, range(100), motion(100, slice(0, 100)))
    blip = motion(100, slice(42, 45), 2.0)
    b = track(1, 2, range(100), blip)
    settings = SpeakerSettings(min_turn=0.6, merge_gap=1.0)
    speech = [SpeechSegment(0.0, 4.0), SpeechSegment(4.5, 8.0)]
    turns = assign_speakers(faces(a, b), speech, settings)
    assert [(t.speaker, t.start, t.end) for t in turns] == [(1, 0.0, 8.0)]
