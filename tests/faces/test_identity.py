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


def _brute_force(embeddings: np.ndarray, spans: np.ndarray, threshold: float) -> np.ndarray:
    """Average linkage as defined: every pair of clusters compared at every merge."""
    sim = embeddings @ embeddings.T
    first, last = spans[:, 0], spans[:, 1]
    conflict = (first[:, None] <= last[None, :]) & (first[None, :] <= last[:, None])
    np.fill_diagonal(conflict, False)
    clusters = [[i] for i in range(len(embeddings))]
    while True:
        best, pair = threshold, None
        for a in range(len(clusters)):
            for b in range(a + 1, len(clusters)):
                ca, cb = clusters[a], clusters[b]
                if conflict[np.ix_(ca, cb)].any():
                    continue
                s = float(sim[np.ix_(ca, cb)].mean())
                if s >= best:
                    best, pair = s, (a, b)
        if pair is None:
            break
        clusters[pair[0]] += clusters.pop(pair[1])
    labels = np.empty(len(embeddings), dtype=np.int64)
    for k, members in enumerate(clusters):
        labels[members] = k
    return labels


def _partition(labels: np.ndarray) -> set[frozenset[int]]:
    return {frozenset(np.flatnonzero(labels == k).tolist()) for k in np.unique(labels)}


def test_matches_the_definition_on_random_data() -> None:
    rng = np.random.default_rng(7)
    for _ in range(25):
        n, k = int(rng.integers(2, 40)), int(rng.integers(1, 5))
        centres = rng.normal(size=(k, 16))
        emb = centres[rng.integers(0, k, n)] + rng.normal(scale=0.7, size=(n, 16))
        emb /= np.linalg.norm(emb, axis=1, keepdims=True)
        start = rng.integers(0, 200, n)
        spans = np.stack([start, start + rng.integers(0, 30, n)], axis=1)
        threshold = float(rng.uniform(0.2, 0.8))
        fast = cluster_tracklets(emb, spans, threshold)
        assert _partition(fast) == _partition(_brute_force(emb, spans, threshold))


def test_a_thousand_tracklets_of_a_hundred_people() -> None:
    # An hour of edited interview makes hundreds of tracklets; each person must come back
    # as one cluster and the clustering must stay near n^2 (bench/identity.py times it).
    rng = np.random.default_rng(3)
    people = rng.normal(size=(100, 128))
    who = np.repeat(np.arange(100), 10)
    emb = people[who] + rng.normal(scale=0.3, size=(1000, 128))
    emb /= np.linalg.norm(emb, axis=1, keepdims=True)
    start = rng.permutation(1000) * 50
    spans = np.stack([start, start + 40], axis=1)
    labels = cluster_tracklets(emb, spans, 0.5)
    assert _partition(labels) == _partition(who)
