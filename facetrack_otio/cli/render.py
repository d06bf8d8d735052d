"""``facetrack render``: clips per turn or per speaker, from the timeline's source video."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path
from typing import Any

from facetrack_otio.cli.common import add_command, add_setting_flags, settings_from_args
from facetrack_otio.errors import EXIT_INTERNAL, InputError
from facetrack_otio.staging import staging_folder

log = logging.getLogger("facetrack")


def add_parser(sub: Any) -> None:
    ren = add_command(
        sub,
        "render",
        help="render clips of a facetrack timeline: per turn or per speaker, reframed",
        description="Render one clip per speaker turn, or one file per speaker (--per "
        "speaker), optionally cropped to follow the speaker's face (--aspect 9:16...), split "
        "into segments, and a review video (--annotate); H.264/AAC, +faststart, with ffmpeg, "
        "from the source video the timeline points at.",
    )
    ren.add_argument("timeline", help="a .otio written by facetrack")
    ren.add_argument("-o", "--output", required=True, metavar="OUTDIR", help="output folder")
    add_setting_flags(ren, "render")


def main(args: argparse.Namespace) -> int:
    from facetrack_otio.render.clips import render_turns
    from facetrack_otio.render.timeline import reframe_keyframes, render_settings_for
    from facetrack_otio.timeline.read import load_timeline, speaker_data

    settings = settings_from_args(args).render
    timeline = load_timeline(args.timeline)
    data = speaker_data(timeline)
    if not Path(data.info.path).is_file():
        raise InputError(f"{data.info.path}: source media of the timeline not found")
    if not data.info.has_video:
        raise InputError(
            f"{args.timeline}: the source is sound only; there is no picture to render"
        )
    # The clips carry the audio stream the analysis listened to.
    settings = render_settings_for(data, settings)
    outdir = Path(args.output)
    if not data.turns and not settings.annotate:
        log.warning("%s: no speaker turns, nothing to render", args.timeline)
        return 0
    with staging_folder(outdir) as stage:
        report = render_turns(
            data.info,
            data.turns,
            data.people,
            stage,
            settings,
            progress=not args.quiet,
            reframe=reframe_keyframes(timeline),
        )
        outputs = [outdir / p.name for p in report.outputs]
    for p in outputs:
        print(p)
    for turn, why in report.failures:
        log.error("clip %.2f-%.2fs failed: %s", turn.start, turn.end, why)
    return EXIT_INTERNAL if report.failures else 0
