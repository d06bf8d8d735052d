"""``facetrack report``: rebuild report.html/png from an output folder's timeline."""

from __future__ import annotations

import argparse
from typing import Any

from facetrack_otio.cli.common import add_command
from facetrack_otio.errors import InputError


def add_parser(sub: Any) -> None:
    rep = add_command(
        sub,
        "report",
        help="rebuild report.html and report.png of an output folder (no models run)",
        description="Write report.html (self-contained: thumbnails, who-speaks-when chart, "
        "turns with timecodes, the run's settings, versions and timings) and report.png (the "
        "chart alone) from the .otio timeline an output folder holds.",
    )
    rep.add_argument(
        "folder", metavar="OUTDIR", help="a `facetrack run` or `multicam` output folder (or .otio)"
    )
    rep.add_argument("--no-png", action="store_true", help="write report.html only")


def main(args: argparse.Namespace) -> int:
    from facetrack_otio.delivery.kinds import kind_of
    from facetrack_otio.report import find_timeline
    from facetrack_otio.timeline.read import load_timeline

    path = find_timeline(args.folder)
    timeline = load_timeline(path)
    try:
        written = kind_of(timeline).report(timeline, path.parent, png=not args.no_png)
    except OSError as exc:
        reason = exc.strerror or exc
        raise InputError(f"{path.parent}: cannot write the report ({reason})") from None
    for p in written:
        print(p)
    return 0
