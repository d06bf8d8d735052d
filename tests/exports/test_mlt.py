"""MLT XML and Kdenlive projects, rendered by ``melt`` and checked frame by frame.

Stand-ins of ``samples/two_shot.mp4`` (its length and sound, its frames numbered by a barcode)
at 25 fps, at 29.97 fps and at 25 fps from timecode 01:00:00:00; every rendered frame must be
the one the timeline shows, and the sound within 2 ms. The FCP7 XML and EDL exports, read back
by OTIO's own readers, go the same way to MLT.
"""

from __future__ import annotations

import json
import subprocess
import xml.etree.ElementTree as ET
from fractions import Fraction
from pathlib import Path

import numpy as np
import opentimelineio as otio
import pytest

from facetrack_otio.exports import edl, fcp7, kdenlive, mlt
from facetrack_otio.media.probe import probe
from facetrack_otio.timeline.build import build_timeline
from tests.exports import engine
from tests.timeline.helpers import SAMPLES, people, rttm_turns

SOURCES = {  # name: (rate, start timecode)
    "25": (Fraction(25), None),
    "2997": (Fraction(30000, 1001), None),
    "timecode": (Fraction(25), "01:00:00:00"),
}
WRITERS = {"mlt": mlt, "kdenlive": kdenlive}


@pytest.fixture(scope="module")
def stand_ins(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("stand_ins")
    src = probe(SAMPLES / "two_shot.mp4")
    out = {}
    for name, (fps, tc) in SOURCES.items():
        n = round(Fraction(src.duration).limit_denominator(1000) * fps)
        out[name] = engine.stand_in(folder / f"two_shot {name}.mov", 1, fps, n, Path(src.path), tc)
    return out


def _timeline(path: Path) -> otio.schema.Timeline:
    return build_timeline(probe(path), rttm_turns("two_shot"), people(1, 2))


def _render_and_check(project: Path, timeline: otio.schema.Timeline, source: Path) -> None:
    fps = probe(source).fps
    out = engine.melt(project, project.with_suffix(".nut"))
    got = engine.frames_of(out)
    n = round(timeline.duration().to_seconds() * fps)
    assert len(got) == n
    want = engine.expected_frames(timeline, {source.resolve().as_uri(): 1}, fps, n)
    assert engine.check_frames(got, want) == (n, n)
    heard, original = engine.sound_of(out), engine.sound_of(source)
    assert len(heard) >= len(original) - engine.RATE * 0.05
    assert abs(engine.lag(heard, original)) <= 0.002


@pytest.mark.parametrize("fmt", WRITERS)
@pytest.mark.parametrize("name", SOURCES)
def test_melt_renders_every_frame(
    name: str, fmt: str, stand_ins: dict[str, Path], tmp_path: Path
) -> None:
    source = stand_ins[name]
    timeline = _timeline(source)
    [project] = WRITERS[fmt].write(timeline, tmp_path, "two_shot")
    root = ET.parse(project).getroot()
    # The profile: the source's size and exact rate.
    info = probe(source)
    prof = root.find("profile")
    assert (int(prof.get("width")), int(prof.get("height"))) == (info.width, info.height)
    rate = Fraction(int(prof.get("frame_rate_num")), int(prof.get("frame_rate_den")))
    assert rate == info.fps
    # Clip names and every marker, with its name and colour.
    names = {e.text for e in root.iter("property") if e.get("name") == "shotcut:caption"}
    assert {"Speaker 1", "Speaker 2", "No speaker"} <= names
    markers = [m for c in timeline.find_clips() for m in c.markers]
    if fmt == "mlt":
        marks = root.find("tractor/properties[@name='shotcut:markers']")
        got = [{p.get("name"): p.text for p in m} for m in marks]
        assert [(m["text"], m["color"]) for m in got] == [
            (m.name, mlt.COLORS[m.color]) for m in markers
        ]
    else:
        props = {p.get("name"): p.text for p in root.find("playlist[@id='main_bin']")}
        guides = json.loads(props["kdenlive:docproperties.guides"])
        cats = {c["index"]: c for c in json.loads(props["kdenlive:docproperties.guidesCategories"])}
        assert [(g["comment"], cats[g["type"]]["color"]) for g in guides] == [
            (m.name, mlt.COLORS[m.color]) for m in markers
        ]
    _render_and_check(project, timeline, source)


@pytest.mark.parametrize("name", SOURCES)
def test_fcp7_read_back_plays_the_same_in_melt(
    name: str, stand_ins: dict[str, Path], tmp_path: Path
) -> None:
    source = stand_ins[name]
    timeline = _timeline(source)
    [xml] = fcp7.write(timeline, tmp_path, "two_shot")
    back = otio.adapters.read_from_file(str(xml), adapter_name="fcp_xml")
    [project] = mlt.write(back, tmp_path, "back")
    _render_and_check(project, timeline, source)


@pytest.mark.parametrize("name", ["25", "2997"])
def test_edl_read_back_plays_the_same_in_melt(
    name: str, stand_ins: dict[str, Path], tmp_path: Path
) -> None:
    # The EDL names its file (SOURCE FILE): read back beside it, it relinks.
    source = stand_ins[name]
    timeline = _timeline(source)
    text = edl.to_string(timeline)
    back = edl.read_text(text, float(probe(source).fps))
    project = source.parent / f"back {name}.mlt"
    project.write_text(mlt.to_string(back))
    out = engine.melt(project, tmp_path / "out.nut")
    got = engine.frames_of(out)
    fps = probe(source).fps
    n = len(got)
    want = engine.expected_frames(timeline, {source.resolve().as_uri(): 1}, fps, n)
    assert engine.check_frames(got, want) == (n, n)


@pytest.mark.parametrize("fmt", WRITERS)
def test_a_sound_alone_is_heard_once(fmt: str, tmp_path: Path) -> None:
    # A podcast's timeline holds its sound three times (program, speakers, the uncut sound):
    # the program is heard, the others are there muted.
    wav = tmp_path / "pod.wav"
    subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-i", str(SAMPLES / "two_shot.mp4"), "-vn",
         "-c:a", "pcm_s16le", "-ar", "48000", "-ac", "1", "-t", "10", str(wav)],
        check=True,
    )  # fmt: skip
    turns = [t for t in rttm_turns("two_shot") if t.end < 10]
    timeline = build_timeline(probe(wav), turns, people(1, 2))
    assert {t.kind for t in timeline.tracks} == {otio.schema.TrackKind.Audio}
    [project] = WRITERS[fmt].write(timeline, tmp_path, "pod")
    heard = engine.sound_of(engine.melt(project, tmp_path / "pod.nut"))
    original = engine.sound_of(wav)
    n = min(len(heard), len(original))
    assert engine.lag(heard, original) == 0
    assert float(np.std(heard[:n]) / np.std(original[:n])) == pytest.approx(1, abs=0.01)
