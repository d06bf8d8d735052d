"""``facetrack batch``: many inputs, one output sub-folder each, plus a summary."""

from __future__ import annotations

import argparse
import dataclasses
import logging
from typing import Any

from facetrack_otio.cli.common import add_command, add_setting_flags, settings_from_args
from facetrack_otio.errors import InputError


def add_parser(sub: Any) -> None:
    bat = add_command(
        sub,
        "batch",
        help="analyse many videos (files, folders, globs) into one output folder",
        description="Analyse every input into its own sub-folder of OUTDIR (named after the "
        "inputs' folder tree below their common folder), as `run` does, and summarise them "
        "in OUTDIR/batch.csv and batch.json. Folders are searched for mp4, mov, m4v, mkv, avi "
        "and webm videos and wav, m4a, mp3, flac, aac, ogg and opus recordings (diarized by "
        "voice alone). A file that fails is reported and the others go on. Running the same "
        "batch again skips inputs whose outputs are complete. Exit codes: 0 all ok, 1 some "
        "failed, 2 bad arguments or no inputs, 130 interrupted.",
    )
    bat.add_argument("inputs", nargs="+", metavar="INPUT", help="video files, folders or globs")
    bat.set_defaults(more_files="inputs")  # inputs may also follow the options
    bat.add_argument("-o", "--output", required=True, metavar="OUTDIR", help="output folder")
    bat.add_argument("--no-render", action="store_true", help="skip the per-turn clips")
    bat.add_argument(
        "--no-cache", action="store_true", help="analyse again even when the cache holds a video"
    )
    # Not the rendering's --jobs (encodes): here it counts workers, each encoding one at a time.
    add_setting_flags(bat, "batch")
    eng = bat.add_argument_group("workers")
    eng.add_argument(
        "--engine",
        choices=("local", "ray"),
        default="local",
        help="local: worker processes on this machine (default); ray: actors on a Ray cluster",
    )
    eng.add_argument(
        "--jobs",
        "-j",
        type=int,
        default=None,
        dest="workers",
        metavar="N",
        help="workers, each loading the models once (local default: one per core, as memory "
        "allows at ~1.5 GB each; ray default: one per GPU of the cluster, else per CPU)",
    )
    eng.add_argument(
        "--address",
        default=None,
        metavar="ADDR",
        help="Ray cluster to join (e.g. auto, or ray://head:10001); default: a local Ray",
    )


def batch_config(args: argparse.Namespace) -> Any:
    """The ``BatchConfig`` that ``facetrack batch`` arguments describe."""
    from facetrack_otio.batch import BatchConfig
    from facetrack_otio.timeline.names import parse_names

    names = parse_names(args.names)
    settings = settings_from_args(args)
    if args.address and args.engine != "ray":
        raise InputError("--address goes with --engine ray")
    # Parallelism comes from the workers: each renders one clip at a time, so a batch never
    # runs workers x cores encoders at once (x264 threads within each).
    settings = dataclasses.replace(settings, render=dataclasses.replace(settings.render, jobs=1))
    return BatchConfig(
        outdir=args.output,
        settings=settings,
        names=dict(names),
        render=not args.no_render,
        cache=not args.no_cache,
    )


def main(args: argparse.Namespace) -> int:
    from facetrack_otio.batch import describe_failure, run_batch

    outcome = run_batch(
        args.inputs,
        batch_config(args),
        engine=args.engine,
        jobs=args.workers,
        address=args.address,
        progress=not args.quiet,
        log_level=logging.DEBUG if args.verbose else logging.ERROR,
    )
    n = outcome.run["counts"]
    print(
        f"{len(outcome.results)} inputs: {n['ok']} ok, {n['failed']} failed, "
        f"{n['skipped']} skipped (already done) in {outcome.run['wall_s']:.1f}s with "
        f"{outcome.run['workers']} {args.engine} worker(s)"
    )
    for r in outcome.results:
        if r.status == "failed":
            print(f"failed: {describe_failure(r)}")
    print(f"summary: {outcome.files[0]} and {outcome.files[1].name}")
    return outcome.exit_code
