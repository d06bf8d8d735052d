"""What the editor formats need to know about a timeline, for facetrack's and any other.

A facetrack timeline says everything in its metadata (the source's exact rate, start timecode,
size and audio). A timeline made elsewhere (another tool's ``.otio``, an EDL read by OTIO's
``cmx_3600``, an XML read by ``fcp_xml``) says less, and :class:`Sequence` falls back on what
its items and the other tools' metadata hold:

- the rate: facetrack's source rate, else the rate of the first item, recovered as an exact
  rational (29.97 and 29.97002997 both give 30000/1001);
- the record start: the timeline's ``global_start_time``, else the first record timecode that
  OTIO's ``cmx_3600`` reader keeps as a negative start of the track's range, else zero;
- drop-frame timecode (29.97 and 59.94 only): as asked, else as facetrack's source timecode is,
  else as an XML read by ``fcp_xml`` says, else drop-frame when the record start is a whole
  hour in drop-frame counting and not in non-drop (``cmx_3600`` forgets an EDL's ``FCM:``
  line, but an EDL recorded from ``01:00:00;00`` starts at frame 107892), else non-drop, as
  facetrack counts wherever it does not know the media to be drop-frame. Either way every frame
  count stays the same; only the labels differ.

Every time is taken as a whole number of frames at that rate (:meth:`Sequence.frames`), so a
clip at 29.97 next to one at 29.97002997 lands on the same frame however long the timeline is.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import opentimelineio as otio

from facetrack_otio.errors import InputError
from facetrack_otio.timeline.meta import (
    adapter_copy,
    facetrack_md,
    is_drop_frame,
    rate_fraction,
    timeline_fps,
)

# Rates whose SMPTE timecode has a drop-frame form.
DROP_FRAME_RATES = (Fraction(30000, 1001), Fraction(60000, 1001))


def frames_at(t: otio.opentime.RationalTime, fps: Fraction) -> int:
    """``t`` as a whole number of frames at ``fps``.

    Exact for NTSC rates however they were rounded when ``t`` was made: a time at rate 29.97
    counts the same frames at 30000/1001, where a float rescale would drift by a frame every
    million frames (nine hours).
    """
    rate = rate_fraction(t.rate)
    if rate == fps:
        return round(t.value)
    return round(Fraction(t.value) * fps / rate)


def _fcp_xml_drop_frame(timeline: otio.schema.Timeline) -> bool | None:
    # OTIO's fcp_xml reader keeps the sequence's and the files' <timecode> as metadata.
    objects: list[Any] = [timeline]
    objects += [c.media_reference for c in timeline.find_clips() if c.media_reference]
    for obj in objects[:64]:
        tc = (obj.metadata.get("fcp_xml") or {}).get("timecode")
        if isinstance(tc, Mapping) and tc.get("displayformat") in ("DF", "NDF"):
            return tc["displayformat"] == "DF"
    return None


def _record_start(timeline: otio.schema.Timeline, fps: Fraction) -> int:
    if timeline.global_start_time is not None:
        return frames_at(timeline.global_start_time, fps)
    # OTIO's cmx_3600 reader keeps the first record timecode as minus the start of the
    # track's range: an EDL recorded from 01:00:00:00 reads back starting there.
    for track in timeline.video_tracks()[:1]:
        start = track.source_range.start_time if track.source_range is not None else None
        if start is not None and start.value < 0:
            return -frames_at(start, fps)
    return 0


def _drop_frame_hour(start: int, fps: Fraction) -> bool:
    # Sequences start on a whole hour: 01:00:00;00 is frame 107892 at 29.97, 01:00:00:00 108000.
    hour_df = round(otio.opentime.from_timecode("01:00:00;00", float(fps)).value)
    hour_ndf = round(fps) * 3600
    return start > 0 and start % hour_df == 0 and start % hour_ndf != 0


def offline_name(clip: otio.schema.Clip) -> str:
    """A name for the media of a clip that points at no file.

    The reel an EDL gave it (OTIO's ``cmx_3600`` reader keeps it in the clip's metadata),
    else its reference's name, else the clip's name, else ``"offline"``.
    """
    cmx = clip.metadata.get("cmx_3600")
    reel = cmx.get("reel") if hasattr(cmx, "get") else None
    ref = clip.media_reference
    return str(reel or (ref.name if ref is not None else "") or clip.name).strip() or "offline"


def parse_drop_frame(value: Any) -> bool | None:
    """A ``drop_frame`` option: None for automatic, else True or False.

    Parameters
    ----------
    value : bool, str or None
        ``True``/``False``, or ``"auto"``, ``"true"``, ``"yes"``, ``"1"``, ``"df"``,
        ``"false"``, ``"no"``, ``"0"``, ``"ndf"`` as adapter arguments arrive.

    Returns
    -------
    bool or None

    Raises
    ------
    ValueError
        On anything else.
    """
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    text = str(value).strip().lower()
    if text in ("", "auto"):
        return None
    if text in ("1", "true", "yes", "on", "df"):
        return True
    if text in ("0", "false", "no", "off", "ndf"):
        return False
    raise ValueError(f"drop_frame must be auto, true or false, got {value!r}")


@dataclass
class Sequence:
    """A timeline as an editor's sequence: rate, start, timecode format, tracks.

    Attributes
    ----------
    timeline : opentimelineio.schema.Timeline
        The timeline (never changed).
    fps : Fraction
        The exact frame rate.
    start : int
        Record start, in frames: where the sequence's timecode begins.
    drop_frame : bool
        Whether timecode is written drop-frame (only ever at 29.97 and 59.94).
    source : dict
        facetrack's ``source`` metadata (size, audio, start timecode); empty for a timeline
        made elsewhere.
    """

    timeline: otio.schema.Timeline
    fps: Fraction
    start: int
    drop_frame: bool
    source: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, timeline: otio.schema.Timeline, drop_frame: bool | None = None) -> Sequence:
        """The sequence of ``timeline``; ``drop_frame`` None decides as the module says.

        Parameters
        ----------
        timeline : opentimelineio.schema.Timeline
            Any timeline.
        drop_frame : bool, optional
            Force drop-frame (True) or non-drop (False) timecode at 29.97 and 59.94 fps.

        Returns
        -------
        Sequence
        """
        fps = timeline_fps(timeline)
        source = facetrack_md(timeline).get("source") or {}
        start = _record_start(timeline, fps)
        if fps not in DROP_FRAME_RATES:
            drop = False
        elif drop_frame is not None:
            drop = bool(drop_frame)
        elif source:
            drop = is_drop_frame(source.get("start_timecode"), fps)
        else:
            found = _fcp_xml_drop_frame(timeline)
            drop = _drop_frame_hour(start, fps) if found is None else found
        return cls(timeline, fps, start, drop, dict(source))

    @property
    def rate(self) -> float:
        """The rate as OTIO holds it."""
        return float(self.fps)

    @property
    def name(self) -> str:
        """The timeline's name, or ``"Timeline"`` when it has none."""
        return self.timeline.name or "Timeline"

    def tracks(self, kind: str) -> list[otio.schema.Track]:
        """The tracks of one kind (``otio.schema.TrackKind.Video`` or ``Audio``), in order."""
        return [t for t in self.timeline.tracks if t.kind == kind]

    def frames(self, t: otio.opentime.RationalTime) -> int:
        """A time as whole frames at the sequence rate (see :func:`frames_at`)."""
        return frames_at(t, self.fps)

    def time(self, frames: int) -> otio.opentime.RationalTime:
        """Whole frames as an OTIO time at the sequence rate."""
        return otio.opentime.RationalTime(frames, self.rate)

    def items(self, track: otio.schema.Track) -> list[otio.core.Composable]:
        """The clips, gaps and transitions of a track.

        Raises
        ------
        InputError
            On a nested composition (a stack or track inside the track: a compound clip),
            which none of the editor formats is written with here.
        """
        items = list(track)
        for item in items:
            if isinstance(item, otio.core.Composition):
                raise InputError(
                    f"track {track.name!r}: {item.schema_name()} {item.name!r} is a nested "
                    "composition (a compound clip), which facetrack's writers do not write; "
                    "flatten it in the editor first"
                )
        return items

    def _range(self, r: otio.opentime.TimeRange) -> otio.opentime.TimeRange:
        return otio.opentime.TimeRange(
            self.time(self.frames(r.start_time)), self.time(self.frames(r.duration))
        )

    def copy_track(self, track: otio.schema.Track) -> otio.schema.Track:
        """A copy of ``track`` for another tool's writer: conformed, without facetrack's metadata.

        Every item's range, every transition's offsets, every marker's range and every media
        reference's available range becomes whole frames at the sequence rate, so the writer
        sees one rate. A track's own trim (``source_range``) is left out: tracks are written
        whole.

        Parameters
        ----------
        track : opentimelineio.schema.Track
            A track of the timeline (left unchanged).

        Returns
        -------
        opentimelineio.schema.Track
        """
        self.items(track)
        out = adapter_copy(track)
        out.source_range = None
        for marker in out.markers:
            marker.marked_range = self._range(marker.marked_range)
        for item in out:
            if isinstance(item, otio.schema.Transition):
                item.in_offset = self.time(self.frames(item.in_offset))
                item.out_offset = self.time(self.frames(item.out_offset))
                continue
            if item.source_range is not None:
                item.source_range = self._range(item.source_range)
            for marker in item.markers:
                marker.marked_range = self._range(marker.marked_range)
            if isinstance(item, otio.schema.Clip):
                for ref in item.media_references().values():  # the copy's own
                    if ref.available_range is not None:
                        ref.available_range = self._range(ref.available_range)
        return out
