"""Voice models on the real audio of the samples."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from facetrack_otio.exports.rttm import read_rttm
from facetrack_otio.media.audio import decode_audio, read_audio
from facetrack_otio.media.probe import probe
from facetrack_otio.speakers.turns import OFF_SCREEN_ID, SpeakerTurn
from facetrack_otio.speakers.voice import (
    VoiceSettings,
    attribute_by_voice,
    learn_voices,
    mfcc,
    training_features,
)

SAMPLES = Path(__file__).resolve().parents[2] / "samples"


@pytest.fixture(scope="module")
def enter_exit() -> tuple[np.ndarray, list[tuple[str, float, float]]]:
    pcm = read_audio(probe(SAMPLES / "enter_exit.mp4"))
    (ref,) = read_rttm(SAMPLES / "enter_exit.rttm").values()
    return pcm, sorted(ref, key=lambda s: s[1])


def voice_over_turns(ref: list[tuple[str, float, float]]) -> list[SpeakerTurn]:
    """The reference turns as vision would give them: A's voice-over (25-28 s) off-screen."""
    return [
        SpeakerTurn(OFF_SCREEN_ID, s, e, 0.5, "off-screen")
        if 25.0 < s < 28.0
        else SpeakerTurn({"A": 1, "B": 2}[who], s, e, 0.9, "mouth-motion")
        for who, s, e in ref
    ]


def test_mfcc_shape() -> None:
    feats = mfcc(np.zeros(16000, dtype=np.int16))
    assert feats.shape == (98, 20)
    assert np.isfinite(feats).all()


def test_voice_over_goes_to_its_speaker(enter_exit) -> None:
    pcm, ref = enter_exit
    turns = voice_over_turns(ref)
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


def test_voices_read_from_a_file_decide_the_same(enter_exit) -> None:
    pcm, ref = enter_exit
    turns = voice_over_turns(ref)
    with decode_audio(probe(SAMPLES / "enter_exit.mp4")) as from_file:
        assert attribute_by_voice(turns, from_file) == attribute_by_voice(turns, pcm)


def test_long_training_is_sampled_and_still_tells_voices_apart(enter_exit) -> None:
    # A cap far below the speech each person has: models learn from one second in k.
    pcm, ref = enter_exit
    turns = voice_over_turns(ref)
    feats = mfcc(pcm)

    def features(t: SpeakerTurn) -> np.ndarray:
        return feats[int(t.start / 0.01) : int(t.end / 0.01)]

    capped = VoiceSettings(max_training=4.0)
    sampled = training_features(turns, features, capped)
    full = training_features(turns, features, VoiceSettings())
    for person in (1, 2):
        kept = sum(len(c) for c in sampled[person])
        have = sum(len(c) for c in full[person])
        assert 300 <= kept <= 500 < have  # about 4 s of the 8-10 s each person speaks
    models = learn_voices(sampled, capped)
    (over,) = [t for t in turns if t.speaker == OFF_SCREEN_ID]
    assert models[1].loglik(features(over)) > models[2].loglik(features(over)) + 1.0
