"""The master file: the timeline as OTIO JSON (``STEM.otio``), metadata and all.

Every other export is made from this timeline and drops part of it (see docs/editors.md), so
this is the file to keep, re-export from and open in Resolve 18.5+ or Premiere Pro 25.6+.

The JSON is written compact, without indentation or line breaks: every reader of OTIO JSON
reads it the same, and an hour's timeline, whose clips carry their face keyframes, is a sixth
of its indented size (3.0 MB, not 18 MB; docs/performance.md). ``otiocat FILE`` prints it
indented. It holds nothing of the run itself (the stage timings are in the report and in
``facetrack run --json``), so the same input and settings give the same bytes.
"""

from __future__ import annotations

import os
from pathlib import Path

import opentimelineio as otio

from facetrack_otio.fsutil import atomic_write_text

SUFFIX = ".otio"
# OTIO's setting for no indentation and no line breaks.
INDENT = -1


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
    # Through a string: OTIO 0.18's file writer indents whatever it is asked.
    text = otio.adapters.write_to_string(timeline, adapter_name="otio_json", indent=INDENT)
    atomic_write_text(path, text)
    return [path]
