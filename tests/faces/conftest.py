"""One face analysis per sample clip for the whole test session (the slow part)."""

from __future__ import annotations

from pathlib import Path

import pytest

from facetrack_otio.config import FaceSettings
from facetrack_otio.faces.analyze import FaceAnalyzer
from facetrack_otio.faces.tracks import FaceTracks
from facetrack_otio.media.probe import MediaInfo, probe

SAMPLES = Path(__file__).resolve().parents[2] / "samples"
REAL = "SadTalker__WDA_AlexandriaOcasioCortez_000"
CROWD = "facenet-pytorch__video"


@pytest.fixture(scope="session")
def analyzer() -> FaceAnalyzer:
    return FaceAnalyzer(FaceSettings(device="cpu"))


@pytest.fixture(scope="session")
def analyses(analyzer: FaceAnalyzer) -> dict[str, tuple[MediaInfo, FaceTracks]]:
    """clip -> (probed source, face tracks), computed on first use."""
    cache: dict[str, tuple[MediaInfo, FaceTracks]] = {}

    class Lazy(dict):  # type: ignore[type-arg]
        def __missing__(self, clip: str) -> tuple[MediaInfo, FaceTracks]:
            info = probe(SAMPLES / f"{clip}.mp4")
            cache[clip] = (info, analyzer.analyze(info))
            return cache[clip]

    return Lazy()
