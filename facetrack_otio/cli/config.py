"""``facetrack config --show``: the effective settings as TOML, defaults marked."""

from __future__ import annotations

import argparse
from typing import Any

from facetrack_otio import __version__
from facetrack_otio.cli.common import add_command, file_settings


def add_parser(sub: Any) -> None:
    cfg = add_command(
        sub,
        "config",
        help="print the effective settings as TOML",
        description="Print every setting as TOML: the defaults, with the values of --config "
        "FILE applied (marked with their default). Save the output, edit it, and pass it "
        "with --config.",
    )
    cfg.add_argument(
        "--show", action="store_true", help="print the effective settings (the default action)"
    )


def main(args: argparse.Namespace) -> int:
    from facetrack_otio.config import Settings
    from facetrack_otio.settings_toml import settings_toml

    settings = file_settings(args)
    source = f"defaults + {args.config}" if getattr(args, "config", None) else "defaults"
    print(f"# facetrack {__version__} settings ({source}).")
    print("# Values that differ from the default say so; unset values are comments.")
    print()
    print(settings_toml(settings.to_dict(), Settings().to_dict()), end="")
    return 0
