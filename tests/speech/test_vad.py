"""Voice activity detection on the bundled media."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from facetrack_otio.eval.speech import speech_f1, speech_scores
from facetrack_otio.media.audio import read_audio
from facetrack_otio.media.probe import probe
from facetrack_otio.speech.segments import SpeechSegment
from facetrack_otio.speech.vad import (
    SILENCE_DBFS,
    VadSettings,
    detect_speech,
    energy_envelope,
    noise_floor,
    smooth_segments,
    speech_frames,
)
from tests.speech.conftest import REAL, REPO, SAMPLES, SYNTHETIC

Audio = Callable[[str], np.ndarray]
Reference = Callable[[str], list[tuple[float, float]]]

# Speech in the real clip, measured on its 10 ms energy envelope (noise floor about -72 dBFS,
# speech -20 to -50 dBFS): voice from 0.07 to 6.35 s and from 7.25 s to the end at 8.0 s, with
# pauses of 0.2-0.4 s near 3.2 s and 4.6 s. Keeping such short pauses inside the speech, as
# the synthetic ground truth does, gives 7.03 s; cutting out every pause of 0.1 s or more
# gives 6.55 s.
REAL_SPEECH_S = 7.03
REAL_PAUSE = (6.5, 7.1)


def spans(segments: list[SpeechSegment]) -> list[tuple[float, float]]:
    return [(s.start, s.end) for s in segments]


def check_well_formed(segments: list[SpeechSegment], duration: float) -> None:
    for a, b in itertools.pairwise(segments):
        assert a.end < b.start
    if segments:
        assert segments[0].start >= 0
        assert segments[-1].end <= duration + 1e-9


@pytest.mark.parametrize("name", SYNTHETIC)
def test_speech_f1_on_synthetic_clips(name: str, audio: Audio, reference: Reference) -> None:
    pcm = audio(name)
    segments = detect_speech(pcm)
    check_well_formed(segments, len(pcm) / 16000)
    scores = speech_scores(reference(name), spans(segments))
    print(f"{name}: P={scores.precision:.3f} R={scores.recall:.3f} F1={scores.f1:.3f}")
    assert scores.f1 >= 0.90
    # One segment per utterance, give or take: the pauses between turns are found.
    n_turns = len(reference(name))
    assert n_turns // 2 <= len(segments) <= 2 * n_turns


def test_noise_gate_removes_false_alarms_in_noise(audio: Audio, reference: Reference) -> None:
    # 10 dB pink noise: webrtcvad alone calls some of the noise speech.
    pcm = audio("hard")
    ref = reference("hard")
    gated = speech_scores(ref, spans(detect_speech(pcm)))
    plain = speech_scores(ref, spans(detect_speech(pcm, settings=VadSettings(energy_gate_db=0))))
    assert gated.precision > plain.precision + 0.03
    assert gated.f1 > plain.f1


def test_real_speaker_speech_time(audio: Audio) -> None:
    pcm = audio(REAL)
    segments = detect_speech(pcm)
    found = sum(s.duration for s in segments)
    print(f"real clip: {found:.2f} s of speech in {len(pcm) / 16000:.2f} s: {spans(segments)}")
    assert abs(found - REAL_SPEECH_S) <= 0.15 * REAL_SPEECH_S
    # The one long pause is silence; the talk on either side of it is speech.
    assert not any(s.start < REAL_PAUSE[1] and s.end > REAL_PAUSE[0] for s in segments)
    assert any(s.start <= 1.0 <= s.end for s in segments)
    assert any(s.start <= 7.6 <= s.end for s in segments)


def test_digital_silence_has_no_speech(silent_clip: Path) -> None:
    pcm = read_audio(probe(silent_clip))
    assert len(pcm) > 16000 * 2.5
    assert not np.any(pcm)
    assert detect_speech(pcm) == []


SHARED_SILENT = REPO.parent / "shared" / "samples" / "real" / "LivePortrait__d3.mp4"


@pytest.mark.skipif(not SHARED_SILENT.exists(), reason="shared samples not present")
def test_real_silent_audio_track_has_no_speech() -> None:
    pcm = read_audio(probe(SHARED_SILENT))
    assert len(pcm) > 16000
    assert detect_speech(pcm) == []


def test_empty_and_tiny_input() -> None:
    assert detect_speech(np.zeros(0, dtype=np.int16)) == []
    assert detect_speech(np.zeros(100, dtype=np.int16)) == []


def test_other_sample_rates_match_16k(audio: Audio, reference: Reference) -> None:
    info = probe(SAMPLES / "two_shot.mp4")
    ref = reference("two_shot")
    base = spans(detect_speech(audio("two_shot")))
    for rate in (48000, 44100):  # one used as is, one resampled
        found = spans(detect_speech(read_audio(info, sample_rate=rate), sample_rate=rate))
        assert speech_f1(ref, found) >= 0.95
        assert speech_f1(base, found) >= 0.97


def test_float_input_matches_int16(audio: Audio) -> None:
    pcm = audio("cuts")
    assert detect_speech(pcm.astype(np.float32) / 32768.0) == detect_speech(pcm)


def test_rejects_multichannel_and_bad_settings() -> None:
    with pytest.raises(ValueError):
        detect_speech(np.zeros((1600, 2), dtype=np.int16))
    with pytest.raises(ValueError):
        VadSettings(frame_ms=25)
    with pytest.raises(ValueError):
        VadSettings(aggressiveness=4)
    with pytest.raises(ValueError):
        VadSettings(pad=-0.1)


def test_stricter_settings_find_less_speech(audio: Audio) -> None:
    pcm = audio("enter_exit")
    default = VadSettings()
    loose = sum(s.duration for s in detect_speech(pcm, settings=default))
    no_pad = sum(s.duration for s in detect_speech(pcm, settings=replace(default, pad=0.0)))
    split = detect_speech(pcm, settings=replace(default, min_silence=0.1, pad=0.0))
    assert no_pad < loose
    # Bridging no pauses splits utterances at their commas and word gaps.
    assert len(split) > len(detect_speech(pcm, settings=replace(default, pad=0.0)))


def test_speech_frames_are_framed_as_asked(audio: Audio) -> None:
    pcm = audio("two_shot")
    for frame_ms in (10, 20, 30):
        flags, frame_s = speech_frames(pcm, settings=VadSettings(frame_ms=frame_ms))
        assert frame_s == pytest.approx(frame_ms / 1000)
        assert len(flags) == len(pcm) // (16 * frame_ms)
        assert 0.6 < flags.mean() < 0.95  # about 80 % of two_shot is speech


def test_smooth_segments_bridges_drops_and_pads() -> None:
    raw = [(1.0, 2.0), (2.1, 3.0), (5.0, 5.05), (7.0, 8.0), (9.95, 10.0)]
    out = smooth_segments(raw, duration=10.0, pad=0.1, min_speech=0.2, min_silence=0.3)
    assert out == [(0.9, 3.1), (6.9, 8.1)]
    # Padding that makes neighbours touch merges them; padding stops at the ends.
    out = smooth_segments([(0.05, 1.0), (1.5, 9.98)], 10.0, pad=0.3, min_speech=0, min_silence=0)
    assert out == [(0.0, 10.0)]


def test_energy_envelope_levels() -> None:
    rate = 16000
    t = np.arange(rate) / rate
    sine = (32767 * np.sin(2 * np.pi * 500 * t)).astype(np.int16)
    pcm = np.concatenate([sine, np.zeros(rate, dtype=np.int16)])
    times, db = energy_envelope(pcm, rate, hop=0.02)
    assert len(times) == len(db) == 100
    assert times[0] == pytest.approx(0.01)
    assert np.allclose(np.diff(times), 0.02)
    assert np.allclose(db[:50], -3.01, atol=0.01)  # full-scale sine, whole cycles per frame
    assert np.all(db[50:] == SILENCE_DBFS)


def test_energy_envelope_follows_real_speech(audio: Audio) -> None:
    times, db = energy_envelope(audio(REAL))
    assert times[-1] == pytest.approx(8.0, abs=0.02)
    talk = db[(times > 0.5) & (times < 2.5)]
    pause = db[(times > REAL_PAUSE[0]) & (times < REAL_PAUSE[1])]
    assert np.median(talk) - np.median(pause) > 30


def test_noise_floor_tracks_noise_not_speech(audio: Audio) -> None:
    _, db = energy_envelope(audio("hard"), hop=0.03)
    floor = noise_floor(db, 0.03)
    assert floor.shape == db.shape
    # In hard the noise runs about 13 dB under the speech; the floor sits with the noise.
    assert np.all(floor < np.median(db) - 3)
    assert np.all(floor > np.percentile(db, 1) - 1)
    assert np.ptp(floor) < 3
