"""Give people their real names in a facetrack timeline."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import opentimelineio as otio

from facetrack_otio.errors import InputError
from facetrack_otio.speakers.turns import OFF_SCREEN_ID
from facetrack_otio.timeline.meta import NAMESPACE, ROLE_SPEAKER, facetrack_md
from facetrack_otio.timeline.read import speaker_data

_ID_RE = re.compile(r"^(?:speaker[-_ ]?)?(\d+)$", re.IGNORECASE)
_VOICE_RE = re.compile(r"^off[-_ ]?screen(?:[-_ ]?(\d+))?$", re.IGNORECASE)


def _person_id(text: str) -> int | None:
    text = text.strip()
    voice = _VOICE_RE.match(text)
    if voice:  # off-screen-2: the second voice never seen; off-screen: unattributed speech
        return -int(voice.group(1)) if voice.group(1) else OFF_SCREEN_ID
    m = _ID_RE.match(text)
    return int(m.group(1)) if m else None


def parse_names(items: Sequence[str]) -> dict[int, str]:
    """Parse ``ID=NAME`` items, as given on the command line.

    Parameters
    ----------
    items : sequence of str
        E.g. ``["1=Alice", "2=Bob"]``. The id may also be written as a label
        (``speaker-2=Bob``; ``off-screen-1=Interviewer`` for the first voice never seen;
        ``off-screen=Narrator`` for speech tied to nobody).

    Returns
    -------
    dict of int to str
        Person id to name, e.g. ``{1: "Alice", 2: "Bob"}``.

    Raises
    ------
    InputError
        On an item without ``=``, an id that is not a person id, an empty name, a name with
        line breaks, or an id given twice.
    """
    names: dict[int, str] = {}
    for item in items:
        key, sep, name = str(item).partition("=")
        pid = _person_id(key) if sep else None
        if pid is None:
            raise InputError(f"name {item!r}: expected ID=NAME, e.g. 1=Alice")
        name = name.strip()
        if not name:
            raise InputError(f"name {item!r}: the name is empty")
        if any(c in name for c in "\r\n\t") or not name.isprintable():
            raise InputError(f"name {item!r}: the name may not hold line breaks or tabs")
        if pid in names:
            raise InputError(f"name {item!r}: person {pid} is named twice")
        names[pid] = name
    return names


def rename_people(timeline: otio.schema.Timeline, names: Mapping[int, str]) -> otio.schema.Timeline:
    """Rename people everywhere in a facetrack timeline, in place.

    Their tracks, their clips (program and own track), the markers of their turns and the
    people list in the metadata all take the new name. Things are found by the person id in
    their facetrack metadata, never by their current name, so renaming twice, or giving two
    people the same name, works.

    Parameters
    ----------
    timeline : opentimelineio.schema.Timeline
        A facetrack timeline; changed in place.
    names : mapping of int to str
        Person id to new name (see :func:`parse_names`).

    Returns
    -------
    opentimelineio.schema.Timeline
        The same timeline, for chaining.

    Raises
    ------
    InputError
        When the timeline is not a facetrack timeline, an id is not a person in it, or a
        name is empty.
    """
    people = speaker_data(timeline).people
    known = {p.id for p in people}
    clean: dict[int, str] = {}
    for pid, name in names.items():
        if int(pid) not in known:
            listed = ", ".join(str(i) for i in sorted(known)) or "none"
            raise InputError(f"no person {pid} in timeline {timeline.name!r} (people: {listed})")
        if not str(name).strip():
            raise InputError(f"the new name of person {pid} is empty")
        clean[int(pid)] = str(name).strip()
    if not clean:
        return timeline

    md = facetrack_md(timeline)
    for person in md.get("people", []):
        if int(person.get("id", -1)) in clean:
            person["name"] = clean[int(person["id"])]
    timeline.metadata[NAMESPACE] = md

    for track in timeline.tracks:
        tmd = facetrack_md(track)
        if tmd.get("role") == ROLE_SPEAKER and tmd.get("speaker") in clean:
            track.name = clean[tmd["speaker"]]
        for item in track:
            if not isinstance(item, otio.schema.Clip):
                continue
            speaker = facetrack_md(item).get("speaker")
            if speaker in clean:
                item.name = clean[speaker]
            for marker in item.markers:
                speaker = facetrack_md(marker).get("speaker")
                if speaker in clean:
                    marker.name = clean[speaker]
    return timeline
