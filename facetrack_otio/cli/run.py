"""``facetrack run``: analyse one video and write the timeline, exports, report and clips."""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path
from typing import Any

from facetrack_otio.cli.common import (
    Progress,
    add_analysis_options,
    add_command,
    add_render_options,
    settings_from_args,
)
from facetrack_otio.errors import EXIT_INTERNAL, InputError
from facetrack_otio.fsutil import staging_folder
from facetrack_otio.outputs import CLIP_DIR, earlier_outputs

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
    add_analysis_options(run)
    add_render_options(run)


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
    from facetrack_otio.exports import export_stem, export_timeline, left_out_note
    from facetrack_otio.pipeline import SpeakerPipeline
    from facetrack_otio.render.clips import render_turns
    from facetrack_otio.report import write_report
    from facetrack_otio.report.thumbs import write_thumbnails
    from facetrack_otio.report.versions import versions

    cache = None if args.no_cache else AnalysisCache()
    pipeline = SpeakerPipeline(settings, names=names, cache=cache)
    stem = export_stem(info.name)
    outputs: list[Path] = []
    # The folder is locked and staged before the analysis: a second run into it is refused
    # at once, and an interrupt at any point leaves nothing behind.
    with staging_folder(outdir, earlier_outputs(Path(info.path).stem)) as stage:
        with logging_redirect_tqdm():  # warnings print above the bar, not through it
            analysis = pipeline(info, hook=Progress(args.quiet))
        for warning in analysis.warnings:
            log.warning("warning: %s", warning)
        log.info(
            "faces described with: %s; voices with: %s",
            analysis.faces.embedder,
            analysis.voice_encoder or "nothing (faces alone)",
        )
        # Thumbnails first: the people in the timeline's metadata point at them.
        thumbs = write_thumbnails(info, analysis.faces, analysis.people, stage)
        timeline = analysis.timeline()
        timeline.metadata["facetrack"]["versions"] = versions()
        note = left_out_note(timeline)
        if note:  # a rate without timecode (15 fps), or sound only: the others are written
            log.warning("warning: %s", note)
            timeline.metadata["facetrack"]["warnings"].append(note)
        # The report shows the stage timings (so does --json); the exported timeline leaves
        # them out so that its bytes depend on the input and settings alone, as in a batch.
        written = write_report(timeline, stage)
        timeline.metadata["facetrack"].pop("timings", None)
        written += export_timeline(timeline, stage, stem, skip_unsupported=True)
        written += [stage / rel for rel in thumbs.values()]
        failures: list[str] = []
        encoder = None
        if not info.has_video:
            log.info("sound only: no clips to render (the timeline cuts the sound)")
        elif not args.no_render and analysis.turns:
            report = render_turns(
                info,
                analysis.turns,
                analysis.people,
                stage / CLIP_DIR,
                settings.render,
                progress=not args.quiet,
                reframe=analysis.reframe(),
            )
            written += report.outputs
            encoder = report.encoder
            failures = [f"{t.start:.2f}-{t.end:.2f}s: {why}" for t, why in report.failures]
        # Clips come back absolute while a relative -o gives a relative stage: compare resolved.
        staged = stage.resolve()
        outputs = [outdir / Path(p).resolve().relative_to(staged) for p in written]
    for failure in failures:
        log.error("clip failed: %s", failure)
    summary = analysis.serialize()
    summary["outputs"] = [str(p) for p in outputs]
    summary["encoder"] = encoder
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
