"""Read an FCPXML file back into frames, to compare with the timeline it was written from.

OTIO's own ``fcpx_xml`` reader rounds rates to whole numbers (29.97 reads as 29), so the
comparison is made here, from the DTD's meaning of the attributes: a storyline item's
``offset`` is in sequence time (from ``tcStart``), an anchored item's ``offset`` is in its
parent's own time (which starts at the parent's ``start``).
"""

from __future__ import annotations

from fractions import Fraction

import opentimelineio as otio
from lxml import etree

from facetrack_otio.exports.sequence import frames_at

# (clip name, first frame on the timeline from its start, frames, first source frame)
Placed = tuple[str, int, int, int]


def seconds(value: str) -> Fraction:
    assert value.endswith("s"), value
    return Fraction(value[:-1])


def frames(value: str, frame_duration: Fraction) -> int:
    """An FCPXML time as whole frames; fails when it is not on a frame."""
    n = seconds(value) / frame_duration
    assert n.denominator == 1, f"{value} is not a whole number of frames"
    return int(n)


def _joined(pieces: list[Placed]) -> list[Placed]:
    """Sound cut where the storyline cuts, joined again where it plays on without a break
    (named after nothing: a storyline clip's own sound bears the clip's name)."""
    out: list[Placed] = []
    for _, at, n, start in sorted(pieces, key=lambda p: p[1]):
        if out and out[-1][1] + out[-1][2] == at and out[-1][3] + out[-1][2] == start:
            out[-1] = ("", out[-1][1], out[-1][2] + n, out[-1][3])
        else:
            out.append(("", at, n, start))
    return out


def layout(root: etree._Element) -> dict[int, list[Placed]]:
    """Every ``asset-clip`` of the sequence by lane (0: the storyline), in timeline order;
    the sound lanes (a storyline clip's own sound is lane -1's) joined where unbroken."""
    fd = seconds(root.find("resources/format").get("frameDuration"))
    sequence = root.find("library/event/project/sequence")
    seq_start = frames(sequence.get("tcStart"), fd)
    out: dict[int, list[Placed]] = {}
    for el in sequence.find("spine"):
        if el.tag not in ("asset-clip", "gap"):
            continue
        offset = frames(el.get("offset"), fd) - seq_start
        start = frames(el.get("start", "0s"), fd)
        duration = frames(el.get("duration"), fd)
        if el.tag == "asset-clip":
            out.setdefault(0, []).append((el.get("name"), offset, duration, start))
            if el.get("srcEnable") == "all":
                out.setdefault(-1, []).append((el.get("name"), offset, duration, start))
        for child in el.findall("asset-clip"):
            at = offset + frames(child.get("offset"), fd) - start
            placed = (
                child.get("name"),
                at,
                frames(child.get("duration"), fd),
                frames(child.get("start"), fd),
            )
            out.setdefault(int(child.get("lane")), []).append(placed)
    return {
        lane: _joined(items) if lane < 0 else sorted(items, key=lambda p: p[1])
        for lane, items in out.items()
    }


def expected_layout(timeline: otio.schema.Timeline, fps: Fraction) -> dict[int, list[Placed]]:
    """The clips of the timeline's tracks by the lanes FCPXML gives them.

    The first video track is lane 0, the other video tracks 1, 2, ..., audio tracks -1, -2, ...
    """
    video = [t for t in timeline.tracks if t.kind == otio.schema.TrackKind.Video]
    audio = [t for t in timeline.tracks if t.kind == otio.schema.TrackKind.Audio]
    lanes = dict(enumerate(video)) | {-1 - j: t for j, t in enumerate(audio)}
    out: dict[int, list[Placed]] = {}
    for lane, track in lanes.items():
        placed = [
            (
                c.name,
                frames_at(c.range_in_parent().start_time, fps),
                frames_at(c.trimmed_range().duration, fps),
                frames_at(c.trimmed_range().start_time, fps),
            )
            for c in track.find_clips(shallow_search=True)
        ]
        if placed:
            out[lane] = _joined(placed) if lane < 0 else placed
    return out
