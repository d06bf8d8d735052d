"""Scoring a multicam program cut against who really speaks and what each angle really shows.

- **On air**: during single-speaker speech (one reference speaker talking, not counting the
  ``settle`` seconds after each change of speaker, when an editor's cut is still landing), the
  share of time the program shows an angle that shows the speaker, and the share it shows
  their close-up.
- **Shortest shot**, and **back-channel cuts**: cuts within ``margin`` seconds of a short turn
  (under ``backchannel`` seconds) that falls inside another person's speech.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

# (speaker label, start, end) as read from RTTM
Turn = tuple[str, float, float]
# (start, end, angle name) of the program
Shot = tuple[float, float, str]


@dataclass(frozen=True)
class ProgramScores:
    """How well a program shows who speaks.

    Attributes
    ----------
    on_speaker : float
        Share of scored single-speaker time with an angle on air that shows the speaker.
    on_close_up : float
        Share of it with the speaker's close-up on air.
    scored : float
        Seconds scored.
    shortest_shot : float
        The shortest shot, seconds.
    backchannel_cuts : int
        Cuts near a back-channel.
    cuts : int
        Cuts in the program.
    """

    on_speaker: float
    on_close_up: float
    scored: float
    shortest_shot: float
    backchannel_cuts: int
    cuts: int


def _single_speaker(turns: Sequence[Turn]) -> list[tuple[float, float, str]]:
    """Spans where exactly one speaker talks."""
    bounds = sorted({t for _, s, e in turns for t in (s, e)})
    out: list[tuple[float, float, str]] = []
    for a, b in itertools.pairwise(bounds):
        who = {label for label, s, e in turns if s <= a and e >= b}
        if len(who) == 1:
            label = next(iter(who))
            if out and out[-1][2] == label and abs(out[-1][1] - a) < 1e-9:
                out[-1] = (out[-1][0], b, label)
            else:
                out.append((a, b, label))
    return out


def score_program(
    program: Sequence[Shot],
    turns: Sequence[Turn],
    shows: Mapping[str, Sequence[str]],
    close_ups: Mapping[str, str],
    settle: float = 0.5,
    backchannel: float = 1.0,
    margin: float = 0.5,
) -> ProgramScores:
    """Score a program cut.

    Parameters
    ----------
    program : sequence of (float, float, str)
        Shots ``(start, end, angle)`` on the same clock as ``turns``.
    turns : sequence of (str, float, float)
        Reference turns ``(speaker, start, end)``.
    shows : mapping of str to sequence of str
        Angle -> the speakers it shows.
    close_ups : mapping of str to str
        Speaker -> their close-up angle.
    settle : float
        Seconds after each change of speaker left out of the on-air shares.
    backchannel : float
        Turns shorter than this, inside another speaker's turn, are back-channels.
    margin : float
        A cut this close to a back-channel counts as a cut for it.

    Returns
    -------
    ProgramScores
    """
    spans = _single_speaker(turns)
    scored = on = close = 0.0
    previous: str | None = None
    for a, b, who in spans:
        if who != previous:
            a = min(b, a + settle)
        previous = who
        for s, e, angle in program:
            lo, hi = max(a, s), min(b, e)
            if hi <= lo:
                continue
            if who in shows.get(angle, ()):
                on += hi - lo
            if close_ups.get(who) == angle:
                close += hi - lo
        scored += b - a
    cuts = [e for (_, e, x), (_, _, y) in itertools.pairwise(program) if x != y]
    inside = [
        (s, e)
        for label, s, e in turns
        if e - s < backchannel and any(o != label and os <= s and oe >= e for o, os, oe in turns)
    ]
    near = sum(any(s - margin <= c <= e + margin for s, e in inside) for c in cuts)
    return ProgramScores(
        on_speaker=on / scored if scored else 1.0,
        on_close_up=close / scored if scored else 1.0,
        scored=scored,
        shortest_shot=min((e - s for s, e, _ in program), default=0.0),
        backchannel_cuts=near,
        cuts=len(cuts),
    )
