"""render_turns on the bundled samples with the real ffmpeg."""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from scipy import signal

from facetrack_otio.errors import MediaError
from facetrack_otio.media.audio import read_audio
from facetrack_otio.media.probe import MediaInfo, probe
from facetrack_otio.render import (
    RenderReport,
    RenderSettings,
    ffmpeg_args,
    frame_range,
    render_turns,
)
from facetrack_otio.speakers.turns import Person, SpeakerTurn

SAMPLES = Path(__file__).resolve().parents[2] / "samples"
FAST = RenderSettings(preset="ultrafast", crf=28)
PEOPLE = {1: Person(1, "A"), 2: Person(2, "B")}
AUDIO_RATE = 16000


@dataclass
class Rendered:
    info: MediaInfo
    turns: list[SpeakerTurn]  # in time order
    report: RenderReport
    outdir: Path


def rttm_turns(name: str) -> list[SpeakerTurn]:
    """Ground-truth turns of a sample; speakers A and B become person ids 1 and 2."""
    turns = []
    for line in (SAMPLES / f"{name}.rttm").read_text().splitlines():
        fields = line.split()
        if fields and fields[0] == "SPEAKER":
            start, dur = float(fields[3]), float(fields[4])
            turns.append(SpeakerTurn({"A": 1, "B": 2}[fields[7]], start, start + dur))
    return sorted(turns, key=lambda t: t.start)


def ffprobe(path: Path) -> dict:
    cmd = ["ffprobe", "-v", "error", "-show_format", "-show_streams", "-of", "json", str(path)]
    return json.loads(subprocess.run(cmd, capture_output=True, text=True, check=True).stdout)


def gray_frames(path: Path, size: tuple[int, int] = (96, 54)) -> np.ndarray:
    """Every decoded frame (no rate conversion), small and grey, as float32 (n, h, w)."""
    w, h = size
    cmd = ["ffmpeg", "-v", "error", "-i", str(path), "-map", "0:v:0", "-fps_mode", "passthrough"]
    cmd += ["-vf", f"scale={w}:{h}", "-f", "rawvideo", "-pix_fmt", "gray", "-"]
    raw = subprocess.run(cmd, capture_output=True, check=True).stdout
    return np.frombuffer(raw, np.uint8).reshape(-1, h, w).astype(np.float32)


def frame_times(path: Path) -> np.ndarray:
    """Presentation times of the video frames, sorted."""
    cmd = ["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries", "packet=pts_time"]
    cmd += ["-of", "csv=p=0", str(path)]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    return np.sort(np.array([float(x) for x in out.split()]))


def audio_lag(clip: np.ndarray, source: np.ndarray, at: float, search: float = 0.25) -> float:
    """Seconds between where the clip's audio is found in the source and ``at``."""
    x = clip[:AUDIO_RATE].astype(np.float64)
    lo = max(0, round((at - search) * AUDIO_RATE))
    y = source[lo : lo + len(x) + round(2 * search * AUDIO_RATE)].astype(np.float64)
    corr = signal.correlate(y, x, mode="valid", method="fft")
    power = np.concatenate([[0.0], np.cumsum(y * y)])
    energy = np.sqrt(np.maximum(power[len(x) :] - power[: -len(x)], 0.0)) + 1e-9
    return (lo + int(np.argmax(corr / energy))) / AUDIO_RATE - at


def assert_only_outputs(rendered: Rendered) -> None:
    names = sorted(p.name for p in rendered.outdir.iterdir())
    assert names == sorted(p.name for p in rendered.report.outputs)


@pytest.fixture(scope="module")
def enter_exit(tmp_path_factory: pytest.TempPathFactory) -> Rendered:
    info = probe(SAMPLES / "enter_exit.mp4")
    turns = rttm_turns("enter_exit")
    outdir = tmp_path_factory.mktemp("enter_exit") / "clips"
    report = render_turns(info, turns, PEOPLE, outdir, FAST, progress=False)
    return Rendered(info, turns, report, outdir)


@pytest.fixture(scope="module")
def hard(tmp_path_factory: pytest.TempPathFactory) -> Rendered:
    """Short turns of the variable-frame-rate sample, across and next to dropped frames."""
    info = probe(SAMPLES / "hard.mp4")
    assert info.variable_frame_rate
    turns = [
        SpeakerTurn(1, 0.30, 1.50),  # source frames 12 and 13 are missing
        SpeakerTurn(0, 5.00, 6.20),  # 153..155 missing; nobody is known as person 0
        SpeakerTurn(2, 10.11, 11.30),
        SpeakerTurn(1, 20.00, 20.82),  # ends on missing frames 622, 623
    ]
    outdir = tmp_path_factory.mktemp("hard") / "clips"
    # Lossless, so each clip frame can be compared with the source frame bit for bit.
    lossless = RenderSettings(preset="ultrafast", crf=0)
    # People as a sequence rather than a mapping.
    report = render_turns(info, turns, list(PEOPLE.values()), outdir, lossless, progress=False)
    return Rendered(info, turns, report, outdir)


@pytest.fixture(params=["enter_exit", "hard"])
def rendered(request: pytest.FixtureRequest) -> Rendered:
    return request.getfixturevalue(request.param)


def test_one_clip_per_turn_named_in_time_order(rendered: Rendered) -> None:
    report = rendered.report
    assert report.ok and report.failures == []
    assert len(report.outputs) == len(rendered.turns)
    names = [p.name for p in report.outputs]
    assert names == sorted(names)
    for i, (path, turn) in enumerate(zip(report.outputs, rendered.turns, strict=True), 1):
        label = "off-screen" if turn.speaker == 0 else f"speaker-{turn.speaker}"
        minutes, seconds = divmod(int(turn.start), 60)
        assert path.name == f"{i:04d}_{label}_{minutes:02d}m{seconds:02d}s.mp4"
        assert path.parent == rendered.outdir


def test_durations_within_one_frame(rendered: Rendered) -> None:
    frame = 1 / float(rendered.info.fps)
    for path, turn in zip(rendered.report.outputs, rendered.turns, strict=True):
        meta = ffprobe(path)
        video = next(s for s in meta["streams"] if s["codec_type"] == "video")
        assert abs(float(meta["format"]["duration"]) - turn.duration) <= frame
        assert abs(float(video["duration"]) - turn.duration) <= frame
        assert abs(int(video["nb_frames"]) * frame - turn.duration) <= frame


def test_clips_are_h264_yuv420p_with_aac_and_faststart(rendered: Rendered) -> None:
    for path in rendered.report.outputs:
        streams = {s["codec_type"]: s for s in ffprobe(path)["streams"]}
        assert streams["video"]["codec_name"] == "h264"
        assert streams["video"]["pix_fmt"] == "yuv420p"
        assert streams["video"]["r_frame_rate"] == (
            f"{rendered.info.fps.numerator}/{rendered.info.fps.denominator}"
        )
        assert streams["audio"]["codec_name"] == "aac"
        head = path.read_bytes()
        assert 0 <= head.find(b"moov") < head.find(b"mdat")


def test_audio_in_sync(rendered: Rendered) -> None:
    frame = 1 / float(rendered.info.fps)
    source = read_audio(rendered.info, AUDIO_RATE)
    for path, turn in zip(rendered.report.outputs, rendered.turns, strict=True):
        clip = read_audio(probe(path), AUDIO_RATE)
        assert abs(audio_lag(clip, source, turn.start)) <= frame, path.name


def test_every_frame_is_the_one_on_screen_in_the_source(hard: Rendered) -> None:
    """Frame k of a clip is exactly the source frame on screen at the clip's start + k / fps,
    also where the variable-rate source skipped frames (its grain makes each frame unique)."""
    fps = hard.info.fps
    source = gray_frames(Path(hard.info.path))
    times = frame_times(Path(hard.info.path))
    assert len(source) == len(times)
    for path, turn in zip(hard.report.outputs, hard.turns, strict=True):
        clip_range = frame_range(turn.start, turn.end, fps)
        frames = gray_frames(path)
        assert len(frames) == clip_range.n_frames
        for k, image in enumerate(frames):
            t = float((clip_range.first_frame + k) / fps)
            on_screen = int(np.searchsorted(times, t + 1e-4, side="right")) - 1
            assert np.array_equal(image, source[on_screen]), (path.name, k)
            for other in (on_screen - 1, on_screen + 1):
                if 0 <= other < len(source):
                    assert not np.array_equal(image, source[other])


def test_nothing_temporary_left(rendered: Rendered) -> None:
    assert_only_outputs(rendered)


def test_source_without_audio_gives_video_only_clips(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    silent = tmp_path / "no audio.mp4"
    cmd = ["ffmpeg", "-v", "error", "-i", str(SAMPLES / "enter_exit.mp4"), "-an", "-c:v", "copy"]
    subprocess.run([*cmd, str(silent)], check=True)
    info = probe(silent)
    assert not info.has_audio
    turns = [SpeakerTurn(1, 1.0, 2.0), SpeakerTurn(2, 7.0, 7.6)]
    capfd.readouterr()
    report = render_turns(info, turns, PEOPLE, tmp_path / "out", FAST, progress=False)
    assert capfd.readouterr().err == ""  # no progress bar, no ffmpeg chatter
    assert report.ok and len(report.outputs) == 2
    for path, turn in zip(report.outputs, turns, strict=True):
        meta = ffprobe(path)
        assert [s["codec_type"] for s in meta["streams"]] == ["video"]
        assert abs(float(meta["format"]["duration"]) - turn.duration) <= 1 / 25


def test_broken_turn_is_reported_and_the_others_succeed(tmp_path: Path) -> None:
    info = probe(SAMPLES / "enter_exit.mp4")
    good = [SpeakerTurn(1, 1.0, 1.8), SpeakerTurn(2, 7.0, 7.5)]
    broken = SpeakerTurn(2, 40.0, 42.0)  # the file is 30.48 s long
    outdir = tmp_path / "out"
    report = render_turns(info, [good[0], broken, good[1]], PEOPLE, outdir, FAST, progress=False)
    assert len(report.outputs) == 2
    assert not report.ok
    assert [turn for turn, _ in report.failures] == [broken]
    reason = report.failures[0][1]
    assert "after the end" in reason and "\n" not in reason
    # Numbering follows time, counting the failed turn.
    assert [p.name[:4] for p in report.outputs] == ["0001", "0002"]
    assert sorted(p.name for p in outdir.iterdir()) == [p.name for p in report.outputs]


def test_failed_encode_is_reported_and_the_others_finish(tmp_path: Path) -> None:
    """A file cut off halfway: turns in the part that is left render; the rest fail."""
    data = (SAMPLES / "enter_exit.mp4").read_bytes()
    truncated = tmp_path / "truncated.mp4"
    truncated.write_bytes(data[: len(data) // 2])  # the index is at the front: still probes
    info = probe(truncated)
    early, across, late = (
        SpeakerTurn(1, 1.0, 2.0),
        SpeakerTurn(2, 13.0, 15.0),
        SpeakerTurn(1, 27, 28),
    )
    outdir = tmp_path / "out"
    report = render_turns(info, [early, across, late], PEOPLE, outdir, FAST, progress=False)
    assert [p.name for p in report.outputs] == ["0001_speaker-1_00m01s.mp4"]
    assert [turn for turn, _ in report.failures] == [across, late]
    for _, reason in report.failures:
        assert "\n" not in reason and len(reason) < 300
        assert "truncated" in reason
    assert sorted(p.name for p in outdir.iterdir()) == [p.name for p in report.outputs]


def test_awkward_paths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    name = '-it\'s a "clip"; ünïcødé 🎬 $HOME.mp4'
    shutil.copyfile(SAMPLES / "enter_exit.mp4", tmp_path / name)
    info = probe(name)
    outdir = "-out 'dir' \"x\" ü"
    report = render_turns(info, [SpeakerTurn(1, 2.0, 2.6)], PEOPLE, outdir, FAST, progress=False)
    assert report.ok
    (path,) = report.outputs
    assert path.parent.resolve() == (tmp_path / outdir).resolve()
    assert abs(float(ffprobe(path)["format"]["duration"]) - 0.6) <= 1 / 25
    assert sorted(p.name for p in (tmp_path / outdir).iterdir()) == [path.name]


def test_pad_is_clamped_to_the_source(tmp_path: Path) -> None:
    info = probe(SAMPLES / "enter_exit.mp4")  # 30.48 s
    turns = [SpeakerTurn(1, 0.2, 1.0), SpeakerTurn(2, 10.0, 10.5), SpeakerTurn(1, 30.0, 30.4)]
    settings = RenderSettings(preset="ultrafast", pad=0.5)
    report = render_turns(info, turns, PEOPLE, tmp_path, settings, progress=False)
    assert report.ok
    expected = [1.5, 1.5, 0.98]  # 0..1.5, 9.5..11.0, 29.5..30.48
    for path, length in zip(report.outputs, expected, strict=True):
        assert abs(float(ffprobe(path)["format"]["duration"]) - length) <= 1 / 25


def test_video_filter_hook_crops(tmp_path: Path) -> None:
    """The argument builder takes a filter chain: the place for a per-clip reframe."""
    info = probe(SAMPLES / "two_shot.mp4")
    clip = frame_range(3.0, 3.8, info.fps)
    out = tmp_path / "crop.mp4"
    args = ffmpeg_args(info.path, out, clip, FAST, audio=True, video_filter="crop=404:720:100:0")
    subprocess.run(args, check=True, capture_output=True)
    video = next(s for s in ffprobe(out)["streams"] if s["codec_type"] == "video")
    assert (video["width"], video["height"]) == (404, 720)
    assert int(video["nb_frames"]) == clip.n_frames == 20


def test_missing_source_is_an_input_error(tmp_path: Path) -> None:
    copy = tmp_path / "gone.mp4"
    shutil.copyfile(SAMPLES / "enter_exit.mp4", copy)
    info = probe(copy)
    copy.unlink()
    with pytest.raises(MediaError, match="no such file"):
        render_turns(info, [SpeakerTurn(1, 1.0, 2.0)], PEOPLE, tmp_path / "out", progress=False)


def test_odd_sized_source_and_no_turns(tmp_path: Path) -> None:
    odd = tmp_path / "odd.mkv"
    cmd = ["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc=size=161x91:rate=30:duration=2"]
    cmd += ["-f", "lavfi", "-i", "sine=frequency=440:duration=2", "-c:v", "libx264", "-preset"]
    cmd += ["ultrafast", "-pix_fmt", "yuv444p", "-c:a", "flac", "-shortest", str(odd)]
    subprocess.run(cmd, check=True)
    info = probe(odd)
    assert (info.width, info.height) == (161, 91)
    report = render_turns(
        info, [SpeakerTurn(1, 0.5, 1.5)], PEOPLE, tmp_path / "out", FAST, progress=False
    )
    assert report.ok
    video = next(s for s in ffprobe(report.outputs[0])["streams"] if s["codec_type"] == "video")
    assert (video["width"], video["height"], video["nb_frames"]) == (160, 90, "30")

    empty = render_turns(info, [], PEOPLE, tmp_path / "none", FAST, progress=False)
    assert empty.outputs == [] and empty.failures == []
