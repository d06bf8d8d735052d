"""People from tracklets: cluster the embeddings of the whole video after the pass.

A sliding gallery forgets: someone who leaves and comes back later gets a new id. Here every
tracklet is described by the mean of a few descriptors of its best faces; when the video is
done, tracklets are joined by average-linkage clustering on cosine similarity, with one hard
rule: two tracklets seen in the same frame are two different people.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from facetrack_otio.config import FaceSettings
    from facetrack_otio.faces.tracks import FaceTracks

# Cosine similarity needed to join tracklets, per embedder, when the settings leave it at 0.
# dlib: on 61 real photos of 13 people (../shared/samples/faces) the same person scored
# >= 0.925 but for one pair, two people <= 0.937 but for one pair, and average linkage found
# the 13 people from 0.91 to 0.94 (bench/identity.py). LBP tracklet means of one person
# >= 0.95, of two people <= 0.75 on the synthetic clips; VGGFace2 embeddings of one person
# typically > 0.6, of two people < 0.4.
DEFAULT_SIMILARITY = {
    "dlib-resnet-v1": 0.925,
    "lbp-fallback": 0.86,
    "inception-resnet-v1-vggface2": 0.55,
}


def _overlaps(spans: np.ndarray) -> np.ndarray:
    """(N, N) bool: tracklets whose frame spans intersect."""
    first, last = spans[:, 0], spans[:, 1]
    return (first[:, None] <= last[None, :]) & (first[None, :] <= last[:, None])


def cluster_tracklets(embeddings: np.ndarray, spans: np.ndarray, threshold: float) -> np.ndarray:
    """Average-linkage clustering with cannot-link constraints.

    Two clusters join while the mean similarity of their members is at least ``threshold``,
    the most similar pair first; two clusters holding tracklets seen in the same frame never
    join. Each row keeps its best partner, so a merge only rescans the rows that pointed at
    the merged pair: near n^2 work in all (1,000 tracklets in well under a second), where
    comparing every pair of clusters at every merge grew past n^3.

    Parameters
    ----------
    embeddings : np.ndarray
        (N, D) L2-normalised mean embedding per tracklet.
    spans : np.ndarray
        (N, 2) first and last analysis frame of each tracklet.
    threshold : float
        Clusters join while their average similarity is at least this.

    Returns
    -------
    np.ndarray
        (N,) cluster label per tracklet, 0..K-1, numbered in order of first member.
    """
    n = len(embeddings)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    emb = np.asarray(embeddings, dtype=np.float64)
    total = emb @ emb.T  # sum of member similarities between two clusters
    blocked = _overlaps(np.asarray(spans))
    np.fill_diagonal(blocked, True)
    size = np.ones(n)
    alive = np.ones(n, dtype=bool)
    members = np.arange(n)  # cluster (its first tracklet) of each tracklet

    def scores(rows: np.ndarray | int) -> np.ndarray:
        avg = total[rows] / (size[rows, None] if np.ndim(rows) else size[rows]) / size
        return np.where(blocked[rows] | ~alive, -np.inf, avg)

    avg = scores(np.arange(n))
    best = avg.argmax(axis=1)
    best_score = avg[np.arange(n), best]
    while True:
        a = int(best_score.argmax())
        if not best_score[a] >= threshold:
            break
        b = int(best[a])
        a, b = min(a, b), max(a, b)  # the earlier cluster keeps its place
        total[a] += total[b]
        total[:, a] = total[a]
        blocked[a] |= blocked[b]
        blocked[:, a] = blocked[a]
        size[a] += size[b]
        alive[b] = False
        members[members == b] = a
        best_score[b] = -np.inf
        row = scores(a)
        best[a], best_score[a] = int(row.argmax()), float(row.max())
        # Other rows: their score with the new cluster changed; rows that pointed at a or b
        # are rescanned, the others only compare with it.
        column = scores(a)  # symmetric: row a is column a
        others = np.flatnonzero(alive)
        others = others[others != a]
        stale = others[(best[others] == a) | (best[others] == b)]
        if stale.size:
            rows = scores(stale)
            best[stale] = rows.argmax(axis=1)
            best_score[stale] = rows[np.arange(stale.size), best[stale]]
        fresh = others[(best[others] != a) & (best[others] != b)]
        better = fresh[column[fresh] > best_score[fresh]]
        best[better] = a
        best_score[better] = column[better]
    _, labels = np.unique(members, return_inverse=True)
    return labels.astype(np.int64)


def assign_people(tracks: FaceTracks, settings: FaceSettings) -> None:
    """Set ``person`` on every tracklet: 1, 2, ... by first appearance; 0 for dropped ones."""
    items = tracks.tracks
    if not items:
        return
    threshold = settings.cluster_similarity or DEFAULT_SIMILARITY.get(tracks.embedder, 0.8)
    emb = np.stack([t.embedding for t in items])
    spans = np.array([[t.frames[0], t.frames[-1]] for t in items])
    labels = cluster_tracklets(emb, spans, threshold)
    fps = float(tracks.fps)
    order: list[int] = []
    for label in labels[np.argsort(spans[:, 0], kind="stable")]:
        if label not in order:
            order.append(int(label))
    next_id = 1
    for label in order:
        members = [t for t, lab in zip(items, labels) if lab == label]
        frames = np.unique(np.concatenate([t.frames for t in members]))
        person = 0
        if len(frames) / fps >= settings.min_person_seconds:
            person, next_id = next_id, next_id + 1
        for t in members:
            t.person = person
    tracks.stats["tracklets"] = len(items)
    tracks.stats["cluster_similarity"] = threshold
