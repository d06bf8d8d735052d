"""Session fixtures: the bundled shoot analysed once with its microphones and once without
(the second run finds the angles' faces in the session's analysis cache), and a short shoot
cut from it with ffmpeg for the command-line tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from facetrack_otio.config import Settings
from facetrack_otio.multicam.result import MulticamAnalysis
from tests.multicam.helpers import SHOOT, Piece, offsets, short_piece

ANGLES = ("cam_wide.mp4", "cam_A.mp4", "cam_B.mp4")
MICS = ("mic_A.wav", "mic_B.wav")


def analyse(paths: list[Path], settings: Settings | None = None) -> MulticamAnalysis:
    """The whole multicam analysis of ``paths``, through the library."""
    from facetrack_otio.cache import AnalysisCache
    from facetrack_otio.multicam import analyse_shoot

    return analyse_shoot(paths, settings=settings, cache=AnalysisCache(), name="two_person")


def to_conversation(analysis: MulticamAnalysis) -> float:
    """Seconds to add to a shoot-clock time to get the conversation clock's."""
    wide = next(f for f in analysis.files if f.name == "cam_wide.mp4")
    return offsets()["cam_wide.mp4"] - wide.offset


@pytest.fixture(scope="session")
def with_mics() -> MulticamAnalysis:
    if not SHOOT.is_dir():
        pytest.skip("the shared multicam shoot is absent")
    return analyse([SHOOT / n for n in (*ANGLES, *MICS)])


@pytest.fixture(scope="session")
def without_mics(with_mics: MulticamAnalysis) -> MulticamAnalysis:
    # After with_mics: the faces come from the cache.
    return analyse([SHOOT / n for n in ANGLES])


@pytest.fixture(scope="session")
def short_shoot(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Piece]:
    """The shoot cut to about 12 s per file, each file starting at a time of its own."""
    if not SHOOT.is_dir():
        pytest.skip("the shared multicam shoot is absent")
    folder = tmp_path_factory.mktemp("short_shoot") / "interview"
    folder.mkdir()
    return {
        name: short_piece(name, folder) for name in ("cam_wide", "cam_A", "cam_B", "mic_A", "mic_B")
    }
