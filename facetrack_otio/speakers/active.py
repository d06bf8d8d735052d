"""Active speaker: who of the visible people speaks during each stretch of speech.

Speech segments are cut into short windows. In each window:

- nobody visible: the speech is off-screen (person 0, cue ``off-screen``);
- one person visible: they speak (cue ``single-face``);
- several visible: the one whose mouth region moves most relative to their own usual level
  speaks (cue ``mouth-motion``); the margin over the runner-up gives the confidence.

Window decisions are then joined into turns (:mod:`facetrack_otio.speakers.windows`): runs of
one speaker become a turn, a run shorter than ``min_turn`` is absorbed by its neighbours, and
turns of one speaker separated by less than ``merge_gap`` are joined. The voice stage
(:mod:`facetrack_otio.speakers.voice`) looks at the windows again before that.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from facetrack_otio.faces.tracks import FaceTracks
from facetrack_otio.speakers.settings import SpeakerSettings
from facetrack_otio.speakers.turns import OFF_SCREEN_ID, SpeakerTurn
from facetrack_otio.speakers.windows import Window, build_turns, split_speech
from facetrack_otio.speech.segments import SpeechSegment

# Mouth motion below this (contrast-normalised units) is noise on a still mouth.
_MOTION_FLOOR = 0.05


# Activity (relative to the face's usual level) under which a lone face counts as silent.
_STILL = 0.0


def mouth_activity(tracks: FaceTracks) -> tuple[np.ndarray, np.ndarray]:
    """Per-frame visibility and mouth motion above rest, per person.

    Returns
    -------
    visible : np.ndarray
        (n_frames, P+1) bool, column p for person p.
    activity : np.ndarray
        (n_frames, P+1) float: mouth motion relative to that person's typical level
        (``motion / median - 1``), NaN where unknown. Relative, because faces differ in how
        much their mouth region moves at rest (beard, grain, head motion, compression).
    """
    visible = tracks.visible()
    activity = np.full(visible.shape, np.nan, dtype=np.float32)
    for t in tracks.tracks:
        if t.person <= 0:
            continue
        ok = t.frames < tracks.n_frames
        activity[t.frames[ok], t.person] = t.mouth[ok]
    for p in range(1, visible.shape[1]):
        col = activity[:, p]
        known = col[np.isfinite(col)]
        if known.size:
            # The floor keeps a face whose mouth never moves from turning noise into motion.
            activity[:, p] = col / max(float(np.median(known)), _MOTION_FLOOR) - 1.0
    return visible, activity


def _mean_activity(activity: np.ndarray, f0: int, f1: int, person: int) -> float:
    col = activity[f0:f1, person]
    col = col[np.isfinite(col)]
    return float(col.mean()) if col.size else float("nan")


def _decide(
    visible: np.ndarray, activity: np.ndarray, f0: int, f1: int, settings: SpeakerSettings
) -> tuple[int, float, str, int | None, tuple[int, ...], tuple[float, ...]]:
    """Speaker, confidence, cue, an overlapping second speaker, the people on screen and their
    mouth activity, for frames ``f0:f1``."""
    seen = visible[f0:f1].mean(axis=0) if f1 > f0 else np.zeros(visible.shape[1])
    candidates = [p for p in range(1, visible.shape[1]) if seen[p] >= 0.5]
    shown = tuple(candidates)
    levels = tuple(_mean_activity(activity, f0, f1, p) for p in candidates)
    if not candidates:
        return OFF_SCREEN_ID, 0.5, "off-screen", None, shown, levels
    if len(candidates) == 1:
        # The only face speaks, unless its mouth stays still: then the speech may be someone
        # out of view, and the low confidence lets the voice stage look again.
        still = bool(np.isfinite(levels[0])) and levels[0] < _STILL
        return candidates[0], 0.6 if still else 0.9, "single-face", None, shown, levels
    scores = [0.0 if np.isnan(v) else v for v in levels]
    order = np.argsort(scores)[::-1]
    best, second = scores[order[0]], scores[order[1]]
    margin = (best - second) / (abs(best) + abs(second) + 1e-6)
    confidence = float(np.clip(0.5 + 0.5 * margin, 0.5, 1.0))
    # Two mouths both moving hard at once: both are talking (overlapping speech).
    both = second >= settings.overlap_activity and second >= settings.overlap_ratio * best
    other = candidates[int(order[1])] if both else None
    return candidates[int(order[0])], confidence, "mouth-motion", other, shown, levels


def visual_windows(
    tracks: FaceTracks,
    speech: Sequence[SpeechSegment],
    settings: SpeakerSettings = SpeakerSettings(),
) -> tuple[list[Window], list[Window]]:
    """Decide each window of speech from the faces alone.

    Returns
    -------
    windows : list of Window
        One per ``settings.window`` seconds of speech, with who is on screen.
    overlaps : list of Window
        Second speakers: windows where another mouth moves hard too.
    """
    visible, activity = mouth_activity(tracks)
    return windows_from_activity(visible, activity, float(tracks.fps), speech, settings)


def windows_from_activity(
    visible: np.ndarray,
    activity: np.ndarray,
    fps: float,
    speech: Sequence[SpeechSegment],
    settings: SpeakerSettings = SpeakerSettings(),
) -> tuple[list[Window], list[Window]]:
    """:func:`visual_windows` from visibility and mouth-activity arrays made another way (the
    multicam stage joins the faces of several angles on one clock first).

    Parameters
    ----------
    visible, activity : numpy.ndarray
        (n_frames, P+1), as :func:`mouth_activity` gives them; frame 0 at time 0 of ``speech``.
    fps : float
        Their frames per second.
    speech, settings
        As :func:`visual_windows`.
    """
    n_frames = len(visible)
    windows: list[Window] = []
    overlaps: list[Window] = []
    for a, b, segment in split_speech(speech, settings.window):
        f0 = int(np.floor(a * fps))
        f1 = max(f0 + 1, int(np.ceil(b * fps)))
        f0, f1 = min(f0, n_frames), min(f1, n_frames)
        speaker, conf, cue, other, shown, levels = _decide(visible, activity, f0, f1, settings)
        windows.append(Window(a, b, speaker, conf, cue, shown, segment, levels))
        if other is not None:
            overlaps.append(Window(a, b, other, 0.6, "mouth-motion", shown, segment, levels))
    return windows, overlaps


def assign_speakers(
    tracks: FaceTracks,
    speech: Sequence[SpeechSegment],
    settings: SpeakerSettings = SpeakerSettings(),
    duration: float | None = None,
) -> list[SpeakerTurn]:
    """Turn speech segments and face tracks into speaker turns, from the faces alone.

    Parameters
    ----------
    tracks : FaceTracks
        The face stage's output (people, per-frame boxes, mouth motion).
    speech : sequence of SpeechSegment
        Where someone speaks.
    settings : SpeakerSettings
        Window length and smoothing.
    duration : float, optional
        Source duration; turns are clipped to it.

    Returns
    -------
    list of SpeakerTurn
        Sorted by start.
    """
    windows, overlaps = visual_windows(tracks, speech, settings)
    return build_turns(windows, overlaps, settings.min_turn, settings.merge_gap, duration)
