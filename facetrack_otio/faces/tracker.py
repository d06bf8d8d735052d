"""Follow faces between detections with OpenCV trackers, and decide when to detect again."""

from __future__ import annotations

import itertools
import math
from collections import deque
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np

from facetrack_otio.faces.detections import Detections, box_iou
from facetrack_otio.faces.settings import TRACKERS

# Assignments up to this many candidate pairings are tried one by one; beyond, scipy's solver.
_EXHAUSTIVE = 720


def best_pairs(score: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows and columns paired one to one so that the total score is the highest.

    What ``scipy.optimize.linear_sum_assignment(score, maximize=True)`` returns. A handful of
    faces on screen makes a tiny matrix whose every pairing can be tried; scipy's optimize
    package takes a third of a second to import, paid by every run, so it is imported only
    for a crowd.

    Parameters
    ----------
    score : numpy.ndarray
        Shape ``(n, m)``.

    Returns
    -------
    rows, cols : numpy.ndarray
        ``min(n, m)`` pairs, rows ascending.
    """
    n, m = score.shape
    k = min(n, m)
    if k == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    if math.perm(max(n, m), k) > _EXHAUSTIVE:
        from scipy.optimize import linear_sum_assignment

        return linear_sum_assignment(score, maximize=True)
    s = score if n <= m else score.T
    best, best_total = None, -np.inf
    for chosen in itertools.permutations(range(s.shape[1]), k):
        total = float(s[np.arange(k), chosen].sum())
        if total > best_total:
            best, best_total = chosen, total
    short, long = np.arange(k), np.asarray(best, dtype=np.int64)
    if n <= m:
        return short, long
    order = np.argsort(long)
    return long[order], short[order]


class TemplateTracker:
    """Follows a face by normalised cross-correlation of its gray template (translation only).

    The face seen at the last detection, shrunk so its width is ``side`` pixels, is searched
    for in a window around its last position (``cv2.matchTemplate``, ``TM_CCOEFF_NORMED``); the
    peak is refined to a fraction of a pixel with a parabola through its neighbours. An update
    fails when the best correlation is below ``min_score`` (face turned away, covered or gone).
    The template is never updated between detections, so the box cannot drift off the face,
    and on a still face the peak stays exactly where it was. About 0.2 ms per face and frame
    at 640x360, against ~3 ms for KCF and ~16 ms for KCF on a large face; OpenCV's MOSSE was
    measured to fail on static frames for some box shapes.

    Same interface as OpenCV's trackers: ``init(image, (x, y, w, h))`` and
    ``update(image) -> (ok, (x, y, w, h))``, for RGB or gray frames.
    """

    def __init__(self, side: int = 40, search: float = 0.5, min_score: float = 0.5) -> None:
        self.side = side
        self.search = search
        self.min_score = min_score
        self.template: np.ndarray | None = None
        self.roi = (0.0, 0.0, 0.0, 0.0)
        self.scale = 1.0

    @staticmethod
    def _gray(image: np.ndarray) -> np.ndarray:
        return cv2.cvtColor(image, cv2.COLOR_RGB2GRAY) if image.ndim == 3 else image

    def init(self, image: np.ndarray, roi: tuple[float, float, float, float]) -> None:
        x, y, w, h = (float(v) for v in roi)
        self.scale = min(1.0, self.side / max(w, 1.0))
        crop = self._gray(image[int(y) : int(y + h), int(x) : int(x + w)])
        size = (max(4, round(w * self.scale)), max(4, round(h * self.scale)))
        self.template = cv2.resize(crop, size, interpolation=cv2.INTER_AREA).astype(np.float32)
        self.roi = (x, y, w, h)

    def update(self, image: np.ndarray) -> tuple[bool, tuple[float, float, float, float]]:
        if self.template is None:
            return False, self.roi
        x, y, w, h = self.roi
        ih, iw = image.shape[:2]
        mx, my = w * self.search, h * self.search
        sx1, sy1 = max(0, int(x - mx)), max(0, int(y - my))
        sx2, sy2 = min(iw, int(np.ceil(x + w + mx))), min(ih, int(np.ceil(y + h + my)))
        th, tw = self.template.shape
        # The search window at template scale; its size fixes the scale used for it exactly.
        ww, wh = round((sx2 - sx1) * self.scale), round((sy2 - sy1) * self.scale)
        if ww < tw or wh < th:
            return False, self.roi
        window = cv2.resize(
            self._gray(image[sy1:sy2, sx1:sx2]), (ww, wh), interpolation=cv2.INTER_AREA
        ).astype(np.float32)
        score = cv2.matchTemplate(window, self.template, cv2.TM_CCOEFF_NORMED)
        _, best, _, (px, py) = cv2.minMaxLoc(score)
        if not best >= self.min_score:  # also catches NaN on a flat window
            return False, self.roi
        fx = px + _peak_offset(score[py, max(px - 1, 0) : px + 2])
        fy = py + _peak_offset(score[max(py - 1, 0) : py + 2, px])
        kx, ky = (sx2 - sx1) / ww, (sy2 - sy1) / wh
        self.roi = (sx1 + fx * kx, sy1 + fy * ky, w, h)
        return True, self.roi


def _peak_offset(values: np.ndarray) -> float:
    """Sub-pixel offset (-0.5..0.5) of a peak from its value and its two neighbours."""
    if len(values) < 3:  # peak on the border of the search window
        return 0.0
    left, mid, right = (float(v) for v in values)
    denom = left - 2 * mid + right
    if denom >= 0:
        return 0.0
    return float(np.clip(0.5 * (left - right) / denom, -0.5, 0.5))


def _make_cv_tracker(kind: str) -> Any:
    """A single-object tracker (OpenCV 4.x and 5.x names both work)."""
    if kind == "template":
        return TemplateTracker()
    if kind == "kcf":
        return cv2.TrackerKCF.create() if hasattr(cv2, "TrackerKCF") else cv2.TrackerKCF_create()
    if kind == "csrt":
        return cv2.TrackerCSRT.create() if hasattr(cv2, "TrackerCSRT") else cv2.TrackerCSRT_create()
    if kind == "mosse":
        return cv2.legacy.TrackerMOSSE_create()
    raise ValueError(f"unknown tracker {kind!r}; choose one of {', '.join(TRACKERS)}")


@dataclass
class _Track:
    id: int
    box: np.ndarray  # (4,) xyxy
    landmarks: np.ndarray  # (5, 2) at the last detection
    det_box: np.ndarray  # box at the last detection, to carry landmarks along
    cv: Any  # OpenCV tracker or None
    lost: int = 0


class RedetectMonitor:
    """Chooses the re-detection interval from the trackers' recent success rate.

    Over the last ``window`` tracker updates: a success rate of at least 95% re-detects every
    ``intervals[0]`` frames, 80% every ``intervals[1]``, 60% every ``intervals[2]``, else every
    ``intervals[3]`` frames.
    """

    def __init__(self, intervals: tuple[int, int, int, int], window: int = 20) -> None:
        self.intervals = intervals
        self.results: deque[bool] = deque(maxlen=window)

    def record(self, ok: bool) -> None:
        self.results.append(ok)

    @property
    def success_rate(self) -> float:
        return sum(self.results) / len(self.results) if self.results else 0.0

    @property
    def interval(self) -> int:
        if len(self.results) < self.results.maxlen:  # type: ignore[operator]
            return self.intervals[-1]
        rate = self.success_rate
        for threshold, interval in zip((0.95, 0.80, 0.60), self.intervals[:3]):
            if rate >= threshold:
                return interval
        return self.intervals[3]


class FaceTracker:
    """Keeps track ids across frames.

    ``update(image, detections)`` with the detector's output associates the detections with the
    current tracks (IoU, optimal assignment), re-initialises their trackers and opens new
    tracks; tracks without a match end. ``update(image, None)`` between detections moves every
    track with its OpenCV tracker (moves under ``dead_zone`` pixels are ignored). Both return
    the faces of this frame with ``tracker_id`` set; landmarks between detections are the last
    detected ones moved with the box.
    """

    def __init__(
        self,
        kind: str = "template",
        iou_match: float = 0.3,
        max_lost: int = 3,
        dead_zone: float = 2.0,
    ) -> None:
        if kind not in TRACKERS:
            raise ValueError(f"unknown tracker {kind!r}; choose one of {', '.join(TRACKERS)}")
        self.kind = kind
        self.iou_match = iou_match
        self.max_lost = max_lost
        self.dead_zone = dead_zone
        self.tracks: list[_Track] = []
        self.next_id = 0
        self.monitor_hook: RedetectMonitor | None = None

    def boxes(self) -> np.ndarray:
        """(N, 4) current boxes of the live tracks."""
        if not self.tracks:
            return np.zeros((0, 4), dtype=np.float32)
        return np.stack([t.box for t in self.tracks])

    def reset(self) -> None:
        """End every track (e.g. at a shot cut)."""
        self.tracks = []

    def _start_cv(self, image: np.ndarray, box: np.ndarray) -> Any:
        if self.kind == "none":
            return None
        h, w = image.shape[:2]
        x1, y1, x2, y2 = box
        x1, y1 = max(0.0, x1), max(0.0, y1)
        x2, y2 = min(float(w), x2), min(float(h), y2)
        if x2 - x1 < 4 or y2 - y1 < 4:
            return None
        cv = _make_cv_tracker(self.kind)
        roi = (int(x1), int(y1), int(x2 - x1), int(y2 - y1))
        cv.init(image, roi)
        return cv

    def update(self, image: np.ndarray, detections: Detections | None) -> Detections:
        if detections is None:
            return self._follow(image)
        return self._associate(image, detections)

    def _associate(self, image: np.ndarray, det: Detections) -> Detections:
        matched: dict[int, int] = {}
        if self.tracks and len(det):
            iou = box_iou(np.stack([t.box for t in self.tracks]), det.xyxy)
            rows, cols = best_pairs(iou)
            matched = {c: r for r, c in zip(rows, cols) if iou[r, c] >= self.iou_match}
        survivors: list[_Track] = []
        ids = np.empty(len(det), dtype=np.int64)
        for j in range(len(det)):
            box, pts = det.xyxy[j].copy(), det.landmarks[j].copy()
            cv = self._start_cv(image, box)
            if j in matched:
                t = self.tracks[matched[j]]
                t.box, t.landmarks, t.det_box, t.cv, t.lost = box, pts, box.copy(), cv, 0
            else:
                t = _Track(self.next_id, box, pts, box.copy(), cv)
                self.next_id += 1
            survivors.append(t)
            ids[j] = t.id
        self.tracks = survivors
        return Detections(det.xyxy, det.confidence, det.landmarks, ids)

    def _follow(self, image: np.ndarray) -> Detections:
        boxes, pts, ids = [], [], []
        alive = []
        for t in self.tracks:
            ok = False
            if t.cv is not None:
                ok, roi = t.cv.update(image)
                if ok:
                    x, y, w, h = (float(v) for v in roi)
                    box = np.array([x, y, x + w, y + h], dtype=np.float32)
                    # Trackers wobble by a pixel on a still face; that wobble would read as
                    # mouth motion and as crop jitter, so small moves are ignored.
                    if np.abs(box - t.box).max() > self.dead_zone:
                        t.box = box
            elif self.kind == "none":
                ok = True  # without a tracker a face is assumed to stay where it was detected
            if self.monitor_hook is not None and t.cv is not None:
                self.monitor_hook.record(bool(ok))
            t.lost = 0 if ok else t.lost + 1
            if t.lost > self.max_lost:
                continue
            alive.append(t)
            if ok:
                boxes.append(t.box)
                pts.append(_carry_landmarks(t.landmarks, t.det_box, t.box))
                ids.append(t.id)
        self.tracks = alive
        if not boxes:
            return Detections.empty()
        return Detections(np.stack(boxes), np.ones(len(boxes)), np.stack(pts), np.array(ids))


def _carry_landmarks(points: np.ndarray, old_box: np.ndarray, new_box: np.ndarray) -> np.ndarray:
    """Move landmarks with their box (scale and translate)."""
    ow = max(float(old_box[2] - old_box[0]), 1e-3)
    oh = max(float(old_box[3] - old_box[1]), 1e-3)
    sx = (new_box[2] - new_box[0]) / ow
    sy = (new_box[3] - new_box[1]) / oh
    out = points.copy()
    out[:, 0] = new_box[0] + (points[:, 0] - old_box[0]) * sx
    out[:, 1] = new_box[1] + (points[:, 1] - old_box[1]) * sy
    return out
