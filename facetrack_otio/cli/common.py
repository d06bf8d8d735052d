"""What every command of the ``facetrack`` command line shares: the parser class, option
groups, settings from the ``--config`` file and flags, progress bars, staged exports."""

from __future__ import annotations

import argparse
import dataclasses
import logging
import re
from typing import Any

from facetrack_otio.errors import InputError
from facetrack_otio.fsutil import readable_file

log = logging.getLogger("facetrack")

# The same names as facetrack_otio.faces.tracker.TRACKERS (kept here so --help stays fast).
TRACKER_CHOICES = ("template", "mosse", "kcf", "csrt", "none")
EMBEDDER_CHOICES = ("auto", "dlib", "vggface2", "lbp")

EPILOG = (
    "global options (-q, -v, --config FILE) go before or after the command; "
    "exit codes: 0 ok, 1 internal error, 2 bad input, 130 interrupted"
)


class Parser(argparse.ArgumentParser):
    """argparse with usage errors as one line and exit code 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        command = self.prog.removeprefix("facetrack").strip()
        hint = ""
        if "unrecognized arguments: -" in message:
            hint = " (a file name starting with a dash: write ./-name or put it after --)"
        raise InputError(f"{command + ': ' if command else ''}{message}{hint}")


def add_command(sub: Any, name: str, **kwargs: Any) -> argparse.ArgumentParser:
    """A command's parser, which also takes the global options after the command name."""
    parser = sub.add_parser(name, epilog=EPILOG, **kwargs)
    add_global_options(parser, default=argparse.SUPPRESS)
    return parser


def add_global_options(p: argparse.ArgumentParser, default: Any) -> None:
    """-v, -q and --config. Before the command they default to off; after it, SUPPRESS keeps
    the command's parser from resetting a value given before the command."""
    g = p.add_argument_group("global options (before or after the command)")
    g.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        default=False if default is None else default,
        help="more detail on stderr",
    )
    g.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        default=False if default is None else default,
        help="no progress bars",
    )
    g.add_argument(
        "--config",
        metavar="FILE",
        default=default,
        help="settings file (TOML: [faces], [vad], [speakers], [voice], [render], [multicam]); "
        "flags override it; `facetrack config --show` prints every setting",
    )


def add_analysis_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("analysis")
    g.add_argument(
        "--device", default=None, help="auto (CUDA, then MPS, then CPU; the default), cpu, cuda..."
    )
    g.add_argument(
        "--embedder",
        choices=EMBEDDER_CHOICES,
        default=None,
        help="face descriptor (default auto: VGGFace2 when its weights are given, else dlib's "
        "face ResNet; lbp is a last resort that may split or merge people)",
    )
    g.add_argument(
        "--embedder-weights",
        metavar="PATH",
        help="InceptionResnetV1 VGGFace2 weights (.pt); default: $FACETRACK_EMBEDDER_WEIGHTS",
    )
    g.add_argument(
        "--speakers",
        type=int,
        default=None,
        metavar="N",
        help="how many people speak, when known (default: found from their voices)",
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
        "--max-fps",
        type=float,
        default=None,
        help="analysis frame rate cap, above 0 (default 12.5)",
    )
    g.add_argument(
        "--max-side",
        type=int,
        default=None,
        help="analysis size: longest side, 64 or more (default 640)",
    )


def add_render_options(p: argparse.ArgumentParser) -> None:
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
        help="split longer turns (or speaker files) into parts of at most SECONDS "
        "(0.5 or more; 0: no split)",
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


def file_settings(args: argparse.Namespace) -> Any:
    """Defaults with the --config file applied (the defaults alone without one)."""
    from facetrack_otio.config import Settings
    from facetrack_otio.report.settings_toml import apply_settings, read_settings_file

    path = getattr(args, "config", None)
    if not path:
        return Settings()
    return apply_settings(Settings(), read_settings_file(path), where=str(path))


def render_settings(args: argparse.Namespace) -> Any:
    """The render settings of the --config file, with the rendering flags given applied."""
    keys = ("crf", "preset", "pad", "jobs", "per", "aspect", "segment", "annotate", "encoder")
    values = {k: getattr(args, k, None) for k in keys}
    base = file_settings(args).render
    try:
        return dataclasses.replace(base, **{k: v for k, v in values.items() if v is not None})
    except ValueError as exc:
        raise flag_error(exc) from None


def settings_from_args(args: argparse.Namespace) -> Any:
    """Every setting: the defaults, then the --config file, then the flags given."""
    from facetrack_otio.config import updated

    base = file_settings(args)
    faces: dict[str, Any] = {}
    for key in ("device", "embedder", "embedder_weights", "tracker", "max_fps", "max_side"):
        if getattr(args, key) is not None:
            faces[key] = getattr(args, key)
    voice: dict[str, Any] = {}
    if getattr(args, "speakers", None) is not None:
        if args.speakers < 1:
            raise InputError("--speakers must be 1 or more")
        voice["speakers"] = args.speakers
    stream = args.audio_stream if args.audio_stream is not None else base.audio_stream
    # Clips carry the audio stream the analysis listens to.
    try:
        settings = updated(
            base,
            {
                "faces": faces,
                "voice": voice,
                "audio_stream": stream,
                "render": {**_fields(render_settings(args)), "audio_stream": stream},
            },
        )
    except ValueError as exc:
        raise flag_error(exc) from None
    if settings.faces.embedder_weights and "embedder_weights" in faces:
        readable_file(settings.faces.embedder_weights, "weights file")
    return settings


def flag_error(exc: ValueError) -> InputError:
    """A setting's refusal of a value given by a flag, naming the flag: ``--max-fps must be
    above 0, got -1.0`` (the settings say ``max_fps``)."""
    text = str(exc)
    setting = re.sub(r"^\[\w+\] ", "", text)  # the checks of a whole Settings name the table
    name, _, rest = setting.partition(" ")
    if name in _FLAGGED:
        text = f"--{name.replace('_', '-')} {rest}"
    return InputError(text)


# Settings that flags set, under the same name with dashes.
_FLAGGED = frozenset(
    {
        "max_fps",
        "max_side",
        "audio_stream",
        "crf",
        "preset",
        "pad",
        "jobs",
        "segment",
        "tracker",
        "speakers",
    }
)


def _fields(obj: Any) -> dict[str, Any]:
    return {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj)}


class Progress:
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
