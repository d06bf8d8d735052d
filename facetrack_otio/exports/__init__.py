"""Export a facetrack timeline for editors and speech tools.

=========  ===========================  ==============================================
format     files                        for
=========  ===========================  ==============================================
otio       STEM.otio                    the master: everything, metadata included
fcpxml     STEM.fcpxml                  Final Cut Pro, DaVinci Resolve (FCPXML 1.8)
fcp7       STEM.xml                     Premiere Pro, Resolve (FCP7 XML)
edl        STEM.edl, STEM.<label>.edl   anything that reads CMX 3600 (one track each)
rttm       STEM.rttm                    diarization tools (who speaks when)
mlt        STEM.mlt                     Shotcut, melt (MLT XML)
kdenlive   STEM.kdenlive                Kdenlive
=========  ===========================  ==============================================

Every writer takes the timeline (not the analysis), so a saved ``.otio`` can be exported
again later. The FCPXML, FCP7 XML and EDL writers take any OTIO timeline, not only facetrack's
(:mod:`facetrack_otio.exports.sequence` fills in what another tool's timeline does not say),
and are OTIO adapters too: ``facetrack_fcpxml``, ``facetrack_fcp7`` and ``facetrack_edl``
(``adapters/``, :mod:`facetrack_otio.exports.otio_adapter`).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import opentimelineio as otio

from facetrack_otio.errors import InputError
from facetrack_otio.exports import edl, fcp7, fcpxml, kdenlive, mlt, otio_json
from facetrack_otio.exports.rttm import write_rttm
from facetrack_otio.fsutil import fit_name
from facetrack_otio.timeline.meta import timeline_fps
from facetrack_otio.timeline.read import speaker_data

Writer = Callable[[otio.schema.Timeline, Path, str], list[Path]]


def write_rttm_file(
    timeline: otio.schema.Timeline, outdir: str | os.PathLike[str], stem: str
) -> list[Path]:
    """Write ``STEM.rttm``: the turns stored in the timeline, labelled ``speaker-N``.

    Parameters
    ----------
    timeline : opentimelineio.schema.Timeline
        A facetrack timeline (the turns come from its metadata, at full precision, not from
        the frame-snapped clips).
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
        When the timeline is not a facetrack timeline.
    """
    data = speaker_data(timeline)
    segments = [(data.person(t.speaker).label, t.start, t.end) for t in data.turns]
    return [write_rttm(Path(outdir) / f"{stem}.rttm", data.info.name, segments)]


FORMATS: dict[str, Writer] = {
    "otio": otio_json.write,
    "fcpxml": fcpxml.write,
    "fcp7": fcp7.write,
    "edl": edl.write,
    "rttm": write_rttm_file,
    "mlt": mlt.write,
    "kdenlive": kdenlive.write,
}

# Other names people use for the same formats.
ALIASES = {
    "otio_json": "otio",
    "fcpx": "fcpxml",
    "fcpx_xml": "fcpxml",
    "xml": "fcp7",
    "fcp_xml": "fcp7",
    "premiere": "fcp7",
    "cmx": "edl",
    "cmx_3600": "edl",
    "shotcut": "mlt",
}


# Formats written in SMPTE timecode, which exists at 24, 25, 30, 48, 50 and 60 fps and the
# NTSC rates, not at 12.5, 15 or 120 fps; .otio, FCPXML (rational time) and RTTM (seconds)
# hold any rate.
_TIMECODE_FORMATS = {"fcp7": "FCP7 XML", "edl": "EDL"}


def unsupported_formats(timeline: otio.schema.Timeline) -> dict[str, str]:
    """Formats of :data:`FORMATS` that cannot hold ``timeline``, each with the reason.

    Parameters
    ----------
    timeline : opentimelineio.schema.Timeline
        The timeline to export.

    Returns
    -------
    dict of str to str
        Format name -> why not; empty when every format can hold it.
    """
    fps = timeline_fps(timeline)
    try:
        otio.opentime.to_timecode(otio.opentime.RationalTime(0, float(fps)), float(fps))
    except ValueError:
        return dict.fromkeys(_TIMECODE_FORMATS, f"SMPTE timecode has no {float(fps):g} fps")
    if not timeline.video_tracks():
        return {"edl": "the timeline is sound only and an EDL cuts a picture track"}
    return {}


def left_out_note(timeline: otio.schema.Timeline) -> str | None:
    """The warning for what :func:`export_timeline` leaves out of every format, or None.

    ``"no FCP7 XML or EDL: SMPTE timecode has no 15 fps (the .otio and FCPXML hold the
    timeline)"``.
    """
    missing = unsupported_formats(timeline)
    if not missing:
        return None
    names = " or ".join(_TIMECODE_FORMATS[f] for f in missing)
    reason = next(iter(missing.values()))
    return f"no {names}: {reason} (the .otio and FCPXML hold the timeline)"


def resolve_formats(formats: Sequence[str]) -> list[str]:
    """Format names in :data:`FORMATS` order, without repeats.

    Parameters
    ----------
    formats : sequence of str
        Names, aliases, ``"all"``, or comma-separated lists of them (``"otio,edl"``).

    Returns
    -------
    list of str

    Raises
    ------
    InputError
        On an unknown name, or when nothing is asked for.
    """
    wanted: set[str] = set()
    for item in formats:
        for name in str(item).split(","):
            key = name.strip().lower()
            if not key:
                continue
            if key == "all":
                wanted.update(FORMATS)
                continue
            key = ALIASES.get(key, key)
            if key not in FORMATS:
                known = ", ".join([*FORMATS, "all"])
                raise InputError(f"unknown export format {name.strip()!r} (choose from {known})")
            wanted.add(key)
    if not wanted:
        raise InputError("no export format given")
    return [f for f in FORMATS if f in wanted]


def export_stem(stem: str) -> str:
    """The stem export files are named with: no path separators, and short enough that the
    longest name made from it (``STEM.speaker-12.edl``) fits a file system's 255 bytes."""
    cleaned = fit_name(stem.replace("/", "_").replace("\\", "_"), 32)
    return cleaned if cleaned.strip() not in ("", ".", "..") else "timeline"


def export_timeline(
    timeline: otio.schema.Timeline,
    outdir: str | os.PathLike[str],
    stem: str | None = None,
    formats: Sequence[str] = ("all",),
    skip_unsupported: bool = False,
    writers: Mapping[str, Writer] | None = None,
) -> list[Path]:
    """Write the timeline in the chosen formats.

    Parameters
    ----------
    timeline : opentimelineio.schema.Timeline
        The timeline (left unchanged).
    outdir : str or os.PathLike
        Output folder (created when missing).
    stem : str, optional
        File name stem; the timeline's name (the source's stem) by default.
    formats : sequence of str
        Names from :data:`FORMATS` (or aliases, or ``"all"``).
    skip_unsupported : bool
        Leave out the formats that cannot hold this timeline (:func:`unsupported_formats`;
        :func:`left_out_note` says which) instead of refusing it: for every format at once,
        where the user named none.
    writers : mapping of str to writer, optional
        The writer of each format name (:data:`FORMATS` by default; a multicam timeline has
        writers of its own).

    Returns
    -------
    list of pathlib.Path
        Every file written, in :data:`FORMATS` order.

    Raises
    ------
    InputError
        On an unknown format, or a timeline a format cannot hold (see each writer).
    """
    chosen = resolve_formats(formats)
    if skip_unsupported:
        missing = unsupported_formats(timeline)
        chosen = [f for f in chosen if f not in missing]
    out = Path(outdir)
    out.mkdir(parents=True, exist_ok=True)
    name = export_stem(stem if stem is not None else (timeline.name or "timeline"))
    written: list[Path] = []
    for fmt in chosen:
        written.extend((writers or FORMATS)[fmt](timeline, out, name))
    return written


__all__ = [
    "ALIASES",
    "FORMATS",
    "export_stem",
    "export_timeline",
    "left_out_note",
    "resolve_formats",
    "unsupported_formats",
    "write_rttm_file",
]
