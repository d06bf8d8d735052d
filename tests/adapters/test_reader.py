"""The reader: a video in, the speaker timeline out, with analysis settings as arguments."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import opentimelineio as otio
import pytest
from lxml import etree

from facetrack_otio.errors import InputError, MediaError
from facetrack_otio.media.probe import probe
from facetrack_otio.timeline.meta import facetrack_md
from tests.adapters.conftest import DTD, REAL

BIN = Path(sys.executable).parent


def _adapter():  # the module as OTIO loads it
    return otio.adapters.from_name("facetrack").module()


def test_read_by_adapter_name(real_timeline: otio.schema.Timeline) -> None:
    tl = real_timeline
    assert tl.name == REAL.stem
    assert [t.name for t in tl.tracks] == ["Program", "Alice", "Audio"]
    assert [t.kind for t in tl.tracks] == ["Video", "Video", "Audio"]
    md = facetrack_md(tl)
    assert md["turns"] and {t["speaker"] for t in md["turns"]} == {1}
    assert md["settings"]["faces"]["max_fps"] == 12.5
    for clip in tl.find_clips():
        assert clip.media_reference.target_url == REAL.resolve().as_uri()
        assert clip.source_range.duration.rate == 25
    # The program covers the whole source, to its last frame.
    assert round(tl.tracks[0].duration().value) == round(probe(REAL).duration * 25)


def test_names_argument_names_person_everywhere(real_timeline: otio.schema.Timeline) -> None:
    md = facetrack_md(real_timeline)
    assert [(p["id"], p["name"]) for p in md["people"]] == [(1, "Alice")]
    speaking = [c for c in real_timeline.tracks[0] if facetrack_md(c)["speaker"] == 1]
    assert speaking and {c.name for c in speaking} == {"Alice"}
    assert {c.name for c in real_timeline.tracks[1].find_clips()} == {"Alice"}
    markers = [m for c in real_timeline.tracks[0] for m in c.markers]
    assert len(markers) == len(md["turns"]) and {m.name for m in markers} == {"Alice"}


def test_read_found_by_suffix(short_clip: Path) -> None:
    tl = otio.adapters.read_from_file(str(short_clip))
    assert tl.name == "short"
    assert [t.name for t in tl.tracks] == ["Program", "Speaker 1", "Audio"]
    assert facetrack_md(tl)["source"]["path"] == str(short_clip.resolve())


def test_otioconvert_video_to_fcpxml(short_clip: Path, tmp_path: Path) -> None:
    out = tmp_path / "short.fcpxml"
    proc = subprocess.run(
        [str(BIN / "otioconvert"), "-i", str(short_clip), "-o", str(out), "-a", "names=1=Alice"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    dtd = etree.DTD(str(DTD))
    doc = etree.parse(str(out))
    assert dtd.validate(doc), dtd.error_log.filter_from_errors()
    assert doc.xpath("//project/@name") == ["short"]
    assert "Alice" in doc.xpath("//spine/*/@name")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"colour": "red"}, "unknown reader argument(s) colour"),
        ({"tracker": "fast"}, "tracker must be one of template, mosse, kcf, csrt, none"),
        ({"max_fps": "fast"}, "max_fps must be a number"),
        ({"max_side": 12.5}, "max_side must be a whole number"),
        ({"audio_stream": -1}, "audio_stream must be at least 0"),
        ({"names": "x=Bob"}, "expected ID=NAME"),
        ({"names": "1"}, "expected ID=NAME"),
        ({"names": 7}, "names must be like '1=Alice,2=Bob'"),
    ],
)
def test_bad_arguments_are_refused_before_analysing(kwargs: dict, message: str) -> None:
    with pytest.raises(InputError, match=message.replace("(", r"\(").replace(")", r"\)")):
        otio.adapters.read_from_file(str(REAL), adapter_name="facetrack", **kwargs)


def test_a_file_that_is_not_a_video(tmp_path: Path) -> None:
    with pytest.raises(MediaError):
        otio.adapters.read_from_file(str(tmp_path / "missing.mp4"))
    text = tmp_path / "notes.mov"
    text.write_text("not a video")
    with pytest.raises(MediaError):
        otio.adapters.read_from_file(str(text))


def test_names_argument_forms() -> None:
    parse = _adapter().parse_names_argument
    expected = {1: "Alice", 2: "Bob"}
    assert parse("1=Alice, 2=Bob") == expected
    assert parse(["1=Alice", "speaker-2=Bob"]) == expected
    assert parse({1: "Alice", "2": "Bob"}) == expected
    assert parse(None) == {} and parse("") == {}
    assert parse("off-screen=Narrator") == {0: "Narrator"}


def test_settings_arguments_as_otioconvert_passes_them() -> None:
    # `otioconvert -a max_fps=10 -a max_side=480` gives ints; quoted values stay strings.
    settings = _adapter().settings_from_arguments(
        device="cpu", tracker="mosse", max_fps=10, max_side="480", audio_stream="1"
    )
    assert settings.faces.device == "cpu"
    assert settings.faces.tracker == "mosse"
    assert settings.faces.max_fps == 10.0 and isinstance(settings.faces.max_fps, float)
    assert settings.faces.max_side == 480
    assert settings.audio_stream == 1
    default = _adapter().settings_from_arguments()
    assert default.faces.max_fps == 12.5 and default.audio_stream == 0
