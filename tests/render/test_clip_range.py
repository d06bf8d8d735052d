"""Clip names, frame-grid rounding, settings and the ffmpeg argument list (no encoding)."""

from __future__ import annotations

import random
from fractions import Fraction

import pytest

from facetrack_otio.render import (
    ClipRange,
    RenderSettings,
    clip_name,
    ffmpeg_args,
    frame_range,
)
from facetrack_otio.speakers.turns import Person, SpeakerTurn

NTSC = Fraction(30000, 1001)


def test_clip_name_sorts_in_time_and_says_who() -> None:
    turn = SpeakerTurn(2, 41.7, 45.0)
    assert clip_name(3, turn, Person(2, "Ada")) == "0003_speaker-2_00m41s.mp4"
    assert clip_name(12, SpeakerTurn(0, 3725.2, 3726.0), Person(0, "Off-screen")) == (
        "0012_off-screen_62m05s.mp4"
    )
    names = [
        clip_name(i, SpeakerTurn(1, 10.0 * i, 10.0 * i + 1), Person(1, "A")) for i in range(1, 12)
    ]
    assert names == sorted(names)


@pytest.mark.parametrize("fps", [Fraction(25), NTSC, Fraction(24000, 1001), Fraction(60)])
def test_frame_range_is_within_one_frame_of_the_span(fps: Fraction) -> None:
    rng = random.Random(7)
    frame = 1 / float(fps)
    for _ in range(500):
        start = rng.uniform(0, 100)
        end = start + rng.uniform(0.001, 10)
        clip = frame_range(start, end, fps)
        assert clip.n_frames >= 1
        assert abs(clip.start - start) <= frame / 2 + 1e-9
        assert abs(clip.duration - (end - start)) <= frame + 1e-9


def test_frame_range_rounds_to_nearest_boundary() -> None:
    clip = frame_range(0.923, 4.515, Fraction(25))
    assert (clip.first_frame, clip.n_frames) == (23, 90)  # 0.92 s .. 4.52 s
    assert clip.duration == pytest.approx(3.6)
    # 29.97: frame 30 starts at 1.001 s, not 1.0 s.
    clip = frame_range(1.001, 2.002, NTSC)
    assert (clip.first_frame, clip.n_frames) == (30, 30)


def test_frame_range_clamps_to_the_source_and_is_never_empty() -> None:
    clip = frame_range(29.0, 35.0, Fraction(25), limit=30.48)
    assert clip.end == pytest.approx(30.48)
    tiny = frame_range(5.0, 5.001, Fraction(25))
    assert tiny.n_frames == 1
    with pytest.raises(ValueError, match="after the end"):
        frame_range(31.0, 32.0, Fraction(25), limit=30.48)


def test_clip_range_properties() -> None:
    clip = ClipRange(first_frame=30, n_frames=60, fps=NTSC, origin=0.5)
    assert clip.start == pytest.approx(1.001)
    assert clip.duration == pytest.approx(2.002)
    assert clip.end == pytest.approx(3.003)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"crf": -1},
        {"crf": 52},
        {"preset": "warp"},
        {"pad": -0.1},
        {"jobs": 0},
        {"audio_stream": -1},
    ],
)
def test_settings_reject_bad_values(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        RenderSettings(**kwargs)  # type: ignore[arg-type]


def test_settings_defaults() -> None:
    s = RenderSettings()
    assert (s.crf, s.preset, s.pad, s.jobs, s.audio_bitrate) == (20, "veryfast", 0.0, None, "160k")


def test_ffmpeg_args_are_a_list_with_each_path_one_argument() -> None:
    weird = "/media/-a 'b' \"c\" ü; rm -rf x.mp4"
    clip = frame_range(1.0, 2.0, Fraction(25))
    args = ffmpeg_args(
        weird, "/out/-x y.mp4", clip, RenderSettings(crf=23, preset="fast"), audio=True
    )
    assert all(isinstance(a, str) for a in args)
    assert f"file:{weird}" in args
    assert args[-1] == "file:/out/-x y.mp4"
    for flag, value in [
        ("-c:v", "libx264"),
        ("-preset", "fast"),
        ("-crf", "23"),
        ("-pix_fmt", "yuv420p"),
        ("-c:a", "aac"),
        ("-b:a", "160k"),
        ("-movflags", "+faststart"),
        ("-vf", "fps=25/1,crop=trunc(iw/2)*2:trunc(ih/2)*2"),
        ("-t", "1.000000"),
    ]:
        assert args[args.index(flag) + 1] == value
    # Seek before the input (frame-accurate when re-encoding), a hair before frame 25.
    assert args.index("-ss") < args.index("-i")
    assert 0.99 < float(args[args.index("-ss") + 1]) < 1.0


def test_ffmpeg_args_video_only_and_filter() -> None:
    clip = frame_range(0.0, 1.0, NTSC)
    args = ffmpeg_args(
        "/a.mp4", "/b.mp4", clip, RenderSettings(), audio=False, video_filter="crop=100:100"
    )
    assert "-c:a" not in args
    assert "0:a:0" not in args
    assert args[args.index("-vf") + 1].startswith("fps=30000/1001,crop=100:100,")
    assert args[args.index("-r") + 1] == "30000/1001"
    assert args[args.index("-ss") + 1] == "0.000000"
