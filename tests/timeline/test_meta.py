"""Small timeline helpers: the copies handed to other tools' adapters."""

from __future__ import annotations

import opentimelineio as otio

from facetrack_otio.timeline.meta import NAMESPACE, adapter_copy


def _md_keys(obj: otio.core.SerializableObject) -> set[str]:
    return set(obj.metadata.keys())


def test_adapter_copy_drops_only_facetrack_metadata(two_shot: otio.schema.Timeline) -> None:
    track = next(t for t in two_shot.video_tracks() if len(t.find_clips()) > 1)
    clips = track.find_clips()
    clips[0].metadata["other_tool"] = {"reel": "A001"}
    track.metadata["other_tool"] = {"lane": 3}
    assert any(NAMESPACE in c.metadata for c in clips)
    assert any(NAMESPACE in m.metadata for c in clips for m in c.markers)

    copy = adapter_copy(track)

    assert copy is not track and copy.parent() is None
    assert (copy.name, copy.kind, copy.enabled) == (track.name, track.kind, track.enabled)
    assert [(type(i), i.name, i.source_range) for i in copy] == [
        (type(i), i.name, i.source_range) for i in track
    ]
    for new, old in zip(copy.find_clips(), clips, strict=True):
        assert new.media_reference.target_url == old.media_reference.target_url
        assert [(m.name, m.marked_range, m.color) for m in new.markers] == [
            (m.name, m.marked_range, m.color) for m in old.markers
        ]
        assert NAMESPACE not in _md_keys(new)
        assert all(NAMESPACE not in _md_keys(m) for m in new.markers)
    # Other tools' metadata travels; the original keeps everything.
    assert dict(copy.find_clips()[0].metadata["other_tool"]) == {"reel": "A001"}
    assert dict(copy.metadata["other_tool"]) == {"lane": 3} and NAMESPACE not in copy.metadata
    assert any(NAMESPACE in c.metadata for c in clips)
    assert NAMESPACE in track.metadata
