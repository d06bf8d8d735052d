"""The whole multicam analysis: synced files in, people, turns and a program cut out.

1. **Faces** of every angle, through the same face stage (and analysis cache) as
   ``facetrack run``, with the models built once; then one set of people over all angles
   (:mod:`facetrack_otio.multicam.people`).
2. **Who speaks.** With microphones: each one's wearer's speech, crosstalk rejected, each
   microphone tied to the face that speaks when it does (:mod:`facetrack_otio.multicam.mics`);
   speech the room hears that no microphone claims goes to the people without one, by their
   mouths. Without microphones: the room's speech (the wide's scratch audio) given to whoever's
   mouth moves in the angle that shows them best, then voices, as ``run`` does.
3. **The program cut** (:mod:`facetrack_otio.multicam.program`).
"""

from __future__ import annotations

import dataclasses
import queue
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

from facetrack_otio.cache import AnalysisCache
from facetrack_otio.config import Settings
from facetrack_otio.faces.tracks import FaceTracks
from facetrack_otio.machine import cores
from facetrack_otio.media.audio import PcmFile
from facetrack_otio.multicam import mics as mic_stage
from facetrack_otio.multicam.people import ShootFaces, shoot_faces
from facetrack_otio.multicam.program import WIDE, AngleView, cut_program
from facetrack_otio.multicam.result import MulticamAnalysis
from facetrack_otio.multicam.shoot import (
    ANGLE,
    MIC,
    ShootFile,
    program_rate,
    shoot_span,
)
from facetrack_otio.pipeline import SpeakerPipeline
from facetrack_otio.speakers.active import windows_from_activity
from facetrack_otio.speakers.turns import Person, SpeakerTurn, person_order, summarise_person
from facetrack_otio.speakers.voice import attribute_voices
from facetrack_otio.speakers.windows import Window, build_turns, merge_turns
from facetrack_otio.speech.segments import SpeechSegment

Hook = Callable[..., None]


def _room(angles: Sequence[ShootFile], views: Sequence[AngleView], pcms: Sequence[Any]) -> int:
    """The angle whose audio stands for the room: the wide's, else the clearest (-1: none)."""
    with_audio = [i for i, p in enumerate(pcms) if p is not None and len(p) > 0]
    if not with_audio:
        return -1
    wide = [i for i in with_audio if views[i].kind == WIDE]
    if wide:
        return wide[0]

    def clarity(i: int) -> float:
        level = mic_stage.channel(pcms[i], 0.0, 0.0, max(1, round(len(pcms[i]) / 320)), _VAD)
        finite = level.level[np.isfinite(level.level)]
        return float(np.percentile(finite, 95) - np.percentile(finite, 10)) if finite.size else 0

    return max(with_audio, key=clarity)


_VAD = Settings().vad


def _moved(windows: Sequence[Window], by: float) -> list[Window]:
    """Windows moved by ``by`` seconds (onto another file's clock, or back)."""
    return [
        dataclasses.replace(
            w,
            start=w.start + by,
            end=w.end + by,
            segment=(w.segment[0] + by, w.segment[1] + by),
        )
        for w in windows
    ]


def _minus(
    spans: Sequence[tuple[float, float]], holes: Sequence[tuple[float, float]]
) -> list[tuple[float, float]]:
    """``spans`` with ``holes`` cut out."""
    out: list[tuple[float, float]] = []
    for a, b in spans:
        pieces = [(a, b)]
        for h0, h1 in holes:
            nxt: list[tuple[float, float]] = []
            for x, y in pieces:
                if h1 <= x or h0 >= y:
                    nxt.append((x, y))
                    continue
                if h0 > x:
                    nxt.append((x, h0))
                if h1 < y:
                    nxt.append((h1, y))
            pieces = nxt
        out.extend(pieces)
    return out


class MulticamPipeline:
    """The multicam analysis, with one set of models for every angle.

    Parameters
    ----------
    settings : Settings
        Every setting; ``settings.multicam`` holds the sync, microphone and editing rules.
    names : mapping of int to str, optional
        Display names by person id ("Speaker N" otherwise).
    cache : AnalysisCache, optional
        The face stage's cache (shared with ``facetrack run``).
    """

    def __init__(
        self,
        settings: Settings | None = None,
        names: Mapping[int, str] | None = None,
        cache: AnalysisCache | None = None,
    ) -> None:
        self.settings = settings or Settings()
        self.names = dict(names or {})
        rate = self.settings.multicam.max_fps
        faces = dataclasses.replace(
            self.settings.faces, max_fps=rate or self.settings.faces.max_fps
        )
        # The face stage runs at the multicam analysis rate; everything else as configured.
        self.face_settings = dataclasses.replace(self.settings, faces=faces)
        self.faces_stage = SpeakerPipeline(self.face_settings, cache=cache)

    def __call__(
        self,
        name: str,
        files: Sequence[ShootFile],
        pcms: Sequence[PcmFile | None],
        hook: Hook | None = None,
    ) -> MulticamAnalysis:
        """Analyse a synced shoot.

        Parameters
        ----------
        name : str
            The shoot's name.
        files : sequence of ShootFile
            Every file, placed (:func:`~facetrack_otio.multicam.shoot.sync_shoot`).
        pcms : sequence of PcmFile or None
            Their audio at 16 kHz (:func:`~facetrack_otio.multicam.shoot.shoot_audio`).
        hook : callable, optional
            ``hook(step, artifact, **kw)`` as the single-video pipeline calls it (face-stage
            progress as ``completed``/``total`` over all angles).

        Returns
        -------
        MulticamAnalysis
        """
        s = self.settings
        m = s.multicam
        timings: dict[str, float] = {}
        warnings: list[str] = []
        angles = [f for f in files if f.kind == ANGLE]
        angle_pcms = [p for f, p in zip(files, pcms) if f.kind == ANGLE]
        mic_files = [f for f in files if f.kind == MIC]
        mic_pcms = [p for f, p in zip(files, pcms) if f.kind == MIC]

        faces = self._faces(angles, hook, timings, warnings)
        t0 = time.perf_counter()
        shoot = shoot_faces(angles, faces, s.faces.cluster_similarity)
        timings["people"] = time.perf_counter() - t0
        for a, ft in zip(angles, faces):
            if not ft.people:
                warnings.append(f"{a.label}: no face found; it is on air only as a last resort")

        t0 = time.perf_counter()
        end = max(f.end for f in files)
        n = int(np.ceil(end / mic_stage.HOP)) + 1
        room_index = _room(angles, shoot.views, angle_pcms)
        room = None
        if room_index >= 0:
            room_pcm = angle_pcms[room_index]
            assert room_pcm is not None
            room = mic_stage.channel(room_pcm, angles[room_index].offset, 0.0, n, s.vad)
        speech_spans = mic_stage.segments(room.speech, 0.0, s.vad) if room is not None else []
        wearers: dict[str, int | None] = {}
        voice_encoder = ""
        if mic_files:
            turns, wearers, extra_people = self._mic_turns(
                shoot, mic_files, mic_pcms, room, speech_spans, n
            )
        else:
            turns, voice_encoder = self._room_turns(
                shoot, speech_spans, angles, angle_pcms, room_index, warnings
            )
            extra_people = []
            if room is None:
                warnings.append("no angle has audio: nobody's speech can be found")
        timings["speakers"] = time.perf_counter() - t0

        people = self._people(shoot, turns, extra_people)
        t0 = time.perf_counter()
        fps = program_rate(files)
        program = cut_program(turns, shoot.views, m, span=shoot_span(files), fps=float(fps))
        timings["program"] = time.perf_counter() - t0
        return MulticamAnalysis(
            name=name,
            files=list(files),
            people=people,
            turns=turns,
            speech=[SpeechSegment(a, b) for a, b in speech_spans if b > a],
            program=program,
            views=shoot.views,
            wearers=wearers,
            room=angles[room_index].label if room_index >= 0 else None,
            fps=fps,
            settings=s,
            faces=faces,
            local=shoot.local,
            timings=timings,
            warnings=warnings,
            embedder=faces[0].embedder if faces else "",
            voice_encoder=voice_encoder,
        )

    def _faces(
        self,
        angles: Sequence[ShootFile],
        hook: Hook | None,
        timings: dict[str, float],
        warnings: list[str],
    ) -> list[FaceTracks]:
        """Each angle's face stage, progress summed over the angles."""
        rate = self.face_settings.faces.max_fps
        totals = [max(1, int(a.duration * min(float(a.video.fps), rate))) for a in angles]
        done = [0] * len(angles)

        def progress(i: int) -> Hook:
            def report(step: str, artifact: Any = None, **kw: Any) -> None:
                if hook is not None and "completed" in kw:
                    done[i] = kw["completed"]
                    hook("faces", None, completed=sum(done), total=sum(totals))

            return report

        # Angles side by side, each worker with a face analyzer of its own (the dlib network
        # they share takes one call at a time): on 2 cores, one angle alone leaves the second
        # core half idle while its decoder and its analysis take turns. Timings add up.
        workers = max(1, min(len(angles), cores()))
        pool: queue.Queue[SpeakerPipeline] = queue.Queue()
        pool.put(self.faces_stage)
        for _ in range(workers - 1):
            pool.put(SpeakerPipeline(self.face_settings, cache=self.faces_stage.cache))

        def one(i: int) -> FaceTracks:
            stage = pool.get()
            try:
                faces, t, said = stage.face_tracks(angles[i].video, progress(i))
            finally:
                pool.put(stage)
            with lock:
                for k, v in t.items():
                    timings[k] = timings.get(k, 0.0) + v
                warnings.extend(f"{angles[i].label}: {w}" for w in said)
                done[i] = totals[i]
            return faces

        lock = threading.Lock()
        with ThreadPoolExecutor(workers, thread_name_prefix="facetrack-angle") as ex:
            out = list(ex.map(one, range(len(angles))))
        if hook is not None:
            hook("faces", out, completed=sum(totals), total=sum(totals))
        return out

    def _windows(
        self,
        shoot: ShootFaces,
        spans: Sequence[tuple[float, float]],
        who: Sequence[int] | None = None,
    ) -> tuple[list[Window], list[Window]]:
        """Speech spans decided window by window by the mouths of ``who`` (or everyone),
        on the shoot clock."""
        visible = shoot.visible.copy()
        if who is not None:
            keep = np.zeros(visible.shape[1], dtype=bool)
            keep[list(who)] = True
            visible[:, ~keep] = False
        # The face grid's frame 0 is at shoot time t0: speech is moved onto it and back.
        speech = [
            SpeechSegment(max(a, shoot.t0) - shoot.t0, b - shoot.t0)
            for a, b in spans
            if b > max(a, shoot.t0)
        ]
        windows, overlaps = windows_from_activity(
            visible, shoot.activity, shoot.fps, speech, self.settings.speakers
        )
        return _moved(windows, shoot.t0), _moved(overlaps, shoot.t0)

    def _turns(self, windows: Sequence[Window], overlaps: Sequence[Window]) -> list[SpeakerTurn]:
        s = self.settings.speakers
        return build_turns(windows, overlaps, s.min_turn, s.merge_gap)

    def _room_turns(
        self,
        shoot: ShootFaces,
        spans: Sequence[tuple[float, float]],
        angles: Sequence[ShootFile],
        pcms: Sequence[PcmFile | None],
        room: int,
        warnings: list[str],
    ) -> tuple[list[SpeakerTurn], str]:
        """Without microphones: the room's speech to whoever's mouth moves, then voices, as
        ``facetrack run`` does (returns the turns and what described the voices)."""
        windows, overlaps = self._windows(shoot, spans)
        encoder = self.faces_stage.voice_encoder(warnings) if windows and room >= 0 else None
        if encoder is not None:
            pcm = pcms[room]
            assert pcm is not None
            # Voices listen to the room's own file: windows go onto its clock and back.
            offset = angles[room].offset
            voices = attribute_voices(
                _moved(windows, -offset), pcm, self.settings.voice, encoder, faces_seen=True
            )
            windows = _moved(voices.windows, offset)
        return self._turns(windows, overlaps), encoder.name if encoder is not None else ""

    def _mic_turns(
        self,
        shoot: ShootFaces,
        mic_files: Sequence[ShootFile],
        mic_pcms: Sequence[PcmFile | None],
        room: mic_stage.Channel | None,
        room_spans: Sequence[tuple[float, float]],
        n: int,
    ) -> tuple[list[SpeakerTurn], dict[str, int | None], list[int]]:
        """With microphones: each wearer's speech, and the room's for people without one."""
        s = self.settings
        channels = [
            mic_stage.channel(p, f.offset, 0.0, n, s.vad)
            if p is not None
            else mic_stage.Channel(np.full(n, np.nan, np.float32), np.zeros(n, bool))
            for f, p in zip(mic_files, mic_pcms)
        ]
        active = mic_stage.own_voice(channels, room, s.multicam.mic_margin_db)
        owners, _ = mic_stage.tie_mics(
            active,
            0.0,
            shoot.visible,
            shoot.activity,
            shoot.fps,
            shoot.t0,
            s.multicam.mic_min_correlation,
        )
        # A microphone no face matches: someone no camera shows, a voice of their own
        # ("Off-screen 1", ...), numbered as the speaker stage numbers voices never seen.
        extra: list[int] = []
        ids: list[int] = []
        for owner in owners:
            if owner is None:
                owner = -(len(extra) + 1)
                extra.append(owner)
            ids.append(owner)
        spans = [mic_stage.segments(a, 0.0, s.vad) for a in active]
        turns = mic_stage.mic_turns(spans, ids)
        unmiked = [p for p in shoot.people if p not in ids]
        if unmiked and room_spans:
            # Speech the room hears while no microphone's wearer speaks: someone without one.
            heard = [span for mine in spans for span in mine]
            rest = [(a, b) for a, b in _minus(room_spans, heard) if b - a >= s.vad.min_speech]
            turns += self._turns(*self._windows(shoot, rest, unmiked))
        turns = merge_turns(turns, s.speakers.merge_gap)
        wearers: dict[str, int | None] = {f.label: pid for f, pid in zip(mic_files, ids)}
        return turns, wearers, extra

    def _people(
        self, shoot: ShootFaces, turns: Sequence[SpeakerTurn], extra: Sequence[int]
    ) -> list[Person]:
        out = []
        heard = {t.speaker for t in turns}
        for pid in sorted({*shoot.people, *extra, *heard}, key=person_order):
            seen = 0 < pid < shoot.visible.shape[1]
            screen = float(shoot.visible[:, pid].sum() / shoot.fps) if seen else 0.0
            out.append(summarise_person(pid, self.names, screen, turns))
        return out
