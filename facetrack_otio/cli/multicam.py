"""``facetrack multicam``: several cameras and microphones of one shoot, synced by their
sound, a program cut to whoever speaks, and a multicam timeline the editor can re-switch."""

from __future__ import annotations

import argparse
import json
import logging
import threading
from pathlib import Path
from typing import Any

from facetrack_otio.cli.common import Progress, add_command, add_setting_flags, settings_from_args
from facetrack_otio.errors import InputError

log = logging.getLogger("facetrack")


def add_parser(sub: Any) -> None:
    mc = add_command(
        sub,
        "multicam",
        help="sync cameras and microphones, cut a program to whoever speaks",
        description="Video files are angles (cameras), audio-only files microphones. Every "
        "file is placed on one clock by its sound; people are found in every angle and "
        "joined across them; who speaks comes from the microphones (crosstalk rejected, "
        "each tied to the face that speaks with it) or, without any, from the faces; a "
        "program is cut to the angle that best shows the speaker. Writes into OUTDIR: "
        "NAME.otio (program, every angle and microphone synced), NAME.fcpxml (a multicam "
        "clip for Final Cut Pro and Resolve), NAME.xml (Premiere: program, disabled angle "
        "tracks, a multiclip), NAME.edl (the program), NAME.rttm, NAME.program.mp4 and "
        "report.html.",
    )
    mc.add_argument("files", nargs="+", metavar="FILE", help="cameras (video) and microphones")
    mc.set_defaults(more_files="files")  # files may also follow the options
    mc.add_argument("-o", "--output", metavar="OUTDIR", required=True, help="output folder")
    mc.add_argument(
        "--mic",
        action="append",
        default=[],
        metavar="NAME=FILE",
        help="a microphone with a name of its own (repeat for each)",
    )
    mc.add_argument(
        "--offset",
        action="append",
        default=[],
        metavar="FILE=SECONDS",
        help="place FILE by hand: it starts SECONDS after the first file given (negative: "
        "before); for a file with no audio, or none in common with the others",
    )
    mc.add_argument(
        "--name",
        metavar="NAME",
        help="the output files' name (default: the first file's folder)",
    )
    mc.add_argument("--no-render", action="store_true", help="skip NAME.program.mp4")
    mc.add_argument("--json", action="store_true", help="print a JSON summary on stdout")
    mc.add_argument(
        "--no-cache",
        action="store_true",
        help="analyse the angles' faces again even when the analysis cache holds them",
    )
    add_setting_flags(mc, "multicam")


def _mics(items: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in items:
        name, sep, path = str(item).partition("=")
        if not sep or not name.strip() or not path:
            raise InputError(f"--mic {item}: expected NAME=FILE")
        if name.strip() in out:
            raise InputError(f"--mic {item}: the name {name.strip()!r} is given twice")
        out[name.strip()] = path
    return out


def _shoot_name(args: argparse.Namespace, first: str) -> str:
    if args.name:
        name = args.name.strip().replace("/", "_").replace("\\", "_")
        if name in ("", ".", ".."):
            raise InputError(f"--name {args.name!r}: not a usable file name")
        return name
    folder = Path(first).resolve().parent.name
    return folder or Path(first).stem


def main(args: argparse.Namespace) -> int:
    from tqdm.contrib.logging import logging_redirect_tqdm

    from facetrack_otio.delivery import DeliveryOptions, deliver
    from facetrack_otio.multicam import analyse_shoot
    from facetrack_otio.startup import import_pipeline
    from facetrack_otio.timeline.names import parse_names

    names = parse_names(args.names)
    settings = settings_from_args(args)
    mics = _mics(args.mic)
    stem = _shoot_name(args, args.files[0])
    outdir = Path(args.output)

    def analyse() -> Any:
        from facetrack_otio.cache import AnalysisCache

        cache = None if args.no_cache else AnalysisCache()
        with logging_redirect_tqdm():
            analysis = analyse_shoot(args.files, mics, args.offset, settings, names, cache,
                                     stem, Progress(args.quiet), synced=importer.join)  # fmt: skip
        for f in analysis.files:
            log.debug("%s: %+.3f s (%s)", f.label, f.offset, f.placement)
        from facetrack_otio.multicam.deliverable import ShootDeliverable

        return ShootDeliverable(analysis)

    # The heavy imports (torch, OpenCV) run while ffmpeg decodes the sound and the files are
    # synced: on 2 cores both would otherwise wait for each other.
    importer = threading.Thread(target=import_pipeline, name="facetrack-import")
    importer.start()
    try:
        options = DeliveryOptions(render=not args.no_render, progress=not args.quiet)
        delivery = deliver(analyse, outdir, options)
    finally:
        importer.join()
    analysis = delivery.result.analysis
    summary = analysis.serialize()
    summary["outputs"] = [str(p) for p in delivery.files]
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        _tell(analysis, outdir, stem, len(delivery.files))
    return 0


def _tell(analysis: Any, outdir: Path, stem: str, n: int) -> None:
    angles = {f.label: f for f in analysis.angles}
    for f in analysis.files:
        how = f.placement.method if f.placement else "?"
        print(f"{f.label}: {f.kind} at {f.offset:+.3f} s ({how})")
    worn = {pid: label for label, pid in analysis.wearers.items()}
    people = ", ".join(
        f"{p.name}" + (f" ({worn[p.id]})" if p.id in worn else "") for p in analysis.people
    )
    print(f"{len(analysis.people)} people: {people or 'nobody'}")
    print(f"{len(analysis.turns)} turns, {len(analysis.program)} shots over {len(angles)} angles")
    print(
        f"wrote {n} files to {outdir}/ (open {stem}.fcpxml in Resolve or Final Cut, "
        f"{stem}.xml in Premiere, {stem}.otio in either)"
    )
    print(f"review: {outdir / 'report.html'} (open it in a browser)")
