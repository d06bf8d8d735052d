"""Score a :class:`FaceTracks` against the per-frame ground-truth boxes of a sample.

The samples' ``<clip>.boxes.csv`` has one row per person and source frame with a face:
``frame, t, person, x1, y1, x2, y2, full_*, visible_frac, ...`` in source pixels. Scoring happens
at the analysis frames: each analysis frame's time picks the nearest ground-truth frame by
``t`` (the ``hard`` clip has variable frame timing, so indexes do not line up). Frames without
a face have no rows: an analysis frame farther than a few source frames from any row shows
nobody. Analysis frames within half an analysis interval of a change in who is on screen (a
shot cut, someone entering) are not scored: the decoder may show a neighbouring source frame,
which across a cut is another shot.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.optimize import linear_sum_assignment

from facetrack_otio.faces.detections import box_iou
from facetrack_otio.faces.tracks import FaceTracks

MIN_IOU = 0.3
MIN_VISIBLE = 0.6


@dataclass(frozen=True)
class FaceScore:
    """Face-level figures of one clip."""

    recall: float
    precision: float
    id_switches: int
    gt_faces: int
    predicted: int


def load_boxes(path: Path) -> tuple[np.ndarray, list[list[tuple[str, np.ndarray, float]]]]:
    """Ground truth as (times of the source frames, per frame: [(person, xyxy, visible)])."""
    frames: dict[int, tuple[float, list[tuple[str, np.ndarray, float]]]] = {}
    with open(path, newline="") as fh:
        for row in csv.DictReader(fh):
            box = np.array([float(row[k]) for k in ("x1", "y1", "x2", "y2")], dtype=np.float32)
            _, people = frames.setdefault(int(row["frame"]), (float(row["t"]), []))
            people.append((row["person"], box, float(row["visible_frac"])))
    order = sorted(frames)
    return np.array([frames[i][0] for i in order]), [frames[i][1] for i in order]


def score(tracks: FaceTracks, boxes_csv: Path, source_size: tuple[int, int]) -> FaceScore:
    """Recall, precision and identity switches of ``tracks`` (people only, ``person > 0``).

    A ground-truth face counts when at least ``MIN_VISIBLE`` of it is in frame; a prediction
    matched (IoU >= ``MIN_IOU``) to a less visible face is neither a hit nor a false alarm. An
    identity switch is a ground-truth person matched to another predicted person than the one
    it was last matched to.
    """
    times, gt = load_boxes(boxes_csv)
    gap = 2.5 * float(np.median(np.diff(times))) if len(times) > 1 else np.inf
    cast = [frozenset(name for name, _, _ in people) for people in gt]
    half = 0.5 / float(tracks.fps)

    def at(t: float) -> int | None:
        """Ground-truth frame shown at ``t`` (None: a stretch without faces)."""
        k = int(np.argmin(np.abs(times - t)))
        return k if abs(times[k] - t) <= gap else None

    def who(k: int | None) -> frozenset[str]:
        return cast[k] if k is not None else frozenset()

    sx = tracks.size[0] / source_size[0]
    sy = tracks.size[1] / source_size[1]
    scale = np.array([sx, sy, sx, sy], dtype=np.float32)
    per_frame: list[list[tuple[np.ndarray, int]]] = [[] for _ in range(tracks.n_frames)]
    for tr in tracks.tracks:
        if tr.person <= 0:
            continue
        for f, box in zip(tr.frames, tr.boxes):
            if f < tracks.n_frames:
                per_frame[f].append((box, tr.person))
    hits = gt_count = predicted = false_alarms = switches = 0
    last: dict[str, int] = {}
    for f, preds in enumerate(per_frame):
        t = f / float(tracks.fps)
        k = at(t)
        if not who(at(t - half)) == who(k) == who(at(t + half)):
            continue  # who is on screen changes within this frame's time
        truth = gt[k] if k is not None else []
        counted = [v >= MIN_VISIBLE for _, _, v in truth]
        gt_count += sum(counted)
        predicted += len(preds)
        matched_pred: set[int] = set()
        if truth and preds:
            iou = box_iou(
                np.stack([b * scale for _, b, _ in truth]), np.stack([b for b, _ in preds])
            )
            rows, cols = linear_sum_assignment(-iou)
            for r, c in zip(rows, cols):
                if iou[r, c] < MIN_IOU:
                    continue
                matched_pred.add(int(c))
                name, person = truth[r][0], preds[c][1]
                if counted[r]:
                    hits += 1
                if name in last and last[name] != person:
                    switches += 1
                last[name] = person
        false_alarms += len(preds) - len(matched_pred)
    return FaceScore(
        recall=hits / max(gt_count, 1),
        precision=1.0 - false_alarms / max(predicted, 1),
        id_switches=switches,
        gt_faces=gt_count,
        predicted=predicted,
    )
