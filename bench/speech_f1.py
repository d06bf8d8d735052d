"""Speech / non-speech agreement of the voice activity detector on the bundled samples.

For each synthetic clip the reference is the union of all speakers' turns in its RTTM; the
real single-speaker clip has no reference, so only its detected speech time is shown. Each
clip is scored with the default settings and, for comparison, without the noise-floor gate.

With ``--noise`` the three clean clips are also scored with noise added (seeded, so the numbers
repeat): pink at 5 and 0 dB SNR, brown at 5 dB, white at 10 dB, and pink noise that steps from
25 to 8 dB SNR halfway through. SNR is the mean power over the reference speech divided by
the noise power, as the samples' metadata defines it.

Usage::

    python bench/speech_f1.py [--noise] [SAMPLES_DIR]
"""

from __future__ import annotations

import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from facetrack_otio.eval.speech import speech_scores
from facetrack_otio.exports.rttm import read_rttm
from facetrack_otio.media.audio import read_audio
from facetrack_otio.media.probe import probe
from facetrack_otio.speech.vad import VadSettings, detect_speech

CLIPS = ("two_shot", "cuts", "enter_exit", "hard")
CLEAN = ("two_shot", "cuts", "enter_exit")
REAL = "SadTalker__WDA_AlexandriaOcasioCortez_000"
RATE = 16000


def coloured_noise(n: int, exponent: float, rng: np.random.Generator) -> np.ndarray:
    """Unit-variance noise with power falling as 1/f**exponent (0 white, 1 pink, 2 brown)."""
    spectrum = np.fft.rfft(rng.standard_normal(n))
    f = np.arange(len(spectrum), dtype=np.float64)
    f[0] = 1.0
    x = np.fft.irfft(spectrum / f ** (exponent / 2), n)
    return x / x.std()


def add_noise(
    pcm: np.ndarray, ref: list[tuple[float, float]], noise: np.ndarray, snr_db: np.ndarray | float
) -> np.ndarray:
    speech = np.zeros(len(pcm), dtype=bool)
    for s, e in ref:
        speech[int(s * RATE) : int(e * RATE)] = True
    power = np.mean(pcm[speech].astype(np.float64) ** 2)
    mixed = pcm + noise * np.sqrt(power / 10 ** (np.asarray(snr_db) / 10))
    return np.clip(np.round(mixed), -32768, 32767).astype(np.int16)


def row(name: str, ref: list[tuple[float, float]], pcm: np.ndarray, settings: VadSettings) -> str:
    t0 = time.perf_counter()
    segments = detect_speech(pcm, RATE, settings)
    ms = 1000 * (time.perf_counter() - t0)
    hyp = [(s.start, s.end) for s in segments]
    ungated = replace(settings, energy_gate_db=0.0)
    plain = [(s.start, s.end) for s in detect_speech(pcm, RATE, ungated)]
    if not ref:
        found = sum(e - s for s, e in hyp)
        return f"{name:<44} {'-':>7} {found:7.2f} {'-':>6} {'-':>6} {'-':>6} {'-':>10} {ms:6.0f}"
    sc = speech_scores(ref, hyp)
    f1_plain = speech_scores(ref, plain).f1
    return (
        f"{name:<44} {sc.reference:7.2f} {sc.hypothesis:7.2f} {sc.precision:6.3f} "
        f"{sc.recall:6.3f} {sc.f1:6.3f} {f1_plain:10.3f} {ms:6.0f}"
    )


def main(argv: list[str]) -> int:
    args = [a for a in argv[1:] if a != "--noise"]
    noisy = "--noise" in argv[1:]
    samples = Path(args[0]) if args else Path(__file__).resolve().parents[1] / "samples"
    settings = VadSettings()
    print(f"settings: {settings}")
    print(
        f"{'clip':<44} {'ref s':>7} {'hyp s':>7} {'prec':>6} {'recall':>6} {'F1':>6} "
        f"{'F1 ungated':>10} {'ms':>6}"
    )
    audio: dict[str, np.ndarray] = {}
    refs: dict[str, list[tuple[float, float]]] = {}
    for name in (*CLIPS, REAL):
        media = samples / f"{name}.mp4"
        if not media.exists():
            print(f"{name:<44} missing")
            continue
        audio[name] = read_audio(probe(media), RATE)
        rttm = samples / f"{name}.rttm"
        turns = read_rttm(rttm).values() if rttm.exists() else []
        refs[name] = [(s, e) for uri_turns in turns for _, s, e in uri_turns]
        print(row(name, refs[name], audio[name], settings))
    if not noisy:
        return 0
    rng = np.random.default_rng(0)
    print()
    for label, exponent, snr in (
        ("pink 5 dB", 1.0, 5.0),
        ("pink 0 dB", 1.0, 0.0),
        ("brown 5 dB", 2.0, 5.0),
        ("white 10 dB", 0.0, 10.0),
        ("pink 25 -> 8 dB", 1.0, None),
    ):
        for name in CLEAN:
            if name not in audio:
                continue
            pcm, ref = audio[name], refs[name]
            noise = coloured_noise(len(pcm), exponent, rng)
            level = snr if snr is not None else np.where(np.arange(len(pcm)) < len(pcm) // 2, 25, 8)
            print(row(f"{name} + {label}", ref, add_noise(pcm, ref, noise, level), settings))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
