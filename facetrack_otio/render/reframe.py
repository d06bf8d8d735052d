"""Crop windows that follow a face: the path, per output frame, and how ffmpeg is driven by it.

A reframed clip is a fixed-size window (the largest of the asked aspect ratio that fits the
frame) moved over the source. Its centre is computed here, in Python, for every output frame:

1. **Target.** The speaker's face box is interpolated between the clip's keyframes (rows
   ``[t, x1, y1, x2, y2]``, normalised, about 5 per second). Keyframes further apart than
   ``max_gap`` are not interpolated across (the face was lost between them); a jump larger
   than ``cut_jump`` between close keyframes is a shot cut, where the window may jump too.
2. **Lost face.** The window holds the last known position for ``hold`` seconds, then eases to
   the frame centre (a wide, neutral framing while nobody is found); before the face is first
   seen in a piece, the window waits where it will appear.
3. **Dead zone.** The window's goal moves only when the target leaves a zone of ``dead_zone``
   (a fraction of the window size) around it; small moves of the face, and the detector's
   jitter, leave the window still.
4. **Motion limits.** A follower moves towards the goal with bounded speed and acceleration
   and brakes in time to stop on it. As the whole path is known in advance, each move starts
   half its duration before the goal changes: the move is centred on the face's move instead
   of lagging behind it.
5. **Frame.** The window is clamped inside the frame, on even pixels (yuv420p chroma).

ffmpeg then crops with ``crop=W:H:X:Y`` and receives the new ``x``/``y`` through ``sendcmd``
from a small script holding only the frames where the position changes.
"""

from __future__ import annotations

import itertools
import math
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np

from facetrack_otio.render.settings import ASPECTS

# The crop filter's instance name: commands go to it and to no other crop in the graph.
CROP_NAME = "crop@reframe"


@dataclass(frozen=True)
class ReframeSettings:
    """How the crop window follows a face.

    Attributes
    ----------
    dead_zone : float
        The window stays put while the face is within this fraction of the window's size of
        where the window last settled.
    max_speed : float
        Highest speed of the window centre, in window sizes per second.
    max_accel : float
        Highest acceleration of the window centre, in window sizes per second squared.
    max_gap : float
        Seconds between keyframes beyond which the face counts as lost in between.
    hold : float
        Seconds the window holds a lost face's last position before easing to the centre.
    cut_jump : float
        A face centre moving more than this fraction of the frame between keyframes less than
        ``max_gap`` apart is a shot cut: the window jumps with it instead of panning.
    headroom : float
        Where the face centre sits in the window's height when the window can move
        vertically (0 top, 1 bottom).
    """

    dead_zone: float = 0.06
    max_speed: float = 0.8
    max_accel: float = 2.5
    max_gap: float = 0.7
    hold: float = 1.0
    cut_jump: float = 0.15
    headroom: float = 0.4


@dataclass(frozen=True)
class CropPath:
    """A crop window per output frame.

    Attributes
    ----------
    width, height : int
        Window size in source pixels (even).
    x, y : ndarray of int
        Top-left corner per output frame (even, inside the frame).
    """

    width: int
    height: int
    x: np.ndarray
    y: np.ndarray

    def __len__(self) -> int:
        return len(self.x)


def parse_aspect(aspect: str) -> Fraction | None:
    """Width over height of an aspect name (``"9:16"``), or None for ``"source"``.

    Parameters
    ----------
    aspect : str
        One of :data:`ASPECTS`.

    Returns
    -------
    Fraction or None

    Raises
    ------
    ValueError
        For any other value.
    """
    if aspect not in ASPECTS:
        raise ValueError(f"unknown aspect {aspect!r}; one of {', '.join(ASPECTS)}")
    if aspect == "source":
        return None
    w, h = aspect.split(":")
    return Fraction(int(w), int(h))


def crop_size(width: int, height: int, aspect: Fraction) -> tuple[int, int]:
    """The largest window of ``aspect`` (width / height) inside a frame, in even pixels.

    Parameters
    ----------
    width, height : int
        Frame size (as displayed).
    aspect : Fraction
        Wanted width over height.

    Returns
    -------
    (int, int)
        Window width and height, each even and at least 2.
    """
    if Fraction(width, height) > aspect:
        h = height
        w = math.floor(height * aspect)
    else:
        w = width
        h = math.floor(width / aspect)
    return max(2, w - w % 2), max(2, h - h % 2)


def face_centres(
    keyframes: np.ndarray, times: np.ndarray, settings: ReframeSettings, size: tuple[int, int]
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The face centre at each time, interpolated between keyframes.

    Parameters
    ----------
    keyframes : ndarray, shape (K, 5)
        Rows ``[t, x1, y1, x2, y2]``, boxes normalised to the frame, sorted by ``t``.
    times : ndarray, shape (N,)
        Seconds of the source, increasing.
    settings : ReframeSettings
        ``max_gap`` and ``cut_jump`` are used.
    size : (int, int)
        Frame width and height in pixels.

    Returns
    -------
    cx, cy : ndarray of float
        Face centre in pixels (NaN where the face is lost).
    valid : ndarray of bool
        Where a face is known.
    cut : ndarray of bool
        True at the first frame after a shot cut inside the face track.
    """
    n = len(times)
    cx = np.full(n, np.nan)
    cy = np.full(n, np.nan)
    cut = np.zeros(n, bool)
    k = np.asarray(keyframes, float).reshape(-1, 5) if len(keyframes) else np.zeros((0, 5))
    if len(k) == 0 or n == 0:
        return cx, cy, np.zeros(n, bool), cut
    w, h = size
    kt = k[:, 0]
    kx = (k[:, 1] + k[:, 3]) / 2 * w
    ky = (k[:, 2] + k[:, 4]) / 2 * h
    nxt = np.searchsorted(kt, times, side="left")  # first keyframe at or after t
    prev = nxt - 1
    has_prev = prev >= 0
    has_next = nxt < len(kt)
    p = np.clip(prev, 0, len(kt) - 1)
    q = np.clip(nxt, 0, len(kt) - 1)
    gap = kt[q] - kt[p]
    jump = np.hypot(kx[q] - kx[p], ky[q] - ky[p]) > settings.cut_jump * max(w, h)
    between = has_prev & has_next & (gap <= settings.max_gap)
    # Interpolate inside a gap, except across a cut: there the nearer side holds.
    frac = np.where(gap > 0, (times - kt[p]) / np.where(gap > 0, gap, 1), 0.0)
    frac = np.where(jump, (frac >= 0.5).astype(float), frac)
    ix = kx[p] + frac * (kx[q] - kx[p])
    iy = ky[p] + frac * (ky[q] - ky[p])
    # Beyond the first or last keyframe (or next to a long gap): the nearest one, if near.
    half = settings.max_gap / 2
    near_prev = has_prev & (times - kt[p] <= half)
    near_next = has_next & (kt[q] - times <= half)
    cx = np.where(between, ix, np.where(near_prev, kx[p], np.where(near_next, kx[q], np.nan)))
    cy = np.where(between, iy, np.where(near_prev, ky[p], np.where(near_next, ky[q], np.nan)))
    valid = np.isfinite(cx)
    step = between & jump & (frac >= 0.5)
    cut[1:] = step[1:] & ~step[:-1]
    if n:
        cut[0] = False
    return cx, cy, valid, cut


def _targets(
    c: np.ndarray,
    valid: np.ndarray,
    centre: float,
    lo: float,
    hi: float,
    hold_frames: int,
    lead: Callable[[float], int],
) -> np.ndarray:
    """Where the window should be: the face, held then eased to ``centre`` when it is lost.

    The smoothed move is centred on the goal's change, starting ``lead(distance)`` frames
    before it; the change is put that much after the hold, so the window stays still for the
    whole hold and only then starts to move.
    """
    n = len(c)
    out = np.empty(n)
    if not valid.any():
        out[:] = centre
        return np.clip(out, lo, hi)
    first = int(np.argmax(valid))
    last_value = c[first]  # before the face is first seen: wait where it will appear
    lost_for = 0
    wait = hold_frames
    for i in range(n):
        if valid[i]:
            last_value = c[i]
            lost_for = 0
            out[i] = last_value
            continue
        if lost_for == 0:
            held = min(max(last_value, lo), hi)
            wait = hold_frames + lead(abs(min(max(centre, lo), hi) - held))
        lost_for += 1
        out[i] = last_value if (i < first or lost_for <= wait) else centre
    return np.clip(out, lo, hi)


def _dead_zone(target: np.ndarray, zone: float, cuts: np.ndarray) -> np.ndarray:
    """A goal that moves (to the target) only when the target leaves the zone around it."""
    goal = np.empty_like(target)
    g = target[0]
    for i, v in enumerate(target):
        if cuts[i] or abs(v - g) > zone:
            g = v
        goal[i] = g
    return goal


def _follow(goal: np.ndarray, vmax: float, amax: float, dt: float) -> np.ndarray:
    """Move towards the goal with bounded speed and acceleration, braking to stop on it."""
    out = np.empty_like(goal)
    x = float(goal[0])
    v = 0.0
    dv_max = amax * dt
    for i, g in enumerate(goal):
        e = g - x
        # The fastest speed from which the window can still stop at the goal.
        v_want = math.copysign(min(vmax, math.sqrt(2 * amax * abs(e))), e)
        v += min(max(v_want - v, -dv_max), dv_max)
        step = v * dt
        if abs(step) >= abs(e) and step * e >= 0:
            # Arriving within this frame (braking in discrete steps would overshoot).
            x, v = float(g), 0.0
        else:
            x += step
            if abs(g - x) < 0.5 and abs(v) <= dv_max:
                x, v = float(g), 0.0  # settled: exactly still, no sub-pixel creep
        out[i] = x
    return out


def _smooth(goal: np.ndarray, cuts: np.ndarray, vmax: float, amax: float, fps: float) -> np.ndarray:
    """The follower's path, each move started early so that it is centred on the change."""
    out = np.empty_like(goal)
    bounds = [0, *np.flatnonzero(cuts).tolist(), len(goal)]
    for a, b in itertools.pairwise(bounds):
        if b <= a:
            continue
        g = goal[a:b]
        changes = np.flatnonzero(np.diff(g)) + 1
        early = g.copy()
        previous = 0
        for c in changes:
            half = math.ceil(move_time(abs(g[c] - g[c - 1]), vmax, amax) * fps / 2)
            start = max(previous + 1, c - half)
            early[start:] = g[c]
            previous = start
        out[a:b] = _follow(early, vmax, amax, 1.0 / fps)
    return out


def move_time(distance: float, vmax: float, amax: float) -> float:
    """Seconds to move ``distance`` from rest to rest with bounded speed and acceleration."""
    if distance <= 0:
        return 0.0
    if distance >= vmax * vmax / amax:
        return distance / vmax + vmax / amax
    return 2 * math.sqrt(distance / amax)


def _axis(
    c: np.ndarray,
    valid: np.ndarray,
    cuts: np.ndarray,
    frame: int,
    window: int,
    settings: ReframeSettings,
    fps: float,
) -> np.ndarray:
    """Top-left coordinate of the window along one axis, per frame (even, inside the frame)."""
    n = len(c)
    if window >= frame:
        return np.zeros(n, dtype=np.int64)
    lo, hi = window / 2, frame - window / 2
    vmax, amax = settings.max_speed * window, settings.max_accel * window

    def lead(distance: float) -> int:
        return math.ceil(move_time(distance, vmax, amax) * fps / 2)

    target = _targets(c, valid, frame / 2, lo, hi, round(settings.hold * fps), lead)
    goal = _dead_zone(target, settings.dead_zone * window, cuts)
    centre = _smooth(goal, cuts, vmax, amax, fps)
    corner = np.clip(np.round((centre - window / 2) / 2) * 2, 0, frame - window)
    return corner.astype(np.int64) - (corner.astype(np.int64) % 2)


def crop_path(
    keyframes: np.ndarray,
    times: np.ndarray,
    size: tuple[int, int],
    aspect: Fraction,
    fps: float,
    settings: ReframeSettings | None = None,
) -> CropPath:
    """The crop window for each output frame of one continuous piece of the source.

    Parameters
    ----------
    keyframes : ndarray, shape (K, 5)
        The speaker's face boxes ``[t, x1, y1, x2, y2]`` (normalised), sorted by time; may be
        empty (the window then stays in the centre).
    times : ndarray, shape (N,)
        Source time of each output frame, in seconds.
    size : (int, int)
        Frame width and height.
    aspect : Fraction
        Window width over height.
    fps : float
        Output frame rate (for the motion limits).
    settings : ReframeSettings, optional
        Dead zone, motion limits, hold (default: :class:`ReframeSettings`).

    Returns
    -------
    CropPath
        Window size and per-frame top-left corners.
    """
    settings = settings or ReframeSettings()
    w, h = size
    cw, ch = crop_size(w, h, aspect)
    cx, cy, valid, cuts = face_centres(keyframes, times, settings, size)
    x = _axis(cx, valid, cuts, w, cw, settings, fps)
    # Vertically the face sits at `headroom` of the window's height, not in its middle.
    cy_target = cy + (0.5 - settings.headroom) * ch
    y = _axis(cy_target, valid, cuts, h, ch, settings, fps)
    return CropPath(cw, ch, x, y)


def join_paths(paths: Sequence[CropPath]) -> CropPath:
    """Paths of consecutive pieces as one path (the window may jump between pieces)."""
    if not paths:
        raise ValueError("no paths to join")
    return CropPath(
        paths[0].width,
        paths[0].height,
        np.concatenate([p.x for p in paths]),
        np.concatenate([p.y for p in paths]),
    )


def jitter(values: np.ndarray, frame: int) -> float:
    """Mean absolute frame-to-frame change of a window coordinate, as a fraction of the frame.

    Parameters
    ----------
    values : ndarray
        A coordinate per frame (e.g. :attr:`CropPath.x`).
    frame : int
        Frame width (or height) in pixels.

    Returns
    -------
    float
    """
    if len(values) < 2:
        return 0.0
    return float(np.mean(np.abs(np.diff(values.astype(float))))) / frame


def sendcmd_script(path: CropPath, fps: Fraction, target: str = CROP_NAME) -> str:
    """Commands for ffmpeg's ``sendcmd`` filter that move ``crop`` along ``path``.

    Parameters
    ----------
    path : CropPath
        The window per output frame; frame ``i`` is shown at ``i / fps``.
    fps : Fraction
        Output frame rate.
    target : str
        Name of the crop filter instance the commands go to.

    Returns
    -------
    str
        One line per frame where the corner moves, sent half a frame before that frame so
        that timestamp rounding cannot delay it by a frame. The first position is not in it:
        it is the crop filter's initial ``x:y``.
    """
    lines = []
    moved = np.flatnonzero((np.diff(path.x) != 0) | (np.diff(path.y) != 0)) + 1
    for i in moved:
        t = (Fraction(int(i)) - Fraction(1, 2)) / fps
        parts = []
        if path.x[i] != path.x[i - 1]:
            parts.append(f"{target} x {int(path.x[i])}")
        if path.y[i] != path.y[i - 1]:
            parts.append(f"{target} y {int(path.y[i])}")
        lines.append(f"{float(t):.6f} {', '.join(parts)};")
    return "\n".join(lines) + ("\n" if lines else "")


def crop_filter(path: CropPath, fps: Fraction, script: str | os.PathLike[str]) -> str:
    """The ffmpeg filter chain that applies ``path``: ``sendcmd`` (if it moves) and ``crop``.

    Parameters
    ----------
    path : CropPath
        The window per output frame.
    fps : Fraction
        Output frame rate.
    script : str or os.PathLike
        Where to write the command script when the window moves; its path must need no
        escaping in a filtergraph (as one inside :func:`tempfile.mkdtemp` with a plain name).

    Returns
    -------
    str
        For example ``sendcmd=f=/tmp/x/0001.cmd,crop@reframe=w=404:h=720:x=438:y=0:exact=1``.
    """
    crop = (
        f"{CROP_NAME}=w={path.width}:h={path.height}:x={int(path.x[0])}:y={int(path.y[0])}:exact=1"
    )
    commands = sendcmd_script(path, fps)
    if not commands:
        return crop
    Path(script).write_text(commands)
    return f"sendcmd=f={Path(script).as_posix()},{crop}"
