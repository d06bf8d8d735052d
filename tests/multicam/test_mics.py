"""Microphones tied to faces, on arrays made by hand."""

from __future__ import annotations

import numpy as np

from facetrack_otio.multicam.mics import HOP, mic_turns, tie_mics


def test_each_microphone_goes_to_the_mouth_that_moves_with_it() -> None:
    rng = np.random.default_rng(0)
    fps, n = 10.0, 600  # a minute of faces at 10 fps
    talk_1 = (np.arange(n) // 37) % 3 == 0  # when person 1 talks
    talk_x = (np.arange(n) // 23) % 4 == 1  # someone no camera shows
    visible = np.zeros((n, 3), dtype=bool)
    visible[:, 1] = True
    visible[:, 2] = True
    activity = np.full((n, 3), np.nan, dtype=np.float32)
    activity[:, 1] = talk_1 * 2.0 + rng.normal(0, 0.3, n)
    activity[:, 2] = rng.normal(0, 0.3, n)  # person 2 never talks
    per_face = round(1 / (fps * HOP))
    mics = [np.repeat(talk_1, per_face), np.repeat(talk_x, per_face)]
    owners, corr = tie_mics(mics, 0.0, visible, activity, fps, 0.0, 0.2)
    assert owners == [1, None]
    assert corr[0, 1] > 0.8 and abs(corr[1, 2]) < 0.2
    turns = mic_turns([[(1.0, 2.5)], [(3.0, 4.0)]], [1, 3])
    assert [(t.speaker, t.cue) for t in turns] == [(1, "microphone"), (3, "microphone")]
