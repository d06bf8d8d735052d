"""Build the OpenTimelineIO timeline an editor receives from the speaker turns.

Layout (see docs/editors.md for what each export keeps of it):

- ``Program`` (V1): the whole source, cut at every speaker change. While turns overlap, the turn
  that started later holds the program until it ends; then the earlier one, if still going,
  takes it back. Stretches where nobody speaks are ``No speaker`` clips.
- one video track per person with turns (V2, V3, ... by person id, off-screen speech last), named
  after the person: their turns at their original place, gaps elsewhere.
- ``Audio`` (A1): the source audio, uncut (only when the source has audio).

An audio-only source gets the same tracks, all of them audio tracks, at 25 fps.

Every cut is on a source frame boundary; times are frames at the source's exact rate, counted
from the source's embedded start timecode so clips relink at the right place.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import opentimelineio as otio

from facetrack_otio import __version__
from facetrack_otio.media.probe import MediaInfo
from facetrack_otio.speakers.turns import Person, SpeakerTurn, default_name, person_order
from facetrack_otio.text import display_name
from facetrack_otio.timeline.meta import (
    AUDIO_TRACK,
    NAMESPACE,
    NO_SPEAKER,
    PROGRAM_TRACK,
    ROLE_AUDIO,
    ROLE_PROGRAM,
    ROLE_SPEAKER,
    SCHEMA_VERSION,
    jsonable,
    marker_color,
    timecode_frames,
)

# Keys of the timeline's metadata["facetrack"] that ``extra`` may not replace.
RESERVED_KEYS = frozenset(
    {"schema_version", "generator", "source", "frames", "settings", "people", "turns"}
)

# Reframe keyframes: seconds to the millisecond, boxes to 1/10000 of the frame (0.2 px at 2K).
_T_DECIMALS = 3
_BOX_DECIMALS = 4


@dataclass(frozen=True)
class _FrameTurn:
    """A turn snapped to source frames: ``[f0, f1)``, counted from the first frame."""

    index: int
    turn: SpeakerTurn
    f0: int
    f1: int

    @property
    def speaker(self) -> int:
        return self.turn.speaker

    @property
    def frames(self) -> int:
        return self.f1 - self.f0


@dataclass
class _Span:
    """A run of frames ``[f0, f1)`` given to one speaker (None: nobody) on a track."""

    speaker: int | None
    f0: int
    f1: int
    pieces: list[tuple[_FrameTurn, int]]  # (turn, frames of it inside the span)


def seconds_to_frame(seconds: float, fps: Fraction) -> int:
    """Index of the frame boundary nearest to ``seconds`` at rate ``fps`` (halves round up)."""
    return math.floor(Fraction(seconds) * fps + Fraction(1, 2))


def total_frames(info: MediaInfo) -> int:
    """Length of the source in frames at its nominal rate.

    The duration decides (an editor lays a variable-frame-rate file out at its nominal rate
    over its duration); the stream's frame count is the fallback.
    """
    if info.duration > 0:
        return max(1, seconds_to_frame(info.duration, info.fps))
    return max(0, info.n_frames)


def _frame_turns(turns: Sequence[SpeakerTurn], total: int, fps: Fraction) -> list[_FrameTurn]:
    out = []
    for i, turn in enumerate(turns):
        f0 = min(max(seconds_to_frame(turn.start, fps), 0), total)
        f1 = min(max(seconds_to_frame(turn.end, fps), 0), total)
        if f1 > f0:  # shorter than a frame once snapped: nothing to cut
            out.append(_FrameTurn(i, turn, f0, f1))
    return out


def _program_spans(fturns: Sequence[_FrameTurn], total: int) -> list[_Span]:
    """Who holds the program from frame 0 to ``total``, merged per speaker."""
    bounds = sorted({0, total, *(t.f0 for t in fturns), *(t.f1 for t in fturns)})
    pending = sorted(fturns, key=lambda t: t.f0)
    next_turn = 0
    active: list[_FrameTurn] = []
    spans: list[_Span] = []
    for a, b in itertools.pairwise(bounds):
        # Every turn edge is a bound, so a turn covers [a, b) iff it started and has not ended.
        while next_turn < len(pending) and pending[next_turn].f0 <= a:
            active.append(pending[next_turn])
            next_turn += 1
        active = [t for t in active if t.f1 > a]
        # Later start wins; on a tie the surer turn, then the one listed later.
        owner = max(active, key=lambda t: (t.f0, t.turn.confidence, t.index), default=None)
        speaker = owner.speaker if owner is not None else None
        piece = [(owner, b - a)] if owner is not None else []
        if spans and spans[-1].speaker == speaker:
            spans[-1].f1 = b
            spans[-1].pieces.extend(piece)
        else:
            spans.append(_Span(speaker, a, b, piece))
    return spans


def _person_spans(fturns: Sequence[_FrameTurn], speaker: int) -> list[_Span]:
    """One person's turns as non-overlapping spans (overlapping or touching turns merged)."""
    spans: list[_Span] = []
    for t in sorted((t for t in fturns if t.speaker == speaker), key=lambda t: (t.f0, t.f1)):
        if spans and t.f0 <= spans[-1].f1:
            spans[-1].f1 = max(spans[-1].f1, t.f1)
            spans[-1].pieces.append((t, t.frames))
        else:
            spans.append(_Span(speaker, t.f0, t.f1, [(t, t.frames)]))
    return spans


def _reframe_rows(rows: np.ndarray | None, t0: float, t1: float) -> list[list[float]]:
    """Keyframes for a clip over ``[t0, t1)`` seconds of the source.

    Every sample inside the range, plus the nearest sample on each side of it, so that a
    renderer can interpolate over the whole clip even when samples are sparse.
    """
    if rows is None or len(rows) == 0:
        return []
    # rows are sorted by time: the inside is [i0, i1), widened by one row on each side
    i0 = int(np.searchsorted(rows[:, 0], t0, side="left"))
    i1 = int(np.searchsorted(rows[:, 0], t1, side="left"))
    keep = range(max(i0 - 1, 0), min(i1 + 1, len(rows)))
    return [
        [round(float(rows[i, 0]), _T_DECIMALS)]
        + [round(float(v), _BOX_DECIMALS) for v in rows[i, 1:5]]
        for i in keep
    ]


def _clean_reframe(reframe: Mapping[int, np.ndarray] | None) -> dict[int, np.ndarray]:
    out: dict[int, np.ndarray] = {}
    for pid, arr in (reframe or {}).items():
        a = np.asarray(arr, dtype=float)
        if a.size == 0:
            continue
        if a.ndim != 2 or a.shape[1] < 5:
            raise ValueError(f"reframe[{pid}] must have shape (N, 5), got {a.shape}")
        a = a[np.isfinite(a[:, :5]).all(axis=1), :5]  # unseen face: no keyframe
        out[int(pid)] = a[np.argsort(a[:, 0], kind="stable")]
    return out


def _span_metadata(span: _Span, fps: Fraction, reframe: Mapping[int, np.ndarray]) -> dict:
    if span.speaker is None:
        return {"speaker": None}
    frames = sum(n for _, n in span.pieces) or 1
    confidence = sum(t.turn.confidence * n for t, n in span.pieces) / frames
    cue_frames: dict[str, int] = {}
    for t, n in span.pieces:
        cue_frames[t.turn.cue] = cue_frames.get(t.turn.cue, 0) + n
    return {
        "speaker": span.speaker,
        "confidence": round(confidence, 4),
        "cue": max(cue_frames, key=lambda c: cue_frames[c]),
        "turns": len({t.index for t, _ in span.pieces}),
        "reframe": _reframe_rows(
            reframe.get(span.speaker), float(span.f0 / fps), float(span.f1 / fps)
        ),
    }


class _Maker:
    """Makes clips and gaps for one source at one rate."""

    def __init__(self, info: MediaInfo, total: int) -> None:
        self.rate = float(info.fps)
        self.start = timecode_frames(info.start_timecode, info.fps)
        self.total = total
        self.url = Path(info.path).resolve().as_uri()
        self.file_name = display_name(Path(info.path).name)

    def time(self, frames: int) -> otio.opentime.RationalTime:
        return otio.opentime.RationalTime(frames, self.rate)

    def reference(self) -> otio.schema.ExternalReference:
        # One reference per clip: OTIO objects have a single parent.
        ref = otio.schema.ExternalReference(
            target_url=self.url,
            available_range=otio.opentime.TimeRange(self.time(self.start), self.time(self.total)),
        )
        ref.name = self.file_name  # the plain file name, for EDL reels and FCP7 file names
        return ref

    def clip(self, name: str, f0: int, f1: int, metadata: dict) -> otio.schema.Clip:
        return otio.schema.Clip(
            name=name,
            media_reference=self.reference(),
            source_range=otio.opentime.TimeRange(self.time(self.start + f0), self.time(f1 - f0)),
            metadata={NAMESPACE: metadata},
        )

    def gap(self, frames: int) -> otio.schema.Gap:
        return otio.schema.Gap(
            source_range=otio.opentime.TimeRange(self.time(0), self.time(frames))
        )


def _people_by_id(people: Sequence[Person], turns: Sequence[SpeakerTurn]) -> dict[int, Person]:
    by_id: dict[int, Person] = {}
    for p in people:
        if p.id in by_id:
            raise ValueError(f"person id {p.id} listed twice")
        by_id[p.id] = Person.from_dict(p.to_dict())  # a copy: callers keep theirs
    for t in turns:
        if t.speaker not in by_id:
            by_id[t.speaker] = Person(t.speaker, default_name(t.speaker))
    return by_id


def _person_order(pid: int) -> tuple[bool, int]:
    return person_order(pid)  # voices never seen after everyone on screen


def build_timeline(
    info: MediaInfo,
    turns: Sequence[SpeakerTurn],
    people: Sequence[Person],
    *,
    settings: Mapping[str, Any] | None = None,
    reframe: Mapping[int, np.ndarray] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> otio.schema.Timeline:
    """Build the speaker timeline for one source.

    Parameters
    ----------
    info : MediaInfo
        The probed source; its frame rate (exact rational) is the timeline's rate and its
        start timecode, when present, the start of every media reference and of the timeline.
    turns : sequence of SpeakerTurn
        Who speaks when, in seconds of the source; may overlap. Turns shorter than a frame once
        snapped to frames stay in the metadata but cut nothing.
    people : sequence of Person
        Everyone found (with or without turns). Speakers of turns missing here are added with
        their default name ("Speaker N", "Off-screen").
    settings : mapping, optional
        The analysis settings, stored in the metadata (converted to JSON-able values).
    reframe : mapping of int to ndarray, optional
        Person id to an ``(N, 5)`` array of rows ``[t, x1, y1, x2, y2]``: seconds of the source
        and the face box normalised to 0..1 of the frame. Each clip of that person gets the
        rows of its range (plus the nearest row on each side) in
        ``metadata["facetrack"]["reframe"]``.
    extra : mapping, optional
        More keys for the timeline's ``metadata["facetrack"]`` (e.g. timings); may not replace
        the keys the builder writes (:data:`RESERVED_KEYS`).

    Returns
    -------
    opentimelineio.schema.Timeline
        Tracks ``Program``, one per speaking person, and ``Audio`` when the source has audio.

    Raises
    ------
    ValueError
        When the source has no duration, a person id is listed twice, a reframe array has the
        wrong shape, or ``extra`` names a reserved key.
    """
    total = total_frames(info)
    if total <= 0:
        raise ValueError(f"{info.path}: the source has no duration; nothing to lay out")
    clash = RESERVED_KEYS.intersection(extra or {})
    if clash:
        raise ValueError(f"extra metadata may not replace {sorted(clash)}")

    ordered = sorted(turns, key=lambda t: (t.start, t.end, t.speaker))
    persons = _people_by_id(people, ordered)
    frames = _frame_turns(ordered, total, info.fps)
    boxes = _clean_reframe(reframe)
    make = _Maker(info, total)

    timeline = otio.schema.Timeline(name=info.name, global_start_time=make.time(make.start))

    # An audio-only source (a podcast) gets the same layout on audio tracks.
    kind = otio.schema.TrackKind.Video if info.has_video else otio.schema.TrackKind.Audio

    # V1: the program.
    program = otio.schema.Track(
        name=PROGRAM_TRACK,
        kind=kind,
        metadata={NAMESPACE: {"role": ROLE_PROGRAM}},
    )
    spans = _program_spans(frames, total)
    for span in spans:
        name = NO_SPEAKER if span.speaker is None else persons[span.speaker].name
        program.append(make.clip(name, span.f0, span.f1, _span_metadata(span, info.fps, boxes)))
    _add_markers(program, spans, frames, persons, make)
    timeline.tracks.append(program)

    # V2...: one track per person who speaks.
    speakers = sorted({t.speaker for t in frames}, key=_person_order)
    for pid in speakers:
        person = persons[pid]
        track = otio.schema.Track(
            name=person.name,
            kind=kind,
            metadata={NAMESPACE: {"role": ROLE_SPEAKER, "speaker": pid}},
        )
        cursor = 0
        for span in _person_spans(frames, pid):
            if span.f0 > cursor:
                track.append(make.gap(span.f0 - cursor))
            track.append(
                make.clip(person.name, span.f0, span.f1, _span_metadata(span, info.fps, boxes))
            )
            cursor = span.f1
        if cursor < total:  # every track as long as the source
            track.append(make.gap(total - cursor))
        timeline.tracks.append(track)

    # A1: the source audio, uncut.
    if info.has_audio:
        audio = otio.schema.Track(
            name=AUDIO_TRACK,
            kind=otio.schema.TrackKind.Audio,
            metadata={NAMESPACE: {"role": ROLE_AUDIO}},
        )
        audio.append(make.clip(make.file_name, 0, total, {"speaker": None}))
        timeline.tracks.append(audio)

    turn_counts: dict[int, int] = {}
    for t in ordered:
        turn_counts[t.speaker] = turn_counts.get(t.speaker, 0) + 1
    md: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "generator": {"name": "facetrack-otio", "version": __version__},
        "source": jsonable(info.to_dict()),
        "frames": total,
        "settings": jsonable(dict(settings or {})),
        "people": [
            {
                **jsonable(persons[pid].to_dict()),
                "turn_count": turn_counts.get(pid, 0),
                "marker_color": marker_color(pid),
            }
            for pid in sorted(persons, key=_person_order)
        ],
        "turns": [t.to_dict() for t in ordered],
    }
    md.update(jsonable(dict(extra or {})))
    timeline.metadata[NAMESPACE] = md
    return timeline


def _add_markers(
    program: otio.schema.Track,
    spans: Sequence[_Span],
    frames: Sequence[_FrameTurn],
    persons: Mapping[int, Person],
    make: _Maker,
) -> None:
    """A point marker at each turn start, on the program clip holding that frame."""
    clips = list(program)
    starts = [s.f0 for s in spans]
    for t in sorted(frames, key=lambda t: (t.f0, t.index)):
        i = max(0, np.searchsorted(starts, t.f0, side="right") - 1)
        clips[i].markers.append(
            otio.schema.Marker(
                name=persons[t.speaker].name,
                marked_range=otio.opentime.TimeRange(make.time(make.start + t.f0), make.time(0)),
                color=marker_color(t.speaker),
                metadata={NAMESPACE: t.turn.to_dict()},
            )
        )
