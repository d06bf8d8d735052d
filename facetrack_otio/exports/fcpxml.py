"""FCPXML 1.8 for Final Cut Pro and DaVinci Resolve (``STEM.fcpxml``).

The program track goes through OTIO's ``fcpx_xml`` adapter, which writes the resources (format,
asset), the primary storyline and its markers. Its output is then put in the shape Final Cut and
Resolve import, and that validates against Apple's FCPXML 1.8 DTD:

- every time is recomputed as an exact multiple of the frame duration (the adapter does its
  arithmetic in floats and integer frame rates, which drifts at 29.97 fps);
- the format gets the exact ``frameDuration`` (``1001/30000s`` for 29.97), the frame size and a
  Final Cut format name when the size and rate are standard;
- the asset gets the source's start timecode as ``start`` so clips relink at the right place,
  and its audio properties;
- storyline clips become ``asset-clip`` elements (video only: the audio is its own lane);
- the speaker tracks are anchored above the storyline (lanes 1, 2, ...) and the source audio
  below it (lane -1), each at its exact place;
- markers last one frame (as Final Cut writes them) and are plain markers, not to-do items;
- the project is wrapped in ``library`` / ``event``, and the adapter's loose browser clips are
  dropped.

FCPXML keeps names, cuts, lanes and markers; facetrack's metadata stays in the ``.otio`` file.
"""

from __future__ import annotations

import bisect
import os
import xml.etree.ElementTree as ET
from fractions import Fraction
from pathlib import Path
from urllib.parse import unquote, urlparse

import opentimelineio as otio

from facetrack_otio.errors import InputError
from facetrack_otio.fsutil import atomic_write_text
from facetrack_otio.text import display_name
from facetrack_otio.timeline.meta import (
    adapter_copy,
    facetrack_md,
    is_drop_frame,
    timeline_fps,
)

SUFFIX = ".fcpxml"

# Final Cut's names for standard formats: frame height tag by size, rate tag by rate.
_SIZES = {(1920, 1080): "1080p", (1280, 720): "720p", (3840, 2160): "2160p"}
_RATES = {
    Fraction(24000, 1001): "2398",
    Fraction(24): "24",
    Fraction(25): "25",
    Fraction(30000, 1001): "2997",
    Fraction(30): "30",
    Fraction(50): "50",
    Fraction(60000, 1001): "5994",
    Fraction(60): "60",
}


def fcp_time(frames: int, fps: Fraction) -> str:
    """An FCPXML time value: ``frames`` at ``fps`` as a rational number of seconds."""
    t = Fraction(frames) / fps
    if t == 0:
        return "0s"
    if t.denominator == 1:
        return f"{t.numerator}s"
    return f"{t.numerator}/{t.denominator}s"


def _frames(t: otio.opentime.RationalTime, fps: Fraction) -> int:
    return round(t.value_rescaled_to(float(fps)))


class _Item:
    """A clip or gap of a track, in frames at the sequence rate."""

    def __init__(self, item: otio.core.Item, offset: int, fps: Fraction) -> None:
        self.item = item
        self.offset = offset
        self.duration = _frames(item.source_range.duration, fps)
        self.start = _frames(item.source_range.start_time, fps)
        self.is_clip = isinstance(item, otio.schema.Clip)

    @property
    def end(self) -> int:
        return self.offset + self.duration


def _items(track: otio.schema.Track, fps: Fraction) -> list[_Item]:
    out, offset = [], 0
    for item in track:
        if not isinstance(item, (otio.schema.Clip, otio.schema.Gap)):
            raise InputError(
                f"track {track.name!r}: {item.schema_name()} is not supported in FCPXML export "
                "(only clips and gaps)"
            )
        if item.source_range is None:
            raise InputError(f"track {track.name!r}: an item has no source range")
        out.append(_Item(item, offset, fps))
        offset = out[-1].end
    return out


def _url(clip: otio.schema.Clip) -> str:
    ref = clip.media_reference
    url = getattr(ref, "target_url", None)
    if not url:
        raise InputError(f"clip {clip.name!r} has no media file to point at")
    return url


class _Doc:
    """The adapter's document, being put in shape."""

    def __init__(self, root: ET.Element, timeline: otio.schema.Timeline, fps: Fraction) -> None:
        self.root = root
        self.timeline = timeline
        self.fps = fps
        self.source = facetrack_md(timeline).get("source") or {}
        self.resources = root.find("resources")
        if self.resources is None:
            self.resources = ET.SubElement(root, "resources")
        self.format_id = self._fix_format()
        self.assets: dict[str, ET.Element] = {
            a.get("src", ""): a for a in self.resources.findall("asset")
        }
        self.fixed: set[str] = set()  # asset sources already put right

    def time(self, frames: int) -> str:
        return fcp_time(frames, self.fps)

    def _fix_format(self) -> str:
        formats = self.resources.findall("format")
        if formats:
            fmt = formats[0]
            for extra in formats[1:]:  # one rate, one format
                self.resources.remove(extra)
        else:
            fmt = ET.Element("format", {"id": self._new_id()})
            self.resources.insert(0, fmt)
        fmt.attrib = {"id": fmt.get("id", "r1"), "frameDuration": self.time(1)}
        width, height = int(self.source.get("width") or 0), int(self.source.get("height") or 0)
        size = _SIZES.get((width, height))
        rate = _RATES.get(self.fps)
        if size and rate:
            fmt.set("name", f"FFVideoFormat{size}{rate}")
        if width and height:
            fmt.set("width", str(width))
            fmt.set("height", str(height))
        return fmt.get("id", "r1")

    def _new_id(self) -> str:
        used = {e.get("id") for e in self.resources}
        n = len(used) + 1
        while f"r{n}" in used:
            n += 1
        return f"r{n}"

    def asset(self, clip: otio.schema.Clip) -> str:
        """The id of the asset for a clip's media, made or put right."""
        url = _url(clip)
        asset = self.assets.get(url)
        if asset is None:
            asset = ET.SubElement(self.resources, "asset", {"id": self._new_id(), "src": url})
            self.assets[url] = asset
        elif url in self.fixed:
            return asset.get("id", "")
        ref = clip.media_reference
        avail = ref.available_range if ref is not None else None
        if avail is not None:
            start = _frames(avail.start_time, self.fps)
            duration = _frames(avail.duration, self.fps)
        else:
            start = _frames(clip.source_range.start_time, self.fps)
            duration = _frames(clip.source_range.duration, self.fps)
        has_audio = bool(self.source.get("audio_streams")) or any(
            t.kind == otio.schema.TrackKind.Audio for t in self.timeline.tracks
        )
        attrib = {
            "id": asset.get("id", ""),
            "name": display_name(Path(unquote(urlparse(url).path)).stem) or "source",
            "src": url,
            "start": self.time(start),
            "duration": self.time(duration),
            "hasVideo": "1",
            "format": self.format_id,
            "hasAudio": "1" if has_audio else "0",
        }
        if has_audio:
            attrib["audioSources"] = "1"
            if self.source.get("audio_sample_rate"):
                attrib["audioRate"] = str(int(self.source["audio_sample_rate"]))
        asset.attrib = attrib
        self.fixed.add(url)
        return attrib["id"]

    def clip_element(self, it: _Item, lane: int | None, offset: int, kind: str) -> ET.Element:
        clip = it.item
        attrib = {
            "name": clip.name or "",
            "ref": self.asset(clip),
            "offset": self.time(offset),
            "start": self.time(it.start),
            "duration": self.time(it.duration),
            "srcEnable": kind,
        }
        if lane is not None:
            attrib = {"lane": str(lane), **attrib}
        return ET.Element("asset-clip", attrib)


def _gap_element(doc: _Doc, offset: int, duration: int) -> ET.Element:
    # A gap's own time starts at its offset, so items anchored on it use timeline offsets.
    return ET.Element(
        "gap",
        {
            "name": "Gap",
            "offset": doc.time(offset),
            "start": doc.time(offset),
            "duration": doc.time(duration),
        },
    )


def _marker_element(
    marker: otio.schema.Marker, fps: Fraction, old: ET.Element | None
) -> ET.Element:
    # Markers are in the clip's source time, which for an asset-clip is the asset's time.
    start = _frames(marker.marked_range.start_time, fps)
    duration = max(1, _frames(marker.marked_range.duration, fps))
    value = old.get("value") if old is not None else None
    return ET.Element(
        "marker",
        {
            "start": fcp_time(start, fps),
            "duration": fcp_time(duration, fps),
            "value": value or marker.name or "Marker",
        },
    )


def _normalise(
    raw: str, timeline: otio.schema.Timeline, fps: Fraction, urls: dict[str, str]
) -> str:
    root = ET.fromstring(raw.encode("utf-8"))
    for asset in root.iter("asset"):
        asset.set("src", urls.get(asset.get("src", ""), asset.get("src", "")))
    doc = _Doc(root, timeline, fps)
    video = [t for t in timeline.tracks if t.kind == otio.schema.TrackKind.Video]
    audio = [t for t in timeline.tracks if t.kind == otio.schema.TrackKind.Audio]

    project = root.find("project")
    if project is None:
        project = root.find(".//project")
    sequence = project.find("sequence") if project is not None else None
    spine = sequence.find("spine") if sequence is not None else None
    if spine is None:
        raise RuntimeError("fcpx_xml adapter wrote no project/sequence/spine")

    story = _items(video[0], fps)
    old_elements = list(spine)
    if len(old_elements) != len(story):
        raise RuntimeError(
            f"fcpx_xml adapter wrote {len(old_elements)} storyline items for {len(story)}"
        )
    lanes: list[tuple[int, list[_Item], str]] = [
        (k, _items(t, fps), "video") for k, t in enumerate(video[1:], 1)
    ] + [(-(j + 1), _items(t, fps), "audio") for j, t in enumerate(audio)]
    end = max([story[-1].end if story else 0] + [i[-1].end for _, i, _ in lanes if i])

    # The storyline: every clip an asset-clip at its exact place; gaps stay gaps. Storyline
    # offsets count from the sequence's start timecode, as Final Cut and Resolve write them.
    seq_start = _frames(timeline.global_start_time, fps) if timeline.global_start_time else 0
    for child in old_elements:
        spine.remove(child)
    parents: list[tuple[ET.Element, _Item | None, int, int]] = []  # element, item, offset, start
    for it in story:
        if it.is_clip:
            el = doc.clip_element(it, None, seq_start + it.offset, "video")
            start = it.start
        else:
            el = _gap_element(doc, seq_start + it.offset, it.duration)
            start = seq_start + it.offset
        spine.append(el)
        parents.append((el, it, it.offset, start))
    story_end = story[-1].end if story else 0
    if end > story_end:  # anchored items need a storyline under them
        spine.append(_gap_element(doc, seq_start + story_end, end - story_end))
        parents.append((spine[-1], None, story_end, seq_start + story_end))

    # Anchored lanes: speakers above, audio below, each on the storyline item under its start.
    anchored: dict[int, list[ET.Element]] = {i: [] for i in range(len(parents))}
    offsets = [p[2] for p in parents]
    for lane, items, kind in lanes:
        for it in items:
            if not it.is_clip:
                continue
            p = max(0, bisect.bisect_right(offsets, it.offset) - 1)
            _, _, p_offset, p_start = parents[p]
            anchored[p].append(doc.clip_element(it, lane, p_start + it.offset - p_offset, kind))

    # Children in the DTD's order: anchored items, then markers.
    for i, (el, it, _, _) in enumerate(parents):
        el.extend(anchored[i])
        if it is not None and it.is_clip:
            old_markers = old_elements[i].findall("marker")
            for j, marker in enumerate(it.item.markers):
                old = old_markers[j] if j < len(old_markers) else None
                el.append(_marker_element(marker, fps, old))

    drop = is_drop_frame(doc.source.get("start_timecode"), fps)
    sequence.attrib = {
        "format": doc.format_id,
        "duration": doc.time(end),
        "tcStart": doc.time(seq_start),
        "tcFormat": "DF" if drop else "NDF",
        "audioLayout": "stereo",
        "audioRate": "48k",
    }
    project.attrib = {"name": timeline.name or "facetrack"}

    # library > event > project; the adapter's loose browser clips go.
    for child in list(root):
        if child.tag != "resources":
            root.remove(child)
    library = ET.SubElement(root, "library")
    event = ET.SubElement(library, "event", {"name": timeline.name or "facetrack"})
    event.append(project)
    root.attrib = {"version": "1.8"}

    ET.indent(root, space="    ")
    body = ET.tostring(root, encoding="unicode")
    return '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE fcpxml>\n\n' + body + "\n"


def to_string(timeline: otio.schema.Timeline) -> str:
    """The timeline as FCPXML 1.8 text.

    Parameters
    ----------
    timeline : opentimelineio.schema.Timeline
        A flat timeline (clips and gaps): its first video track becomes the primary storyline,
        the other video tracks lanes above it, audio tracks lanes below it.

    Returns
    -------
    str

    Raises
    ------
    InputError
        When the timeline has no video track or holds items FCPXML export does not handle.
    """
    video = [t for t in timeline.tracks if t.kind == otio.schema.TrackKind.Video]
    if not video:
        raise InputError(f"timeline {timeline.name!r} has no video track to export")
    fps = timeline_fps(timeline)
    _items(video[0], fps)  # fail early, with our message, on what we cannot export
    storyline = otio.schema.Timeline(
        name=timeline.name, global_start_time=timeline.global_start_time
    )
    storyline.tracks.append(adapter_copy(video[0]))
    urls = _hide_media(storyline.tracks[0])
    stand_in = _hide_apostrophes(storyline)
    raw = otio.adapters.write_to_string(storyline, adapter_name="fcpx_xml")
    if stand_in:
        raw = raw.replace(stand_in, "'")
    return _normalise(raw, timeline, fps, urls)


def _hide_apostrophes(timeline: otio.schema.Timeline) -> str | None:
    """Give the adapter names without apostrophes; returns the character standing in.

    The adapter finds its elements again with XPath predicates in single quotes
    (``asset-clip[@name='...']``), which a name such as O'Brien breaks. A private-use
    character that no name holds stands in for the apostrophe, and is put back in the text
    the adapter writes.
    """
    items = [timeline, *timeline.tracks]
    for track in timeline.tracks:
        for item in track:
            items.append(item)
            items.extend(getattr(item, "markers", []))
    if not any("'" in item.name for item in items):
        return None
    names = "".join(item.name for item in items)
    stand_in = next(chr(c) for c in range(0xE000, 0xF900) if chr(c) not in names)
    for item in items:
        item.name = item.name.replace("'", stand_in)
    return stand_in


def _hide_media(track: otio.schema.Track) -> dict[str, str]:
    """Point the track's clips at placeholder URLs; returns placeholder -> real URL.

    The adapter runs ffprobe on every media file it can find, for a format name that
    :class:`_Doc` sets from the timeline's own metadata anyway: an ffmpeg start-up per export
    spent for nothing.
    """
    urls: dict[str, str] = {}
    placeholders: dict[str, str] = {}
    for clip in track.find_clips():
        ref = clip.media_reference
        url = getattr(ref, "target_url", None)
        if not url:
            continue
        if url not in placeholders:
            placeholders[url] = f"facetrack-media:{len(placeholders)}"
            urls[placeholders[url]] = url
        ref.target_url = placeholders[url]
    return urls


def write(timeline: otio.schema.Timeline, outdir: str | os.PathLike[str], stem: str) -> list[Path]:
    """Write ``STEM.fcpxml`` into ``outdir``.

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
