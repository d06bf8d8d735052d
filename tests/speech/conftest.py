"""Audio of the bundled samples, decoded once per test session."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from facetrack_otio.exports.rttm import read_rttm
from facetrack_otio.media.audio import read_audio
from facetrack_otio.media.probe import probe

REPO = Path(__file__).resolve().parents[2]
SAMPLES = REPO / "samples"
SYNTHETIC = ("two_shot", "cuts", "enter_exit", "hard")
REAL = "SadTalker__WDA_AlexandriaOcasioCortez_000"


@pytest.fixture(scope="session")
def audio() -> Callable[[str], np.ndarray]:
    """Decode ``samples/<name>.mp4`` to 16 kHz mono int16 (cached)."""
    cache: dict[str, np.ndarray] = {}

    def load(name: str) -> np.ndarray:
        if name not in cache:
            cache[name] = read_audio(probe(SAMPLES / f"{name}.mp4"))
        return cache[name]

    return load


@pytest.fixture(scope="session")
def reference() -> Callable[[str], list[tuple[float, float]]]:
    """All speakers' turns of ``samples/<name>.rttm`` as (start, end) spans."""

    def load(name: str) -> list[tuple[float, float]]:
        turns = read_rttm(SAMPLES / f"{name}.rttm").values()
        return [(s, e) for uri_turns in turns for _, s, e in uri_turns]

    return load


@pytest.fixture(scope="session")
def silent_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 3 s sample whose audio track is digital silence."""
    if shutil.which("ffmpeg") is None:
        pytest.skip("ffmpeg not installed")
    out = tmp_path_factory.mktemp("silent") / "silent.mp4"
    cmd = ["ffmpeg", "-nostdin", "-v", "error", "-y", "-i", str(SAMPLES / "two_shot.mp4")]
    cmd += ["-t", "3", "-c:v", "copy", "-af", "volume=0", "-c:a", "aac", str(out)]
    subprocess.run(cmd, check=True, capture_output=True)
    return out
