"""``facetrack multicam``: a shoot of several cameras and microphones, synced by their sound,
its people joined across angles, and a program cut to whoever speaks.

Stages: :mod:`~facetrack_otio.multicam.shoot` (the files, synced by
:mod:`~facetrack_otio.multicam.sync`), :mod:`~facetrack_otio.multicam.people` (faces of every
angle on one clock), :mod:`~facetrack_otio.multicam.mics` (who speaks, by microphone),
:mod:`~facetrack_otio.multicam.program` (the cut), :mod:`~facetrack_otio.multicam.analysis`
(all of it in order; :func:`analyse_shoot` below reads, syncs and analyses in one call),
:mod:`~facetrack_otio.multicam.timeline` (the OTIO timeline), its exports
(:mod:`~facetrack_otio.multicam.export`) and :mod:`~facetrack_otio.multicam.render` (the
program as one video); :mod:`~facetrack_otio.multicam.deliverable` hands it all to the delivery
stage.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from facetrack_otio.cache import AnalysisCache
    from facetrack_otio.config import Settings
    from facetrack_otio.multicam.result import MulticamAnalysis


def analyse_shoot(
    paths: Sequence[str | os.PathLike[str]],
    mics: Mapping[str, str | os.PathLike[str]] | None = None,
    offsets: Sequence[str] = (),
    settings: Settings | None = None,
    names: Mapping[int, str] | None = None,
    cache: AnalysisCache | None = None,
    name: str = "shoot",
    hook: Callable[..., None] | None = None,
    synced: Callable[[], Any] | None = None,
) -> MulticamAnalysis:
    """Read, sync and analyse a shoot in one call (what ``facetrack multicam`` does before it
    delivers anything).

    Only the files' sound is needed to sync them: the models' code is imported once they are
    placed, so a caller may import it meanwhile (``synced`` waits for that).

    Parameters
    ----------
    paths : sequence of str or os.PathLike
        Cameras (video) and microphones (audio only).
    mics : mapping of str to path, optional
        Microphones with a name of their own.
    offsets : sequence of str
        ``FILE=SECONDS`` items placing files by hand (seconds after the first file starts).
    settings, names, cache, hook
        As :class:`~facetrack_otio.multicam.analysis.MulticamPipeline`.
    name : str
        The shoot's name.
    synced : callable, optional
        Called once every file is placed, before the analysis starts.

    Returns
    -------
    MulticamAnalysis

    Raises
    ------
    InputError
        A file is not media, or cannot be placed.

    Examples
    --------
    >>> a = analyse_shoot(["cam_wide.mp4", "cam_a.mp4", "mic_a.wav"])
    >>> [(seg.start, seg.end, a.angles[seg.angle].label) for seg in a.program]
    """
    from facetrack_otio.config import Settings
    from facetrack_otio.multicam.shoot import parse_offsets, read_shoot, shoot_audio, sync_shoot

    settings = settings or Settings()
    files = read_shoot([str(p) for p in paths], {k: str(v) for k, v in (mics or {}).items()})
    hand = parse_offsets(offsets, files)
    with shoot_audio(files, settings.audio_stream) as pcms:
        # Sync first: a file that cannot be placed fails before any model runs.
        files = sync_shoot(files, pcms, hand, settings.multicam.sync_confidence)
        if synced is not None:
            synced()
        from facetrack_otio.multicam.analysis import MulticamPipeline

        pipeline = MulticamPipeline(settings, names=names, cache=cache)
        return pipeline(name, files, pcms, hook)
