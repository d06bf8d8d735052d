"""What the editor writers take from a timeline that is not facetrack's: rate, start, timecode."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import opentimelineio as otio
import pytest

from facetrack_otio.exports.sequence import Sequence, frames_at, offline_name, parse_drop_frame
from facetrack_otio.timeline.build import build_timeline
from tests.timeline.helpers import NTSC, ntsc_info, ntsc_turns, people


def _timeline(rate: float, start: int | None = None, **metadata: object) -> otio.schema.Timeline:
    tl = otio.schema.Timeline(name="cut", metadata=metadata)
    if start is not None:
        tl.global_start_time = otio.opentime.RationalTime(start, rate)
    track = otio.schema.Track()
    track.append(otio.schema.Gap(duration=otio.opentime.RationalTime(10, rate)))
    tl.tracks.append(track)
    return tl


def test_frames_at_ntsc_rates_however_rounded() -> None:
    ten_hours = 1_078_920  # 10:00:00;00 at 29.97
    for rate in (29.97, float(NTSC), 30000 / 1001):
        assert frames_at(otio.opentime.RationalTime(ten_hours, rate), NTSC) == ten_hours
    # a float rescale drifts by a frame over the same ten hours
    drift = otio.opentime.RationalTime(ten_hours, 29.97).value_rescaled_to(float(NTSC))
    assert round(drift) != ten_hours
    assert frames_at(otio.opentime.RationalTime(50, 25), Fraction(50)) == 100


def test_rate_and_start_of_a_timeline_made_elsewhere() -> None:
    seq = Sequence.of(_timeline(23.976, start=86400))
    assert (seq.fps, seq.start, seq.drop_frame, seq.source) == (
        Fraction(24000, 1001),
        86400,
        False,
        {},
    )
    assert Sequence.of(_timeline(25)).start == 0


def test_record_start_of_an_edl_read_by_cmx_3600() -> None:
    edl = "TITLE: x\n\n001  AX V C        00:00:00:00 00:00:01:00 01:00:00:00 01:00:01:00\n"
    timeline = otio.adapters.read_from_string(edl, adapter_name="cmx_3600", rate=25)
    assert timeline.global_start_time is None
    assert Sequence.of(timeline).start == 90000  # 01:00:00:00 at 25 fps


@pytest.mark.parametrize(
    ("rate", "start", "metadata", "asked", "drop"),
    [
        (29.97, 108000, {}, None, False),  # 01:00:00:00 non-drop: nothing says drop-frame
        (29.97, 107892, {}, None, True),  # 01:00:00;00: a whole hour only in drop-frame
        (59.94, 215784, {}, None, True),
        (29.97, 0, {}, None, False),
        (29.97, 108000, {"fcp_xml": {"timecode": {"displayformat": "DF"}}}, None, True),
        (29.97, 107892, {"fcp_xml": {"timecode": {"displayformat": "NDF"}}}, None, False),
        (29.97, 108000, {}, True, True),  # asked for
        (29.97, 107892, {}, False, False),
        (25.0, 90000, {}, True, False),  # no drop-frame at 25 fps, whatever is asked
        (23.976, 86400, {}, True, False),
    ],
)
def test_drop_frame(
    rate: float, start: int, metadata: dict, asked: bool | None, drop: bool
) -> None:
    assert Sequence.of(_timeline(rate, start, **metadata), asked).drop_frame is drop


def test_a_facetrack_timeline_follows_its_source_timecode(tmp_path: Path) -> None:
    for timecode, drop in (("01:00:00;00", True), ("01:00:00:00", False), (None, False)):
        info = ntsc_info(tmp_path / "a.mov", timecode)
        seq = Sequence.of(build_timeline(info, ntsc_turns(), people(1, 2)))
        assert seq.drop_frame is drop and seq.fps == NTSC and seq.source["width"] == 1920


def test_conformed_copy_is_whole_frames_at_the_sequence_rate() -> None:
    r = otio.opentime.RationalTime
    tl = otio.schema.Timeline(name="mixed")
    track = otio.schema.Track(source_range=otio.opentime.TimeRange(r(-10, 29.97), r(40, 29.97)))
    ref = otio.schema.MissingReference(
        available_range=otio.opentime.TimeRange(r(0, 29.97), r(99, 29.97))
    )
    clip = otio.schema.Clip(
        name="a",
        media_reference=ref,
        source_range=otio.opentime.TimeRange(r(12, 29.97), r(30, 29.97)),
    )
    clip.markers.append(otio.schema.Marker(marked_range=otio.opentime.TimeRange(r(15, 29.97))))
    track.extend([clip, otio.schema.Transition(in_offset=r(2, 29.97), out_offset=r(3, 29.97))])
    track.append(clip.clone())
    tl.tracks.append(track)
    seq = Sequence.of(tl)
    copy = seq.copy_track(track)
    assert copy.source_range is None and track.source_range is not None  # original untouched
    times = [copy[0].source_range.start_time, copy[0].markers[0].marked_range.start_time]
    times += [copy[0].media_reference.available_range.duration, copy[1].out_offset]
    assert [(t.value, t.rate) for t in times] == [(v, float(NTSC)) for v in (12, 15, 99, 3)]
    assert track[0].source_range.start_time.rate == 29.97


def test_offline_names_and_drop_frame_arguments() -> None:
    clip = otio.schema.Clip(name="shot", metadata={"cmx_3600": {"reel": "A001C003"}})
    assert offline_name(clip) == "A001C003"
    assert offline_name(otio.schema.Clip(name="shot")) == "shot"
    assert offline_name(otio.schema.Clip()) == "offline"
    assert [parse_drop_frame(v) for v in (None, "auto", "true", "NDF", 1, False)] == [
        None,
        None,
        True,
        False,
        True,
        False,
    ]
    with pytest.raises(ValueError, match="drop_frame must be auto, true or false"):
        parse_drop_frame("maybe")
