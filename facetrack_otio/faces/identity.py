"""People from tracklets: cluster the embeddings of the whole video after the pass.

A sliding gallery forgets: someone who leaves and comes back later gets a new id. Here every
tracklet is described by the mean of a few descriptors of its best faces; when the video is
done, tracklets are joined by average-linkage clustering on cosine similarity, with one hard
rule: two tracklets seen in the same frame are two different people.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from facetrack_otio.clustering import average_linkage

if TYPE_CHECKING:
    from facetrack_otio.faces.settings import FaceSettings
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
    """Average-linkage clustering of tracklets; two seen in the same frame never join.

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
    if not len(embeddings):
        return np.zeros(0, dtype=np.int64)
    return average_linkage(embeddings, threshold, cannot_link=_overlaps(np.asarray(spans)))


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
