"""Render from a facetrack timeline: its turns, people, source and face keyframes."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping, Sequence

import numpy as np
import opentimelineio as otio

from facetrack_otio.render.clips import RenderReport, RenderSettings, render_turns
from facetrack_otio.timeline.meta import NAMESPACE, ROLE_PROGRAM, ROLE_SPEAKER
from facetrack_otio.timeline.read import SpeakerTimeline, speaker_data


def reframe_keyframes(timeline: otio.schema.Timeline) -> dict[int, np.ndarray]:
    """Every face keyframe a timeline's clips hold, per person.

    Parameters
    ----------
    timeline : opentimelineio.schema.Timeline
        A facetrack timeline: its speaker (and program) clips carry
        ``metadata["facetrack"]["reframe"]`` rows ``[t, x1, y1, x2, y2]``.

    Returns
    -------
    dict of int to ndarray
        Person id to an (N, 5) array sorted by time, each time once. The timeline keeps boxes
        only while a person speaks (and one sample either side), so that is what is known.
    """
    rows: dict[int, list[list[float]]] = {}
    for track in timeline.tracks:
        track_md = track.metadata.get(NAMESPACE)
        role = track_md.get("role") if isinstance(track_md, Mapping) else None
        if role not in (ROLE_SPEAKER, ROLE_PROGRAM):
            continue
        for clip in track.find_clips():
            md = clip.metadata.get(NAMESPACE)
            speaker = md.get("speaker") if isinstance(md, Mapping) else None
            if speaker is None:
                continue
            keyframes = md.get("reframe")
            # OTIO hands lists back as its own AnyVector: a Sequence, not a list.
            if not isinstance(keyframes, Sequence) or isinstance(keyframes, str):
                keyframes = []
            for row in keyframes:
                try:
                    pid, values = int(speaker), [float(v) for v in row[:5]]
                except (TypeError, ValueError):
                    continue  # a damaged keyframe: no box known there
                if len(values) == 5:
                    rows.setdefault(pid, []).append(values)
    out: dict[int, np.ndarray] = {}
    for pid, r in rows.items():
        a = np.asarray(r, float)
        a = a[np.isfinite(a).all(axis=1)]
        a = a[np.argsort(a[:, 0], kind="stable")]
        # The same samples sit on program and speaker clips: keep each time once.
        out[pid] = a[np.concatenate([[True], np.diff(a[:, 0]) > 0])]
    return out


def render_settings_for(data: SpeakerTimeline, settings: RenderSettings) -> RenderSettings:
    """``settings`` with the audio stream the timeline's analysis listened to."""
    stream = data.settings.get("audio_stream", 0)
    if isinstance(stream, int) and stream in data.info.audio_streams:
        return dataclasses.replace(settings, audio_stream=stream)
    return settings


def render_timeline(
    timeline: otio.schema.Timeline,
    outdir: str | os.PathLike[str],
    settings: RenderSettings | None = None,
    progress: bool = True,
) -> RenderReport:
    """Render the clips of a facetrack timeline (see :func:`render_turns`).

    Parameters
    ----------
    timeline : opentimelineio.schema.Timeline
        A timeline made by facetrack.
    outdir : str or os.PathLike
        Folder for the clips.
    settings : RenderSettings, optional
        What and how to render; the audio stream is the one the analysis listened to.
    progress : bool
        Show a progress bar on stderr.

    Returns
    -------
    RenderReport

    Raises
    ------
    InputError
        When the timeline is not facetrack's.
    MediaError
        When its source is missing.
    """
    data = speaker_data(timeline)
    settings = render_settings_for(data, settings or RenderSettings())
    return render_turns(
        data.info,
        data.turns,
        data.people,
        outdir,
        settings,
        progress=progress,
        reframe=reframe_keyframes(timeline),
    )
