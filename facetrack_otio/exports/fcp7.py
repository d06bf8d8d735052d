"""Final Cut Pro 7 XML (xmeml) for Premiere Pro and Resolve (``STEM.xml``).

Written by OTIO's ``fcp_xml`` adapter, then touched up for Premiere:

- clip markers count frames from the start of the media, like clip in/out points (the adapter
  writes them in timecode frames, which puts them far past the media when the source has a
  start timecode);
- timecodes are drop-frame only when the source's are;
- each clip item has one ``rate`` (the adapter repeats it), audio clip items name the source
  track they play (``sourcetrack``), and the file and sequence carry the frame size;
- the file's name is the plain file name (not percent-encoded); its ``pathurl`` stays an
  encoded ``file://`` URL.

The NTSC flag comes from the adapter (``TRUE`` for 29.97 and the other 1000/1001 rates).
Tracks keep their order (program, speakers, audio) but not their names, which xmeml has no
place for; facetrack's metadata stays in the ``.otio`` file.
"""

from __future__ import annotations

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
    foreign_md,
    is_drop_frame,
    timeline_fps,
)

SUFFIX = ".xml"


def _text(parent: ET.Element, tag: str, text: str) -> ET.Element:
    el = ET.SubElement(parent, tag)
    el.text = text
    return el


def _rate_element(fps: Fraction) -> ET.Element:
    timebase = -(-fps.numerator // fps.denominator)  # ceil: 29.97 counts as 30
    rate = ET.Element("rate")
    _text(rate, "timebase", str(timebase))
    _text(rate, "ntsc", "TRUE" if fps.denominator == 1001 else "FALSE")
    return rate


def _samplecharacteristics(fps: Fraction, width: int, height: int) -> ET.Element:
    sc = ET.Element("samplecharacteristics")
    sc.append(_rate_element(fps))
    _text(sc, "width", str(width))
    _text(sc, "height", str(height))
    _text(sc, "anamorphic", "FALSE")
    _text(sc, "pixelaspectratio", "square")
    _text(sc, "fielddominance", "none")
    return sc


def _prepare(timeline: otio.schema.Timeline) -> otio.schema.Timeline:
    """A copy with plain file names on the media references (the adapter's file names)."""
    out = otio.schema.Timeline(
        name=timeline.name,
        global_start_time=timeline.global_start_time,
        metadata=foreign_md(timeline),
    )
    for track in timeline.tracks:
        out.tracks.append(adapter_copy(track))
    for clip in out.find_clips():
        ref = clip.media_reference
        url = getattr(ref, "target_url", None)
        if url and not ref.name:
            ref.name = display_name(Path(unquote(urlparse(url).path)).name)
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


def _normalise(raw: str, timeline: otio.schema.Timeline) -> str:
    root = ET.fromstring(raw.encode("utf-8"))
    fps = timeline_fps(timeline)
    source = facetrack_md(timeline).get("source") or {}
    drop = is_drop_frame(source.get("start_timecode"), fps)
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
                _text(st, "mediatype", "audio")
                _text(st, "trackindex", "1")

    for file_el in root.iter("file"):
        media = file_el.find("media")
        if media is None:
            continue
        if not has_audio:
            for audio in media.findall("audio"):
                media.remove(audio)
        video = media.find("video")
        if video is not None and width and height and video.find("samplecharacteristics") is None:
            video.append(_samplecharacteristics(fps, width, height))

    if width and height:
        for fmt in root.iterfind(".//sequence/media/video/format"):
            if fmt.find("samplecharacteristics") is None:
                fmt.append(_samplecharacteristics(fps, width, height))

    ET.indent(root, space="    ")
    body = ET.tostring(root, encoding="unicode")
    return '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE xmeml>\n' + body + "\n"


def to_string(timeline: otio.schema.Timeline) -> str:
    """The timeline as FCP7 XML text (every track, in order).

    Parameters
    ----------
    timeline : opentimelineio.schema.Timeline
        The timeline to export (left unchanged).

    Returns
    -------
    str

    Raises
    ------
    InputError
        When the rate has no SMPTE timecode (e.g. 12.5 fps), which xmeml requires.
    """
    try:
        raw = otio.adapters.write_to_string(_prepare(timeline), adapter_name="fcp_xml")
    except ValueError as exc:
        fps = float(timeline_fps(timeline))
        raise InputError(f"cannot write FCP7 XML at {fps:g} fps: {exc}") from exc
    return _normalise(raw, timeline)


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
