from __future__ import annotations

import numpy as np

from facetrack_otio.faces.identity import cluster_tracklets


def _unit(*v: float) -> np.ndarray:
    a = np.asarray(v, dtype=np.float64)
    return a / np.linalg.norm(a)


def test_similar_tracklets_join_and_different_ones_do_not() -> None:
    emb = np.stack([_unit(1, 0, 0), _unit(0.98, 0.2, 0), _unit(0, 1, 0), _unit(0.1, 0.99, 0)])
    spans = np.array([[0, 10], [20, 30], [40, 50], [60, 70]])
    labels = cluster_tracklets(emb, spans, 0.9)
    assert labels[0] == labels[1] != labels[2] == labels[3]


def test_tracklets_seen_together_never_join() -> None:
    # Identical descriptors, but seen in the same frames: two people (cannot-link).
    emb = np.stack([_unit(1, 0), _unit(1, 0), _unit(1, 0)])
    spans = np.array([[0, 10], [5, 15], [20, 30]])
    labels = cluster_tracklets(emb, spans, 0.5)
    assert labels[0] != labels[1]
    assert labels[2] in (labels[0], labels[1])


def test_cannot_link_holds_for_whole_clusters() -> None:
    # 0 and 2 overlap; 1 is like both. Once 1 joins 0, 2 cannot join that cluster.
    emb = np.stack([_unit(1, 0), _unit(1, 0.05), _unit(1, 0.1)])
    spans = np.array([[0, 10], [20, 30], [5, 8]])
    labels = cluster_tracklets(emb, spans, 0.5)
    assert labels[0] != labels[2]
    assert len(set(labels.tolist())) == 2


def test_empty() -> None:
    assert cluster_tracklets(np.zeros((0, 4)), np.zeros((0, 2)), 0.5).shape == (0,)
