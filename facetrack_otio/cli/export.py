"""``facetrack export``: write a saved timeline in the chosen formats."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from facetrack_otio.cli.common import add_command


def add_parser(sub: Any) -> None:
    exp = add_command(
        sub,
        "export",
        help="export a facetrack .otio timeline to editor formats",
        description="Write the timeline as otio, fcpxml (Final Cut Pro, Resolve), fcp7 "
        "(Premiere), edl (the program and one per speaker), rttm, mlt (Shotcut) and/or "
        "kdenlive, named after the timeline file, e.g. "
        "`facetrack export out/talk.otio -f fcpxml -o for-resolve/`.",
    )
    exp.add_argument("timeline", help="a .otio written by facetrack")
    exp.add_argument(
        "--format",
        "-f",
        action="append",
        metavar="FORMAT",
        help="otio, fcpxml, fcp7, edl, rttm, mlt, kdenlive or all; repeat or separate by "
        "commas (default: every format that holds the timeline's rate: no edl or fcp7 at "
        "15 fps, which has no SMPTE timecode)",
    )
    exp.add_argument("-o", "--output", metavar="OUTDIR", help="default: the timeline's folder")


def main(args: argparse.Namespace) -> int:
    from facetrack_otio.delivery import deliver_exports
    from facetrack_otio.exports import resolve_formats
    from facetrack_otio.timeline.read import load_timeline

    formats = resolve_formats(args.format or ["all"])  # a bad name fails before any reading
    path = Path(args.timeline)
    timeline = load_timeline(path)
    outdir = Path(args.output) if args.output else path.parent
    # Formats named outright must all be written; left to the default, those that cannot
    # hold the timeline's rate are left out with a warning, as `run` does.
    for p in deliver_exports(timeline, outdir, path.stem, formats, named=bool(args.format)):
        print(p)
    return 0
