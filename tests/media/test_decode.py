"""Analysis frames from the ffmpeg pipe, on the real samples."""

from __future__ import annotations

import os
import sys
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from facetrack_otio.machine import cores
from facetrack_otio.media import decode
from facetrack_otio.media.decode import analysis_rate, analysis_size, iter_frames
from facetrack_otio.media.probe import probe

SAMPLES = Path(__file__).resolve().parents[2] / "samples"


def _frames(clip: str, **kw: object) -> np.ndarray:
    info = probe(SAMPLES / f"{clip}.mp4")
    size, fps = analysis_size(info, 640), analysis_rate(info, 12.5)
    return np.stack([f.image for f in iter_frames(info, size, fps, **kw)])  # type: ignore[arg-type]


@pytest.mark.parametrize("clip", ["hard", "cuts"])
def test_frames_without_deblocking_stay_close_to_exact_ones(clip: str) -> None:
    exact = _frames(clip, deblock=True)
    fast = _frames(clip, deblock=False)
    assert fast.shape == exact.shape
    diff = fast.astype(np.float32) - exact.astype(np.float32)
    mse = (diff**2).reshape(len(diff), -1).mean(axis=1)
    psnr = 10 * np.log10(255.0**2 / np.maximum(mse, 1e-6))
    # Not the same decode (H.264 deblocking really is skipped), but close at this size.
    assert mse.max() > 0
    assert psnr.min() > 38, psnr.min()


def test_decoder_threads_leave_a_core_to_the_analysis() -> None:
    saved = decode._cores
    try:
        decode.set_decoder_cores(0)
        assert decode.decoder_threads() == max(1, cores() - 1)
        decode.set_decoder_cores(4)
        assert decode.decoder_threads() == 3
        decode.set_decoder_cores(1)
        assert decode.decoder_threads() == 1
    finally:
        decode.set_decoder_cores(saved)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="pipe sizes are Linux's")
def test_pipe_is_widened_to_hold_a_frame() -> None:
    import fcntl

    r, w = os.pipe()
    try:
        before = fcntl.fcntl(r, fcntl.F_GETPIPE_SZ)
        decode._widen_pipe(r, 640 * 360 * 3)
        after = fcntl.fcntl(r, fcntl.F_GETPIPE_SZ)
        assert before < 640 * 360 * 3 <= after
        decode._widen_pipe(r, 1 << 40)  # more than allowed: capped, still works
        assert fcntl.fcntl(r, fcntl.F_GETPIPE_SZ) >= after
    finally:
        os.close(r)
        os.close(w)


def test_the_analysis_rate_divides_the_source_rate_and_keeps_two_frames() -> None:
    info = probe(SAMPLES / "two_shot.mp4")  # 25 fps
    assert analysis_rate(info, 12.5) == 12.5
    assert analysis_rate(info, 12.4) == Fraction(25, 3)
    assert analysis_rate(info, 1e6) == 25
    # A cap far below one frame per video is computed at once, and still gives two frames.
    low = analysis_rate(info, 1e-300)
    assert low == Fraction(25, info.n_frames // 2)
    frames = list(iter_frames(info, analysis_size(info, 160), low))
    assert len(frames) >= 2
