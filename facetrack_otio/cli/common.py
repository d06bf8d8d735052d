"""What every command of the ``facetrack`` command line shares: the parser class, option
groups, settings from the ``--config`` file and flags, progress bars, staged exports."""

from __future__ import annotations

import argparse
import logging
from typing import Any

from facetrack_otio.errors import InputError
from facetrack_otio.fsutil import readable_file

log = logging.getLogger("facetrack")

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


# The --help group of each settings table's flags (analysis for the others).
_GROUPS = {"render": "rendering", "multicam": "editing rules (also [multicam] in --config)"}


def add_setting_flags(p: argparse.ArgumentParser, command: str) -> None:
    """The flags of every setting declared with one for ``command``
    (:func:`facetrack_otio.setting.setting`): type, choices and help, default included, all
    from the declaration, grouped by the table they set; and ``--names`` where people are
    found."""
    from facetrack_otio.config import Settings
    from facetrack_otio.setting import ANALYSED, OneOf, default_words, value_type

    groups: dict[str, Any] = {}

    def group(title: str) -> Any:
        if title not in groups:
            groups[title] = p.add_argument_group(title)
        return groups[title]

    if command in ANALYSED:
        group("analysis").add_argument(
            "--names", nargs="+", default=[], metavar="N=NAME", help="e.g. 1=Alice 2=Bob"
        )
    for table, f, owner, spec in _flagged(Settings(), command):
        g = group(spec.group or _GROUPS.get(table, "analysis"))
        kind = value_type(type(owner), f.name)
        if kind is bool:
            g.add_argument(spec.flag, action="store_true", default=None, help=spec.help)
            continue
        kw: dict[str, Any] = {"type": kind, "default": None}
        kw["help"] = f"{spec.help} (default: {default_words(f)})"
        if isinstance(spec.rule, OneOf):
            kw["choices"] = spec.rule.choices
        if spec.metavar:
            kw["metavar"] = spec.metavar
        g.add_argument(spec.flag, **kw)


def _flagged(settings: Any, command: str) -> list[tuple[str, Any, Any, Any]]:
    """(table, field, owner, declaration) of each setting with a flag in ``command``."""
    from facetrack_otio.setting import declared, walk

    out = []
    for table, f, owner in walk(settings):
        spec = declared(f)
        if spec is not None and spec.flag and command in spec.commands:
            out.append((table, f, owner, spec))
    return out


def _dest(flag: str) -> str:
    return flag.lstrip("-").replace("-", "_")


def file_settings(args: argparse.Namespace) -> Any:
    """Defaults with the --config file applied (the defaults alone without one)."""
    from facetrack_otio.config import Settings
    from facetrack_otio.settings_toml import apply_settings, read_settings_file

    path = getattr(args, "config", None)
    if not path:
        return Settings()
    return apply_settings(Settings(), read_settings_file(path), where=str(path))


def settings_from_args(args: argparse.Namespace) -> Any:
    """Every setting: the defaults, then the --config file, then the flags given."""
    from facetrack_otio.config import updated

    base = file_settings(args)
    values: dict[str, Any] = {}
    for table, f, _, spec in _flagged(base, args.command):
        value = getattr(args, _dest(spec.flag), None)
        if value is not None:
            part = values
            for name in filter(None, table.split(".")):
                part = part.setdefault(name, {})
            part[f.name] = value
    # Clips carry the audio stream the analysis listens to.
    stream = values.get("audio_stream", base.audio_stream)
    values.setdefault("render", {})["audio_stream"] = stream
    try:
        settings = updated(base, values)
    except ValueError as exc:
        raise flag_error(exc, args.command) from None
    weights = values.get("faces", {}).get("embedder_weights")
    if weights:
        readable_file(weights, "weights file")
    return settings


def flag_error(exc: ValueError, command: str) -> InputError:
    """A setting's refusal of a value given by a flag, naming the flag: ``--max-fps must be
    above 0, got -1.0`` (the settings say ``[faces] max_fps``)."""
    from facetrack_otio.config import Settings
    from facetrack_otio.setting import SettingError

    if isinstance(exc, SettingError):
        for table, f, _, spec in _flagged(Settings(), command):
            if (table, f.name) == (exc.table, exc.name) and exc.message.startswith(f.name):
                return InputError(spec.flag + exc.message.removeprefix(f.name))
    return InputError(str(exc))


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
