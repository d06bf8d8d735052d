"""Shared fixtures for the render tests: real analyses, made once per test session."""

from __future__ import annotations

from pathlib import Path

import opentimelineio as otio
import pytest

from facetrack_otio.cache import AnalysisCache
from facetrack_otio.pipeline import SpeakerPipeline

SAMPLES = Path(__file__).resolve().parents[2] / "samples"


@pytest.fixture(scope="session")
def pipeline() -> SpeakerPipeline:
    # With the session's analysis cache: the samples' faces, found by the command-line runs
    # of the same samples, are analysed once (the cache gives back the same tracks).
    return SpeakerPipeline(cache=AnalysisCache())


@pytest.fixture(scope="session")
def two_shot_timeline(pipeline: SpeakerPipeline) -> otio.schema.Timeline:
    """two_shot.mp4 (1280x720, two people side by side) as the analysis sees it."""
    return pipeline(SAMPLES / "two_shot.mp4").timeline()


@pytest.fixture(scope="session")
def hard_timeline(pipeline: SpeakerPipeline) -> otio.schema.Timeline:
    """hard.mp4 (854x480, variable frame timing, a face half out of frame), analysed."""
    return pipeline(SAMPLES / "hard.mp4").timeline()
