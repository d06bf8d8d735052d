"""End to end: ``facetrack run`` on the bundled samples, as a user runs it."""

from __future__ import annotations

import json
import subprocess
from fractions import Fraction
from pathlib import Path

import opentimelineio as otio
import pytest
from lxml import etree

from facetrack_otio.eval.der import diarization_error_rate
from facetrack_otio.eval.speech import speech_scores
from facetrack_otio.exports.rttm import read_rttm
from facetrack_otio.media.probe import probe
from tests.cli import facetrack

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "samples"
DTD = ROOT / "tests" / "data" / "FCPXMLv1_8.dtd"
REAL = "SadTalker__WDA_AlexandriaOcasioCortez_000"

# clip -> expected number of people
CLIPS = {"two_shot": 2, "cuts": 2, "enter_exit": 2, "hard": 2, REAL: 1}
# clip -> highest acceptable diarization error rate (0.25 s collar, overlap scored)
DER_LIMITS = {"two_shot": 0.10, "cuts": 0.10, "enter_exit": 0.10, "hard": 0.20}


@pytest.fixture(scope="session")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, dict]]:
    """Run every clip once for the whole session: clip -> (output folder, --json summary)."""
    out = {}
    for clip in CLIPS:
        outdir = tmp_path_factory.mktemp(clip)
        proc = facetrack(
            "-q",
            "run",
            str(SAMPLES / f"{clip}.mp4"),
            "-o",
            str(outdir),
            "--json",
            "--preset",
            "ultrafast",
        )
        assert proc.returncode == 0, proc.stderr
        out[clip] = (outdir, json.loads(proc.stdout))
    return out


@pytest.mark.slow
@pytest.mark.parametrize("clip", list(CLIPS))
def test_run_writes_every_file(runs: dict, clip: str) -> None:
    outdir, summary = runs[clip]
    names = {p.name for p in outdir.iterdir()}
    for suffix in (".otio", ".fcpxml", ".xml", ".edl", ".rttm"):
        assert f"{clip}{suffix}" in names
    people = [p for p in summary["people"] if p["id"] > 0]
    for p in people:
        if p["speaking_time"] > 0:
            assert f"{clip}.speaker-{p['id']}.edl" in names
    clips = sorted((outdir / "clips").glob("*.mp4"))
    assert len(clips) == len(summary["turns"]) > 0
    assert summary["encoder"] == "libx264"  # no GPU in the tests: auto falls back to software
    assert not [n for n in names if n.startswith(".")], "staging files left behind"


@pytest.mark.slow
@pytest.mark.parametrize("clip", list(CLIPS))
def test_people_count(runs: dict, clip: str) -> None:
    _, summary = runs[clip]
    people = [p for p in summary["people"] if p["id"] > 0]
    assert len(people) == CLIPS[clip]


@pytest.mark.slow
@pytest.mark.parametrize("clip", list(DER_LIMITS))
def test_diarization_error_rate(runs: dict, clip: str) -> None:
    outdir, _ = runs[clip]
    hyp = [s for segs in read_rttm(outdir / f"{clip}.rttm").values() for s in segs]
    ref = [s for segs in read_rttm(SAMPLES / f"{clip}.rttm").values() for s in segs]
    result = diarization_error_rate(ref, hyp, collar=0.25)
    assert result.der <= DER_LIMITS[clip], result


@pytest.mark.slow
@pytest.mark.parametrize("clip", list(DER_LIMITS))
def test_speech_f1(runs: dict, clip: str) -> None:
    _, summary = runs[clip]
    ref = [(s, e) for segs in read_rttm(SAMPLES / f"{clip}.rttm").values() for _, s, e in segs]
    assert speech_scores(ref, [tuple(s) for s in summary["speech"]]).f1 >= 0.90


@pytest.mark.slow
def test_voice_over_is_tied_to_its_speaker(runs: dict) -> None:
    # enter_exit: 25.1-28.1 s shows no face while A speaks; A's voice was learned from the
    # turns where A was seen speaking, so the voice-over goes to A, not to "Off-screen".
    _, summary = runs["enter_exit"]
    over = [t for t in summary["turns"] if t["start"] < 27.0 and t["end"] > 26.0]
    assert len(over) == 1 and over[0]["cue"] == "voice"
    first = min(summary["turns"], key=lambda t: t["start"])  # A, alone on screen at the start
    assert over[0]["speaker"] == first["speaker"]


@pytest.mark.slow
def test_real_speaker_speaking_time_matches_speech(runs: dict) -> None:
    _, summary = runs[REAL]
    speech = sum(e - s for s, e in summary["speech"])
    (person,) = [p for p in summary["people"] if p["id"] > 0]
    assert abs(person["speaking_time"] - speech) <= 0.15 * speech


@pytest.mark.slow
@pytest.mark.parametrize("clip", list(CLIPS))
def test_fcpxml_validates(runs: dict, clip: str) -> None:
    outdir, _ = runs[clip]
    dtd = etree.DTD(str(DTD))
    doc = etree.parse(str(outdir / f"{clip}.fcpxml"))
    assert dtd.validate(doc), dtd.error_log.filter_from_errors()


def _cuts(track: otio.schema.Track) -> list[int]:
    """Frame numbers (from the track start) of every edit point."""
    points, pos = [], 0
    for item in track:
        pos += item.duration().to_frames()
        points.append(pos)
    return points


@pytest.mark.slow
@pytest.mark.parametrize("clip", list(CLIPS))
def test_exports_read_back_with_same_cuts(runs: dict, clip: str) -> None:
    outdir, _ = runs[clip]
    fps = probe(SAMPLES / f"{clip}.mp4").fps
    master = otio.adapters.read_from_file(str(outdir / f"{clip}.otio"))
    program = master.video_tracks()[0]
    assert program.name == "Program"
    expected = _cuts(program)

    fcp7 = otio.adapters.read_from_file(str(outdir / f"{clip}.xml"))
    assert _cuts(fcp7.video_tracks()[0]) == expected

    edl = otio.adapters.read_from_file(str(outdir / f"{clip}.edl"), rate=float(fps))
    edl_clips = [c for c in edl.video_tracks()[0] if isinstance(c, otio.schema.Clip)]
    program_clips = [c for c in program if isinstance(c, otio.schema.Clip)]
    assert [c.source_range.duration.to_frames() for c in edl_clips] == [
        c.source_range.duration.to_frames() for c in program_clips
    ]


@pytest.mark.slow
@pytest.mark.parametrize("clip", list(CLIPS))
def test_clips_match_turns_and_have_audio(runs: dict, clip: str) -> None:
    outdir, summary = runs[clip]
    fps = probe(SAMPLES / f"{clip}.mp4").fps
    frame = 1 / float(fps)
    clips = sorted((outdir / "clips").glob("*.mp4"))
    turns = sorted(summary["turns"], key=lambda t: (t["start"], t["end"]))
    for path, turn in zip(clips, turns, strict=True):
        info = probe(path)
        assert info.has_audio, path
        assert abs(info.duration - (turn["end"] - turn["start"])) <= frame + 0.03, path
        assert f"speaker-{turn['speaker']}" in path.name or turn["speaker"] == 0


@pytest.mark.slow
def test_timeline_rate_is_exact_for_ntsc(runs: dict) -> None:
    # hard.mp4 is 30000/1001 with variable frame timing: the timeline keeps the NTSC rate.
    outdir, _ = runs["hard"]
    tl = otio.adapters.read_from_file(str(outdir / "hard.otio"))
    rate = tl.video_tracks()[0][0].source_range.duration.rate
    assert Fraction(rate).limit_denominator(1001) == Fraction(30000, 1001)


def real_clip_variant(dest: Path, *ffmpeg_args: str) -> Path:
    """The real clip re-muxed with extra ffmpeg arguments (e.g. without audio)."""
    cmd = ["ffmpeg", "-v", "error", "-i", str(SAMPLES / f"{REAL}.mp4"), *ffmpeg_args, str(dest)]
    subprocess.run(cmd, check=True)
    return dest


def test_identical_runs_give_identical_timelines(tmp_path: Path) -> None:
    # Two seconds of two_shot: with the analysis cache filled, then found, then without it,
    # the .otio is the same bytes; the run's timings go to the report and --json instead.
    clip = tmp_path / "talk.mp4"
    cut = ["-t", "2", "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", str(clip)]
    cmd = ["ffmpeg", "-nostdin", "-v", "error", "-i", str(SAMPLES / "two_shot.mp4"), *cut]
    subprocess.run(cmd, check=True)
    env = {"FACETRACK_CACHE_DIR": str(tmp_path / "cache")}
    texts, timings = [], []
    for n, flags in enumerate([[], [], ["--no-cache"]]):
        out = tmp_path / f"out{n}"
        proc = facetrack(
            "-q", "run", str(clip), "-o", str(out), "--no-render", "--json", *flags, env=env
        )
        assert proc.returncode == 0, proc.stderr
        texts.append((out / "talk.otio").read_bytes())
        timings.append(json.loads(proc.stdout)["timings"])
        assert '<table class="timings">' in (out / "report.html").read_text()
    assert texts[0] == texts[1] == texts[2]
    assert "models" in timings[0] and "models" not in timings[1]  # the cache was used
    assert b"timings" not in texts[0] and json.loads(texts[0])["metadata"]["facetrack"]["turns"]


def test_no_audio_gives_face_only_timeline(tmp_path: Path) -> None:
    silent_video = real_clip_variant(tmp_path / "no audio.mp4", "-an", "-c:v", "copy")
    proc = facetrack("-q", "run", str(silent_video), "-o", str(tmp_path / "out"), "--json")
    assert proc.returncode == 0, proc.stderr
    assert "no audio stream" in proc.stderr
    summary = json.loads(proc.stdout)
    assert summary["turns"] == []
    assert [p["id"] for p in summary["people"]] == [1]
    tl = otio.adapters.read_from_file(str(tmp_path / "out" / "no audio.otio"))
    assert not tl.audio_tracks()
    assert not (tmp_path / "out" / "clips").exists()


def test_digital_silence_gives_no_turns(tmp_path: Path) -> None:
    muted = real_clip_variant(
        tmp_path / "muted.mp4", "-af", "volume=0", "-c:v", "copy", "-c:a", "aac"
    )
    proc = facetrack("-q", "run", str(muted), "-o", str(tmp_path / "out"), "--json")
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout)
    assert summary["turns"] == [] and summary["speech"] == []


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda d: d / "missing.mp4", id="missing"),
        pytest.param(lambda d: d, id="directory"),
        pytest.param(
            lambda d: (d / "notes.mp4").write_text("not a video") and d / "notes.mp4", id="text"
        ),
        pytest.param(lambda d: (d / "empty.mp4").write_bytes(b"") or d / "empty.mp4", id="empty"),
    ],
)
def test_bad_input_is_one_line_exit_2_and_writes_nothing(tmp_path: Path, make) -> None:
    src = tmp_path / "in"
    src.mkdir()
    video = make(src)
    outdir = tmp_path / "out"
    proc = facetrack("run", str(video), "-o", str(outdir))
    assert proc.returncode == 2
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("facetrack: error:")
    assert "Traceback" not in proc.stderr
    assert not outdir.exists()


def test_bad_input_leaves_existing_outdir_untouched(tmp_path: Path) -> None:
    outdir = tmp_path / "out"
    outdir.mkdir()
    (outdir / "keep.txt").write_text("mine")
    proc = facetrack("run", str(tmp_path / "nope.mp4"), "-o", str(outdir))
    assert proc.returncode == 2
    assert sorted(p.name for p in outdir.iterdir()) == ["keep.txt"]


def test_every_command_has_help() -> None:
    for command in ([], ["run"], ["export"], ["name"], ["render"], ["eval"]):
        proc = facetrack(*command, "--help")
        assert proc.returncode == 0, command
        assert "usage: facetrack" in proc.stdout
