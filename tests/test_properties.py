"""Properties of the timeline builder and the exporters, over random speaker turns.

Whatever the turns (any speakers, overlapping, shorter than a frame, past the end) and the
frame rate, every track lays clips end to end at their original place, on whole frames, with
positive durations, and the otio, FCP7 XML and EDL exports read back with the same cuts.
"""

from __future__ import annotations

import tempfile
from fractions import Fraction
from pathlib import Path

import opentimelineio as otio
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from facetrack_otio.exports import export_timeline
from facetrack_otio.media.probe import MediaInfo
from facetrack_otio.speakers.turns import Person, SpeakerTurn, default_name
from facetrack_otio.timeline.build import build_timeline, total_frames
from facetrack_otio.timeline.meta import timecode_frames

RATES = [
    Fraction(24),
    Fraction(25),
    Fraction(30),
    Fraction(50),
    Fraction(24000, 1001),
    Fraction(30000, 1001),
    Fraction(60000, 1001),
]

# Enough examples to meet overlaps, sub-frame turns and every rate, in seconds here.
SETTINGS = settings(
    max_examples=40,
    deadline=None,  # the machine is shared: no per-example time limit
    database=None,  # no .hypothesis/ folder in the checkout
    suppress_health_check=[HealthCheck.too_slow],
)


@st.composite
def sources(draw: st.DrawFn) -> MediaInfo:
    fps = draw(st.sampled_from(RATES))
    duration = draw(st.floats(min_value=0.05, max_value=90.0, allow_nan=False))
    return MediaInfo(
        path="/media/interview take 1.mp4",
        width=1920,
        height=1080,
        fps=fps,
        duration=duration,
        n_frames=round(duration * float(fps)),
        audio_streams=draw(st.sampled_from([(), (0,)])),
        audio_sample_rate=48000,
        start_timecode=draw(st.sampled_from([None, "01:00:00:00", "01:00:00;00"])),
        video_codec="h264",
    )


@st.composite
def turn_lists(draw: st.DrawFn, duration: float) -> list[SpeakerTurn]:
    turns = []
    for _ in range(draw(st.integers(min_value=0, max_value=12))):
        # Starts anywhere up to a little past the end; lengths from a sliver to long.
        start = draw(st.floats(min_value=0.0, max_value=duration + 1.0, allow_nan=False))
        length = draw(
            st.one_of(
                st.floats(min_value=1e-4, max_value=0.05),
                st.floats(min_value=0.05, max_value=duration + 2.0),
            )
        )
        turns.append(
            SpeakerTurn(
                speaker=draw(st.integers(min_value=0, max_value=4)),
                start=start,
                end=start + length,
                confidence=draw(st.floats(min_value=0.0, max_value=1.0)),
            )
        )
    return turns


@st.composite
def cases(draw: st.DrawFn) -> tuple[MediaInfo, list[SpeakerTurn], list[Person]]:
    info = draw(sources())
    turns = draw(turn_lists(info.duration))
    # Some people listed explicitly (some without turns); the rest added by the builder.
    ids = draw(st.sets(st.integers(min_value=0, max_value=4)))
    people = [Person(pid, default_name(pid)) for pid in sorted(ids)]
    return info, turns, people


def _whole(t: otio.opentime.RationalTime, rate: float) -> bool:
    return t.rate == rate and t.value == int(t.value)


def _edit_points(track: otio.schema.Track) -> list[int]:
    points, pos = [], 0
    for item in track:
        pos += round(item.duration().to_frames())
        points.append(pos)
    return points


@SETTINGS
@given(cases())
def test_tracks_are_whole_frames_end_to_end(
    case: tuple[MediaInfo, list[SpeakerTurn], list[Person]],
) -> None:
    info, turns, people = case
    timeline = build_timeline(info, turns, people)
    rate = float(info.fps)
    total = total_frames(info)
    start = timecode_frames(info.start_timecode, info.fps)

    assert timeline.tracks[0].name == "Program"
    for track in timeline.tracks:
        position = 0
        for item in track:
            rng = item.source_range
            assert rng is not None
            assert _whole(rng.duration, rate), (track.name, rng)
            assert rng.duration.value >= 1, (track.name, rng)  # no empty or negative items
            if isinstance(item, otio.schema.Clip):
                assert _whole(rng.start_time, rate), (track.name, rng)
                # Each clip sits at its original place: source frame == record frame, so
                # clips on one track can neither overlap nor drift.
                assert rng.start_time.value - start == position, (track.name, rng)
                available = item.media_reference.available_range
                assert available.start_time.value == start
                assert available.duration.value == total
            position += int(rng.duration.value)
        assert position == total, track.name  # every track as long as the source
        for clip in track.find_clips():
            for marker in clip.markers:
                assert _whole(marker.marked_range.start_time, rate)
                assert clip.source_range.contains(marker.marked_range.start_time)


@SETTINGS
@given(cases())
def test_exports_read_back_with_the_same_cuts(
    case: tuple[MediaInfo, list[SpeakerTurn], list[Person]],
) -> None:
    info, turns, people = case
    timeline = build_timeline(info, turns, people)
    program = timeline.tracks[0]
    with tempfile.TemporaryDirectory() as tmp:
        written = export_timeline(timeline, tmp, "talk", ["otio", "fcp7", "edl"])
        assert {p.name for p in written} >= {"talk.otio", "talk.xml", "talk.edl"}

        master = otio.adapters.read_from_file(str(Path(tmp) / "talk.otio"))
        assert _edit_points(master.tracks[0]) == _edit_points(program)

        fcp7 = otio.adapters.read_from_file(str(Path(tmp) / "talk.xml"))
        assert _edit_points(fcp7.video_tracks()[0]) == _edit_points(program)

        for path in written:
            if path.suffix == ".edl":  # the program and one per speaker
                edl = otio.adapters.read_from_file(str(path), rate=float(info.fps))
                assert edl.video_tracks(), path.name
        edl = otio.adapters.read_from_file(str(Path(tmp) / "talk.edl"), rate=float(info.fps))
        edl_clips = [c for c in edl.video_tracks()[0] if isinstance(c, otio.schema.Clip)]
        assert [round(c.source_range.duration.to_frames()) for c in edl_clips] == [
            round(c.source_range.duration.to_frames()) for c in program
        ]
