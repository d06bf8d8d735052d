"""Shared material for the timeline and export tests: sources, turns, and frame arithmetic."""

from __future__ import annotations

import math
from fractions import Fraction
from pathlib import Path

import opentimelineio as otio

from facetrack_otio.exports.rttm import read_rttm
from facetrack_otio.media.probe import MediaInfo
from facetrack_otio.speakers.turns import Person, SpeakerTurn
from facetrack_otio.timeline.meta import facetrack_md

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "samples"
DTD_1_8 = ROOT / "tests" / "data" / "FCPXMLv1_8.dtd"
NTSC = Fraction(30000, 1001)


def rttm_turns(name: str) -> list[SpeakerTurn]:
    """The ground-truth turns of a sample, speakers A, B, ... as person 1, 2, ..."""
    segments = read_rttm(SAMPLES / f"{name}.rttm")[name]
    labels = sorted({s for s, _, _ in segments})
    ids = {label: i + 1 for i, label in enumerate(labels)}
    return [SpeakerTurn(ids[s], a, b, confidence=0.9, cue="mouth-motion") for s, a, b in segments]


def people(*ids: int) -> list[Person]:
    return [Person(i, f"Speaker {i}", screen_time=10.0, speaking_time=5.0) for i in ids]


def ntsc_info(path: Path, timecode: str | None = "01:00:00:00", audio: bool = True) -> MediaInfo:
    """A 29.97 fps source of 20 s (599 frames) with a start timecode."""
    return MediaInfo(
        path=str(path),
        width=1920,
        height=1080,
        fps=NTSC,
        duration=20.0,
        n_frames=599,
        audio_streams=(0,) if audio else (),
        audio_sample_rate=48000 if audio else 0,
        start_timecode=timecode,
        video_codec="prores",
    )


def ntsc_turns() -> list[SpeakerTurn]:
    return [
        SpeakerTurn(1, 0.5, 4.2, 0.95, "mouth-motion"),
        SpeakerTurn(2, 3.9, 8.0, 0.7, "voice"),  # overlaps the end of the first
        SpeakerTurn(0, 9.0, 12.0, 0.5, "off-screen"),
        SpeakerTurn(1, 12.0, 15.5, 0.8, "single-face"),  # starts where the last one ends
        SpeakerTurn(2, 19.5, 25.0, 0.9, "mouth-motion"),  # runs past the end of the source
    ]


def frame(seconds: float, fps: Fraction) -> int:
    """Independent frame snapping: nearest frame boundary, halves up."""
    return math.floor(Fraction(seconds) * fps + Fraction(1, 2))


def expected_program(turns: list[SpeakerTurn], fps: Fraction, total: int) -> list[int | None]:
    """Who holds the program at each frame, by brute force over frames.

    At each frame the covering turn that started last wins (ties: surer, then listed later).
    """
    snapped = []
    for i, t in enumerate(sorted(turns, key=lambda t: (t.start, t.end, t.speaker))):
        f0 = min(max(frame(t.start, fps), 0), total)
        f1 = min(max(frame(t.end, fps), 0), total)
        if f1 > f0:
            snapped.append((f0, f1, t.confidence, i, t.speaker))
    owners: list[int | None] = []
    for f in range(total):
        covering = [s for s in snapped if s[0] <= f < s[1]]
        owners.append(max(covering)[4] if covering else None)
    return owners


def track_frames(track: otio.schema.Track) -> list[tuple[str, int, int, int | None]]:
    """(kind, first frame, end frame, speaker) of each item of a track, in track time."""
    out = []
    for item in track:
        r = item.range_in_parent()
        speaker = None
        if isinstance(item, otio.schema.Clip):
            speaker = facetrack_md(item).get("speaker")
        out.append(
            (
                item.schema_name(),
                round(r.start_time.value),
                round(r.end_time_exclusive().value),
                speaker,
            )
        )
    return out


def cut_points(track: otio.schema.Track) -> list[int]:
    """Frames where clips of the track start and end, in track time."""
    cuts = set()
    for item in track:
        if isinstance(item, otio.schema.Clip):
            r = item.range_in_parent()
            cuts.add(round(r.start_time.value))
            cuts.add(round(r.end_time_exclusive().value))
    return sorted(cuts)
