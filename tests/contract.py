"""The command line's contract, as checks that return what is wrong (an empty list: nothing).

Whatever it is given, a command ends in one of two ways: exit 0 with complete, valid outputs,
or exit 2 with one ``facetrack: error:`` line; never a traceback or an internal error (exit 1),
never a hang. Either way nothing half-written or hidden is left in the output folder, and no
file of the user's is touched. The fuzz suite and the tests of single cases share these.
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import opentimelineio as otio

# What a run leaves only when something went wrong: its staging folder, a temporary file
# (``.NAME.xxxxxxxx.part.EXT``) or its lock.
_LEFTOVER = re.compile(
    r"^(\.facetrack-[a-z0-9_]{8}|\..*\.[a-z0-9_]{8}\.part(\..*)?|\.facetrack\.lock)$"
)


def leftovers(folder: Path) -> list[str]:
    """Staging folders, temporary files and locks anywhere under ``folder``."""
    if not folder.is_dir():
        return []
    found = []
    for root, dirs, files in os.walk(folder):
        for name in dirs + files:
            if _LEFTOVER.match(name):
                found.append(os.path.relpath(os.path.join(root, name), folder))
    return sorted(found)


def snapshot(folder: Path) -> dict[str, tuple[int, str]] | None:
    """Every file under ``folder`` (relative path -> size and SHA-256); None when absent."""
    if not os.path.lexists(folder):
        return None
    if not folder.is_dir():
        return {".": (folder.stat().st_size, _sha(folder))}
    out = {}
    for root, _, files in os.walk(folder):
        for name in files:
            path = Path(root) / name
            if path.is_file():
                out[os.path.relpath(path, folder)] = (path.stat().st_size, _sha(path))
    return out


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def untouched(before: dict[str, tuple[int, str]], folder: Path) -> list[str]:
    """Files of ``before`` (a :func:`snapshot` of the user's files) changed or gone."""
    now = snapshot(folder) or {}
    return [f"user file {rel} changed or removed" for rel in before if now.get(rel) != before[rel]]


def ending(proc: subprocess.CompletedProcess[str], codes: tuple[int, ...] = (0, 2)) -> list[str]:
    """Exit status and stderr as the contract allows: one error line with exit 2."""
    problems = []
    if "Traceback" in proc.stderr:
        problems.append("a traceback on stderr")
    if "internal error" in proc.stderr:
        problems.append("an internal error")
    if proc.returncode not in codes:
        problems.append(f"exit {proc.returncode}")
    if proc.returncode == 2:
        lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
        errors = [ln for ln in lines if ln.startswith("facetrack: error: ")]
        if len(errors) != 1 or errors[0] != lines[-1]:
            problems.append("exit 2 without exactly one closing 'facetrack: error:' line")
    return problems


def refused(proc: subprocess.CompletedProcess[str], *words: str) -> list[str]:
    """Exit 2 with a single ``facetrack: error:`` line holding ``words``."""
    problems = ending(proc, codes=(2,))
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    if len(lines) != 1:
        problems.append(f"{len(lines)} lines on stderr, not one")
    problems += [f"{w!r} not in the error" for w in words if lines and w not in lines[-1]]
    return problems


# --------------------------------------------------------------------------- outputs


def timeline_problems(path: Path) -> list[str]:
    """A facetrack ``.otio`` that loads and, made from one source, holds its speaker data (a
    multicam timeline holds its angles instead)."""
    from facetrack_otio.errors import InputError
    from facetrack_otio.timeline.meta import facetrack_md
    from facetrack_otio.timeline.read import load_timeline, speaker_data

    try:
        timeline = load_timeline(path)
        if "source" in facetrack_md(timeline):
            speaker_data(timeline)
    except InputError as exc:
        return [f"{path.name}: {exc}"]
    return []


def export_problems(outdir: Path, stem: str) -> list[str]:
    """Every export of ``stem`` in ``outdir`` present and readable by its reader.

    The EDLs and the FCP7 XML are expected only at rates that have SMPTE timecode, and the
    EDLs (which cut a picture track) only when the timeline has one.
    """
    from facetrack_otio.eval.reading import read_scored_rttm
    from facetrack_otio.exports import unsupported_formats
    from facetrack_otio.exports.rttm import read_rttm
    from facetrack_otio.timeline.read import load_timeline

    otio_path = outdir / f"{stem}.otio"
    if not otio_path.is_file():
        names = sorted(p.name for p in outdir.iterdir()) if outdir.is_dir() else []
        return [f"no {otio_path.name} in the outputs ({names})"]
    problems = timeline_problems(otio_path)
    if problems:
        return problems
    timeline = load_timeline(otio_path)
    rate = timeline.tracks[0].duration().rate if timeline.tracks else 25.0
    for suffix in (".fcpxml", ".rttm"):
        if not (outdir / f"{stem}{suffix}").is_file():
            problems.append(f"no {stem}{suffix}")
    try:
        ET.parse(outdir / f"{stem}.fcpxml")
        read_scored_rttm(outdir / f"{stem}.rttm", reference=False)
        read_rttm(outdir / f"{stem}.rttm")
    except Exception as exc:  # any reader's complaint is the finding
        problems.append(f"{type(exc).__name__}: {exc}")
    if unsupported_formats(timeline):
        return problems
    edls = sorted(outdir.glob(f"{glob_escape(stem)}*.edl"))
    picture = bool(timeline.video_tracks())
    if (picture and not (outdir / f"{stem}.edl").is_file()) or not (
        outdir / f"{stem}.xml"
    ).is_file():
        problems.append("no EDL or FCP7 XML at a rate with timecode")
        return problems
    try:
        ET.parse(outdir / f"{stem}.xml")
        otio.adapters.read_from_file(str(outdir / f"{stem}.xml"), adapter_name="fcp_xml")
        for edl in edls:
            otio.adapters.read_from_file(str(edl), adapter_name="cmx_3600", rate=rate)
    except Exception as exc:  # any reader's complaint is the finding
        problems.append(f"{type(exc).__name__}: {exc}")
    return problems


def glob_escape(text: str) -> str:
    """``text`` as a glob pattern matching only itself."""
    return re.sub(r"([*?\[])", r"[\1]", text)


def clip_problems(folder: Path) -> list[str]:
    """Every ``.mp4`` in ``folder`` a whole MP4 (its index there)."""
    from facetrack_otio.media.probe import isobmff_damage

    problems = []
    for clip in sorted(folder.glob("*.mp4")) if folder.is_dir() else []:
        damage = isobmff_damage(clip, need_index=True)
        if damage or clip.stat().st_size == 0:
            problems.append(f"{clip.name}: {damage or 'empty'}")
    return problems
