"""RTTM: the who-speaks-when format read by diarization tools.

One line per turn: ``SPEAKER <uri> 1 <start> <duration> <NA> <NA> <speaker> <NA> <NA>``.
"""

from __future__ import annotations

import os
from pathlib import Path

from facetrack_otio.fsutil import atomic_write_text

# (speaker label, start seconds, end seconds)
Segment = tuple[str, float, float]


def format_rttm(uri: str, segments: list[Segment]) -> str:
    """Format labelled segments as RTTM text (sorted by start)."""
    uri = "_".join(uri.split()) or "recording"
    lines = []
    for label, start, end in sorted(segments, key=lambda s: (s[1], s[2], s[0])):
        label = "_".join(str(label).split())
        lines.append(f"SPEAKER {uri} 1 {start:.3f} {end - start:.3f} <NA> <NA> {label} <NA> <NA>")
    return "\n".join(lines) + ("\n" if lines else "")


def parse_rttm(text: str) -> dict[str, list[Segment]]:
    """Parse RTTM text into ``{uri: [(speaker, start, end), ...]}`` (SPEAKER lines only)."""
    out: dict[str, list[Segment]] = {}
    for n, line in enumerate(text.splitlines(), 1):
        fields = line.split()
        if not fields or fields[0].startswith((";", "#")):
            continue
        if fields[0] != "SPEAKER":
            continue
        if len(fields) < 8:
            raise ValueError(f"RTTM line {n}: expected at least 8 fields, got {len(fields)}")
        start, dur = float(fields[3]), float(fields[4])
        out.setdefault(fields[1], []).append((fields[7], start, start + dur))
    return out


def read_rttm(path: str | os.PathLike[str]) -> dict[str, list[Segment]]:
    """Read an RTTM file (see :func:`parse_rttm`)."""
    return parse_rttm(Path(path).read_text(encoding="utf-8"))


def write_rttm(path: str | os.PathLike[str], uri: str, segments: list[Segment]) -> Path:
    """Write labelled segments as an RTTM file, atomically."""
    return atomic_write_text(path, format_rttm(uri, segments))
