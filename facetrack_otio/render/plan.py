"""What files a render writes: which frames of the source go into each, and their names.

Names sort in time and say who speaks:

- one clip per turn: ``0003_speaker-2_00m41s.mp4`` (turn number, speaker, start);
- a turn split into segments: ``0003-01_speaker-2_00m41s.mp4``, ``0003-02_speaker-2_00m51s.mp4``
  (each with its own start);
- one file per speaker: ``speaker-2.mp4``, or with segments ``speaker-2_part01.mp4``, ...
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

from facetrack_otio.speakers.turns import Person, SpeakerTurn, default_name


@dataclass(frozen=True)
class Span:
    """Frames ``[first, first + count)`` of the source's nominal frame grid."""

    first: int
    count: int

    @property
    def stop(self) -> int:
        return self.first + self.count


@dataclass(frozen=True)
class Output:
    """One file to write.

    Attributes
    ----------
    name : str
        File name.
    speaker : int
        Who speaks in it.
    spans : tuple of Span
        The source frames it holds, in order, joined end to end.
    turn : SpeakerTurn
        What a failure is reported against: the turn, or for a joined file a turn covering
        all it holds.
    """

    name: str
    speaker: int
    spans: tuple[Span, ...]
    turn: SpeakerTurn

    @property
    def n_frames(self) -> int:
        return sum(s.count for s in self.spans)


def _stamp(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes:02d}m{secs:02d}s"


def turn_span(turn: SpeakerTurn, fps: Fraction, pad: float, total: int) -> Span:
    """A turn plus pads on the frame grid, clamped to the video.

    Parameters
    ----------
    turn : SpeakerTurn
        The turn, in seconds from the first frame.
    fps : Fraction
        Nominal frame rate.
    pad : float
        Seconds added on each side.
    total : int
        Frames in the video.

    Returns
    -------
    Span
        Start and end each rounded to the nearest frame boundary; never empty.

    Raises
    ------
    ValueError
        When the turn starts at or after the end of the video.
    """
    first = max(0, round(Fraction(turn.start - pad) * fps))
    last = min(round(Fraction(turn.end + pad) * fps), total)
    if first >= total:
        raise ValueError(
            f"starts at {turn.start - pad:.3f} s, at or after the end of the video "
            f"({float(total / fps):.3f} s)"
        )
    return Span(first, max(1, last - first))


def split(span: Span, max_frames: int) -> list[Span]:
    """``span`` cut into the fewest equal parts of at most ``max_frames`` frames.

    Parameters
    ----------
    span : Span
        Frames to split.
    max_frames : int
        Longest part; 0 or less: no splitting.

    Returns
    -------
    list of Span
    """
    if max_frames <= 0 or span.count <= max_frames:
        return [span]
    parts = math.ceil(span.count / max_frames)
    edges = [span.first + round(i * span.count / parts) for i in range(parts + 1)]
    return [Span(a, b - a) for a, b in itertools.pairwise(edges)]


def segment_frames(segment: float, fps: Fraction) -> int:
    """Frames in a segment of ``segment`` seconds (0: no segments)."""
    if segment <= 0:
        return 0
    return max(1, math.floor(Fraction(segment) * fps))


def _person(people: Mapping[int, Person], pid: int) -> Person:
    return people.get(pid) or Person(pid, default_name(pid))


def per_turn(
    turns: Sequence[SpeakerTurn],
    people: Mapping[int, Person],
    fps: Fraction,
    total: int,
    pad: float = 0.0,
    segment: float = 0.0,
) -> tuple[list[Output], list[tuple[SpeakerTurn, str]]]:
    """One file per turn (or per segment of a turn).

    Parameters
    ----------
    turns : sequence of SpeakerTurn
        Turns in any order; they are numbered in time order.
    people : mapping of int to Person
        Who is who (a missing id gets a default name).
    fps : Fraction
        Nominal frame rate.
    total : int
        Frames in the video.
    pad : float
        Seconds of handles around each turn.
    segment : float
        Longest segment in seconds (0: a turn is never split).

    Returns
    -------
    outputs : list of Output
        In time order.
    failures : list of (SpeakerTurn, str)
        Turns outside the video.
    """
    outputs: list[Output] = []
    failures: list[tuple[SpeakerTurn, str]] = []
    limit = segment_frames(segment, fps)
    ordered = sorted(turns, key=lambda t: (t.start, t.end, t.speaker))
    for index, turn in enumerate(ordered, 1):
        label = _person(people, turn.speaker).label
        try:
            span = turn_span(turn, fps, pad, total)
        except ValueError as exc:
            failures.append((turn, str(exc)))
            continue
        parts = split(span, limit)
        if len(parts) == 1:
            name = f"{index:04d}_{label}_{_stamp(turn.start)}.mp4"
            outputs.append(Output(name, turn.speaker, (span,), turn))
            continue
        width = max(2, len(str(len(parts))))
        for j, part in enumerate(parts, 1):
            # The first part is named after the turn's start, the others after their own.
            start = turn.start if j == 1 else float(part.first / fps)
            name = f"{index:04d}-{j:0{width}d}_{label}_{_stamp(start)}.mp4"
            outputs.append(Output(name, turn.speaker, (part,), turn))
    return outputs, failures


def per_speaker(
    turns: Sequence[SpeakerTurn],
    people: Mapping[int, Person],
    fps: Fraction,
    total: int,
    pad: float = 0.0,
    segment: float = 0.0,
) -> tuple[list[Output], list[tuple[SpeakerTurn, str]]]:
    """One file per speaker with all their turns joined in time order.

    Turns whose padded spans overlap or touch are merged, so no frame appears twice. With
    ``segment``, each speaker's file is cut into parts of at most that many seconds (a turn
    may then run across two parts).

    Parameters
    ----------
    turns, people, fps, total, pad, segment
        As for :func:`per_turn`.

    Returns
    -------
    outputs : list of Output
        Speakers in order of id (off-screen last).
    failures : list of (SpeakerTurn, str)
        Turns outside the video.
    """
    failures: list[tuple[SpeakerTurn, str]] = []
    spans: dict[int, list[Span]] = {}
    covered: dict[int, list[SpeakerTurn]] = {}
    for turn in sorted(turns, key=lambda t: (t.start, t.end, t.speaker)):
        try:
            span = turn_span(turn, fps, pad, total)
        except ValueError as exc:
            failures.append((turn, str(exc)))
            continue
        mine = spans.setdefault(turn.speaker, [])
        covered.setdefault(turn.speaker, []).append(turn)
        if mine and span.first <= mine[-1].stop:
            last = mine[-1]
            mine[-1] = Span(last.first, max(last.stop, span.stop) - last.first)
        else:
            mine.append(span)
    limit = segment_frames(segment, fps)
    outputs: list[Output] = []
    for pid in sorted(spans, key=lambda p: (p == 0, p)):
        label = _person(people, pid).label
        mine = covered[pid]
        parts = _pack(spans[pid], limit)
        width = max(2, len(str(len(parts))))
        for j, part in enumerate(parts, 1):
            name = f"{label}.mp4" if len(parts) == 1 else f"{label}_part{j:0{width}d}.mp4"
            start = float(part[0].first / fps)
            end = float(part[-1].stop / fps)
            turn = SpeakerTurn(pid, start, max(end, start + 1e-6), mine[0].confidence)
            outputs.append(Output(name, pid, tuple(part), turn))
    return outputs, failures


def _pack(spans: Sequence[Span], limit: int) -> list[list[Span]]:
    """Spans grouped into parts of at most ``limit`` frames (0: one part), splitting spans."""
    if limit <= 0:
        return [list(spans)]
    parts: list[list[Span]] = [[]]
    room = limit
    for span in spans:
        rest = span
        while rest.count > 0:
            if room == 0:
                parts.append([])
                room = limit
            take = min(room, rest.count)
            parts[-1].append(Span(rest.first, take))
            rest = Span(rest.first + take, rest.count - take)
            room -= take
    return [p for p in parts if p]
