"""Names, keys and small helpers shared by the timeline builder, reader and exporters.

Everything facetrack stores in a timeline lives under ``metadata["facetrack"]`` so that other
tools' metadata is left alone and a facetrack timeline can be recognised when read back.
"""

from __future__ import annotations

import copy
import dataclasses
import math
import re
from collections.abc import Mapping, Sequence
from fractions import Fraction
from pathlib import PurePath
from typing import Any

import numpy as np
import opentimelineio as otio

from facetrack_otio.speakers.turns import OFF_SCREEN_ID
from facetrack_otio.text import unicode_text

# Metadata namespace and the version of what is stored under it. Bump the version when the
# layout changes in a way an older reader would misread.
NAMESPACE = "facetrack"
SCHEMA_VERSION = 1

# Track names.
PROGRAM_TRACK = "Program"
AUDIO_TRACK = "Audio"
# Name of program clips where nobody speaks.
NO_SPEAKER = "No speaker"

# Values of metadata["facetrack"]["role"] on tracks.
ROLE_PROGRAM = "program"
ROLE_SPEAKER = "speaker"
ROLE_AUDIO = "audio"

# One marker colour per person, in order of person id (cycled). Red and green are kept for
# last: Final Cut turns markers of those colours into to-do items when going through FCPXML.
_PALETTE = (
    otio.schema.MarkerColor.BLUE,
    otio.schema.MarkerColor.ORANGE,
    otio.schema.MarkerColor.PURPLE,
    otio.schema.MarkerColor.YELLOW,
    otio.schema.MarkerColor.CYAN,
    otio.schema.MarkerColor.PINK,
    otio.schema.MarkerColor.MAGENTA,
    otio.schema.MarkerColor.GREEN,
    otio.schema.MarkerColor.RED,
)
OFF_SCREEN_COLOR = otio.schema.MarkerColor.WHITE


def marker_color(person_id: int) -> str:
    """Marker colour of a person: white for unattributed speech, else a fixed palette by id
    (voices never seen, -1, -2, ..., take the palette from its far end)."""
    if person_id == OFF_SCREEN_ID:
        return OFF_SCREEN_COLOR
    if person_id < 0:
        return _PALETTE[-(-person_id % len(_PALETTE))]
    return _PALETTE[(person_id - 1) % len(_PALETTE)]


def plain(value: Any) -> Any:
    """Deep-convert OTIO metadata containers (AnyDictionary, AnyVector) to dict / list."""
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, Sequence) and not isinstance(value, (str, bytes)):
        return [plain(v) for v in value]
    return value


def facetrack_md(obj: otio.core.SerializableObject) -> dict[str, Any]:
    """The ``metadata["facetrack"]`` dict of an OTIO object as plain Python ({} if absent)."""
    md = obj.metadata.get(NAMESPACE)
    if not isinstance(md, Mapping):
        return {}
    return plain(md)


def foreign_md(obj: otio.core.SerializableObject) -> dict[str, Any]:
    """An OTIO object's metadata without the ``facetrack`` namespace (other tools' only)."""
    return {k: v for k, v in obj.metadata.items() if k != NAMESPACE}


def adapter_copy(track: otio.schema.Track) -> otio.schema.Track:
    """A copy of ``track`` to hand another tool's adapter: everything but facetrack's metadata.

    Made item by item, each losing ``metadata["facetrack"]`` as it is copied: the face paths
    every clip of a long timeline holds would otherwise be copied whole (tens of MB for an
    hour) for adapters that never read them. Other tools' metadata is kept.

    Parameters
    ----------
    track : opentimelineio.schema.Track
        Left unchanged.

    Returns
    -------
    opentimelineio.schema.Track
    """
    out = otio.schema.Track(
        name=track.name,
        source_range=track.source_range,
        kind=track.kind,
        metadata=foreign_md(track),
    )
    out.enabled = track.enabled
    for marker in track.markers:
        out.markers.append(_without_own_md(copy.deepcopy(marker)))
    for effect in track.effects:
        out.effects.append(copy.deepcopy(effect))
    for item in track:
        out.append(_without_own_md(copy.deepcopy(item)))
    return out


def _without_own_md(obj: Any) -> Any:
    for o in (obj, *getattr(obj, "markers", ())):
        if NAMESPACE in o.metadata:
            del o.metadata[NAMESPACE]
    return obj


def jsonable(value: Any) -> Any:
    """Convert settings-like values to what OTIO metadata (and JSON) can hold.

    Fractions become ``"num/den"`` strings, paths strings, dataclasses dicts, NumPy values
    plain numbers or lists; non-finite floats become None; anything else unknown its ``str``.
    """
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str):
        return unicode_text(value)  # a path's bytes that are not UTF-8
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        v = float(value)
        return v if math.isfinite(v) else None
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, Fraction):
        return f"{value.numerator}/{value.denominator}"
    if isinstance(value, PurePath):
        return str(value)
    if isinstance(value, np.ndarray):
        return jsonable(value.tolist())
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return jsonable(dataclasses.asdict(value))
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        items = sorted(value, key=str) if isinstance(value, (set, frozenset)) else value
        return [jsonable(v) for v in items]
    return str(value)


_TC_RE = re.compile(r"^(\d{1,2})[:;.](\d{2})[:;.](\d{2})([:;.,])(\d{2,3})$")


def timecode_frames(timecode: str | None, fps: Fraction) -> int:
    """Frame count of a start timecode at ``fps`` (0 when absent or unreadable).

    ``;`` or ``,`` before the frames means drop-frame (29.97 / 59.94 only); otherwise the
    timecode is non-drop with ``round(fps)`` frames per timecode second, as SMPTE counts it.
    """
    if not timecode:
        return 0
    m = _TC_RE.match(timecode.strip())
    if m is None:
        return 0
    hh, mm, ss, sep, ff = m.groups()
    nominal = round(fps)
    if nominal <= 0 or int(mm) > 59 or int(ss) > 59 or int(ff) >= nominal:
        return 0
    if sep in ";,":
        try:
            return round(otio.opentime.from_timecode(f"{hh}:{mm}:{ss};{ff}", float(fps)).value)
        except ValueError:
            pass  # drop-frame is undefined at this rate: count it as non-drop
    return ((int(hh) * 60 + int(mm)) * 60 + int(ss)) * nominal + int(ff)


def is_drop_frame(timecode: str | None, fps: Fraction) -> bool:
    """True when the source timecode is drop-frame (and the rate allows it)."""
    if not timecode or not (";" in timecode or "," in timecode):
        return False
    return fps in (Fraction(30000, 1001), Fraction(60000, 1001))


def rate_fraction(rate: float) -> Fraction:
    """The exact rational behind an OTIO (float) rate: 29.97 or 29.97002997... give 30000/1001."""
    for nominal in (24, 30, 48, 60, 120):
        ntsc = Fraction(nominal * 1000, 1001)
        if abs(rate - float(ntsc)) < 5e-3:  # 23.976, 29.97, 59.94, ... however rounded
            return ntsc
    return Fraction(rate).limit_denominator(1001)


def timeline_fps(timeline: otio.schema.Timeline) -> Fraction:
    """The timeline's frame rate as an exact rational.

    The source rate stored by facetrack when present (a multicam timeline's program rate), else
    the rate of the first track's first item (or of the global start time).
    """
    md = facetrack_md(timeline)
    for stored in ((md.get("source") or {}).get("fps"), md.get("fps")):
        try:
            fps = Fraction(str(stored))
            if fps > 0:
                return fps
        except (ValueError, ZeroDivisionError):
            pass
    for track in timeline.tracks:
        for item in track:
            return rate_fraction(item.duration().rate)
    if timeline.global_start_time is not None:
        return rate_fraction(timeline.global_start_time.rate)
    return Fraction(24)
