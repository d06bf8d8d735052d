"""``facetrack batch``: many inputs, per-file isolation, summary, resume, engines."""

from __future__ import annotations

import csv
import dataclasses
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from facetrack_otio.batch import run_batch
from facetrack_otio.batch.inputs import expand_inputs, output_names
from facetrack_otio.batch.job import MANIFEST
from facetrack_otio.cli import build_parser
from facetrack_otio.cli.batch import batch_config
from facetrack_otio.errors import InputError
from tests.cli import facetrack
from tests.contract import export_problems, leftovers

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "samples"
REAL = "SadTalker__WDA_AlexandriaOcasioCortez_000"
# sub-folder -> (sample, start second): 2-second cuts keep the batch small.
CLIPS = {"a/talk": ("two_shot", 0), "b/talk": ("cuts", 0), "b/real": (REAL, 3)}
EXPORTS = ("{stem}.otio", "{stem}.fcpxml", "{stem}.xml", "{stem}.edl", "{stem}.rttm")


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three 2-second clips in two folders (two named talk.mp4) and one corrupt file."""
    folder = tmp_path_factory.mktemp("batch-in")
    for rel, (sample, start) in CLIPS.items():
        dest = folder / f"{rel}.mp4"
        dest.parent.mkdir(parents=True, exist_ok=True)
        cmd = ["ffmpeg", "-v", "error", "-ss", str(start), "-t", "2", "-i"]
        cmd += [str(SAMPLES / f"{sample}.mp4"), "-c", "copy", str(dest)]
        subprocess.run(cmd, check=True)
    (folder / "broken.mp4").write_bytes(os.urandom(4096))
    return folder


@pytest.fixture(scope="module")
def local_run(
    inputs: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[subprocess.CompletedProcess[str], Path]:
    outdir = tmp_path_factory.mktemp("batch-out") / "out"
    proc = facetrack("-q", "batch", str(inputs), "-o", str(outdir), "--no-render", "-j", "2")
    return proc, outdir


def _summary(outdir: Path) -> tuple[list[dict[str, str]], dict]:
    with open(outdir / "batch.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    return rows, json.loads((outdir / "batch.json").read_text())


@pytest.mark.slow
def test_corrupt_file_is_reported_and_the_others_finish(local_run: tuple) -> None:
    proc, outdir = local_run
    assert proc.returncode == 1, proc.stderr
    assert "broken.mp4" in proc.stdout
    for rel in CLIPS:
        stem = Path(rel).name
        for name in (*EXPORTS, "report.html", MANIFEST):
            assert (outdir / rel / name.format(stem=stem)).is_file(), (rel, name)
    assert not (outdir / "broken").exists()
    # nothing half-written: no staging folders or locks left
    assert not [p for p in outdir.rglob(".facetrack*")]


@pytest.mark.slow
def test_summary_csv_and_json(local_run: tuple, inputs: Path) -> None:
    _, outdir = local_run
    rows, data = _summary(outdir)
    by_output = {r["output"]: r for r in rows}
    assert set(by_output) == {*CLIPS, "broken"}
    broken = by_output.pop("broken")
    assert broken["status"] == "failed"
    assert broken["input"] == str(inputs / "broken.mp4")
    assert broken["error"] and "\n" not in broken["error"]
    for row in by_output.values():
        assert row["status"] == "ok", row
        assert row["error"] == ""
        assert 1.5 < float(row["duration_s"]) < 2.5
        assert int(row["people"]) >= 1 and int(row["turns"]) >= 1
        assert "Speaker 1=" in row["speaking_time"]
        assert float(row["time_s"]) > 0
    assert data["counts"] == {"ok": 3, "failed": 1, "skipped": 0}
    assert data["engine"] == "local" and data["workers"] == 2
    for item in data["inputs"]:
        if item["status"] == "ok":
            assert set(item["speaking_time"]) == {p["name"] for p in item["people"]}
            assert {"faces", "speech", "total"} <= set(item["timings"])
    # the timeline itself holds no run-specific timings (they live in the summary)
    otio_meta = json.loads((outdir / "a/talk/talk.otio").read_text())["metadata"]["facetrack"]
    assert "timings" not in otio_meta


@pytest.mark.slow
def test_resume_skips_complete_inputs_and_redoes_the_rest(
    local_run: tuple, inputs: Path, tmp_path: Path
) -> None:
    _, first = local_run
    outdir = tmp_path / "out"
    shutil.copytree(first, outdir)
    otio = outdir / "a/talk/talk.otio"
    before = otio.stat().st_mtime_ns
    # An input whose outputs are incomplete is done again.
    (outdir / "b/real/real.xml").unlink()
    proc = facetrack("-q", "batch", str(inputs), "-o", str(outdir), "--no-render", "-j", "1")
    assert proc.returncode == 1, proc.stderr
    rows, data = _summary(outdir)
    status = {r["output"]: r["status"] for r in rows}
    assert status == {"a/talk": "skipped", "b/talk": "skipped", "b/real": "ok", "broken": "failed"}
    assert data["counts"] == {"ok": 1, "failed": 1, "skipped": 2}
    assert (outdir / "b/real/real.xml").is_file()
    assert otio.stat().st_mtime_ns == before
    # a skipped input still reports what it found
    skipped = next(r for r in rows if r["output"] == "a/talk")
    assert int(skipped["people"]) >= 1 and int(skipped["turns"]) >= 1


def test_resume_reads_an_input_again_only_when_its_stamp_changed(
    inputs: Path, tmp_path: Path
) -> None:
    source = tmp_path / "in" / "talk.mp4"
    source.parent.mkdir()
    shutil.copyfile(inputs / "a/talk.mp4", source)
    day_ago = (int(source.stat().st_mtime) - 86400) * 10**9
    os.utime(source, ns=(day_ago, day_ago))
    outdir = tmp_path / "out"

    def status() -> str:
        proc = facetrack("-q", "batch", str(source), "-o", str(outdir), "--no-render", "-j", "1")
        return _summary(outdir)[0][0]["status"] if proc.returncode in (0, 1) else proc.stderr

    assert status() == "ok"
    manifest = json.loads((outdir / "talk" / MANIFEST).read_text())
    assert manifest["stamp"]["size"] == source.stat().st_size
    assert manifest["stamp"]["mtime_ns"] == day_ago
    assert status() == "skipped"  # the stamp vouches: the input is not read
    # Touched, same bytes: hashed again, found unchanged.
    os.utime(source)
    assert status() == "skipped"
    # Other bytes (a damaged copy) of the same size: done again, whatever its time says.
    data = bytearray(source.read_bytes())
    data[len(data) // 2 :] = bytes(len(data) - len(data) // 2)
    source.write_bytes(bytes(data))
    assert status() == "failed"


def test_expand_inputs_folders_globs_and_names(tmp_path: Path) -> None:
    files = ("x/talk.mp4", "y/talk.MOV", "y/deep/clip.mkv", "y/notes.txt", "y/.hidden/a.mp4")
    for rel in (*files, "z/mix.WAV", "z/take.flac"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_bytes(b"")
    got = expand_inputs([str(tmp_path)])
    rel = [p.relative_to(tmp_path).as_posix() for p in got]
    # sound-only recordings are found too: they are diarized by voice
    assert rel == ["x/talk.mp4", "y/deep/clip.mkv", "y/talk.MOV", "z/mix.WAV", "z/take.flac"]
    got = got[:3]
    assert expand_inputs([str(tmp_path / "*" / "talk.*")]) == [got[0], got[2]]
    assert expand_inputs([str(tmp_path / "**" / "*.mkv")]) == [got[1]]
    # named twice, listed once; a file named outright is taken whatever its suffix
    assert expand_inputs([str(tmp_path / "x"), str(got[0])]) == [got[0]]
    assert expand_inputs([str(tmp_path / "y/notes.txt")]) == [tmp_path / "y/notes.txt"]
    names = output_names(got)
    assert names == {got[0]: "x/talk", got[1]: "y/deep/clip", got[2]: "y/talk"}
    same = [tmp_path / "x/talk.mp4", tmp_path / "x/talk.mov"]
    assert output_names(same) == {same[0]: "talk_mp4", same[1]: "talk_mov"}
    assert output_names([got[0]]) == {got[0]: "talk"}
    for bad in ("missing.mp4", str(tmp_path / "*.webm"), str(tmp_path / "x/nothing")):
        with pytest.raises(InputError):
            expand_inputs([bad])


def test_bad_arguments_exit_2(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    for args in (
        [str(tmp_path / "missing.mp4")],
        [str(tmp_path / "empty")],
        [str(tmp_path / "*.mp4")],
    ):
        proc = facetrack("batch", *args, "-o", str(tmp_path / "out"))
        assert proc.returncode == 2, (args, proc.stderr)
        assert len(proc.stderr.strip().splitlines()) == 1
    proc = facetrack("batch", str(tmp_path), "-o", str(tmp_path / "out"), "-j", "0")
    assert proc.returncode == 2


@pytest.mark.slow
def test_ray_engine_writes_the_same_timelines(
    local_run: tuple, inputs: Path, tmp_path: Path
) -> None:
    ray = pytest.importorskip("ray", reason="ray is not installed (pip install 'ray>=2.9')")
    _, local_out = local_run
    outdir = tmp_path / "out"
    args = build_parser().parse_args(
        ["batch", str(inputs), "-o", str(outdir), "--no-render", "--engine", "ray"]
    )
    config = batch_config(args)
    # A cache of its own, so the Ray workers really analyse rather than reuse the local run.
    config = dataclasses.replace(config, cache_dir=str(tmp_path / "cache"))
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        outcome = run_batch([str(inputs)], config, engine="ray", progress=False)
    finally:
        ray.shutdown()
    assert outcome.exit_code == 1
    assert outcome.run["engine"] == "ray" and outcome.run["workers"] == 2
    status = {r.output: r.status for r in outcome.results}
    assert status == {**dict.fromkeys(CLIPS, "ok"), "broken": "failed"}
    for rel in CLIPS:
        name = f"{Path(rel).name}.otio"
        assert (outdir / rel / name).read_bytes() == (local_out / rel / name).read_bytes(), rel


@pytest.fixture(scope="module")
def odd_inputs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, str]:
    """A folder with a good clip, one with a 250-character name and a link to nothing, run as
    a batch; returns the input and output folders and the batch's stderr."""
    folder = tmp_path_factory.mktemp("odd-in")
    good = folder / "good1.mp4"
    cmd = ["ffmpeg", "-v", "error", "-t", "2", "-i", str(SAMPLES / "two_shot.mp4")]
    subprocess.run([*cmd, "-c", "copy", str(good)], check=True)
    shutil.copy(good, folder / ("n" * 246 + ".mp4"))
    (folder / "dangling.mp4").symlink_to(tmp_path_factory.mktemp("gone") / "a" / "b.mp4")
    outdir = tmp_path_factory.mktemp("odd-out") / "out"
    proc = facetrack("-q", "batch", str(folder), "-o", str(outdir), "--no-render", "-j", "1")
    assert proc.returncode == 0, proc.stderr
    return folder, outdir, proc.stderr


def test_a_link_to_nothing_in_a_folder_is_skipped(odd_inputs: tuple[Path, Path, str]) -> None:
    folder, outdir, stderr = odd_inputs
    # Outputs are named by where inputs were found, not where a link leads.
    assert (outdir / "good1" / MANIFEST).is_file()
    assert sorted(p.name for p in outdir.iterdir() if p.is_dir()) == ["good1", "n" * 246]
    assert f"warning: skipped {folder / 'dangling.mp4'}: a link to nothing" in stderr


def test_a_name_of_250_characters_in_a_batch(odd_inputs: tuple[Path, Path, str]) -> None:
    _, outdir, _ = odd_inputs
    sub = outdir / ("n" * 246)
    assert (sub / MANIFEST).is_file()
    assert not export_problems(sub, "n" * 223)
    assert not leftovers(outdir)


def test_outputs_are_named_by_where_inputs_were_found(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere" / "deep"
    elsewhere.mkdir(parents=True)
    (elsewhere / "clip.mp4").write_bytes(b"")
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "talk.mp4").write_bytes(b"")
    (folder / "linked.mp4").symlink_to(elsewhere / "clip.mp4")
    got = expand_inputs([str(folder)])
    assert got == [folder / "linked.mp4", folder / "talk.mp4"]
    assert output_names(got) == {got[0]: "linked", got[1]: "talk"}
    # The same file named twice, once through the link, is one input.
    assert expand_inputs([str(folder), str(elsewhere / "clip.mp4")]) == got


def test_a_folder_of_sound_recordings_is_diarized_and_resumed(tmp_path: Path) -> None:
    # A podcast's recordings, picture-less: each is analysed by voice (no EDL, no clips), and
    # a second batch over the same folder finds their outputs complete.
    folder = tmp_path / "in"
    folder.mkdir()
    for name, sample in (("ep1.wav", "two_shot"), ("ep2.m4a", "cuts")):
        cmd = ["ffmpeg", "-v", "error", "-t", "4", "-i", str(SAMPLES / f"{sample}.mp4"), "-vn"]
        subprocess.run([*cmd, str(folder / name)], check=True)
    outdir = tmp_path / "out"
    proc = facetrack("-q", "batch", str(folder), "-o", str(outdir), "-j", "1")
    assert proc.returncode == 0, proc.stderr
    rows, _ = _summary(outdir)
    assert {r["output"]: r["status"] for r in rows} == {"ep1": "ok", "ep2": "ok"}
    for row in rows:
        assert int(row["people"]) >= 1 and int(row["turns"]) >= 1, row
    assert (outdir / "ep1/ep1.fcpxml").is_file() and not (outdir / "ep1/ep1.edl").exists()
    assert not (outdir / "ep2/clips").exists()
    proc = facetrack("-q", "batch", str(folder), "-o", str(outdir), "-j", "1")
    assert proc.returncode == 0, proc.stderr
    assert _summary(outdir)[1]["counts"] == {"ok": 0, "failed": 0, "skipped": 2}
