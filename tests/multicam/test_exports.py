"""The multicam timeline and its exports, read back the way editors' importers read them."""

from __future__ import annotations

import dataclasses
import xml.etree.ElementTree as ET
from fractions import Fraction
from pathlib import Path

import opentimelineio as otio
import pytest

from facetrack_otio.exports.rttm import read_rttm
from facetrack_otio.multicam import fcpxml_multicam
from facetrack_otio.multicam.export import export_multicam
from facetrack_otio.multicam.placement import frames
from facetrack_otio.multicam.result import MulticamAnalysis
from facetrack_otio.multicam.timeline import is_multicam, multicam_timeline, read_multicam
from tests.multicam.helpers import DTD_DIR

NTSC = Fraction(30000, 1001)


def _with_ntsc_angle(a: MulticamAnalysis) -> MulticamAnalysis:
    """The same shoot with cam_B at 29.97 fps (exports never open the media)."""
    files = [
        dataclasses.replace(f, info=dataclasses.replace(f.info, fps=NTSC))
        if f.label == "cam_B"
        else f
        for f in a.files
    ]
    return dataclasses.replace(a, files=files)


@pytest.fixture(scope="module", params=["25", "mixed"])
def analysis(request: pytest.FixtureRequest, with_mics: MulticamAnalysis) -> MulticamAnalysis:
    return with_mics if request.param == "25" else _with_ntsc_angle(with_mics)


@pytest.fixture(scope="module")
def exported(analysis: MulticamAnalysis, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("exports")
    written = export_multicam(multicam_timeline(analysis), out, "shoot")
    assert sorted(p.name for p in written) == [
        "shoot.edl", "shoot.fcpxml", "shoot.kdenlive", "shoot.mlt", "shoot.otio",
        "shoot.rttm", "shoot.xml",
    ]  # fmt: skip
    return out


def test_the_timeline_holds_program_angles_and_microphones(analysis: MulticamAnalysis) -> None:
    tl = multicam_timeline(analysis)
    assert is_multicam(tl)
    video = tl.video_tracks()
    audio = tl.audio_tracks()
    # The program on top: a reader that ignores `enabled` shows it all the same.
    assert [t.name for t in video] == ["cam_wide", "cam_A", "cam_B", "Program"]
    assert [t.name for t in audio] == ["mic_A", "mic_B"]
    fps = float(analysis.fps)
    clips = [c for c in video[-1] if isinstance(c, otio.schema.Clip)]
    assert len(clips) == len(analysis.program)
    for clip, seg in zip(clips, analysis.program):
        f = analysis.angles[seg.angle]
        assert clip.media_reference.target_url == Path(f.path).as_uri()
        assert clip.range_in_parent().start_time.value == frames(seg.start, analysis.fps)
        rate = float(f.video.fps)
        assert clip.source_range.start_time.rate == pytest.approx(rate)
        # The first frame shown is the angle's frame at that moment of the shoot.
        assert clip.source_range.start_time.value == frames(seg.start - f.offset, f.video.fps)
    # Angle tracks: whole, synced, every piece disabled; the on-air pieces say so.
    for track, f in zip(video[:-1], analysis.angles, strict=True):
        pieces = [c for c in track if isinstance(c, otio.schema.Clip)]
        assert pieces and not any(c.enabled for c in pieces)
        first = pieces[0].range_in_parent().start_time.value
        assert first == max(0, frames(f.offset, analysis.fps))
        total = sum(c.source_range.duration.value for c in pieces)
        assert total == pytest.approx(frames(f.duration, analysis.fps), abs=1)
        on_air = sum(c.duration().value for c in pieces if c.metadata["facetrack"]["on_air"])
        mine = sum(
            frames(s.end, analysis.fps) - frames(s.start, analysis.fps)
            for s in analysis.program
            if analysis.angles[s.angle] is f
        )
        assert on_air == mine
    # Markers: one per turn that starts inside the program, named after the speaker.
    markers = [m for c in clips for m in c.markers]
    names = {p.name for p in analysis.people}
    assert markers and {m.name for m in markers} <= names
    assert tl.duration().rate == pytest.approx(fps)
    # Microphones to the sample: the clip starts where the file's first sample falls.
    origin = Fraction(frames(analysis.span[0], analysis.fps)) / analysis.fps
    for track, f in zip(audio, analysis.mics, strict=True):
        [clip] = [c for c in track if isinstance(c, otio.schema.Clip)]
        rate = f.info.audio_sample_rate
        at = clip.range_in_parent().start_time
        assert at.rate == clip.source_range.start_time.rate == rate
        first_sample = at.value - clip.source_range.start_time.value  # where sample 0 plays
        assert abs(first_sample / rate - (f.offset - float(origin))) <= 0.5 / rate + 1e-9


def test_the_otio_reads_back_into_the_same_analysis(analysis: MulticamAnalysis) -> None:
    text = otio.adapters.write_to_string(multicam_timeline(analysis), "otio_json")
    back = read_multicam(otio.adapters.read_from_string(text, "otio_json"))
    assert back.program == analysis.program
    assert [(f.label, f.kind, round(f.offset, 6)) for f in back.files] == [
        (f.label, f.kind, round(f.offset, 6)) for f in analysis.files
    ]
    assert back.fps == analysis.fps and back.wearers == analysis.wearers
    assert [t.to_dict() for t in back.turns] == [t.to_dict() for t in analysis.turns]
    assert back.settings == analysis.settings


def test_fcpxml_is_a_valid_multicam_clip(analysis: MulticamAnalysis, exported: Path) -> None:
    from lxml import etree

    path = exported / "shoot.fcpxml"
    dtd = etree.DTD(str(DTD_DIR / "FCPXMLv1_8.dtd"))
    assert dtd.validate(etree.parse(str(path))), dtd.error_log.filter_from_errors()
    root = ET.parse(path).getroot()
    angles = root.findall("./resources/media/multicam/mc-angle")
    assert [a.get("name") for a in angles] == [f.label for f in analysis.files]
    ids = {a.get("name"): a.get("angleID") for a in angles}
    spine = root.findall("./library/event/project/sequence/spine/mc-clip")
    assert len(spine) == len(analysis.program)
    # The .otio's markers, each at the same program frame.
    tl = multicam_timeline(analysis)
    want = [
        (
            m.name,
            c.range_in_parent().start_time.value
            + round(
                (m.marked_range.start_time - c.source_range.start_time)
                .rescaled_to(c.range_in_parent().start_time)
                .value
            ),
        )
        for c in tl.video_tracks()[-1].find_clips()
        for m in c.markers
    ]
    origin = frames(analysis.span[0], analysis.fps)
    got = [
        (m.get("value"), Fraction(m.get("start")[:-1]) * analysis.fps - origin)
        for clip in spine
        for m in clip.findall("marker")
    ]
    assert got == want and want
    fps = analysis.fps
    for clip, seg in zip(spine, analysis.program):
        sources = {s.get("angleID"): s.get("srcEnable") for s in clip.findall("mc-source")}
        assert sources[ids[analysis.angles[seg.angle].label]] == "video"
        assert sources[ids["mic_A"]] == sources[ids["mic_B"]] == "audio"
        assert Fraction(clip.get("offset")[:-1]) == Fraction(frames(seg.start, fps)) / fps
        length = frames(seg.end, fps) - frames(seg.start, fps)
        assert Fraction(clip.get("duration")[:-1]) * fps == length
    # Each angle at its synced place: the asset-clip starts on the frame nearest its offset.
    for a, f in zip(angles, analysis.files):
        clip = a.find("asset-clip")
        at = Fraction(clip.get("offset")[:-1]) - Fraction(clip.get("start")[:-1])
        assert abs(float(at) - f.offset) < 0.5 / float(fps) + 1e-6, f.label


def test_fcp7_parses_back_with_the_program_cut_intact(
    analysis: MulticamAnalysis, exported: Path
) -> None:
    path = exported / "shoot.xml"
    back = otio.adapters.read_from_file(str(path), adapter_name="fcp_xml")
    assert isinstance(back, otio.schema.Timeline)
    ours = multicam_timeline(analysis)
    mine = [c for c in ours.video_tracks()[-1] if isinstance(c, otio.schema.Clip)]
    theirs = [c for c in back.video_tracks()[-1] if isinstance(c, otio.schema.Clip)]
    assert len(theirs) == len(mine)
    for a, b in zip(mine, theirs):
        assert b.name == a.name
        assert b.media_reference.target_url == a.media_reference.target_url
        assert b.range_in_parent() == a.range_in_parent()
        assert b.source_range.start_time.value == a.source_range.start_time.value
        assert b.source_range.start_time.rate == pytest.approx(a.source_range.start_time.rate)
        assert [(m.name, m.marked_range.start_time.value) for m in b.markers] == [
            (m.name, m.marked_range.start_time.value) for m in a.markers
        ]
    assert sum(len(c.markers) for c in theirs) == sum(len(c.markers) for c in mine) > 0
    assert len(back.video_tracks()) == 1 + len(analysis.angles)
    assert len(back.audio_tracks()) == len(analysis.mics)
    root = ET.parse(path).getroot()
    tracks = root.findall("./project/children/sequence/media/video/track")
    assert {e.text for t in tracks[:-1] for e in t.iter("enabled")} == {"FALSE"}
    assert {e.text for e in tracks[-1].iter("enabled")} == {"TRUE"}
    multiclip = root.find("./project/children/bin/children/clip/multiclip")
    assert multiclip is not None
    assert [a.findtext("clip/name") for a in multiclip.findall("angle")] == [
        f.label for f in analysis.files
    ]


def test_edl_and_rttm(analysis: MulticamAnalysis, exported: Path) -> None:
    fps = float(analysis.fps)
    edl = otio.adapters.read_from_file(str(exported / "shoot.edl"), "cmx_3600", rate=fps)
    clips = [c for c in edl.tracks[0] if isinstance(c, otio.schema.Clip)]
    assert [c.name for c in clips] == [analysis.angles[s.angle].label for s in analysis.program]
    assert "FCM: NON-DROP FRAME" in (exported / "shoot.edl").read_text()
    rttm = read_rttm(exported / "shoot.rttm")[analysis.name]
    assert len(rttm) == len(analysis.turns)
    labels = {p.id: p.label for p in analysis.people}
    for (label, start, end), t in zip(sorted(rttm, key=lambda r: r[1]), analysis.turns):
        assert label == labels[t.speaker]
        assert start == pytest.approx(t.start, abs=1e-3) and end == pytest.approx(t.end, abs=2e-3)


def test_fifteen_fps_leaves_timecode_formats_out(
    with_mics: MulticamAnalysis, tmp_path: Path
) -> None:
    slow = dataclasses.replace(with_mics, fps=Fraction(15))
    written = export_multicam(multicam_timeline(slow), tmp_path, "s", skip_unsupported=True)
    assert sorted(p.suffix for p in written) == [".fcpxml", ".kdenlive", ".mlt", ".otio", ".rttm"]
    assert fcpxml_multicam.to_string(slow).count("<mc-clip") == len(slow.program) + 1


@pytest.mark.parametrize(
    "rate", ["24000/1001", "24", "25", "30000/1001", "30", "50", "60000/1001", "60", "15"]
)
def test_fcpxml_is_dtd_valid_at_every_rate(with_mics: MulticamAnalysis, rate: str) -> None:
    from lxml import etree

    shoot = dataclasses.replace(with_mics, fps=Fraction(rate))
    root = etree.fromstring(fcpxml_multicam.to_string(shoot).encode())
    dtd = etree.DTD(str(DTD_DIR / "FCPXMLv1_8.dtd"))
    assert dtd.validate(root), dtd.error_log.filter_from_errors()
    # Every time over a frame duration's (or, for a microphone, the sample rate's) denominator.
    dens = {Fraction(f.get("frameDuration")[:-1]).denominator for f in root.iter("format")}
    for el in root.iter():
        for attr in ("offset", "start", "duration", "tcStart"):
            value = el.get(attr)
            if value is not None and "/" in value:
                den = int(value[:-1].split("/")[1])
                assert den in {*dens, 48000}, (el.tag, attr, value)
