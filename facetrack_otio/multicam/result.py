"""What ``facetrack multicam`` found, as one plain object (no models needed to hold it)."""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from facetrack_otio import __version__
from facetrack_otio.config import Settings
from facetrack_otio.faces.tracks import FaceTracks
from facetrack_otio.multicam.program import AngleView, ProgramSegment
from facetrack_otio.multicam.shoot import ANGLE, MIC, ShootFile, shoot_span
from facetrack_otio.speakers.turns import Person, SpeakerTurn
from facetrack_otio.speech.segments import SpeechSegment


@dataclass
class MulticamAnalysis:
    """What ``facetrack multicam`` found: the exports, render and report need only this.

    Attributes
    ----------
    name : str
        The shoot's name (the output files' stem).
    files : list of ShootFile
        Every file, placed on the shoot clock (angles and microphones, in the order given).
    people : list of Person
        Everyone, numbered by first appearance on the shoot clock.
    turns : list of SpeakerTurn
        Who speaks when, on the shoot clock.
    speech : list of SpeechSegment
        Where the room hears speech, on the shoot clock.
    program : list of ProgramSegment
        The cut; ``angle`` indexes :attr:`angles`.
    views : list of AngleView
        What each angle shows (``index`` as in :attr:`angles`).
    wearers : dict of str to int or None
        Microphone label -> the person wearing it (someone no camera shows gets a person of
        their own, with no screen time).
    room : str or None
        Label of the angle whose scratch audio stood for the room.
    fps : Fraction
        The program's frame rate.
    settings : Settings
    faces : list of FaceTracks
        Each angle's face stage (in :attr:`angles` order).
    local : dict of (int, int) to int
        (angle position, the angle's own person id) -> person id.
    timings : dict of str to float
    warnings : list of str
    embedder : str
        What described the faces.
    voice_encoder : str
        What described the voices (without microphones; empty when nothing did).
    """

    name: str
    files: list[ShootFile]
    people: list[Person]
    turns: list[SpeakerTurn]
    speech: list[SpeechSegment]
    program: list[ProgramSegment]
    views: list[AngleView]
    wearers: dict[str, int | None]
    room: str | None
    fps: Fraction
    settings: Settings
    faces: list[FaceTracks] = field(default_factory=list)
    local: dict[tuple[int, int], int] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    embedder: str = ""
    voice_encoder: str = ""

    @property
    def angles(self) -> list[ShootFile]:
        return [f for f in self.files if f.kind == ANGLE]

    @property
    def mics(self) -> list[ShootFile]:
        return [f for f in self.files if f.kind == MIC]

    @property
    def span(self) -> tuple[float, float]:
        """The program's extent on the shoot clock."""
        if self.program:
            return self.program[0].start, self.program[-1].end
        return shoot_span(self.files)

    def person(self, pid: int | None) -> Person | None:
        return next((p for p in self.people if p.id == pid), None)

    def serialize(self) -> dict[str, Any]:
        """The ``--json`` summary: files, people, turns and the program, on the shoot clock."""
        angles = self.angles
        return {
            "name": self.name,
            "fps": f"{self.fps.numerator}/{self.fps.denominator}",
            "files": [
                {**f.to_dict(), **({"wearer": self.wearers.get(f.label)} if f.kind == MIC else {})}
                for f in self.files
            ],
            "angles": [
                {
                    "label": v.name,
                    "path": angles[v.index].path,
                    "kind": v.kind,
                    "subject": v.subject,
                    "shows": sorted(v.shows),
                }
                for v in self.views
            ],
            "people": [p.to_dict() for p in self.people],
            "turns": [t.to_dict() for t in self.turns],
            "program": [
                {**seg.to_dict(), "path": angles[seg.angle].path, "label": angles[seg.angle].label}
                for seg in self.program
            ],
            "room": self.room,
            "embedder": self.embedder,
            "voice_encoder": self.voice_encoder,
            "timings": {k: round(v, 3) for k, v in self.timings.items()},
            "warnings": list(self.warnings),
            "version": __version__,
        }
