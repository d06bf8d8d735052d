"""The crop path on made-up keyframes: inside the frame, even, smooth, still when the face is."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from facetrack_otio.render.reframe import (
    CropPath,
    ReframeSettings,
    crop_path,
    crop_size,
    face_centres,
    jitter,
    parse_aspect,
    sendcmd_script,
)

W, H, FPS = 1280, 720, 25.0
S = ReframeSettings()


def keyframes(t: np.ndarray, cx: np.ndarray, cy: np.ndarray | float = 360.0) -> np.ndarray:
    """A 200x240 px face centred on (cx, cy) at times t, normalised."""
    cy = np.broadcast_to(cy, t.shape)
    boxes = np.column_stack([(cx - 100) / W, (cy - 120) / H, (cx + 100) / W, (cy + 120) / H])
    return np.column_stack([t, boxes.clip(0, 1)])


def frames(seconds: float) -> np.ndarray:
    return np.arange(round(seconds * FPS)) / FPS


def path_for(k: np.ndarray, seconds: float, aspect: str = "9:16") -> CropPath:
    ratio = parse_aspect(aspect)
    assert ratio is not None
    return crop_path(k, frames(seconds), (W, H), ratio, FPS, S)


@pytest.mark.parametrize(
    ("size", "aspect", "expected"),
    [
        ((1280, 720), "9:16", (404, 720)),
        ((1280, 720), "1:1", (720, 720)),
        ((1280, 720), "4:5", (576, 720)),
        ((1280, 720), "16:9", (1280, 720)),
        ((854, 480), "9:16", (270, 480)),
        ((720, 1280), "16:9", (720, 404)),
        ((720, 1280), "4:5", (720, 900)),
        ((161, 91), "1:1", (90, 90)),
    ],
)
def test_crop_size_is_the_largest_even_window(
    size: tuple[int, int], aspect: str, expected: tuple[int, int]
) -> None:
    ratio = parse_aspect(aspect)
    assert ratio is not None
    w, h = crop_size(*size, ratio)
    assert (w, h) == expected
    assert w % 2 == 0 and h % 2 == 0 and w <= size[0] and h <= size[1]


def test_parse_aspect() -> None:
    assert parse_aspect("source") is None
    assert parse_aspect("9:16") == Fraction(9, 16)
    with pytest.raises(ValueError, match="unknown aspect"):
        parse_aspect("2:1")


def test_static_face_gives_a_still_window_around_it() -> None:
    t = np.arange(0, 10.01, 0.2)
    rng = np.random.default_rng(0)
    # The detector's boxes wobble by a few pixels around a still face.
    k = keyframes(t, 300 + rng.normal(0, 3, len(t)), 360 + rng.normal(0, 3, len(t)))
    p = path_for(k, 10)
    assert len(p) == 250 and (p.width, p.height) == (404, 720)
    assert jitter(p.x, W) == 0.0  # the dead zone absorbs the wobble
    assert abs(p.x[0] + p.width / 2 - 300) < 10
    assert (p.y == 0).all()


def test_window_never_leaves_the_frame_and_is_even() -> None:
    t = np.arange(0, 8.01, 0.2)
    k = keyframes(t, np.linspace(-200, W + 200, len(t)))  # runs off both edges
    p = path_for(k, 8)
    assert p.x.min() >= 0 and p.x.max() <= W - p.width
    assert (p.x % 2 == 0).all() and (p.y % 2 == 0).all()
    sq = path_for(k, 8, "1:1")
    assert sq.y.min() >= 0 and sq.y.max() <= H - sq.height


def test_speed_and_acceleration_are_bounded() -> None:
    t = np.arange(0, 12.01, 0.2)
    # The face crosses the frame in 1.4 s and comes back (fast moves, but not cuts).
    cx = np.interp(t, [0, 3, 4.4, 7, 8.4, 12], [250, 250, 1000, 1000, 250, 250])
    p = path_for(keyframes(t, cx), 12)
    v = np.diff(p.x.astype(float)) * FPS
    a = np.diff(v) * FPS
    vmax = S.max_speed * p.width
    amax = S.max_accel * p.width
    # Rounding to even pixels adds up to 2 px per frame on top of the smooth path.
    assert np.abs(v).max() <= vmax + 2 * FPS
    assert np.abs(np.diff(p.x.astype(float))).max() <= vmax / FPS + 2
    # Where the window moves, it really does get there.
    assert abs(p.x[160] + p.width / 2 - 1000) < 0.1 * p.width
    assert abs(p.x[-1] + p.width / 2 - 250) < 0.1 * p.width
    # Acceleration: on the smooth path (before rounding) it is within bounds; the rounded
    # path's second differences stay within what 2 px rounding steps can add.
    assert np.abs(a).max() <= amax + 4 * FPS * FPS


def test_lost_face_holds_then_eases_to_the_centre() -> None:
    t = np.arange(0, 2.01, 0.2)  # seen for 2 s on the left, then lost for 6 s
    p = path_for(keyframes(t, np.full(len(t), 250.0)), 8)
    left = p.x[0]
    hold_until = round((2 + S.hold) * FPS)
    assert (p.x[:hold_until] == left).all()
    assert p.x[hold_until + 10] > left
    centre = (W - p.width) / 2
    assert abs(p.x[-1] - centre) <= 2
    assert np.abs(np.diff(p.x.astype(float))).max() <= S.max_speed * p.width / FPS + 2


def test_face_first_seen_late_is_waited_for_and_no_face_is_the_centre() -> None:
    t = np.arange(3, 6.01, 0.2)
    p = path_for(keyframes(t, np.full(len(t), 1000.0)), 6)
    assert (p.x == p.x[-1]).all()
    none = path_for(np.zeros((0, 5)), 2)
    assert (none.x == (W - none.width) // 2 // 2 * 2).all() or abs(
        none.x[0] - (W - none.width) / 2
    ) <= 2


def test_a_cut_is_a_jump_not_a_pan() -> None:
    t = np.arange(0, 6.01, 0.2)
    p = path_for(keyframes(t, np.where(t < 3, 250.0, 1000.0)), 6)
    steps = np.abs(np.diff(p.x))
    assert (steps > 0).sum() == 1  # one jump at the cut, still before and after
    assert steps.max() > 500


def test_face_centres_interpolate_and_mark_gaps() -> None:
    k = keyframes(np.array([0.0, 0.2, 2.0]), np.array([100.0, 200.0, 200.0]))
    cx, _, valid, _ = face_centres(k, np.array([0.1, 1.0, 2.1, 5.0]), S, (W, H))
    assert cx[0] == pytest.approx(150, abs=1)
    assert not valid[1]  # 0.2 .. 2.0 is a longer gap than max_gap
    assert valid[2] and not valid[3]


def test_sendcmd_script_only_where_the_window_moves() -> None:
    p = CropPath(404, 720, np.array([10, 10, 12, 12, 40]), np.zeros(5, int))
    script = sendcmd_script(p, Fraction(25))
    assert script.splitlines() == [
        "0.060000 crop@reframe x 12;",
        "0.140000 crop@reframe x 40;",
    ]
    still = CropPath(404, 720, np.full(5, 8), np.zeros(5, int))
    assert sendcmd_script(still, Fraction(25)) == ""
