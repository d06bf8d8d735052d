"""A multicam shoot's analysis as the delivery stage takes it."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from facetrack_otio.delivery import Rendered
from facetrack_otio.delivery.kinds import SHOOT
from facetrack_otio.multicam.render import render_program
from facetrack_otio.multicam.result import MulticamAnalysis
from facetrack_otio.multicam.thumbs import write_people_thumbnails
from facetrack_otio.multicam.timeline import multicam_timeline


class ShootDeliverable:
    """:class:`~facetrack_otio.delivery.Deliverable` of a shoot: the multicam timeline, a
    face per person (from the angle that shows them biggest) and ``NAME.program.mp4``.

    Parameters
    ----------
    analysis : MulticamAnalysis
        What :class:`~facetrack_otio.multicam.analysis.MulticamPipeline` found.
    """

    def __init__(self, analysis: MulticamAnalysis) -> None:
        self.analysis = analysis
        self.stem = analysis.name
        self.warnings = analysis.warnings
        self.timings = analysis.timings
        self.writers: Mapping[str, Any] = SHOOT.writers

    def thumbnails(self, folder: Path) -> list[Path]:
        return write_people_thumbnails(self.analysis, folder)

    def timeline(self) -> Any:
        return multicam_timeline(self.analysis)

    def report(self, timeline: Any, folder: Path) -> list[Path]:
        return SHOOT.report(timeline, folder)

    def render(self, folder: Path, progress: bool) -> Rendered:
        a = self.analysis
        program = render_program(a, folder / f"{a.name}.program.mp4", a.settings.render, progress)
        return Rendered([program])
