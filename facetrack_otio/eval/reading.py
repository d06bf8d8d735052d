"""RTTM files read for scoring: every SPEAKER line checked, so that a file which is not an
RTTM, or holds times no recording has, is refused instead of scoring as if it were empty."""

from __future__ import annotations

import math
import os
import re

from facetrack_otio.errors import InputError
from facetrack_otio.eval.der import Turn
from facetrack_otio.fsutil import readable_file
from facetrack_otio.text import shown

# RTTM record types (NIST RT-09): SPEAKER, SPKR-INFO, LEXEME, NON-SPEECH, A/P...
_RECORD = re.compile(r"^[A-Z][A-Z_/-]*$")
# Times beyond this (a year) are no recording's: a damaged or foreign file.
MAX_SECONDS = 366 * 24 * 3600.0


def read_scored_rttm(path: str | os.PathLike[str], reference: bool) -> list[Turn]:
    """The ``(speaker, start, end)`` turns of an RTTM file to score.

    Parameters
    ----------
    path : str or os.PathLike
        The RTTM file.
    reference : bool
        The ground truth: it must hold at least one SPEAKER line (a hypothesis may be empty:
        a recording where nobody speaks).

    Returns
    -------
    list of (str, float, float)

    Raises
    ------
    InputError
        The file cannot be read, is not UTF-8 text, has a line that is no RTTM record, a
        SPEAKER line with too few fields or a time that is not a number, negative, NaN,
        infinite or beyond a year; or it is a reference without SPEAKER lines.
    """
    p = readable_file(path, "RTTM file", allow_empty=not reference)
    name = shown(p)
    try:
        text = p.read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        raise InputError(f"{name}: not an RTTM file (not UTF-8 text)") from None
    turns: list[Turn] = []
    for n, line in enumerate(text.splitlines(), 1):
        fields = line.split()
        if not fields or fields[0].startswith((";", "#")):
            continue
        if not _RECORD.match(fields[0]):
            raise InputError(
                f"{name}: not an RTTM file (line {n} starts with {shown(fields[0][:24])!r})"
            )
        if fields[0] != "SPEAKER":
            continue
        if len(fields) < 8:
            raise InputError(
                f"{name}: line {n}: a SPEAKER line has at least 8 fields, this one {len(fields)}"
            )
        start = _seconds(fields[3], name, n, "start")
        end = start + _seconds(fields[4], name, n, "duration")
        if end > MAX_SECONDS:
            raise InputError(f"{name}: line {n}: the turn ends after a year ({end:g} s)")
        turns.append((fields[7], start, end))
    if reference and not turns:
        raise InputError(f"{name}: no SPEAKER lines; a reference without turns scores nothing")
    return turns


def _seconds(text: str, name: str, line: int, what: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or not 0 <= value <= MAX_SECONDS:
        raise InputError(
            f"{name}: line {line}: the {what} must be a number of seconds, 0 or more "
            f"and within a year, not {shown(text[:24])!r}"
        )
    return value
