"""``facetrack name``: rename people, then write the timeline and its exports again."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from facetrack_otio.cli.common import add_command


def add_parser(sub: Any) -> None:
    name = add_command(
        sub,
        "name",
        help="rename people (tracks, clips, markers, metadata) and export again",
        description="Rename people in a facetrack timeline, e.g. `facetrack name talk.otio "
        "1=Alice 2=Bob` (ids as in 'Speaker 1'; off-screen=NAME for the off-screen voice), "
        "then write the .otio and every export again beside it.",
    )
    name.add_argument("timeline", help="a .otio written by facetrack")
    name.add_argument("names", nargs="+", metavar="N=NAME")


def main(args: argparse.Namespace) -> int:
    from facetrack_otio.delivery import deliver_exports
    from facetrack_otio.delivery.kinds import kind_of
    from facetrack_otio.timeline.names import parse_names
    from facetrack_otio.timeline.read import load_timeline

    names = parse_names(args.names)
    path = Path(args.timeline)
    timeline = load_timeline(path)
    timeline = kind_of(timeline).rename(timeline, names)
    for p in deliver_exports(timeline, path.parent, path.stem, ["all"], named=False):
        print(p)
    return 0
