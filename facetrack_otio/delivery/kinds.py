"""The kinds of timeline facetrack delivers, and what each is written, reported and renamed
with: a single source's (a video or a sound file) and a multicam shoot's.

Commands that work from a saved ``.otio`` (``export``, ``name``, ``report``) ask
:func:`kind_of` instead of testing for a kind themselves; a new kind of timeline is one more
:class:`TimelineKind`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import opentimelineio as otio

from facetrack_otio import exports
from facetrack_otio.multicam import export as multicam_export
from facetrack_otio.multicam.timeline import is_multicam, rename_multicam
from facetrack_otio.report import write_report
from facetrack_otio.report.multicam import write_multicam_report
from facetrack_otio.timeline.names import rename_people


@dataclass(frozen=True)
class TimelineKind:
    """What a kind of timeline is written, reported and renamed with.

    Attributes
    ----------
    writers : mapping of str to writer
        Export format -> ``writer(timeline, folder, stem) -> files``.
    report : callable
        ``report(timeline, folder, png=True) -> files``.
    rename : callable
        ``rename(timeline, names) -> timeline``: people get names, in place.
    """

    writers: Mapping[str, Callable[[Any, Path, str], list[Path]]]
    report: Callable[..., list[Path]]
    rename: Callable[..., otio.schema.Timeline]


SINGLE = TimelineKind(exports.FORMATS, write_report, rename_people)
SHOOT = TimelineKind(multicam_export.FORMATS, write_multicam_report, rename_multicam)


def kind_of(timeline: otio.schema.Timeline) -> TimelineKind:
    """The kind of a facetrack timeline: :data:`SHOOT` for ``facetrack multicam``'s, else
    :data:`SINGLE`."""
    return SHOOT if is_multicam(timeline) else SINGLE
