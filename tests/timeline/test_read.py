"""Reading a timeline back: the .otio file and the speaker data in its metadata."""

from __future__ import annotations

import json
import re
from pathlib import Path

import opentimelineio as otio
import pytest

from facetrack_otio.errors import InputError
from facetrack_otio.exports import otio_json
from facetrack_otio.media.probe import MediaInfo
from facetrack_otio.timeline import SpeakerTimeline, load_timeline, speaker_data
from facetrack_otio.timeline.meta import NAMESPACE, SCHEMA_VERSION, facetrack_md
from tests.timeline.helpers import ntsc_turns, people


def test_round_trip(tmp_path: Path, ntsc: otio.schema.Timeline, ntsc_source: MediaInfo) -> None:
    [path] = otio_json.write(ntsc, tmp_path, "t")
    loaded = load_timeline(path)
    assert loaded.is_equivalent_to(ntsc)
    data = speaker_data(loaded)
    assert isinstance(data, SpeakerTimeline)
    assert data.info == ntsc_source
    assert data.turns == sorted(ntsc_turns(), key=lambda t: (t.start, t.end, t.speaker))
    assert [(p.id, p.name) for p in data.people] == [
        (1, "Speaker 1"),
        (2, "Speaker 2"),
        (0, "Off-screen"),
    ]
    assert data.people[0].to_dict() == people(1)[0].to_dict()
    assert data.settings == {}
    assert data.person(7).name == "Speaker 7"  # unknown ids get their default name


def test_newer_keys_are_ignored(ntsc: otio.schema.Timeline) -> None:
    md = facetrack_md(ntsc)
    md["source"]["colour_space"] = "bt709"
    md["people"][0]["voice_print"] = [0.1, 0.2]
    ntsc.metadata[NAMESPACE] = md
    data = speaker_data(ntsc)
    assert data.people[0].name == "Speaker 1"


def _foreign_timeline() -> otio.schema.Timeline:
    tl = otio.schema.Timeline(name="someone else's")
    track = otio.schema.Track(name="V1")
    track.append(
        otio.schema.Clip(
            name="shot",
            media_reference=otio.schema.ExternalReference(target_url="file:///x.mov"),
            source_range=otio.opentime.TimeRange(
                otio.opentime.RationalTime(0, 24), otio.opentime.RationalTime(48, 24)
            ),
        )
    )
    tl.tracks.append(track)
    return tl


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "no such file"),
        ("", "file is empty"),
        ("this is not json", "not a readable .otio timeline"),
        (b"\x00\xff\xfe binary", "not a readable .otio timeline"),
        ('{"OTIO_SCHEMA": "NoSuchThing.1"}', "not a timeline"),
        ("[1, 2, 3]", "not a timeline"),
        ("foreign", "not a facetrack timeline"),
        ("clip", "not a timeline"),
        ("newer", "newer facetrack"),
    ],
)
def test_load_errors_are_one_line(
    tmp_path: Path, ntsc: otio.schema.Timeline, content: str | bytes | None, message: str
) -> None:
    path = tmp_path / "t.otio"
    if content == "foreign":
        otio.adapters.write_to_file(_foreign_timeline(), str(path))
    elif content == "clip":
        otio.adapters.write_to_file(_foreign_timeline().tracks[0][0], str(path))
    elif content == "newer":
        ntsc.metadata[NAMESPACE]["schema_version"] = SCHEMA_VERSION + 1
        otio.adapters.write_to_file(ntsc, str(path))
    elif isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content)
    with pytest.raises(InputError, match=message) as info:
        load_timeline(path)
    assert "\n" not in str(info.value)
    assert info.value.exit_code == 2


def test_load_directory(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="directory"):
        load_timeline(tmp_path)


def test_speaker_data_refuses_foreign_and_damaged(ntsc: otio.schema.Timeline) -> None:
    with pytest.raises(InputError, match="not a facetrack timeline"):
        speaker_data(_foreign_timeline())
    md = facetrack_md(ntsc)
    md["turns"] = [{"speaker": 1, "start": 5.0, "end": 2.0}]  # ends before it starts
    ntsc.metadata[NAMESPACE] = md
    with pytest.raises(InputError, match="damaged"):
        speaker_data(ntsc)
    del md["source"]
    md["turns"] = []
    ntsc.metadata[NAMESPACE] = md
    with pytest.raises(InputError, match="damaged"):
        speaker_data(ntsc)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("audio_sample_rate", "a'b"),
        ("rotation", 1.5),
        ("variable_frame_rate", "yes"),
        ("start_timecode", 3),
        ("video_codec", None),
    ],
)
def test_a_source_description_of_the_wrong_kind_is_damaged(
    ntsc: otio.schema.Timeline, field: str, value: object
) -> None:
    # `name` and the exports read every field of the source: a value of another kind must be
    # refused as damaged, never fail later inside a writer.
    md = facetrack_md(ntsc)
    md["source"] = {**md["source"], field: value}
    ntsc.metadata[NAMESPACE] = md
    with pytest.raises(InputError, match=f"damaged facetrack metadata.*{field}"):
        speaker_data(ntsc)


@pytest.mark.parametrize(("field", "value"), [("thumbnail", 1e308), ("name", 3), ("id", "1")])
def test_a_person_of_the_wrong_kind_is_damaged(
    ntsc: otio.schema.Timeline, field: str, value: object
) -> None:
    md = facetrack_md(ntsc)
    md["people"] = [{**md["people"][0], field: value}, *md["people"][1:]]
    ntsc.metadata[NAMESPACE] = md
    with pytest.raises(InputError, match=f"damaged facetrack metadata.*{field}"):
        speaker_data(ntsc)


def test_written_file_is_plain_otio_json(tmp_path: Path, two_shot: otio.schema.Timeline) -> None:
    [path] = otio_json.write(two_shot, tmp_path / "new" / "dir", "talk")
    assert path == tmp_path / "new" / "dir" / "talk.otio"
    doc = json.loads(path.read_text())
    assert doc["OTIO_SCHEMA"].startswith("Timeline.")
    assert doc["metadata"]["facetrack"]["schema_version"] == SCHEMA_VERSION
    assert [p.name for p in path.parent.iterdir()] == ["talk.otio"]  # no temporary left


@pytest.mark.parametrize(
    ("path", "value", "words"),
    [
        (["source_range", "duration", "rate"], 1e308, "damaged timeline (a duration of"),
        (["source_range", "start_time", "value"], float("nan"), "damaged timeline (a start of"),
        (["source_range", "duration", "value"], -5, "damaged timeline (a duration of -5"),
        (["active_media_reference_key"], "gone", "has no media"),
        (["source_range"], None, "has no range"),
    ],
)
def test_a_timeline_no_export_can_write_is_refused(
    tmp_path: Path, ntsc: otio.schema.Timeline, path: list[str], value: object, words: str
) -> None:
    [saved] = otio_json.write(ntsc, tmp_path, "t")
    doc = json.loads(saved.read_text())
    node = doc["tracks"]["children"][0]["children"][0]
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    saved.write_text(json.dumps(doc))
    with pytest.raises(InputError, match=re.escape(words)):
        load_timeline(saved)
