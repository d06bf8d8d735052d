"""Fixtures shared by the timeline and export tests (star-imported by their conftest files)."""

from __future__ import annotations

import opentimelineio as otio
import pytest

from facetrack_otio.media.probe import MediaInfo, probe
from facetrack_otio.timeline.build import build_timeline
from tests.timeline.helpers import SAMPLES, ntsc_info, ntsc_turns, people, rttm_turns


@pytest.fixture(scope="session")
def two_shot_info() -> MediaInfo:
    """samples/two_shot.mp4: 25 fps, 831 frames, audio."""
    return probe(SAMPLES / "two_shot.mp4")


@pytest.fixture(scope="session")
def hard_info() -> MediaInfo:
    """samples/hard.mp4: 29.97 fps with variable frame timing, audio."""
    return probe(SAMPLES / "hard.mp4")


@pytest.fixture(scope="session")
def ntsc_source(tmp_path_factory: pytest.TempPathFactory) -> MediaInfo:
    """29.97 fps, start timecode 01:00:00:00, a file name that needs URL escaping.

    The file need not exist: a timeline only points at it.
    """
    return ntsc_info(tmp_path_factory.mktemp("media") / "my clip #1.mov")


@pytest.fixture
def two_shot(two_shot_info: MediaInfo) -> otio.schema.Timeline:
    return build_timeline(two_shot_info, rttm_turns("two_shot"), people(1, 2))


@pytest.fixture
def hard(hard_info: MediaInfo) -> otio.schema.Timeline:
    return build_timeline(hard_info, rttm_turns("hard"), people(1, 2))


@pytest.fixture
def ntsc(ntsc_source: MediaInfo) -> otio.schema.Timeline:
    return build_timeline(ntsc_source, ntsc_turns(), people(1, 2))
