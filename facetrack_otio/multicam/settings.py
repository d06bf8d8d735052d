"""The multicam stage's settings: sync, microphones and the editing rules of the program cut.

The editing defaults were measured on the bundled shoot (``bench/multicam.py``, figures in
docs/accuracy.md): they keep the speaker on air and in their close-up well above what an
editor would accept, with no shot shorter than ``min_shot`` and no cut for a back-channel.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class MulticamSettings:
    """Sync, microphones and editing rules of ``facetrack multicam``.

    Attributes
    ----------
    min_shot : float
        No shot on the program is shorter than this (seconds); shorter ones are merged into a
        neighbour or lengthened, whichever keeps the speaker on air more.
    max_shot : float
        A close-up held longer than this gets a cutaway (another close-up of the speaker, else
        the wide, else a listener's reaction shot) so a long monologue stays alive; 0: no
        limit.
    cutaway : float
        Length of such a cutaway, seconds (at least ``min_shot``).
    lead : float
        The cut to a new speaker comes this many seconds before they start (an editor cuts on
        the breath, not on the first syllable).
    backchannel : float
        Turns shorter than this ("yeah", "right") never cut: the speaker holding the floor
        stays on air. A little over a second: the speaker stage decides in half-second
        windows, so a 0.35 s "right" found by the faces lasts 1.0 s.
    crosstalk : float
        Two people speaking over each other for at least this long puts the wide on air until
        the earlier one stops; shorter overlaps cut straight to the newcomer.
    long_silence : float
        A silence at least this long goes to the wide...
    silence_delay : float
        ...this many seconds after it starts.
    reaction : bool
        Past ``max_shot``, prefer a listener's reaction shot to the wide.
    sync_confidence : float
        A pair of files places one another only when its correlation peak stands at least this
        many times above the next one (files of one shoot measured 4 to 10, of two shoots 1.0
        to 1.5).
    mic_margin_db : float
        A microphone counts its wearer as speaking when it is at least this many dB louder than
        the bleed the other channels predict in it.
    mic_min_correlation : float
        A microphone is tied to the face whose mouth moves with it when their correlation
        reaches this; below, its wearer is someone no camera shows.
    max_fps : float
        The angles' face-stage analysis rate (the source rate divided by the smallest whole
        step that reaches it: 25 fps angles at 8.3, 30 fps at 7.5); 0 takes ``[faces]
        max_fps``. Several angles show each face, and voices settle what the mouths leave
        open: at 8.3 fps the shoot's cameras-only DER was 0.019 (0.020 at 12.5) for 10% less
        CPU.
    """

    min_shot: float = 1.5
    max_shot: float = 12.0
    cutaway: float = 2.5
    lead: float = 0.12
    backchannel: float = 1.2
    crosstalk: float = 0.5
    long_silence: float = 2.0
    silence_delay: float = 0.5
    reaction: bool = False
    sync_confidence: float = 2.0
    mic_margin_db: float = 8.0
    mic_min_correlation: float = 0.2
    max_fps: float = 8.4

    def __post_init__(self) -> None:
        for name in (
            "min_shot",
            "max_shot",
            "cutaway",
            "lead",
            "backchannel",
            "crosstalk",
            "long_silence",
            "silence_delay",
            "mic_margin_db",
            "max_fps",
        ):
            if getattr(self, name) < 0:
                raise ValueError(f"multicam {name} must be >= 0, got {getattr(self, name)}")
        if self.max_shot and self.max_shot < 2 * self.min_shot + self.cutaway:
            raise ValueError(
                f"multicam max_shot ({self.max_shot}) must leave room for a cutaway between two "
                f"shots of min_shot: at least {2 * self.min_shot + self.cutaway:g}"
            )
        if self.cutaway < self.min_shot:
            raise ValueError(
                f"multicam cutaway ({self.cutaway}) must be at least min_shot ({self.min_shot})"
            )
        if self.sync_confidence <= 1:
            raise ValueError(f"multicam sync_confidence must be > 1, got {self.sync_confidence}")
