"""facetrack's editor writers as OTIO adapters: any timeline, any NTSC rate, read back.

``facetrack_fcpxml``, ``facetrack_fcp7`` and ``facetrack_edl`` run the exporters of
``facetrack export``. Here they write facetrack timelines of short clips cut from the samples
at 23.976, 25, 29.97 (with frames missing: a variable frame rate) and 59.94 fps, straight from
the video with ``otioconvert``, and timelines made elsewhere: a two-track cut with gaps, a
marker and an NTSC rate, and an EDL read by OTIO's ``cmx_3600``. FCPXML must validate against
Apple's DTD with every clip on its frame; FCP7 XML and EDLs must read back through OTIO's own
readers with every cut within a frame.
"""

from __future__ import annotations

import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import opentimelineio as otio
import pytest
from lxml import etree

from facetrack_otio.errors import InputError
from facetrack_otio.exports.sequence import frames_at
from facetrack_otio.media.probe import probe
from tests.adapters.conftest import DTD, SAMPLES
from tests.exports.fcpxml_layout import expected_layout, frames, layout, seconds

BIN = Path(sys.executable).parent
NTSC = Fraction(30000, 1001)
VIDEO = otio.schema.TrackKind.Video

# name -> ffmpeg video filter (2 s of samples/two_shot.mp4, 25 fps, two people)
RATES = {
    "23.976": "fps=24000/1001",
    "25": "null",
    "29.97-vfr": r"fps=30000/1001,select='not(eq(mod(n\,4)\,1))'",
    "59.94": "fps=60000/1001",
}


@pytest.fixture(scope="module")
def dtd() -> etree.DTD:
    return etree.DTD(str(DTD))


@pytest.fixture(scope="module", params=list(RATES))
def rate_clip(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    name = request.param
    out = tmp_path_factory.mktemp("rates") / f"talk {name}.mp4"  # a name that needs encoding
    cmd = ["ffmpeg", "-nostdin", "-v", "error", "-i", str(SAMPLES / "two_shot.mp4"), "-t", "2"]
    cmd += ["-vf", RATES[name], "-fps_mode", "vfr" if "vfr" in name else "cfr"]
    cmd += ["-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", str(out)]
    subprocess.run(cmd, check=True)
    return out


def otioconvert(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "otioconvert"), *args], capture_output=True, text=True, check=False
    )


def clip_cuts(track: otio.schema.Track, fps: Fraction) -> list[tuple[str, int, int]]:
    """(name, first frame, end frame) of each clip of a track, in track time."""
    out = []
    for clip in track.find_clips(shallow_search=True):
        r = clip.range_in_parent()
        out.append(
            (clip.name, frames_at(r.start_time, fps), frames_at(r.end_time_exclusive(), fps))
        )
    return out


def assert_within_a_frame(
    got: list[tuple[str, int, int]], want: list[tuple[str, int, int]]
) -> None:
    assert [g[0] for g in got] == [w[0] for w in want]
    for g, w in zip(got, want, strict=True):
        assert abs(g[1] - w[1]) <= 1 and abs(g[2] - w[2]) <= 1, (g, w)


def check_fcpxml(text: str, timeline: otio.schema.Timeline, fps: Fraction, dtd: etree.DTD) -> None:
    root = etree.fromstring(text.encode())
    assert dtd.validate(root), dtd.error_log.filter_from_errors()
    assert seconds(root.find("resources/format").get("frameDuration")) == 1 / fps
    assert layout(root) == expected_layout(timeline, fps)


def check_fcp7(text: str, timeline: otio.schema.Timeline, fps: Fraction) -> None:
    back = otio.adapters.read_from_string(text, adapter_name="fcp_xml")
    assert [t.kind for t in back.tracks] == [t.kind for t in timeline.tracks]
    for mine, theirs in zip(timeline.tracks, back.tracks, strict=True):
        assert_within_a_frame(clip_cuts(theirs, fps), clip_cuts(mine, fps))
        for a, b in zip(theirs.find_clips(), mine.find_clips(), strict=True):
            assert [m.name for m in a.markers] == [m.name for m in b.markers]
            assert rate_of(a) == fps


def record_start(track: otio.schema.Track, fps: Fraction) -> int:
    """A track's start in record time, which OTIO's cmx_3600 reader keeps as minus its start."""
    r = track.source_range
    return -frames_at(r.start_time, fps) if r is not None and r.start_time.value < 0 else 0


def check_edl(
    text: str, timeline: otio.schema.Timeline, track: otio.schema.Track, fps: Fraction
) -> otio.schema.Track:
    """Read an EDL back at its rate: the same clips at the same record frames as ``track``."""
    back = otio.adapters.read_from_string(text, adapter_name="cmx_3600", rate=float(fps))
    [theirs] = back.tracks
    start = timeline.global_start_time
    mine = frames_at(start, fps) if start is not None else record_start(track, fps)
    got = [
        (n, a + record_start(theirs, fps), b + record_start(theirs, fps))
        for n, a, b in clip_cuts(theirs, fps)
    ]
    want = [(n, a + mine, b + mine) for n, a, b in clip_cuts(track, fps)]
    assert_within_a_frame(got, want)
    return theirs


def rate_of(clip: otio.schema.Clip) -> Fraction:
    return Fraction(clip.source_range.duration.rate).limit_denominator(1001)


def test_otioconvert_writes_fcpxml_straight_from_the_video_at_every_ntsc_rate(
    rate_clip: Path, tmp_path: Path, dtd: etree.DTD
) -> None:
    # The command that failed inside OTIO's fcpx_xml writer at 29.97 fps.
    out = tmp_path / "talk.fcpxml"
    proc = otioconvert("-i", str(rate_clip), "-o", str(out), "-O", "facetrack_fcpxml")
    assert proc.returncode == 0, proc.stderr[-2000:]
    info = probe(rate_clip)
    root = etree.parse(str(out)).getroot()
    assert dtd.validate(root), dtd.error_log.filter_from_errors()
    fd = seconds(root.find("resources/format").get("frameDuration"))
    assert fd == 1 / info.fps  # 1001/30000s at 29.97: exact, not 1/30
    [asset] = root.findall("resources/asset")
    assert asset.get("src") == rate_clip.resolve().as_uri() and "%20" in asset.get("src")
    lanes = layout(root)  # every time on a frame
    program = lanes[0]
    assert program[0][1] == 0 and sum(p[2] for p in program) == round(info.duration * info.fps)
    assert {p[0] for p in program} <= {"No speaker", "Speaker 1", "Speaker 2", "Off-screen"}


def test_facetrack_timelines_through_every_writer(rate_clip: Path, dtd: etree.DTD) -> None:
    # The same analysis read in process, then each writer by name, and each file read back.
    timeline = otio.adapters.read_from_file(str(rate_clip), adapter_name="facetrack")
    fps = probe(rate_clip).fps
    assert Fraction(timeline.tracks[0][0].duration().rate).limit_denominator(1001) == fps
    check_fcpxml(otio.adapters.write_to_string(timeline, "facetrack_fcpxml"), timeline, fps, dtd)
    check_fcp7(otio.adapters.write_to_string(timeline, "facetrack_fcp7"), timeline, fps)
    video = [t for t in timeline.tracks if t.kind == VIDEO]
    for number, track in enumerate(video, 1):
        text = otio.adapters.write_to_string(timeline, "facetrack_edl", track=number)
        assert "FCM: NON-DROP FRAME" in text  # no timecode in these files: non-drop
        check_edl(text, timeline, track, fps)


def foreign_timeline(rate: float = 29.97) -> otio.schema.Timeline:
    """A cut made elsewhere: two video tracks, gaps, an audio track, markers, 29.97 fps.

    The rate is given as another tool would round it (29.97, not 30000/1001), the record
    starts at 01:00:00:00 and one file name needs percent-encoding.
    """

    def rt(frames: int) -> otio.opentime.RationalTime:
        return otio.opentime.RationalTime(frames, rate)

    def tr(start: int, frames: int) -> otio.opentime.TimeRange:
        return otio.opentime.TimeRange(rt(start), rt(frames))

    def clip(name: str, url: str, start: int, frames: int) -> otio.schema.Clip:
        ref = otio.schema.ExternalReference(target_url=url, available_range=tr(0, 3000))
        return otio.schema.Clip(name=name, media_reference=ref, source_range=tr(start, frames))

    take = "file:///media/My%20Shoot/A001%20take.mov"
    tl = otio.schema.Timeline(name="Interview cut", global_start_time=rt(108000))
    v1 = otio.schema.Track(name="Main", kind=VIDEO)
    v2 = otio.schema.Track(name="B roll", kind=VIDEO)
    a1 = otio.schema.Track(name="Dialogue", kind=otio.schema.TrackKind.Audio)
    first = clip("Shot one", take, 100, 90)
    first.markers.append(otio.schema.Marker(name="Look here", marked_range=tr(120, 0)))
    v1.extend([first, otio.schema.Gap(source_range=tr(0, 30)), clip("Shot two", take, 400, 60)])
    v2.extend([otio.schema.Gap(source_range=tr(0, 45)), clip("Cutaway", "file:///b.mov", 10, 50)])
    a1.append(clip("Dialogue", take, 100, 180))
    v2[1].markers.append(
        otio.schema.Marker(name="B roll note", marked_range=tr(20, 0), comment="check colour")
    )
    tl.tracks.extend([v1, v2, a1])
    tl.tracks.markers.append(otio.schema.Marker(name="Act two", marked_range=tr(100, 0)))
    return tl


def test_a_timeline_made_elsewhere(tmp_path: Path, dtd: etree.DTD) -> None:
    timeline = foreign_timeline()
    fps = NTSC
    fcpxml = otio.adapters.write_to_string(timeline, "facetrack_fcpxml")
    check_fcpxml(fcpxml, timeline, fps, dtd)
    root = etree.fromstring(fcpxml.encode())
    sequence = root.find("library/event/project/sequence")
    assert sequence.get("tcStart") == "108108000/30000s" and sequence.get("tcFormat") == "NDF"
    # Markers: a clip's in its source time (also on a lane), the timeline's on the gap under it.
    seq_start = 108000
    marks = {
        m.get("value"): (m.getparent().get("name"), frames(m.get("start"), 1 / fps), m.get("note"))
        for m in root.iter("marker")
    }
    assert marks == {
        "Look here": ("Shot one", 120, None),
        "B roll note": ("Cutaway", 20, "check colour"),
        "Act two": ("Gap", seq_start + 100, None),
    }
    assert root.find("library/event").get("name") == "Interview cut"

    check_fcp7(otio.adapters.write_to_string(timeline, "facetrack_fcp7"), timeline, fps)

    # An EDL holds one video track: the first by default, another by number or name.
    text = otio.adapters.write_to_string(timeline, "facetrack_edl")
    assert text.startswith("TITLE: Interview cut\nFCM: NON-DROP FRAME\n")
    assert " 01:00:00:00 " in text and "* SOURCE FILE: A001 take.mov" in text
    back = check_edl(text, timeline, timeline.tracks[0], fps)
    assert [m.name for c in back.find_clips() for m in c.markers] == ["LOOK HERE"]
    second = otio.adapters.write_to_string(timeline, "facetrack_edl", track="B roll")
    assert second == otio.adapters.write_to_string(timeline, "facetrack_edl", track=2)
    check_edl(second, timeline, timeline.tracks[1], fps)

    # Forced drop-frame: labels change, frames do not.
    df = otio.adapters.write_to_string(timeline, "facetrack_edl", drop_frame="true")
    assert "FCM: DROP FRAME" in df and " 01:00:03;18 " in df
    check_edl(df, timeline, timeline.tracks[0], fps)

    # And through otioconvert, from a saved .otio, to files.
    saved = tmp_path / "cut.otio"
    otio.adapters.write_to_file(timeline, str(saved))
    for suffix, adapter in (("fcpxml", "facetrack_fcpxml"), ("xml", "facetrack_fcp7")):
        out = tmp_path / f"cut.{suffix}"
        proc = otioconvert("-i", str(saved), "-o", str(out), "-O", adapter)
        assert proc.returncode == 0, proc.stderr[-2000:]
    check_fcpxml((tmp_path / "cut.fcpxml").read_text(), timeline, fps, dtd)
    check_fcp7((tmp_path / "cut.xml").read_text(), timeline, fps)
    out = tmp_path / "broll.edl"
    proc = otioconvert("-i", str(saved), "-o", str(out), "-O", "facetrack_edl", "-A", "track=2")
    assert proc.returncode == 0, proc.stderr[-2000:]
    check_edl(out.read_text(), timeline, timeline.tracks[1], fps)


EDL = """TITLE: Cut from elsewhere
FCM: DROP FRAME

001  A001C003 V     C        01:00:10;00 01:00:12;00 01:00:00;00 01:00:02;00
* FROM CLIP NAME: interview wide
002  A001C004 V     C        01:02:00;00 01:02:00;00 01:00:02;00 01:00:02;00
002  A001C004 V     D    030 01:02:00;00 01:02:03;00 01:00:02;00 01:00:05;00
* FROM CLIP NAME: interview close
003  BL       V     C        00:00:00;00 00:00:01;00 01:00:05;00 01:00:06;00
004  A001C003 V     C        01:00:20;00 01:00:21;15 01:00:06;00 01:00:07;15
"""


def test_an_edl_read_by_cmx_3600(tmp_path: Path, dtd: etree.DTD) -> None:
    # Reels without files, a dissolve, black, drop-frame timecode from 01:00:00;00.
    timeline = otio.adapters.read_from_string(EDL, adapter_name="cmx_3600", rate=float(NTSC))
    text = otio.adapters.write_to_string(timeline, "facetrack_edl")
    assert text.startswith("TITLE: Cut from elsewhere\nFCM: DROP FRAME\n")
    events = [line.split() for line in text.splitlines() if line[:3].isdigit()]
    assert events[0][4:] == ["01:00:10;00", "01:00:12;00", "01:00:00;00", "01:00:02;00"]
    assert any(e[3] == "D" and e[4] == "030" for e in events)  # the dissolve stays
    check_edl(text, timeline, timeline.tracks[0], NTSC)

    fcpxml = otio.adapters.write_to_string(timeline, "facetrack_fcpxml")
    root = etree.fromstring(fcpxml.encode())
    assert dtd.validate(root), dtd.error_log.filter_from_errors()
    assets = {a.get("name"): a.get("src") for a in root.iter("asset")}
    assert assets == {n: f"file:///{n}" for n in ("A001C003", "A001C004", "BL")}  # offline
    spine = root.find("library/event/project/sequence/spine")
    assert [e.tag for e in spine] == ["asset-clip", "transition", *["asset-clip"] * 3]
    assert spine.find("transition").get("duration") == "30030/30000s"  # 30 frames
    assert root.find("library/event/project/sequence").get("tcFormat") == "DF"
    # The transition takes no time: the clips keep their cuts.
    assert layout(root) == expected_layout(timeline, NTSC)

    fcp7 = otio.adapters.write_to_string(timeline, "facetrack_fcp7")
    xml = etree.fromstring(fcp7.encode())
    assert {f.findtext("name") for f in xml.iter("file") if f.findtext("name")} == {
        "A001C003",
        "A001C004",
        "BL",
    }
    assert not list(xml.iter("pathurl"))  # offline files: a name to relink by, no path
    check_fcp7(fcp7, timeline, NTSC)


@pytest.mark.parametrize(
    ("adapter", "kwargs", "message"),
    [
        ("facetrack_fcpxml", {"speed": 2}, r"unknown writer argument\(s\) speed"),
        ("facetrack_fcp7", {"drop_frame": "sometimes"}, "drop_frame must be auto, true or false"),
        ("facetrack_edl", {"track": 5}, r"no video track 5 .*1 \('Main'\), 2 \('B roll'\)"),
    ],
)
def test_bad_arguments(adapter: str, kwargs: dict, message: str) -> None:
    with pytest.raises(InputError, match=message):
        otio.adapters.write_to_string(foreign_timeline(), adapter, **kwargs)


def test_what_the_writers_cannot_hold_is_refused_by_name() -> None:
    timeline = foreign_timeline()
    nested = otio.schema.Stack(name="Compound")
    nested.append(otio.schema.Track())
    timeline.tracks[0].append(nested)
    for adapter in ("facetrack_fcpxml", "facetrack_fcp7", "facetrack_edl"):
        with pytest.raises(InputError, match=r"'Main': Stack 'Compound' is a nested composition"):
            otio.adapters.write_to_string(timeline, adapter)
    with pytest.raises(InputError, match="no video track"):
        otio.adapters.write_to_string(otio.schema.Timeline(name="empty"), "facetrack_edl")


def test_a_collection_of_one_timeline_is_written(tmp_path: Path) -> None:
    collection = otio.schema.SerializableCollection(children=[foreign_timeline()])
    path = tmp_path / "cut.fcpxml"
    otio.adapters.write_to_file(collection, str(path), adapter_name="facetrack_fcpxml")
    assert path.read_text() == otio.adapters.write_to_string(foreign_timeline(), "facetrack_fcpxml")


def test_an_edl_at_29_97_as_written(tmp_path: Path) -> None:
    # OTIO refuses timecode at 29.97 as people write it; the EDL adapter reads it at
    # 30000/1001, so the command docs/editors.md gives works.
    edl = tmp_path / "cut.edl"
    edl.write_text(EDL)
    out = tmp_path / "cut.xml"
    proc = otioconvert("-i", str(edl), "-a", "rate=29.97", "-o", str(out), "-O", "facetrack_fcp7")
    assert proc.returncode == 0, proc.stderr
    back = otio.adapters.read_from_file(str(out), adapter_name="fcp_xml")
    mine = otio.adapters.read_from_string(EDL, adapter_name="cmx_3600", rate=float(NTSC))
    assert [c.range_in_parent() for c in back.video_tracks()[0].find_clips()] == [
        c.range_in_parent() for c in mine.video_tracks()[0].find_clips()
    ]


@pytest.mark.parametrize("adapter", ["facetrack_mlt", "facetrack_kdenlive"])
def test_mlt_and_kdenlive_writers_by_name(two_turns: Path, tmp_path: Path, adapter: str) -> None:
    from facetrack_otio.exports import kdenlive, mlt

    suffix = {"facetrack_mlt": ".mlt", "facetrack_kdenlive": ".kdenlive"}[adapter]
    out = tmp_path / f"talk{suffix}"
    proc = otioconvert("-i", str(two_turns), "-o", str(out), "-O", adapter)
    assert proc.returncode == 0, proc.stderr
    timeline = otio.adapters.read_from_file(str(two_turns))
    writer = {"facetrack_mlt": mlt, "facetrack_kdenlive": kdenlive}[adapter]
    assert out.read_text() == writer.to_string(timeline)
    with pytest.raises(InputError, match="unknown writer argument"):
        otio.adapters.write_to_string(timeline, adapter, colour="red")
