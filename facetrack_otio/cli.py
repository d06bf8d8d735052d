"""The ``facetrack`` command line.

Exit codes: 0 success, 1 internal error, 2 bad input (file, argument or timeline),
130 interrupted. Errors are one line on stderr; ``-v`` adds the traceback for internal errors.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import signal
import sys
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from facetrack_otio import __version__
from facetrack_otio.errors import (
    EXIT_BAD_INPUT,
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    FacetrackError,
    InputError,
)
from facetrack_otio.fsutil import staging_folder

log = logging.getLogger("facetrack")

# The same names as facetrack_otio.faces.tracker.TRACKERS (kept here so --help stays fast).
TRACKER_CHOICES = ("template", "mosse", "kcf", "csrt", "none")

EPILOG = "exit codes: 0 ok, 1 internal error, 2 bad input, 130 interrupted"


class _Parser(argparse.ArgumentParser):
    """argparse with usage errors as one line and exit code 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        command = self.prog.removeprefix("facetrack").strip()
        hint = ""
        if "unrecognized arguments: -" in message:
            hint = " (a file name starting with a dash: write ./-name or put it after --)"
        raise InputError(f"{command + ': ' if command else ''}{message}{hint}")


def _add_analysis_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("analysis")
    g.add_argument(
        "--device", default=None, help="auto (CUDA, then MPS, then CPU; the default), cpu, cuda..."
    )
    g.add_argument(
        "--embedder-weights",
        metavar="PATH",
        help="InceptionResnetV1 VGGFace2 weights (.pt); default: $FACETRACK_EMBEDDER_WEIGHTS or "
        "the torch hub cache, else the built-in LBP face descriptor",
    )
    g.add_argument("--names", nargs="+", default=[], metavar="N=NAME", help="e.g. 1=Alice 2=Bob")
    g.add_argument(
        "--audio-stream", type=int, default=None, metavar="N", help="audio stream index (0)"
    )
    g.add_argument(
        "--tracker",
        choices=TRACKER_CHOICES,
        default=None,
        help="tracker between detections (default: template, sub-pixel template matching; "
        "mosse, kcf and csrt are OpenCV's)",
    )
    g.add_argument(
        "--max-fps", type=float, default=None, help="analysis frame rate cap (default 12.5)"
    )
    g.add_argument(
        "--max-side", type=int, default=None, help="analysis size: longest side (default 640)"
    )


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="facetrack",
        description="Who speaks when, from a video: OpenTimelineIO timelines, editor exports "
        "(FCPXML, FCP7 XML, EDL), RTTM and per-speaker clips.",
        epilog=EPILOG,
    )
    parser.add_argument("--version", action="version", version=f"facetrack {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="more detail on stderr")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress bars")
    _add_config_option(parser, default=None)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    run = sub.add_parser(
        "run",
        help="analyse a video and write the timeline, exports and clips",
        description="Analyse VIDEO and write into OUTDIR: NAME.otio, NAME.fcpxml, NAME.xml "
        "(FCP7), NAME.edl plus one EDL per speaker, NAME.rttm, and clips/ with one mp4 per "
        "speaker turn.",
        epilog=EPILOG,
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
    _add_analysis_options(run)
    _add_render_options(run)
    _add_config_option(run)

    bat = sub.add_parser(
        "batch",
        help="analyse many videos (files, folders, globs) into one output folder",
        description="Analyse every input into its own sub-folder of OUTDIR (named after the "
        "inputs' folder tree below their common folder), as `run` does, and summarise them "
        "in OUTDIR/batch.csv and batch.json. Folders are searched for mp4, mov, m4v, mkv, avi "
        "and webm files. A file that fails is reported and the others go on. Running the same "
        "batch again skips inputs whose outputs are complete. Exit codes: 0 all ok, 1 some "
        "failed, 2 bad arguments or no inputs, 130 interrupted.",
        epilog=EPILOG,
        # --jobs here counts workers; it replaces the rendering group's --jobs (encodes).
        conflict_handler="resolve",
    )
    bat.add_argument("inputs", nargs="+", metavar="INPUT", help="video files, folders or globs")
    bat.add_argument("-o", "--output", required=True, metavar="OUTDIR", help="output folder")
    bat.add_argument("--no-render", action="store_true", help="skip the per-turn clips")
    bat.add_argument(
        "--no-cache", action="store_true", help="analyse again even when the cache holds a video"
    )
    _add_analysis_options(bat)
    _add_render_options(bat)
    _add_config_option(bat)
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

    exp = sub.add_parser(
        "export",
        help="export a facetrack .otio timeline to editor formats",
        description="Write the timeline as otio, fcpxml (Final Cut Pro, Resolve), fcp7 "
        "(Premiere), edl (the program and one per speaker) and/or rttm, named after the "
        "timeline file, e.g. `facetrack export out/talk.otio -f fcpxml -o for-resolve/`.",
        epilog=EPILOG,
    )
    exp.add_argument("timeline", help="a .otio written by facetrack")
    exp.add_argument(
        "--format",
        "-f",
        action="append",
        metavar="FORMAT",
        help="otio, fcpxml, fcp7, edl, rttm or all; repeat or separate by commas (default: "
        "every format that holds the timeline's rate: no edl or fcp7 at 15 fps, which has no "
        "SMPTE timecode)",
    )
    exp.add_argument("-o", "--output", metavar="OUTDIR", help="default: the timeline's folder")

    name = sub.add_parser(
        "name",
        help="rename people (tracks, clips, markers, metadata) and export again",
        description="Rename people in a facetrack timeline, e.g. `facetrack name talk.otio "
        "1=Alice 2=Bob` (ids as in 'Speaker 1'; off-screen=NAME for the off-screen voice), "
        "then write the .otio and every export again beside it.",
        epilog=EPILOG,
    )
    name.add_argument("timeline", help="a .otio written by facetrack")
    name.add_argument("names", nargs="+", metavar="N=NAME")

    ren = sub.add_parser(
        "render",
        help="render clips of a facetrack timeline: per turn or per speaker, reframed",
        description="Render one clip per speaker turn, or one file per speaker (--per "
        "speaker), optionally cropped to follow the speaker's face (--aspect 9:16...), split "
        "into segments, and a review video (--annotate); H.264/AAC, +faststart, with ffmpeg, "
        "from the source video the timeline points at.",
        epilog=EPILOG,
    )
    ren.add_argument("timeline", help="a .otio written by facetrack")
    ren.add_argument("-o", "--output", required=True, metavar="OUTDIR", help="output folder")
    _add_render_options(ren)
    _add_config_option(ren)

    rep = sub.add_parser(
        "report",
        help="rebuild report.html and report.png of an output folder (no models run)",
        description="Write report.html (self-contained: thumbnails, who-speaks-when chart, "
        "turns with timecodes, the run's settings, versions and timings) and report.png (the "
        "chart alone) from the .otio timeline an output folder holds.",
        epilog=EPILOG,
    )
    rep.add_argument("folder", metavar="OUTDIR", help="a `facetrack run` output folder (or .otio)")
    rep.add_argument("--no-png", action="store_true", help="write report.html only")

    cfg = sub.add_parser(
        "config",
        help="print the effective settings as TOML",
        description="Print every setting as TOML: the defaults, with the values of --config "
        "FILE applied (marked with their default). Save the output, edit it, and pass it "
        "with --config.",
        epilog=EPILOG,
    )
    cfg.add_argument(
        "--show", action="store_true", help="print the effective settings (the default action)"
    )
    _add_config_option(cfg)

    ev = sub.add_parser(
        "eval",
        help="score a hypothesis RTTM against a reference RTTM",
        description="Diarization error rate (collar, overlap scored, optimal speaker mapping) "
        "and speech/non-speech F1.",
        epilog=EPILOG,
    )
    ev.add_argument("hypothesis", help="RTTM to score")
    ev.add_argument("reference", help="ground-truth RTTM")
    ev.add_argument("--collar", type=float, default=0.25, help="seconds (default 0.25)")
    ev.add_argument("--json", action="store_true", help="print JSON")
    return parser


def _add_render_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("rendering")
    g.add_argument("--crf", type=int, default=None, help="x264 CRF (default 20)")
    g.add_argument("--preset", default=None, help="x264 preset (default veryfast)")
    g.add_argument("--pad", type=float, default=None, help="seconds of handles around turns")
    g.add_argument("--jobs", type=int, default=None, help="parallel encodes (default: cores)")
    g.add_argument(
        "--per",
        choices=("turn", "speaker"),
        default=None,
        help="one clip per turn (default), or one file per speaker with their turns joined",
    )
    g.add_argument(
        "--aspect",
        choices=("source", "16:9", "9:16", "1:1", "4:5"),
        default=None,
        help="crop to this shape, following the speaker's face (default: source, no crop)",
    )
    g.add_argument(
        "--segment",
        type=float,
        default=None,
        metavar="SECONDS",
        help="split longer turns (or speaker files) into parts of at most SECONDS",
    )
    g.add_argument(
        "--annotate",
        action="store_true",
        default=None,
        help="also write NAME.review.mp4: the whole video with face boxes and who speaks",
    )
    g.add_argument(
        "--encoder",
        choices=("auto", "libx264", "h264_nvenc"),
        default=None,
        help="video encoder (default auto: NVENC when an NVIDIA GPU works with ffmpeg)",
    )


# --------------------------------------------------------------------------- helpers


def _add_config_option(p: argparse.ArgumentParser, default: Any = argparse.SUPPRESS) -> None:
    # Accepted before and after the command; SUPPRESS keeps a subcommand from resetting the
    # value given before it.
    p.add_argument(
        "--config",
        metavar="FILE",
        default=default,
        help="settings file (TOML: [faces], [vad], [speakers], [voice], [render]); "
        "flags override it; `facetrack config --show` prints every setting",
    )


def _file_settings(args: argparse.Namespace) -> Any:
    """Defaults with the --config file applied (the defaults alone without one)."""
    from facetrack_otio.config import Settings
    from facetrack_otio.report.settings_toml import apply_settings, read_settings_file

    path = getattr(args, "config", None)
    if not path:
        return Settings()
    return apply_settings(Settings(), read_settings_file(path), where=str(path))


def _render_settings(args: argparse.Namespace) -> Any:
    import dataclasses

    keys = ("crf", "preset", "pad", "jobs", "per", "aspect", "segment", "annotate", "encoder")
    values = {k: getattr(args, k, None) for k in keys}
    try:
        return dataclasses.replace(
            _file_settings(args).render, **{k: v for k, v in values.items() if v is not None}
        )
    except ValueError as exc:
        raise InputError(str(exc)) from None


class _Progress:
    """tqdm bars driven by the pipeline's hook (quiet: nothing)."""

    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet
        self.bar: Any = None

    def __call__(self, step: str, artifact: Any = None, **kw: Any) -> None:
        if self.quiet:
            return
        if step == "faces" and "total" in kw:
            from tqdm import tqdm

            if self.bar is None:
                self.bar = tqdm(total=kw["total"], desc="faces", unit="frame", leave=False)
            self.bar.total = max(self.bar.total, kw["total"])
            self.bar.update(kw["completed"] - self.bar.n)
            if artifact is not None:
                self.bar.close()
                self.bar = None
        elif artifact is not None:
            log.debug("%s done", step)


def _settings_from_args(args: argparse.Namespace) -> Any:
    from facetrack_otio.config import updated as _updated

    # The --config file first, then the flags given (a flag left out is None).
    base = _file_settings(args)
    faces: dict[str, Any] = {}
    for key in ("device", "embedder_weights", "tracker", "max_fps", "max_side"):
        if getattr(args, key) is not None:
            faces[key] = getattr(args, key)
    stream = args.audio_stream if args.audio_stream is not None else base.audio_stream
    # Clips carry the audio stream the analysis listens to.
    try:
        return _updated(
            base,
            {
                "faces": faces,
                "audio_stream": stream,
                "render": {**_settings_dict(_render_settings(args)), "audio_stream": stream},
            },
        )
    except ValueError as exc:
        raise InputError(str(exc)) from None


def _settings_dict(obj: Any) -> dict[str, Any]:
    import dataclasses

    return {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj)}


# --------------------------------------------------------------------------- commands


def cmd_run(args: argparse.Namespace) -> int:
    from facetrack_otio.media.probe import probe
    from facetrack_otio.timeline.names import parse_names

    names = parse_names(args.names)
    settings = _settings_from_args(args)
    if settings.audio_stream < 0:
        raise InputError("--audio-stream must be 0 or more")
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
    from facetrack_otio.exports import export_timeline, left_out_note
    from facetrack_otio.pipeline import SpeakerPipeline
    from facetrack_otio.render.clips import render_turns
    from facetrack_otio.report import write_report
    from facetrack_otio.report.thumbs import write_thumbnails
    from facetrack_otio.report.versions import versions

    cache = None if args.no_cache else AnalysisCache()
    pipeline = SpeakerPipeline(settings, names=names, cache=cache)
    stem = info.name
    outputs: list[Path] = []
    # The folder is locked and staged before the analysis: a second run into it is refused
    # at once, and an interrupt at any point leaves nothing behind.
    with staging_folder(outdir) as stage:
        with logging_redirect_tqdm():  # warnings print above the bar, not through it
            analysis = pipeline(info, hook=_Progress(args.quiet))
        for warning in analysis.warnings:
            log.warning("warning: %s", warning)
        log.info("faces described with: %s", analysis.faces.embedder)
        # Thumbnails first: the people in the timeline's metadata point at them.
        thumbs = write_thumbnails(info, analysis.faces, analysis.people, stage)
        timeline = analysis.timeline()
        timeline.metadata["facetrack"]["versions"] = versions()
        note = left_out_note(timeline)
        if note:  # a rate without timecode (15 fps): the other formats are still written
            log.warning("warning: %s", note)
            timeline.metadata["facetrack"]["warnings"].append(note)
        written = export_timeline(timeline, stage, stem, skip_unsupported=True)
        written += [stage / rel for rel in thumbs.values()]
        written += write_report(timeline, stage)
        failures: list[str] = []
        encoder = None
        if not args.no_render and analysis.turns:
            report = render_turns(
                info,
                analysis.turns,
                analysis.people,
                stage / "clips",
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
        print(f"{len(analysis.turns)} speaker turns; identities from {analysis.faces.embedder}")
        premiere = "" if note else f", {stem}.xml in Premiere"
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


def _batch_config(args: argparse.Namespace) -> Any:
    """The ``BatchConfig`` that ``facetrack batch`` arguments describe."""
    import dataclasses

    from facetrack_otio.batch import BatchConfig
    from facetrack_otio.timeline.names import parse_names

    names = parse_names(args.names)
    settings = _settings_from_args(args)
    if settings.audio_stream < 0:
        raise InputError("--audio-stream must be 0 or more")
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


def cmd_batch(args: argparse.Namespace) -> int:
    """``facetrack batch``: many inputs, one output sub-folder each, plus a summary."""
    from facetrack_otio.batch import describe_failure, run_batch

    outcome = run_batch(
        args.inputs,
        _batch_config(args),
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


DEMO_DIR = "facetrack-demo"


def _demo_video() -> Path:
    """The bundled sample, found beside the package in a checkout."""
    path = Path(__file__).resolve().parent.parent / "samples" / "two_shot.mp4"
    if not path.is_file():
        raise InputError(
            f"{path}: the bundled sample is not here (it ships with the source checkout); "
            "give a video: facetrack run VIDEO -o OUTDIR"
        )
    return path


def cmd_report(args: argparse.Namespace) -> int:
    """``facetrack report``: rebuild report.html/png from an output folder's timeline."""
    from facetrack_otio.report import find_timeline, write_report
    from facetrack_otio.timeline.read import load_timeline

    path = find_timeline(args.folder)
    timeline = load_timeline(path)
    try:
        written = write_report(timeline, path.parent, png=not args.no_png)
    except OSError as exc:
        reason = exc.strerror or exc
        raise InputError(f"{path.parent}: cannot write the report ({reason})") from None
    for p in written:
        print(p)
    return 0


def cmd_config(args: argparse.Namespace) -> int:
    """``facetrack config --show``: the effective settings as TOML, defaults marked."""
    from facetrack_otio.config import Settings
    from facetrack_otio.report.settings_toml import settings_toml

    settings = _file_settings(args)
    source = f"defaults + {args.config}" if getattr(args, "config", None) else "defaults"
    print(f"# facetrack {__version__} settings ({source}).")
    print("# Values that differ from the default say so; unset values are comments.")
    print()
    print(settings_toml(settings.to_dict(), Settings().to_dict()), end="")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    """``facetrack export``: write a saved timeline in the chosen formats."""
    from facetrack_otio.exports import resolve_formats
    from facetrack_otio.timeline.read import load_timeline

    formats = resolve_formats(args.format or ["all"])  # a bad name fails before any reading
    path = Path(args.timeline)
    timeline = load_timeline(path)
    outdir = Path(args.output) if args.output else path.parent
    # Formats named outright must all be written; left to the default, those that cannot
    # hold the timeline's rate are left out with a warning, as `run` does.
    for p in _export_staged(timeline, outdir, path.stem, formats, named=bool(args.format)):
        print(p)
    return 0


def cmd_name(args: argparse.Namespace) -> int:
    """``facetrack name``: rename people, then write the timeline and its exports again."""
    from facetrack_otio.timeline.names import parse_names, rename_people
    from facetrack_otio.timeline.read import load_timeline

    names = parse_names(args.names)
    path = Path(args.timeline)
    timeline = rename_people(load_timeline(path), names)
    for p in _export_staged(timeline, path.parent, path.stem, ["all"], named=False):
        print(p)
    return 0


def _export_staged(
    timeline: Any, outdir: Path, stem: str, formats: Sequence[str], named: bool
) -> list[Path]:
    """Export through a staging folder: either every file lands in ``outdir``, or none does.

    ``named``: the user named the formats, so each must be written; otherwise those that
    cannot hold the timeline are left out, with a warning.
    """
    from facetrack_otio.exports import export_timeline, left_out_note

    note = None if named else left_out_note(timeline)
    if note:
        log.warning("warning: %s", note)
    with staging_folder(outdir) as stage:
        try:
            written = export_timeline(timeline, stage, stem, formats, skip_unsupported=not named)
        except OSError as exc:
            raise InputError(f"{outdir}: cannot write ({exc.strerror or exc})") from None
        return [outdir / p.relative_to(stage) for p in written]


def cmd_render(args: argparse.Namespace) -> int:
    """``facetrack render``: clips per turn or per speaker, from the timeline's source video."""
    from facetrack_otio.render.clips import render_turns
    from facetrack_otio.render.timeline import reframe_keyframes, render_settings_for
    from facetrack_otio.timeline.read import load_timeline, speaker_data

    settings = _render_settings(args)
    timeline = load_timeline(args.timeline)
    data = speaker_data(timeline)
    if not Path(data.info.path).is_file():
        raise InputError(f"{data.info.path}: source media of the timeline not found")
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


def cmd_eval(args: argparse.Namespace) -> int:
    from facetrack_otio.eval.der import diarization_error_rate
    from facetrack_otio.eval.speech import speech_scores
    from facetrack_otio.exports.rttm import read_rttm

    def segments(path: str) -> list[tuple[str, float, float]]:
        p = Path(path)
        if not p.is_file():
            raise InputError(f"{p}: no such file")
        try:
            return [s for segs in read_rttm(p).values() for s in segs]
        except (ValueError, UnicodeDecodeError) as exc:
            raise InputError(f"{p}: not an RTTM file ({exc})") from None

    hyp, ref = segments(args.hypothesis), segments(args.reference)
    der = diarization_error_rate(ref, hyp, collar=args.collar)
    sp = speech_scores([(s, e) for _, s, e in ref], [(s, e) for _, s, e in hyp])
    result = {
        "der": round(der.der, 4),
        "missed": round(der.missed, 3),
        "false_alarm": round(der.false_alarm, 3),
        "confusion": round(der.confusion, 3),
        "scored": round(der.total, 3),
        "mapping": der.mapping,
        "speech_f1": round(sp.f1, 4),
    }
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(
            f"DER {der.der:.3f} (missed {der.missed:.2f}s, false alarm {der.false_alarm:.2f}s, "
            f"confusion {der.confusion:.2f}s of {der.total:.2f}s); speech F1 {sp.f1:.3f}"
        )
    return 0


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "run": cmd_run,
    "batch": cmd_batch,
    "export": cmd_export,
    "name": cmd_name,
    "render": cmd_render,
    "report": cmd_report,
    "config": cmd_config,
    "eval": cmd_eval,
}


def _terminate(signum: int, frame: Any) -> None:
    # SIGTERM unwinds like Ctrl-C, so staging folders, temporary files and ffmpeg children
    # are cleaned up on the way out.
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``facetrack`` console script."""
    with contextlib.suppress(ValueError):  # only the main thread may set handlers
        signal.signal(signal.SIGTERM, _terminate)
    parser = build_parser()
    verbose = "-v" in (argv if argv is not None else sys.argv[1:])
    try:
        args = parser.parse_args(argv)
        logging.basicConfig(
            level=logging.DEBUG
            if args.verbose
            else logging.WARNING
            if args.quiet
            else logging.INFO,
            format="%(message)s",
            stream=sys.stderr,
        )
        # -v is for facetrack's own detail: Pillow would log every PNG chunk it writes.
        logging.getLogger("PIL").setLevel(logging.INFO)
        if args.command is None:
            parser.print_help(sys.stderr)
            return EXIT_BAD_INPUT
        return COMMANDS[args.command](args)
    except FacetrackError as exc:
        print(f"facetrack: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("facetrack: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as exc:  # the last line of defence: one line, no traceback
        if verbose:
            traceback.print_exc()
        print(f"facetrack: internal error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return EXIT_INTERNAL


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
