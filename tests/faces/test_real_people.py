"""Telling real people apart: 61 photos of 13 people (../shared/samples/faces, needs the
shared test media; skipped without it)."""

from __future__ import annotations

import csv
from pathlib import Path

import cv2
import numpy as np
import pytest

from facetrack_otio.eval.faces import verification
from facetrack_otio.faces.identity import DEFAULT_SIMILARITY, cluster_tracklets

FACES = Path(__file__).resolve().parents[3] / "shared" / "samples" / "faces"

pytestmark = pytest.mark.skipif(not FACES.is_dir(), reason="../shared/samples/faces is absent")


@pytest.fixture(scope="module")
def photos(analyzer) -> tuple[np.ndarray, list[str], str]:
    """The descriptor of the largest face in each photo, its person, the embedder's name."""
    embs, people = [], []
    with open(FACES / "labels.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    for row in rows:
        image = cv2.cvtColor(cv2.imread(str(FACES / row["file"])), cv2.COLOR_BGR2RGB)
        (dets,) = analyzer.detect([image])
        assert len(dets), row["file"]
        largest = dets[[int(np.argmax(dets.area))]]
        embs.append(analyzer.embedder.embed(image, largest)[0])
        people.append(row["person"])
    return np.stack(embs), people, analyzer.embedder.name


def test_the_default_embedder_is_a_trained_network(photos) -> None:
    assert photos[2] == "dlib-resnet-v1"


def test_verification_equal_error_rate_is_at_most_one_percent(photos) -> None:
    embs, people, _ = photos
    v = verification(embs, people)
    assert v.eer <= 0.01, v
    assert v.tar_at_far1 >= 0.98, v


def test_the_shipped_threshold_finds_the_thirteen_people(photos) -> None:
    embs, people, name = photos
    spans = np.stack([np.arange(len(embs))] * 2, axis=1)  # photos: never seen together
    labels = cluster_tracklets(embs, spans, DEFAULT_SIMILARITY[name])
    found = {frozenset(np.flatnonzero(labels == k)) for k in np.unique(labels)}
    truth = {frozenset(i for i, p in enumerate(people) if p == person) for person in set(people)}
    assert found == truth
