"""FCPXML 1.8 for Final Cut Pro and DaVinci Resolve (``STEM.fcpxml``), from any timeline.

Written here rather than through OTIO's ``fcpx_xml`` adapter, which does its arithmetic in
floats and integer frame rates (and fails outright at 23.976, 29.97 and 59.94 fps). The file is
in the shape Final Cut and Resolve import, and validates against Apple's FCPXML 1.8 DTD:

- every time is an exact multiple of the frame duration (``1001/30000s`` at 29.97 fps);
- one ``format`` with that frame duration, the frame size and a Final Cut format name when the
  size and rate are standard (the size is known for facetrack's timelines);
- one ``asset`` per media file, its ``src`` the file's URL as the timeline holds it
  (percent-encoded), its ``start`` where the media's own timecode starts so that clips relink
  at the right frame, and its audio properties; a clip without a media file (an EDL's reel)
  gets an offline asset named after its reel or itself;
- the first video track is the primary storyline (``asset-clip`` and ``gap`` elements,
  transitions as ``transition`` elements); the other video tracks are anchored above it (lanes
  1, 2, ...) and the audio tracks below it (lanes -1, -2, ...), each clip on the storyline item
  under its start, at its exact place;
- markers of clips, gaps, tracks and the timeline, each on the element that holds its time;
  one frame long (as Final Cut writes them), plain markers (not to-do items), the comment as
  the marker's note;
- the project is wrapped in ``library`` / ``event``, both named after the timeline; the
  sequence starts at the record start and counts drop-frame or not as :class:`Sequence` says.

FCPXML keeps names, cuts, lanes, transitions on the storyline and markers; track names,
marker colours, a transition on a lane (written as a cut) and other tools' metadata stay in
the ``.otio`` file. A nested composition (compound clip) is refused (:meth:`Sequence.items`).
"""

from __future__ import annotations

import bisect
import itertools
import os
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from urllib.parse import quote, unquote, urlparse

import opentimelineio as otio

from facetrack_otio.errors import InputError
from facetrack_otio.exports.sequence import Sequence, offline_name
from facetrack_otio.fsutil import atomic_write_text
from facetrack_otio.text import display_name

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

_VIDEO = otio.schema.TrackKind.Video
_AUDIO = otio.schema.TrackKind.Audio


def format_name(width: int, height: int, fps: Fraction) -> str | None:
    """Final Cut's name of a standard format (``FFVideoFormat1080p2997``), or None."""
    size = _SIZES.get((width, height))
    rate = _RATES.get(fps)
    return f"FFVideoFormat{size}{rate}" if size and rate else None


def fcp_time(count: int, rate: Fraction) -> str:
    """An FCPXML time value: ``count`` frames (or samples) at ``rate``, in seconds over the
    frame duration's denominator, as Final Cut writes them (``115/25s``, ``3003/30000s``,
    whole seconds as ``5s``).

    Not reduced: OTIO's ``fcpx_xml`` reader, among others, takes a reduced fraction
    (``23/5s``) for a time of another frame grid and puts the clip a frame early.
    """
    num = count * rate.denominator
    if num % rate.numerator == 0:
        return f"{num // rate.numerator}s"
    return f"{num}/{rate.numerator}s"


@dataclass
class _Item:
    """A clip, gap or transition of a track, in frames at the sequence rate.

    ``offset`` is where it starts in the track; ``duration`` and ``start`` (the first frame of
    its own time) are zero for a transition, which covers ``cut_in`` frames before its cut
    and ``cut_out`` after.
    """

    item: otio.core.Composable
    offset: int
    duration: int = 0
    start: int = 0
    cut_in: int = 0
    cut_out: int = 0

    @property
    def end(self) -> int:
        return self.offset + self.duration

    @property
    def is_clip(self) -> bool:
        return isinstance(self.item, otio.schema.Clip)

    @property
    def is_transition(self) -> bool:
        return isinstance(self.item, otio.schema.Transition)


def _items(track: otio.schema.Track, seq: Sequence) -> list[_Item]:
    out: list[_Item] = []
    offset = 0
    for item in seq.items(track):
        if isinstance(item, otio.schema.Transition):
            cut_in, cut_out = seq.frames(item.in_offset), seq.frames(item.out_offset)
            out.append(_Item(item, offset, cut_in=cut_in, cut_out=cut_out))
            continue
        try:
            r = item.trimmed_range()
        except otio.exceptions.OTIOError:
            raise InputError(f"track {track.name!r}: item {item.name!r} has no range") from None
        it = _Item(item, offset, seq.frames(r.duration), seq.frames(r.start_time))
        out.append(it)
        offset = it.end
    return out


def _media(clip: otio.schema.Clip) -> tuple[str, str]:
    """(URL, asset name) of a clip's media; an offline URL from its reel when it has none."""
    url = getattr(clip.media_reference, "target_url", None)
    if url:
        return url, display_name(Path(unquote(urlparse(url).path)).stem) or "media"
    name = offline_name(clip)
    return "file:///" + quote(name), name


class _Asset:
    """One media file: its id, the frames it is known to hold, and what the timeline uses."""

    def __init__(self, asset_id: str, url: str, name: str) -> None:
        self.id = asset_id
        self.url = url
        self.name = name
        self.first: int | None = None
        self.end: int | None = None
        self.video = False
        self.audio = False

    def cover(self, first: int, end: int) -> None:
        self.first = first if self.first is None else min(self.first, first)
        self.end = end if self.end is None else max(self.end, end)


class _Writer:
    def __init__(self, seq: Sequence) -> None:
        self.seq = seq
        self.root = ET.Element("fcpxml", {"version": "1.8"})
        self.resources = ET.SubElement(self.root, "resources")
        self.format_id = "r1"
        self.assets: dict[str, _Asset] = {}

    def time(self, frames: int) -> str:
        return fcp_time(frames, self.seq.fps)

    def add_format(self) -> None:
        source = self.seq.source
        fmt = ET.SubElement(
            self.resources, "format", {"id": self.format_id, "frameDuration": self.time(1)}
        )
        width, height = int(source.get("width") or 0), int(source.get("height") or 0)
        name = format_name(width, height, self.seq.fps)
        if name:
            fmt.set("name", name)
        if width and height:
            fmt.set("width", str(width))
            fmt.set("height", str(height))

    def gather(self, tracks: list[tuple[str, list[_Item]]]) -> None:
        """An asset per media file, covering its available range and every use of it."""
        for kind, items in tracks:
            for it in items:
                if not it.is_clip:
                    continue
                url, name = _media(it.item)
                asset = self.assets.get(url)
                if asset is None:
                    asset = _Asset(f"r{len(self.assets) + 2}", url, name)
                    self.assets[url] = asset
                    ref = it.item.media_reference
                    avail = ref.available_range if ref is not None else None
                    if avail is not None:
                        first = self.seq.frames(avail.start_time)
                        asset.cover(first, first + self.seq.frames(avail.duration))
                asset.cover(it.start, it.start + it.duration)
                asset.video |= kind == _VIDEO
                asset.audio |= kind == _AUDIO

    def add_assets(self) -> None:
        source = self.seq.source
        for asset in self.assets.values():
            has_audio = asset.audio or bool(source.get("audio_streams"))
            video = asset.video or not asset.audio
            attrib = {
                "id": asset.id,
                "name": asset.name,
                "src": asset.url,
                "start": self.time(asset.first or 0),
                "duration": self.time((asset.end or 0) - (asset.first or 0)),
                "hasVideo": "1" if video else "0",
                "format": self.format_id,
                "hasAudio": "1" if has_audio else "0",
            }
            if not video:  # a sound file: no picture format
                del attrib["format"]
            if has_audio:
                attrib["audioSources"] = "1"
                if source.get("audio_sample_rate"):
                    attrib["audioRate"] = str(int(source["audio_sample_rate"]))
            ET.SubElement(self.resources, "asset", attrib)

    def clip(self, it: _Item, lane: int | None, offset: int, kind: str) -> ET.Element:
        attrib = {
            "name": it.item.name or "",
            "ref": self.assets[_media(it.item)[0]].id,
            "offset": self.time(offset),
            "start": self.time(it.start),
            "duration": self.time(it.duration),
            "srcEnable": kind,
        }
        if lane is not None:
            attrib = {"lane": str(lane), **attrib}
        if not it.item.enabled:
            attrib["enabled"] = "0"
        return ET.Element("asset-clip", attrib)

    def gap(self, offset: int, duration: int) -> ET.Element:
        # A gap's own time starts at its offset, so items anchored on it use timeline offsets.
        return ET.Element(
            "gap",
            {
                "name": "Gap",
                "offset": self.time(offset),
                "start": self.time(offset),
                "duration": self.time(duration),
            },
        )

    def marker(self, marker: otio.schema.Marker, start: int) -> ET.Element:
        attrib = {
            "start": self.time(start),
            "duration": self.time(max(1, self.seq.frames(marker.marked_range.duration))),
            "value": marker.name or "Marker",
        }
        comment = getattr(marker, "comment", "")
        if comment:
            attrib["note"] = comment
        return ET.Element("marker", attrib)


def to_string(timeline: otio.schema.Timeline, drop_frame: bool | None = None) -> str:
    """The timeline as FCPXML 1.8 text.

    Parameters
    ----------
    timeline : opentimelineio.schema.Timeline
        Any flat timeline (clips, gaps and transitions on its tracks; left unchanged): its first
        video track becomes the primary storyline, the other video tracks lanes above it, the
        audio tracks lanes below it. Without video, the first audio track is the storyline.
    drop_frame : bool, optional
        Drop-frame (True) or non-drop (False) timecode at 29.97 and 59.94 fps; by default as
        the source's timecode is (see :class:`~facetrack_otio.exports.sequence.Sequence`).

    Returns
    -------
    str

    Raises
    ------
    InputError
        When the timeline has no track or holds a nested composition.
    """
    seq = Sequence.of(timeline, drop_frame)
    video, audio = seq.tracks(_VIDEO), seq.tracks(_AUDIO)
    if video:
        story, story_kind = _items(video[0], seq), "video"
        lanes = [(k, _items(t, seq), "video") for k, t in enumerate(video[1:], 1)]
        lanes += [(-(j + 1), _items(t, seq), "audio") for j, t in enumerate(audio)]
    elif audio:  # a sound-only timeline (a podcast): its first audio track is the storyline
        story, story_kind = _items(audio[0], seq), "audio"
        lanes = [(-(j + 1), _items(t, seq), "audio") for j, t in enumerate(audio[1:])]
    else:
        raise InputError(f"timeline {timeline.name!r} has no track to export")

    w = _Writer(seq)
    w.add_format()
    w.gather(
        [(_VIDEO if story_kind == "video" else _AUDIO, story)]
        + [(_AUDIO if k < 0 else _VIDEO, i) for k, i, _ in lanes]
    )
    w.add_assets()

    # The storyline: every clip an asset-clip at its exact place; gaps stay gaps. Storyline
    # offsets count from the record start, as Final Cut and Resolve write them.
    start = seq.start
    spine = ET.Element("spine")
    parents: list[tuple[ET.Element, _Item | None, int, int]] = []  # element, item, offset, start
    story_end = max([it.end for it in story], default=0)
    for it in story:
        if it.is_transition:
            # Between two items only (FCPXML has no fade from or to nothing on a storyline).
            if 0 < it.offset < story_end and it.cut_in + it.cut_out > 0:
                ET.SubElement(
                    spine,
                    "transition",
                    {
                        "name": it.item.name or "Cross Dissolve",
                        "offset": w.time(start + it.offset - it.cut_in),
                        "duration": w.time(it.cut_in + it.cut_out),
                    },
                )
            continue
        if it.is_clip:
            el = w.clip(it, None, start + it.offset, story_kind)
            own_start = it.start
        else:
            el = w.gap(start + it.offset, it.duration)
            own_start = start + it.offset
        spine.append(el)
        parents.append((el, it, it.offset, own_start))
    end = max([story_end] + [it.end for _, items, _ in lanes for it in items])
    if end > story_end or not parents:  # anchored items need a storyline under them
        spine.append(w.gap(start + story_end, max(end - story_end, 1)))
        parents.append((spine[-1], None, story_end, start + story_end))

    def parent_at(frame: int) -> int:
        return max(0, bisect.bisect_right(offsets, frame) - 1)

    offsets = [p[2] for p in parents]
    # Sound under the storyline is cut where the storyline cuts, each piece on the item above
    # it, as Final Cut keeps the sound of a bladed clip: deleting or moving a clip takes only
    # its own sound. A piece that plays the storyline clip's own media at the same source
    # time is that clip's sound (srcEnable="all"), as a clip cut from one recording is.
    loose: list[tuple[int, otio.schema.Marker]] = []  # (frame in track time, marker)
    for n, (lane, items, kind) in enumerate(lanes):
        if lane < 0:
            pieces = _split(items, offsets)
            for it in [it for it in items if it.is_clip]:
                loose += [(it.offset + _at(seq, m) - it.start, m) for m in it.item.markers]
            lanes[n] = (lane, [it for it in pieces if not _fold(it, parents, parent_at)], kind)

    # Anchored lanes: speakers (other video tracks) above, audio below, each clip on the
    # storyline item under its start; clip markers travel with their clip.
    anchored: dict[int, list[ET.Element]] = {i: [] for i in range(len(parents))}
    for lane, items, kind in lanes:
        for it in items:
            if not it.is_clip:
                loose += [(it.offset + _at(seq, m) - it.start, m) for m in it.item.markers]
                continue
            p = parent_at(it.offset)
            _, _, p_offset, p_start = parents[p]
            el = w.clip(it, lane, p_start + it.offset - p_offset, kind)
            if lane > 0:  # a piece of sound left its markers with the storyline, above
                for marker in sorted(it.item.markers, key=lambda m: _at(seq, m)):
                    el.append(w.marker(marker, _at(seq, marker)))
            anchored[p].append(el)

    # Markers: a clip's or gap's own in its time; the tracks' and the timeline's (track time)
    # on the storyline element under them.
    marks: dict[int, list[tuple[int, ET.Element]]] = {i: [] for i in range(len(parents))}
    for i, (_, it, _, p_start) in enumerate(parents):
        for marker in it.item.markers if it is not None else ():
            at = _at(seq, marker)
            if not it.is_clip:  # a gap's markers count from its own start
                at = p_start + at - it.start
            marks[i].append((at, w.marker(marker, at)))
    for track in [timeline.tracks, *video, *audio]:
        loose += [(_at(seq, m), m) for m in track.markers]
    for frame, marker in loose:
        p = parent_at(frame)
        _, _, p_offset, p_start = parents[p]
        at = p_start + frame - p_offset
        marks[p].append((at, w.marker(marker, at)))

    # Children in the DTD's order: anchored items, then markers.
    for i, (el, _, _, _) in enumerate(parents):
        el.extend(anchored[i])
        el.extend(m for _, m in sorted(marks[i], key=lambda x: x[0]))

    sequence = ET.Element(
        "sequence",
        {
            "format": w.format_id,
            "duration": w.time(end),
            "tcStart": w.time(start),
            "tcFormat": "DF" if seq.drop_frame else "NDF",
            "audioLayout": "stereo",
            "audioRate": "48k",
        },
    )
    sequence.append(spine)
    library = ET.SubElement(w.root, "library")
    event = ET.SubElement(library, "event", {"name": seq.name})
    project = ET.SubElement(event, "project", {"name": seq.name})
    project.append(sequence)

    ET.indent(w.root, space="    ")
    body = ET.tostring(w.root, encoding="unicode")
    return '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE fcpxml>\n\n' + body + "\n"


def _split(items: list[_Item], cuts: list[int]) -> list[_Item]:
    """Clips cut at the storyline's item starts ``cuts`` (gaps and transitions dropped)."""
    out = []
    for it in items:
        if not it.is_clip:
            continue
        edges = [it.offset, *(c for c in cuts if it.offset < c < it.end), it.end]
        for a, b in itertools.pairwise(edges):
            out.append(_Item(it.item, a, b - a, it.start + a - it.offset))
    return out


def _fold(
    piece: _Item,
    parents: list[tuple[ET.Element, _Item | None, int, int]],
    parent_at: Callable[[int], int],
) -> bool:
    """Make ``piece`` of sound the sound of the storyline clip above it, when it is the same
    media at the same source time over the whole clip; say whether it did."""
    el, above, _, _ = parents[parent_at(piece.offset)]
    if (
        above is None
        or not above.is_clip
        or el.get("srcEnable") not in ("video", "all")
        or (above.offset, above.duration, above.start)
        != (piece.offset, piece.duration, piece.start)
        or _media(above.item)[0] != _media(piece.item)[0]
    ):
        return False
    el.set("srcEnable", "all")
    return True


def _at(seq: Sequence, marker: otio.schema.Marker) -> int:
    return seq.frames(marker.marked_range.start_time)


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
