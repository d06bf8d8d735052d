"""A Kdenlive project (``STEM.kdenlive``), from any timeline.

Kdenlive saves its projects as MLT XML with its own conventions; this writes the timeline laid
out by :func:`facetrack_otio.exports.mlt.layout` (same profile, tracks, in points, sub-frame
sound and disabled clips as the ``.mlt``) in the shape of Kdenlive 22.12's project files:

- the bin (``main_bin``) holds one clip per file, its ``kdenlive:id`` shared by every use of
  it on the timeline, and the document's properties;
- every track is a ``tractor`` of two playlists (Kdenlive's two layers for same-track
  transitions), named (``kdenlive:track_name``), audio tracks marked ``kdenlive:audio_track``;
  the main tractor holds them over a black background, audio tracks first, then video, with
  a ``mix`` per audio track (every track heard) and a ``qtblend`` per video track;
- markers are timeline guides at their frames, with their names; each marker colour (one per
  person in facetrack's timelines) is a guide category of that colour, named after the first
  marker of it.

The file also plays in ``melt`` as it is (the tests render it so); it was not opened in the
Kdenlive application here.
"""

from __future__ import annotations

import json
import os
import xml.etree.ElementTree as ET
from pathlib import Path

import opentimelineio as otio

from facetrack_otio.exports.mlt import (
    Entry,
    Layout,
    Media,
    fill_playlist,
    layout,
    mix_transitions,
    producer,
    producers_of,
    profile,
    prop,
)
from facetrack_otio.fsutil import atomic_write_text

SUFFIX = ".kdenlive"
# Marks the tracks' compositing and mixing as Kdenlive's own (it rebuilds those it added).
_INTERNAL = 237


def _bin(root: ET.Element, lay: Layout) -> dict[str, int]:
    """A bin clip per file: its ``kdenlive:id`` by media key."""
    ids: dict[str, int] = {}
    kinds: dict[str, set[bool]] = {}
    medias: dict[str, Media] = {}
    for t in lay.tracks:
        for item in t.items:
            if isinstance(item, Entry):
                medias.setdefault(item.media.key, item.media)
                kinds.setdefault(item.media.key, set()).add(t.video)
    for key, media in medias.items():
        ids[key] = len(ids) + 2  # Kdenlive's ids start after its own folder (1)
        el = ET.SubElement(root, "producer", {"id": f"bin{ids[key]}"})
        prop(el, "resource", media.resource)
        prop(el, "mlt_service", "color" if media.offline else "avformat")
        prop(el, "kdenlive:clipname", media.name)
        prop(el, "kdenlive:id", ids[key])
        prop(el, "kdenlive:folderid", -1)
        # 0: picture and sound, 1: sound only, 2: picture only.
        both, video = kinds[key] == {True, False}, True in kinds[key]
        prop(el, "kdenlive:clip_type", 0 if both else (2 if video else 1))
    return ids


def _guides(lay: Layout) -> tuple[str, str]:
    """(guides, categories) as Kdenlive's JSON properties: a category per colour."""
    categories: dict[str, tuple[int, str]] = {}
    for m in lay.marks:
        categories.setdefault(m.color, (len(categories), m.name))
    guides = [
        {"comment": m.name, "pos": m.frame, "type": categories[m.color][0]} for m in lay.marks
    ]
    cats = [
        {"color": color, "comment": name, "index": index}
        for color, (index, name) in categories.items()
    ]
    return json.dumps(guides), json.dumps(cats)


def to_string(timeline: otio.schema.Timeline) -> str:
    """The timeline as a Kdenlive project (see the module docstring).

    Parameters
    ----------
    timeline : opentimelineio.schema.Timeline
        Any flat timeline (left unchanged).

    Returns
    -------
    str

    Raises
    ------
    InputError
        When the timeline has no track or holds a nested composition.
    """
    lay = layout(timeline)
    root = ET.Element("mlt", {"LC_NUMERIC": "C", "version": "7.12.0", "title": lay.name})
    root.append(profile(lay))
    bin_ids = _bin(root, lay)
    main_bin = ET.SubElement(root, "playlist", {"id": "main_bin"})
    guides, categories = _guides(lay)
    for k, v in (
        ("kdenlive:docproperties.version", "1.04"),
        ("kdenlive:docproperties.kdenliveversion", "22.12.3"),
        ("kdenlive:docproperties.audioChannels", 2),
        ("kdenlive:docproperties.guides", guides),
        ("kdenlive:docproperties.guidesCategories", categories),
        ("kdenlive:docproperties.position", 0),
        ("xml_retain", 1),
    ):
        prop(main_bin, k, v)
    for bid in bin_ids.values():
        ET.SubElement(main_bin, "entry", {"producer": f"bin{bid}", "in": "0", "out": "0"})

    length = lay.length
    span = {"in": "0", "out": str(length - 1)}
    black = ET.SubElement(root, "producer", {"id": "black_track", **span})
    prop(black, "length", length)
    prop(black, "resource", "black")
    prop(black, "mlt_service", "color")
    prop(black, "set.test_audio", 0)

    # Kdenlive's order: audio tracks (the last first), then video tracks (V1 first).
    order = [t for t in reversed(lay.tracks) if not t.video] + [t for t in lay.tracks if t.video]
    tractors = []
    for n, t in enumerate(order):
        ids = producers_of(t, f"t{n}p")
        for pid, entry in ids.values():
            extra = {"kdenlive:id": bin_ids[entry.media.key], "kdenlive:clipname": entry.media.name}
            producer(root, pid, entry, t.video, extra)
        upper = ET.SubElement(root, "playlist", {"id": f"playlist{2 * n}"})
        fill_playlist(upper, t, ids)
        ET.SubElement(root, "playlist", {"id": f"playlist{2 * n + 1}"})
        tractor = ET.SubElement(root, "tractor", {"id": f"tractor{n}", **span})
        prop(tractor, "kdenlive:track_name", t.name)
        prop(tractor, "kdenlive:trackheight", 69)
        if not t.video:
            prop(tractor, "kdenlive:audio_track", 1)
        hide = "audio" if t.video else "video"
        for k in (2 * n, 2 * n + 1):
            ET.SubElement(tractor, "track", {"hide": hide, "producer": f"playlist{k}"})
        tractors.append((tractor.get("id"), t))

    main = ET.SubElement(root, "tractor", {"id": "maintractor", **span})
    prop(main, "kdenlive:projectTractor", 1)
    ET.SubElement(main, "track", {"producer": "black_track"})
    for tid, t in tractors:
        attrib = {"producer": str(tid)}
        if not t.heard:
            attrib["hide"] = "both"
        ET.SubElement(main, "track", attrib)
    mix_transitions(main, order, 1)
    for tr in main.iter("transition"):
        prop(tr, "internal_added", _INTERNAL)
    ET.indent(root, space=" ")
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def write(timeline: otio.schema.Timeline, outdir: str | os.PathLike[str], stem: str) -> list[Path]:
    """Write ``STEM.kdenlive`` into ``outdir``.

    Parameters
    ----------
    timeline : opentimelineio.schema.Timeline
        The timeline to export (left unchanged).
    outdir : str or os.PathLike
        Output folder (created when missing).
    stem : str
        File name without suffix.

    Returns
    -------
    list of pathlib.Path
        The file written.
    """
    path = Path(outdir) / f"{stem}{SUFFIX}"
    atomic_write_text(path, to_string(timeline))
    return [path]
