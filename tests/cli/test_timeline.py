"""``facetrack export``, ``name`` and ``render`` on saved timelines, as a user runs them.

Timelines are built from the samples' ground-truth turns (no analysis): the commands only ever
see the saved ``.otio``.
"""

from __future__ import annotations

import dataclasses
import math
import subprocess
from fractions import Fraction
from pathlib import Path

import opentimelineio as otio
import pytest
from lxml import etree

from facetrack_otio.cli import build_parser
from facetrack_otio.errors import InputError
from facetrack_otio.exports.rttm import read_rttm
from facetrack_otio.media.probe import MediaInfo, probe
from facetrack_otio.speakers.turns import Person, SpeakerTurn
from facetrack_otio.timeline import build_timeline, parse_names
from facetrack_otio.timeline.meta import facetrack_md
from tests import cli

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "samples"
REAL = SAMPLES / "SadTalker__WDA_AlexandriaOcasioCortez_000.mp4"
DTD = ROOT / "tests" / "data" / "FCPXMLv1_8.dtd"
LABEL_IDS = {"A": 1, "B": 2}  # the samples' RTTM labels as facetrack person ids
SAMPLE_NAMES = ("two_shot", "cuts", "enter_exit", "hard")


def facetrack(*args: str) -> subprocess.CompletedProcess[str]:
    return cli.facetrack("-q", *args)


def ground_truth(name: str) -> list[SpeakerTurn]:
    segments = read_rttm(SAMPLES / f"{name}.rttm")[name]
    return [SpeakerTurn(LABEL_IDS[s], a, b, 0.9, "mouth-motion") for s, a, b in segments]


def save(timeline: otio.schema.Timeline, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    otio.adapters.write_to_file(timeline, str(path), adapter_name="otio_json")
    return path


def saved_sample(name: str, folder: Path) -> Path:
    info = probe(SAMPLES / f"{name}.mp4")
    people = [Person(1, "Speaker 1"), Person(2, "Speaker 2")]
    return save(build_timeline(info, ground_truth(name), people), folder / f"{name}.otio")


def snapshot(folder: Path) -> dict[str, bytes | None]:
    """Everything under ``folder`` (hidden too): files with their content, folders as None."""
    return {
        str(p.relative_to(folder)): p.read_bytes() if p.is_file() else None
        for p in sorted(folder.rglob("*"))
    }


ALL_FILES = {
    "two_shot.otio",
    "two_shot.fcpxml",
    "two_shot.xml",
    "two_shot.edl",
    "two_shot.speaker-1.edl",
    "two_shot.speaker-2.edl",
    "two_shot.rttm",
    "two_shot.mlt",
    "two_shot.kdenlive",
}


@pytest.fixture(scope="module")
def two_shot_info() -> MediaInfo:
    return probe(SAMPLES / "two_shot.mp4")


@pytest.fixture
def two_shot_otio(tmp_path: Path, two_shot_info: MediaInfo) -> Path:
    people = [Person(1, "Speaker 1"), Person(2, "Speaker 2")]
    timeline = build_timeline(two_shot_info, ground_truth("two_shot"), people)
    return save(timeline, tmp_path / "in" / "two_shot.otio")


# --------------------------------------------------------------------------- export


@pytest.mark.parametrize(
    ("formats", "expected"),
    [
        (["otio"], {"two_shot.otio"}),
        (["fcpxml"], {"two_shot.fcpxml"}),
        (["fcp7"], {"two_shot.xml"}),
        (["edl"], {"two_shot.edl", "two_shot.speaker-1.edl", "two_shot.speaker-2.edl"}),
        (["rttm"], {"two_shot.rttm"}),
        (["fcpxml,rttm"], {"two_shot.fcpxml", "two_shot.rttm"}),
        (["otio", "-f", "fcp7"], {"two_shot.otio", "two_shot.xml"}),
        (["all"], ALL_FILES),
    ],
)
def test_export_writes_the_chosen_formats(
    two_shot_otio: Path, tmp_path: Path, formats: list[str], expected: set[str]
) -> None:
    out = tmp_path / "out"
    proc = facetrack("export", str(two_shot_otio), "--format", *formats, "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    assert {p.name for p in out.iterdir()} == expected
    assert sorted(proc.stdout.split()) == sorted(str(out / n) for n in expected)


def test_export_defaults_to_every_format_beside_the_timeline(two_shot_otio: Path) -> None:
    before = two_shot_otio.read_bytes()
    proc = facetrack("export", str(two_shot_otio))
    assert proc.returncode == 0, proc.stderr
    assert {p.name for p in two_shot_otio.parent.iterdir()} == ALL_FILES
    # Written again from itself: the master is unchanged.
    assert otio.adapters.read_from_string(before.decode()).is_equivalent_to(
        otio.adapters.read_from_file(str(two_shot_otio))
    )
    dtd = etree.DTD(str(DTD))
    assert dtd.validate(etree.parse(str(two_shot_otio.with_suffix(".fcpxml"))))


# --------------------------------------------------------------------------- frame accuracy


def snap(seconds: float, fps: Fraction, total: int) -> int:
    """Nearest frame boundary (halves up), within the source."""
    return min(max(math.floor(Fraction(seconds) * fps + Fraction(1, 2)), 0), total)


def expected_person_ranges(
    turns: list[SpeakerTurn], fps: Fraction, total: int
) -> dict[int, list[tuple[int, int]]]:
    """Each person's turns as source frame ranges ``[f0, f1)``; touching ones are one clip."""
    out: dict[int, list[tuple[int, int]]] = {}
    for t in sorted(turns, key=lambda t: t.start):
        f0, f1 = snap(t.start, fps, total), snap(t.end, fps, total)
        ranges = out.setdefault(t.speaker, [])
        if ranges and f0 <= ranges[-1][1]:
            ranges[-1] = (ranges[-1][0], max(ranges[-1][1], f1))
        elif f1 > f0:
            ranges.append((f0, f1))
    return out


def expected_program(turns: list[SpeakerTurn], fps: Fraction, total: int) -> list[tuple]:
    """(speaker, f0, f1) runs of the program, by brute force over frames.

    The covering turn that started last holds each frame; no turn: ``None``.
    """
    snapped = [(snap(t.start, fps, total), snap(t.end, fps, total), t.speaker) for t in turns]
    runs: list[list] = []
    for f in range(total):
        covering = [s for s in snapped if s[0] <= f < s[1]]
        owner = max(covering)[2] if covering else None
        if runs and runs[-1][0] == owner:
            runs[-1][2] = f + 1
        else:
            runs.append([owner, f, f + 1])
    return [tuple(r) for r in runs]


def source_frames(clip: otio.schema.Clip) -> tuple[int, int]:
    r = clip.source_range
    return round(r.start_time.value), round(r.end_time_exclusive().value)


def record_frames(item: otio.core.Item) -> tuple[int, int]:
    r = item.range_in_parent()
    return round(r.start_time.value), round(r.end_time_exclusive().value)


def clips(track: otio.schema.Track) -> list[otio.schema.Clip]:
    return [c for c in track if isinstance(c, otio.schema.Clip)]


@pytest.mark.parametrize("name", SAMPLE_NAMES)
def test_every_export_matches_the_turns_to_the_frame(name: str, tmp_path: Path) -> None:
    path = saved_sample(name, tmp_path)
    out = tmp_path / "out"
    proc = facetrack("export", str(path), "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    info = probe(SAMPLES / f"{name}.mp4")
    fps = info.fps
    turns = ground_truth(name)
    master = otio.adapters.read_from_file(str(out / f"{name}.otio"))
    total = round(master.duration().value)
    assert total == snap(info.duration, fps, 10**9)
    assert master.global_start_time is None or master.global_start_time.value == 0
    people = expected_person_ranges(turns, fps, total)
    program = [(s, a, b) for s, a, b in expected_program(turns, fps, total)]
    names = {1: "Speaker 1", 2: "Speaker 2"}

    # .otio: the speaker tracks hold each person's turns at their place; the program cuts.
    for track in master.video_tracks()[1:]:
        pid = facetrack_md(track)["speaker"]
        assert [source_frames(c) for c in clips(track)] == people[pid]
        assert [record_frames(c) for c in clips(track)] == people[pid]
    prog = master.video_tracks()[0]
    assert [(facetrack_md(c)["speaker"], *source_frames(c)) for c in prog] == program

    # FCP7 XML: no track names, but clips keep their names and places.
    fcp7 = otio.adapters.read_from_file(str(out / f"{name}.xml"))
    video = fcp7.video_tracks()
    assert len(video) == 1 + len(people)
    for track in video[1:]:
        (pid,) = {pid for pid, n in names.items() if {c.name for c in clips(track)} == {n}}
        assert [source_frames(c) for c in clips(track)] == people[pid]
        assert [record_frames(c) for c in clips(track)] == people[pid]
    assert [source_frames(c) for c in clips(video[0])] == [(a, b) for _, a, b in program]

    # EDLs (read at the source's rate): the program, and one per person.
    rate = float(fps)
    edl = otio.adapters.read_from_file(str(out / f"{name}.edl"), rate=rate)
    assert [(c.name, *source_frames(c)) for c in clips(edl.video_tracks()[0])] == [
        (names.get(s, "No speaker"), a, b) for s, a, b in program
    ]
    for pid, ranges in people.items():
        one = otio.adapters.read_from_file(str(out / f"{name}.speaker-{pid}.edl"), rate=rate)
        assert [source_frames(c) for c in clips(one.video_tracks()[0])] == ranges

    # RTTM: the turns themselves, to the millisecond.
    segments = sorted(
        (int(s.split("-")[1]), a, b) for s, a, b in read_rttm(out / f"{name}.rttm")[name]
    )
    truth = sorted((t.speaker, t.start, t.end) for t in turns)
    assert [s[0] for s in segments] == [t[0] for t in truth]
    assert [x for s in segments for x in s[1:]] == pytest.approx(
        [x for t in truth for x in t[1:]], abs=1.5e-3
    )


# --------------------------------------------------------------------------- name


def test_name_renames_everywhere_and_exports_again(two_shot_otio: Path) -> None:
    proc = facetrack("name", str(two_shot_otio), "1=Alice", "speaker-2=Bob")
    assert proc.returncode == 0, proc.stderr
    folder = two_shot_otio.parent
    assert {p.name for p in folder.iterdir()} == ALL_FILES

    tl = otio.adapters.read_from_file(str(two_shot_otio))
    assert [t.name for t in tl.tracks] == ["Program", "Alice", "Bob", "Audio"]
    by_id = {1: "Alice", 2: "Bob", None: "No speaker"}
    for track in tl.video_tracks():
        for clip in clips(track):
            assert clip.name == by_id[facetrack_md(clip)["speaker"]]
            for marker in clip.markers:
                assert marker.name == by_id[facetrack_md(marker)["speaker"]]
    assert sum(len(c.markers) for c in tl.find_clips()) == len(ground_truth("two_shot"))
    people = {p["id"]: p["name"] for p in facetrack_md(tl)["people"]}
    assert people == {1: "Alice", 2: "Bob"}

    fcpxml = folder.joinpath("two_shot.fcpxml").read_text()
    fcp7 = folder.joinpath("two_shot.xml").read_text()
    edl = folder.joinpath("two_shot.speaker-2.edl").read_text()
    for text in (fcpxml, fcp7):
        assert "Alice" in text and "Bob" in text and "Speaker 1" not in text
    assert "TITLE: two_shot Bob" in edl and "Speaker 2" not in edl
    # The labels of files and RTTM speakers do not follow names: scripts keep working.
    labels = {s for s, _, _ in read_rttm(folder / "two_shot.rttm")["two_shot"]}
    assert labels == {"speaker-1", "speaker-2"}

    # Renaming again goes by id, not by the current name.
    proc = facetrack("name", str(two_shot_otio), "1=Carol")
    assert proc.returncode == 0, proc.stderr
    tl = otio.adapters.read_from_file(str(two_shot_otio))
    assert [t.name for t in tl.tracks] == ["Program", "Carol", "Bob", "Audio"]


# --------------------------------------------------------------------------- render


def test_render_writes_one_clip_per_turn(tmp_path: Path) -> None:
    info = probe(REAL)
    turns = [SpeakerTurn(1, 0.5, 1.7, 0.9, "single-face"), SpeakerTurn(1, 2.0, 3.1, 0.8, "voice")]
    path = save(build_timeline(info, turns, [Person(1, "Alice")]), tmp_path / "talk.otio")
    out = tmp_path / "clips"
    proc = facetrack("render", str(path), "-o", str(out), "--preset", "ultrafast", "--jobs", "1")
    assert proc.returncode == 0, proc.stderr
    rendered = sorted(out.iterdir())
    assert [p.name for p in rendered] == [
        "0001_speaker-1_00m00s.mp4",
        "0002_speaker-1_00m02s.mp4",
    ]
    assert proc.stdout.split() == [str(p) for p in rendered]
    for clip, turn in zip(rendered, turns, strict=True):
        got = probe(clip)
        assert got.has_audio
        assert abs(got.duration - (turn.end - turn.start)) <= 1 / float(info.fps) + 0.03


# --------------------------------------------------------------------------- run --names


def test_run_names_parse_path() -> None:
    # What `facetrack run` hands the pipeline; the analysis itself is run by cli/test_run
    # and, with names, by the adapter tests.
    parser = build_parser()
    args = parser.parse_args(["run", "x.mp4", "-o", "out", "--names", "1=Alice", "speaker-2=Bob"])
    assert parse_names(args.names) == {1: "Alice", 2: "Bob"}
    args = parser.parse_args(["run", "x.mp4", "-o", "out", "--names", "x=Bob"])
    with pytest.raises(InputError, match="expected ID=NAME"):
        parse_names(args.names)


# --------------------------------------------------------------------------- bad input


def _foreign(d: Path) -> Path:
    tl = otio.schema.Timeline(name="edit")
    tl.tracks.append(otio.schema.Track(name="V1"))
    return save(tl, d / "edit.otio")


def _garbage(d: Path) -> Path:
    (d / "broken.otio").write_text("this is { not json")
    return d / "broken.otio"


def _offline(d: Path) -> Path:
    # A facetrack timeline whose source video has gone.
    info = probe(REAL)
    info = dataclasses.replace(info, path=str(d / "gone.mp4"))
    turns = [SpeakerTurn(1, 0.5, 1.5, 0.9, "voice")]
    return save(build_timeline(info, turns, [Person(1, "Speaker 1")]), d / "offline.otio")


def _good(d: Path) -> Path:
    return saved_sample("two_shot", d)


def _under_a_file(d: Path) -> str:
    (d / "file.txt").write_text("mine")
    return str(d / "file.txt" / "out")


BAD = {
    "export-missing": ("export", lambda d: [str(d / "nope.otio")]),
    "export-directory": ("export", lambda d: [str(d)]),
    "export-garbage": ("export", lambda d: [str(_garbage(d))]),
    "export-foreign": ("export", lambda d: [str(_foreign(d))]),
    "export-format": ("export", lambda d: [str(_good(d)), "-f", "mp3", "-o", str(d / "o")]),
    "export-unwritable": ("export", lambda d: [str(_good(d)), "-o", _under_a_file(d)]),
    "name-missing": ("name", lambda d: [str(d / "nope.otio"), "1=Alice"]),
    "name-directory": ("name", lambda d: [str(d), "1=Alice"]),
    "name-garbage": ("name", lambda d: [str(_garbage(d)), "1=Alice"]),
    "name-foreign": ("name", lambda d: [str(_foreign(d)), "1=Alice"]),
    "name-not-an-id": ("name", lambda d: [str(_good(d)), "1=Alice", "x=Bob"]),
    "name-no-equals": ("name", lambda d: [str(_good(d)), "1"]),
    "name-unknown-person": ("name", lambda d: [str(_good(d)), "7=Zed"]),
    "render-missing": ("render", lambda d: [str(d / "nope.otio"), "-o", str(d / "o")]),
    "render-directory": ("render", lambda d: [str(d), "-o", str(d / "o")]),
    "render-garbage": ("render", lambda d: [str(_garbage(d)), "-o", str(d / "o")]),
    "render-foreign": ("render", lambda d: [str(_foreign(d)), "-o", str(d / "o")]),
    "render-offline": ("render", lambda d: [str(_offline(d)), "-o", str(d / "o")]),
    "render-crf": ("render", lambda d: [str(_good(d)), "-o", str(d / "o"), "--crf", "99"]),
    "render-unwritable": ("render", lambda d: [str(_good(d)), "-o", _under_a_file(d)]),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_input_is_one_line_exit_2_and_writes_nothing(case: str, tmp_path: Path) -> None:
    command, make = BAD[case]
    args = make(tmp_path)
    before = snapshot(tmp_path)
    proc = facetrack(command, *args)
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("facetrack: error: ")
    assert "Traceback" not in proc.stderr
    assert proc.stdout == ""
    assert snapshot(tmp_path) == before


def test_a_format_that_fails_leaves_no_other_file(tmp_path: Path) -> None:
    # 12.5 fps has no SMPTE timecode: named outright, the EDL refuses it after .otio and
    # FCPXML were made; neither may be left behind.
    info = MediaInfo(
        path=str(tmp_path / "slow.mp4"),
        width=640,
        height=360,
        fps=Fraction(25, 2),
        duration=10.0,
        n_frames=125,
        audio_streams=(0,),
        audio_sample_rate=48000,
    )
    path = save(
        build_timeline(info, [SpeakerTurn(1, 1.0, 4.0)], [Person(1, "Speaker 1")]),
        tmp_path / "slow.otio",
    )
    before = snapshot(tmp_path)
    named = ["-f", "otio,fcpxml,edl"]
    proc = facetrack("export", str(path), *named, "-o", str(tmp_path / "out"))
    assert proc.returncode == 2
    assert proc.stderr.startswith("facetrack: error: ") and proc.stderr.count("\n") == 1
    assert not (tmp_path / "out").exists()
    proc = facetrack("export", str(path), *named)  # into the timeline's own folder
    assert proc.returncode == 2
    assert snapshot(tmp_path) == before
