"""Where things sit on a shoot's clock: frame boundaries, microphones to the sample, and the
program's markers. The timeline, every export and the render place things by these, so each
shows and plays the same thing at the same moment."""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

from facetrack_otio.multicam.result import MulticamAnalysis
from facetrack_otio.multicam.shoot import ShootFile
from facetrack_otio.speakers.turns import SpeakerTurn
from facetrack_otio.timeline.meta import marker_color


def frames(seconds: float, fps: Fraction) -> int:
    """The frame boundary nearest to ``seconds`` at ``fps``."""
    return math.floor(Fraction(seconds) * fps + Fraction(1, 2))


@dataclass(frozen=True)
class MicPlacement:
    """Where a microphone plays, in samples at its own rate (the render and every export
    place it by this, so what the editor hears is what ``NAME.program.mp4`` plays).

    Attributes
    ----------
    rate : int
        The file's sample rate.
    at : int
        Samples from the program's first frame (``origin``) to where the clip starts.
    skip : int
        Samples of the file before the clip (it started before the program).
    length : int
        Samples the clip plays.
    """

    rate: int
    at: int
    skip: int
    length: int

    @property
    def seconds_at(self) -> Fraction:
        """``at`` in seconds."""
        return Fraction(self.at, self.rate)

    @property
    def seconds_skip(self) -> Fraction:
        """``skip`` in seconds."""
        return Fraction(self.skip, self.rate)


def mic_placement(f: ShootFile, origin: Fraction) -> MicPlacement:
    """A sound file's place, to the sample, relative to shoot time ``origin`` (seconds).

    Its first sample lies at shoot time ``f.offset``: that time rounded to its own sample grid,
    counted from ``origin``. A file that started before ``origin`` skips the samples before it.
    (Any correction of a recorder's clock belongs here, so that every consumer follows it.)

    Parameters
    ----------
    f : ShootFile
        A microphone (or the camera whose sound stands for the room).
    origin : Fraction
        Shoot time of the program's first frame.

    Returns
    -------
    MicPlacement
    """
    rate = int(f.info.audio_sample_rate or 48000)
    first = round((Fraction(f.offset) - origin) * rate)  # the file's first sample
    total = max(1, round(Fraction(f.duration) * rate))
    skip = max(0, -first)
    return MicPlacement(rate, max(0, first), skip, max(0, total - skip))


@dataclass(frozen=True)
class ProgramMarker:
    """A marker of the program: a turn start, on the program clip (shot) holding it.

    Attributes
    ----------
    shot : int
        Index into the analysis's program segments.
    frame : int
        Program frame (shoot clock, at the program's rate) of the turn start, inside the shot.
    name : str
        The speaker's name.
    color : str
        The speaker's marker colour (OTIO's colour names).
    turn : SpeakerTurn
        The turn.
    """

    shot: int
    frame: int
    name: str
    color: str
    turn: SpeakerTurn


def program_markers(analysis: MulticamAnalysis) -> list[ProgramMarker]:
    """A marker at each turn start that falls inside a shot of the program, in time order.

    Every export of a multicam shoot writes these (the ``.otio`` on its program clips, the
    FCPXML on its ``mc-clip`` elements, FCP7 XML on its program clip items), so each carries
    the same markers at the same frames.
    """
    fps = analysis.fps
    people = {p.id: p for p in analysis.people}
    out = []
    for t in sorted(analysis.turns, key=lambda t: t.start):
        for i, seg in enumerate(analysis.program):
            f0, f1 = frames(seg.start, fps), frames(seg.end, fps)
            if f1 > f0 and seg.start <= t.start < seg.end:
                person = people.get(t.speaker)
                out.append(
                    ProgramMarker(
                        i,
                        min(max(frames(t.start, fps), f0), f1 - 1),
                        person.name if person else str(t.speaker),
                        marker_color(t.speaker),
                        t,
                    )
                )
                break
    return out
