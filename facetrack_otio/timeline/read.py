"""Read a facetrack timeline back: the ``.otio`` file and the speaker data in its metadata."""

from __future__ import annotations

import dataclasses
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote_to_bytes, urlparse

import opentimelineio as otio

from facetrack_otio.errors import InputError
from facetrack_otio.fsutil import readable_file
from facetrack_otio.media.probe import MediaInfo
from facetrack_otio.speakers.turns import Person, SpeakerTurn, default_name
from facetrack_otio.text import shown
from facetrack_otio.timeline.meta import NAMESPACE, SCHEMA_VERSION, facetrack_md


@dataclass
class SpeakerTimeline:
    """What a facetrack timeline's metadata holds, parsed back.

    Attributes
    ----------
    info : MediaInfo
        The source the timeline was built from.
    turns : list of SpeakerTurn
        Every turn, in seconds of the source, sorted by start.
    people : list of Person
        Everyone found, with their current names.
    settings : dict
        The analysis settings stored at build time.
    """

    info: MediaInfo
    turns: list[SpeakerTurn] = field(default_factory=list)
    people: list[Person] = field(default_factory=list)
    settings: dict[str, Any] = field(default_factory=dict)

    def person(self, person_id: int) -> Person:
        """The person with this id (a default-named one if the metadata lacks them)."""
        for p in self.people:
            if p.id == person_id:
                return p
        return Person(person_id, default_name(person_id))


def _reason(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    reason = text[0] if text else type(exc).__name__
    return reason if len(reason) <= 160 else reason[:157] + "..."


def _fields(cls: type, d: dict[str, Any]) -> dict[str, Any]:
    # Keys a later version may add are ignored rather than refused.
    names = {f.name for f in dataclasses.fields(cls)}
    return {k: v for k, v in d.items() if k in names}


def _check_ours(timeline: otio.schema.Timeline, where: str) -> dict[str, Any]:
    md = facetrack_md(timeline)
    if "schema_version" not in md:
        raise InputError(
            f"{where}: not a facetrack timeline (no {NAMESPACE!r} metadata); "
            "make one with `facetrack run`"
        )
    try:
        version = int(md["schema_version"])
    except (TypeError, ValueError):
        raise InputError(f"{where}: damaged facetrack metadata (schema version)") from None
    if version > SCHEMA_VERSION:
        raise InputError(
            f"{where}: made by a newer facetrack (timeline schema {version}, this version reads "
            f"up to {SCHEMA_VERSION}); upgrade facetrack-otio"
        )
    return md


def load_timeline(path: str | os.PathLike[str]) -> otio.schema.Timeline:
    """Load a timeline written by facetrack (``.otio``).

    Parameters
    ----------
    path : str or os.PathLike
        The ``.otio`` file.

    Returns
    -------
    opentimelineio.schema.Timeline

    Raises
    ------
    InputError
        When the file is missing, is not OTIO JSON, holds something other than a timeline, or
        was not made by facetrack (or by a newer version of it).
    """
    p = readable_file(path, "timeline file")
    name = shown(p)
    try:
        # Read here, not by OTIO: its reader takes only paths that are UTF-8.
        text = p.read_bytes().decode("utf-8")
        obj = otio.adapters.read_from_string(text, adapter_name="otio_json")
    except Exception as exc:  # the JSON reader raises many kinds; all mean "not readable"
        raise InputError(f"{name}: not a readable .otio timeline ({_reason(exc)})") from exc
    if not isinstance(obj, otio.schema.Timeline):
        what = obj.schema_name() if hasattr(obj, "schema_name") else type(obj).__name__
        raise InputError(f"{name}: not a timeline (the file holds {what})")
    _check_ours(obj, name)
    _check_structure(obj, name)
    return obj


# Frame rates and positions beyond these come from a damaged file, not from facetrack.
# Frames up to 1000 fps; an audio track may count samples (a multicam timeline's microphones),
# up to 384 kHz.
_MAX_RATE = 1000.0
_MAX_SAMPLE_RATE = 384000.0
_MAX_FRAMES = 1e12


def _check_structure(timeline: otio.schema.Timeline, where: str) -> None:
    """Refuse a timeline no export can write: a clip without media (its active reference
    missing) or without a source range, or a time that is not finite, at a rate of zero,
    below zero or beyond any video's (any sound's sample rate on an audio track), or a
    negative duration."""
    times = [("start", timeline.global_start_time, _MAX_RATE)]
    for track in timeline.tracks:
        top = _MAX_SAMPLE_RATE if track.kind == otio.schema.TrackKind.Audio else _MAX_RATE
        for item in track:
            if isinstance(item, otio.schema.Clip) and item.media_reference is None:
                raise InputError(f"{where}: damaged timeline (clip {item.name!r} has no media)")
            span = item.source_range
            if span is None and isinstance(item, otio.schema.Clip):
                # facetrack gives every clip its range; the editors' writers need one.
                raise InputError(f"{where}: damaged timeline (clip {item.name!r} has no range)")
            if span is not None:
                times += [("start", span.start_time, top), ("duration", span.duration, top)]
            available = getattr(getattr(item, "media_reference", None), "available_range", None)
            if available is not None:
                times += [
                    ("start", available.start_time, top),
                    ("duration", available.duration, top),
                ]
            for marker in getattr(item, "markers", []):
                times += [("start", marker.marked_range.start_time, top)]
    for what, t, most in times:
        if t is None:
            continue
        if not (
            math.isfinite(t.value)
            and 0 < t.rate <= most
            and abs(t.value) < _MAX_FRAMES
            and (what != "duration" or t.value >= 0)
        ):
            raise InputError(
                f"{where}: damaged timeline (a {what} of {t.value:g} frames at {t.rate:g} fps)"
            )


def speaker_data(timeline: otio.schema.Timeline) -> SpeakerTimeline:
    """Parse the speaker data stored in a facetrack timeline's metadata.

    Parameters
    ----------
    timeline : opentimelineio.schema.Timeline
        A timeline made by :func:`facetrack_otio.timeline.build.build_timeline` (and perhaps
        renamed since).

    Returns
    -------
    SpeakerTimeline

    Raises
    ------
    InputError
        When the timeline is not a facetrack timeline or its metadata is damaged.
    """
    where = f"timeline {timeline.name!r}"
    md = _check_ours(timeline, where)
    try:
        info = MediaInfo.from_dict(_fields(MediaInfo, dict(md["source"])))
        turns = [SpeakerTurn.from_dict(t) for t in md.get("turns", [])]
        people = [Person.from_dict(_fields(Person, dict(p))) for p in md.get("people", [])]
        settings = dict(md.get("settings") or {})
        _check_source(info)
        for person in people:
            _check_kinds(person, _PERSON_KINDS, "person")
    except (KeyError, TypeError, ValueError, ZeroDivisionError) as exc:
        raise InputError(f"{where}: damaged facetrack metadata ({_reason(exc)})") from exc
    turns.sort(key=lambda t: (t.start, t.end, t.speaker))
    if not Path(info.path).is_file():
        # The metadata keeps the path as valid Unicode; a name that is not UTF-8 is exact
        # only in the clips' file URLs.
        exact = _source_from_clips(timeline)
        if exact is not None and Path(exact).is_file():
            info = dataclasses.replace(info, path=exact)
    return SpeakerTimeline(info=info, turns=turns, people=people, settings=settings)


_NUMBER = (int, float)
_SOURCE_KINDS: dict[str, Any] = {
    "path": str,
    "width": int,
    "height": int,
    "n_frames": int,
    "duration": _NUMBER,
    "variable_frame_rate": bool,
    "rotation": int,
    "audio_sample_rate": int,
    "start_timecode": (str, type(None)),
    "video_codec": str,
}
_PERSON_KINDS: dict[str, Any] = {
    "id": int,
    "name": str,
    "screen_time": _NUMBER,
    "speaking_time": _NUMBER,
    "thumbnail": (str, type(None)),
}


def _check_kinds(value: Any, kinds: dict[str, Any], what: str) -> None:
    """Each field of ``value`` holds the kind of value it should (a damaged file holds
    anything; a bool is no number here, though Python counts it as an int)."""
    for name, kind in kinds.items():
        field = getattr(value, name)
        if not isinstance(field, kind) or (isinstance(field, bool) and kind is not bool):
            raise TypeError(f"{what} {name} is {field!r}")


def _check_source(info: MediaInfo) -> None:
    """The kinds of value a source description holds."""
    _check_kinds(info, _SOURCE_KINDS, "source")
    if not (math.isfinite(info.duration) and info.duration >= 0 and info.fps > 0):
        raise ValueError(f"source of {info.duration} s at {info.fps} fps")
    if not all(isinstance(s, int) for s in info.audio_streams):
        raise TypeError(f"audio streams {info.audio_streams!r}")


def _source_from_clips(timeline: otio.schema.Timeline) -> str | None:
    """The local file the timeline's first clip points at, or None."""
    for clip in timeline.find_clips():
        url = getattr(clip.media_reference, "target_url", None) or ""
        parts = urlparse(url)
        if parts.scheme == "file":
            return os.fsdecode(unquote_to_bytes(parts.path))
    return None
