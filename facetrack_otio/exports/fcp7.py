"""Final Cut Pro 7 XML (xmeml) for Premiere Pro and Resolve (``STEM.xml``), from any timeline.

Written by OTIO's ``fcp_xml`` adapter from a copy of the timeline whose times are whole frames
at its exact rate and which starts at its record start
(:class:`~facetrack_otio.exports.sequence.Sequence`, so a timeline made elsewhere works too;
media without a file, such as an EDL's reels, becomes an offline file named after the reel,
which the adapter alone would fail on), then touched up for Premiere:

- clip markers count frames from the start of the media, like clip in/out points (the adapter
  writes them in timecode frames, which puts them far past the media when the source has a
  start timecode);
- timecodes are drop-frame only when the source's are (``Sequence`` says how other timelines
  decide);
- each clip item has one ``rate`` (the adapter repeats it), audio clip items name the source
  track they play (``sourcetrack``), and the file and sequence carry the frame size;
- the file's name is the plain file name (not percent-encoded); its ``pathurl`` stays an
  encoded ``file://`` URL.

The NTSC flag comes from the adapter (``TRUE`` for 29.97 and the other 1000/1001 rates).
Tracks keep their order (program, speakers, audio) but not their names, which xmeml has no
place for; facetrack's metadata stays in the ``.otio`` file. A nested composition is refused.
"""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET
from fractions import Fraction
from pathlib import Path
from urllib.parse import quote, unquote, urlparse

import opentimelineio as otio

from facetrack_otio.errors import InputError
from facetrack_otio.exports.sequence import Sequence, offline_name
from facetrack_otio.fsutil import atomic_write_text
from facetrack_otio.text import display_name
from facetrack_otio.timeline.meta import foreign_md

SUFFIX = ".xml"
# URL given to files that have none, for the adapter; their <pathurl> is removed again.
_OFFLINE = "facetrack-offline:"


def text_element(parent: ET.Element, tag: str, text: str) -> ET.Element:
    """A new ``<tag>text</tag>`` child of ``parent``."""
    el = ET.SubElement(parent, tag)
    el.text = text
    return el


def rate_element(fps: Fraction) -> ET.Element:
    """``<rate>``: the whole timebase and the NTSC flag of ``fps``."""
    timebase = -(-fps.numerator // fps.denominator)  # ceil: 29.97 counts as 30
    rate = ET.Element("rate")
    text_element(rate, "timebase", str(timebase))
    text_element(rate, "ntsc", "TRUE" if fps.denominator == 1001 else "FALSE")
    return rate


def sample_characteristics(fps: Fraction, width: int, height: int) -> ET.Element:
    """``<samplecharacteristics>`` of a picture: rate, size, square pixels."""
    sc = ET.Element("samplecharacteristics")
    sc.append(rate_element(fps))
    text_element(sc, "width", str(width))
    text_element(sc, "height", str(height))
    text_element(sc, "anamorphic", "FALSE")
    text_element(sc, "pixelaspectratio", "square")
    text_element(sc, "fielddominance", "none")
    return sc


def _prepare(seq: Sequence) -> otio.schema.Timeline:
    """A conformed copy starting at the record start, with plain file names on the media
    references (the adapter's file names)."""
    timeline = seq.timeline
    out = otio.schema.Timeline(
        name=timeline.name,
        global_start_time=seq.time(seq.start),
        metadata=foreign_md(timeline),
    )
    for track in timeline.tracks:
        out.tracks.append(seq.copy_track(track))
    for clip in out.find_clips():
        ref = clip.media_reference
        url = getattr(ref, "target_url", None)
        if url and not ref.name:
            ref.name = display_name(Path(unquote(urlparse(url).path)).name)
        elif not url:
            # Media without a file (an EDL's reel, its black): the adapter only writes files
            # it has a URL for; the placeholder's <pathurl> goes again in _normalise.
            name = offline_name(clip)
            ref = otio.schema.ExternalReference(
                target_url=_OFFLINE + quote(name),  # one file per reel, as the adapter keys them
                available_range=ref.available_range,
                metadata=ref.metadata,
            )
            ref.name = name
            clip.media_reference = ref
        if ref.available_range is None:  # the adapter needs one for every file
            ref.available_range = clip.source_range
    return out


def _fix_timecode(tc: ET.Element, fps: Fraction, drop: bool) -> None:
    frame = tc.find("frame")
    if frame is None or frame.text is None:
        return
    rt = otio.opentime.RationalTime(int(frame.text), float(fps))
    string = tc.find("string")
    if string is None:
        string = ET.SubElement(tc, "string")
    string.text = otio.opentime.to_timecode(rt, float(fps), drop)
    fmt = tc.find("displayformat")
    if fmt is None:
        fmt = ET.SubElement(tc, "displayformat")
    fmt.text = "DF" if drop else "NDF"


def _file_starts(root: ET.Element) -> dict[str, int]:
    """Start timecode frame of each file id."""
    starts = {}
    for f in root.iter("file"):
        frame = f.find("timecode/frame")
        if f.get("id") and frame is not None and frame.text:
            starts[f.get("id", "")] = int(frame.text)
    return starts


def _normalise(raw: str, seq: Sequence) -> str:
    root = ET.fromstring(raw.encode("utf-8"))
    fps, source, drop = seq.fps, seq.source, seq.drop_frame
    width, height = int(source.get("width") or 0), int(source.get("height") or 0)
    has_audio = bool(source.get("audio_streams")) if source else True
    starts = _file_starts(root)

    for tc in root.iter("timecode"):
        _fix_timecode(tc, fps, drop)

    for kind in ("video", "audio"):
        for clipitem in root.iterfind(f".//media/{kind}/track/clipitem"):
            for extra in clipitem.findall("rate")[1:]:
                clipitem.remove(extra)
            file_el = clipitem.find("file")
            offset = starts.get(file_el.get("id", ""), 0) if file_el is not None else 0
            for marker in clipitem.findall("marker"):
                for tag in ("in", "out"):
                    el = marker.find(tag)
                    if el is not None and el.text and int(float(el.text)) >= offset:
                        el.text = str(int(float(el.text)) - offset)
            if kind == "audio" and clipitem.find("sourcetrack") is None:
                st = ET.SubElement(clipitem, "sourcetrack")
                text_element(st, "mediatype", "audio")
                text_element(st, "trackindex", "1")

    for file_el in root.iter("file"):
        url = file_el.find("pathurl")
        if url is not None and (url.text or "").startswith(_OFFLINE):  # a name, no path
            file_el.remove(url)
        media = file_el.find("media")
        if media is None:
            continue
        if not has_audio:
            for audio in media.findall("audio"):
                media.remove(audio)
        video = media.find("video")
        if video is not None and width and height and video.find("samplecharacteristics") is None:
            video.append(sample_characteristics(fps, width, height))

    if width and height:
        for fmt in root.iterfind(".//sequence/media/video/format"):
            if fmt.find("samplecharacteristics") is None:
                fmt.append(sample_characteristics(fps, width, height))

    ET.indent(root, space="    ")
    body = ET.tostring(root, encoding="unicode")
    return '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE xmeml>\n' + body + "\n"


def to_string(timeline: otio.schema.Timeline, drop_frame: bool | None = None) -> str:
    """The timeline as FCP7 XML text (every track, in order).

    Parameters
    ----------
    timeline : opentimelineio.schema.Timeline
        Any timeline (left unchanged).
    drop_frame : bool, optional
        Drop-frame (True) or non-drop (False) timecode at 29.97 and 59.94 fps; by default as
        the source's timecode is (see :class:`~facetrack_otio.exports.sequence.Sequence`).

    Returns
    -------
    str

    Raises
    ------
    InputError
        When the rate has no SMPTE timecode (e.g. 12.5 fps), which xmeml requires, or a track
        holds a nested composition.
    """
    seq = Sequence.of(timeline, drop_frame)
    try:
        raw = otio.adapters.write_to_string(_prepare(seq), adapter_name="fcp_xml")
    except ValueError as exc:
        raise InputError(f"cannot write FCP7 XML at {seq.rate:g} fps: {exc}") from exc
    return _normalise(raw, seq)


def write(timeline: otio.schema.Timeline, outdir: str | os.PathLike[str], stem: str) -> list[Path]:
    """Write ``STEM.xml`` into ``outdir``.

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

    Raises
    ------
    InputError
        When the rate has no SMPTE timecode.
    """
    path = Path(outdir) / f"{stem}{SUFFIX}"
    atomic_write_text(path, to_string(timeline))
    return [path]
