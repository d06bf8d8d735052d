"""Voice activity detection: webrtcvad decisions gated by energy above an adaptive noise floor,
smoothed into speech segments.

webrtcvad alone fires on steady background noise (pink noise at 10 dB SNR, for one). Each
frame is therefore also required to stand out from a running estimate of the noise floor (a low
percentile of frame energies over a window of several seconds). The frame decisions are then
smoothed: short pauses inside speech are bridged, short bursts dropped, and the kept spans padded.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import webrtcvad

from facetrack_otio.media.audio import PcmFile, Samples
from facetrack_otio.speech.segments import SpeechSegment
from facetrack_otio.speech.settings import VadSettings

# Rates webrtcvad accepts; anything else is resampled to 16 kHz first.
_VAD_RATES = (8000, 16000, 32000, 48000)
# Energy reported for an all-zero frame, instead of -inf.
SILENCE_DBFS = -120.0
_FULL_SCALE = 32768.0


def _as_int16(pcm: np.ndarray) -> np.ndarray:
    """Int16 samples (callers check for mono first); floats are full scale at +-1.0."""
    a = np.asarray(pcm)
    if a.dtype == np.int16:
        return a
    if np.issubdtype(a.dtype, np.floating):
        return np.clip(np.round(a * _FULL_SCALE), -32768, 32767).astype(np.int16)
    if np.issubdtype(a.dtype, np.integer):
        return np.clip(a, -32768, 32767).astype(np.int16)
    raise ValueError(f"unsupported PCM dtype {a.dtype}")


def _check_mono(pcm: Samples) -> None:
    ndim = pcm.ndim if isinstance(pcm, PcmFile) else np.ndim(pcm)
    if ndim != 1:
        raise ValueError(f"expected mono PCM as a 1-D array, got shape {np.shape(pcm)}")


def _to_vad_rate(pcm: Samples, sample_rate: int) -> tuple[Samples, int]:
    if sample_rate <= 0:
        raise ValueError(f"sample_rate must be positive, got {sample_rate}")
    if sample_rate in _VAD_RATES:
        return pcm, sample_rate
    if isinstance(pcm, PcmFile):
        raise ValueError(f"decode at one of {_VAD_RATES} Hz, not {sample_rate}")
    # Imported here: scipy.signal takes over a second to import, and only odd rates need it.
    from scipy.signal import resample_poly

    resampled = resample_poly(_as_int16(pcm).astype(np.float64), 16000, sample_rate)
    return np.clip(np.round(resampled), -32768, 32767).astype(np.int16), 16000


# Frames per block: about 15 s of 30 ms frames. The energies of a block are taken in float64,
# two arrays of its size: 4096 frames made that 31 MB at once.
_BLOCK_FRAMES = 512


def _frame_blocks(pcm: Samples, frame_len: int) -> Iterator[tuple[int, np.ndarray]]:
    """(first frame, int16 frames of shape (k, frame_len)) over consecutive non-overlapping
    frames, a block at a time (a partial last frame is dropped).

    Blocks keep memory flat: ``pcm`` may be a :class:`PcmFile` of an hour, read by slices.
    """
    n = len(pcm) // frame_len
    for first in range(0, n, _BLOCK_FRAMES):
        k = min(_BLOCK_FRAMES, n - first)
        block = _as_int16(pcm[first * frame_len : (first + k) * frame_len])
        yield first, block.reshape(k, frame_len)


def _frame_db(pcm: Samples, frame_len: int) -> np.ndarray:
    """RMS energy in dBFS of consecutive non-overlapping frames (a partial last frame is
    dropped)."""
    n = len(pcm) // frame_len
    power = np.empty(n, dtype=np.float64)
    for first, frames in _frame_blocks(pcm, frame_len):
        block = frames.astype(np.float64) / _FULL_SCALE
        power[first : first + len(block)] = np.mean(block * block, axis=1)
    with np.errstate(divide="ignore"):
        db = 10.0 * np.log10(power)
    return np.maximum(db, SILENCE_DBFS)


def energy_envelope(
    pcm: Samples, sample_rate: int = 16000, hop: float = 0.02
) -> tuple[np.ndarray, np.ndarray]:
    """Short-time RMS energy of the audio, in dBFS.

    Parameters
    ----------
    pcm : numpy.ndarray or PcmFile
        Mono samples: int16, or floats with full scale at +-1.0.
    sample_rate : int
        Samples per second of ``pcm``.
    hop : float
        Frame length and step in seconds (frames do not overlap).

    Returns
    -------
    times : numpy.ndarray
        Centre of each frame in seconds, shape ``(n,)``.
    energy_db : numpy.ndarray
        RMS energy of each frame in dB relative to full scale (0 dBFS = a full-scale square
        wave; a full-scale sine is about -3 dBFS). All-zero frames read ``SILENCE_DBFS``
        (-120). Convert to linear amplitude with ``10 ** (energy_db / 20)``.
    """
    if hop <= 0:
        raise ValueError(f"hop must be > 0, got {hop}")
    if sample_rate <= 0:
        raise ValueError(f"sample_rate must be positive, got {sample_rate}")
    _check_mono(pcm)
    frame_len = max(1, round(hop * sample_rate))
    db = _frame_db(pcm, frame_len)
    step = frame_len / sample_rate
    times = (np.arange(len(db)) + 0.5) * step
    return times, db


def noise_floor(
    energy_db: np.ndarray, frame_s: float, window: float = 10.0, percentile: float = 10.0
) -> np.ndarray:
    """Running noise-floor estimate of a frame energy series.

    The floor at each frame is the ``percentile`` of the energies within ``window`` seconds
    centred on it, evaluated every half second and interpolated in between (so the cost stays
    linear in the length of the audio).

    Parameters
    ----------
    energy_db : numpy.ndarray
        Energy per frame in dB.
    frame_s : float
        Frame step in seconds.
    window : float
        Window length in seconds.
    percentile : float
        Percentile (0..100) taken as the floor.

    Returns
    -------
    numpy.ndarray
        Floor in dB per frame, same shape as ``energy_db``.
    """
    n = len(energy_db)
    if n == 0:
        return np.zeros(0)
    half = max(1, round(window / (2 * frame_s)))
    step = max(1, round(0.5 / frame_s))
    anchors = np.unique(np.r_[np.arange(0, n, step), n - 1])
    values = np.array(
        [
            np.percentile(energy_db[max(0, i - half) : min(n, i + half + 1)], percentile)
            for i in anchors
        ]
    )
    return np.interp(np.arange(n), anchors, values)


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """Half-open index ranges ``[start, end)`` of the True runs in ``mask``."""
    edges = np.diff(np.r_[0, mask.astype(np.int8), 0])
    starts = np.flatnonzero(edges == 1).tolist()
    ends = np.flatnonzero(edges == -1).tolist()
    return list(zip(starts, ends, strict=True))


def smooth_segments(
    spans: list[tuple[float, float]],
    duration: float,
    pad: float,
    min_speech: float,
    min_silence: float,
) -> list[tuple[float, float]]:
    """Bridge short pauses, drop short bursts, then pad and clip speech spans.

    Parameters
    ----------
    spans : list of (float, float)
        Sorted, non-overlapping raw speech spans in seconds.
    duration : float
        Length of the audio in seconds; padded spans are clipped to ``[0, duration]``.
    pad, min_speech, min_silence : float
        See :class:`VadSettings`.

    Returns
    -------
    list of (float, float)
        Sorted, non-overlapping spans.
    """
    merged: list[list[float]] = []
    for start, end in spans:
        if merged and start - merged[-1][1] < min_silence:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    kept = [(s, e) for s, e in merged if e - s >= min_speech]
    out: list[list[float]] = []
    for start, end in kept:
        s, e = max(0.0, start - pad), min(duration, end + pad)
        if e <= s:
            continue
        if out and s <= out[-1][1]:
            out[-1][1] = max(out[-1][1], e)
        else:
            out.append([s, e])
    return [(s, e) for s, e in out]


def speech_frames(
    pcm: Samples, sample_rate: int = 16000, settings: VadSettings | None = None
) -> tuple[np.ndarray, float]:
    """Per-frame speech decisions before smoothing.

    Parameters
    ----------
    pcm : numpy.ndarray or PcmFile
        Mono samples (int16, or floats with full scale at +-1.0), read a block at a time.
    sample_rate : int
        Samples per second; rates webrtcvad does not accept are resampled to 16 kHz.
    settings : VadSettings, optional
        Defaults to ``VadSettings()``.

    Returns
    -------
    flags : numpy.ndarray of bool
        One decision per frame of ``settings.frame_ms``.
    frame_s : float
        Frame length in seconds.
    """
    settings = settings or VadSettings()
    _check_mono(pcm)
    a, rate = _to_vad_rate(pcm, sample_rate)
    frame_len = rate * settings.frame_ms // 1000
    frame_s = frame_len / rate
    n = len(a) // frame_len
    if n == 0:
        return np.zeros(0, dtype=bool), frame_s
    db = _frame_db(a, frame_len)
    # The absolute floor goes first: it skips webrtcvad on silence, most of a quiet file.
    loud = db > settings.silence_dbfs
    if settings.energy_gate_db > 0:
        floor = noise_floor(db, frame_s, settings.noise_window, settings.noise_percentile)
        loud &= db >= floor + settings.energy_gate_db
    vad = webrtcvad.Vad(settings.aggressiveness)
    flags = np.zeros(n, dtype=bool)
    for first, frames in _frame_blocks(a, frame_len):
        for i in np.flatnonzero(loud[first : first + len(frames)]):
            flags[first + i] = vad.is_speech(frames[i].tobytes(), rate)
    return flags, frame_s


def detect_speech(
    pcm: Samples, sample_rate: int = 16000, settings: VadSettings | None = None
) -> list[SpeechSegment]:
    """Find the spans of ``pcm`` where someone speaks.

    Parameters
    ----------
    pcm : numpy.ndarray or PcmFile
        Mono samples: int16 as from ``decode_audio`` or ``read_audio``, or floats with full
        scale at +-1.0.
    sample_rate : int
        Samples per second; 8, 16, 32 or 48 kHz are used as is, other rates are resampled to
        16 kHz.
    settings : VadSettings, optional
        Tunables; ``VadSettings()`` when omitted.

    Returns
    -------
    list of SpeechSegment
        Sorted, non-overlapping segments in seconds from the start of ``pcm``; empty for empty
        or silent audio.
    """
    settings = settings or VadSettings()
    flags, frame_s = speech_frames(pcm, sample_rate, settings)
    duration = len(pcm) / sample_rate
    spans = [(s * frame_s, e * frame_s) for s, e in _runs(flags)]
    smoothed = smooth_segments(
        spans, duration, settings.pad, settings.min_speech, settings.min_silence
    )
    # Rounded to the microsecond so that frame arithmetic leaves no float noise in the output.
    return [SpeechSegment(round(s, 6), round(e, 6)) for s, e in smoothed]
