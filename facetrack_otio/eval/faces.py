"""Face verification and clustering scores for a set of labelled face descriptors."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Verification:
    """Every same-person pair against every different-person pair.

    Attributes
    ----------
    eer : float
        Equal error rate: where false accepts and false rejects are equal (their mean at the
        threshold that brings them closest).
    eer_threshold : float
        The similarity at which that happens.
    tar_at_far1 : float
        True accepts at the threshold that lets 1% of different-person pairs through.
    lowest_same, highest_other : float
        The hardest pairs of each kind.
    """

    eer: float
    eer_threshold: float
    tar_at_far1: float
    lowest_same: float
    highest_other: float


def verification(embeddings: np.ndarray, labels: list[str] | np.ndarray) -> Verification:
    """Verification scores of L2-normalised ``embeddings`` (N, D) with person ``labels``.

    Parameters
    ----------
    embeddings : np.ndarray
        One descriptor per face, L2-normalised (cosine similarity is the dot product).
    labels : sequence of str
        The person of each face.
    """
    labels = np.asarray(labels)
    sim = embeddings @ embeddings.T
    upper = np.triu_indices(len(labels), 1)
    same = (labels[:, None] == labels[None, :])[upper]
    scores = sim[upper]
    pos, neg = scores[same], scores[~same]
    if not len(pos) or not len(neg):
        raise ValueError("need same-person and different-person pairs")
    thresholds = np.unique(scores)
    far = (neg[None, :] >= thresholds[:, None]).mean(axis=1)
    frr = (pos[None, :] < thresholds[:, None]).mean(axis=1)
    i = int(np.argmin(np.abs(far - frr)))
    at_far1 = float(np.quantile(neg, 0.99))
    return Verification(
        eer=float((far[i] + frr[i]) / 2),
        eer_threshold=float(thresholds[i]),
        tar_at_far1=float((pos > at_far1).mean()),
        lowest_same=float(pos.min()),
        highest_other=float(neg.max()),
    )
