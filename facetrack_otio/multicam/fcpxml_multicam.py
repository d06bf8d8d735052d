"""FCPXML 1.8 of a multicam shoot, as a real multicam clip (``STEM.fcpxml``).

For Final Cut Pro and DaVinci Resolve:

- ``resources``: a format per frame rate and size, an asset per file (angles and microphones),
  and a ``media`` holding the ``multicam``: one ``mc-angle`` per camera and per microphone,
  each file placed at its synced time on the shoot clock (the multicam's own timeline);
- the event holds that multicam clip, and a project whose storyline is the program: one
  ``mc-clip`` per shot, its ``mc-source`` choosing the angle on air for the picture and every
  microphone (or, without any, the room's camera) for the sound, and a marker at each turn
  start (the same markers as the ``.otio``). Switching a shot to another angle is one click
  in the angle viewer; the cut points stay where they are.

Times are seconds over the frame duration's denominator on the program's frame grid, as Final
Cut writes them; a microphone keeps its sync to the sample (its ``start`` counts samples).
The document validates against Apple's FCPXML 1.8 DTD.
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from fractions import Fraction
from pathlib import Path

from facetrack_otio.exports.fcpxml import fcp_time, format_name
from facetrack_otio.multicam.placement import ProgramMarker, frames, mic_placement, program_markers
from facetrack_otio.multicam.result import MulticamAnalysis
from facetrack_otio.multicam.shoot import ANGLE, MIC, ShootFile

SUFFIX = ".fcpxml"
VERSION = "1.8"


class _Resources:
    """Formats and assets, each made once."""

    def __init__(self, root: ET.Element) -> None:
        self.el = ET.SubElement(root, "resources")
        self.formats: dict[tuple[Fraction, int, int], str] = {}
        self.count = 0

    def new_id(self) -> str:
        self.count += 1
        return f"r{self.count}"

    def format(self, fps: Fraction, width: int, height: int) -> str:
        key = (fps, width, height)
        if key not in self.formats:
            attrib = {"id": self.new_id(), "frameDuration": fcp_time(1, fps)}
            name = format_name(width, height, fps)
            if name:
                attrib["name"] = name
            attrib.update({"width": str(width), "height": str(height)})
            ET.SubElement(self.el, "format", attrib)
            self.formats[key] = attrib["id"]
        return self.formats[key]

    def asset(self, f: ShootFile, program_format: str) -> str:
        attrib = {"id": self.new_id(), "name": f.label, "src": Path(f.path).as_uri()}
        attrib["start"] = "0s"
        if f.kind == ANGLE:
            v = f.video
            fmt = self.format(v.fps, v.width, v.height)
            attrib["duration"] = fcp_time(frames(f.duration, v.fps), v.fps)
            attrib.update({"hasVideo": "1", "format": fmt})
        else:
            rate = f.info.audio_sample_rate or 48000
            attrib["duration"] = fcp_time(round(f.duration * rate), Fraction(rate))
            attrib.update({"hasVideo": "0", "format": program_format})
        if f.info.has_audio:
            attrib.update(
                {
                    "hasAudio": "1",
                    "audioSources": "1",
                    "audioChannels": str(getattr(f.info, "channels", 1) or 1),
                }
            )
            if f.info.audio_sample_rate:
                attrib["audioRate"] = str(f.info.audio_sample_rate)
        else:
            attrib["hasAudio"] = "0"
        ET.SubElement(self.el, "asset", attrib)
        return attrib["id"]


def _angle_id(i: int, f: ShootFile) -> str:
    return f"{'cam' if f.kind == ANGLE else 'mic'}-{i + 1}"


def _mc_angle(
    parent: ET.Element, f: ShootFile, angle_id: str, asset: str, fps: Fraction, origin: int
) -> None:
    """One angle of the multicam: the file at its synced place on the shoot clock."""
    el = ET.SubElement(parent, "mc-angle", {"name": f.label, "angleID": angle_id})
    if f.kind == MIC:
        # The clip starts on a frame; ``start`` skips the samples between the file's first
        # sample (placed by mic_placement) and that frame, so the microphone keeps its sync
        # to the sample.
        place = mic_placement(f, Fraction(origin) / fps)
        first = origin + math.ceil(place.seconds_at * fps)
        ahead = (Fraction(first - origin) / fps - place.seconds_at) * place.rate
        start = fcp_time(place.skip + round(ahead), Fraction(place.rate))
    else:
        first = max(origin, frames(f.offset, fps))
        start = fcp_time(max(0, frames(first / fps - f.offset, f.video.fps)), f.video.fps)
    last = frames(f.end, fps)
    if first > origin:
        ET.SubElement(
            el,
            "gap",
            {
                "name": "Gap",
                "offset": fcp_time(origin, fps),
                "start": fcp_time(origin, fps),
                "duration": fcp_time(first - origin, fps),
            },
        )
    if last > first:
        attrib = {
            "ref": asset,
            "offset": fcp_time(first, fps),
            "name": f.label,
            "start": start,
            "duration": fcp_time(last - first, fps),
        }
        if f.kind == MIC:
            attrib["srcEnable"] = "audio"
        ET.SubElement(el, "asset-clip", attrib)


def to_string(analysis: MulticamAnalysis) -> str:
    """The shoot as FCPXML 1.8 text (see the module docstring).

    Parameters
    ----------
    analysis : MulticamAnalysis
        The multicam analysis (from the pipeline, or read back from its ``.otio``).

    Returns
    -------
    str
    """
    fps = analysis.fps
    angles = analysis.angles
    first_angle = angles[0].video
    start, end = analysis.span
    origin, stop = frames(start, fps), frames(end, fps)
    root = ET.Element("fcpxml", {"version": VERSION})
    res = _Resources(root)
    program_format = res.format(fps, first_angle.width, first_angle.height)
    assets = {f.label: res.asset(f, program_format) for f in analysis.files}
    ids = {f.label: _angle_id(i, f) for i, f in enumerate(analysis.files)}

    media_id = res.new_id()
    media = ET.SubElement(res.el, "media", {"id": media_id, "name": f"{analysis.name} Multicam"})
    multicam = ET.SubElement(
        media,
        "multicam",
        {"format": program_format, "tcStart": fcp_time(origin, fps), "tcFormat": "NDF"},
    )
    shoot_end = max(frames(f.end, fps) for f in analysis.files)
    for f in analysis.files:
        _mc_angle(multicam, f, ids[f.label], assets[f.label], fps, origin)

    sounds = analysis.mics or [f for f in angles if f.label == analysis.room]
    library = ET.SubElement(root, "library")
    event = ET.SubElement(library, "event", {"name": analysis.name})
    whole = ET.SubElement(
        event,
        "mc-clip",
        {
            "name": f"{analysis.name} Multicam",
            "ref": media_id,
            "offset": fcp_time(origin, fps),
            "start": fcp_time(origin, fps),
            "duration": fcp_time(shoot_end - origin, fps),
        },
    )
    _sources(whole, ids[angles[0].label], [ids[f.label] for f in sounds])
    project = ET.SubElement(event, "project", {"name": analysis.name})
    sequence = ET.SubElement(
        project,
        "sequence",
        {
            "format": program_format,
            "duration": fcp_time(stop - origin, fps),
            "tcStart": fcp_time(origin, fps),
            "tcFormat": "NDF",
            "audioLayout": "stereo",
            "audioRate": "48k",
        },
    )
    spine = ET.SubElement(sequence, "spine")
    cursor = origin
    marks: dict[int, list[ProgramMarker]] = {}
    for m in program_markers(analysis):
        marks.setdefault(m.shot, []).append(m)
    for i, seg in enumerate(analysis.program):
        f0, f1 = frames(seg.start, fps), frames(seg.end, fps)
        if f1 <= f0:
            continue
        if f0 > cursor:
            ET.SubElement(
                spine,
                "gap",
                {
                    "name": "Gap",
                    "offset": fcp_time(cursor, fps),
                    "start": fcp_time(cursor, fps),
                    "duration": fcp_time(f0 - cursor, fps),
                },
            )
        angle = angles[seg.angle]
        clip = ET.SubElement(
            spine,
            "mc-clip",
            {
                "name": angle.label,
                "ref": media_id,
                "offset": fcp_time(f0, fps),
                "start": fcp_time(f0, fps),
                "duration": fcp_time(f1 - f0, fps),
            },
        )
        _sources(clip, ids[angle.label], [ids[f.label] for f in sounds])
        for m in marks.get(i, []):  # in the multicam's own time: the shoot clock
            attrib = {"start": fcp_time(m.frame, fps), "duration": fcp_time(1, fps)}
            ET.SubElement(clip, "marker", {**attrib, "value": m.name})
        cursor = f1
    ET.indent(root, space="    ")
    body = ET.tostring(root, encoding="unicode")
    return '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE fcpxml>\n\n' + body + "\n"


def _sources(clip: ET.Element, video: str, audio: list[str]) -> None:
    """``mc-source`` elements: the picture from ``video``, the sound from ``audio``."""
    for angle_id in dict.fromkeys([video, *audio]):
        both = angle_id == video and angle_id in audio
        enable = "all" if both else "video" if angle_id == video else "audio"
        ET.SubElement(clip, "mc-source", {"angleID": angle_id, "srcEnable": enable})
