"""The program cut on its own: turns and what each angle shows in, shots out."""

from __future__ import annotations

import itertools

import pytest

from facetrack_otio.multicam.program import (
    CLOSE_UP,
    WIDE,
    AngleView,
    ProgramSegment,
    cut_program,
    floor_targets,
)
from facetrack_otio.multicam.settings import MulticamSettings
from facetrack_otio.speakers.turns import SpeakerTurn
from tests.multicam.helpers import needs_shoot, score, truth, truth_speaker_turns, truth_views

WIDE_V = AngleView(
    0, 0.0, 100.0, {1: [(0, 100)], 2: [(0, 100)]}, {1: 0.2, 2: 0.2}, WIDE, None, "wide"
)
CU_1 = AngleView(1, 0.0, 100.0, {1: [(0, 100)]}, {1: 0.5}, CLOSE_UP, 1, "cu1")
CU_2 = AngleView(2, 0.0, 100.0, {2: [(0, 100)]}, {2: 0.5}, CLOSE_UP, 2, "cu2")
VIEWS = [WIDE_V, CU_1, CU_2]
S = MulticamSettings()


def _angle_at(program: list[ProgramSegment], t: float) -> int | None:
    return next((p.angle for p in program if p.start <= t < p.end), None)


def _check_shape(program: list[ProgramSegment], settings: MulticamSettings) -> None:
    for a, b in itertools.pairwise(program):
        assert a.end == pytest.approx(b.start) and a.angle != b.angle
    assert min(p.duration for p in program) >= settings.min_shot - 1e-9


def test_the_speaker_is_in_their_close_up_cut_a_little_before_they_start() -> None:
    turns = [SpeakerTurn(1, 3.0, 6.0), SpeakerTurn(2, 6.3, 12.0), SpeakerTurn(1, 12.2, 20.0)]
    program = cut_program(turns, VIEWS, S, span=(0.0, 20.0), fps=25)
    assert [p.angle for p in program] == [0, 1, 2, 1]  # the wide until the first word
    # An opening shorter than min_shot is lengthened into the first turn (the wide shows the
    # speaker too) or merged into it, whichever keeps the speaker on air better.
    early = cut_program([SpeakerTurn(1, 1.0, 6.0)], VIEWS, S, span=(0.0, 6.0))
    assert early[-1].angle == 1
    _check_shape(early, S)
    assert program[0].reason == "opening"
    assert program[1].start == pytest.approx(3.0 - S.lead, abs=0.021)
    assert program[2].start == pytest.approx(6.3 - S.lead, abs=0.021)
    assert program[3].start == pytest.approx(12.2 - S.lead, abs=0.021)
    for p in program:  # on the 25 fps grid
        assert p.start * 25 == pytest.approx(round(p.start * 25))
    _check_shape(program, S)


def test_back_channels_do_not_cut_crosstalk_and_long_silence_go_to_the_wide() -> None:
    turns = [
        SpeakerTurn(1, 0.0, 10.0),
        SpeakerTurn(2, 4.0, 4.5),  # "yeah"
        SpeakerTurn(2, 9.0, 15.0),  # over the end of 1's turn for a second
        SpeakerTurn(1, 20.0, 26.0),  # after a 5 s silence
    ]
    program = cut_program(turns, VIEWS, S, span=(0.0, 26.0), fps=25)
    assert _angle_at(program, 4.2) == 1
    assert _angle_at(program, 9.5) == 0  # crosstalk: the wide
    assert _angle_at(program, 12.0) == 2
    assert _angle_at(program, 15.2) == 2  # the silence starts: still 2 for silence_delay
    assert _angle_at(program, 17.0) == 0  # then the wide
    assert _angle_at(program, 21.0) == 1
    reasons = {p.reason for p in program}
    assert {"crosstalk", "silence"} <= reasons
    _check_shape(program, S)


def test_a_short_overlap_cuts_straight_to_the_newcomer() -> None:
    turns = [SpeakerTurn(1, 0.0, 8.0), SpeakerTurn(2, 7.8, 14.0)]
    program = cut_program(turns, VIEWS, S, span=(0.0, 14.0))
    assert [p.angle for p in program] == [1, 2]
    assert program[1].start == pytest.approx(7.8 - S.lead)


def test_a_long_monologue_gets_cutaways_away_from_back_channels() -> None:
    turns = [SpeakerTurn(1, 0.0, 40.0), SpeakerTurn(2, 11.5, 11.9)]
    program = cut_program(turns, VIEWS, S, span=(0.0, 40.0), fps=25)
    close = [p for p in program if p.angle == 1]
    cutaways = [p for p in program if p.reason == "cutaway"]
    assert cutaways and all(p.angle == 0 for p in cutaways)  # the wide shows the speaker
    assert max(p.duration for p in close) <= S.max_shot + 1e-9
    for p in cutaways:
        assert p.duration == pytest.approx(S.cutaway, abs=0.041)
        assert not (p.start - 1.0 < 11.9 and p.end + 1.0 > 11.5)
    _check_shape(program, S)
    # A listener's reaction shot when asked for; another close-up of the speaker above all.
    reaction = cut_program(turns, VIEWS, MulticamSettings(reaction=True), span=(0.0, 40.0))
    assert {p.angle for p in reaction if p.reason == "reaction"} == {2}
    tight = AngleView(3, 0.0, 100.0, {1: [(0, 100)]}, {1: 0.7}, CLOSE_UP, 1, "tight1")
    twice = cut_program(turns, [*VIEWS, tight], S, span=(0.0, 40.0))
    assert {p.angle for p in twice} == {1, 3}  # the speaker stays in a close-up throughout
    no_limit = cut_program(turns, VIEWS, MulticamSettings(max_shot=0), span=(0.0, 40.0))
    assert [p.angle for p in no_limit] == [1]


def test_an_angle_that_is_not_rolling_is_never_on_air() -> None:
    late = AngleView(1, 5.0, 100.0, {1: [(5, 100)]}, {1: 0.5}, CLOSE_UP, 1, "cu1")
    gone = AngleView(2, 0.0, 9.0, {2: [(0, 9)]}, {2: 0.5}, CLOSE_UP, 2, "cu2")
    turns = [SpeakerTurn(1, 0.0, 8.0), SpeakerTurn(2, 8.5, 16.0)]
    program = cut_program(turns, [WIDE_V, late, gone], S, span=(0.0, 16.0), fps=25)
    for p in program:
        view = [WIDE_V, late, gone][p.angle]
        assert view.start <= p.start + 1e-9 and p.end <= view.end + 1e-9
    assert _angle_at(program, 2.0) == 0 and _angle_at(program, 6.0) == 1
    assert _angle_at(program, 12.0) == 0  # 2's close-up stopped rolling: the wide shows them


def test_an_angle_showing_nobody_is_on_air_only_when_nothing_else_rolls() -> None:
    slides = AngleView(3, 0.0, 100.0, {}, {}, "empty", None, "slides")
    late = AngleView(1, 10.0, 100.0, {1: [(10, 100)]}, {1: 0.5}, CLOSE_UP, 1, "cu1")
    program = cut_program([SpeakerTurn(1, 0.0, 30.0)], [slides, late], S, span=(0.0, 30.0))
    assert [(p.angle, p.start, p.end) for p in program] == [(3, 0.0, 10.0), (1, 10.0, 30.0)]


def test_without_a_wide_crosstalk_keeps_a_close_up() -> None:
    turns = [SpeakerTurn(1, 0.0, 10.0), SpeakerTurn(2, 8.0, 15.0)]
    program = cut_program(turns, [CU_1, CU_2], S, span=(0.0, 15.0))
    assert {p.angle for p in program} <= {1, 2}
    assert program[0].start == 0.0 and program[-1].end == 15.0


def test_the_floor_ignores_back_channels() -> None:
    targets = floor_targets(
        [SpeakerTurn(1, 0.0, 5.0), SpeakerTurn(2, 2.0, 2.6), SpeakerTurn(1, 6.0, 9.0)],
        (0.0, 9.0),
        S,
    )
    assert [(t.person, t.reason) for t in targets] == [(1, "speaker")]


@needs_shoot
def test_on_the_shoots_true_turns_the_program_shows_the_speaker() -> None:
    views, _ = truth_views()
    end = truth()["conversation"]["end"]
    program = cut_program(truth_speaker_turns(), views, S, span=(0.0, end), fps=25)
    names = [v.name for v in views]
    scores = score([(p.start, p.end, names[p.angle]) for p in program])
    assert scores.on_speaker >= 0.9
    assert scores.on_close_up >= 0.75
    assert scores.backchannel_cuts == 0
    _check_shape(program, S)


def test_settings_refuse_rules_that_cannot_hold() -> None:
    with pytest.raises(ValueError, match="max_shot"):
        MulticamSettings(min_shot=3.0, max_shot=7.0, cutaway=3.0)
    with pytest.raises(ValueError, match="cutaway"):
        MulticamSettings(min_shot=3.0, cutaway=2.0)
    with pytest.raises(ValueError, match="lead"):
        MulticamSettings(lead=-1.0)
