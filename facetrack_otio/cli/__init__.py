"""The ``facetrack`` command line: one module per command, each with ``add_parser(sub)`` and
``main(args) -> exit code``; what they share lives in ``common``.

Exit codes: 0 success, 1 internal error, 2 bad input (file, argument or timeline),
130 interrupted. Errors are one line on stderr; ``-v`` adds the traceback for internal errors.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import signal
import sys
import traceback
from collections.abc import Callable, Sequence
from typing import Any

from facetrack_otio import __version__
from facetrack_otio.cli import (
    batch,
    config,
    eval,
    export,
    models,
    multicam,
    name,
    render,
    report,
    run,
)
from facetrack_otio.cli.common import EPILOG, Parser, add_global_options
from facetrack_otio.errors import EXIT_BAD_INPUT, EXIT_INTERNAL, EXIT_INTERRUPTED, FacetrackError
from facetrack_otio.text import one_line

# In the order `facetrack --help` lists them.
_MODULES = (run, multicam, batch, export, name, render, report, config, eval, models)

COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    m.__name__.rsplit(".", 1)[1]: m.main for m in _MODULES
}


def build_parser() -> argparse.ArgumentParser:
    """The whole parser: global options, then one sub-parser per command."""
    parser = Parser(
        prog="facetrack",
        description="Who speaks when, from a video: OpenTimelineIO timelines, editor exports "
        "(FCPXML, FCP7 XML, EDL), RTTM and per-speaker clips.",
        epilog=EPILOG,
    )
    parser.add_argument("--version", action="version", version=f"facetrack {__version__}")
    add_global_options(parser, default=None)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    for module in _MODULES:
        module.add_parser(sub)
    return parser


def parse(parser: argparse.ArgumentParser, words: Sequence[str]) -> argparse.Namespace:
    """``parser.parse_args(words)``, where a command's list of files may also go on after
    its options (``multicam a.mp4 -o out b.mp4``): argparse alone takes only the first run of
    them. A command names that list with ``set_defaults(more_files="files")``."""
    args, rest = parser.parse_known_args(words)
    field = getattr(args, "more_files", None)
    if rest and field and not any(w.startswith("-") and w != "-" for w in rest):
        getattr(args, field).extend(rest)
    elif rest:
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    return args


def _terminate(signum: int, frame: Any) -> None:
    # SIGTERM unwinds like Ctrl-C, so staging folders, temporary files and ffmpeg children
    # are cleaned up on the way out.
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``facetrack`` console script."""
    with contextlib.suppress(ValueError):  # only the main thread may set handlers
        signal.signal(signal.SIGTERM, _terminate)
    # Paths printed for scripts come out as the bytes they are, UTF-8 or not.
    with contextlib.suppress(AttributeError, ValueError):
        sys.stdout.reconfigure(errors="surrogateescape")  # type: ignore[union-attr]
    parser = build_parser()
    words = list(argv if argv is not None else sys.argv[1:])
    verbose = "-v" in words or "--verbose" in words
    try:
        args = parse(parser, words)
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
        print(f"facetrack: error: {one_line(str(exc))}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("facetrack: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as exc:  # the last line of defence: one line, no traceback
        if verbose:
            traceback.print_exc()
        message = one_line(f"{type(exc).__name__}: {exc}")
        print(f"facetrack: internal error: {message}", file=sys.stderr)
        return EXIT_INTERNAL


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
