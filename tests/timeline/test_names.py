"""Renaming people: everywhere, by id, never by the old name."""

from __future__ import annotations

import opentimelineio as otio
import pytest

from facetrack_otio.errors import InputError
from facetrack_otio.media.probe import MediaInfo
from facetrack_otio.speakers.turns import Person
from facetrack_otio.timeline import build_timeline, parse_names, rename_people, speaker_data
from facetrack_otio.timeline.meta import facetrack_md


def test_parse_names() -> None:
    assert parse_names(["1=Alice", "2 = Bob Smith ", "speaker-3=Chloé", "off-screen=Narrator"]) == {
        1: "Alice",
        2: "Bob Smith",
        3: "Chloé",
        0: "Narrator",
    }
    assert parse_names(["4=a=b"]) == {4: "a=b"}
    assert parse_names([]) == {}


@pytest.mark.parametrize(
    "items",
    [["Alice"], ["x=Alice"], ["=Alice"], ["1="], ["1=  "], ["1=A", "1=B"], ["-1=A"], ["1=a\nb"]],
)
def test_parse_names_refuses(items: list[str]) -> None:
    with pytest.raises(InputError):
        parse_names(items)


def _names_everywhere(tl: otio.schema.Timeline) -> dict[str, set]:
    tracks, clips, markers = set(), set(), set()
    for track in tl.tracks:
        tracks.add(track.name)
        for item in track:
            if isinstance(item, otio.schema.Clip):
                clips.add((facetrack_md(item).get("speaker"), item.name))
                markers.update((facetrack_md(m)["speaker"], m.name) for m in item.markers)
    return {"tracks": tracks, "clips": clips, "markers": markers}


def test_rename_everywhere(ntsc: otio.schema.Timeline) -> None:
    out = rename_people(ntsc, {1: "Alice", 0: "Narrator"})
    assert out is ntsc
    names = _names_everywhere(ntsc)
    assert names["tracks"] == {"Program", "Alice", "Speaker 2", "Narrator", "Audio"}
    assert (1, "Alice") in names["clips"] and (0, "Narrator") in names["clips"]
    assert not {n for s, n in names["clips"] if s in (0, 1)} - {"Alice", "Narrator"}
    assert names["markers"] == {(1, "Alice"), (2, "Speaker 2"), (0, "Narrator")}
    assert (None, "No speaker") in names["clips"]
    people = {p.id: p.name for p in speaker_data(ntsc).people}
    assert people == {1: "Alice", 2: "Speaker 2", 0: "Narrator"}


def test_rename_twice_and_swap(ntsc: otio.schema.Timeline) -> None:
    # found by id: swapping two names, or giving two people the same name, is fine
    rename_people(ntsc, {1: "Bob", 2: "Alice"})
    rename_people(ntsc, {1: "Alice", 2: "Bob"})
    names = _names_everywhere(ntsc)
    assert {"Alice", "Bob"} <= names["tracks"]
    assert (1, "Alice") in names["markers"] and (2, "Bob") in names["markers"]
    rename_people(ntsc, {1: "Same", 2: "Same"})
    assert ntsc.tracks[1].name == ntsc.tracks[2].name == "Same"


def test_rename_person_without_turns(ntsc_source: MediaInfo) -> None:
    tl = build_timeline(ntsc_source, [], [Person(5, "Speaker 5")])
    rename_people(tl, {5: "Eve"})
    assert speaker_data(tl).people[0].name == "Eve"


def test_rename_refuses(ntsc: otio.schema.Timeline) -> None:
    with pytest.raises(InputError, match="no person 9"):
        rename_people(ntsc, {9: "Zed"})
    with pytest.raises(InputError, match="empty"):
        rename_people(ntsc, {1: "  "})
    with pytest.raises(InputError, match="not a facetrack timeline"):
        rename_people(otio.schema.Timeline(), {1: "A"})
    assert ntsc.tracks[1].name == "Speaker 1"  # nothing changed by a refused rename
