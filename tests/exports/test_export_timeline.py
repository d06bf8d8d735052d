"""export_timeline: every format from one timeline, or from a saved .otio later."""

from __future__ import annotations

from pathlib import Path

import opentimelineio as otio
import pytest

from facetrack_otio.errors import InputError
from facetrack_otio.exports import FORMATS, export_timeline, resolve_formats
from facetrack_otio.exports.rttm import read_rttm
from facetrack_otio.timeline import load_timeline, rename_people
from tests.timeline.helpers import rttm_turns

ALL = ["two_shot.otio", "two_shot.fcpxml", "two_shot.xml", "two_shot.edl"]
ALL += ["two_shot.speaker-1.edl", "two_shot.speaker-2.edl", "two_shot.rttm"]
ALL += ["two_shot.mlt", "two_shot.kdenlive"]


def test_all_formats(two_shot: otio.schema.Timeline, tmp_path: Path) -> None:
    before = otio.adapters.write_to_string(two_shot, "otio_json")
    out = tmp_path / "out"
    paths = export_timeline(two_shot, out)
    assert [p.name for p in paths] == ALL
    assert sorted(p.name for p in out.iterdir()) == sorted(ALL)  # no temporaries left
    assert otio.adapters.write_to_string(two_shot, "otio_json") == before  # unchanged

    master = otio.adapters.read_from_file(str(out / "two_shot.otio"))
    assert master.is_equivalent_to(two_shot)


def test_the_otio_is_compact_and_the_same_each_time(
    ntsc: otio.schema.Timeline, tmp_path: Path
) -> None:
    [first] = export_timeline(ntsc, tmp_path / "a", formats=["otio"])
    [again] = export_timeline(ntsc, tmp_path / "b", formats=["otio"])
    text = first.read_text()
    assert first.read_bytes() == again.read_bytes()
    # One line, no indentation: far smaller than OTIO's indented JSON of the same timeline...
    assert "\n" not in text and '": ' not in text
    assert len(text) < len(otio.adapters.write_to_string(ntsc, "otio_json")) / 2
    # ... which every OTIO reader reads back whole.
    assert otio.adapters.read_from_file(str(first)).is_equivalent_to(ntsc)


def test_rttm_matches_the_turns(two_shot: otio.schema.Timeline, tmp_path: Path) -> None:
    [path] = export_timeline(two_shot, tmp_path, formats=["rttm"])
    segments = read_rttm(path)["two_shot"]
    turns = sorted(rttm_turns("two_shot"), key=lambda t: t.start)
    want = [(f"speaker-{t.speaker}", t.start, t.end) for t in turns]
    assert len(segments) == len(want)
    for (label, start, end), (wlabel, wstart, wend) in zip(segments, want, strict=True):
        assert label == wlabel
        assert start == pytest.approx(wstart, abs=5e-4)
        assert end == pytest.approx(wend, abs=1e-3)


def test_rttm_labels_stay_after_renaming(ntsc: otio.schema.Timeline, tmp_path: Path) -> None:
    rename_people(ntsc, {1: "Alice Smith", 0: "Narrator"})
    [path] = export_timeline(ntsc, tmp_path, stem="x", formats=["rttm"])
    [(uri, segments)] = read_rttm(path).items()
    assert uri == "my_clip_#1"
    assert {s for s, _, _ in segments} == {"speaker-1", "speaker-2", "off-screen"}


def test_export_from_a_saved_file(ntsc: otio.schema.Timeline, tmp_path: Path) -> None:
    [saved] = export_timeline(ntsc, tmp_path / "a", formats=["otio"])
    loaded = load_timeline(saved)
    first = export_timeline(ntsc, tmp_path / "a", formats=["fcpxml", "fcp7", "edl", "rttm"])
    again = export_timeline(loaded, tmp_path / "b", formats=["fcpxml", "fcp7", "edl", "rttm"])
    assert [p.name for p in first] == [p.name for p in again]
    for a, b in zip(first, again, strict=True):
        assert a.read_text() == b.read_text(), a.name


def test_format_names(two_shot: otio.schema.Timeline, tmp_path: Path) -> None:
    assert resolve_formats(["all"]) == list(FORMATS)
    assert resolve_formats(["edl,XML", "otio", "edl"]) == ["otio", "fcp7", "edl"]
    assert resolve_formats(["fcpx", "cmx_3600", "premiere"]) == ["fcpxml", "fcp7", "edl"]
    paths = export_timeline(two_shot, tmp_path, stem="my/cut", formats=("fcpxml",))
    assert [p.name for p in paths] == ["my_cut.fcpxml"]
    with pytest.raises(InputError, match="unknown export format 'mov'"):
        export_timeline(two_shot, tmp_path, formats=["mov"])
    with pytest.raises(InputError, match="no export format"):
        export_timeline(two_shot, tmp_path, formats=[" , "])


def test_foreign_timeline_has_no_rttm(tmp_path: Path) -> None:
    tl = otio.schema.Timeline(name="other")
    tl.tracks.append(otio.schema.Track())
    with pytest.raises(InputError, match="not a facetrack timeline"):
        export_timeline(tl, tmp_path, formats=["rttm"])
