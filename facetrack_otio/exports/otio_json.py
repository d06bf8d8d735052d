"""The master file: the timeline as OTIO JSON (``STEM.otio``), metadata and all.

Every other export is made from this timeline and drops part of it (see docs/editors.md), so
this is the file to keep, re-export from and open in Resolve 18.5+ or Premiere Pro 25.6+.
"""

from __future__ import annotations

import os
from pathlib import Path

import opentimelineio as otio

from facetrack_otio.fsutil import atomic_path

SUFFIX = ".otio"


def write(timeline: otio.schema.Timeline, outdir: str | os.PathLike[str], stem: str) -> list[Path]:
    """Write ``STEM.otio`` into ``outdir``.

    Parameters
    ----------
    timeline : opentimelineio.schema.Timeline
        The timeline to save.
    outdir : str or os.PathLike
        Output folder (created when missing).
    stem : str
        File name without suffix.

    Returns
    -------
    list of pathlib.Path
        The file written.
    """
    path = Path(outdir) / f"{stem}{SUFFIX}"
    with atomic_path(path) as tmp:
        otio.adapters.write_to_file(timeline, str(tmp), adapter_name="otio_json")
    return [path]
