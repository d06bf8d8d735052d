"""Voice models on the real audio of the samples."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from facetrack_otio.exports.rttm import read_rttm
from facetrack_otio.media.decode import read_audio
from facetrack_otio.media.probe import probe
from facetrack_otio.speakers.turns import OFF_SCREEN_ID, SpeakerTurn
from facetrack_otio.speakers.voice import attribute_by_voice, mfcc

SAMPLES = Path(__file__).resolve().parents[2] / "samples"


@pytest.fixture(scope="module")
def enter_exit() -> tuple[np.ndarray, list[tuple[str, float, float]]]:
    pcm = read_audio(probe(SAMPLES / "enter_exit.mp4"))
    (ref,) = read_rttm(SAMPLES / "enter_exit.rttm").values()
    return pcm, sorted(ref, key=lambda s: s[1])


def test_mfcc_shape() -> None:
    feats = mfcc(np.zeros(16000, dtype=np.int16))
    assert feats.shape == (98, 20)
    assert np.isfinite(feats).all()


def test_voice_over_goes_to_its_speaker(enter_exit) -> None:
    pcm, ref = enter_exit
    ids = {"A": 1, "B": 2}
    turns = []
    for who, start, end in ref:
        if 25.0 < start < 28.0:  # the voice-over: A speaks with no face on screen
            turns.append(SpeakerTurn(OFF_SCREEN_ID, start, end, 0.5, "off-screen"))
        else:
            turns.append(SpeakerTurn(ids[who], start, end, 0.9, "mouth-motion"))
    out = attribute_by_voice(turns, pcm)
    (over,) = [t for t in out if 25.0 < t.start < 28.0]
    assert over.speaker == 1 and over.cue == "voice"
    assert [t.speaker for t in out if t is not over] == [t.speaker for t in turns if t.speaker]


def test_unknown_voice_stays_off_screen(enter_exit) -> None:
    # Only A's voice is known; B's speech, heard off-screen, must not be given to A.
    pcm, ref = enter_exit
    turns = [
        SpeakerTurn(1, s, e, 0.9, "mouth-motion")
        if who == "A"
        else SpeakerTurn(OFF_SCREEN_ID, s, e, 0.5, "off-screen")
        for who, s, e in ref
    ]
    out = attribute_by_voice(turns, pcm)
    assert [t.speaker for t in out] == [t.speaker for t in turns]


def test_seen_turns_are_never_changed(enter_exit) -> None:
    pcm, ref = enter_exit
    wrong = [SpeakerTurn(2 if who == "A" else 1, s, e, 0.95, "mouth-motion") for who, s, e in ref]
    assert attribute_by_voice(wrong, pcm) == wrong
