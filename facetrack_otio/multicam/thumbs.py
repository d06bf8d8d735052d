"""A face thumbnail per person, cut from the angle that shows them biggest."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from facetrack_otio.faces.tracks import FaceTracks
from facetrack_otio.multicam.result import MulticamAnalysis
from facetrack_otio.report.thumbs import write_thumbnails


def write_people_thumbnails(analysis: MulticamAnalysis, outdir: str | Path) -> list[Path]:
    """Write ``thumbs/speaker-N.jpg`` per person seen, and set each ``Person.thumbnail``.

    Parameters
    ----------
    analysis : MulticamAnalysis
        The analysis, with its angles' face tracks.
    outdir : str or Path
        The output folder.

    Returns
    -------
    list of Path
        The thumbnails written.
    """
    written: list[Path] = []
    angles = analysis.angles
    for person in analysis.people:
        shown = [v for v in analysis.views if person.id in v.size]
        if not shown or not analysis.faces:
            continue  # someone no camera shows: the report draws their initials
        best = max(shown, key=lambda v: v.size[person.id])
        faces = analysis.faces[best.index]
        mine = [
            dataclasses.replace(t, person=person.id)
            for t in faces.tracks
            if analysis.local.get((best.index, t.person)) == person.id
        ]
        view = FaceTracks(faces.fps, faces.size, faces.n_frames, mine, faces.embedder, faces.device)
        rel = write_thumbnails(angles[best.index].video, view, [person], outdir)
        written += [Path(outdir) / r for r in rel.values()]
    return written
