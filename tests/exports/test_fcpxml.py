"""FCPXML 1.8: valid against Apple's DTD, wrapped for import, every time on a frame."""

from __future__ import annotations

import dataclasses
from fractions import Fraction
from pathlib import Path

import opentimelineio as otio
import pytest
from lxml import etree

from facetrack_otio.exports import fcpxml
from facetrack_otio.media.probe import MediaInfo
from facetrack_otio.timeline.build import build_timeline
from facetrack_otio.timeline.meta import timecode_frames
from tests.exports.fcpxml_layout import expected_layout, layout, seconds
from tests.exports.fcpxml_layout import frames as _frames
from tests.timeline.helpers import DTD_1_8, NTSC, ntsc_info, ntsc_turns, people

TIME_ATTRS = ("offset", "start", "duration", "tcStart", "frameDuration")


@pytest.fixture(scope="module")
def dtd() -> etree.DTD:
    return etree.DTD(str(DTD_1_8))


def _write(timeline: otio.schema.Timeline, tmp_path: Path) -> etree._Element:
    [path] = fcpxml.write(timeline, tmp_path, "t")
    assert path.name == "t.fcpxml"
    return etree.parse(str(path)).getroot()


@pytest.mark.parametrize("name", ["two_shot", "hard", "ntsc"])
def test_valid_and_frame_exact(
    name: str, request: pytest.FixtureRequest, tmp_path: Path, dtd: etree.DTD
) -> None:
    timeline: otio.schema.Timeline = request.getfixturevalue(name)
    info: MediaInfo = request.getfixturevalue({"ntsc": "ntsc_source"}.get(name, f"{name}_info"))
    root = _write(timeline, tmp_path)
    assert dtd.validate(root), dtd.error_log.filter_from_errors()

    # wrapped for import: resources, then library > event > project > sequence > spine
    assert [c.tag for c in root] == ["resources", "library"]
    assert root.get("version") == "1.8"
    event = root.find("library/event")
    project = event.find("project")
    assert event.get("name") == project.get("name") == timeline.name
    sequence = project.find("sequence")

    [fmt] = root.findall("resources/format")
    fd = seconds(fmt.get("frameDuration"))
    assert fd == 1 / info.fps
    assert (int(fmt.get("width")), int(fmt.get("height"))) == (info.width, info.height)
    assert sequence.get("format") == fmt.get("id")

    [asset] = root.findall("resources/asset")
    assert asset.get("src") == Path(info.path).resolve().as_uri()
    tc0 = timecode_frames(info.start_timecode, info.fps)
    assert _frames(asset.get("start"), fd) == tc0
    assert asset.get("hasVideo") == "1" and asset.get("hasAudio") == "1"

    # every time attribute anywhere is a whole number of frames
    for el in root.iter():
        for attr in TIME_ATTRS:
            if el.get(attr) is not None:
                _frames(el.get(attr), fd)
    seq_start = _frames(sequence.get("tcStart"), fd)
    assert seq_start == round(timeline.global_start_time.value)

    # the storyline is the program track, clip for clip, frame for frame; the other tracks
    # are anchored at their exact places
    assert layout(root) == expected_layout(timeline, info.fps)
    spine = list(sequence.find("spine"))
    program = timeline.tracks[0]
    assert len(spine) == len(program)
    for el, clip in zip(spine, program, strict=True):
        # the source's sound travels with each program clip, as with a bladed clip
        assert el.tag == "asset-clip" and el.get("srcEnable") == "all"
        markers = el.findall("marker")
        assert [m.get("value") for m in markers] == [m.name for m in clip.markers]
        for m_el, m in zip(markers, clip.markers, strict=True):
            assert _frames(m_el.get("start"), fd) == m.marked_range.start_time.value
            assert _frames(m_el.get("duration"), fd) == 1
            assert m_el.get("completed") is None  # a marker, not a to-do


def test_ntsc_format_and_timecode(ntsc: otio.schema.Timeline, tmp_path: Path) -> None:
    root = _write(ntsc, tmp_path)
    fmt = root.find("resources/format")
    assert fmt.get("frameDuration") == "1001/30000s"
    assert fmt.get("name") == "FFVideoFormat1080p2997"
    asset = root.find("resources/asset")
    # 108000 frames of 1001/30000 s (01:00:00:00 NDF), over the frame duration's denominator
    assert asset.get("start") == "108108000/30000s"
    assert asset.get("name") == "my clip #1"
    assert "%20" in asset.get("src") and "%23" in asset.get("src")
    seq = root.find("library/event/project/sequence")
    assert seq.get("tcStart") == "108108000/30000s" and seq.get("tcFormat") == "NDF"
    assert asset.get("audioRate") == "48000"


def test_drop_frame_source(tmp_path: Path, dtd: etree.DTD) -> None:
    tl = build_timeline(ntsc_info(tmp_path / "df.mov", "01:00:00;00"), ntsc_turns(), people(1, 2))
    root = _write(tl, tmp_path)
    assert dtd.validate(root)
    seq = root.find("library/event/project/sequence")
    assert seq.get("tcFormat") == "DF"
    assert seconds(seq.get("tcStart")) == Fraction(107892) / NTSC


def test_25_fps_two_shot(two_shot: otio.schema.Timeline, tmp_path: Path) -> None:
    root = _write(two_shot, tmp_path)
    fmt = root.find("resources/format")
    assert fmt.get("frameDuration") == "1/25s" and fmt.get("name") == "FFVideoFormat720p25"


def test_odd_size_gets_no_format_name(hard: otio.schema.Timeline, tmp_path: Path) -> None:
    fmt = _write(hard, tmp_path).find("resources/format")
    assert fmt.get("name") is None and (fmt.get("width"), fmt.get("height")) == ("854", "480")


def test_foreign_flat_timeline(tmp_path: Path, dtd: etree.DTD) -> None:
    # no facetrack metadata: the rate comes from the clips, V2 starts past the end of V1
    def clip(name: str, start: int, dur: int) -> otio.schema.Clip:
        r = otio.opentime.RationalTime
        return otio.schema.Clip(
            name=name,
            media_reference=otio.schema.ExternalReference(
                target_url="file:///media/a.mov",
                available_range=otio.opentime.TimeRange(r(0, 24), r(1000, 24)),
            ),
            source_range=otio.opentime.TimeRange(r(start, 24), r(dur, 24)),
        )

    tl = otio.schema.Timeline(name="other")
    v1, v2 = otio.schema.Track(name="V1"), otio.schema.Track(name="V2")
    v1.extend([clip("a", 0, 48), otio.schema.Gap(duration=otio.opentime.RationalTime(24, 24))])
    v1.append(clip("b", 100, 24))
    v2.extend([otio.schema.Gap(duration=otio.opentime.RationalTime(120, 24)), clip("c", 10, 24)])
    tl.tracks.extend([v1, v2])
    root = _write(tl, tmp_path)
    assert dtd.validate(root), dtd.error_log.filter_from_errors()
    spine = root.find("library/event/project/sequence/spine")
    assert [c.tag for c in spine] == ["asset-clip", "gap", "asset-clip", "gap"]
    lane = spine[-1].find("asset-clip")
    assert lane.get("lane") == "1" and lane.get("offset") == "5s"


def test_timeline_left_unchanged(ntsc: otio.schema.Timeline, tmp_path: Path) -> None:
    before = otio.adapters.write_to_string(ntsc, "otio_json")
    fcpxml.write(ntsc, tmp_path, "t")
    assert otio.adapters.write_to_string(ntsc, "otio_json") == before


def test_sound_cut_with_the_picture_and_times_over_the_frame_denominator(
    two_shot: otio.schema.Timeline, tmp_path: Path
) -> None:
    # No sound hangs off one clip: each storyline clip carries its own piece of the source's
    # sound, so deleting or moving it in Final Cut takes only that piece along.
    root = _write(two_shot, tmp_path)
    fd = seconds(root.find("resources/format").get("frameDuration"))
    for el in root.find("library/event/project/sequence/spine"):
        assert el.get("srcEnable") == "all"
        for child in el.findall("asset-clip"):
            if child.get("srcEnable") == "video":  # a speaker's turn, above: not sound
                continue
            end = _frames(child.get("offset"), fd) + _frames(child.get("duration"), fd)
            assert end <= _frames(el.get("start"), fd) + _frames(el.get("duration"), fd)
    # Times over the frame duration's denominator, as Final Cut writes them (a reduced
    # fraction, 23/5s, put clips a frame early in OTIO's own reader).
    for el in root.iter():
        for attr in TIME_ATTRS:
            value = el.get(attr)
            if value is not None and "/" in value:
                assert value[:-1].split("/")[1] == str(fd.denominator), (attr, value)


@pytest.mark.parametrize(
    "rate",
    ["24000/1001", "24", "25", "30000/1001", "30", "50", "60000/1001", "60", "25/2", "15"],
)
@pytest.mark.parametrize("timecode", [None, "01:00:00:00"])
def test_dtd_valid_at_every_rate(
    rate: str, timecode: str | None, tmp_path: Path, dtd: etree.DTD
) -> None:
    fps = Fraction(rate)
    info = dataclasses.replace(
        ntsc_info(tmp_path / "a.mov", timecode), fps=fps, n_frames=round(20 * fps)
    )
    root = _write(build_timeline(info, ntsc_turns(), people(1, 2)), tmp_path)
    assert dtd.validate(root), dtd.error_log.filter_from_errors()
    fd = seconds(root.find("resources/format").get("frameDuration"))
    assert fd == 1 / fps
    for el in root.iter():
        for attr in TIME_ATTRS:
            if el.get(attr) is not None:
                _frames(el.get(attr), fd)
