"""What facetrack's OTIO adapter modules share: their arguments, their input, their files.

The adapter modules (``adapters/facetrack*.py``, listed in ``plugin_manifest.json``) are thin:
each hands the timeline to the exporter ``facetrack export`` uses for its format. This module
holds what they would otherwise each repeat.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import opentimelineio as otio

from facetrack_otio.errors import InputError
from facetrack_otio.exports.sequence import parse_drop_frame
from facetrack_otio.fsutil import atomic_write_text


def refuse_unknown(
    adapter: str, kind: str, given: Mapping[str, Any], known: tuple[str, ...]
) -> None:
    """Refuse adapter arguments the adapter does not take, naming the ones it does.

    Parameters
    ----------
    adapter : str
        The adapter's name, for the message.
    kind : str
        ``"reader"`` or ``"writer"``.
    given : mapping
        The arguments that were not matched by a parameter.
    known : tuple of str
        The arguments the adapter takes.

    Raises
    ------
    InputError
        When ``given`` is not empty.
    """
    unknown = sorted(set(given) - set(known))
    if unknown:
        raise InputError(
            f"{adapter} adapter: unknown {kind} argument(s) {', '.join(unknown)} "
            f"(known: {', '.join(known)})"
        )


def drop_frame_argument(adapter: str, value: Any) -> bool | None:
    """The ``drop_frame`` writer argument (``-A drop_frame=true``) as None, True or False.

    Raises
    ------
    InputError
        On a value that is not ``auto``, true or false.
    """
    try:
        return parse_drop_frame(value)
    except ValueError as exc:
        raise InputError(f"{adapter} adapter: {exc}") from None


def input_timeline(adapter: str, obj: Any) -> otio.schema.Timeline:
    """The timeline an adapter writes: ``obj`` itself, or the one timeline of a collection.

    Raises
    ------
    InputError
        When ``obj`` is not a timeline, nor a collection holding exactly one.
    """
    if isinstance(obj, otio.schema.Timeline):
        return obj
    if isinstance(obj, otio.schema.SerializableCollection):
        found = list(obj.find_children(descended_from_type=otio.schema.Timeline))
        if len(found) == 1:
            return found[0]
        raise InputError(
            f"{adapter} adapter: writes one timeline; this collection holds {len(found)}"
        )
    kind = obj.schema_name() if hasattr(obj, "schema_name") else type(obj).__name__
    raise InputError(f"{adapter} adapter: writes a timeline, not a {kind}")


def write_text(filepath: str | os.PathLike[str], text: str) -> Path:
    """Write an adapter's file whole or not at all (temporary name, then rename).

    Raises
    ------
    InputError
        When the file cannot be written.
    """
    try:
        return atomic_write_text(filepath, text)
    except OSError as exc:
        raise InputError(f"{filepath}: cannot write ({exc.strerror or exc})") from None


def export_text(
    adapter: str,
    to_string: Callable[..., str],
    input_otio: Any,
    options: dict[str, Any],
    unknown: Mapping[str, Any],
) -> str:
    """What an editor-format adapter writes: its exporter's text for the input timeline.

    Parameters
    ----------
    adapter : str
        The adapter's name, for messages.
    to_string : callable
        The exporter's ``to_string(timeline, **options)``.
    input_otio : object
        What OTIO hands the adapter (see :func:`input_timeline`).
    options : dict
        The adapter's own arguments as given (``drop_frame`` is parsed here).
    unknown : mapping
        Any other arguments: refused, naming the known ones.

    Returns
    -------
    str
    """
    refuse_unknown(adapter, "writer", unknown, tuple(options))
    timeline = input_timeline(adapter, input_otio)
    if "drop_frame" in options:
        options = {**options, "drop_frame": drop_frame_argument(adapter, options["drop_frame"])}
    return to_string(timeline, **options)


def plain_writers(
    adapter: str, to_string: Callable[[otio.schema.Timeline], str]
) -> tuple[Callable[..., str], Callable[..., None]]:
    """``write_to_string`` and ``write_to_file`` of a writer adapter without arguments.

    Parameters
    ----------
    adapter : str
        The adapter's name, for messages.
    to_string : callable
        The exporter's ``to_string(timeline)``.

    Returns
    -------
    (callable, callable)
        ``write_to_string(input_otio)`` (any argument refused, naming none known) and
        ``write_to_file(input_otio, filepath)`` (whole or not at all).
    """

    def write_to_string(input_otio: Any, **unknown: Any) -> str:
        return export_text(adapter, to_string, input_otio, {}, unknown)

    def write_to_file(input_otio: Any, filepath: str | os.PathLike[str], **unknown: Any) -> None:
        write_text(filepath, write_to_string(input_otio, **unknown))

    return write_to_string, write_to_file
