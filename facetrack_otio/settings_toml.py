"""Settings as TOML, both ways: read a settings file, and show settings beside their defaults.

A settings file has one table per part of :class:`facetrack_otio.config.Settings`
(``[faces]``, ``[vad]``, ``[speakers]``, ``[voice]``, ``[render]``, ``[multicam]``) and may set
the top-level values (``audio_stream``, ``reframe_hz``) before the first table::

    reframe_hz = 4.0

    [faces]
    max_fps = 8.0

    [render]
    crf = 23

The same layout is what ``facetrack config --show`` prints and what the report shows.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from facetrack_otio.errors import InputError
from facetrack_otio.fsutil import readable_file
from facetrack_otio.text import shown


def read_settings_file(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Parse a TOML settings file into a plain dict (not yet checked against the settings).

    Parameters
    ----------
    path : str or os.PathLike
        The ``.toml`` file.

    Returns
    -------
    dict
        The file's tables and values.

    Raises
    ------
    InputError
        When the file is missing or unreadable, or is not valid TOML (one line, with the line
        and column TOML's parser reports).
    """
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10: tomllib arrived in 3.11
        raise InputError(f"{path}: reading settings files needs Python 3.11 or newer") from None
    p = Path(path)
    if not os.path.lexists(p):
        raise InputError(f"{shown(p)}: no such settings file")
    readable_file(p, "settings file", allow_empty=True)  # a pipe would block the read
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise InputError(f"{shown(p)}: cannot read settings file ({exc.strerror or exc})") from None
    try:
        return tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise InputError(f"{p}: not a TOML settings file (not UTF-8 text)") from None
    except tomllib.TOMLDecodeError as exc:
        reason = " ".join(str(exc).split())
        raise InputError(f"{p}: not valid TOML: {reason}") from None


def _type_name(value: Any) -> str:
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int):
        return "a whole number"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, (list, tuple)):
        return "a list"
    if isinstance(value, Mapping):
        return "a table"
    return type(value).__name__


def _coerce(where: str, value: Any, default: Any, annotation: str) -> Any:
    """``value`` from the file, checked against the setting's default (and its annotation
    where the default is None); ints are accepted where numbers are."""
    if default is None:
        kinds = {"str": str, "int": int, "float": (int, float), "bool": bool}
        for name, kind in kinds.items():
            if (
                name in annotation
                and isinstance(value, kind)
                and not (isinstance(value, bool) and name != "bool")
            ):
                return float(value) if name == "float" and not isinstance(value, bool) else value
        raise InputError(f"{where}: expected {annotation.replace(' | None', '')}, got {value!r}")
    if isinstance(default, bool):
        ok = isinstance(value, bool)
    elif isinstance(default, int):
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif isinstance(default, float):
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        value = float(value) if ok else value
    elif isinstance(default, str):
        ok = isinstance(value, str)
    elif isinstance(default, tuple):
        if not isinstance(value, list) or len(value) != len(default):
            raise InputError(f"{where}: expected a list of {len(default)} values, got {value!r}")
        return tuple(
            _coerce(f"{where}[{i}]", v, d, "") for i, (v, d) in enumerate(zip(value, default))
        )
    else:
        ok = isinstance(value, type(default))
    if not ok:
        raise InputError(f"{where}: expected {_type_name(default)}, got {value!r}")
    return value


def _apply(obj: Any, values: Mapping[str, Any], where: str, table: str) -> Any:
    known = {f.name: f for f in dataclasses.fields(obj)}
    changes: dict[str, Any] = {}
    for key, value in values.items():
        name = f"[{table}] {key}" if table else key
        if key not in known:
            choices = ", ".join(sorted(known))
            raise InputError(f"{where}: unknown setting {name} (known: {choices})")
        current = getattr(obj, key)
        if dataclasses.is_dataclass(current):
            if not isinstance(value, Mapping):
                raise InputError(f"{where}: {key} must be a table ([{key}]), got {value!r}")
            sub = f"{table}.{key}" if table else key
            changes[key] = _apply(current, value, where, sub)
        else:
            annotation = str(known[key].type)
            changes[key] = _coerce(f"{where}: {name}", value, current, annotation)
    try:
        return dataclasses.replace(obj, **changes)
    except ValueError as exc:  # a setting's own check (e.g. crf in 0..51)
        label = f"[{table}] " if table else ""
        raise InputError(f"{where}: {label}{exc}") from None


def apply_settings(settings: Any, values: Mapping[str, Any], where: str = "settings") -> Any:
    """A copy of ``settings`` with the values of a settings file applied.

    Parameters
    ----------
    settings : Settings
        The settings to start from (usually the defaults).
    values : mapping
        What :func:`read_settings_file` returned.
    where : str
        Name of the source for error messages (the file's path).

    Returns
    -------
    Settings

    Raises
    ------
    InputError
        On an unknown table or key, a value of the wrong type, or a value a stage refuses.
    """
    return _apply(settings, values, where, "")


# --------------------------------------------------------------------------- writing


def toml_value(value: Any) -> str:
    """One value in TOML syntax (strings as basic strings, lists inline)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        # JSON string escapes are a subset of what TOML basic strings accept.
        return json.dumps(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    return json.dumps(str(value))


def settings_lines(
    values: Mapping[str, Any], defaults: Mapping[str, Any] | None = None
) -> list[tuple[str, bool]]:
    """Settings as TOML lines, each with a flag telling whether it differs from the default.

    Parameters
    ----------
    values : mapping
        Settings as plain data (``Settings.to_dict()`` or the dict a timeline stores).
    defaults : mapping, optional
        The defaults in the same shape; a differing value gets a ``# default: ...`` comment.

    Returns
    -------
    list of (str, bool)
        Lines of a TOML document (unset values, which TOML cannot hold, as comments) and
        whether each line holds a value that differs from its default.
    """
    out: list[tuple[str, bool]] = []

    def emit(table: Mapping[str, Any], base: Mapping[str, Any] | None, name: str) -> None:
        if base is not None:  # the defaults' order (stored settings come back sorted)
            order = {k: i for i, k in enumerate(base)}
            table = dict(sorted(table.items(), key=lambda kv: order.get(kv[0], len(order))))
        scalars = {k: v for k, v in table.items() if not isinstance(v, Mapping)}
        tables = {k: v for k, v in table.items() if isinstance(v, Mapping)}
        if name and (scalars or not tables):
            if out:
                out.append(("", False))
            out.append((f"[{name}]", False))
        for key, value in scalars.items():
            has_default = base is not None and key in base
            default = base.get(key) if base is not None else None
            differs = has_default and _norm(value) != _norm(default)
            line = f"# {key} = (not set)" if value is None else f"{key} = {toml_value(value)}"
            if differs:
                shown = "(not set)" if default is None else toml_value(default)
                line = f"{line}  # default: {shown}"
            out.append((line, differs))
        for key, sub in tables.items():
            sub_base = base.get(key) if isinstance(base, Mapping) else None
            emit(sub, sub_base if isinstance(sub_base, Mapping) else None, _join(name, key))

    emit(values, defaults, "")
    return out


def _join(table: str, key: str) -> str:
    return f"{table}.{key}" if table else key


def _norm(value: Any) -> Any:
    # Stored settings went through JSON: tuples are lists there, and ints may be floats.
    if isinstance(value, (list, tuple)):
        return [_norm(v) for v in value]
    if isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    return value


def settings_toml(values: Mapping[str, Any], defaults: Mapping[str, Any] | None = None) -> str:
    """Settings as a TOML document; values that differ from ``defaults`` say so in a comment.

    Parameters
    ----------
    values : mapping
        Settings as plain data.
    defaults : mapping, optional
        The defaults in the same shape.

    Returns
    -------
    str
        TOML text that :func:`read_settings_file` reads back.
    """
    return "\n".join(line for line, _ in settings_lines(values, defaults)) + "\n"
