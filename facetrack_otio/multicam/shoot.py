"""The files of a shoot: which are angles and which microphones, and where each sits in time.

Video files are angles (their audio is scratch audio, used to sync them); audio-only files are
microphones. :func:`read_shoot` probes them all before anything else runs, so a file that is
not media fails at once; :func:`sync_shoot` places them on one clock (see
:mod:`facetrack_otio.multicam.sync`) and keeps each one's audio at 16 kHz for the speech stages.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from facetrack_otio.errors import InputError
from facetrack_otio.machine import cores
from facetrack_otio.media.audio import PcmFile, decode_audio
from facetrack_otio.media.probe import MediaInfo, probe
from facetrack_otio.multicam.sync import (
    SYNC_RATE,
    Placement,
    SyncError,
    onset_envelope,
    place_files,
)

ANGLE = "angle"
MIC = "mic"


@dataclass(frozen=True)
class ShootFile:
    """One file of the shoot.

    Attributes
    ----------
    path : str
        Absolute path.
    kind : str
        ``angle`` (a video) or ``mic`` (audio only).
    label : str
        Its name in the timeline and the report: the file stem, or the name given with
        ``--mic NAME=FILE``; unique within the shoot.
    info : MediaInfo
        What ffprobe said of it (a microphone's has no video).
    offset : float
        Shoot-clock time of its first frame or sample, seconds (0 until synced).
    placement : Placement or None
        How it was placed (None until synced).
    """

    path: str
    kind: str
    label: str
    info: MediaInfo
    offset: float = 0.0
    placement: Placement | None = None

    @property
    def duration(self) -> float:
        return float(self.info.duration)

    @property
    def end(self) -> float:
        """Shoot-clock time where the file ends."""
        return self.offset + self.duration

    @property
    def video(self) -> MediaInfo:
        """The angle's :class:`MediaInfo` (angles only)."""
        if self.kind != ANGLE:
            raise TypeError(f"{self.label} is a microphone, not an angle")
        return self.info

    @property
    def name(self) -> str:
        return Path(self.path).name

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "path": self.path,
            "kind": self.kind,
            "label": self.label,
            "offset": round(self.offset, 6),
            "duration": round(self.duration, 6),
        }
        if self.placement is not None:
            d["placed_by"] = self.placement.method
            c = self.placement.confidence
            d["confidence"] = None if math.isinf(c) else round(c, 3)
        if self.kind == ANGLE:
            d["fps"] = f"{self.info.fps.numerator}/{self.info.fps.denominator}"
            d["width"], d["height"] = self.info.width, self.info.height
        d["has_audio"] = self.info.has_audio
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any], info: Mapping[str, Any]) -> ShootFile:
        """The file as :meth:`to_dict` and the info's ``to_dict`` stored it."""
        media = MediaInfo.from_dict(dict(info))
        placement = None
        if "placed_by" in d:
            c = d.get("confidence")
            placement = Placement(
                float(d["offset"]), str(d["placed_by"]), math.inf if c is None else float(c)
            )
        return cls(
            str(d["path"]), str(d["kind"]), str(d["label"]), media, float(d["offset"]), placement
        )


def _unique_labels(files: Sequence[ShootFile]) -> list[ShootFile]:
    """Labels made unique: a stem used twice gets its folder's name in front."""
    seen: dict[str, int] = {}
    for f in files:
        seen[f.label] = seen.get(f.label, 0) + 1
    out = []
    used: set[str] = set()
    for f in files:
        label = f.label
        if seen[label] > 1:
            label = f"{Path(f.path).parent.name}_{label}"
        base, n = label, 2
        while label in used:
            label, n = f"{base}_{n}", n + 1
        used.add(label)
        out.append(replace(f, label=label))
    return out


def read_shoot(paths: Sequence[str], mics: Mapping[str, str] | None = None) -> list[ShootFile]:
    """Probe every file: videos become angles, audio-only files microphones.

    Parameters
    ----------
    paths : sequence of str
        Files given as they are (videos or audio).
    mics : mapping of str to str, optional
        Microphones named by the user: name -> file (``--mic NAME=FILE``).

    Returns
    -------
    list of ShootFile
        In the order given (``paths``, then ``mics``), not yet placed.

    Raises
    ------
    InputError
        A file is missing, not media, given twice, or a named microphone holds video; or no
        angle is given.
    """
    entries = [(p, None) for p in paths] + [(p, name) for name, p in (mics or {}).items()]
    # One ffprobe per file, side by side; the first failure in the order given is raised.
    with ThreadPoolExecutor(max(1, min(len(entries), 8))) as pool:
        futures = [pool.submit(probe, path) for path, _ in entries]
    files: list[ShootFile] = []
    seen: dict[str, str] = {}
    for (path, name), future in zip(entries, futures):
        info = future.result()
        if info.path in seen:
            raise InputError(f"{path}: given twice (also as {seen[info.path]})")
        seen[info.path] = str(path)
        if name is not None and info.has_video:
            raise InputError(
                f"--mic {name}={path}: a video, not an audio file (give it as an angle)"
            )
        kind = ANGLE if info.has_video else MIC
        files.append(ShootFile(info.path, kind, name or Path(info.path).stem, info))
    if not any(f.kind == ANGLE for f in files):
        raise InputError("no video among the files: a multicam shoot needs at least one angle")
    return _unique_labels(files)


def _decode(f: ShootFile, stream: int) -> PcmFile | None:
    if not f.info.has_audio:
        return None
    index = stream if f.kind == ANGLE and stream in f.info.audio_streams else 0
    return decode_audio(f.info, SYNC_RATE, index)


@contextlib.contextmanager
def shoot_audio(files: Sequence[ShootFile], stream: int = 0) -> Iterator[list[PcmFile | None]]:
    """Every file's audio at :data:`SYNC_RATE` (None for a file without audio), decoded side by
    side, removed when the block ends.

    Parameters
    ----------
    files : sequence of ShootFile
        The shoot.
    stream : int
        Which audio stream of the angles (microphones use their first).
    """
    with contextlib.ExitStack() as stack:
        workers = max(1, min(len(files), cores()))
        with ThreadPoolExecutor(workers, thread_name_prefix="facetrack-audio") as pool:
            futures = [pool.submit(_decode, f, stream) for f in files]
            pcms: list[PcmFile | None] = []
            for future in futures:
                pcm = future.result()
                if pcm is not None:
                    stack.enter_context(pcm)
                pcms.append(pcm)
        yield pcms


def sync_shoot(
    files: Sequence[ShootFile],
    pcms: Sequence[PcmFile | None],
    hand: Mapping[int, float],
    min_confidence: float,
) -> list[ShootFile]:
    """Place every file on the shoot clock by its sound (or by hand).

    Parameters
    ----------
    files : sequence of ShootFile
        The shoot, as :func:`read_shoot` gave it.
    pcms : sequence of PcmFile or None
        Their audio (:func:`shoot_audio`).
    hand : mapping of int to float
        Files placed by hand: index -> seconds after the first file starts.
    min_confidence : float
        See :attr:`MulticamSettings.sync_confidence`.

    Returns
    -------
    list of ShootFile
        The files with their offsets; the earliest starts at 0.

    Raises
    ------
    InputError
        One line naming every file that could not be placed, and why.
    """
    # A file placed by hand still helps place the others by its sound.
    envelopes: list[np.ndarray | None] = [
        None if pcm is None else onset_envelope(pcm) for pcm in pcms
    ]
    try:
        placements = place_files(envelopes, pcms, hand, min_confidence)
    except SyncError as exc:
        parts = [
            f"{files[i].name}: {why}; place it by hand with --offset {files[i].name}=SECONDS"
            for i, why in exc.reasons.items()
        ]
        raise InputError("cannot sync " + " | ".join(parts)) from None
    return [replace(f, offset=p.offset, placement=p) for f, p in zip(files, placements)]


def parse_offsets(items: Sequence[str], files: Sequence[ShootFile]) -> dict[int, float]:
    """``--offset FILE=SECONDS`` values: file index -> seconds after the first file starts.

    FILE is matched by path, file name or label.

    Raises
    ------
    InputError
        On a malformed item, an unknown file, or an offset for the first file.
    """
    out: dict[int, float] = {}
    for item in items:
        name, sep, value = str(item).rpartition("=")
        if not sep or not name:
            raise InputError(f"--offset {item}: expected FILE=SECONDS")
        try:
            seconds = float(value)
        except ValueError:
            raise InputError(f"--offset {item}: {value!r} is not a number of seconds") from None
        if not math.isfinite(seconds):
            raise InputError(f"--offset {item}: {value!r} is not a number of seconds")
        resolved = str(Path(name).resolve())
        match = [
            i
            for i, f in enumerate(files)
            if f.path == resolved or f.name == name or f.label == name
        ]
        if not match:
            raise InputError(f"--offset {item}: {name} is not one of the files given")
        if match[0] == 0:
            raise InputError(
                f"--offset {item}: offsets count from the first file ({files[0].name}), "
                "which cannot be placed itself"
            )
        out[match[0]] = seconds
    return out


def shoot_span(files: Sequence[ShootFile], kind: str | None = ANGLE) -> tuple[float, float]:
    """From the first start to the last end among the files (of ``kind``; None: all)."""
    chosen = [f for f in files if kind is None or f.kind == kind]
    return min(f.offset for f in chosen), max(f.end for f in chosen)


def program_rate(files: Sequence[ShootFile]) -> Fraction:
    """The program's frame rate: the rate most angles have (the first angle's on a tie)."""
    rates = [f.video.fps for f in files if f.kind == ANGLE]
    counts = {r: rates.count(r) for r in rates}
    return max(rates, key=lambda r: (counts[r], -rates.index(r)))
