"""The program cut: which angle is on air when, from who speaks and what each angle shows.

A pure function of plain data (turns on the shoot clock, what each angle shows, the editing
rules), so it can be tested on its own and re-run with other rules without any model:

1. **Who holds the floor.** Turns of at least ``backchannel`` seconds are regular; shorter ones
   (back-channels) are ignored. A regular turn holds the floor from its start until another
   person's regular turn starts; two people over each other for ``crosstalk`` seconds or more
   put the wide on air until the earlier one stops (a shorter overlap cuts straight to the
   newcomer); a silence of ``long_silence`` goes to the wide ``silence_delay`` into it; before
   the first word the wide is on air. The cut to a new speaker comes ``lead`` seconds before
   they start.
2. **Which angle.** The speaker's close-up when it rolls and shows them; else the angle that
   shows them biggest; else the wide.
3. **Shot lengths.** A shot shorter than ``min_shot`` is merged into a neighbour or lengthened
   at a neighbour's expense, whichever keeps the speaker on air most; a close-up longer than
   ``max_shot`` gets cutaways of ``cutaway`` seconds (another close-up of the speaker, the wide,
   or a listener's reaction shot), away from back-channels.
4. **Frames.** Cuts land on the program's frame grid.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

from facetrack_otio.multicam.settings import MulticamSettings
from facetrack_otio.speakers.turns import SpeakerTurn

CLOSE_UP = "close-up"
WIDE = "wide"
GROUP = "group"
EMPTY = "empty"

# How much each kind of picture costs per second when it is on air (0: what an editor wants).
_OFF_SPEAKER = 1.0  # the speaker is not in the picture
_NOT_CLOSE = 0.3  # the speaker is in the picture, but not in their close-up
_NOT_WIDE = 0.3  # the wide is wanted (crosstalk, silence), another angle is on air
_EPS = 1e-6


@dataclass(frozen=True)
class AngleView:
    """What one angle shows, on the shoot clock.

    Attributes
    ----------
    index : int
        The angle's index (as the caller numbers them).
    start, end : float
        When the angle rolls (shoot clock, seconds).
    shows : mapping of int to sequence of (float, float)
        Person id -> intervals where their face is in the picture.
    size : mapping of int to float
        Person id -> typical face height as a share of the frame height.
    kind : str
        ``close-up`` (one person), ``wide`` (the angle showing the most people), ``group``
        (several people, not the wide) or ``empty`` (nobody).
    subject : int or None
        The person of a close-up.
    name : str
        Display name.
    """

    index: int
    start: float
    end: float
    shows: Mapping[int, Sequence[tuple[float, float]]] = field(default_factory=dict)
    size: Mapping[int, float] = field(default_factory=dict)
    kind: str = EMPTY
    subject: int | None = None
    name: str = ""

    def rolls(self, t0: float, t1: float) -> bool:
        """Whether the angle rolls over all of ``[t0, t1]``."""
        return self.start <= t0 + _EPS and t1 <= self.end + _EPS

    def coverage(self, person: int, t0: float, t1: float) -> float:
        """Share of ``[t0, t1]`` where ``person`` is in the picture (0..1)."""
        if t1 <= t0:
            return 0.0
        seen = 0.0
        for a, b in self.shows.get(person, ()):
            seen += max(0.0, min(b, t1) - max(a, t0))
        return min(1.0, seen / (t1 - t0))


@dataclass(frozen=True)
class ProgramSegment:
    """One shot of the program.

    Attributes
    ----------
    start, end : float
        Shoot-clock seconds.
    angle : int
        :attr:`AngleView.index` of the angle on air.
    reason : str
        Why it is on air: ``speaker``, ``crosstalk``, ``silence``, ``opening``, ``cutaway``
        (another view of the speaker past ``max_shot``) or ``reaction``.
    speaker : int or None
        Who holds the floor (None in silence and crosstalk).
    """

    start: float
    end: float
    angle: int
    reason: str = "speaker"
    speaker: int | None = None

    @property
    def duration(self) -> float:
        return self.end - self.start

    def to_dict(self) -> dict[str, object]:
        return {
            "start": round(self.start, 6),
            "end": round(self.end, 6),
            "angle": self.angle,
            "reason": self.reason,
            "speaker": self.speaker,
        }


@dataclass(frozen=True)
class _Target:
    """What the program wants over ``[start, end)``: a speaker, or the wide (person None)."""

    start: float
    end: float
    person: int | None
    reason: str


def floor_targets(
    turns: Sequence[SpeakerTurn], span: tuple[float, float], settings: MulticamSettings
) -> list[_Target]:
    """Who holds the floor when (step 1 of the module docstring), leads applied."""
    t_span0, t_span1 = span
    regular = sorted(
        (t for t in turns if t.duration >= settings.backchannel), key=lambda t: t.start
    )
    starts = {round(t.start, 6) for t in regular}
    bounds = sorted(
        {t_span0, t_span1}
        | {min(max(x, t_span0), t_span1) for t in regular for x in (t.start, t.end)}
    )
    raw: list[_Target] = []
    holder: int | None = None
    for a, b in itertools.pairwise(bounds):
        if b - a <= _EPS:
            continue
        active = [t for t in regular if t.start <= a + _EPS and t.end >= b - _EPS]
        speakers = {t.speaker for t in active}
        if not speakers:
            if holder is None:
                raw.append(_Target(a, b, None, "opening"))
            elif b - a >= settings.long_silence:
                cut = min(b, a + settings.silence_delay)
                raw.append(_Target(a, cut, holder, "speaker"))
                raw.append(_Target(cut, b, None, "silence"))
            else:
                raw.append(_Target(a, b, holder, "speaker"))
        elif len(speakers) == 1:
            holder = next(iter(speakers))
            raw.append(_Target(a, b, holder, "speaker"))
        elif b - a >= settings.crosstalk:
            raw.append(_Target(a, b, None, "crosstalk"))
            # After crosstalk the floor goes to whoever is still speaking (decided next).
            holder = max(active, key=lambda t: t.start).speaker
        else:
            holder = max(active, key=lambda t: t.start).speaker
            raw.append(_Target(a, b, holder, "speaker"))
    merged: list[_Target] = []
    for t in raw:
        if t.end - t.start <= _EPS:
            continue
        if merged and merged[-1].person == t.person and merged[-1].reason == t.reason:
            merged[-1] = replace(merged[-1], end=t.end)
        else:
            merged.append(t)
    # The lead: a cut that a turn's start causes comes a little before it.
    for i in range(1, len(merged)):
        cut = merged[i].start
        if round(cut, 6) in starts and merged[i].reason in ("speaker", "crosstalk"):
            new = max(merged[i - 1].start + _EPS, cut - settings.lead)
            merged[i - 1] = replace(merged[i - 1], end=new)
            merged[i] = replace(merged[i], start=new)
    return merged


def _best_wide(views: Sequence[AngleView], t0: float, t1: float) -> AngleView | None:
    rolling = [v for v in views if v.rolls(t0, t1)]
    if not rolling:
        return None
    # The wide first; else the angle showing the most people over this time; an angle that
    # shows nobody only when nothing else rolls.
    return max(
        rolling,
        key=lambda v: (
            v.kind != EMPTY,
            v.kind == WIDE,
            sum(v.coverage(p, t0, t1) >= 0.5 for p in v.shows),
            -sum(v.size.values()) / max(1, len(v.size)),
        ),
    )


def _best_for(views: Sequence[AngleView], person: int, t0: float, t1: float) -> AngleView | None:
    shows = [v for v in views if v.rolls(t0, t1) and v.coverage(person, t0, t1) >= 0.5]
    if not shows:
        return None
    return max(
        shows, key=lambda v: (v.kind == CLOSE_UP and v.subject == person, v.size.get(person, 0.0))
    )


def _penalty(view: AngleView, target: _Target, t0: float, t1: float) -> float:
    """Cost of ``view`` on air over ``[t0, t1]`` where ``target`` is wanted."""
    d = t1 - t0
    if d <= 0:
        return 0.0
    if target.person is None:
        return 0.0 if view.kind == WIDE else _NOT_WIDE * d
    seen = view.coverage(target.person, t0, t1)
    close = view.kind == CLOSE_UP and view.subject == target.person
    return d * ((1 - seen) * _OFF_SPEAKER + seen * (0.0 if close else _NOT_CLOSE))


class _Program:
    """Pieces being edited: (start, end, angle view, reason, speaker)."""

    def __init__(self, targets: Sequence[_Target], views: Sequence[AngleView]) -> None:
        self.targets = list(targets)
        self.views = {v.index: v for v in views}
        self.pieces: list[ProgramSegment] = []

    def cost(self, angle: int, t0: float, t1: float) -> float:
        view = self.views[angle]
        total = 0.0
        for t in self.targets:
            a, b = max(t.start, t0), min(t.end, t1)
            if b > a:
                total += _penalty(view, t, a, b)
        return total

    def rolls(self, angle: int, t0: float, t1: float) -> bool:
        return self.views[angle].rolls(t0, t1)

    def merge_equal(self) -> None:
        out: list[ProgramSegment] = []
        for p in self.pieces:
            if out and out[-1].angle == p.angle and abs(out[-1].end - p.start) <= _EPS:
                keep = out[-1] if out[-1].duration >= p.duration else p
                out[-1] = replace(out[-1], end=p.end, reason=keep.reason, speaker=keep.speaker)
            else:
                out.append(p)
        self.pieces = out


def _choose_angles(program: _Program, views: Sequence[AngleView]) -> None:
    """Step 2: an angle for each target, split where angles start or stop rolling."""
    edges = sorted({x for v in views for x in (v.start, v.end)})
    pieces: list[ProgramSegment] = []
    for target in program.targets:
        cuts = [target.start, *(e for e in edges if target.start < e < target.end), target.end]
        for a, b in itertools.pairwise(cuts):
            view = None
            if target.person is not None:
                view = _best_for(views, target.person, a, b)
            if view is None:
                view = _best_wide(views, a, b)
            if view is None:
                continue  # nothing rolls: a hole in the program
            pieces.append(ProgramSegment(a, b, view.index, target.reason, target.person))
    program.pieces = pieces
    program.merge_equal()


def _contiguous(a: ProgramSegment | None, b: ProgramSegment | None) -> bool:
    return a is not None and b is not None and abs(a.end - b.start) <= _EPS


def _min_shots(program: _Program, min_shot: float) -> None:
    """Step 3a: no shot shorter than ``min_shot`` where a neighbour can take it."""
    stuck: set[tuple[float, float]] = set()
    while True:
        short = [
            (p.duration, i)
            for i, p in enumerate(program.pieces)
            if p.duration < min_shot - _EPS and (p.start, p.end) not in stuck
        ]
        if not short:
            return
        _, i = min(short)
        pieces = program.pieces
        cur = pieces[i]
        prev = pieces[i - 1] if i > 0 and _contiguous(pieces[i - 1], cur) else None
        nxt = pieces[i + 1] if i + 1 < len(pieces) and _contiguous(cur, pieces[i + 1]) else None
        lo = prev.start if prev else cur.start
        hi = nxt.end if nxt else cur.end
        need = min_shot - cur.duration
        options: list[tuple[float, int, list[ProgramSegment]]] = []

        def option(new: list[ProgramSegment], cuts: int, into: list = options) -> None:
            if all(program.rolls(p.angle, p.start, p.end) for p in new):
                cost = sum(program.cost(p.angle, p.start, p.end) for p in new)
                into.append((cost, cuts, new))

        if prev is not None:
            option([replace(prev, end=cur.end)] + ([nxt] if nxt else []), 0)
        if nxt is not None:
            option(([prev] if prev else []) + [replace(nxt, start=cur.start)], 0)
        if nxt is not None and nxt.duration - need >= min_shot:
            grown = replace(cur, end=cur.end + need)
            option(([prev] if prev else []) + [grown, replace(nxt, start=grown.end)], 1)
        if prev is not None and prev.duration - need >= min_shot:
            grown = replace(cur, start=cur.start - need)
            option([replace(prev, end=grown.start), grown] + ([nxt] if nxt else []), 1)
        if (
            prev is not None
            and nxt is not None
            and prev.duration - need / 2 >= min_shot
            and nxt.duration - need / 2 >= min_shot
        ):
            grown = replace(cur, start=cur.start - need / 2, end=cur.end + need / 2)
            option([replace(prev, end=grown.start), grown, replace(nxt, start=grown.end)], 1)
        if not options:
            # No neighbour can take this time: this angle takes a whole neighbour instead.
            if nxt is not None:
                option(([prev] if prev else []) + [replace(cur, end=nxt.end)], 0)
            if prev is not None:
                option([replace(cur, start=prev.start)] + ([nxt] if nxt else []), 0)
        if not options:
            stuck.add((cur.start, cur.end))  # nothing else rolls here: it stays short
            continue
        # The cheapest; at equal cost, fewer cuts.
        _, _, new = min(options, key=lambda o: (round(o[0], 6), o[1]))
        first = i - 1 if prev is not None else i
        last = i + 1 if nxt is not None else i
        assert lo == new[0].start and hi == new[-1].end
        program.pieces = pieces[:first] + new + pieces[last + 1 :]
        program.merge_equal()


def _cutaway_view(
    views: Sequence[AngleView], on_air: AngleView, t0: float, t1: float, reaction: bool
) -> tuple[AngleView, str] | None:
    person = on_air.subject
    assert person is not None
    others = [
        v
        for v in views
        if v.index != on_air.index
        and v.kind == CLOSE_UP
        and v.subject == person
        and v.rolls(t0, t1)
        and v.coverage(person, t0, t1) >= 0.5
    ]
    if others:
        return max(others, key=lambda v: v.size.get(person, 0.0)), "cutaway"
    wide = _best_wide([v for v in views if v.index != on_air.index], t0, t1)
    wide_ok = wide is not None and wide.coverage(person, t0, t1) >= 0.5
    listeners = [
        v
        for v in views
        if v.kind == CLOSE_UP
        and v.subject not in (None, person)
        and v.rolls(t0, t1)
        and v.coverage(v.subject, t0, t1) >= 0.5  # type: ignore[arg-type]
    ]
    listener = max(listeners, key=lambda v: v.size.get(v.subject, 0.0)) if listeners else None  # type: ignore[arg-type]
    order = [(listener, "reaction"), (wide if wide_ok else None, "cutaway")]
    if not reaction:
        order.reverse()
    for view, why in order:
        if view is not None:
            return view, why
    return None


def _max_shots(
    program: _Program,
    views: Sequence[AngleView],
    turns: Sequence[SpeakerTurn],
    settings: MulticamSettings,
    min_shot: float,
) -> None:
    """Step 3b: cutaways in close-ups longer than ``max_shot``."""
    if settings.max_shot <= 0:
        return
    quiet_zones = [(t.start - 1.0, t.end + 1.0) for t in turns if t.duration < settings.backchannel]
    by_index = {v.index: v for v in views}
    out: list[ProgramSegment] = []
    for piece in program.pieces:
        view = by_index[piece.angle]
        if piece.duration <= settings.max_shot or view.kind != CLOSE_UP:
            out.append(piece)
            continue
        n = math.ceil(piece.duration / settings.max_shot) - 1
        step = piece.duration / (n + 1)
        cursor = piece.start
        for k in range(1, n + 1):
            centre = piece.start + k * step
            t0 = _clear_of(centre - settings.cutaway / 2, settings.cutaway, quiet_zones)
            t1 = t0 + settings.cutaway
            if t0 - cursor < min_shot or piece.end - t1 < min_shot:
                continue
            chosen = _cutaway_view(views, view, t0, t1, settings.reaction)
            if chosen is None:
                continue
            alt, why = chosen
            out.append(replace(piece, start=cursor, end=t0))
            out.append(ProgramSegment(t0, t1, alt.index, why, piece.speaker))
            cursor = t1
        out.append(replace(piece, start=cursor))
    program.pieces = out


def _clear_of(start: float, length: float, zones: Sequence[tuple[float, float]]) -> float:
    """``start``, moved by at most 2 s so ``[start, start + length]`` avoids ``zones``."""
    for shift in (0.0, 0.5, -0.5, 1.0, -1.0, 1.5, -1.5, 2.0, -2.0):
        s = start + shift
        if all(s + length <= a or s >= b for a, b in zones):
            return s
    return start


def _snap(program: _Program, fps: float) -> None:
    """Step 4: every cut on the frame grid (``fps`` frames a second)."""
    out: list[ProgramSegment] = []
    for p in program.pieces:
        a, b = round(p.start * fps) / fps, round(p.end * fps) / fps
        if b - a > _EPS:
            out.append(replace(p, start=a, end=b))
    program.pieces = out
    program.merge_equal()


def cut_program(
    turns: Sequence[SpeakerTurn],
    views: Sequence[AngleView],
    settings: MulticamSettings = MulticamSettings(),
    span: tuple[float, float] | None = None,
    fps: float | None = None,
) -> list[ProgramSegment]:
    """The program: which angle is on air when.

    Parameters
    ----------
    turns : sequence of SpeakerTurn
        Who speaks when, on the shoot clock (may overlap).
    views : sequence of AngleView
        What each angle shows and when it rolls.
    settings : MulticamSettings
        The editing rules.
    span : (float, float), optional
        The program's extent; by default from the first angle's start to the last one's end.
    fps : float, optional
        The program's frame rate: cuts land on its frames, and shots keep ``min_shot`` after
        rounding.

    Returns
    -------
    list of ProgramSegment
        In time order, without overlaps; holes only where no angle rolls.
    """
    live = [v for v in views if v.end > v.start]
    if not live:
        return []
    if span is None:
        span = (min(v.start for v in live), max(v.end for v in live))
    targets = floor_targets(turns, span, settings)
    program = _Program(targets, live)
    _choose_angles(program, live)
    # Half a frame each way at both ends of a shot: a frame more keeps min_shot after rounding.
    min_shot = settings.min_shot + (1.0 / fps if fps else 0.0)
    _min_shots(program, min_shot)
    _max_shots(program, live, turns, settings, min_shot)
    if fps:
        _snap(program, fps)
    return program.pieces
