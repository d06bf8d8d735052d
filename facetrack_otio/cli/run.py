"""``facetrack run``: analyse one video and write the timeline, exports, report and clips."""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path
from typing import Any

from facetrack_otio.cli.common import (
    Progress,
    add_command,
    add_setting_flags,
    settings_from_args,
)
from facetrack_otio.errors import EXIT_INTERNAL, InputError
from facetrack_otio.outputs import earlier_outputs

log = logging.getLogger("facetrack")

DEMO_DIR = "facetrack-demo"


def add_parser(sub: Any) -> None:
    run = add_command(
        sub,
        "run",
        help="analyse a video and write the timeline, exports and clips",
        description="Analyse VIDEO and write into OUTDIR: NAME.otio, NAME.fcpxml, NAME.xml "
        "(FCP7), NAME.edl plus one EDL per speaker, NAME.rttm, and clips/ with one mp4 per "
        "speaker turn.",
    )
    run.add_argument(
        "video",
        nargs="?",
        help="the video file; without one, the bundled sample runs into ./facetrack-demo/",
    )
    run.add_argument(
        "-o", "--output", metavar="OUTDIR", help="output folder (required with a video)"
    )
    run.add_argument("--no-render", action="store_true", help="skip the per-turn clips")
    run.add_argument("--json", action="store_true", help="print a JSON summary on stdout")
    run.add_argument(
        "--no-cache",
        action="store_true",
        help="analyse again even when the analysis cache ($FACETRACK_CACHE_DIR or "
        "~/.cache/facetrack) holds this video with these settings",
    )
    add_setting_flags(run, "run")


def main(args: argparse.Namespace) -> int:
    from facetrack_otio.media.probe import probe
    from facetrack_otio.timeline.names import parse_names

    names = parse_names(args.names)
    settings = settings_from_args(args)
    demo = args.video is None
    if demo:
        args.video, args.output = str(_demo_video()), args.output or DEMO_DIR
    elif not args.output:
        raise InputError("facetrack run: -o/--output OUTDIR is needed with a video")
    info = probe(args.video)  # bad input fails here, before anything is written
    outdir = Path(args.output)
    # The heavy imports (torch, OpenCV) come after the input is known to be good.
    from facetrack_otio.startup import import_pipeline

    import_pipeline()
    from tqdm.contrib.logging import logging_redirect_tqdm

    from facetrack_otio.cache import AnalysisCache
    from facetrack_otio.delivery import DeliveryOptions, deliver
    from facetrack_otio.delivery.video import VideoDeliverable
    from facetrack_otio.pipeline import SpeakerPipeline

    cache = None if args.no_cache else AnalysisCache()
    pipeline = SpeakerPipeline(settings, names=names, cache=cache)

    def analyse() -> VideoDeliverable:
        with logging_redirect_tqdm():  # warnings print above the bar, not through it
            analysis = pipeline(info, hook=Progress(args.quiet))
        log.info(
            "faces described with: %s; voices with: %s",
            analysis.faces.embedder,
            analysis.voice_encoder or "nothing (faces alone)",
        )
        return VideoDeliverable(analysis)

    # The folder is locked and staged before the analysis: a second run into it is refused
    # at once, and an interrupt at any point leaves nothing behind.
    options = DeliveryOptions(
        render=not args.no_render,
        progress=not args.quiet,
        earlier=earlier_outputs(Path(info.path).stem),
    )
    delivery = deliver(analyse, outdir, options)
    analysis, outputs, failures = delivery.result.analysis, delivery.files, delivery.failures
    stem = delivery.result.stem
    for failure in failures:
        log.error("clip failed: %s", failure)
    summary = analysis.serialize()
    summary["outputs"] = [str(p) for p in outputs]
    summary["encoder"] = delivery.encoder
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        people = (
            ", ".join(f"{p.name} ({p.speaking_time:.1f}s speaking)" for p in analysis.people)
            or "nobody"
        )
        print(f"{info.name}: {len(analysis.people)} people: {people}")
        voices = analysis.voice_encoder or "no voice encoder"
        models = f"{analysis.faces.embedder} (faces) and {voices} (voices)"
        if not info.has_video:
            models = f"{voices} (voices; sound only)"
        print(f"{len(analysis.turns)} speaker turns; identities from {models}")
        premiere = f", {stem}.xml in Premiere" if (outdir / f"{stem}.xml") in outputs else ""
        print(
            f"wrote {len(outputs)} files to {outdir}/ (open {stem}.fcpxml in Resolve or "
            f"Final Cut{premiere}, {stem}.otio in either)"
        )
        print(f"review: {outdir / 'report.html'} (open it in a browser)")
        if demo:
            print(
                f"that was the bundled sample; try your own: facetrack run VIDEO -o OUTDIR "
                f"(editors: File > Import > {outdir / (stem + '.fcpxml')} in Resolve or "
                f"Final Cut, {outdir / (stem + '.xml')} in Premiere)"
            )
    return EXIT_INTERNAL if failures else 0


def _demo_video() -> Path:
    """The bundled sample, found beside the package in a checkout."""
    path = Path(__file__).resolve().parents[2] / "samples" / "two_shot.mp4"
    if not path.is_file():
        raise InputError(
            f"{path}: the bundled sample is not here (it ships with the source checkout); "
            "give a video: facetrack run VIDEO -o OUTDIR"
        )
    return path
