"""The review report: ``report.html`` (self-contained) and ``report.png`` (the chart alone).

Everything the report shows is read from the timeline's metadata and the thumbnails beside it,
so ``facetrack report OUTDIR`` rebuilds it without running any model.
"""

from __future__ import annotations

import os
from pathlib import Path

import opentimelineio as otio

from facetrack_otio.errors import InputError
from facetrack_otio.fsutil import atomic_write_text
from facetrack_otio.report.chart import layout, to_png
from facetrack_otio.report.data import ReportData
from facetrack_otio.report.page import render_page
from facetrack_otio.report.versions import versions

__all__ = ["REPORT_HTML", "REPORT_PNG", "ReportData", "find_timeline", "write_report"]

REPORT_HTML = "report.html"
REPORT_PNG = "report.png"


def write_report(
    timeline: otio.schema.Timeline, folder: str | os.PathLike[str], png: bool = True
) -> list[Path]:
    """Write ``report.html`` (and ``report.png``) for a facetrack timeline into ``folder``.

    Parameters
    ----------
    timeline : opentimelineio.schema.Timeline
        A timeline made by facetrack; its metadata holds people, turns, speech, settings and
        timings.
    folder : str or os.PathLike
        The output folder, which also holds the thumbnails the people refer to.
    png : bool
        Also write the chart alone as ``report.png``.

    Returns
    -------
    list of Path
        The files written.

    Raises
    ------
    InputError
        When the timeline is not facetrack's or its metadata is damaged.
    """
    out = Path(folder)
    data = ReportData.from_timeline(timeline)
    chart = layout(data)
    written = [atomic_write_text(out / REPORT_HTML, render_page(data, chart, out, versions()))]
    if png:
        # Twice the page's pixels: sharp where it is shown scaled down (READMEs, slides).
        written.append(to_png(chart, out / REPORT_PNG, scale=2.0))
    return written


def find_timeline(path: str | os.PathLike[str]) -> Path:
    """The facetrack ``.otio`` to report on: ``path`` itself, or the one in folder ``path``.

    Raises
    ------
    InputError
        When ``path`` does not exist, or the folder holds no ``.otio`` or several.
    """
    p = Path(path)
    if not p.exists():
        raise InputError(f"{p}: no such file or folder")
    if p.is_file():
        return p
    found = sorted(q for q in p.glob("*.otio") if q.is_file() and not q.name.startswith("."))
    if not found:
        raise InputError(f"{p}: no .otio timeline here; make one with `facetrack run`")
    if len(found) > 1:
        names = ", ".join(q.name for q in found)
        raise InputError(f"{p}: several timelines ({names}); name the one to report on")
    return found[0]
