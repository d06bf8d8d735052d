"""Every export of a multicam timeline.

=========  ===============  ==========================================================
format     file             what
=========  ===============  ==========================================================
otio       STEM.otio        the master: program, angle and microphone tracks, metadata
fcpxml     STEM.fcpxml      Final Cut Pro, Resolve: a multicam clip, cut by ``mc-clip``
fcp7       STEM.xml         Premiere Pro: program, disabled angle tracks, a multiclip
edl        STEM.edl         the program cut (CMX 3600), one reel per angle
rttm       STEM.rttm        who speaks when, on the shoot clock
mlt        STEM.mlt         Shotcut, melt: the timeline's tracks, program on top
kdenlive   STEM.kdenlive    Kdenlive: the same
=========  ===============  ==========================================================

Like the single-video exports, each is made from the timeline, so a saved ``.otio`` exports
again (``facetrack export``) after names were given.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path

import opentimelineio as otio

from facetrack_otio.exports import Writer, edl, export_timeline, kdenlive, mlt, otio_json
from facetrack_otio.exports.rttm import write_rttm
from facetrack_otio.fsutil import atomic_write_text
from facetrack_otio.multicam import fcp7_multicam, fcpxml_multicam
from facetrack_otio.multicam.result import MulticamAnalysis
from facetrack_otio.multicam.timeline import read_multicam


def write_edl(
    timeline: otio.schema.Timeline, outdir: str | os.PathLike[str], stem: str
) -> list[Path]:
    """``STEM.edl``: the program track, one reel per angle."""
    path = Path(outdir) / f"{stem}{edl.SUFFIX}"
    video = timeline.video_tracks()
    atomic_write_text(path, edl.track_edl(timeline, video[edl.program_index(video)], timeline.name))
    return [path]


def write_rttm_file(
    timeline: otio.schema.Timeline, outdir: str | os.PathLike[str], stem: str
) -> list[Path]:
    """``STEM.rttm``: the turns on the shoot clock, labelled ``speaker-N``."""
    analysis = read_multicam(timeline)
    people = {p.id: p for p in analysis.people}
    segments = [
        (people[t.speaker].label if t.speaker in people else f"speaker-{t.speaker}", t.start, t.end)
        for t in analysis.turns
    ]
    return [write_rttm(Path(outdir) / f"{stem}.rttm", analysis.name, segments)]


def _writer(suffix: str, to_string: Callable[[MulticamAnalysis], str]) -> Writer:
    """A format's writer: ``STEM.<suffix>`` made from the analysis the timeline holds."""

    def write(
        timeline: otio.schema.Timeline, outdir: str | os.PathLike[str], stem: str
    ) -> list[Path]:
        path = Path(outdir) / f"{stem}{suffix}"
        atomic_write_text(path, to_string(read_multicam(timeline)))
        return [path]

    return write


FORMATS: dict[str, Writer] = {
    "otio": otio_json.write,
    "fcpxml": _writer(fcpxml_multicam.SUFFIX, fcpxml_multicam.to_string),
    "fcp7": _writer(fcp7_multicam.SUFFIX, fcp7_multicam.to_string),
    "edl": write_edl,
    "rttm": write_rttm_file,
    "mlt": mlt.write,
    "kdenlive": kdenlive.write,
}


def export_multicam(
    timeline: otio.schema.Timeline,
    outdir: str | os.PathLike[str],
    stem: str,
    formats: Sequence[str] = ("all",),
    skip_unsupported: bool = False,
) -> list[Path]:
    """Write a multicam timeline in the chosen formats (see :data:`FORMATS`).

    Parameters and result as :func:`~facetrack_otio.exports.export_timeline`, whose format
    names, aliases and left-out formats (EDL and FCP7 XML at a rate without timecode) these
    are.
    """
    return export_timeline(timeline, outdir, stem, formats, skip_unsupported, writers=FORMATS)
