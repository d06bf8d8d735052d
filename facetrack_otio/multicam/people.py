"""One set of people over all angles, and what each angle shows.

Each angle's face stage tells its own people apart (1, 2, ... per angle). Here they are joined
across angles by their face embeddings, with the clustering the face stage uses
(:func:`~facetrack_otio.clustering.average_linkage`) and the embedder's own similarity
threshold: the same person in their close-up and in the wide becomes one person. One rule
holds: two people one camera shows at the same time are two people; two cameras showing a face
at the same time may well show the same person.

Then everything is put on one clock, at the rate of the fastest angle's analysis: who is in
which picture when, how big, and how much their mouth moves (taken from the angle that shows
them biggest at that moment), for the speaker stage and the program cut.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from facetrack_otio.clustering import average_linkage
from facetrack_otio.faces.identity import DEFAULT_SIMILARITY
from facetrack_otio.faces.tracks import FaceTracks
from facetrack_otio.multicam.program import CLOSE_UP, EMPTY, GROUP, WIDE, AngleView
from facetrack_otio.multicam.shoot import ShootFile
from facetrack_otio.speakers.active import mouth_activity

# A person counts as in an angle's picture when seen for this share of the time it rolls.
_PRESENT = 0.2
# Gaps in a face's visibility shorter than this (seconds) are tracking misses, not exits.
_BRIDGE = 0.5


@dataclass
class ShootFaces:
    """Everyone's faces over all angles, on the shoot clock.

    Attributes
    ----------
    people : list of int
        Person ids (1, 2, ... by first appearance on the shoot clock).
    fps : float
        Rate of the grid below; frame 0 is at shoot time ``t0``.
    t0 : float
        Shoot time of frame 0.
    visible : numpy.ndarray
        (n, P+1) bool: person p in some angle's picture (column 0 unused).
    activity : numpy.ndarray
        (n, P+1) float: mouth motion relative to the person's usual level, from the angle
        showing them biggest at that moment (NaN where unknown).
    views : list of AngleView
        What each angle shows (``index`` is the angle's position among the angles).
    local : dict of (int, int) to int
        (angle position, the angle's own person id) -> person id.
    """

    people: list[int]
    fps: float
    t0: float
    visible: np.ndarray
    activity: np.ndarray
    views: list[AngleView]
    local: dict[tuple[int, int], int]

    def time(self, frame: int) -> float:
        return self.t0 + frame / self.fps

    def frame(self, t: float) -> int:
        return round((t - self.t0) * self.fps)


@dataclass(frozen=True)
class _Item:
    angle: int
    person: int
    embedding: np.ndarray
    frames: np.ndarray  # analysis frames of the angle where this person is seen
    first: float  # shoot time of the first sighting


def _items(angles: Sequence[ShootFile], faces: Sequence[FaceTracks]) -> list[_Item]:
    items = []
    for a, (f, ft) in enumerate(zip(angles, faces)):
        for p in ft.people:
            tracks = ft.person_tracks(p)
            ok = [t for t in tracks if t.embedding.size]
            if not ok:
                continue
            w = np.array([len(t.frames) for t in ok], dtype=np.float64)
            mean = (np.stack([t.embedding for t in ok]) * w[:, None]).sum(axis=0)
            mean /= max(float(np.linalg.norm(mean)), 1e-9)
            frames = np.unique(np.concatenate([t.frames for t in tracks]))
            items.append(
                _Item(a, p, mean.astype(np.float32), frames, f.offset + frames[0] / float(ft.fps))
            )
    return items


def join_people(
    angles: Sequence[ShootFile], faces: Sequence[FaceTracks], similarity: float = 0.0
) -> dict[tuple[int, int], int]:
    """Each angle's people as people of the whole shoot.

    Parameters
    ----------
    angles : sequence of ShootFile
        The angles, placed on the shoot clock.
    faces : sequence of FaceTracks
        Each angle's face stage, in the same order.
    similarity : float
        Cosine similarity to join two angles' people; 0 takes the embedder's default
        (:data:`~facetrack_otio.faces.identity.DEFAULT_SIMILARITY`).

    Returns
    -------
    dict of (int, int) to int
        (angle position, the angle's person id) -> shoot person id, numbered 1, 2, ... by first
        appearance on the shoot clock.
    """
    items = _items(angles, faces)
    if not items:
        return {}
    embedders = {ft.embedder for ft in faces}
    threshold = similarity or min(DEFAULT_SIMILARITY.get(e, 0.8) for e in embedders)
    n = len(items)
    conflicts = np.zeros((n, n), dtype=bool)
    for i in range(n):
        for j in range(i + 1, n):
            if (
                items[i].angle == items[j].angle
                and np.intersect1d(items[i].frames, items[j].frames, assume_unique=True).size
            ):
                conflicts[i, j] = conflicts[j, i] = True
    # Each item stands for as many frames as the angle saw that person.
    weights = np.array([len(it.frames) for it in items], dtype=np.float64)
    labels = average_linkage(
        np.stack([it.embedding for it in items]), threshold, cannot_link=conflicts, weights=weights
    )
    first: dict[int, float] = {}
    for it, label in zip(items, labels):
        first[int(label)] = min(first.get(int(label), np.inf), it.first)
    order = sorted(first, key=lambda k: (first[k], k))
    ids = {label: k + 1 for k, label in enumerate(order)}
    return {(it.angle, it.person): ids[int(label)] for it, label in zip(items, labels)}


def _intervals(times: np.ndarray, step: float) -> list[tuple[float, float]]:
    """Runs of sorted sighting times as intervals, gaps under :data:`_BRIDGE` bridged."""
    if times.size == 0:
        return []
    out: list[list[float]] = [[float(times[0]), float(times[0]) + step]]
    for t in times[1:]:
        if t - out[-1][1] <= _BRIDGE:
            out[-1][1] = float(t) + step
        else:
            out.append([float(t), float(t) + step])
    return [(a, b) for a, b in out]


def _kinds(views: list[AngleView]) -> list[AngleView]:
    """Close-up, wide, group or empty for each angle, from who it shows."""
    present: list[list[int]] = []
    for v in views:
        rolling = max(v.end - v.start, 1e-6)
        seen = {p: sum(b - a for a, b in ivs) / rolling for p, ivs in v.shows.items()}
        present.append([p for p, share in seen.items() if share >= _PRESENT])
    most = max((len(p) for p in present), default=0)
    groups = [i for i, p in enumerate(present) if len(p) >= 2]
    wide = None
    if groups and most >= 2:
        # The angle showing the most people; among those, the smallest faces.
        wide = min(
            (i for i in groups if len(present[i]) == most),
            key=lambda i: float(np.mean([views[i].size.get(p, 0.0) for p in present[i]])),
        )
    out = []
    for i, (v, p) in enumerate(zip(views, present)):
        if not p:
            kind, subject = EMPTY, None
        elif len(p) == 1:
            kind, subject = CLOSE_UP, p[0]
        else:
            kind, subject = (WIDE if i == wide else GROUP), None
        out.append(AngleView(v.index, v.start, v.end, v.shows, v.size, kind, subject, v.name))
    return out


def shoot_faces(
    angles: Sequence[ShootFile], faces: Sequence[FaceTracks], similarity: float = 0.0
) -> ShootFaces:
    """Join the angles' people and put their faces on the shoot clock.

    Parameters
    ----------
    angles : sequence of ShootFile
        The angles, placed.
    faces : sequence of FaceTracks
        Their face stages, in the same order.
    similarity : float
        See :func:`join_people`.

    Returns
    -------
    ShootFaces
    """
    local = join_people(angles, faces, similarity)
    people = sorted(set(local.values()))
    n_people = max(people, default=0)
    fps = max(float(ft.fps) for ft in faces)
    t0 = min(f.offset for f in angles)
    t1 = max(f.offset + ft.n_frames / float(ft.fps) for f, ft in zip(angles, faces))
    n = max(1, int(np.ceil((t1 - t0) * fps)) + 1)
    visible = np.zeros((n, n_people + 1), dtype=bool)
    activity = np.full((n, n_people + 1), np.nan, dtype=np.float32)
    best_size = np.zeros((n, n_people + 1), dtype=np.float32)
    grid_t = t0 + np.arange(n) / fps
    views = []
    for a, (f, ft) in enumerate(zip(angles, faces)):
        vis_a, act_a = mouth_activity(ft)
        height = float(ft.size[1])
        size_a = np.zeros(vis_a.shape, dtype=np.float32)
        for t in ft.tracks:
            if t.person > 0:
                ok = t.frames < ft.n_frames
                size_a[t.frames[ok], t.person] = (t.boxes[ok, 3] - t.boxes[ok, 1]) / height
        # Each grid frame looks at the angle's nearest analysis frame.
        idx = np.round((grid_t - f.offset) * float(ft.fps)).astype(np.int64)
        inside = (idx >= 0) & (idx < ft.n_frames)
        shows: dict[int, list[tuple[float, float]]] = {}
        size: dict[int, float] = {}
        for p_local in range(1, vis_a.shape[1]):
            gid = local.get((a, p_local))
            if gid is None:
                continue
            seen = np.zeros(n, dtype=bool)
            seen[inside] = vis_a[idx[inside], p_local]
            bigger = seen & (size_a[np.clip(idx, 0, ft.n_frames - 1), p_local] > best_size[:, gid])
            visible[:, gid] |= seen
            best_size[bigger, gid] = size_a[idx[bigger], p_local]
            activity[bigger, gid] = act_a[idx[bigger], p_local]
            frames = np.flatnonzero(vis_a[:, p_local])
            times = f.offset + frames / float(ft.fps)
            ivs = _intervals(times, 1.0 / float(ft.fps))
            shows.setdefault(gid, []).extend(ivs)
            sizes = size_a[frames, p_local]
            if sizes.size:
                size[gid] = max(size.get(gid, 0.0), float(np.median(sizes)))
        for gid in shows:
            shows[gid].sort()
        views.append(AngleView(a, f.offset, f.end, shows, size, EMPTY, None, f.label))
    return ShootFaces(people, fps, t0, visible, activity, _kinds(views), local)
