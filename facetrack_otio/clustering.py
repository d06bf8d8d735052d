"""Average-linkage clustering of descriptors, with the constraints faces and voices need.

Shared by the face identity stage (tracklets into people: two tracklets seen in the same frame
are two people) and the voice stage (stretches of speech into voices: stretches a moving mouth
tied to different people are two voices; stretches tied to one person are one voice).

Two clusters join while the mean similarity of their members is at least a threshold, the most
similar pair first. Each row keeps its best partner, so a merge rescans only the rows that
pointed at the merged pair: near n^2 work in all (1,000 items in a quarter second), where
comparing every pair of clusters at every merge grew past n^3. Memory is n^2: longer inputs
are clustered in blocks (:func:`cluster_in_blocks`).
"""

from __future__ import annotations

import numpy as np


def average_linkage(
    embeddings: np.ndarray,
    threshold: float,
    cannot_link: np.ndarray | None = None,
    groups: np.ndarray | None = None,
    weights: np.ndarray | None = None,
    n_clusters: int | None = None,
) -> np.ndarray:
    """Cluster L2-normalised ``embeddings`` by average cosine similarity.

    Parameters
    ----------
    embeddings : np.ndarray
        (N, D) descriptors (cosine similarity is their dot product).
    threshold : float
        Clusters join while their average similarity is at least this.
    cannot_link : np.ndarray, optional
        (N, N) bool: True where two items must end in different clusters.
    groups : np.ndarray, optional
        (N,) int: items sharing a group >= 0 start as one cluster; -1 starts alone.
    weights : np.ndarray, optional
        (N,) how many members each item stands for (an item may be a cluster's mean).
    n_clusters : int, optional
        Merge, whatever the threshold, until this many clusters remain (or no allowed merge
        is left); the threshold then plays no part.

    Returns
    -------
    np.ndarray
        (N,) label per item, 0..K-1, numbered in order of each cluster's first item.
    """
    n = len(embeddings)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    emb = np.asarray(embeddings, dtype=np.float64)
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=np.float64)
    total = (emb @ emb.T) * w[:, None] * w[None, :]  # summed member similarities
    blocked = np.zeros((n, n), dtype=bool) if cannot_link is None else cannot_link.copy()
    size = w.copy()
    alive = np.ones(n, dtype=bool)
    members = np.arange(n)  # the cluster (its first item) of each item

    def join(a: int, b: int) -> None:
        total[a] += total[b]
        total[:, a] = total[a]
        blocked[a] |= blocked[b]
        blocked[:, a] = blocked[a]
        size[a] += size[b]
        alive[b] = False
        members[members == b] = a

    if groups is not None:
        first: dict[int, int] = {}
        for i, g in enumerate(np.asarray(groups)):
            if g >= 0:
                if g in first:
                    join(first[g], i)
                else:
                    first[g] = i
        if any(blocked[i, i] for i in first.values()):
            raise ValueError("a group holds items that cannot be linked")
    np.fill_diagonal(blocked, True)

    def scores(rows: np.ndarray | int) -> np.ndarray:
        avg = total[rows] / (size[rows, None] if np.ndim(rows) else size[rows]) / size
        return np.where(blocked[rows] | ~alive, -np.inf, avg)

    everyone = np.flatnonzero(alive)
    best = np.zeros(n, dtype=np.int64)
    best_score = np.full(n, -np.inf)
    if everyone.size:
        rows = scores(everyone)
        best[everyone] = rows.argmax(axis=1)
        best_score[everyone] = rows[np.arange(everyone.size), best[everyone]]
    while True:
        if n_clusters is not None and int(alive.sum()) <= n_clusters:
            break
        a = int(best_score.argmax())
        if not np.isfinite(best_score[a]):
            break
        if n_clusters is None and not best_score[a] >= threshold:
            break
        b = int(best[a])
        a, b = min(a, b), max(a, b)  # the earlier cluster keeps its place
        join(a, b)
        best_score[b] = -np.inf
        row = scores(a)
        best[a], best_score[a] = int(row.argmax()), float(row.max())
        # Other rows: their score with the new cluster changed; rows that pointed at a or b
        # are rescanned, the others only compare with it (row a is column a).
        others = np.flatnonzero(alive)
        others = others[others != a]
        stale = others[(best[others] == a) | (best[others] == b)]
        if stale.size:
            rows = scores(stale)
            best[stale] = rows.argmax(axis=1)
            best_score[stale] = rows[np.arange(stale.size), best[stale]]
        fresh = others[(best[others] != a) & (best[others] != b)]
        better = fresh[row[fresh] > best_score[fresh]]
        best[better] = a
        best_score[better] = row[better]
    _, labels = np.unique(members, return_inverse=True)
    return labels.astype(np.int64)


def cluster_in_blocks(
    embeddings: np.ndarray,
    threshold: float,
    groups: np.ndarray | None = None,
    block: int = 1000,
    n_clusters: int | None = None,
) -> np.ndarray:
    """:func:`average_linkage` in bounded memory: consecutive blocks of ``block`` items are
    clustered alone, then the blocks' clusters (as weighted means) are clustered together.

    Parameters
    ----------
    embeddings : np.ndarray
        (N, D) L2-normalised descriptors, in time order.
    threshold : float
        As for :func:`average_linkage`.
    groups : np.ndarray, optional
        (N,) int: items of one group >= 0 end in one cluster, items of two different groups
        in two; -1 for free items.
    block : int
        Items clustered at once (memory grows with its square).
    n_clusters : int, optional
        Clusters wanted in the end (the threshold then only shapes the blocks).
    """
    n = len(embeddings)
    groups = np.full(n, -1) if groups is None else np.asarray(groups)

    def apart(g: np.ndarray) -> np.ndarray:
        return (g[:, None] >= 0) & (g[None, :] >= 0) & (g[:, None] != g[None, :])

    if n <= block:
        return average_linkage(embeddings, threshold, apart(groups), groups, None, n_clusters)
    means, weights, group_of, owner = [], [], [], np.zeros(n, dtype=np.int64)
    for start in range(0, n, block):
        part = slice(start, min(n, start + block))
        g = groups[part]
        labels = average_linkage(embeddings[part], threshold, apart(g), g)
        for k in range(int(labels.max()) + 1):
            idx = np.flatnonzero(labels == k)
            mean = embeddings[part][idx].mean(axis=0)
            means.append(mean / max(float(np.linalg.norm(mean)), 1e-9))
            weights.append(len(idx))
            tagged = g[idx][g[idx] >= 0]
            group_of.append(int(tagged[0]) if tagged.size else -1)
            owner[start + idx] = len(means) - 1
    merged = (
        cluster_in_blocks(np.stack(means), threshold, np.array(group_of), block, n_clusters)
        if len(means) > block
        else average_linkage(
            np.stack(means),
            threshold,
            apart(np.array(group_of)),
            np.array(group_of),
            np.array(weights, dtype=np.float64),
            n_clusters,
        )
    )
    _, labels = np.unique(merged[owner], return_inverse=True)
    return labels.astype(np.int64)
