"""Every export of a multicam timeline.

=========  ===============  ==========================================================
format     file             what
=========  ===============  ==========================================================
otio       STEM.otio        the master: program, angle and microphone tracks, metadata
fcpxml     STEM.fcpxml      Final Cut Pro, Resolve: a multicam clip, cut by ``mc-clip``
fcp7       STEM.xml         Premiere Pro: program, disabled angle tracks, a multiclip
edl        STEM.edl         the program cut (CMX 3600), one reel per angle
rttm       STEM.rttm        who speaks when, on the shoot clock
=========  ===============  ==========================================================

Like the single-video exports, each is made from the timeline, so a saved ``.otio`` exports
again (``facetrack export``) after names were given.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import opentimelineio as otio

from facetrack_otio.exports import (
    edl,
    fcp7_multicam,
    fcpxml_multicam,
    otio_json,
    resolve_formats,
    unsupported_formats,
)
from facetrack_otio.exports.rttm import write_rttm
from facetrack_otio.fsutil import atomic_write_text
from facetrack_otio.multicam.timeline import read_multicam


def write_edl(
    timeline: otio.schema.Timeline, outdir: str | os.PathLike[str], stem: str
) -> list[Path]:
    """``STEM.edl``: the program track, one reel per angle."""
    path = Path(outdir) / f"{stem}{edl.SUFFIX}"
    atomic_write_text(path, edl.track_edl(timeline, timeline.video_tracks()[0], timeline.name))
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


FORMATS = {
    "otio": otio_json.write,
    "fcpxml": fcpxml_multicam.write,
    "fcp7": fcp7_multicam.write,
    "edl": write_edl,
    "rttm": write_rttm_file,
}


def export_multicam(
    timeline: otio.schema.Timeline,
    outdir: str | os.PathLike[str],
    stem: str,
    formats: Sequence[str] = ("all",),
    skip_unsupported: bool = False,
) -> list[Path]:
    """Write a multicam timeline in the chosen formats.

    Parameters
    ----------
    timeline : opentimelineio.schema.Timeline
        A ``facetrack multicam`` timeline.
    outdir : str or os.PathLike
        Output folder (created when missing).
    stem : str
        File name stem.
    formats : sequence of str
        Format names (as ``facetrack export`` takes them) or ``all``.
    skip_unsupported : bool
        Leave out the formats in SMPTE timecode at a rate without it (EDL, FCP7 XML at 15
        fps) instead of refusing.

    Returns
    -------
    list of pathlib.Path
        Every file written.
    """
    chosen = resolve_formats(formats)
    if skip_unsupported:
        missing = unsupported_formats(timeline)
        chosen = [f for f in chosen if f not in missing]
    out = Path(outdir)
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for fmt in chosen:
        written.extend(FORMATS[fmt](timeline, out, stem))
    return written
