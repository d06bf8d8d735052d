"""A setting declared once: its type, default, range, help, flag and adapter argument.

Each stage's settings are a frozen dataclass whose fields are made by :func:`setting` (as
pyannote declares a pipeline's hyper-parameters)::

    @dataclass(frozen=True)
    class FaceSettings:
        max_fps: float = setting(12.5, "analysis frame rate cap", Range(0, above=True),
                                 flag="--max-fps", commands=ANALYSED, adapter=READ)

        def __post_init__(self) -> None:
            check(self)

Everything else is read from that one line: the type from the annotation, the default from
the dataclass, the TOML key from the field's name under its table (``[faces] max_fps``), the
command-line flag and its help (the default appended from the value itself, so the two cannot
disagree), the OTIO adapter argument, and the check every value meets, in one style
(:class:`Range`, :class:`OneOf`). :func:`check` refuses what is not a finite number and what
breaks a rule with a :class:`SettingError`, which names the setting so that the command line
can name its flag and a settings file its table.

This module imports nothing but the standard library: settings modules stay light.
"""

from __future__ import annotations

import dataclasses
import math
import typing
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

# Adapter arguments: of the reader (analysis) or of the writer (clips).
READ = "read"
WRITE = "write"
# The commands whose analysis or rendering flags a setting has.
ANALYSED = ("run", "batch", "multicam")
RENDERED = ("run", "batch", "render")
EVERY_RENDER = ("run", "batch", "render", "multicam")

# Settings are stored in the timeline, whose integers are 64-bit; none needs more than 32.
MAX_INT = 2**31 - 1


class SettingError(ValueError):
    """A value a setting refuses.

    Attributes
    ----------
    name : str
        The setting (the field's name).
    rule : str
        What it must be: ``"above 0, got -1.0"`` follows ``"{name} must be "``.
    table : str
        The settings table it belongs to (``faces``), once known.
    """

    def __init__(self, name: str, message: str, table: str = "") -> None:
        super().__init__(message)
        self.name = name
        self.message = message
        self.table = table

    def __str__(self) -> str:
        return f"[{self.table}] {self.message}" if self.table else self.message

    def within(self, table: str) -> SettingError:
        """The same refusal, naming the table it happened in (the innermost one)."""
        return SettingError(self.name, self.message, self.table or table)


@dataclass(frozen=True)
class Range:
    """The numbers a setting takes.

    Attributes
    ----------
    low, high : float, optional
        Bounds, included (``low`` excluded with ``above``); None: unbounded.
    above : bool
        ``low`` itself is refused.
    off : float, optional
        One value outside the range that is allowed too (``0``: no split).
    off_means : str
        What ``off`` means, for the message.
    unit : str
        The unit, for the message (``seconds``).
    says : str
        The rule in words, where they say it better than the bounds.
    count : int, optional
        The setting is a tuple of this many numbers, each in the range.
    """

    low: float | None = None
    high: float | None = None
    above: bool = False
    off: float | None = None
    off_means: str = ""
    unit: str = ""
    says: str = ""
    count: int | None = None

    def holds(self, value: float) -> bool:
        if self.off is not None and value == self.off:
            return True
        if not math.isfinite(value):  # a range holds finite numbers only
            return False
        if self.low is not None and not (value > self.low if self.above else value >= self.low):
            return False
        return not (self.high is not None and not value <= self.high)

    def words(self) -> str:
        """The rule: ``in 0..51``, ``above 0``, ``at least 64``, ``0 (no split) or ...``."""
        if self.says:
            return self.says
        low, high = self.low, self.high
        if low is not None and high is not None:
            text = f"above {low:g} and at most {high:g}" if self.above else f"in {low:g}..{high:g}"
        elif low is not None:
            text = f"above {low:g}" if self.above else f"at least {low:g}"
        elif high is not None:
            text = f"at most {high:g}"
        else:
            text = "a number"
        text += f" {self.unit}" if self.unit else ""
        if self.off is not None:
            text = f"{self.off:g}" + (f" ({self.off_means})" if self.off_means else "")
            text += f" or {self.__class__(self.low, self.high, self.above, unit=self.unit).words()}"
        return text

    def test(self, name: str, value: Any) -> None:
        """Raise :class:`SettingError` unless ``value`` keeps the rule."""
        if self.count is not None:
            ok = len(value) == self.count and all(self.holds(v) for v in value)
            if not ok:
                raise SettingError(
                    name, f"{name} must be {self.count} numbers {self.words()}, got {value}"
                )
            return
        if not self.holds(value):
            raise SettingError(name, f"{name} must be {self.words()}, got {value}")


@dataclass(frozen=True)
class OneOf:
    """The values a setting takes, by name.

    Attributes
    ----------
    choices : tuple
        Every value it takes.
    noun : str
        What a value is called (``x264 preset``): the message then says ``unknown x264 preset
        'quick'; one of ...`` rather than ``preset must be one of ...``.
    """

    choices: tuple[Any, ...]
    noun: str = ""

    def test(self, name: str, value: Any) -> None:
        """Raise :class:`SettingError` unless ``value`` is one of :attr:`choices`."""
        if value in self.choices:
            return
        listed = ", ".join(str(c) for c in self.choices)
        if self.noun:
            raise SettingError(name, f"unknown {self.noun} {value!r}; one of {listed}")
        raise SettingError(name, f"{name} must be one of {listed}, got {value!r}")


Rule = Range | OneOf


@dataclass(frozen=True)
class Declared:
    """What :func:`setting` declared besides the default (a field's ``metadata["setting"]``).

    Attributes
    ----------
    help : str
        What the setting does, one sentence; the flag's help adds the default.
    rule : Range or OneOf, optional
        The values it takes.
    flag : str, optional
        Its command-line flag (``--max-fps``).
    commands : tuple of str
        The commands that have the flag.
    adapter : str, optional
        :data:`READ` or :data:`WRITE`: an argument of the OTIO adapter's reader or writer.
    none : str
        What a default of None means, for the help (``one per core``).
    metavar : str, optional
        The flag's value in the usage line.
    group : str
        The flag's group in ``--help`` (by default its table's).
    """

    help: str
    rule: Rule | None = None
    flag: str | None = None
    commands: tuple[str, ...] = ()
    adapter: str | None = None
    none: str = ""
    metavar: str | None = None
    group: str = ""


def setting(
    default: Any,
    help: str,
    rule: Rule | None = None,
    *,
    flag: str | None = None,
    commands: tuple[str, ...] = ANALYSED,
    adapter: str | None = None,
    none: str = "",
    metavar: str | None = None,
    group: str = "",
) -> Any:
    """A settings dataclass field, with everything about the setting declared at once.

    Parameters
    ----------
    default : object
        The default value (immutable: a number, string, tuple or None).
    help : str
        What the setting does (no default in it: that is added from ``default``).
    rule : Range or OneOf, optional
        The values it takes (checked by :func:`check`).
    flag : str, optional
        Its command-line flag, in the ``commands`` given.
    commands : tuple of str
        The commands that have the flag.
    adapter : str, optional
        :data:`READ` or :data:`WRITE`: also an argument of the OTIO adapter.
    none : str
        What a default of None means.
    metavar : str, optional
        The flag's value in the usage line.
    group : str
        The flag's ``--help`` group, when not its table's.

    Returns
    -------
    dataclasses.Field
    """
    declared = Declared(help, rule, flag, commands if flag else (), adapter, none, metavar, group)
    return dataclasses.field(default=default, metadata={"setting": declared})


def declared(f: dataclasses.Field[Any]) -> Declared | None:
    """A field's declaration (None for a field that is a table of settings)."""
    return f.metadata.get("setting")


def check(obj: Any) -> None:
    """Check every field of a settings dataclass against its declaration.

    Numbers must be finite and whole numbers within 32 bits; then each declared rule.

    Raises
    ------
    SettingError
        For the first field that fails.
    """
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name)
        for x in value if isinstance(value, tuple) else (value,):
            if isinstance(x, bool) or not isinstance(x, (int, float)):
                continue
            if math.isnan(x):
                raise SettingError(f.name, f"{f.name} must be a finite number, got {x}")
            if isinstance(x, int) and abs(x) > MAX_INT:
                raise SettingError(f.name, f"{f.name} must be at most {MAX_INT}, got {x}")
        spec = declared(f)
        if spec is not None and spec.rule is not None and value is not None:
            spec.rule.test(f.name, value)


def value_type(cls: type, name: str) -> type:
    """The type a setting holds (``int`` for ``int | None``; ``tuple`` for tuples)."""
    hint = typing.get_type_hints(cls)[name]
    args = [a for a in typing.get_args(hint) if a is not type(None)]
    origin = typing.get_origin(hint)
    if origin is tuple:
        return tuple
    if args and origin is not None:
        return args[0] if not typing.get_origin(args[0]) else tuple
    return hint


def default_words(f: dataclasses.Field[Any]) -> str:
    """A setting's default as the help says it: ``12.5``, ``template``, or what None means."""
    spec = declared(f)
    value = f.default
    if value is None:
        return spec.none if spec is not None and spec.none else "not set"
    if isinstance(value, bool):
        return "on" if value else "off"
    text = f"{value:g}" if isinstance(value, float) else str(value)
    rule = spec.rule if spec is not None else None
    if isinstance(rule, Range) and rule.off is not None and rule.off_means and value == rule.off:
        text += f": {rule.off_means}"
    return text


def walk(obj: Any, table: str = "") -> Iterator[tuple[str, dataclasses.Field[Any], Any]]:
    """Every declared setting of a (nested) settings dataclass: ``(table, field, owner)``,
    where ``table`` is the TOML table it lives in (``""`` at the top)."""
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name)
        if dataclasses.is_dataclass(value) and declared(f) is None:
            yield from walk(value, f"{table}.{f.name}" if table else f.name)
        elif declared(f) is not None:
            yield table, f, obj
