"""The multicam timeline the editor receives, and the analysis read back from it.

Layout, on the shoot clock at the program's frame rate:

- one track per angle (V1, V2, ...), named after it: the whole angle at its synced place, cut
  where the program cuts, every piece disabled;
- ``Program`` on top of them (the last video track): the cut; each clip plays the angle on air,
  named after it, with a marker at every turn start named after the speaker (one colour per
  person, as ``run`` does). An application that knows nothing of ``enabled`` shows the top
  track, which is the program; one that does shows the program too. To re-switch a shot,
  disable the program's piece and enable the piece of the angle wanted under it: nothing is
  deleted, every angle stays one toggle away (docs/multicam.md);
- one audio track per microphone (A1, ...), whole and placed to the sample
  (:func:`~facetrack_otio.multicam.placement.mic_placement`: its clip and the gap before it
  count samples at the file's rate);
  without microphones, the scratch audio of the angle that stood for the room.

Everything ``facetrack multicam`` found is kept in ``metadata["facetrack"]`` (``kind:
"multicam"``), so the exports, the report and the render can be made again from the ``.otio``
alone (:func:`read_multicam`).
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from fractions import Fraction
from pathlib import Path
from typing import Any

import opentimelineio as otio

from facetrack_otio import __version__
from facetrack_otio.config import Settings
from facetrack_otio.errors import InputError
from facetrack_otio.multicam.placement import frames, mic_placement, program_markers
from facetrack_otio.multicam.program import AngleView, ProgramSegment
from facetrack_otio.multicam.result import MulticamAnalysis
from facetrack_otio.multicam.shoot import ANGLE, MIC, ShootFile
from facetrack_otio.settings_toml import apply_settings
from facetrack_otio.speakers.turns import Person, SpeakerTurn
from facetrack_otio.speech.segments import SpeechSegment
from facetrack_otio.timeline.meta import (
    NAMESPACE,
    PROGRAM_TRACK,
    ROLE_AUDIO,
    ROLE_PROGRAM,
    SCHEMA_VERSION,
    facetrack_md,
    jsonable,
    marker_color,
    rate_fraction,
    timecode_frames,
)

KIND = "multicam"
ROLE_ANGLE = "angle"
ROLE_MIC = "mic"


def _rate(f: ShootFile, fps: Fraction) -> Fraction:
    """A file's own frame rate (a microphone's clips count frames of the program)."""
    return f.video.fps if f.kind == ANGLE else fps


def _reference(f: ShootFile, fps: Fraction) -> otio.schema.ExternalReference:
    rate = _rate(f, fps)
    start = timecode_frames(f.info.start_timecode, rate) if f.kind == ANGLE else 0  # type: ignore[union-attr]
    ref = otio.schema.ExternalReference(
        target_url=Path(f.path).as_uri(),
        available_range=otio.opentime.TimeRange(
            otio.opentime.RationalTime(start, float(rate)),
            otio.opentime.RationalTime(max(1, frames(f.duration, rate)), float(rate)),
        ),
    )
    ref.name = f.name
    return ref


def _clip(
    f: ShootFile, t0: float, t1: float, fps: Fraction, name: str, md: dict[str, Any]
) -> otio.schema.Clip:
    """A clip of ``f`` playing shoot time ``[t0, t1)`` (both on the program's frame grid)."""
    rate = _rate(f, fps)
    ref = _reference(f, fps)
    first = ref.available_range.start_time.value + max(0, frames(t0 - f.offset, rate))
    return otio.schema.Clip(
        name=name,
        media_reference=ref,
        source_range=otio.opentime.TimeRange(
            otio.opentime.RationalTime(first, float(rate)),
            otio.opentime.RationalTime(frames(t1, fps) - frames(t0, fps), float(fps)),
        ),
        metadata={NAMESPACE: md},
    )


def _gap(n: int, fps: Fraction) -> otio.schema.Gap:
    return otio.schema.Gap(
        source_range=otio.opentime.TimeRange(
            otio.opentime.RationalTime(0, float(fps)), otio.opentime.RationalTime(n, float(fps))
        )
    )


def _file_md(f: ShootFile) -> dict[str, Any]:
    return {**f.to_dict(), "info": jsonable(f.info.to_dict())}


def _view_md(v: AngleView) -> dict[str, Any]:
    return {
        "index": v.index,
        "name": v.name,
        "start": round(v.start, 6),
        "end": round(v.end, 6),
        "kind": v.kind,
        "subject": v.subject,
        "shows": {
            str(p): [[round(a, 3), round(b, 3)] for a, b in ivs] for p, ivs in v.shows.items()
        },
        "size": {str(p): round(s, 4) for p, s in v.size.items()},
    }


def multicam_timeline(analysis: MulticamAnalysis) -> otio.schema.Timeline:
    """The editor's timeline of a multicam analysis (layout in the module docstring).

    Parameters
    ----------
    analysis : MulticamAnalysis
        The analysis (or one read back by :func:`read_multicam`).

    Returns
    -------
    opentimelineio.schema.Timeline
    """
    fps = analysis.fps
    angles = analysis.angles
    people = {p.id: p for p in analysis.people}
    start, _ = analysis.span
    origin = frames(start, fps)
    timeline = otio.schema.Timeline(
        name=analysis.name, global_start_time=otio.opentime.RationalTime(0, float(fps))
    )

    cuts = sorted({seg.start for seg in analysis.program} | {seg.end for seg in analysis.program})
    for i, angle in enumerate(angles):
        track = otio.schema.Track(
            name=angle.label,
            kind=otio.schema.TrackKind.Video,
            metadata={NAMESPACE: {"role": ROLE_ANGLE, "angle": i, "path": angle.path}},
        )
        a0 = frames(angle.offset, fps)
        a1 = a0 + frames(angle.duration, fps)
        if a0 > origin:
            track.append(_gap(a0 - origin, fps))
        edges = [a0, *(frames(c, fps) for c in cuts if a0 < frames(c, fps) < a1), a1]
        on_air = {
            (frames(s.start, fps), frames(s.end, fps)) for s in analysis.program if s.angle == i
        }
        for e0, e1 in itertools.pairwise(edges):
            if e1 <= max(e0, origin):
                continue
            e0 = max(e0, origin)
            live = any(p0 <= e0 and e1 <= p1 for p0, p1 in on_air)
            piece = _clip(angle, e0 / fps, e1 / fps, fps, angle.label, {"on_air": live})
            piece.enabled = False
            track.append(piece)
        timeline.tracks.append(track)

    program = otio.schema.Track(
        name=PROGRAM_TRACK,
        kind=otio.schema.TrackKind.Video,
        metadata={NAMESPACE: {"role": ROLE_PROGRAM}},
    )
    cursor = origin
    clips: dict[int, otio.schema.Clip] = {}
    for i, seg in enumerate(analysis.program):
        f0, f1 = frames(seg.start, fps), frames(seg.end, fps)
        if f1 <= f0:
            continue
        if f0 > cursor:
            program.append(_gap(f0 - cursor, fps))
        angle = angles[seg.angle]
        speaker = people.get(seg.speaker) if seg.speaker is not None else None
        md = {
            **seg.to_dict(),
            "label": angle.label,
            "speaker_name": speaker.name if speaker else None,
        }
        clip = _clip(angle, seg.start, seg.end, fps, angle.label, md)
        program.append(clip)
        clips[i] = clip
        cursor = f1
    _markers(analysis, clips, fps)

    timeline.tracks.append(program)

    mics = analysis.mics
    sounds = mics or [f for f in angles if f.label == analysis.room]
    for f in sounds:
        track = otio.schema.Track(
            name=f.label,
            kind=otio.schema.TrackKind.Audio,
            metadata={
                NAMESPACE: {"role": ROLE_MIC if f.kind == MIC else ROLE_AUDIO, "path": f.path}
            },
        )
        track.extend(_sound_items(f, Fraction(origin) / fps, analysis.wearers.get(f.label)))
        timeline.tracks.append(track)

    timeline.metadata[NAMESPACE] = _metadata(analysis)
    return timeline


def _sound_items(f: ShootFile, origin: Fraction, wearer: int | None) -> list[otio.core.Item]:
    """A sound file's gap and clip, both in samples of its rate (:func:`mic_placement`)."""
    place = mic_placement(f, origin)
    rate = float(place.rate)
    items: list[otio.core.Item] = []
    if place.at > 0:
        items.append(
            otio.schema.Gap(
                source_range=otio.opentime.TimeRange(
                    otio.opentime.RationalTime(0, rate), otio.opentime.RationalTime(place.at, rate)
                )
            )
        )
    ref = otio.schema.ExternalReference(
        target_url=Path(f.path).as_uri(),
        available_range=otio.opentime.TimeRange(
            otio.opentime.RationalTime(0, rate),
            otio.opentime.RationalTime(place.skip + place.length, rate),
        ),
    )
    ref.name = f.name
    items.append(
        otio.schema.Clip(
            name=f.label,
            media_reference=ref,
            source_range=otio.opentime.TimeRange(
                otio.opentime.RationalTime(place.skip, rate),
                otio.opentime.RationalTime(place.length, rate),
            ),
            metadata={NAMESPACE: {"wearer": wearer}},
        )
    )
    return items


def _markers(
    analysis: MulticamAnalysis, clips: Mapping[int, otio.schema.Clip], fps: Fraction
) -> None:
    """Each program marker on its program clip, in that clip's media time."""
    for m in program_markers(analysis):
        clip = clips[m.shot]
        rate = clip.source_range.start_time.rate
        f0 = frames(analysis.program[m.shot].start, fps)
        at = clip.source_range.start_time.value + round(
            Fraction(m.frame - f0) / fps * rate_fraction(rate)
        )
        clip.markers.append(
            otio.schema.Marker(
                name=m.name,
                marked_range=otio.opentime.TimeRange(
                    otio.opentime.RationalTime(at, rate), otio.opentime.RationalTime(0, rate)
                ),
                color=m.color,
                metadata={NAMESPACE: m.turn.to_dict()},
            )
        )


def _metadata(a: MulticamAnalysis) -> dict[str, Any]:
    turn_counts: dict[int, int] = {}
    for t in a.turns:
        turn_counts[t.speaker] = turn_counts.get(t.speaker, 0) + 1
    return jsonable(
        {
            "schema_version": SCHEMA_VERSION,
            "kind": KIND,
            "generator": {"name": "facetrack-otio", "version": __version__},
            "name": a.name,
            "fps": f"{a.fps.numerator}/{a.fps.denominator}",
            "files": [_file_md(f) for f in a.files],
            "views": [_view_md(v) for v in a.views],
            "people": [
                {
                    **p.to_dict(),
                    "turn_count": turn_counts.get(p.id, 0),
                    "marker_color": marker_color(p.id),
                }
                for p in a.people
            ],
            "turns": [t.to_dict() for t in a.turns],
            "speech": [[round(s.start, 3), round(s.end, 3)] for s in a.speech],
            "program": [seg.to_dict() for seg in a.program],
            "wearers": dict(a.wearers),
            "room": a.room,
            "settings": a.settings.to_dict(),
            "embedder": a.embedder,
            "voice_encoder": a.voice_encoder,
            "timings": {k: round(v, 3) for k, v in a.timings.items()},
            "warnings": list(a.warnings),
            "version": __version__,
        }
    )


def _set_values(values: Any) -> Any:
    """Stored settings without their unset values (a settings file cannot hold those)."""
    if isinstance(values, dict):
        return {k: _set_values(v) for k, v in values.items() if v is not None}
    return values


def rename_multicam(
    timeline: otio.schema.Timeline, names: Mapping[int, str]
) -> otio.schema.Timeline:
    """Give people names in a multicam timeline, in place: its people, the program clips'
    speakers and the markers of their turns (found by person id, never by the old name).

    Raises
    ------
    InputError
        When a name is for an id nobody has.
    """
    md = timeline.metadata[NAMESPACE]
    known = {int(p["id"]) for p in md["people"]}
    unknown = sorted(set(names) - known)
    if unknown:
        have = ", ".join(str(i) for i in sorted(known)) or "nobody"
        raise InputError(f"no person {unknown[0]} in {timeline.name!r} (people: {have})")
    for p in md["people"]:
        if int(p["id"]) in names:
            p["name"] = names[int(p["id"])]
    for clip in timeline.find_clips():
        own = clip.metadata.get(NAMESPACE)
        if own is not None and own.get("speaker") is not None and int(own["speaker"]) in names:
            own["speaker_name"] = names[int(own["speaker"])]
        for marker in clip.markers:
            turn = marker.metadata.get(NAMESPACE)
            if turn is not None and int(turn.get("speaker", -1)) in names:
                marker.name = names[int(turn["speaker"])]
    return timeline


def is_multicam(timeline: otio.schema.Timeline) -> bool:
    """Whether ``timeline`` is a ``facetrack multicam`` timeline."""
    return facetrack_md(timeline).get("kind") == KIND


def read_multicam(timeline: otio.schema.Timeline) -> MulticamAnalysis:
    """The analysis stored in a multicam timeline (without the face tracks).

    Names given since (``facetrack name``) come from the timeline's people.

    Raises
    ------
    InputError
        When the timeline is not a multicam timeline of facetrack, or its metadata is damaged.
    """
    md = facetrack_md(timeline)
    if md.get("kind") != KIND:
        raise InputError(f"timeline {timeline.name!r} is not a facetrack multicam timeline")
    try:
        files = [ShootFile.from_dict(d, d["info"]) for d in md["files"]]
        views = [
            AngleView(
                index=int(v["index"]),
                start=float(v["start"]),
                end=float(v["end"]),
                shows={
                    int(p): [(float(a), float(b)) for a, b in ivs] for p, ivs in v["shows"].items()
                },
                size={int(p): float(s) for p, s in v["size"].items()},
                kind=str(v["kind"]),
                subject=None if v.get("subject") is None else int(v["subject"]),
                name=str(v.get("name", "")),
            )
            for v in md["views"]
        ]
        people = [
            Person(
                id=int(p["id"]),
                name=str(p["name"]),
                screen_time=float(p.get("screen_time", 0.0)),
                speaking_time=float(p.get("speaking_time", 0.0)),
                thumbnail=p.get("thumbnail"),
            )
            for p in md["people"]
        ]
        turns = [SpeakerTurn.from_dict(t) for t in md["turns"]]
        program = [
            ProgramSegment(
                float(s["start"]),
                float(s["end"]),
                int(s["angle"]),
                str(s.get("reason", "speaker")),
                None if s.get("speaker") is None else int(s["speaker"]),
            )
            for s in md["program"]
        ]
        settings = apply_settings(
            Settings(), _set_values(md.get("settings") or {}), "the timeline's settings"
        )
        return MulticamAnalysis(
            name=str(md.get("name") or timeline.name),
            files=files,
            people=people,
            turns=turns,
            speech=[SpeechSegment(float(a), float(b)) for a, b in md.get("speech") or []],
            program=program,
            views=views,
            wearers={
                str(k): (None if v is None else int(v))
                for k, v in (md.get("wearers") or {}).items()
            },
            room=md.get("room"),
            fps=Fraction(str(md["fps"])),
            settings=settings,
            timings={str(k): float(v) for k, v in (md.get("timings") or {}).items()},
            warnings=[str(w) for w in md.get("warnings") or []],
            embedder=str(md.get("embedder") or ""),
            voice_encoder=str(md.get("voice_encoder") or ""),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise InputError(f"timeline {timeline.name!r}: damaged multicam metadata ({exc})") from None
