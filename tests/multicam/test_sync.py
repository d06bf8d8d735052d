"""Sync: files placed on one clock by their sound, to a fraction of a frame."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from facetrack_otio.errors import InputError
from facetrack_otio.multicam.shoot import parse_offsets, read_shoot, shoot_audio, sync_shoot
from facetrack_otio.multicam.sync import (
    SYNC_RATE,
    SyncError,
    coarse_offset,
    fine_offset,
    onset_envelope,
    place_files,
)
from tests.multicam.conftest import ANGLES, MICS
from tests.multicam.helpers import (
    FRAME,
    REAL,
    REAL_DEV,
    SHOOT,
    cut_video,
    needs_shoot,
    offsets,
    short_piece,
)


def _speechlike(seconds: float, seed: int) -> np.ndarray:
    """Bursts of filtered noise with pauses: onsets like syllables."""
    rng = np.random.default_rng(seed)
    n = int(seconds * SYNC_RATE)
    out = np.zeros(n, dtype=np.float32)
    t = 0
    while t < n:
        length = int(rng.uniform(0.08, 0.3) * SYNC_RATE)
        burst = rng.normal(size=length).astype(np.float32) * np.hanning(length)
        out[t : t + length] += burst[: n - t] * rng.uniform(0.2, 1.0)
        t += length + int(rng.uniform(0.05, 0.4) * SYNC_RATE)
    return out * 0.2


def test_offset_found_to_a_fraction_of_a_sample_despite_level_and_equalisation() -> None:
    room = _speechlike(30.0, 1)
    lag = 2.34567  # b starts this long after a
    shift = int(lag * SYNC_RATE)
    a = room[: 25 * SYNC_RATE]
    b = room[shift : shift + 20 * SYNC_RATE].copy()
    # Another microphone: 20 dB quieter, its own high-pass, its own hiss.
    b = np.diff(b, prepend=b[:1]) * 0.1 + np.random.default_rng(2).normal(size=len(b)) * 1e-3
    pair = coarse_offset(onset_envelope(a), onset_envelope(b.astype(np.float32)))
    assert abs(pair.lag - lag) < 0.03
    assert pair.confidence > 3
    fine = fine_offset(a, b.astype(np.float32), pair.lag)
    assert abs(fine - shift / SYNC_RATE) < 0.5 / SYNC_RATE


def test_unrelated_sounds_have_no_confident_offset() -> None:
    pair = coarse_offset(onset_envelope(_speechlike(20, 3)), onset_envelope(_speechlike(20, 4)))
    assert pair.confidence < 1.6


def test_silence_and_missing_audio_say_why() -> None:
    loud = onset_envelope(_speechlike(10, 5))
    silent = onset_envelope(np.zeros(10 * SYNC_RATE, dtype=np.float32))
    assert not silent.any()
    with pytest.raises(SyncError) as err:
        place_files([loud, silent, None], [None, None, None], {}, 2.0)
    assert err.value.reasons == {
        1: "its audio is silent: nothing to sync it by",
        2: "no audio stream to sync it by",
    }
    # By hand, both are placed; the others keep their sound's place.
    placed = place_files([loud, silent, None], [None, None, None], {1: 1.5, 2: -0.5}, 2.0)
    assert [p.method for p in placed] == ["reference", "hand", "hand"]
    assert [p.offset for p in placed] == [0.5, 2.0, 0.0]


@needs_shoot
def test_the_shoot_is_synced_within_a_frame_of_its_ground_truth() -> None:
    files = read_shoot([str(SHOOT / n) for n in (*ANGLES, *MICS)])
    assert [f.kind for f in files] == ["angle"] * 3 + ["mic"] * 2
    with shoot_audio(files) as pcms:
        placed = sync_shoot(files, pcms, {}, 2.0)
    truth = offsets()
    ref = placed[0]
    for f in placed:
        expected = truth[f.name] - truth[ref.name]
        assert abs((f.offset - ref.offset) - expected) < FRAME / 4, f.name
        assert f.placement is not None and f.placement.confidence >= 4
    assert min(f.offset for f in placed) == 0.0


@needs_shoot
def test_short_cuts_another_frame_rate_and_a_foreign_file(tmp_path: Path) -> None:
    pieces = [short_piece(n, tmp_path) for n in ("cam_wide", "mic_B")]
    # cam_B at 29.97 fps, starting at a time of its own.
    b = tmp_path / "cam_B_2997.mp4"
    cut_video(SHOOT / "cam_B.mp4", b, 5.0, 10.0, "-r", "30000/1001")
    b_start = 5.0 + offsets()["cam_B.mp4"]
    foreign = cut_video(REAL_DEV / "dev_two_shot.mp4", tmp_path / "other.mp4", 1.0, 10.0)
    files = read_shoot([str(pieces[0].path), str(b), str(pieces[1].path), str(foreign)])
    assert str(files[1].video.fps) == "30000/1001"
    with shoot_audio(files) as pcms:
        with pytest.raises(InputError) as err:
            sync_shoot(files, pcms, {}, 2.0)
        message = str(err.value)
        assert "other.mp4: no sound in common with the other files" in message
        assert "--offset other.mp4=SECONDS" in message and "\n" not in message
        placed = sync_shoot(files[:3], pcms[:3], {}, 2.0)
    starts = [pieces[0].start, b_start, pieces[1].start]
    for f, start in zip(placed, starts):
        assert abs((f.offset - placed[0].offset) - (start - starts[0])) < FRAME / 2, f.name


@needs_shoot
def test_a_file_without_audio_is_placed_by_hand_only(tmp_path: Path) -> None:
    mute = REAL / "LivePortrait__d13.mp4"
    files = read_shoot([str(SHOOT / "cam_wide.mp4"), str(SHOOT / "mic_A.wav"), str(mute)])
    with shoot_audio(files) as pcms:
        assert pcms[2] is None
        with pytest.raises(InputError, match=r"LivePortrait__d13.mp4: no audio stream"):
            sync_shoot(files, pcms, {}, 2.0)
        hand = parse_offsets(["LivePortrait__d13.mp4=-0.75"], files)
        placed = sync_shoot(files, pcms, hand, 2.0)
    assert placed[2].placement is not None and placed[2].placement.method == "hand"
    assert placed[2].offset - placed[0].offset == pytest.approx(-0.75)
    truth = offsets()
    assert (
        abs((placed[1].offset - placed[0].offset) - (truth["mic_A.wav"] - truth["cam_wide.mp4"]))
        < FRAME
    )


@needs_shoot
def test_offsets_must_name_a_file_given_and_not_the_first() -> None:
    files = read_shoot([str(SHOOT / "cam_wide.mp4"), str(SHOOT / "mic_A.wav")])
    with pytest.raises(InputError, match="cannot be placed itself"):
        parse_offsets(["cam_wide.mp4=1"], files)
    with pytest.raises(InputError, match="not one of the files"):
        parse_offsets(["cam_B.mp4=1"], files)
    with pytest.raises(InputError, match="not a number"):
        parse_offsets(["mic_A.wav=soon"], files)
    assert parse_offsets(["mic_A=2.5"], files) == {1: 2.5}


@needs_shoot
def test_inputs_need_an_angle_and_media() -> None:
    with pytest.raises(InputError, match="no video among the files"):
        read_shoot([str(SHOOT / "mic_A.wav")])
    with pytest.raises(InputError, match="a video, not an audio file"):
        read_shoot([str(SHOOT / "cam_wide.mp4")], {"host": str(SHOOT / "cam_A.mp4")})
    with pytest.raises(InputError, match="given twice"):
        read_shoot([str(SHOOT / "cam_wide.mp4"), str(SHOOT / "cam_wide.mp4")])
    named = read_shoot([str(SHOOT / "cam_wide.mp4")], {"host": str(SHOOT / "mic_A.wav")})
    assert [(f.kind, f.label) for f in named] == [("angle", "cam_wide"), ("mic", "host")]
