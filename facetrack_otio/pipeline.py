"""The whole analysis as one pipeline: video in, speaker turns and a timeline out.

Stages, in order: ``probe`` -> ``faces`` -> ``speech`` -> ``speakers`` -> ``timeline``. A
``hook(step, artifact, **info)`` callback sees each stage's result as it is produced (and
``completed``/``total`` while the face stage runs), for progress bars and intermediates.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import opentimelineio as otio

from facetrack_otio import __version__
from facetrack_otio.cache import AnalysisCache, faces_key
from facetrack_otio.config import Settings, settings_to_dict
from facetrack_otio.faces.analyze import FaceAnalyzer
from facetrack_otio.faces.tracks import FaceTracks
from facetrack_otio.media.audio import decode_audio
from facetrack_otio.media.probe import MediaInfo, probe
from facetrack_otio.speakers.active import visual_windows
from facetrack_otio.speakers.turns import Person, SpeakerTurn, person_order, summarise_person
from facetrack_otio.speakers.voice import attribute_voices
from facetrack_otio.speakers.voice_encoder import VoiceEncoder, voice_encoder_unavailable
from facetrack_otio.speakers.windows import build_turns
from facetrack_otio.speech.segments import SpeechSegment
from facetrack_otio.speech.vad import detect_speech
from facetrack_otio.stamps import stamped_hash
from facetrack_otio.timeline.build import build_timeline

Hook = Callable[..., None]

STAGES = ("probe", "faces", "speech", "speakers", "timeline")


@dataclass
class Analysis:
    """The result of :class:`SpeakerPipeline`: everything the exports and renders need."""

    info: MediaInfo
    people: list[Person]
    turns: list[SpeakerTurn]
    speech: list[SpeechSegment]
    faces: FaceTracks
    settings: Settings
    timings: dict[str, float]
    warnings: list[str] = field(default_factory=list)
    voice_encoder: str = ""
    """The voice encoder that described the voices ("" when voices were not described)."""

    def reframe(self, hz: float | None = None) -> dict[int, np.ndarray]:
        """Person id -> (N, 5) rows ``[t, x1, y1, x2, y2]`` normalised face boxes over time."""
        hz = hz or self.settings.reframe_hz
        step = max(1, round(float(self.faces.fps) / hz))
        w, h = self.faces.size
        out: dict[int, np.ndarray] = {}
        for person in self.faces.people:
            rows = []
            for t in self.faces.person_tracks(person):
                keep = t.frames % step == 0
                times = t.frames[keep] / float(self.faces.fps)
                boxes = t.boxes[keep] / np.array([w, h, w, h], dtype=np.float32)
                rows.append(np.column_stack([times, boxes.clip(0, 1)]))
            if rows:
                arr = np.concatenate(rows)
                out[person] = arr[np.argsort(arr[:, 0], kind="stable")].round(4)
        return out

    def timeline(self) -> otio.schema.Timeline:
        """The speaker timeline (see the contract in docs/architecture.md)."""
        return build_timeline(
            self.info,
            self.turns,
            self.people,
            settings=self.settings.to_dict(),
            reframe=self.reframe(),
            extra=self.summary_metadata(),
        )

    def summary_metadata(self) -> dict[str, Any]:
        return {
            "embedder": self.faces.embedder,
            "voice_encoder": self.voice_encoder or None,
            "device": self.faces.device,
            "timings": {k: round(v, 3) for k, v in self.timings.items()},
            "face_stats": {k: v for k, v in self.faces.stats.items()},
            "speech": [[round(s.start, 3), round(s.end, 3)] for s in self.speech],
            "warnings": list(self.warnings),
            "version": __version__,
        }

    def serialize(self) -> dict[str, Any]:
        """A JSON-ready summary: people, turns, timings (the run's ``--json`` output)."""
        return {
            "source": self.info.to_dict(),
            "people": [p.to_dict() for p in self.people],
            "turns": [t.to_dict() for t in self.turns],
            **self.summary_metadata(),
        }


class SpeakerPipeline:
    """Who speaks when, from a video file.

    Parameters
    ----------
    settings : Settings
        Hyper-parameters of every stage, with measured defaults.
    names : mapping of int to str, optional
        Display names for people by id ("Speaker N" otherwise).

    Examples
    --------
    >>> pipeline = SpeakerPipeline()
    >>> analysis = pipeline("talk.mp4", hook=lambda step, artifact, **kw: print(step))
    >>> timeline = analysis.timeline()
    """

    def __init__(
        self,
        settings: Settings | None = None,
        names: Mapping[int, str] | None = None,
        cache: AnalysisCache | None = None,
    ) -> None:
        self.settings = settings or Settings()
        self.names = dict(names or {})
        self.cache = cache
        self._faces: FaceAnalyzer | None = None
        self._voices: VoiceEncoder | None = None

    def voice_encoder(self, warnings: list[str]) -> VoiceEncoder | None:
        """The voice encoder, built on first use (None, with a warning, when voices are off
        or its weights are missing: the faces alone decide then)."""
        if not self.settings.voice.enabled:
            return None
        if self._voices is None:
            why = voice_encoder_unavailable()
            if why is not None:
                warnings.append(f"{why}: voices are not described, the faces alone decide")
                return None
            self._voices = VoiceEncoder()
        return self._voices

    @property
    def face_analyzer(self) -> FaceAnalyzer:
        """Built on first use, then reused for every video this pipeline sees."""
        if self._faces is None:
            self._faces = FaceAnalyzer(self.settings.faces)
        return self._faces

    def __call__(
        self, source: str | os.PathLike[str] | MediaInfo, hook: Hook | None = None
    ) -> Analysis:
        """Analyse one video.

        Parameters
        ----------
        source : str, os.PathLike or MediaInfo
            The video, or what :func:`~facetrack_otio.media.probe.probe` said of it (a caller
            that probed already saves ffprobe a second start).
        hook : callable, optional
            ``hook(step, artifact, **kw)`` after each stage, and for face-stage progress
            (``completed``/``total``).

        Returns
        -------
        Analysis
        """

        def emit(step: str, artifact: Any = None, **kw: Any) -> None:
            if hook is not None:
                hook(step, artifact, **kw)

        timings: dict[str, float] = {}
        warnings: list[str] = []
        s = self.settings

        t0 = time.perf_counter()
        info = source if isinstance(source, MediaInfo) else probe(source)
        timings["probe"] = time.perf_counter() - t0
        emit("probe", info)

        if info.has_video:
            faces = self._faces_of(info, timings, emit, warnings)
        else:  # audio only: the voices alone decide
            faces = FaceTracks.none(info.fps)
            timings["faces"] = 0.0

        t0 = time.perf_counter()
        # The audio waits in a temporary file, read a block at a time: an hour of it in memory
        # would outweigh everything else a run holds.
        with decode_audio(info, 16000, s.audio_stream) as pcm:
            if info.has_audio:
                speech = detect_speech(pcm, 16000, s.vad)
            else:
                speech = []
                warnings.append("no audio stream: the timeline holds faces only, no speaker turns")
            timings["speech"] = time.perf_counter() - t0
            emit("speech", speech)

            t0 = time.perf_counter()
            windows, overlaps = visual_windows(faces, speech, s.speakers)
            encoder = self.voice_encoder(warnings) if windows else None
            if encoder is not None:
                both = {(w.start, w.end) for w in overlaps}
                voices = attribute_voices(
                    windows,
                    pcm,
                    s.voice,
                    encoder,
                    faces_seen=bool(faces.people),
                    mixed=[(w.start, w.end) in both for w in windows],
                )
                windows = voices.windows
            turns = build_turns(
                windows, overlaps, s.speakers.min_turn, s.speakers.merge_gap, info.duration
            )
        people = self._people(faces, turns)
        timings["speakers"] = time.perf_counter() - t0
        emit("speakers", turns)
        analysis = Analysis(
            info, people, turns, speech, faces, s, timings, warnings,
            voice_encoder=encoder.name if encoder is not None else "",
        )  # fmt: skip
        return analysis

    def face_tracks(
        self, info: MediaInfo, hook: Hook | None = None
    ) -> tuple[FaceTracks, dict[str, float], list[str]]:
        """The face stage of one video: from the cache when it holds it, else the models.

        Parameters
        ----------
        info : MediaInfo
            The probed video.
        hook : callable, optional
            ``hook("faces", artifact, completed=..., total=...)`` while the models run.

        Returns
        -------
        (FaceTracks, dict of str to float, list of str)
            The faces, seconds spent on ``cache``, ``models`` and ``faces``, and warnings.
        """
        timings: dict[str, float] = {}
        warnings: list[str] = []

        def emit(step: str, artifact: Any = None, **kw: Any) -> None:
            if hook is not None:
                hook(step, artifact, **kw)

        return self._faces_of(info, timings, emit, warnings), timings, warnings

    def _faces_of(
        self, info: MediaInfo, timings: dict[str, float], emit: Hook, warnings: list[str]
    ) -> FaceTracks:
        """The face stage's result: from the cache, else by running the models."""
        t0 = time.perf_counter()
        key = None
        faces = None
        if self.cache is not None:
            content, _ = stamped_hash(info.path, self.cache.stamps)
            key = faces_key(content, settings_to_dict(self.settings.faces))
            faces = self.cache.load_faces(key)
        timings["cache"] = time.perf_counter() - t0
        if faces is None:
            t0 = time.perf_counter()
            analyzer = self.face_analyzer
            timings["models"] = time.perf_counter() - t0
            faces = self._analyze_faces(analyzer, info, emit)
            timings["faces"] = time.perf_counter() - t0 - timings["models"]
            if self.cache is not None and key is not None:
                self.cache.save_faces(key, faces)
        else:
            timings["faces"] = 0.0
        emit("faces", faces, completed=faces.n_frames, total=faces.n_frames)
        covered = faces.n_frames / float(faces.fps)
        if info.duration - covered > max(1.0, 2 / float(faces.fps)):
            # Said here as well as while decoding, so a run from the cache says it too.
            warnings.append(
                f"the video decodes to {covered:.2f} s of the {info.duration:.2f} s the file "
                "announces (truncated or damaged); analysed what decodes"
            )
        return faces

    def _analyze_faces(self, analyzer: FaceAnalyzer, info: MediaInfo, emit: Hook) -> FaceTracks:
        total = max(1, int(info.duration * min(float(info.fps), self.settings.faces.max_fps)))
        done = [0]

        def progress(n: int) -> None:
            done[0] += n
            emit("faces", None, completed=done[0], total=total)

        return analyzer.analyze(info, progress=progress)

    def _people(self, faces: FaceTracks, turns: Sequence[SpeakerTurn]) -> list[Person]:
        """Everyone seen, then the voices never seen (and unattributed speech)."""
        people = []
        seen = set(faces.people)
        ids = sorted(seen | {t.speaker for t in turns}, key=person_order)
        for pid in ids:
            screen = faces.screen_time(pid) if pid in seen else 0.0
            people.append(summarise_person(pid, self.names, screen, turns))
        return people
