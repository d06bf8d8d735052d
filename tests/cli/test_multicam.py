"""``facetrack multicam`` as a user runs it, on a short shoot cut from the bundled one."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import opentimelineio as otio
import pytest

from tests.cli import facetrack
from tests.multicam.helpers import (
    FRAME,
    REAL,
    REAL_DEV,
    SHOOT,
    Piece,
    ffmpeg,
    needs_shoot,
)


def _probe(path: Path) -> dict:
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "stream=codec_type,nb_frames,width,height",
         "-show_entries", "format=duration", "-of", "json", str(path)],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    return json.loads(out)


@pytest.fixture(scope="module")
def third_angle(short_shoot: dict[str, Piece]) -> Piece:
    """A third view of B at 29.97 fps: the wide's right half (480x540), cut from the short
    wide."""
    wide = short_shoot["cam_wide"]
    out = wide.path.parent / "cam_Bwide.mp4"
    ffmpeg("-i", str(wide.path), "-vf", "crop=480:540:480:0", "-r", "30000/1001",
           "-c:v", "libx264", "-preset", "ultrafast", "-crf", "30",
           "-c:a", "copy", str(out))  # fmt: skip
    return Piece(out, wide.start)


@pytest.fixture(scope="module")
def run(
    short_shoot: dict[str, Piece], third_angle: Piece, tmp_path_factory: pytest.TempPathFactory
):
    out = tmp_path_factory.mktemp("mc") / "out"
    s = short_shoot
    files = [s["cam_wide"], s["cam_A"], s["cam_B"], third_angle]
    args = [str(p.path) for p in files] + [str(s["mic_B"].path), "--mic", f"Alex={s['mic_A'].path}"]
    proc = facetrack("multicam", *args, "-o", str(out), "--json", "-q", "--names", "1=Bea")
    assert proc.returncode == 0, proc.stderr
    return out, json.loads(proc.stdout), [*files, s["mic_B"], s["mic_A"]]


@pytest.mark.slow
@needs_shoot
def test_files_are_synced_and_the_json_says_where(run) -> None:
    _, summary, pieces = run
    files = summary["files"]
    # Files as given, then the named microphones.
    assert [f["kind"] for f in files] == ["angle"] * 4 + ["mic", "mic"]
    assert [f["label"] for f in files][-2:] == ["mic_B", "Alex"]
    truth = [p.start for p in pieces]
    for f, start in zip(files, truth):
        expected = start - truth[0]
        assert abs((f["offset"] - files[0]["offset"]) - expected) < FRAME, f["label"]
    assert min(f["offset"] for f in files) == 0.0
    assert len(summary["people"]) == 2 and summary["people"][0]["name"] == "Bea"
    assert summary["program"] and all(
        p["path"] in {f["path"] for f in files if f["kind"] == "angle"} for p in summary["program"]
    )
    # Both microphones worn by somebody, by different people.
    assert {f["wearer"] for f in files if f["kind"] == "mic"} == {1, 2}
    assert [f.get("fps") for f in files[:4]] == ["25/1", "25/1", "25/1", "30000/1001"]
    assert summary["fps"] == "25/1"  # the rate most angles have
    angles = {a["label"]: a for a in summary["angles"]}
    assert angles["cam_wide"]["kind"] == "wide"
    assert angles["cam_Bwide"]["kind"] == angles["cam_B"]["kind"] == "close-up"
    assert angles["cam_Bwide"]["subject"] == angles["cam_B"]["subject"]


@pytest.mark.slow
@needs_shoot
def test_every_output_is_written(run) -> None:
    out, summary, _ = run
    names = {Path(p).name for p in summary["outputs"]}
    stem = "interview"  # the folder the first file is in
    assert {f"{stem}.otio", f"{stem}.fcpxml", f"{stem}.xml", f"{stem}.edl", f"{stem}.rttm",
            f"{stem}.mlt", f"{stem}.kdenlive",
            f"{stem}.program.mp4", "report.html", "report.png"} <= names  # fmt: skip
    assert all(Path(p).is_file() for p in summary["outputs"])
    assert not [p for p in out.iterdir() if p.name.startswith(".")]
    tl = otio.adapters.read_from_file(str(out / f"{stem}.otio"))
    assert [t.name for t in tl.audio_tracks()] == ["mic_B", "Alex"]
    html = (out / "report.html").read_text()
    assert "Files on the shoot clock" in html and "On air" in html and "cam_Bwide" in html


@pytest.mark.slow
@needs_shoot
def test_the_program_render_is_the_program(run) -> None:
    out, summary, _ = run
    info = _probe(out / "interview.program.mp4")
    kinds = {s["codec_type"]: s for s in info["streams"]}
    assert set(kinds) == {"video", "audio"}
    assert (int(kinds["video"]["width"]), int(kinds["video"]["height"])) == (960, 540)
    span = summary["program"][-1]["end"] - summary["program"][0]["start"]
    assert int(kinds["video"]["nb_frames"]) == round(span * 25)
    assert float(info["format"]["duration"]) == pytest.approx(span, abs=0.05)


@pytest.mark.slow
@needs_shoot
def test_one_ffmpeg_and_runs_side_by_side_render_the_same_program(run, tmp_path: Path) -> None:
    # The default encodes runs of shots side by side and joins them; one ffmpeg doing it all
    # (``--jobs 1``) must give the same frames, size and length.
    from facetrack_otio.multicam.render import render_program
    from facetrack_otio.multicam.timeline import read_multicam
    from facetrack_otio.render.clips import RenderSettings
    from facetrack_otio.timeline.read import load_timeline

    out, _, _ = run
    analysis = read_multicam(load_timeline(out / "interview.otio"))
    one = render_program(
        analysis, tmp_path / "one.mp4", RenderSettings(encoder="libx264", jobs=1), progress=False
    )
    split = _probe(out / "interview.program.mp4")
    single = _probe(one)
    for info in (split, single):
        assert {s["codec_type"] for s in info["streams"]} == {"video", "audio"}
    video = [next(s for s in i["streams"] if s["codec_type"] == "video") for i in (split, single)]
    assert video[0] == video[1]
    assert float(split["format"]["duration"]) == pytest.approx(
        float(single["format"]["duration"]), abs=0.05
    )


@needs_shoot
def test_a_missing_microphone(short_shoot: dict[str, Piece], tmp_path: Path) -> None:
    s = short_shoot
    files = [str(s[n].path) for n in ("cam_wide", "cam_A", "cam_B", "mic_A")]
    proc = facetrack("multicam", *files, "-o", str(tmp_path / "o"), "--json", "-q", "--no-render")
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout)
    wearer = summary["files"][-1]["wearer"]
    a = next(x for x in summary["angles"] if x["label"] == "cam_A")["subject"]
    assert wearer == a  # mic_A is A's
    speakers = {t["speaker"] for t in summary["turns"]}
    assert speakers == {1, 2}  # B, without a microphone, is found by the faces
    assert not (tmp_path / "o" / "interview.program.mp4").exists()


@needs_shoot
@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (REAL / "LivePortrait__d13.mp4", "LivePortrait__d13.mp4: no audio stream to sync it by"),
        (None, "not a readable media file"),
        (REAL_DEV / "dev_two_shot.mp4", "dev_two_shot.mp4: no sound in common"),
    ],
    ids=["no-audio", "not-media", "another-shoot"],
)
def test_bad_input_is_one_line_exit_2_and_nothing_written(
    extra: Path | None, message: str, tmp_path: Path
) -> None:
    if extra is None:
        extra = tmp_path / "notes.txt"
        extra.write_text("not a video")
    out = tmp_path / "out"
    proc = facetrack(
        "multicam",
        str(SHOOT / "cam_wide.mp4"),
        str(SHOOT / "mic_A.wav"),
        str(extra),
        "-o",
        str(out),
    )
    assert proc.returncode == 2
    assert message in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    assert "Traceback" not in proc.stderr
    assert not out.exists()


@pytest.mark.slow
@needs_shoot
def test_report_export_and_name_work_from_the_saved_timeline(run, tmp_path: Path) -> None:
    out, _, _ = run
    for p in out.glob("report.*"):
        p.unlink()
    proc = facetrack("report", str(out))
    assert proc.returncode == 0, proc.stderr
    assert "On air" in (out / "report.html").read_text()
    proc = facetrack("export", str(out / "interview.otio"), "-f", "fcpxml", "-o", str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    assert "<mc-clip" in (tmp_path / "interview.fcpxml").read_text()
    copy = tmp_path / "copy"
    copy.mkdir()
    (copy / "interview.otio").write_bytes((out / "interview.otio").read_bytes())
    proc = facetrack("name", str(copy / "interview.otio"), "2=Alex")
    assert proc.returncode == 0, proc.stderr
    tl = otio.adapters.read_from_file(str(copy / "interview.otio"))
    names = {p["id"]: p["name"] for p in tl.metadata["facetrack"]["people"]}
    assert names == {1: "Bea", 2: "Alex"}
    markers = {m.name for c in tl.video_tracks()[-1].find_clips() for m in c.markers}
    assert markers <= {"Bea", "Alex"} and "Alex" in markers
    assert (copy / "interview.xml").is_file() and (copy / "interview.rttm").is_file()
    assert facetrack("name", str(copy / "interview.otio"), "7=Nobody").returncode == 2


def test_help_lists_the_command() -> None:
    proc = facetrack("--help")
    assert "multicam" in proc.stdout
    proc = facetrack("multicam", "--help")
    assert proc.returncode == 0
    for flag in ("--mic", "--offset", "--names", "--no-render", "--json", "--min-shot"):
        assert flag in proc.stdout
