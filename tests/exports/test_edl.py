"""CMX 3600 EDLs: program plus one per speaker, read back at the right rate, same cuts."""

from __future__ import annotations

import re
from fractions import Fraction
from pathlib import Path

import opentimelineio as otio
import pytest

from facetrack_otio.errors import InputError
from facetrack_otio.exports import edl
from facetrack_otio.media.probe import MediaInfo
from facetrack_otio.timeline.build import build_timeline
from tests.timeline.helpers import ntsc_info, ntsc_turns, people

EVENT = re.compile(r"^\d{3}\s")


def _record_start(track: otio.schema.Track) -> otio.opentime.RationalTime:
    """Where the reader's track starts in record time (it trims to the first event)."""
    if track.source_range is None:
        return otio.opentime.RationalTime(0, track.duration().rate)
    return -track.source_range.start_time


def _clips(track: otio.schema.Track, start: otio.opentime.RationalTime) -> list[tuple]:
    """(name, record in, record out, source range) with record times absolute."""
    out = []
    for clip in track.find_clips():
        r = clip.range_in_parent()
        out.append(
            (
                clip.name,
                round((r.start_time + start).value),
                round((r.end_time_exclusive() + start).value),
                clip.source_range,
            )
        )
    return out


@pytest.mark.parametrize("name", ["two_shot", "hard", "ntsc"])
def test_reads_back_with_the_same_cuts(
    name: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    timeline: otio.schema.Timeline = request.getfixturevalue(name)
    info: MediaInfo = request.getfixturevalue({"ntsc": "ntsc_source"}.get(name, f"{name}_info"))
    paths = edl.write(timeline, tmp_path, "t")
    video = [t for t in timeline.tracks if t.kind == otio.schema.TrackKind.Video]
    labels = ["speaker-1", "speaker-2"] + (["off-screen"] if name == "ntsc" else [])
    assert [p.name for p in paths] == ["t.edl"] + [f"t.{label}.edl" for label in labels]

    for path, track in zip(paths, video, strict=True):
        back = otio.adapters.read_from_file(str(path), rate=float(info.fps))
        [theirs] = back.tracks
        got = _clips(theirs, _record_start(theirs))
        assert got == _clips(track, timeline.global_start_time)
        for clip in theirs.find_clips():
            assert clip.source_range.start_time.rate == float(info.fps)


def test_text(ntsc: otio.schema.Timeline, tmp_path: Path) -> None:
    program = edl.write(ntsc, tmp_path, "t")[0].read_text()
    lines = program.splitlines()
    assert lines[0] == "TITLE: my clip #1"
    assert lines[1] == "FCM: NON-DROP FRAME"
    events = [line for line in lines if EVENT.match(line)]
    assert len(events) == len(ntsc.tracks[0])
    for line in events:
        fields = line.split()
        assert len(fields) == 8  # the reel has no spaces
        assert fields[1] == "myclip1" and fields[2] == "V" and fields[3] == "C"
        assert all(";" not in tc for tc in fields[4:])  # non-drop, like the source
    assert events[0].split()[4:] == ["01:00:00:00", "01:00:00:15"] * 2
    assert "* SOURCE FILE: my clip #1.mov" in lines
    assert any(line.startswith("* LOC: 01:00:00:15 BLUE") for line in lines)


def test_speaker_edl_holds_only_their_turns(ntsc: otio.schema.Timeline, tmp_path: Path) -> None:
    paths = edl.write(ntsc, tmp_path, "t")
    text = paths[1].read_text()
    assert text.startswith("TITLE: my clip #1 Speaker 1\n")
    names = re.findall(r"FROM CLIP NAME:\s+(.*)", text)
    assert names and set(names) == {"Speaker 1"}


def test_drop_frame_source(tmp_path: Path) -> None:
    info = ntsc_info(tmp_path / "df.mov", "01:00:00;00")
    tl = build_timeline(info, ntsc_turns(), people(1, 2))
    path = edl.write(tl, tmp_path, "t")[0]
    text = path.read_text()
    assert "FCM: DROP FRAME" in text
    first = next(line for line in text.splitlines() if EVENT.match(line))
    assert first.split()[4] == "01:00:00;00"
    back = otio.adapters.read_from_file(str(path), rate=float(info.fps))
    [track] = back.tracks
    assert _clips(track, _record_start(track)) == _clips(tl.tracks[0], tl.global_start_time)


def test_25_fps(two_shot: otio.schema.Timeline, tmp_path: Path) -> None:
    text = edl.write(two_shot, tmp_path, "t")[0].read_text()
    assert "FCM: NON-DROP FRAME" in text
    first = next(line for line in text.splitlines() if EVENT.match(line))
    assert first.split()[1] == "two_shot"
    assert first.split()[4:] == ["00:00:00:00", "00:00:01:01"] * 2  # 26 frames at 25 fps


def test_rate_without_timecode(tmp_path: Path) -> None:
    info = ntsc_info(tmp_path / "odd.mov", timecode=None)
    odd = MediaInfo(**{**info.__dict__, "fps": Fraction(25, 2)})
    tl = build_timeline(odd, ntsc_turns(), people(1, 2))
    with pytest.raises(InputError, match="EDL"):
        edl.write(tl, tmp_path, "t")
    assert not list(tmp_path.glob("*.edl"))  # nothing half-written


def test_reel_names() -> None:
    assert edl.reel_name("my clip #1.mov") == "myclip1"
    assert edl.reel_name("A_very_long_name.mp4") == "A_very_l"
    assert edl.reel_name("###.mp4") == "AX"
