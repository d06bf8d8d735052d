"""Final Cut Pro 7 XML (xmeml) of a multicam shoot, for Premiere Pro (``STEM.xml``).

One sequence, made so that a shot can be switched with one click and nothing is lost:

- V1, ...: every angle on its own track at its synced place, cut where the program cuts, every
  piece disabled;
- on top of them, the program: each clip playing the angle on air, with a marker at each turn
  start (the ``.otio``'s markers). A reader that ignores ``enabled`` (OTIO's ``fcp_xml``
  drops it) still shows the program; to re-switch a shot, select its program piece and the
  piece of the angle wanted under it and toggle both (Shift+E in Premiere);
- A1, ...: every microphone whole and synced (without microphones, the room's camera audio).

After the sequence, a bin holds the shoot as a ``multiclip``: every angle (and microphone)
synced on the shoot clock, the angle on air at the start active, for editors who switch in a
multi-camera monitor. Files are described in full where they first appear, in the sequence, so
that readers which only look at sequences (OTIO's ``fcp_xml`` adapter among them) find them.
Each clip counts in and out points in its own file's frames: angles of other frame rates keep
their own.
"""

from __future__ import annotations

import itertools
import xml.etree.ElementTree as ET
from fractions import Fraction
from pathlib import Path

import opentimelineio as otio

from facetrack_otio.exports.fcp7 import rate_element, sample_characteristics, text_element
from facetrack_otio.multicam.placement import ProgramMarker, frames, program_markers
from facetrack_otio.multicam.result import MulticamAnalysis
from facetrack_otio.multicam.shoot import ANGLE, ShootFile

SUFFIX = ".xml"


class _Files:
    """``file`` elements: in full the first time, by reference after."""

    def __init__(self, files: list[ShootFile], fps: Fraction) -> None:
        self.ids = {f.label: f"file-{i + 1}" for i, f in enumerate(files)}
        self.fps = fps
        self.done: set[str] = set()

    def rate(self, f: ShootFile) -> Fraction:
        return f.video.fps if f.kind == ANGLE else self.fps

    def element(self, f: ShootFile) -> ET.Element:
        fid = self.ids[f.label]
        el = ET.Element("file", {"id": fid})
        if fid in self.done:
            return el
        self.done.add(fid)
        rate = self.rate(f)
        text_element(el, "name", f.name)
        text_element(el, "pathurl", Path(f.path).as_uri())
        el.append(rate_element(rate))
        text_element(el, "duration", str(frames(f.duration, rate)))
        media = ET.SubElement(el, "media")
        if f.kind == ANGLE:
            video = ET.SubElement(media, "video")
            video.append(sample_characteristics(rate, f.video.width, f.video.height))
        if f.info.has_audio:
            audio = ET.SubElement(media, "audio")
            sc = ET.SubElement(audio, "samplecharacteristics")
            text_element(sc, "depth", "16")
            text_element(sc, "samplerate", str(f.info.audio_sample_rate or 48000))
            text_element(audio, "channelcount", str(getattr(f.info, "channels", 1) or 1))
        return el


def _clipitem(
    parent: ET.Element,
    item_id: str,
    f: ShootFile,
    files: _Files,
    start: int,
    end: int,
    enabled: bool,
    kind: str,
) -> ET.Element:
    """A clip of ``f`` on sequence frames ``[start, end)``, its in point from the sync."""
    fps = files.fps
    rate = files.rate(f)
    first = max(0, frames(Fraction(start) / fps - Fraction(f.offset), rate))
    length = frames(Fraction(end - start) / fps, rate)
    item = ET.SubElement(parent, "clipitem", {"id": item_id})
    text_element(item, "name", f.label)
    text_element(item, "enabled", "TRUE" if enabled else "FALSE")
    text_element(item, "duration", str(frames(f.duration, rate)))
    item.append(rate_element(rate))
    text_element(item, "start", str(start))
    text_element(item, "end", str(end))
    text_element(item, "in", str(first))
    text_element(item, "out", str(first + length))
    item.append(files.element(f))
    if kind == "audio":
        st = ET.SubElement(item, "sourcetrack")
        text_element(st, "mediatype", "audio")
        text_element(st, "trackindex", "1")
    return item


def _sequence(parent: ET.Element, analysis: MulticamAnalysis, files: _Files) -> None:
    fps = analysis.fps
    angles = analysis.angles
    start, end = analysis.span
    origin, stop = frames(start, fps), frames(end, fps)
    seq = ET.SubElement(parent, "sequence", {"id": "sequence-1"})
    text_element(seq, "name", analysis.name)
    text_element(seq, "duration", str(stop - origin))
    seq.append(rate_element(fps))
    tc = ET.SubElement(seq, "timecode")
    tc.append(rate_element(fps))
    rt = otio.opentime.RationalTime(origin, float(fps))
    text_element(tc, "string", otio.opentime.to_timecode(rt, float(fps), False))
    text_element(tc, "frame", str(origin))
    text_element(tc, "displayformat", "NDF")
    media = ET.SubElement(seq, "media")
    video = ET.SubElement(media, "video")
    fmt = ET.SubElement(video, "format")
    first = angles[0].video
    fmt.append(sample_characteristics(fps, first.width, first.height))

    cuts = sorted(
        {frames(s.start, fps) for s in analysis.program}
        | {frames(s.end, fps) for s in analysis.program}
    )
    for i, f in enumerate(angles):
        track = ET.SubElement(video, "track")
        a0 = max(origin, frames(f.offset, fps))
        a1 = frames(f.offset, fps) + frames(f.duration, fps)
        edges = [a0, *(c for c in cuts if a0 < c < a1), a1]
        for k, (e0, e1) in enumerate(itertools.pairwise(edges), 1):
            if e1 > e0:
                _clipitem(
                    track, f"angle-{i + 1}-{k}", f, files, e0 - origin, e1 - origin, False, "video"
                )

    program = ET.SubElement(video, "track")
    marks: dict[int, list[ProgramMarker]] = {}
    for m in program_markers(analysis):
        marks.setdefault(m.shot, []).append(m)
    for k, seg in enumerate(analysis.program):
        f0, f1 = frames(seg.start, fps) - origin, frames(seg.end, fps) - origin
        if f1 > f0:
            f = angles[seg.angle]
            item = _clipitem(program, f"program-{k + 1}", f, files, f0, f1, True, "video")
            in_point = int(item.findtext("in") or 0)
            rate = files.rate(f)
            for m in marks.get(k, []):  # in the file's frames, as clip in and out points
                marker = ET.SubElement(item, "marker")
                text_element(marker, "name", m.name)
                text_element(marker, "comment", "")
                at = in_point + frames(Fraction(m.frame - origin - f0) / fps, rate)
                text_element(marker, "in", str(at))
                text_element(marker, "out", "-1")

    audio = ET.SubElement(media, "audio")
    text_element(audio, "numOutputChannels", "2")
    afmt = ET.SubElement(audio, "format")
    sc = ET.SubElement(afmt, "samplecharacteristics")
    text_element(sc, "depth", "16")
    text_element(sc, "samplerate", "48000")
    sounds = analysis.mics or [f for f in angles if f.label == analysis.room]
    for i, f in enumerate(sounds):
        track = ET.SubElement(audio, "track")
        a0 = max(origin, frames(f.offset, fps))
        a1 = frames(f.offset, fps) + frames(f.duration, fps)
        if a1 > a0:
            _clipitem(track, f"sound-{i + 1}", f, files, a0 - origin, a1 - origin, True, "audio")


def _multiclip(parent: ET.Element, analysis: MulticamAnalysis, files: _Files) -> None:
    """A bin holding the shoot as one multiclip, every file synced on the shoot clock."""
    fps = analysis.fps
    start, _ = analysis.span
    origin = frames(start, fps)
    stop = max(frames(f.end, fps) for f in analysis.files)
    on_air = analysis.program[0].angle if analysis.program else 0
    bin_el = ET.SubElement(parent, "bin")
    text_element(bin_el, "name", f"{analysis.name} angles")
    children = ET.SubElement(bin_el, "children")
    clip = ET.SubElement(children, "clip", {"id": "multiclip-clip"})
    text_element(clip, "name", f"{analysis.name} Multicam")
    text_element(clip, "duration", str(stop - origin))
    clip.append(rate_element(fps))
    mc = ET.SubElement(clip, "multiclip", {"id": "multiclip-1"})
    text_element(mc, "name", f"{analysis.name} Multicam")
    text_element(mc, "collapsed", "FALSE")
    angles = analysis.angles
    for i, f in enumerate(analysis.files):
        angle = ET.SubElement(mc, "angle")
        is_video = f.kind == ANGLE
        text_element(
            angle, "activevideoangle", "TRUE" if is_video and angles.index(f) == on_air else "FALSE"
        )
        inner = ET.SubElement(angle, "clip", {"id": f"angle-clip-{i + 1}"})
        text_element(inner, "name", f.label)
        text_element(inner, "duration", str(stop - origin))
        inner.append(rate_element(fps))
        media = ET.SubElement(inner, "media")
        track = ET.SubElement(ET.SubElement(media, "video" if is_video else "audio"), "track")
        a0 = max(origin, frames(f.offset, fps))
        a1 = frames(f.offset, fps) + frames(f.duration, fps)
        _clipitem(
            track,
            f"angle-clip-{i + 1}-item",
            f,
            files,
            a0 - origin,
            a1 - origin,
            True,
            "video" if is_video else "audio",
        )


def to_string(analysis: MulticamAnalysis) -> str:
    """The shoot as FCP7 XML text (see the module docstring).

    Parameters
    ----------
    analysis : MulticamAnalysis
        The multicam analysis (from the pipeline, or read back from its ``.otio``).

    Returns
    -------
    str
    """
    root = ET.Element("xmeml", {"version": "5"})
    project = ET.SubElement(root, "project")
    text_element(project, "name", analysis.name)
    children = ET.SubElement(project, "children")
    files = _Files(analysis.files, analysis.fps)
    _sequence(children, analysis, files)
    _multiclip(children, analysis, files)
    ET.indent(root, space="    ")
    body = ET.tostring(root, encoding="unicode")
    return '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE xmeml>\n' + body + "\n"
