"""The speaker stage's settings: how faces and speech make turns, and how voices are described,
grouped and tied to faces (declared as :mod:`facetrack_otio.setting` describes)."""

from __future__ import annotations

from dataclasses import dataclass

from facetrack_otio.setting import READ, Range, check, setting


@dataclass(frozen=True)
class SpeakerSettings:
    """Fusion of faces and speech into speaker turns."""

    # A speech segment is cut into windows of this length: a tiny one means endless work.
    window: float = setting(
        0.5, "seconds per decision window inside a speech segment", Range(0.05, 60)
    )
    min_turn: float = setting(
        0.3, "turns shorter than this are merged into their neighbours", Range(0)
    )
    merge_gap: float = setting(
        0.6, "turns of the same speaker separated by less than this are joined", Range(0)
    )
    overlap_activity: float = setting(
        2.0,
        "a second mouth moving at least this much (relative to its usual level) while another "
        "person speaks makes an overlapping turn...",
        Range(0),
    )
    overlap_ratio: float = setting(
        0.5, "...when it moves at least this fraction as much as the main speaker's", Range(0)
    )

    def __post_init__(self) -> None:
        check(self)


@dataclass(frozen=True)
class VoiceSettings:
    """How voices are described, grouped and tied to faces."""

    enabled: bool = setting(
        True, "describe voices with the trained voice encoder (off: faces alone decide)"
    )
    context: float = setting(
        1.5,
        "seconds of speech around each decision window that describe its voice",
        Range(0.1, 1e6),
    )
    similarity: float = setting(
        0.62, "average cosine similarity for two stretches of speech to be one voice", Range(0, 1)
    )
    speakers: int = setting(
        0,
        "how many people speak, when known",
        Range(1, 1000, off=0, off_means="found from their voices"),
        flag="--speakers",
        adapter=READ,
        metavar="N",
    )
    seed_confidence: float = setting(
        0.8,
        "windows where one of several visible mouths speaks at least this surely tell the "
        "clustering whose voice they hold",
        Range(0, 1),
    )
    smooth_margin: float = setting(
        0.05,
        "a lone window amid another voice in one stretch of speech joins it when its own "
        "voice is not clearly better (by this much cosine similarity)",
        Range(0, 1e6),
    )
    min_voice: float = setting(
        1.0,
        "seconds: a voice heard for less is joined to the most similar other voice",
        Range(0, 1e6),
    )
    min_shared: float = setting(
        0.5,
        "a voice goes to a face on screen during at least this fraction of it...",
        Range(0, 1),
    )
    listener_margin: float = setting(
        0.1,
        "...unless that face's mouth moves less (by this much, relative to its usual level) "
        "while the voice speaks than while other voices do: a listener, not the speaker",
        Range(0, 1e6),
    )
    vision_wins: float = setting(
        0.9,
        "windows where one of several visible mouths speaks at least this surely keep their "
        "speaker whatever the voice says",
        Range(0, 1),
    )

    def __post_init__(self) -> None:
        check(self)
