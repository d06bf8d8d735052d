"""The timeline contract: tracks, names, cuts on frames, markers, references, metadata."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import numpy as np
import opentimelineio as otio
import pytest

from facetrack_otio.media.probe import MediaInfo
from facetrack_otio.speakers.turns import Person, SpeakerTurn
from facetrack_otio.timeline.build import RESERVED_KEYS, build_timeline, total_frames
from facetrack_otio.timeline.meta import (
    SCHEMA_VERSION,
    facetrack_md,
    is_drop_frame,
    marker_color,
    rate_fraction,
    timecode_frames,
)
from tests.timeline.helpers import (
    NTSC,
    expected_program,
    frame,
    ntsc_info,
    ntsc_turns,
    people,
    rttm_turns,
    track_frames,
)


def _check_track_sound(track: otio.schema.Track, total: int) -> None:
    """Items back to back from 0 to ``total``, positive whole-frame durations."""
    cursor = 0
    for item in track:
        r = item.range_in_parent()
        assert r.start_time.value == cursor
        assert r.duration.value > 0
        assert r.duration.value == int(r.duration.value)
        assert item.source_range.start_time.value == int(item.source_range.start_time.value)
        cursor += int(r.duration.value)
    assert cursor == total


@pytest.mark.parametrize("name", ["two_shot", "hard", "ntsc"])
def test_contract(name: str, request: pytest.FixtureRequest) -> None:
    timeline: otio.schema.Timeline = request.getfixturevalue(name)
    info = request.getfixturevalue({"ntsc": "ntsc_source"}.get(name, f"{name}_info"))
    total = total_frames(info)
    rate = float(info.fps)

    assert timeline.name == Path(info.path).stem
    assert timeline.global_start_time.rate == rate
    names = [t.name for t in timeline.tracks]
    kinds = [t.kind for t in timeline.tracks]
    assert names[0] == "Program"
    assert names[-1] == "Audio" and kinds[-1] == otio.schema.TrackKind.Audio
    assert all(k == otio.schema.TrackKind.Video for k in kinds[:-1])

    for track in timeline.tracks:
        _check_track_sound(track, total)
        for item in track:
            assert item.duration().rate == rate
            if isinstance(item, otio.schema.Clip):
                ref = item.media_reference
                assert isinstance(ref, otio.schema.ExternalReference)
                assert ref.target_url == Path(info.path).resolve().as_uri()
                avail = ref.available_range
                assert avail.duration.value == total
                assert avail.start_time.value == timecode_frames(info.start_timecode, info.fps)
                # the clip lies inside the media
                assert avail.start_time <= item.source_range.start_time
                assert item.source_range.end_time_exclusive() <= avail.end_time_exclusive()

    # Speaker tracks: only that person's clips, named after them, gaps elsewhere.
    for track in timeline.tracks[1:-1]:
        pid = facetrack_md(track)["speaker"]
        for item in track:
            if isinstance(item, otio.schema.Clip):
                assert item.name == track.name
                assert facetrack_md(item)["speaker"] == pid
            else:
                assert isinstance(item, otio.schema.Gap)

    audio = timeline.tracks[-1]
    assert len(audio) == 1 and isinstance(audio[0], otio.schema.Clip)
    assert audio[0].source_range.duration.value == total


def test_two_shot_layout(two_shot: otio.schema.Timeline) -> None:
    assert [t.name for t in two_shot.tracks] == ["Program", "Speaker 1", "Speaker 2", "Audio"]
    program = two_shot.tracks[0]
    assert {c.name for c in program} == {"Speaker 1", "Speaker 2", "No speaker"}
    for clip in program:
        speaker = facetrack_md(clip)["speaker"]
        assert clip.name == ("No speaker" if speaker is None else f"Speaker {speaker}")
    assert two_shot.global_start_time == otio.opentime.RationalTime(0, 25)


@pytest.mark.parametrize("name", ["two_shot", "hard"])
def test_program_cuts_are_frame_exact(name: str, request: pytest.FixtureRequest) -> None:
    timeline = request.getfixturevalue(name)
    info: MediaInfo = request.getfixturevalue(f"{name}_info")
    total = total_frames(info)
    owners = expected_program(rttm_turns(name), info.fps, total)
    got: list[int | None] = []
    for _, f0, f1, speaker in track_frames(timeline.tracks[0]):
        got.extend([speaker] * (f1 - f0))
    assert got == owners
    # a cut wherever the speaker changes, and nowhere else
    cuts = [f0 for _, f0, _, _ in track_frames(timeline.tracks[0])][1:]
    changes = [f for f in range(1, total) if owners[f] != owners[f - 1]]
    assert cuts == changes


@pytest.mark.parametrize("name", ["two_shot", "hard"])
def test_speaker_tracks_hold_each_turn(name: str, request: pytest.FixtureRequest) -> None:
    timeline = request.getfixturevalue(name)
    fps = request.getfixturevalue(f"{name}_info").fps
    turns = rttm_turns(name)
    for track in timeline.tracks[1:-1]:
        pid = facetrack_md(track)["speaker"]
        covered = {
            f for kind, f0, f1, _ in track_frames(track) if kind == "Clip" for f in range(f0, f1)
        }
        wanted = {
            f
            for t in turns
            if t.speaker == pid
            for f in range(frame(t.start, fps), frame(t.end, fps))
        }
        assert covered == wanted


def test_hard_source_is_29_97(hard: otio.schema.Timeline, hard_info: MediaInfo) -> None:
    assert hard_info.fps == NTSC and hard_info.variable_frame_rate
    # laid out over the duration at the nominal rate, not over the decoded frame count
    assert total_frames(hard_info) == frame(hard_info.duration, NTSC)
    assert hard.tracks[0].duration().rate == float(NTSC)


def test_overlap_rule_later_turn_holds_program(two_shot_info: MediaInfo) -> None:
    turns = [
        SpeakerTurn(1, 1.0, 5.0),  # A speaks, B interjects inside, A goes on
        SpeakerTurn(2, 2.0, 3.0),
        SpeakerTurn(1, 10.0, 12.0),  # B starts before A ends and goes on after
        SpeakerTurn(2, 11.0, 14.0),
    ]
    tl = build_timeline(two_shot_info, turns, people(1, 2))
    got = [(f0, f1, spk) for _, f0, f1, spk in track_frames(tl.tracks[0])]
    assert got == [
        (0, 25, None),
        (25, 50, 1),
        (50, 75, 2),
        (75, 125, 1),
        (125, 250, None),
        (250, 275, 1),
        (275, 350, 2),
        (350, 831, None),
    ]
    # each person's track holds all of their turns, overlap or not
    spk2 = [(f0, f1) for kind, f0, f1, _ in track_frames(tl.tracks[2]) if kind == "Clip"]
    assert spk2 == [(50, 75), (275, 350)]


def test_markers_at_each_turn_start(ntsc: otio.schema.Timeline, ntsc_source: MediaInfo) -> None:
    program = ntsc.tracks[0]
    start = timecode_frames(ntsc_source.start_timecode, NTSC)
    markers = []
    for clip in program:
        for m in clip.markers:
            f = round(m.marked_range.start_time.value)
            # on the clip that holds the frame
            assert clip.source_range.start_time.value <= f
            assert f < clip.source_range.end_time_exclusive().value
            markers.append((f - start, m.name, m.color, facetrack_md(m)["speaker"]))
    turns = sorted(ntsc_turns(), key=lambda t: t.start)
    assert [(f, n) for f, n, _, _ in markers] == [
        (frame(t.start, NTSC), "Off-screen" if t.speaker == 0 else f"Speaker {t.speaker}")
        for t in turns
        if frame(t.start, NTSC) < 599
    ]
    colors = {spk: c for _, _, c, spk in markers}
    assert colors == {0: marker_color(0), 1: marker_color(1), 2: marker_color(2)}
    assert len(set(colors.values())) == 3


def test_ntsc_timecode_and_rate(ntsc: otio.schema.Timeline, ntsc_source: MediaInfo) -> None:
    rate = float(Fraction(30000, 1001))
    assert ntsc.global_start_time == otio.opentime.RationalTime(108000, rate)
    assert otio.opentime.to_timecode(ntsc.global_start_time, rate, False) == "01:00:00:00"
    first = ntsc.tracks[0][0]
    assert first.media_reference.available_range.start_time.value == 108000
    assert first.source_range.start_time.value == 108000
    # the turn at 0.5 s starts 15 frames in (0.5 * 29.97 = 14.985)
    assert ntsc.tracks[0][1].source_range.start_time.value == 108015


def test_timecode_parsing() -> None:
    assert timecode_frames("01:00:00:00", Fraction(25)) == 90000
    assert timecode_frames("01:00:00:00", NTSC) == 108000
    assert timecode_frames("01:00:00;00", NTSC) == 107892
    assert timecode_frames("00:00:10:12", Fraction(24000, 1001)) == 252
    assert timecode_frames(None, NTSC) == 0
    assert timecode_frames("garbage", NTSC) == 0
    assert timecode_frames("00:00:00:30", NTSC) == 0  # frame field past the rate
    assert is_drop_frame("01:00:00;00", NTSC) and not is_drop_frame("01:00:00:00", NTSC)
    assert not is_drop_frame("01:00:00;00", Fraction(25))


def test_drop_frame_source(tmp_path: Path) -> None:
    tl = build_timeline(ntsc_info(tmp_path / "df.mov", "01:00:00;00"), ntsc_turns(), people(1, 2))
    assert tl.global_start_time.value == 107892


def test_off_screen_person_gets_a_track(ntsc: otio.schema.Timeline) -> None:
    names = [t.name for t in ntsc.tracks]
    assert names == ["Program", "Speaker 1", "Speaker 2", "Off-screen", "Audio"]
    off = ntsc.tracks[3]
    assert facetrack_md(off) == {"role": "speaker", "speaker": 0}
    people_md = facetrack_md(ntsc)["people"]
    assert [p["id"] for p in people_md] == [1, 2, 0]
    assert people_md[2]["name"] == "Off-screen"
    assert people_md[2]["marker_color"] == otio.schema.MarkerColor.WHITE


def test_timeline_metadata(ntsc: otio.schema.Timeline, ntsc_source: MediaInfo) -> None:
    md = facetrack_md(ntsc)
    assert md["schema_version"] == SCHEMA_VERSION
    assert dict(md["source"]) == ntsc_source.to_dict() | {"audio_streams": [0]}
    assert md["source"]["fps"] == "30000/1001"
    assert md["frames"] == 599
    turns = sorted(ntsc_turns(), key=lambda t: (t.start, t.end, t.speaker))
    assert [dict(t) for t in md["turns"]] == [t.to_dict() for t in turns]
    by_id = {p["id"]: p for p in md["people"]}
    assert by_id[1]["turn_count"] == 2 and by_id[2]["turn_count"] == 2
    assert by_id[1]["screen_time"] == 10.0 and by_id[1]["thumbnail"] is None
    # clips: speaker, confidence, cue
    clip = ntsc.tracks[0][1]
    cmd = facetrack_md(clip)
    assert cmd["speaker"] == 1 and cmd["cue"] == "mouth-motion" and cmd["confidence"] == 0.95
    assert facetrack_md(ntsc.tracks[0][0])["speaker"] is None


def test_merged_clip_confidence_is_frame_weighted(ntsc: otio.schema.Timeline) -> None:
    # Speaker 1's track: 0.5-4.2 s alone, then 12.0-15.5 s; no merge there.
    clips = [c for c in ntsc.tracks[1] if isinstance(c, otio.schema.Clip)]
    assert [facetrack_md(c)["confidence"] for c in clips] == [0.95, 0.8]
    # Two touching turns of one person become one clip, confidence weighted by frames.
    info = ntsc_info(Path("/tmp/x.mov"))
    turns = [SpeakerTurn(1, 1.0, 2.0, 1.0), SpeakerTurn(1, 2.0, 5.0, 0.6, "voice")]
    tl = build_timeline(info, turns, people(1))
    program = [(c.name, facetrack_md(c)) for c in tl.tracks[0]]
    assert [n for n, _ in program] == ["No speaker", "Speaker 1", "No speaker"]
    md = program[1][1]
    assert md["confidence"] == pytest.approx((30 * 1.0 + 90 * 0.6) / 120, abs=1e-4)
    assert md["cue"] == "voice" and md["turns"] == 2
    assert len(list(tl.tracks[0][1].markers)) == 2


def test_settings_and_extra_are_stored_as_json(two_shot_info: MediaInfo) -> None:
    settings = {
        "detect_every": np.int64(5),
        "model": Path("/models/x.pt"),
        "fps": Fraction(25, 2),
        "sizes": (640, 360),
        "threshold": np.float32(0.5),
        "nan": float("nan"),
    }
    tl = build_timeline(
        two_shot_info,
        rttm_turns("two_shot"),
        people(1, 2),
        settings=settings,
        extra={"timings": {"faces": 1.5}, "embedder": "histogram"},
    )
    md = facetrack_md(tl)
    assert dict(md["settings"]) == {
        "detect_every": 5,
        "model": "/models/x.pt",
        "fps": "25/2",
        "sizes": [640, 360],
        "threshold": 0.5,
        "nan": None,
    }
    assert md["embedder"] == "histogram" and md["timings"]["faces"] == 1.5
    json.loads(otio.adapters.write_to_string(tl, "otio_json"))  # plain JSON, no NaN


@pytest.mark.parametrize("key", sorted(RESERVED_KEYS))
def test_extra_may_not_replace_builder_keys(two_shot_info: MediaInfo, key: str) -> None:
    with pytest.raises(ValueError, match=key):
        build_timeline(two_shot_info, [], [], extra={key: 1})


def test_reframe_keyframes(two_shot_info: MediaInfo) -> None:
    t = np.arange(0.0, 33.0, 0.5)
    boxes = np.column_stack([t, t / 100, np.full_like(t, 0.2), t / 100 + 0.3, np.full_like(t, 0.6)])
    boxes[10, 1] = np.nan  # the face lost at t = 5.0: no keyframe
    turns = [SpeakerTurn(1, 1.02, 3.0), SpeakerTurn(2, 4.0, 6.0)]
    tl = build_timeline(two_shot_info, turns, people(1, 2), reframe={2: boxes})
    program = {facetrack_md(c)["speaker"]: c for c in tl.tracks[0]}
    assert facetrack_md(program[1])["reframe"] == []  # no boxes for person 1
    rows = [list(r) for r in facetrack_md(program[2])["reframe"]]
    # samples inside 4.0-6.0 s, plus one on each side; t = 5.0 dropped
    assert [r[0] for r in rows] == [3.5, 4.0, 4.5, 5.5, 6.0]
    assert rows[1] == [4.0, 0.04, 0.2, 0.34, 0.6]
    # the person's own track carries the same keyframes
    own = next(c for c in tl.tracks[2] if isinstance(c, otio.schema.Clip))
    assert [list(r) for r in facetrack_md(own)["reframe"]] == rows
    with pytest.raises(ValueError, match="shape"):
        build_timeline(two_shot_info, turns, people(1, 2), reframe={1: np.zeros((3, 2))})


def test_edge_turns(two_shot_info: MediaInfo) -> None:
    turns = [
        SpeakerTurn(1, 2.0, 2.01),  # under half a frame at 25 fps: no clip, still in metadata
        SpeakerTurn(2, 32.0, 40.0),  # past the end: clipped to the source
        SpeakerTurn(1, 35.0, 36.0),  # wholly past the end
        SpeakerTurn(3, 0.0, 1.0),  # a speaker missing from `people`
    ]
    tl = build_timeline(two_shot_info, turns, [Person(1, "Alice"), Person(2, "Bob")])
    assert [t.name for t in tl.tracks] == ["Program", "Bob", "Speaker 3", "Audio"]
    got = [(f0, f1, spk) for _, f0, f1, spk in track_frames(tl.tracks[0])]
    assert got == [(0, 25, 3), (25, 800, None), (800, 831, 2)]
    md = facetrack_md(tl)
    assert len(md["turns"]) == 4
    assert [p["id"] for p in md["people"]] == [1, 2, 3]
    assert [p["turn_count"] for p in md["people"]] == [2, 1, 1]


def test_no_turns_no_audio(tmp_path: Path) -> None:
    info = ntsc_info(tmp_path / "silent.mov", timecode=None, audio=False)
    tl = build_timeline(info, [], people(1))
    assert [t.name for t in tl.tracks] == ["Program"]
    assert [(c.name, c.duration().value) for c in tl.tracks[0]] == [("No speaker", 599)]
    assert tl.global_start_time.value == 0
    assert facetrack_md(tl)["people"][0]["turn_count"] == 0


def test_bad_input(two_shot_info: MediaInfo) -> None:
    with pytest.raises(ValueError, match="twice"):
        build_timeline(two_shot_info, [], [Person(1, "A"), Person(1, "B")])
    empty = MediaInfo(path="/x.mp4", width=1, height=1, fps=Fraction(25), duration=0, n_frames=0)
    with pytest.raises(ValueError, match="no duration"):
        build_timeline(empty, [], [])


def test_inputs_are_not_changed(two_shot_info: MediaInfo) -> None:
    persons = people(1, 2)
    before = [p.to_dict() for p in persons]
    build_timeline(two_shot_info, rttm_turns("two_shot"), persons)
    assert [p.to_dict() for p in persons] == before


def test_rate_fraction_recovers_exact_rates() -> None:
    assert rate_fraction(29.97) == rate_fraction(float(NTSC)) == NTSC
    assert rate_fraction(23.976) == Fraction(24000, 1001)
    assert rate_fraction(59.94) == Fraction(60000, 1001)
    assert rate_fraction(25.0) == 25 and rate_fraction(12.5) == Fraction(25, 2)
