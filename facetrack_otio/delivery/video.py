"""A single source's analysis (a video, or a sound file) as the delivery stage takes it."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from facetrack_otio.delivery import Rendered
from facetrack_otio.delivery.kinds import SINGLE
from facetrack_otio.exports import export_stem
from facetrack_otio.outputs import CLIP_DIR
from facetrack_otio.pipeline import Analysis
from facetrack_otio.render.clips import render_turns
from facetrack_otio.report.thumbs import write_thumbnails

log = logging.getLogger("facetrack")


class VideoDeliverable:
    """:class:`~facetrack_otio.delivery.Deliverable` of one analysed source: the speaker
    timeline, a face per person, and one clip per turn (none for a sound file).

    Parameters
    ----------
    analysis : Analysis
        What :class:`~facetrack_otio.pipeline.SpeakerPipeline` found.
    """

    def __init__(self, analysis: Analysis) -> None:
        self.analysis = analysis
        self.stem = export_stem(analysis.info.name)
        self.warnings = analysis.warnings
        self.timings = analysis.timings
        self.writers: Mapping[str, Any] = SINGLE.writers

    def thumbnails(self, folder: Path) -> list[Path]:
        a = self.analysis
        written = write_thumbnails(a.info, a.faces, a.people, folder)
        return [folder / rel for rel in written.values()]

    def timeline(self) -> Any:
        return self.analysis.timeline()

    def report(self, timeline: Any, folder: Path) -> list[Path]:
        return SINGLE.report(timeline, folder)

    def render(self, folder: Path, progress: bool) -> Rendered:
        a = self.analysis
        if not a.info.has_video:
            log.info("sound only: no clips to render (the timeline cuts the sound)")
            return Rendered()
        if not a.turns:
            return Rendered()
        report = render_turns(
            a.info,
            a.turns,
            a.people,
            folder / CLIP_DIR,
            a.settings.render,
            progress=progress,
            reframe=a.reframe(),
        )
        failures = [f"{t.start:.2f}-{t.end:.2f}s: {why}" for t, why in report.failures]
        return Rendered(list(report.outputs), failures, report.encoder)
