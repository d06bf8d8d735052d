"""CMX 3600 EDLs: ``STEM.edl`` (the program) and ``STEM.<label>.edl`` per speaker.

An EDL holds one video track and no metadata, so the program and each speaker's track get a
file of their own (named with :attr:`Person.label`, e.g. ``talk.speaker-2.edl``; another
timeline's extra video tracks ``track-2`` ...; :func:`to_string` writes the one asked for).
Written by OTIO's ``cmx_3600`` adapter at the timeline's exact rate, from a copy whose times
are whole frames of it (:class:`~facetrack_otio.exports.sequence.Sequence`: any timeline
works), then:

- timecodes are drop-frame only when the source's start timecode is (the adapter makes every
  29.97 EDL drop-frame; ``Sequence`` says how other timelines decide), and an ``FCM:`` line
  says which;
- record timecodes start at the timeline's start (the source's start timecode when it has
  one), as the ``.otio``, FCPXML and FCP7 XML sequences do.

Read one back with ``otio.adapters.read_from_file(path, rate=...)``: EDLs do not carry their
rate and OTIO assumes 24 fps otherwise.
"""

from __future__ import annotations

import math
import os
import re
from fractions import Fraction
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import opentimelineio as otio

from facetrack_otio.errors import InputError
from facetrack_otio.exports.sequence import Sequence
from facetrack_otio.fsutil import atomic_write_text
from facetrack_otio.speakers.turns import Person
from facetrack_otio.text import display_name
from facetrack_otio.timeline.meta import ROLE_PROGRAM, ROLE_SPEAKER, facetrack_md

SUFFIX = ".edl"

_TC = r"\d{2}:\d{2}:\d{2}[:;]\d{2}"
# NNN  REEL  CHANNEL  C|D nnn  SRC_IN SRC_OUT REC_IN REC_OUT
_EVENT_RE = re.compile(
    rf"^(?P<head>\d{{3,}}\s+.+?\s+)(?P<si>{_TC})(?P<s1>\s+)(?P<so>{_TC})(?P<s2>\s+)"
    rf"(?P<ri>{_TC})(?P<s3>\s+)(?P<ro>{_TC})(?P<tail>\s*)$"
)
_LOC_RE = re.compile(rf"^(?P<head>\*\s*LOC:\s+)(?P<tc>{_TC})(?P<tail>.*)$")


class _Timecodes:
    """Re-renders the adapter's timecodes: drop-frame or not, record shifted by the start."""

    def __init__(self, fps: Fraction, drop: bool, record_start: int) -> None:
        self.rate = float(fps)
        self.drop = drop
        self.record_start = record_start

    def frames(self, tc: str) -> int:
        return round(otio.opentime.from_timecode(tc, self.rate).value)

    def render(self, frames: int) -> str:
        return otio.opentime.to_timecode(
            otio.opentime.RationalTime(frames, self.rate), self.rate, self.drop
        )

    def line(self, line: str) -> str:
        m = _EVENT_RE.match(line)
        if m:
            src = [self.render(self.frames(m[k])) for k in ("si", "so")]
            rec = [self.render(self.frames(m[k]) + self.record_start) for k in ("ri", "ro")]
            return (
                f"{m['head']}{src[0]}{m['s1']}{src[1]}{m['s2']}{rec[0]}{m['s3']}{rec[1]}{m['tail']}"
            )
        m = _LOC_RE.match(line)
        if m:
            return f"{m['head']}{self.render(self.frames(m['tc']))}{m['tail']}"
        return line


def reel_name(file_name: str) -> str:
    """A reel name for a file: letters, digits and underscores of its stem, at most 8."""
    stem = Path(file_name).stem
    return re.sub(r"[^A-Za-z0-9_]", "", stem)[:8] or "AX"


def _name_source(clip: otio.schema.Clip) -> None:
    """Give the adapter a reel without spaces and a ``SOURCE FILE`` comment to relink by."""
    url = getattr(clip.media_reference, "target_url", None)
    if not url:
        return
    file_name = clip.media_reference.name or Path(unquote(urlparse(url).path)).name
    cmx = clip.metadata.setdefault("cmx_3600", {})
    cmx["reel"] = reel_name(file_name)
    cmx["comments"] = [f"SOURCE FILE: {file_name}"]


def track_edl(
    timeline: otio.schema.Timeline,
    track: otio.schema.Track,
    title: str | None = None,
    drop_frame: bool | None = None,
) -> str:
    """One video track of ``timeline`` as CMX 3600 text.

    Parameters
    ----------
    timeline : opentimelineio.schema.Timeline
        The timeline the track belongs to (for its rate, record start and timecode format).
    track : opentimelineio.schema.Track
        The video track to write (left unchanged: the adapter works on a copy).
    title : str, optional
        The EDL's ``TITLE:``; the timeline's name by default.
    drop_frame : bool, optional
        Drop-frame (True) or non-drop (False) timecode at 29.97 and 59.94 fps; by default as
        the source's timecode is (see :class:`~facetrack_otio.exports.sequence.Sequence`).

    Returns
    -------
    str

    Raises
    ------
    InputError
        When the rate has no SMPTE timecode (e.g. 12.5 fps), or the track holds what CMX 3600
        cannot (a nested composition, a transition at its very start).
    """
    seq = Sequence.of(timeline, drop_frame)
    # One line: a line break in the name (a file name can hold one) would end the TITLE.
    single = otio.schema.Timeline(name=display_name(title or seq.name))
    single.tracks.append(seq.copy_track(track))  # the adapter edits what it writes
    for clip in single.find_clips():
        _name_source(clip)
    try:
        raw = otio.adapters.write_to_string(single, adapter_name="cmx_3600", rate=seq.rate)
        fix = _Timecodes(seq.fps, seq.drop_frame, seq.start)
        lines = [fix.line(line) for line in raw.splitlines()]
    except ValueError as exc:
        raise InputError(f"cannot write an EDL at {seq.rate:g} fps: {exc}") from exc
    except otio.exceptions.OTIOError as exc:
        raise InputError(f"track {track.name!r}: cannot write an EDL: {exc}") from exc

    fcm = "FCM: DROP FRAME" if seq.drop_frame else "FCM: NON-DROP FRAME"
    if lines and lines[0].startswith("TITLE:"):
        lines.insert(1, fcm)
    else:
        lines.insert(0, fcm)
    return "\n".join(lines).rstrip("\n") + "\n"


def _track_label(track: otio.schema.Track, index: int) -> str:
    md = facetrack_md(track)
    if md.get("role") == ROLE_SPEAKER and "speaker" in md:
        return Person(int(md["speaker"]), track.name).label
    return f"track-{index + 1}"


def _video_tracks(timeline: otio.schema.Timeline) -> list[otio.schema.Track]:
    video = [t for t in timeline.tracks if t.kind == otio.schema.TrackKind.Video]
    if not video:
        raise InputError(f"timeline {timeline.name!r} has no video track to export")
    return video


def program_index(video: list[otio.schema.Track]) -> int:
    """The video track an EDL holds by default: facetrack's program (the top track of a
    multicam timeline), else the first."""
    roles = [facetrack_md(t).get("role") for t in video]
    return roles.index(ROLE_PROGRAM) if ROLE_PROGRAM in roles else 0


def _title(timeline: otio.schema.Timeline, video: list[otio.schema.Track], index: int) -> str:
    name = timeline.name or "Timeline"
    return name if index == program_index(video) else f"{name} {video[index].name}".rstrip()


def pick_track(timeline: otio.schema.Timeline, track: int | str | None = None) -> int:
    """Which video track an EDL of ``timeline`` holds, as an index into its video tracks.

    Parameters
    ----------
    timeline : opentimelineio.schema.Timeline
        Any timeline.
    track : int or str, optional
        The video track's number, counting from 1 (``V1`` and ``"1"`` too), or its name;
        by default facetrack's program track, else the first video track.

    Returns
    -------
    int

    Raises
    ------
    InputError
        When the timeline has no video track, or none is numbered or named so.
    """
    video = _video_tracks(timeline)
    if track is None or str(track).strip() == "":
        return program_index(video)
    key = str(track).strip()
    number = key[1:] if key[:1] in "Vv" and key[1:].isdigit() else key
    if number.isdigit() and 1 <= int(number) <= len(video):
        return int(number) - 1
    for i, t in enumerate(video):
        if t.name == key:
            return i
    names = ", ".join(f"{i} ({t.name!r})" if t.name else str(i) for i, t in enumerate(video, 1))
    raise InputError(f"no video track {track!r} to write as an EDL (the video tracks: {names})")


def to_string(
    timeline: otio.schema.Timeline,
    track: int | str | None = None,
    drop_frame: bool | None = None,
) -> str:
    """One video track of ``timeline`` as CMX 3600 text: the program by default.

    An EDL holds one video track; :func:`write` writes one file per track, this the one
    asked for (see :func:`pick_track`), titled like :func:`write` titles it.

    Parameters
    ----------
    timeline : opentimelineio.schema.Timeline
        Any timeline (left unchanged).
    track : int or str, optional
        The video track's number (from 1) or name.
    drop_frame : bool, optional
        As for :func:`track_edl`.

    Returns
    -------
    str

    Raises
    ------
    InputError
        As :func:`pick_track` and :func:`track_edl` do.
    """
    video = _video_tracks(timeline)
    index = pick_track(timeline, track)
    return track_edl(timeline, video[index], _title(timeline, video, index), drop_frame)


def timecode_rate(rate: Any) -> float:
    """An EDL's rate as SMPTE timecode counts it: ``29.97`` (as people write it) is
    30000/1001, ``23.976`` 24000/1001, ``59.94`` 60000/1001; a standard rate stays.

    Raises
    ------
    InputError
        On a rate that is not a number, or that no timecode counts at.
    """
    try:
        value = float(rate)
    except (TypeError, ValueError):
        raise InputError(f"EDL rate {rate!r} is not a number") from None
    nearest = otio.opentime.RationalTime.nearest_valid_timecode_rate(value)
    if not math.isfinite(value) or abs(nearest - value) > 0.01:
        raise InputError(f"EDL rate {rate!r}: SMPTE timecode has no such rate")
    return nearest


def read_text(text: str, rate: Any = 24, **options: Any) -> otio.schema.Timeline:
    """An EDL read by OTIO's ``cmx_3600`` reader at the exact timecode rate of ``rate``.

    OTIO refuses timecode at 29.97 as written (only 29.97002997... counts), so ``rate=29.97``
    failed there; here it reads at 30000/1001. ``options`` go to the reader as they are
    (``ignore_timecode_mismatch``).
    """
    return otio.adapters.read_from_string(
        text, adapter_name="cmx_3600", rate=timecode_rate(rate), **options
    )


def write(timeline: otio.schema.Timeline, outdir: str | os.PathLike[str], stem: str) -> list[Path]:
    """Write ``STEM.edl`` (first video track) and ``STEM.<label>.edl`` per other video track.

    Parameters
    ----------
    timeline : opentimelineio.schema.Timeline
        The timeline to export (left unchanged).
    outdir : str or os.PathLike
        Output folder (created when missing).
    stem : str
        File name without suffix.

    Returns
    -------
    list of pathlib.Path
        The files written, program first.

    Raises
    ------
    InputError
        When the timeline has no video track, or its rate has no SMPTE timecode.
    """
    video = _video_tracks(timeline)
    outdir = Path(outdir)
    jobs = [(outdir / f"{stem}{SUFFIX}", 0)]
    for i, track in enumerate(video[1:], 1):
        jobs.append((outdir / f"{stem}.{_track_label(track, i)}{SUFFIX}", i))
    texts = [(path, track_edl(timeline, video[i], _title(timeline, video, i))) for path, i in jobs]
    for path, text in texts:  # all rendered before any is written
        atomic_write_text(path, text)
    return [path for path, _ in texts]
