"""Audio decoded into a file and read by slices, on the real samples."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from facetrack_otio.errors import MediaError
from facetrack_otio.media.audio import PcmFile, decode_audio, read_audio
from facetrack_otio.media.probe import probe
from facetrack_otio.speech.vad import detect_speech

SAMPLES = Path(__file__).resolve().parents[2] / "samples"


def test_slices_read_the_decoded_samples() -> None:
    info = probe(SAMPLES / "two_shot.mp4")
    whole = read_audio(info)
    with decode_audio(info) as pcm:
        assert len(pcm) == len(whole) == pytest.approx(info.duration * 16000, abs=1600)
        assert pcm.duration == pytest.approx(len(whole) / 16000)
        np.testing.assert_array_equal(pcm[:], whole)
        np.testing.assert_array_equal(pcm[16000:16100], whole[16000:16100])
        np.testing.assert_array_equal(pcm[-50:], whole[-50:])
        assert pcm[len(pcm) : len(pcm) + 10].size == 0
        assert pcm[:].dtype == np.int16
        folder = pcm.path.parent
        assert folder.exists()
    assert not folder.exists()  # closing removes the temporary file and its folder


def test_speech_is_the_same_from_file_and_memory() -> None:
    info = probe(SAMPLES / "hard.mp4")
    with decode_audio(info) as pcm:
        from_file = detect_speech(pcm)
    assert from_file == detect_speech(read_audio(info))
    assert from_file


def test_no_audio_stream_gives_an_empty_file(tmp_path: Path) -> None:
    import subprocess

    silent = tmp_path / "video only.mp4"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(SAMPLES / "two_shot.mp4"), "-t", "1", "-an",
         "-c:v", "copy", str(silent)],
        check=True,
    )  # fmt: skip
    with decode_audio(probe(silent)) as pcm:
        assert len(pcm) == 0 and pcm[:].size == 0
        assert detect_speech(pcm) == []


def test_a_missing_stream_is_a_media_error() -> None:
    with pytest.raises(MediaError, match="no audio stream 3"):
        decode_audio(probe(SAMPLES / "two_shot.mp4"), stream=3)


def test_only_plain_slices_are_read(tmp_path: Path) -> None:
    raw = tmp_path / "a.s16le"
    np.arange(100, dtype="<i2").tofile(raw)
    pcm = PcmFile(raw, 16000)
    assert pcm[10:13].tolist() == [10, 11, 12]
    with pytest.raises(TypeError):
        pcm[3]
    with pytest.raises(ValueError):
        pcm[::2]
    pcm.close()
    assert raw.exists()  # not made by decode_audio: left alone
