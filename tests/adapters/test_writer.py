"""The writer: a facetrack timeline's turns rendered to clips with ffmpeg."""

from __future__ import annotations

from pathlib import Path

import opentimelineio as otio
import pytest

from facetrack_otio.errors import InputError
from facetrack_otio.media.probe import probe
from facetrack_otio.timeline.meta import facetrack_md
from tests.adapters.conftest import REAL


def test_writer_renders_one_clip_per_turn(
    real_timeline: otio.schema.Timeline, tmp_path: Path
) -> None:
    out = tmp_path / "clips"
    otio.adapters.write_to_file(
        real_timeline, str(out), adapter_name="facetrack", preset="ultrafast", jobs=1
    )
    turns = facetrack_md(real_timeline)["turns"]
    clips = sorted(out.iterdir())
    assert len(clips) == len(turns) > 0
    fps = probe(REAL).fps
    for clip, turn in zip(clips, turns, strict=True):
        assert clip.suffix == ".mp4" and "_speaker-1_" in clip.name
        info = probe(clip)
        assert info.has_audio and info.fps == fps
        assert abs(info.duration - (turn["end"] - turn["start"])) <= 1 / float(fps) + 0.03


def test_writer_found_by_video_suffix_renders_into_a_folder(
    two_turns: Path, tmp_path: Path
) -> None:
    timeline = otio.adapters.read_from_file(str(two_turns))
    otio.adapters.write_to_file(timeline, str(tmp_path / "talk.mp4"), preset="ultrafast")
    assert [p.name for p in tmp_path.iterdir()] == ["talk"]
    assert len(list((tmp_path / "talk").glob("*.mp4"))) == 2


def test_clips_folder() -> None:
    folder = otio.adapters.from_name("facetrack").module().clips_folder
    assert folder("out/clips") == Path("out/clips")
    assert folder("out/clips.MOV") == Path("out/clips")
    assert folder("take.2") == Path("take.2")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"speed": 2}, r"unknown writer argument\(s\) speed"),
        ({"crf": 99}, "crf must be in 0..51"),
        ({"preset": "quick"}, "unknown x264 preset"),
    ],
)
def test_bad_writer_arguments(two_turns: Path, tmp_path: Path, kwargs: dict, message: str) -> None:
    timeline = otio.adapters.read_from_file(str(two_turns))
    with pytest.raises(InputError, match=message):
        otio.adapters.write_to_file(timeline, str(tmp_path / "o"), "facetrack", **kwargs)
    assert not (tmp_path / "o").exists()


def test_writer_refuses_what_it_cannot_render(two_turns: Path, tmp_path: Path) -> None:
    foreign = otio.schema.Timeline(name="edit")
    with pytest.raises(InputError, match="not a facetrack timeline"):
        otio.adapters.write_to_file(foreign, str(tmp_path / "o"), "facetrack")
    (tmp_path / "file.txt").write_text("mine")
    timeline = otio.adapters.read_from_file(str(two_turns))
    with pytest.raises(InputError, match="cannot write"):
        otio.adapters.write_to_file(timeline, str(tmp_path / "file.txt" / "o"), "facetrack")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file.txt"]
