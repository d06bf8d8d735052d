"""The report's parts on a built timeline (no video analysed): data, chart, page, timecodes."""

from __future__ import annotations

import re
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from facetrack_otio.config import Settings
from facetrack_otio.errors import InputError
from facetrack_otio.media.probe import MediaInfo
from facetrack_otio.report import ReportData, find_timeline, write_report
from facetrack_otio.report.chart import layout, to_svg
from facetrack_otio.report.data import timecode
from facetrack_otio.report.thumbs import THUMB_SIZE, crop_face
from facetrack_otio.speakers.turns import Person, SpeakerTurn
from facetrack_otio.timeline import build_timeline


def _timeline(fps: Fraction = Fraction(25), start_timecode: str | None = None):
    info = MediaInfo(
        path="/media/interview.mp4",
        width=1280,
        height=720,
        fps=fps,
        duration=20.0,
        n_frames=round(20 * fps),
        audio_streams=(0,),
        audio_sample_rate=48000,
        start_timecode=start_timecode,
    )
    turns = [
        SpeakerTurn(1, 0.5, 4.0, 1.0, "single-face"),
        SpeakerTurn(2, 4.5, 9.0, 0.8, "mouth-motion"),
        SpeakerTurn(0, 10.0, 12.0, 0.6, "off-screen"),
        SpeakerTurn(1, 13.0, 19.0, 0.9, "voice"),
    ]
    people = [
        Person(1, "Alice", 18.0, 9.5),
        Person(2, "Bob <b>", 15.0, 4.5),
        Person(0, "Off-screen", 0.0, 2.0),
    ]
    extra = {
        "speech": [[0.4, 9.1], [9.9, 19.2]],
        "timings": {"speakers": 0.2, "probe": 0.1, "faces": 5.0},
        "device": "cpu",
        "embedder": "lbp-fallback",
        "versions": {"facetrack": "0.1.0", "torch": "2.13.0"},
    }
    return build_timeline(info, turns, people, settings=Settings().to_dict(), extra=extra)


def test_data_from_timeline() -> None:
    data = ReportData.from_timeline(_timeline())
    assert [r.person.id for r in data.people] == [1, 2, 0]  # off-screen last
    assert [r.turns for r in data.people] == [2, 1, 1]
    assert data.people[2].off_screen
    assert len({r.color for r in data.people}) == 3
    assert list(data.timings) == ["probe", "faces", "speakers"]  # the order stages run
    assert data.speech == [(0.4, 9.1), (9.9, 19.2)]


def test_damaged_speech_and_warnings_are_passed_over() -> None:
    # A damaged file holds anything: what is not a pair of finite seconds is no speech.
    timeline = _timeline()
    md = dict(timeline.metadata["facetrack"])
    md["speech"] = [[0.4, "a'b"], [1.0, float("nan")], "x", [2.0, 3.0]]
    md["warnings"] = 5
    timeline.metadata["facetrack"] = md
    data = ReportData.from_timeline(timeline)
    assert data.speech == [(2.0, 3.0)] and data.warnings == []


def test_chart_has_a_lane_per_person_and_marks_off_screen() -> None:
    data = ReportData.from_timeline(_timeline())
    svg = to_svg(layout(data))
    lanes = re.findall(r'<g class="lane" data-person="(\d+)"', svg)
    assert lanes == ["1", "2", "0"]
    off = svg[svg.index('data-person="0"') :].split("</g>")[0]
    assert 'fill="url(#hatch)"' in off
    assert svg.count('class="turn"') == 4
    assert "Bob &lt;b&gt;" in svg and "<b>" not in svg  # names are escaped


def test_page_and_png(tmp_path: Path) -> None:
    (tmp_path / "thumbs").mkdir()
    timeline = _timeline()
    written = write_report(timeline, tmp_path)
    assert [p.name for p in written] == ["report.html", "report.png"]
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    # No thumbnails here: placeholders, and no <img> pointing anywhere.
    assert "<img" not in html
    assert "00:00:10:00" in html and "00:00:12:00" in html
    assert "Not recorded" not in html  # the timeline recorded its versions
    with Image.open(tmp_path / "report.png") as im:
        assert im.width == 2400 and im.height > 2 * 3 * 34


def test_settings_that_differ_are_marked(tmp_path: Path) -> None:
    timeline = _timeline()
    md = timeline.metadata["facetrack"]["settings"]
    md["faces"]["max_fps"] = 8.0
    write_report(timeline, tmp_path, png=False)
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "<mark>max_fps = 8.0  # default: 12.5</mark>" in html
    assert "<mark>max_side" not in html


@pytest.mark.parametrize(
    ("seconds", "fps", "start", "expected"),
    [
        (0.0, Fraction(25), None, "00:00:00:00"),
        (61.48, Fraction(25), None, "00:01:01:12"),
        (1.0, Fraction(24000, 1001), None, "00:00:01:00"),
        # Non-drop at 29.97: 30 frames per timecode second, so a minute of real time is ahead.
        (60.06, Fraction(30000, 1001), None, "00:01:00:00"),
        (0.5, Fraction(25), "01:00:00:00", "01:00:00:12"),
        (60.06, Fraction(30000, 1001), "00:00:00;00", "00:01:00;02"),
        # No SMPTE timecode at 15 or 12.5 fps: whole rates still count frames, others the clock.
        (61.4, Fraction(15), None, "00:01:01:06"),
        (3599.96, Fraction(25, 2), None, "01:00:00.000"),
        (0.08, Fraction(25, 2), None, "00:00:00.080"),
    ],
)
def test_timecodes(seconds: float, fps: Fraction, start: str | None, expected: str) -> None:
    assert timecode(seconds, fps, start) == expected


def test_find_timeline(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"no \.otio"):
        find_timeline(tmp_path)
    (tmp_path / "a.otio").write_text("{}")
    assert find_timeline(tmp_path) == tmp_path / "a.otio"
    (tmp_path / "b.otio").write_text("{}")
    with pytest.raises(InputError, match="several timelines"):
        find_timeline(tmp_path)
    with pytest.raises(InputError, match="no such"):
        find_timeline(tmp_path / "missing")


@pytest.mark.parametrize("box", [(600, 300, 700, 420), (0, 0, 80, 90), (1200, 650, 1280, 720)])
def test_face_crop_stays_inside_the_frame(box: tuple[int, int, int, int]) -> None:
    frame = Image.new("RGB", (1280, 720), (90, 100, 110))
    frame.paste((250, 250, 250), box)
    crop = crop_face(frame, box)
    assert crop.size == (THUMB_SIZE, THUMB_SIZE)
    # The face is in the crop, and nothing outside the frame (which would be black) is.
    pixels = np.asarray(crop).reshape(-1, 3)
    assert (pixels == 250).all(axis=1).any()
    assert not (pixels == 0).all(axis=1).any()


def test_frames_for_thumbnails_come_from_one_ffmpeg(tmp_path: Path) -> None:
    from facetrack_otio.media.probe import probe
    from facetrack_otio.report.thumbs import grab_frames

    info = probe(Path(__file__).resolve().parents[2] / "samples" / "two_shot.mp4")
    early, late, past = grab_frames(info, [1.0, info.duration - 1.0, info.duration + 60.0])
    # Full display size, real pictures that differ; a time past the end gives no frame.
    assert early is not None and late is not None and past is None
    assert early.size == late.size == (info.width, info.height)
    a, b = (np.asarray(im, dtype=np.int16) for im in (early, late))
    assert a.std() > 10 and np.abs(a - b).mean() > 1
    assert grab_frames(info, []) == []
