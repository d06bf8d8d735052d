"""Voices: the trained encoder on real audio of the samples, and how voices are tied to faces."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from facetrack_otio.exports.rttm import read_rttm
from facetrack_otio.media.audio import decode_audio, read_audio
from facetrack_otio.media.probe import probe
from facetrack_otio.speakers.voice import (
    VoiceSettings,
    _fold_changes,
    _tie_voices,
    attribute_voices,
)
from facetrack_otio.speakers.voice_encoder import VoiceEncoder, mel_filters, mel_spectrogram
from facetrack_otio.speakers.windows import Window

SAMPLES = Path(__file__).resolve().parents[2] / "samples"


@pytest.fixture(scope="module")
def encoder() -> VoiceEncoder:
    return VoiceEncoder()


@pytest.fixture(scope="module")
def enter_exit() -> tuple[np.ndarray, list[tuple[str, float, float]]]:
    pcm = read_audio(probe(SAMPLES / "enter_exit.mp4"))
    (ref,) = read_rttm(SAMPLES / "enter_exit.rttm").values()
    return pcm, sorted(ref, key=lambda s: s[1])


def test_mel_filters_cover_the_band_once() -> None:
    fb = mel_filters()
    assert fb.shape == (40, 201)
    assert (fb >= 0).all()
    # Every bin between the first and last filter's peak is covered by one or two filters.
    covered = (fb > 0).sum(axis=0)
    assert covered[2:-2].min() >= 1 and covered.max() <= 2


def test_a_tone_lands_in_its_mel_band() -> None:
    t = np.arange(16000) / 16000
    low = mel_spectrogram(0.5 * np.sin(2 * np.pi * 300 * t)).mean(axis=0)
    high = mel_spectrogram(0.5 * np.sin(2 * np.pi * 3000 * t)).mean(axis=0)
    assert int(np.argmax(low)) < int(np.argmax(high))
    assert mel_spectrogram(np.zeros(16000)).shape == (101, 40)


def test_one_voice_is_more_alike_than_two(encoder, enter_exit) -> None:
    pcm, ref = enter_exit
    windows = {who: [(s, min(e, s + 2.0)) for w, s, e in ref if w == who] for who in "AB"}
    emb = {who: encoder.embed(pcm, spans) for who, spans in windows.items()}
    same = min(float((e @ e.T)[np.triu_indices(len(e), 1)].mean()) for e in emb.values())
    other = float((emb["A"] @ emb["B"].T).mean())
    assert same > other + 0.1, (same, other)


def test_the_file_and_the_array_give_the_same_embeddings(encoder, enter_exit) -> None:
    pcm, ref = enter_exit
    spans = [(s, e) for _, s, e in ref[:3]]
    with decode_audio(probe(SAMPLES / "enter_exit.mp4")) as from_file:
        assert np.allclose(encoder.embed(from_file, spans), encoder.embed(pcm, spans), atol=1e-5)


def _window(start: float, visible: tuple[int, ...], activity: tuple[float, ...]) -> Window:
    speaker = visible[0] if visible else 0
    cue = "single-face" if visible else "off-screen"
    return Window(start, start + 0.5, speaker, 0.9, cue, visible, (start, start + 0.5), activity)


def _tie(windows: list[Window], labels: list[int]) -> dict[int, int]:
    seeds = np.full(len(windows), -1)
    durations = np.array([w.duration for w in windows])
    return _tie_voices(windows, np.array(labels), seeds, durations, VoiceSettings(), True)


def test_a_listener_shown_during_an_off_screen_question_is_not_given_the_voice() -> None:
    # Voice 0 (the interviewer, never seen) speaks over shots of person 1 listening, mouth
    # still; voice 1 speaks while person 1 is shown with a moving mouth.
    question = [_window(t, (1,), (-0.3,)) for t in (0.0, 0.5, 1.0, 1.5)]
    answer = [_window(t, (1,), (0.4,)) for t in (2.0, 2.5, 3.0, 3.5)]
    assert _tie(question + answer, [0] * 4 + [1] * 4) == {0: -1, 1: 1}


def test_an_edited_interview_gives_each_voice_the_face_shown_most_with_it() -> None:
    # Voice 0 over person 1 (and a cutaway to silent person 3); voice 1 over person 2.
    first = [_window(t, (1,), (0.2,)) for t in (0.0, 0.5, 1.0)] + [_window(1.5, (3,), (0.0,))]
    second = [_window(t, (2,), (0.3,)) for t in (2.0, 2.5, 3.0)]
    assert _tie(first + second, [0] * 4 + [1] * 3) == {0: 1, 1: 2}


def test_voices_nobody_is_seen_with_are_numbered_in_order_of_first_appearance() -> None:
    windows = [_window(t, (), ()) for t in (0.0, 0.5, 1.0)] + [_window(1.5, (1,), (0.5,))]
    assert _tie(windows, [1, 0, 1, 2]) == {1: -1, 0: -2, 2: 1}


def test_without_faces_voices_are_the_speakers() -> None:
    windows = [_window(t, (), ()) for t in (0.0, 0.5, 1.0)]
    seeds = np.full(3, -1)
    tied = _tie_voices(windows, np.array([0, 1, 0]), seeds, np.full(3, 0.5), VoiceSettings(), False)
    assert tied == {0: 1, 1: 2}


def test_a_voice_over_goes_to_its_speaker_and_an_unknown_voice_stays_off_screen(
    encoder, enter_exit
) -> None:
    pcm, ref = enter_exit
    windows = []
    for who, s, e in ref:
        segment = (s, e)
        for a in np.arange(s, e - 0.25, 0.5):
            b = min(e, a + 0.5)
            if 25.0 < s < 28.0:  # A's voice-over: nobody on screen
                windows.append(Window(a, b, 0, 0.5, "off-screen", (), segment))
            else:  # both on screen, the speaker's mouth clearly moving
                p = {"A": 1, "B": 2}[who]
                w = Window(a, b, p, 0.95, "mouth-motion", (1, 2), segment, (0.5, 0.0))
                windows.append(w)
    voices = attribute_voices(windows, pcm, VoiceSettings(), encoder)
    over = [w for w in voices.windows if 25.0 < w.start < 28.0]
    assert over and all(w.speaker == 1 and w.cue == "voice" for w in over)
    # Only A is ever seen: B's speech, heard with nobody on screen, is a voice of its own.
    only_a = []
    for who, s, e in ref:
        for a in np.arange(s, e - 0.25, 0.5):
            b = min(e, a + 0.5)
            if who == "A":
                only_a.append(Window(a, b, 1, 0.9, "single-face", (1,), (s, e), (0.4,)))
            else:
                only_a.append(Window(a, b, 0, 0.5, "off-screen", (), (s, e)))
    voices = attribute_voices(only_a, pcm, VoiceSettings(), encoder)
    heard = [w for w, o in zip(voices.windows, only_a) if o.speaker == 0]
    assert len(heard) >= 10 and {w.speaker for w in heard} == {-1}
    assert {w.speaker for w, o in zip(voices.windows, only_a) if o.speaker == 1} == {1}
    assert voices.off_screen == [-1]


def _handover(segments: list[tuple[float, float]]) -> tuple[list[Window], np.ndarray]:
    """Windows of 0.5 s: voice A for 2 s, 1 s of a blend, voice B for 2 s."""
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(2, 256))
    blend = a + b + rng.normal(scale=0.5, size=256)
    emb = np.stack([a] * 4 + [blend] * 2 + [b] * 4)
    emb /= np.linalg.norm(emb, axis=1, keepdims=True)
    windows = []
    for i in range(10):
        t = 0.5 * i
        seg = next(s for s in segments if s[0] <= t < s[1])
        windows.append(Window(t, t + 0.5, 0, 0.0, "voice", segment=seg))
    return windows, emb


def test_a_blend_where_one_voice_hands_over_to_another_is_no_one() -> None:
    windows, emb = _handover([(0.0, 5.0)])
    labels = np.array([0] * 4 + [2] * 2 + [1] * 4)
    unseeded = np.zeros(10, dtype=bool)
    folded = _fold_changes(labels, emb, windows, unseeded, context=1.5)
    assert len(set(folded[:4])) == len(set(folded[6:])) == 1 and folded[0] != folded[9]
    assert set(folded[4:6]) <= {folded[0], folded[9]} and len(set(folded)) == 2
    # A voice of its own stretch of speech (a pause either side), one the mouths vouch for, or
    # one heard longer than a hand-over lasts is somebody.
    apart, _ = _handover([(0.0, 2.0), (2.0, 3.0), (3.0, 5.0)])
    assert len(set(_fold_changes(labels, emb, apart, unseeded, context=1.5))) == 3
    seeded = unseeded.copy()
    seeded[4] = True
    assert len(set(_fold_changes(labels, emb, windows, seeded, context=1.5))) == 3
    assert len(set(_fold_changes(labels, emb, windows, unseeded, context=0.4))) == 3
