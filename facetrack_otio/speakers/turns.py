"""The speaker stage's output types: people and their speaking turns."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

# Person ids: 1, 2, ... people whose face is seen (by first appearance); -1, -2, ... voices
# heard but never tied to a face ("Off-screen 1", "Off-screen 2": the interviewer behind the
# camera); 0 speech that no face or voice could be tied to (when voices are not described).
# In a recording without faces (audio only), voices are 1, 2, ...
OFF_SCREEN_ID = 0


def is_off_screen(person_id: int) -> bool:
    """A voice without a face (or unattributed speech)."""
    return person_id <= 0


def person_order(person_id: int) -> tuple[bool, int]:
    """Sort key: people on screen by id, then off-screen voices, unattributed speech first."""
    return (person_id <= 0, abs(person_id))


@dataclass
class Person:
    """Someone found in the video (or the off-screen voice, id 0).

    Attributes
    ----------
    id : int
        1, 2, ... in order of first appearance; -1, -2, ... for voices never seen; 0 for
        unattributed off-screen speech.
    name : str
        Display name ("Speaker 1" unless the user named them).
    screen_time : float
        Seconds on screen.
    speaking_time : float
        Seconds of speech attributed to them.
    thumbnail : str or None
        Path of a face thumbnail (JPEG), relative to the output folder, when written.
    """

    id: int
    name: str
    screen_time: float = 0.0
    speaking_time: float = 0.0
    thumbnail: str | None = None

    @property
    def label(self) -> str:
        """A whitespace-free label for RTTM and file names, e.g. ``speaker-2``."""
        return person_label(self.id)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Person:
        return cls(**d)


def default_name(person_id: int) -> str:
    """``Speaker N``, ``Off-screen N`` (a voice never seen) or ``Off-screen``."""
    if person_id == OFF_SCREEN_ID:
        return "Off-screen"
    return f"Off-screen {-person_id}" if person_id < 0 else f"Speaker {person_id}"


def person_label(person_id: int) -> str:
    """``speaker-N``, ``off-screen-N`` or ``off-screen``: for RTTM and file names."""
    if person_id == OFF_SCREEN_ID:
        return "off-screen"
    return f"off-screen-{-person_id}" if person_id < 0 else f"speaker-{person_id}"


def summarise_person(
    person_id: int,
    names: Mapping[int, str],
    screen_time: float,
    turns: Sequence[SpeakerTurn],
) -> Person:
    """A :class:`Person` with their name (given, or the default) and the seconds they are on
    screen and speak in ``turns``."""
    speaking = sum(t.duration for t in turns if t.speaker == person_id)
    return Person(
        id=person_id,
        name=names.get(person_id, default_name(person_id)),
        screen_time=round(screen_time, 3),
        speaking_time=round(speaking, 3),
    )


@dataclass(frozen=True)
class SpeakerTurn:
    """One person speaking from ``start`` to ``end`` (seconds in the source).

    Attributes
    ----------
    speaker : int
        Person id (negative for a voice never seen, 0 for speech not tied to anyone).
    start, end : float
        Seconds from the start of the source; ``end > start``.
    confidence : float
        0..1, how sure the fusion is about who speaks.
    cue : str
        What decided the speaker: ``"single-face"``, ``"mouth-motion"``, ``"voice"`` or
        ``"off-screen"``.
    """

    speaker: int
    start: float
    end: float
    confidence: float = 1.0
    cue: str = "single-face"
    extra: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    def __post_init__(self) -> None:
        if not self.end > self.start >= 0:
            raise ValueError(f"turn needs 0 <= start < end, got {self.start}..{self.end}")
        if not 0.0 <= self.confidence <= 1.0:
            raise ValueError(f"confidence must be in [0, 1], got {self.confidence}")

    @property
    def duration(self) -> float:
        return self.end - self.start

    def to_dict(self) -> dict[str, Any]:
        return {
            "speaker": self.speaker,
            "start": round(self.start, 6),
            "end": round(self.end, 6),
            "confidence": round(self.confidence, 4),
            "cue": self.cue,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> SpeakerTurn:
        return cls(
            speaker=int(d["speaker"]),
            start=float(d["start"]),
            end=float(d["end"]),
            confidence=float(d.get("confidence", 1.0)),
            cue=str(d.get("cue", "single-face")),
        )
