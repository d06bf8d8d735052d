"""A clip that ffmpeg reports as written but that is not whole is never kept.

ffmpeg 5 exits 0 when the disk fills up while it moves a clip's index to the front
(``+faststart``), leaving an MP4 without its ``moov`` box that no player opens.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from facetrack_otio.media.probe import isobmff_damage, probe
from facetrack_otio.render.pool import EncodeError, Encoder, Job
from facetrack_otio.render.settings import RenderSettings
from facetrack_otio.speakers.turns import SpeakerTurn
from tests.mutations import boxes

SAMPLES = Path(__file__).resolve().parents[2] / "samples"


@pytest.fixture(scope="module")
def whole(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("whole") / "whole.mp4"
    cmd = ["ffmpeg", "-v", "error", "-t", "1", "-i", str(SAMPLES / "two_shot.mp4")]
    subprocess.run([*cmd, "-c", "copy", str(out)], check=True)
    return out


def _encode(whole: Path, written: bytes, tmp_path: Path) -> Path:
    """Encode a job whose command 'writes' ``written`` and exits 0."""
    made = tmp_path / "made.mp4"
    made.write_bytes(written)
    job = Job(SpeakerTurn(1, 0.0, 1.0), tmp_path / "clip.mp4", 0, 0.0,
               args=lambda tmp: ["cp", str(made), str(tmp)])  # fmt: skip
    return Encoder("ffmpeg", probe(whole), RenderSettings(), 1).encode(job)


def test_a_clip_without_its_index_is_a_failure(whole: Path, tmp_path: Path) -> None:
    data = whole.read_bytes()
    (mdat,) = [b for b in boxes(data) if b.kind == b"mdat"]
    without_index = data[: mdat.end] if mdat.end < len(data) else data[: mdat.offset]
    assert isobmff_damage(tmp_path, need_index=True) is None  # not a file: nothing to say
    with pytest.raises(EncodeError, match="index, the moov atom, is missing"):
        _encode(whole, without_index, tmp_path)
    assert not (tmp_path / "clip.mp4").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["made.mp4"]


def test_a_whole_clip_is_kept(whole: Path, tmp_path: Path) -> None:
    assert _encode(whole, whole.read_bytes(), tmp_path) == tmp_path / "clip.mp4"
    assert isobmff_damage(tmp_path / "clip.mp4", need_index=True) is None
