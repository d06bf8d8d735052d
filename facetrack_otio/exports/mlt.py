"""MLT XML for Shotcut and ``melt`` (``STEM.mlt``), from any timeline.

MLT is the engine of Shotcut and Kdenlive; this module lays a timeline out the way MLT plays it
(:func:`layout`, which :mod:`facetrack_otio.exports.kdenlive` shares) and writes it the way
Shotcut saves a project:

- the profile is the timeline's: the source's frame size and exact rate (29.97 fps is
  ``30000/1001``), square pixels, progressive;
- every track of the timeline is a ``playlist`` of ``entry`` and ``blank`` elements in frames
  of that rate, in the timeline's order (the last video track on top, as in OTIO); video
  tracks are picture only and audio tracks sound only, and a ``mix`` transition per audio
  track sums them all (microphones included);
- a clip's in point counts frames from the first frame of its file: a source whose own
  timecode starts at ``01:00:00:00`` plays from the right frame;
- a sound clip placed between two frames (a microphone placed to the sample) starts on the
  frame before and is delayed by the samples in between (MLT's ``sox`` filter, ``delay``):
  it plays to the sample where the timeline says;
- a disabled clip produces neither picture nor sound (``set.test_image`` and
  ``set.test_audio``, as Kdenlive marks one), and clip names are kept (``shotcut:caption``);
- markers (of clips, gaps, tracks and the timeline) are Shotcut markers at their timeline
  frame, with their names and colours.

A transition is written as a cut; a nested composition (compound clip) is refused.
"""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from urllib.parse import unquote, urlparse

import opentimelineio as otio

from facetrack_otio.errors import InputError
from facetrack_otio.exports.sequence import Sequence, offline_name
from facetrack_otio.fsutil import atomic_write_text
from facetrack_otio.timeline.meta import (
    ROLE_AUDIO,
    ROLE_PROGRAM,
    ROLE_SPEAKER,
    facetrack_md,
    rate_fraction,
)

SUFFIX = ".mlt"
# OTIO's marker colours as Shotcut and Kdenlive show them.
COLORS = {
    otio.schema.MarkerColor.RED: "#e0282e",
    otio.schema.MarkerColor.PINK: "#f391c2",
    otio.schema.MarkerColor.ORANGE: "#f39c12",
    otio.schema.MarkerColor.YELLOW: "#f1c40f",
    otio.schema.MarkerColor.GREEN: "#1abc9c",
    otio.schema.MarkerColor.CYAN: "#3daee9",
    otio.schema.MarkerColor.BLUE: "#2a5ad8",
    otio.schema.MarkerColor.PURPLE: "#9b59b6",
    otio.schema.MarkerColor.MAGENTA: "#d13bd1",
    otio.schema.MarkerColor.BLACK: "#000000",
    otio.schema.MarkerColor.WHITE: "#ffffff",
}
_DEFAULT_SIZE = (1920, 1080)


@dataclass(frozen=True)
class Media:
    """A file (or an offline reel) as MLT opens it."""

    key: str  # the URL, or the reel's name
    resource: str  # a path, or ``black`` for media without a file
    name: str
    offline: bool = False


@dataclass
class Entry:
    """A clip on a track: ``frames`` frames of ``media`` from frame ``first`` of the file,
    its sound delayed by ``delay`` samples (of 48 kHz) where it starts between frames."""

    media: Media
    first: int
    frames: int
    name: str
    enabled: bool = True
    delay: int = 0


@dataclass
class Track:
    """A track: entries and blanks (an int: frames of nothing), picture or sound."""

    name: str
    video: bool
    items: list[Entry | int] = field(default_factory=list)
    heard: bool = True

    @property
    def length(self) -> int:
        return sum(i if isinstance(i, int) else i.frames for i in self.items)


@dataclass(frozen=True)
class Mark:
    """A marker at a timeline frame (from the record start)."""

    frame: int
    name: str
    color: str
    comment: str = ""


@dataclass
class Layout:
    """A timeline as MLT plays it: profile, tracks (bottom first) and markers."""

    name: str
    fps: Fraction
    width: int
    height: int
    start: int  # record start, frames
    tracks: list[Track]
    marks: list[Mark]

    @property
    def length(self) -> int:
        return max([t.length for t in self.tracks] + [1])


def frame_size(timeline: otio.schema.Timeline) -> tuple[int, int]:
    """The frame size: the source's (facetrack), the first angle's (multicam), else 1080p."""
    md = facetrack_md(timeline)
    sizes = [md.get("source") or {}] + [f for f in md.get("files") or [] if f.get("width")]
    for d in sizes:
        try:
            w, h = int(d.get("width") or 0), int(d.get("height") or 0)
        except (TypeError, ValueError):
            continue
        if w > 0 and h > 0:
            return w, h
    return _DEFAULT_SIZE


def _media(clip: otio.schema.Clip) -> Media:
    url = getattr(clip.media_reference, "target_url", None)
    if url:
        path = unquote(urlparse(url).path) if url.startswith("file:") else url
        return Media(url, path, Path(path).name)
    name = offline_name(clip)
    return Media(name, "black", name, offline=True)


def _seconds(t: otio.opentime.RationalTime) -> Fraction:
    return Fraction(t.value).limit_denominator(10**9) / rate_fraction(t.rate)


def _is_sample_rate(rate: float) -> bool:
    return rate >= 1000  # an audio rate (8 kHz to 192 kHz), not frames


def _entry(clip: otio.schema.Clip, at: Fraction, fps: Fraction, video: bool) -> tuple[int, Entry]:
    """(timeline frame, entry) of a clip starting ``at`` seconds into its track."""
    media = _media(clip)
    r = clip.trimmed_range()
    avail = clip.media_reference.available_range if clip.media_reference else None
    origin = _seconds(avail.start_time) if avail is not None and not media.offline else 0
    source = _seconds(r.start_time) - origin  # seconds into the file
    n = max(1, round(_seconds(r.duration) * fps))
    if video or not _is_sample_rate(r.start_time.rate):
        return round(at * fps), Entry(
            media, max(0, round(source * fps)), n, clip.name, clip.enabled
        )
    # A sound placed between frames: entered on the frame before and delayed by the samples
    # between; where the file's side lies further between frames, one frame later in the file.
    frame, first = int(at * fps), int(source * fps)
    lag = (at - Fraction(frame) / fps) - (source - Fraction(first) / fps)
    if lag < 0:
        first += 1
        lag += 1 / fps
    delay = round(lag * 48000)
    return frame, Entry(media, first, n + 1 if delay else n, clip.name, clip.enabled, delay)


def _track(track: otio.schema.Track, seq: Sequence, fps: Fraction) -> tuple[Track, list[Mark]]:
    video = track.kind == otio.schema.TrackKind.Video
    out = Track(track.name or ("V" if video else "A"), video)
    marks = [_mark(m, seq.frames(m.marked_range.start_time)) for m in track.markers]
    at = Fraction(0)
    cursor = 0
    for item in seq.items(track):
        if isinstance(item, otio.schema.Transition):
            continue
        try:
            r = item.trimmed_range()
        except otio.exceptions.OTIOError:
            raise InputError(f"track {track.name!r}: item {item.name!r} has no range") from None
        if isinstance(item, otio.schema.Clip):
            frame, entry = _entry(item, at, fps, video)
            if frame > cursor:
                out.items.append(frame - cursor)
                cursor = frame
            elif frame < cursor:  # rounding met the clip before: trim the overlap
                entry.first += cursor - frame
                entry.frames -= cursor - frame
            if entry.frames > 0:
                out.items.append(entry)
                cursor += entry.frames
            for m in item.markers:  # in the clip's media time
                offset = _seconds(m.marked_range.start_time) - _seconds(r.start_time)
                marks.append(_mark(m, round((at + offset) * fps)))
        else:
            for m in item.markers:  # a gap's markers count from its own start
                offset = _seconds(m.marked_range.start_time) - _seconds(r.start_time)
                marks.append(_mark(m, round((at + offset) * fps)))
        at += _seconds(r.duration)
    end = round(at * fps)
    if end > cursor:
        out.items.append(end - cursor)
    return out, marks


def _mark(marker: otio.schema.Marker, frame: int) -> Mark:
    return Mark(
        max(0, frame),
        marker.name or "Marker",
        COLORS.get(marker.color, COLORS[otio.schema.MarkerColor.PURPLE]),
        getattr(marker, "comment", "") or "",
    )


def _heard(tracks: list[otio.schema.Track], planned: list[Track]) -> None:
    """A facetrack timeline of a sound alone has its program, its speakers and the uncut sound
    on audio tracks, the same sound three times: the program is heard, the others muted."""
    roles = [facetrack_md(t).get("role") for t in tracks]
    if ROLE_PROGRAM in roles and all(not p.video for p in planned):
        for role, p in zip(roles, planned):
            p.heard = role not in (ROLE_SPEAKER, ROLE_AUDIO)


def layout(timeline: otio.schema.Timeline) -> Layout:
    """The timeline as MLT plays it (see the module docstring).

    Parameters
    ----------
    timeline : opentimelineio.schema.Timeline
        Any flat timeline (left unchanged).

    Returns
    -------
    Layout

    Raises
    ------
    InputError
        When the timeline has no track or holds a nested composition.
    """
    seq = Sequence.of(timeline)
    fps = seq.fps
    kinds = (otio.schema.TrackKind.Video, otio.schema.TrackKind.Audio)
    tracks = [t for t in timeline.tracks if t.kind in kinds]
    if not tracks:
        raise InputError(f"timeline {timeline.name!r} has no track to export")
    planned: list[Track] = []
    marks = [_mark(m, seq.frames(m.marked_range.start_time)) for m in timeline.tracks.markers]
    for t in tracks:
        p, m = _track(t, seq, fps)
        planned.append(p)
        marks += m
    _heard(tracks, planned)
    width, height = frame_size(timeline)
    return Layout(
        seq.name, fps, width, height, seq.start, planned, sorted(marks, key=lambda m: m.frame)
    )


def profile(lay: Layout) -> ET.Element:
    """The ``profile`` element: size and exact rate, square pixels, progressive."""
    w, h = lay.width, lay.height
    g = _gcd(w, h)
    return ET.Element(
        "profile",
        {
            "description": f"{w}x{h} {float(lay.fps):.3f} fps",
            "width": str(w),
            "height": str(h),
            "progressive": "1",
            "sample_aspect_num": "1",
            "sample_aspect_den": "1",
            "display_aspect_num": str(w // g),
            "display_aspect_den": str(h // g),
            "frame_rate_num": str(lay.fps.numerator),
            "frame_rate_den": str(lay.fps.denominator),
            "colorspace": "709",
        },
    )


def _gcd(a: int, b: int) -> int:
    while b:
        a, b = b, a % b
    return a


def prop(parent: ET.Element, name: str, value: object) -> ET.Element:
    """A ``property`` element."""
    el = ET.SubElement(parent, "property", {"name": name})
    el.text = str(value)
    return el


def producer(
    parent: ET.Element,
    pid: str,
    entry: Entry,
    video: bool,
    extra: dict[str, object] | None = None,
) -> ET.Element:
    """The producer of an entry: its file, picture or sound only, disabled when it is, and
    its sound delayed to the sample where it must be."""
    el = ET.SubElement(parent, "producer", {"id": pid})
    media = entry.media
    if media.offline:
        prop(el, "resource", "black")
        prop(el, "mlt_service", "color")
    else:
        prop(el, "resource", media.resource)
        prop(el, "mlt_service", "avformat")
    # Picture only on a video track, sound only on an audio track; nothing when disabled.
    if not video or not entry.enabled:
        prop(el, "set.test_image", 1)
    if video or not entry.enabled:
        prop(el, "set.test_audio", 1)
    for k, v in (extra or {}).items():
        prop(el, k, v)
    if entry.delay:
        f = ET.SubElement(el, "filter")
        prop(f, "mlt_service", "sox")
        prop(f, "effect", f"delay {entry.delay}s")
    return el


ProducerKey = tuple[str, bool, int]


def _key(entry: Entry) -> ProducerKey:
    return (entry.media.key, entry.enabled, entry.delay)


def producers_of(track: Track, prefix: str) -> dict[ProducerKey, tuple[str, Entry]]:
    """One producer per file (and state) of a track, with its first entry: a file decoded
    once per track, never by two tracks at once."""
    out: dict[ProducerKey, tuple[str, Entry]] = {}
    for item in track.items:
        if isinstance(item, Entry) and _key(item) not in out:
            out[_key(item)] = (f"{prefix}{len(out)}", item)
    return out


def fill_playlist(el: ET.Element, track: Track, ids: dict[ProducerKey, tuple[str, Entry]]) -> None:
    """Entries (in and out points, inclusive, in frames of the file) and blanks."""
    for item in track.items:
        if isinstance(item, int):
            ET.SubElement(el, "blank", {"length": str(item)})
            continue
        entry = ET.SubElement(
            el,
            "entry",
            {
                "producer": ids[_key(item)][0],
                "in": str(item.first),
                "out": str(item.first + item.frames - 1),
            },
        )
        prop(entry, "shotcut:caption", item.name)


def mix_transitions(tractor: ET.Element, tracks: list[Track], first_track: int) -> None:
    """A ``mix`` per sound track (all heard, summed) and a ``qtblend`` per picture track above
    the first (each over the ones below), as Shotcut and Kdenlive join tracks."""
    for i, t in enumerate(tracks, first_track):
        if i == 0:
            continue
        tr = ET.SubElement(tractor, "transition")
        if not t.video:
            prop(tr, "a_track", 0)
            prop(tr, "b_track", i)
            prop(tr, "mlt_service", "mix")
            prop(tr, "always_active", 1)
            prop(tr, "sum", 1)
        else:
            prop(tr, "a_track", 0)
            prop(tr, "b_track", i)
            prop(tr, "mlt_service", "qtblend")
            prop(tr, "always_active", 1)
            prop(tr, "threads", 0)


def to_string(timeline: otio.schema.Timeline) -> str:
    """The timeline as MLT XML text, as Shotcut saves a project (see the module docstring).

    Parameters
    ----------
    timeline : opentimelineio.schema.Timeline
        Any flat timeline (left unchanged): facetrack's (run, a sound alone, multicam) or
        another tool's.

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
    bg = ET.SubElement(root, "producer", {"id": "black", "in": "0", "out": str(lay.length - 1)})
    prop(bg, "length", lay.length)
    prop(bg, "resource", "0")
    prop(bg, "mlt_service", "color")
    prop(bg, "set.test_audio", 0)
    for n, t in enumerate(lay.tracks):
        own = producers_of(t, f"t{n}p")
        for pid, entry in own.values():
            producer(root, pid, entry, t.video, {"shotcut:caption": entry.media.name})
        el = ET.SubElement(root, "playlist", {"id": f"playlist{n}"})
        prop(el, "shotcut:video" if t.video else "shotcut:audio", 1)
        prop(el, "shotcut:name", t.name)
        fill_playlist(el, t, own)
    tractor = ET.SubElement(
        root,
        "tractor",
        {"id": "tractor0", "title": lay.name, "in": "0", "out": str(lay.length - 1)},
    )
    prop(tractor, "shotcut", 1)
    _shotcut_markers(tractor, lay)
    ET.SubElement(tractor, "track", {"producer": "black"})
    for n, t in enumerate(lay.tracks):
        hide = "audio" if t.video else ("video" if t.heard else "both")
        ET.SubElement(tractor, "track", {"producer": f"playlist{n}", "hide": hide})
    mix_transitions(tractor, lay.tracks, 1)
    ET.indent(root, space="  ")
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _shotcut_markers(tractor: ET.Element, lay: Layout) -> None:
    if not lay.marks:
        return
    markers = ET.SubElement(tractor, "properties", {"name": "shotcut:markers"})
    for i, m in enumerate(lay.marks):
        el = ET.SubElement(markers, "properties", {"name": str(i)})
        prop(el, "text", m.name)
        prop(el, "start", m.frame)
        prop(el, "end", m.frame)
        prop(el, "color", m.color)


def write(timeline: otio.schema.Timeline, outdir: str | os.PathLike[str], stem: str) -> list[Path]:
    """Write ``STEM.mlt`` into ``outdir``.

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
