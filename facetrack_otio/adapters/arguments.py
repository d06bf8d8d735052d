"""The ``facetrack`` adapter's arguments: the settings declared with an adapter argument
(:func:`facetrack_otio.setting.setting`), taken from what ``otioconvert -a``/``-A`` or a caller
passes (``"10"``, ``10`` or ``"ten"``), converted to the setting's type and checked by it."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from typing import Any

from facetrack_otio.config import Settings, updated
from facetrack_otio.errors import InputError
from facetrack_otio.setting import SettingError, declared, default_words, value_type, walk

_TRUE = ("1", "true", "yes", "on")


def _declared(kind: str) -> list[tuple[str, Any, Any]]:
    """(table, field, owner) of each setting that is an argument of ``kind``."""
    return [(t, f, o) for t, f, o in walk(Settings()) if declared(f).adapter == kind]


def argument_names(kind: str) -> tuple[str, ...]:
    """The arguments of the reader (``READ``) or the writer (``WRITE``), in declared order."""
    return tuple(f.name for _, f, _ in _declared(kind))


def _convert(name: str, value: Any, kind: type) -> Any:
    if kind is bool:
        return str(value).strip().lower() in _TRUE
    if kind is str:
        return str(value) if not hasattr(value, "__fspath__") else value.__fspath__()
    try:
        number = kind(value)
        if isinstance(value, bool) or (kind is int and number != float(value)):
            raise ValueError
    except (TypeError, ValueError):
        what = "a whole number" if kind is int else "a number"
        raise InputError(f"facetrack adapter: {name} must be {what}, got {value!r}") from None
    return number


def settings_from(kind: str, given: Mapping[str, Any]) -> Settings:
    """The default settings with the adapter arguments ``given`` (None: the default).

    Raises
    ------
    InputError
        On a value of the wrong type or one its setting refuses.
    """
    values: dict[str, Any] = {}
    for table, f, owner in _declared(kind):
        value = given.get(f.name)
        if value is None:
            continue
        part = values
        for name in filter(None, table.split(".")):
            part = part.setdefault(name, {})
        part[f.name] = _convert(f.name, value, value_type(type(owner), f.name))
    try:
        return updated(Settings(), values)
    except SettingError as exc:
        raise InputError(f"facetrack adapter: {exc.message}") from None


def with_arguments(fn: Callable[..., Any], kind: str, first: tuple[str, ...]) -> None:
    """Give ``fn`` (``fn(*first, **arguments)``) the signature and the docs of its declared
    arguments, so that ``otiopluginfo`` lists them and its help says what they are."""
    params = [inspect.Parameter(n, inspect.Parameter.POSITIONAL_OR_KEYWORD) for n in first]
    lines = []
    for _, f, _ in _declared(kind):
        params.append(
            inspect.Parameter(f.name, inspect.Parameter.POSITIONAL_OR_KEYWORD, default=None)
        )
        lines.append(f"{f.name}\n    {declared(f).help} (default: {default_words(f)}).")
    params.append(inspect.Parameter("unknown", inspect.Parameter.VAR_KEYWORD))
    fn.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    doc = fn.__doc__ or ""
    at = doc.find("{arguments}")
    indent = doc[doc.rfind("\n", 0, at) + 1 : at]
    text = "\n".join(lines).replace("\n", "\n" + indent)
    fn.__doc__ = doc.replace("{arguments}", text)
