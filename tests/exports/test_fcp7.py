"""FCP7 XML for Premiere: every track, read back through OTIO with the same cuts."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import opentimelineio as otio
import pytest

from facetrack_otio.exports import fcp7
from facetrack_otio.media.probe import MediaInfo
from facetrack_otio.timeline.build import build_timeline
from facetrack_otio.timeline.meta import timecode_frames
from tests.timeline.helpers import ntsc_info, ntsc_turns, people


def _ranges(track: otio.schema.Track) -> list[tuple]:
    # Clips only: xmeml has no gap elements, so a trailing gap does not come back.
    return [(c.name, c.range_in_parent(), c.source_range) for c in track.find_clips()]


@pytest.mark.parametrize("name", ["two_shot", "hard", "ntsc"])
def test_reads_back_with_the_same_cuts(
    name: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    timeline: otio.schema.Timeline = request.getfixturevalue(name)
    [path] = fcp7.write(timeline, tmp_path, "t")
    assert path.name == "t.xml"
    back = otio.adapters.read_from_file(str(path))
    assert back.name == timeline.name
    assert back.global_start_time == timeline.global_start_time
    assert [t.kind for t in back.tracks] == [t.kind for t in timeline.tracks]
    for mine, theirs in zip(timeline.tracks, back.tracks, strict=True):
        assert _ranges(theirs) == _ranges(mine)


@pytest.mark.parametrize(
    ("name", "flag"), [("two_shot", "FALSE"), ("hard", "TRUE"), ("ntsc", "TRUE")]
)
def test_ntsc_flag(name: str, flag: str, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    [path] = fcp7.write(request.getfixturevalue(name), tmp_path, "t")
    root = ET.parse(path).getroot()
    assert {e.text for e in root.iter("ntsc")} == {flag}
    assert {e.text for e in root.iter("timebase")} == {"25" if name == "two_shot" else "30"}


def test_file_and_markers(
    ntsc: otio.schema.Timeline, ntsc_source: MediaInfo, tmp_path: Path
) -> None:
    [path] = fcp7.write(ntsc, tmp_path, "t")
    text = path.read_text()
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE xmeml>')
    root = ET.fromstring(text.encode())
    [url] = {e.text for e in root.iter("pathurl")}
    assert url == Path(ntsc_source.path).as_uri()
    assert "my%20clip%20%231.mov" in url
    file_el = next(f for f in root.iter("file") if f.find("pathurl") is not None)
    assert file_el.find("name").text == "my clip #1.mov"
    assert file_el.find("timecode/string").text == "01:00:00:00"
    assert file_el.find("timecode/displayformat").text == "NDF"
    assert file_el.find("media/video/samplecharacteristics/width").text == "1920"

    # clip markers count frames from the start of the media, like the clip's in point
    tc0 = timecode_frames(ntsc_source.start_timecode, ntsc_source.fps)
    program = root.find("project/children/sequence/media/video/track")
    want = [
        (m.name, round(m.marked_range.start_time.value) - tc0)
        for clip in ntsc.tracks[0]
        for m in clip.markers
    ]
    got = []
    for item in program.iter("clipitem"):
        assert len(item.findall("rate")) == 1
        in_point = int(item.find("in").text)
        for m in item.findall("marker"):
            frame = int(m.find("in").text)
            assert in_point <= frame < int(item.find("out").text)
            got.append((m.find("name").text, frame))
    assert got == want

    audio_items = list(root.find("project/children/sequence/media/audio").iter("clipitem"))
    assert len(audio_items) == 1
    assert audio_items[0].find("sourcetrack/mediatype").text == "audio"


def test_drop_frame_source(tmp_path: Path) -> None:
    tl = build_timeline(ntsc_info(tmp_path / "df.mov", "01:00:00;00"), ntsc_turns(), people(1, 2))
    [path] = fcp7.write(tl, tmp_path, "t")
    root = ET.parse(path).getroot()
    assert {e.text for e in root.iter("displayformat")} == {"DF"}
    assert {e.text for e in root.iter("string")} == {"01:00:00;00"}
    back = otio.adapters.read_from_file(str(path))
    assert back.global_start_time.value == 107892
    assert _ranges(back.tracks[0]) == _ranges(tl.tracks[0])


def test_no_audio_source(tmp_path: Path) -> None:
    tl = build_timeline(ntsc_info(tmp_path / "mute.mov", audio=False), ntsc_turns(), people(1, 2))
    [path] = fcp7.write(tl, tmp_path, "t")
    root = ET.parse(path).getroot()
    assert all(f.find("media/audio") is None for f in root.iter("file") if f.find("media"))
    assert root.find("project/children/sequence/media/audio") is None or not list(
        root.find("project/children/sequence/media/audio").iter("clipitem")
    )
