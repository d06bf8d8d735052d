"""Reframed, joined, segmented and annotated renders of real analyses of the samples."""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import opentimelineio as otio
import pytest

from facetrack_otio.errors import InputError
from facetrack_otio.faces.models import mtcnn
from facetrack_otio.media.audio import read_audio
from facetrack_otio.media.probe import MediaInfo, probe
from facetrack_otio.render import RenderReport, RenderSettings, render_turns
from facetrack_otio.render.annotate import boxes_at, colour
from facetrack_otio.render.reframe import jitter
from facetrack_otio.render.timeline import reframe_keyframes, render_timeline
from facetrack_otio.speakers.turns import Person, SpeakerTurn
from facetrack_otio.timeline.read import speaker_data
from tests.render.test_render_turns import (
    AUDIO_RATE,
    SAMPLES,
    audio_lag,
    ffprobe,
    frame_times,
    gray_frames,
)

FAST = {"preset": "ultrafast", "crf": 28}


@dataclass
class Render:
    info: MediaInfo
    timeline: otio.schema.Timeline
    report: RenderReport
    outdir: Path

    @property
    def fps(self) -> float:
        return float(self.info.fps)


def render(
    timeline: otio.schema.Timeline, tmp: pytest.TempPathFactory, name: str, **settings: object
) -> Render:
    outdir = tmp.mktemp(name)
    report = render_timeline(timeline, outdir, RenderSettings(**settings), progress=False)  # type: ignore[arg-type]
    assert report.ok, report.failures
    info = speaker_data(timeline).info
    return Render(info, timeline, report, outdir)


def video_stream(path: Path) -> dict:
    return next(s for s in ffprobe(path)["streams"] if s["codec_type"] == "video")


def speaker_of(name: str) -> int:
    match = re.search(r"speaker-(\d+)", name)
    assert match, name
    return int(match.group(1))


@pytest.fixture(scope="module")
def vertical_two_shot(
    two_shot_timeline: otio.schema.Timeline, tmp_path_factory: pytest.TempPathFactory
) -> Render:
    return render(two_shot_timeline, tmp_path_factory, "v_two_shot", aspect="9:16", **FAST)


@pytest.fixture(scope="module")
def vertical_hard(
    hard_timeline: otio.schema.Timeline, tmp_path_factory: pytest.TempPathFactory
) -> Render:
    return render(hard_timeline, tmp_path_factory, "v_hard", aspect="9:16", **FAST)


@pytest.fixture(params=["vertical_two_shot", "vertical_hard"])
def vertical(request: pytest.FixtureRequest) -> Render:
    return request.getfixturevalue(request.param)


@pytest.fixture(scope="module")
def joined_hard(
    hard_timeline: otio.schema.Timeline, tmp_path_factory: pytest.TempPathFactory
) -> Render:
    """One lossless file per speaker of the variable-frame-rate sample, plus the review."""
    return render(
        hard_timeline, tmp_path_factory, "j_hard", per="speaker", annotate=True,
        preset="ultrafast", crf=0,
    )  # fmt: skip


@pytest.fixture(scope="module")
def joined_vertical(
    two_shot_timeline: otio.schema.Timeline, tmp_path_factory: pytest.TempPathFactory
) -> Render:
    return render(
        two_shot_timeline, tmp_path_factory, "j_two_shot", per="speaker", aspect="9:16", **FAST
    )


# ----------------------------------------------------------------------------- per turn, 9:16


def test_one_vertical_clip_per_turn_within_one_frame(vertical: Render) -> None:
    turns = speaker_data(vertical.timeline).turns
    outputs = vertical.report.outputs
    assert len(outputs) == len(turns) > 3
    assert [p.name for p in outputs] == sorted(p.name for p in vertical.outdir.iterdir())
    for path, turn in zip(outputs, turns, strict=True):
        video = video_stream(path)
        w, h = video["width"], video["height"]
        assert h == vertical.info.height and w % 2 == 0 and abs(w / h - 9 / 16) < 0.01
        assert abs(int(video["nb_frames"]) / vertical.fps - turn.duration) <= 1 / vertical.fps


def test_speaker_face_is_inside_the_crop(vertical: Render) -> None:
    """The detector, run again on the rendered frames (2 per second), finds the speaker's
    face where the analysis saw it, inside the crop, on at least 95% of them. Frames where
    the analysis did not see the speaker's face in the source (half out of the frame in
    hard.mp4) are left out: no crop can show it."""
    detector = mtcnn("cpu", 32, (0.6, 0.7, 0.7))
    keyframes = reframe_keyframes(vertical.timeline)
    w, h = vertical.info.width, vertical.info.height
    step = max(1, round(vertical.fps / 2))
    hits = total = 0
    for path in vertical.report.outputs:
        crop = vertical.report.paths[path.name]
        (span,) = vertical.report.spans[path.name]
        # Half size: the faces stay well above the detector's 32 px, and it runs 4x faster.
        frames = sampled_frames(path, step, (crop.width // 2, crop.height // 2))
        indices = np.arange(len(frames)) * step
        times = (span.first + indices) / vertical.fps
        reference = boxes_at(keyframes[speaker_of(path.name)], times)
        reference *= np.array([w, h, w, h])
        found, _ = detector.detect(frames)
        for i, k in enumerate(indices):
            if not np.isfinite(reference[i]).all():
                continue
            total += 1
            offset = np.array([crop.x[k], crop.y[k], crop.x[k], crop.y[k]])
            boxes = [] if found[i] is None else np.asarray(found[i], float) * 2 + offset
            centre = (reference[i, 0] + reference[i, 2]) / 2
            inside = crop.x[k] <= centre <= crop.x[k] + crop.width
            hits += inside and any(iou(b, reference[i]) >= 0.3 for b in boxes)
    # The figure, for `pytest -s`.
    print(f"\n{vertical.info.name}: speaker's face in the crop on {hits}/{total} frames")
    assert total > 40
    assert hits / total >= 0.95, f"{hits}/{total}"


def test_still_faces_give_a_still_crop(vertical: Render) -> None:
    """Both samples are static shots: the window barely moves (jitter below 0.5% of width)."""
    worst = max(jitter(c.x, vertical.info.width) for c in vertical.report.paths.values())
    print(f"\n{vertical.info.name}: crop x jitter at most {worst:.4%} of the frame width")
    for name, crop in vertical.report.paths.items():
        assert jitter(crop.x, vertical.info.width) < 0.005, name
        assert crop.x.min() >= 0 and crop.x.max() + crop.width <= vertical.info.width


def test_cropped_audio_in_sync(vertical: Render) -> None:
    source = read_audio(vertical.info, AUDIO_RATE)
    lags = []
    for path in vertical.report.outputs:
        (span,) = vertical.report.spans[path.name]
        clip = read_audio(probe(path), AUDIO_RATE)
        lags.append(audio_lag(clip, source, span.first / vertical.fps))
        assert abs(lags[-1]) <= 1 / vertical.fps, path.name
    print(
        f"\n{vertical.info.name} 9:16 clips: audio lag at most {max(map(abs, lags)) * 1000:.1f} ms"
    )


# ----------------------------------------------------------------------------- per speaker


def test_one_file_per_speaker_holding_every_turn(joined_hard: Render) -> None:
    data = speaker_data(joined_hard.timeline)
    clips = [p for p in joined_hard.report.outputs if p != joined_hard.report.review]
    assert sorted(p.name for p in clips) == sorted(
        f"speaker-{pid}.mp4" for pid in {t.speaker for t in data.turns}
    )
    for path in clips:
        spans = joined_hard.report.spans[path.name]
        frames = sum(s.count for s in spans)
        assert int(video_stream(path)["nb_frames"]) == frames
        mine = [t for t in data.turns if t.speaker == speaker_of(path.name)]
        assert abs(frames / joined_hard.fps - sum(t.duration for t in mine)) <= len(mine) / 25


def test_joined_frames_are_the_source_frames(joined_hard: Render) -> None:
    """Lossless: frame k of a speaker's file is the source frame on screen at that instant,
    across every join, on the variable-rate sample."""
    source = gray_frames(Path(joined_hard.info.path))
    times = frame_times(Path(joined_hard.info.path))
    for name, spans in joined_hard.report.spans.items():
        frames = gray_frames(joined_hard.outdir / name)
        expected = np.concatenate([np.arange(s.first, s.stop) for s in spans])
        assert len(frames) == len(expected)
        for k in range(0, len(expected), 7):
            t = expected[k] / joined_hard.fps
            on_screen = int(np.searchsorted(times, t + 1e-4, side="right")) - 1
            assert np.array_equal(frames[k], source[on_screen]), (name, k)


@pytest.mark.parametrize("which", ["joined_hard", "joined_vertical"])
def test_joined_audio_in_sync_at_every_join(which: str, request: pytest.FixtureRequest) -> None:
    joined: Render = request.getfixturevalue(which)
    source = read_audio(joined.info, AUDIO_RATE)
    lags = []
    for name, spans in joined.report.spans.items():
        clip = read_audio(probe(joined.outdir / name), AUDIO_RATE)
        at = 0
        for span in spans:
            piece = clip[round(at / joined.fps * AUDIO_RATE) :]
            if span.count / joined.fps >= 1.0:  # the lag is measured on 1 s of sound
                lags.append(audio_lag(piece, source, span.first / joined.fps))
                assert abs(lags[-1]) <= 1 / joined.fps, (name, span)
            at += span.count
        total = sum(s.count for s in spans) / joined.fps
        assert abs(len(clip) / AUDIO_RATE - total) <= 1 / joined.fps
    assert len(lags) >= 4
    print(f"\n{which}: audio lag at every join at most {max(map(abs, lags)) * 1000:.1f} ms")


def test_joined_vertical_crop(joined_vertical: Render) -> None:
    for path in joined_vertical.report.outputs:
        crop = joined_vertical.report.paths[path.name]
        video = video_stream(path)
        assert (video["width"], video["height"]) == (crop.width, crop.height) == (404, 720)
        assert int(video["nb_frames"]) == len(crop)


# ----------------------------------------------------------------------------- review video


def test_review_video_shows_boxes_over_the_whole_source(joined_hard: Render) -> None:
    review = joined_hard.report.review
    assert review is not None and review.name == "hard.review.mp4"
    meta = ffprobe(review)
    video = video_stream(review)
    assert (video["width"], video["height"]) == (joined_hard.info.width, joined_hard.info.height)
    assert abs(float(meta["format"]["duration"]) - joined_hard.info.duration) < 0.1
    assert any(s["codec_type"] == "audio" for s in meta["streams"])
    # In the middle of a turn, the speaker's box is drawn in their colour.
    data = speaker_data(joined_hard.timeline)
    turn = max(data.turns, key=lambda t: t.duration)
    t = (turn.start + turn.end) / 2
    w, h = joined_hard.info.width, joined_hard.info.height
    box = boxes_at(reframe_keyframes(joined_hard.timeline)[turn.speaker], np.array([t]))[0]
    x1, y1, _, y2 = (box * [w, h, w, h]).astype(int)
    frame = frame_at(review, t, (w, h))
    edge = frame[(y1 + y2) // 2, max(0, x1 - 2) : x1 + 3].astype(int)  # across the left edge
    b, g, r = colour(turn.speaker)
    assert np.abs(edge - [r, g, b]).sum(axis=1).min() < 90


# ----------------------------------------------------------------------------- segments, CLI


def test_segments_and_pads(
    hard_timeline: otio.schema.Timeline, tmp_path_factory: pytest.TempPathFactory
) -> None:
    seg = render(
        hard_timeline, tmp_path_factory, "seg", segment=1.5, pad=0.2, aspect="1:1",
        preset="ultrafast", crf=35,
    )  # fmt: skip
    data = speaker_data(hard_timeline)
    fps = seg.fps
    names = [p.name for p in seg.report.outputs]
    assert names == sorted(names)
    expected = 0
    for i, turn in enumerate(data.turns, 1):
        start = max(0.0, turn.start - 0.2)
        end = min(turn.end + 0.2, seg.info.duration)
        mine = [p for p in seg.report.outputs if p.name.startswith(f"{i:04d}")]
        parts = max(1, -(-round((end - start) * fps) // int(1.5 * fps)))
        expected += parts
        assert len(mine) == parts
        lengths = [int(video_stream(p)["nb_frames"]) for p in mine]
        assert max(lengths) <= 1.5 * fps
        assert abs(sum(lengths) / fps - (end - start)) <= 1 / fps
    assert len(names) == expected > len(data.turns)
    assert (video_stream(seg.report.outputs[0])["width"]) == 480


def test_cli_render_vertical_per_speaker(
    hard_timeline: otio.schema.Timeline, tmp_path: Path
) -> None:
    saved = tmp_path / "hard.otio"
    otio.adapters.write_to_file(hard_timeline, str(saved), adapter_name="otio_json")
    out = tmp_path / "clips"
    cmd = [".venv/bin/facetrack", "-q", "render", str(saved), "-o", str(out), "--per", "speaker"]
    cmd += ["--aspect", "4:5", "--segment", "6", "--preset", "ultrafast", "--crf", "35"]
    cmd += ["--encoder", "libx264"]
    root = Path(__file__).resolve().parents[2]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=root, check=False)
    assert proc.returncode == 0, proc.stderr
    names = sorted(p.name for p in out.iterdir())
    assert names and all(re.fullmatch(r"speaker-\d_part\d\d\.mp4", n) for n in names)
    assert proc.stdout.split() == [str(out / n) for n in names]
    for name in names:
        video = video_stream(out / name)
        assert (video["width"], video["height"]) == (384, 480)
        assert int(video["nb_frames"]) <= 6 * 30


def test_adapter_writer_takes_the_new_arguments(
    hard_timeline: otio.schema.Timeline, tmp_path: Path
) -> None:
    otio.adapters.write_to_file(
        hard_timeline, str(tmp_path / "out"), adapter_name="facetrack", per="speaker",
        aspect="1:1", preset="ultrafast", crf=40, encoder="libx264",
    )  # fmt: skip
    names = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert names == ["speaker-1.mp4", "speaker-2.mp4"]
    with pytest.raises(InputError, match="unknown aspect"):
        otio.adapters.write_to_file(
            hard_timeline, str(tmp_path / "bad"), adapter_name="facetrack", aspect="2:1"
        )


# ----------------------------------------------------------------------------- helpers


def sampled_frames(path: Path, step: int, size: tuple[int, int]) -> np.ndarray:
    """Every ``step``-th frame of a clip, RGB, scaled to ``size``, (n, h, w, 3)."""
    w, h = size
    select = f"select=not(mod(n\\,{step})),scale={w}:{h}"
    cmd = ["ffmpeg", "-v", "error", "-i", str(path), "-vf", select]
    cmd += ["-fps_mode", "passthrough", "-f", "rawvideo", "-pix_fmt", "rgb24", "-"]
    raw = subprocess.run(cmd, capture_output=True, check=True).stdout
    return np.frombuffer(raw, np.uint8).reshape(-1, h, w, 3)


def frame_at(path: Path, t: float, size: tuple[int, int]) -> np.ndarray:
    w, h = size
    cmd = ["ffmpeg", "-v", "error", "-ss", f"{t:.3f}", "-i", str(path), "-frames:v", "1"]
    cmd += ["-f", "rawvideo", "-pix_fmt", "rgb24", "-"]
    raw = subprocess.run(cmd, capture_output=True, check=True).stdout
    return np.frombuffer(raw, np.uint8).reshape(h, w, 3)


def iou(a: np.ndarray, b: np.ndarray) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def test_failed_joined_file_is_reported_and_the_others_finish(tmp_path: Path) -> None:
    """A file cut off halfway: the speaker whose turns are all early gets a file, the one
    with a turn in the missing half gets none, and no temporary file is left."""
    data = (SAMPLES / "enter_exit.mp4").read_bytes()
    truncated = tmp_path / "truncated.mp4"
    truncated.write_bytes(data[: len(data) // 2])
    turns = [SpeakerTurn(1, 1.0, 2.0), SpeakerTurn(2, 3.0, 4.0), SpeakerTurn(2, 27.0, 28.0)]
    people = [Person(1, "A"), Person(2, "B")]
    settings = RenderSettings(per="speaker", aspect="1:1", preset="ultrafast", crf=35)
    out = tmp_path / "out"
    report = render_turns(probe(truncated), turns, people, out, settings, progress=False)
    assert [p.name for p in report.outputs] == ["speaker-1.mp4"]
    ((turn, reason),) = report.failures
    assert turn.speaker == 2 and "\n" not in reason
    assert sorted(p.name for p in out.iterdir()) == ["speaker-1.mp4"]
