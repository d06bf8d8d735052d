"""What the report shows, read from a facetrack timeline's metadata (no models needed)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import opentimelineio as otio

from facetrack_otio.media.probe import MediaInfo
from facetrack_otio.speakers.turns import Person, SpeakerTurn, is_off_screen, person_order
from facetrack_otio.timeline.meta import facetrack_md, is_drop_frame, timecode_frames
from facetrack_otio.timeline.read import speaker_data

# Hex colours for OTIO's marker colours, so the chart matches the markers in the editor.
# White (the off-screen voice) is drawn gray: white would vanish on the page.
MARKER_HEX = {
    "BLUE": "#2f6fd6",
    "ORANGE": "#ee8a22",
    "PURPLE": "#8a55cf",
    "YELLOW": "#d9b400",
    "CYAN": "#1fb1c4",
    "PINK": "#e77fb3",
    "MAGENTA": "#c2349f",
    "GREEN": "#3c9f55",
    "RED": "#d5403c",
    "WHITE": "#8c8c8c",
}
FALLBACK_HEX = "#666666"


@dataclass
class PersonRow:
    """A person as the report shows them."""

    person: Person
    turns: int
    color: str

    @property
    def off_screen(self) -> bool:
        return is_off_screen(self.person.id)


@dataclass
class ReportData:
    """Everything the report shows.

    Attributes
    ----------
    info : MediaInfo
        The source.
    people : list of PersonRow
        Everyone in the timeline's order (the off-screen voice last), with turn counts and
        chart colours.
    turns : list of SpeakerTurn
        Sorted by start.
    speech : list of (float, float)
        Speech segments in seconds.
    settings : dict
        The run's settings as stored.
    timings : dict of str to float
        Seconds per stage.
    versions : dict of str to str
        Versions recorded at run time (empty for timelines made before they were recorded).
    device, embedder, voice_encoder : str
        Where the models ran, what described faces, and what described voices.
    warnings : list of str
        The run's warnings.
    face_stats : dict
        Counters of the face stage (detections, tracklets...).
    """

    info: MediaInfo
    people: list[PersonRow]
    turns: list[SpeakerTurn]
    speech: list[tuple[float, float]] = field(default_factory=list)
    settings: dict[str, Any] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    versions: dict[str, str] = field(default_factory=dict)
    device: str = ""
    embedder: str = ""
    voice_encoder: str = ""
    warnings: list[str] = field(default_factory=list)
    face_stats: dict[str, Any] = field(default_factory=dict)

    @property
    def duration(self) -> float:
        """Seconds covered by the chart: the source, or the last turn if that ends later."""
        ends = [t.end for t in self.turns] + [e for _, e in self.speech]
        return max([self.info.duration, *ends, 1e-3])

    def row(self, person_id: int) -> PersonRow | None:
        for row in self.people:
            if row.person.id == person_id:
                return row
        return None

    def timecode(self, seconds: float) -> str:
        """``HH:MM:SS:FF`` at the source rate, counted from the source's start timecode
        (``;`` before the frames for drop-frame sources), as the editor shows it."""
        return timecode(seconds, self.info.fps, self.info.start_timecode)

    @classmethod
    def from_timeline(cls, timeline: otio.schema.Timeline) -> ReportData:
        """Read the report's data from a facetrack timeline.

        Parameters
        ----------
        timeline : opentimelineio.schema.Timeline
            A timeline written by facetrack (perhaps renamed since).

        Returns
        -------
        ReportData

        Raises
        ------
        InputError
            When the timeline is not facetrack's or its metadata is damaged.
        """
        data = speaker_data(timeline)
        md = facetrack_md(timeline)
        # The people's ids were checked by speaker_data; the extras here are looked up by id.
        stored = {p.get("id"): p for p in _list(md.get("people")) if isinstance(p, dict)}
        counts: dict[int, int] = {}
        for t in data.turns:
            counts[t.speaker] = counts.get(t.speaker, 0) + 1
        people = list(data.people)
        for pid in counts:  # turns of someone the people list lacks still get a lane
            if all(p.id != pid for p in people):
                people.append(data.person(pid))
        people.sort(key=lambda p: person_order(p.id))
        rows = []
        for p in people:
            extra = stored.get(p.id, {})
            color = MARKER_HEX.get(str(extra.get("marker_color", "")).upper(), FALLBACK_HEX)
            rows.append(PersonRow(p, counts.get(p.id, 0), color))
        return cls(
            info=data.info,
            people=rows,
            turns=data.turns,
            speech=[(float(s), float(e)) for s, e in _pairs(md.get("speech"))],
            settings=data.settings,
            timings=_stage_order(_mapping(md.get("timings"))),
            versions={str(k): str(v) for k, v in _mapping(md.get("versions")).items()},
            device=str(md.get("device") or ""),
            embedder=str(md.get("embedder") or ""),
            voice_encoder=str(md.get("voice_encoder") or ""),
            warnings=[str(w) for w in _list(md.get("warnings"))],
            face_stats=_mapping(md.get("face_stats")),
        )


# Pipeline stages in the order they run; stages not listed follow, in their stored order.
_STAGES = ("probe", "cache", "models", "faces", "speech", "speakers", "timeline")


def _stage_order(timings: dict[str, Any]) -> dict[str, float]:
    rank = {k: i for i, k in enumerate(_STAGES)}
    keys = sorted(timings, key=lambda k: rank.get(k, len(rank)))
    return {str(k): float(timings[k]) for k in keys}


def _mapping(value: Any) -> dict[str, Any]:
    return dict(value) if isinstance(value, dict) else {}


def _pairs(value: Any) -> list[tuple[float, float]]:
    # Pairs of finite seconds; anything else a damaged file holds is passed over.
    out = []
    for item in _list(value):
        if isinstance(item, (list, tuple)) and len(item) == 2:
            try:
                pair = (float(item[0]), float(item[1]))
            except (TypeError, ValueError):
                continue
            if all(math.isfinite(t) for t in pair):
                out.append(pair)
    return out


def _list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, (list, tuple)) else []


def timecode(seconds: float, fps: Fraction, start_timecode: str | None = None) -> str:
    """Seconds into the source as a timecode at the source rate.

    Parameters
    ----------
    seconds : float
        Time from the start of the source.
    fps : Fraction
        The source's frame rate.
    start_timecode : str, optional
        The source's own start timecode; counting starts there.

    Returns
    -------
    str
        ``HH:MM:SS:FF`` (``HH:MM:SS;FF`` when the source timecode is drop-frame). SMPTE
        timecode has no 15 or 12.5 fps: there, whole rates count their frames the same way
        (``FF`` up to 14) and other rates give the time as ``HH:MM:SS.mmm``.
    """
    rate = float(fps)
    frames = timecode_frames(start_timecode, fps) + round(seconds * fps)
    drop = is_drop_frame(start_timecode, fps)
    try:
        return otio.opentime.to_timecode(otio.opentime.RationalTime(frames, rate), rate, drop)
    except ValueError:
        pass
    if fps.denominator == 1:
        whole, ff = divmod(frames, fps.numerator)
        return f"{whole // 3600:02d}:{whole // 60 % 60:02d}:{whole % 60:02d}:{ff:02d}"
    ms = round(frames / fps * 1000)
    return f"{ms // 3_600_000:02d}:{ms // 60_000 % 60:02d}:{ms // 1000 % 60:02d}.{ms % 1000:03d}"
