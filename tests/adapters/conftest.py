"""Fixtures for the OTIO plugin tests: real reads are few and shared by the session."""

from __future__ import annotations

import subprocess
from pathlib import Path

import opentimelineio as otio
import pytest

from facetrack_otio.media.probe import probe
from facetrack_otio.speakers.turns import Person, SpeakerTurn
from facetrack_otio.timeline import build_timeline

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "samples"
REAL = SAMPLES / "SadTalker__WDA_AlexandriaOcasioCortez_000.mp4"
DTD = ROOT / "tests" / "data" / "FCPXMLv1_8.dtd"


@pytest.fixture(scope="session")
def real_timeline() -> otio.schema.Timeline:
    """The real clip (8 s, one person) read through the adapter by name, person 1 named."""
    return otio.adapters.read_from_file(str(REAL), adapter_name="facetrack", names="1=Alice")


@pytest.fixture(scope="session")
def short_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The first 2 s of the real clip, for the reads that add to the one of the whole clip."""
    out = tmp_path_factory.mktemp("short") / "short.mp4"
    cut = ["-t", "2", "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac"]
    subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-i", str(REAL), *cut, str(out)], check=True
    )
    return out


@pytest.fixture(scope="session")
def two_turns(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A saved timeline of the real clip with two known turns of person 1 (no analysis)."""
    info = probe(REAL)
    turns = [SpeakerTurn(1, 0.5, 1.7, 0.9, "single-face"), SpeakerTurn(1, 2.0, 3.1, 0.8, "voice")]
    timeline = build_timeline(info, turns, [Person(1, "Speaker 1")])
    path = tmp_path_factory.mktemp("saved") / "talk.otio"
    otio.adapters.write_to_file(timeline, str(path), adapter_name="otio_json")
    return path
