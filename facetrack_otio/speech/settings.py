"""The speech stage's settings: voice activity detection (declared as
:mod:`facetrack_otio.setting` describes)."""

from __future__ import annotations

from dataclasses import dataclass

from facetrack_otio.setting import OneOf, Range, check, setting


@dataclass(frozen=True)
class VadSettings:
    """Tunables of :func:`detect_speech`.

    The defaults come from a grid search over mode, frame length, gate, noise window and
    percentile, pad, minimum speech and minimum silence, scored by frame-level speech F1 on all
    four bundled synthetic clips together (two at 38 dB SNR, one with an off-screen voice, one
    in 10 dB pink noise) and on the three clean ones with added pink (5 and 0 dB), brown (5 dB),
    white (10 dB) and stepped (25 to 8 dB) noise; they keep every bundled clip above 0.98 and
    give the best mean over the noisy set (``bench/speech_f1.py --noise`` prints both). The
    gate matters most in noise: without it webrtcvad takes most pink noise for speech. Higher
    gates (9 dB and up) lose the speech itself at 0 dB SNR.
    """

    aggressiveness: int = setting(
        3,
        "webrtcvad mode, 0 (lenient, more speech) to 3 (strict, less speech)",
        OneOf((0, 1, 2, 3)),
    )
    frame_ms: int = setting(
        30, "analysis frame length in milliseconds (what webrtcvad accepts)", OneOf((10, 20, 30))
    )
    # Seconds and decibels within what speech has: beyond, frame counts overflow.
    pad: float = setting(
        0.05,
        "seconds added before and after each kept speech span (word onsets and trailing "
        "consonants are quieter than the frames that trigger detection)",
        Range(0, 60),
    )
    min_speech: float = setting(
        0.2,
        "speech spans shorter than this (after bridging pauses) are dropped, seconds",
        Range(0, 60),
    )
    min_silence: float = setting(
        0.4,
        "pauses shorter than this between speech frames are bridged, seconds (commas and "
        "breaths stay part of the speech)",
        Range(0, 60),
    )
    energy_gate_db: float = setting(
        6.0,
        "a frame counts as speech only when its energy is at least this many dB above the "
        "local noise floor (0: no gate)",
        Range(0, 120),
    )
    noise_window: float = setting(
        10.0,
        "seconds of the sliding window over which the noise floor is estimated",
        Range(0, 3600, above=True, unit="s"),
    )
    noise_percentile: float = setting(
        10.0,
        "percentile of frame energies in the window taken as the noise floor (low enough "
        "that the window holds that share of non-speech frames)",
        Range(0, 100),
    )
    silence_dbfs: float = setting(
        -70.0, "frames quieter than this (dBFS) are never speech: digital silence, dither"
    )

    def __post_init__(self) -> None:
        check(self)
