"""The multicam stage's settings: sync, microphones and the editing rules of the program cut.

The editing defaults were measured on the bundled shoot (``bench/multicam.py``, figures in
docs/accuracy.md): they keep the speaker on air and in their close-up well above what an
editor would accept, with no shot shorter than ``min_shot`` and no cut for a back-channel.
"""

from __future__ import annotations

from dataclasses import dataclass

from facetrack_otio.setting import Range, check, setting

SHOOT = ("multicam",)


@dataclass(frozen=True)
class MulticamSettings:
    """Sync, microphones and editing rules of ``facetrack multicam``."""

    min_shot: float = setting(
        1.5,
        "shortest shot, seconds: shorter ones are merged into a neighbour or lengthened, "
        "whichever keeps the speaker on air more",
        Range(0),
        flag="--min-shot",
        commands=SHOOT,
        metavar="SECONDS",
    )
    max_shot: float = setting(
        12.0,
        "a close-up held longer gets a cutaway (another close-up of the speaker, else the "
        "wide, else a listener's reaction shot), seconds; 0: never",
        Range(0),
        flag="--max-shot",
        commands=SHOOT,
        metavar="SECONDS",
    )
    cutaway: float = setting(2.5, "length of such a cutaway, seconds (at least min_shot)", Range(0))
    # An editor cuts on the breath, not on the first syllable.
    lead: float = setting(
        0.12,
        "the cut to a new speaker comes this many seconds before they start",
        Range(0),
        flag="--lead",
        commands=SHOOT,
        metavar="SECONDS",
    )
    # A little over a second: the speaker stage decides in half-second windows, so a 0.35 s
    # "right" found by the faces lasts 1.0 s.
    backchannel: float = setting(
        1.2,
        "turns shorter than this (yeah, right) never cut: the speaker holding the floor stays "
        "on air",
        Range(0),
        flag="--backchannel",
        commands=SHOOT,
        metavar="SECONDS",
    )
    crosstalk: float = setting(
        0.5,
        "two people speaking over each other this long puts the wide on air until the earlier "
        "one stops; shorter overlaps cut straight to the newcomer",
        Range(0),
    )
    long_silence: float = setting(2.0, "a silence at least this long goes to the wide...", Range(0))
    silence_delay: float = setting(0.5, "...this many seconds after it starts", Range(0))
    reaction: bool = setting(
        False,
        "past max_shot, cut to a listener's reaction shot rather than the wide",
        flag="--reaction",
        commands=SHOOT,
    )
    # Files of one shoot measured 4 to 10, of two shoots 1.0 to 1.5.
    sync_confidence: float = setting(
        2.0,
        "a pair of files places one another only when its correlation peak stands at least "
        "this many times above the next one",
        Range(1, above=True),
    )
    mic_margin_db: float = setting(
        8.0,
        "a microphone counts its wearer as speaking when it is at least this many dB louder "
        "than the bleed the other channels predict in it",
        Range(0),
    )
    mic_min_correlation: float = setting(
        0.2,
        "a microphone is tied to the face whose mouth moves with it when their correlation "
        "reaches this; below, its wearer is someone no camera shows",
    )
    # Several angles show each face, and voices settle what the mouths leave open: at 8.3 fps
    # the shoot's cameras-only DER was 0.019 (0.020 at 12.5) for 10% less CPU.
    max_fps: float = setting(
        8.4,
        "the angles' analysis frame rate cap: the source rate divided by the smallest whole "
        "step that reaches it (25 fps angles at 8.3, 30 fps at 7.5); 0: [faces] max_fps",
        Range(0),
        flag="--max-fps",
        commands=SHOOT,
        group="analysis",
    )

    def __post_init__(self) -> None:
        check(self)
        if self.max_shot:
            # Room for a cutaway between two shots of min_shot.
            Range(2 * self.min_shot + self.cutaway).test("max_shot", self.max_shot)
        Range(self.min_shot).test("cutaway", self.cutaway)
