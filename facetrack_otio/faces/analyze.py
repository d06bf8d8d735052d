"""The face stage: detect, track, describe and name the faces of a whole video.

Frames arrive from an ffmpeg pipe at the analysis size and rate. They are read in chunks; the
detection frames of a chunk (chosen by the re-detection monitor, plus every shot cut) go to
MTCNN together, then the OpenCV tracker carries the faces through the chunk. Each tracklet
keeps a capped reservoir of embeddings; after the pass, tracklets are clustered into people
(see :mod:`facetrack_otio.faces.identity`). Memory is bounded by the chunk, never the video.
"""

from __future__ import annotations

import array
import logging
import queue
import threading
from collections.abc import Callable, Iterator
from fractions import Fraction
from typing import Any

import cv2
import numpy as np
import torch

from facetrack_otio.faces.cascade import Cascade
from facetrack_otio.faces.detections import Detections
from facetrack_otio.faces.embed import Embedder, make_embedder
from facetrack_otio.faces.identity import assign_people
from facetrack_otio.faces.models import mtcnn, pick_device
from facetrack_otio.faces.mouth import mouth_patch, patch_motion
from facetrack_otio.faces.pool import FacePool, face_quality
from facetrack_otio.faces.settings import FaceSettings
from facetrack_otio.faces.tracker import FaceTracker, RedetectMonitor
from facetrack_otio.faces.tracks import FaceTrack, FaceTracks
from facetrack_otio.media.decode import Frame, analysis_rate, analysis_size, iter_frames
from facetrack_otio.media.probe import MediaInfo

log = logging.getLogger(__name__)

Progress = Callable[[int], None]

# Motion check thumbnail: each pixel averages a 10x10 block of a 640x360 analysis frame,
# which also averages away film grain. A block that changes by more than _MOTION_LEVEL gray
# levels counts; _MOTION_PIXELS such blocks outside the tracked faces trigger a detection.
_THUMB = (64, 36)
_MOTION_LEVEL = 12.0
_MOTION_PIXELS = 6

_EMPTY = np.zeros(0, dtype=np.float32)


def _mean_direction(vectors: np.ndarray) -> np.ndarray:
    """L2-normalised mean of the rows of ``vectors`` (empty when there are none)."""
    if not len(vectors):
        return np.zeros(0, dtype=np.float32)
    v = np.mean(np.asarray(vectors, dtype=np.float32), axis=0)
    return (v / max(float(np.linalg.norm(v)), 1e-9)).astype(np.float32)


class _Tracklet:
    """Accumulates one track's observations while the video streams by."""

    def __init__(self, track_id: int, candidates: int) -> None:
        self.id = track_id
        # Per-frame values in packed arrays: a list of small numpy views per frame (each
        # keeping its frame's detections alive) grew a long shot's tracklet by about 0.8 KB a
        # frame, 37 MB over an hour without a cut.
        self.frames = array.array("q")
        self.boxes = array.array("f")  # 4 per frame
        self.landmarks = array.array("f")  # 10 per frame
        self.detected = array.array("b")
        self.confidence = array.array("f")
        self.mouth = array.array("f")
        self.pool = FacePool(candidates)
        self.last_gray: np.ndarray | None = None
        self.last_frame = -2

    def finish(self, embedding: np.ndarray) -> FaceTrack:
        return FaceTrack(
            id=self.id,
            frames=np.array(self.frames, dtype=np.int64),
            boxes=np.array(self.boxes, dtype=np.float32).reshape(-1, 4),
            landmarks=np.array(self.landmarks, dtype=np.float32).reshape(-1, 5, 2),
            detected=np.array(self.detected, dtype=bool),
            confidence=np.array(self.confidence, dtype=np.float32),
            mouth=np.array(self.mouth, dtype=np.float32),
            embedding=embedding,
        )


class FaceAnalyzer:
    """Runs the face stage over a video. Models are built once and reused across videos."""

    def __init__(self, settings: FaceSettings = FaceSettings()) -> None:
        self.settings = settings
        self.device = pick_device(settings.device)
        nets = mtcnn(str(self.device), settings.min_face_size, settings.thresholds)
        self.detector = Cascade(
            nets, settings.min_face_size, settings.thresholds, device=self.device
        )
        self.embedder: Embedder = make_embedder(
            settings.embedder_weights, self.device, settings.embedder
        )
        batch = settings.detect_batch or (1 if self.device.type == "cpu" else 8)
        self.batch = max(1, batch)

    def detect(self, images: list[np.ndarray]) -> list[Detections]:
        """MTCNN on RGB frames at the analysis size (faces scoring ``min_confidence`` or more)."""
        out = []
        for image in images:
            d = self.detector.detect(image)
            out.append(d[np.flatnonzero(d.confidence >= self.settings.min_confidence)])
        return out

    def analyze(
        self,
        info: MediaInfo,
        progress: Progress | None = None,
        frames: Iterator[Frame] | None = None,
    ) -> FaceTracks:
        """Detect, track and identify the faces of ``info``.

        Parameters
        ----------
        info : MediaInfo
            The probed source.
        progress : callable, optional
            Called with the number of analysis frames done since the last call.
        frames : iterator of Frame, optional
            Frames to use instead of decoding ``info`` (they must be at the analysis size and
            rate that :func:`analysis_size` and :func:`analysis_rate` give).
        """
        previous = torch.get_num_threads(), cv2.getNumThreads()
        if self.settings.threads > 0:
            # Intra-op threads fight ffmpeg (decoding in parallel) and each other for the
            # cores: on 2 cores one thread was measured as fast, for less CPU time
            # (docs/performance.md), which leaves the other core to the decoder or another
            # worker.
            torch.set_num_threads(self.settings.threads)
            cv2.setNumThreads(self.settings.threads)
        try:
            return self._analyze(info, progress, frames)
        finally:
            torch.set_num_threads(previous[0])
            cv2.setNumThreads(previous[1])

    def _analyze(
        self, info: MediaInfo, progress: Progress | None, frames: Iterator[Frame] | None
    ) -> FaceTracks:
        s = self.settings
        size = analysis_size(info, s.max_side)
        fps = analysis_rate(info, s.max_fps)
        step = max(1, round(float(info.fps / fps)))
        intervals = tuple(max(1, iv // step) for iv in s.redetect_intervals)
        monitor = RedetectMonitor(intervals, s.monitor_window)  # type: ignore[arg-type]
        tracker = FaceTracker(s.tracker)
        tracker.monitor_hook = monitor
        open_tracklets: dict[int, _Tracklet] = {}
        done: list[FaceTrack] = []
        stats = dict.fromkeys(
            ("detections", "detect_frames", "motion_detects", "cuts", "frames", "embeddings"), 0
        )
        source = (
            frames
            if frames is not None
            else _prefetch(
                iter_frames(info, size, fps, scale_flags=s.scale_flags, deblock=s.deblock),
                s.prefetch,
            )
        )

        last_thumb: np.ndarray | None = None
        next_detect = 0
        last_detect = -(10**9)
        prev_thumb: np.ndarray | None = None
        chunk: list[tuple[Frame, np.ndarray, np.ndarray, bool]] = []
        n = 0
        scale = np.array([_THUMB[0] / size[0], _THUMB[1] / size[1]] * 2, dtype=np.float32)

        def flush() -> None:
            nonlocal next_detect, last_detect, prev_thumb
            # Scheduled detection frames are chosen before tracking so that they can go to
            # MTCNN together; the interval is the monitor's at the start of the chunk.
            chosen: list[int] = []
            nd = next_detect
            for i, (fr, _, _, cut) in enumerate(chunk):
                if cut or fr.index >= nd:
                    chosen.append(i)
                    nd = fr.index + monitor.interval
            results: dict[int, Detections] = {}
            for b in range(0, len(chosen), self.batch):
                idx = chosen[b : b + self.batch]
                for i, d in zip(idx, self.detect([chunk[i][0].image for i in idx])):
                    results[i] = d.clip(*size)
            for i, (fr, gray, thumb, cut) in enumerate(chunk):
                if cut:
                    tracker.reset()
                det = results.get(i)
                if (
                    det is None
                    and prev_thumb is not None
                    and fr.index - last_detect >= s.motion_gap
                    and _untracked_motion(prev_thumb, thumb, tracker.boxes() * scale)
                ):
                    # Something moved where no face is tracked: someone may be coming in.
                    det = self.detect([fr.image])[0].clip(*size)
                    stats["motion_detects"] += 1
                prev_thumb = thumb
                # The template tracker works on the gray frame made above for the cut check.
                faces = tracker.update(gray if s.tracker == "template" else fr.image, det)
                if det is not None:
                    stats["detections"] += len(det)
                    stats["detect_frames"] += 1
                    next_detect = fr.index + monitor.interval
                    last_detect = fr.index
                live = {t.id for t in tracker.tracks}
                self._observe(
                    fr, gray, faces, det is not None, live, open_tracklets, done, fps, stats
                )
            chunk.clear()

        for fr in source:
            n += 1
            gray = cv2.cvtColor(fr.image, cv2.COLOR_RGB2GRAY)
            thumb = cv2.resize(gray, _THUMB, interpolation=cv2.INTER_AREA).astype(np.float32)
            cut = last_thumb is not None and _thumb_change(last_thumb, thumb) > s.cut_threshold
            stats["cuts"] += int(cut)
            last_thumb = thumb
            chunk.append((fr, gray, thumb, cut or fr.index == 0))
            if len(chunk) >= self.batch * monitor.interval:
                flush()
            if progress is not None:
                progress(1)
        if chunk:
            flush()
        done.extend(self._finish(t, fps, stats) for t in open_tracklets.values())
        stats["frames"] = n
        tracks = [t for t in done if t.n_detections > 0 and t.embedding.size]
        tracks.sort(key=lambda t: (int(t.frames[0]), t.id))
        result = FaceTracks(
            fps=fps,
            size=size,
            n_frames=n,
            tracks=tracks,
            embedder=self.embedder.name,
            device=str(self.device),
            stats=stats,
        )
        assign_people(result, s)
        return result

    def _observe(
        self,
        fr: Frame,
        gray: np.ndarray,
        faces: Detections,
        detected: bool,
        live: set[int],
        open_tracklets: dict[int, _Tracklet],
        done: list[FaceTrack],
        fps: Fraction,
        stats: dict[str, Any],
    ) -> None:
        """Record this frame's faces into their tracklets; close tracklets that ended."""
        # A brief tracker miss is not an ending: a tracklet closes when the tracker drops it.
        for tid in [t for t in open_tracklets if t not in live]:
            done.append(self._finish(open_tracklets.pop(tid), fps, stats))
        quality = face_quality(faces) if detected else None
        want: list[int] = []
        for j, tid in enumerate(faces.tracker_id):
            tid = int(tid)
            tl = open_tracklets.get(tid)
            if tl is None:
                tl = open_tracklets[tid] = _Tracklet(tid, self.settings.face_candidates)
            # Both frames are cut at this frame's landmarks: a landmark jump at a new
            # detection must not read as mouth motion.
            consecutive = tl.last_frame == fr.index - 1 and tl.last_gray is not None
            previous = mouth_patch(tl.last_gray, faces.landmarks[j]) if consecutive else None
            tl.mouth.append(patch_motion(previous, mouth_patch(gray, faces.landmarks[j])))
            tl.last_gray, tl.last_frame = gray, fr.index
            tl.frames.append(fr.index)
            tl.boxes.frombytes(np.asarray(faces.xyxy[j], dtype=np.float32).tobytes())
            tl.landmarks.frombytes(np.asarray(faces.landmarks[j], dtype=np.float32).tobytes())
            tl.detected.append(detected)
            tl.confidence.append(float(faces.confidence[j]))
            # Only detected faces are candidates (a tracked box drifts); the crop is made only
            # when the pool would keep it.
            if quality is not None and tl.pool.wants(fr.index, float(quality[j])):
                want.append(j)
        if want:
            for j, crop in zip(want, self.embedder.align(fr.image, faces[want])):
                tl = open_tracklets[int(faces.tracker_id[j])]
                tl.pool.add(fr.index, float(quality[j]), crop)  # type: ignore[index]

    def _finish(self, tl: _Tracklet, fps: Fraction, stats: dict[str, Any]) -> FaceTrack:
        """Describe a few of the tracklet's best faces (more for a longer one), then close it."""
        s = self.settings
        seconds = (tl.frames[-1] - tl.frames[0] + 1) / float(fps) if tl.frames else 0.0
        n = min(s.embeddings_per_tracklet, 1 + int(seconds / max(s.seconds_per_embedding, 1e-3)))
        crops = tl.pool.choose(n)
        stats["embeddings"] += len(crops)
        return tl.finish(_mean_direction(self.embedder.describe(crops)) if crops else _EMPTY)


def _prefetch(frames: Iterator[Frame], depth: int) -> Iterator[Frame]:
    """Decode ahead in a thread, so ffmpeg works while the models run.

    Reading the pipe releases the GIL; at most ``depth`` frames wait in memory. Errors of the
    decoder are raised here, in the consumer.
    """
    if depth <= 0:
        yield from frames
        return
    box: queue.Queue[Any] = queue.Queue(maxsize=depth)
    stop = threading.Event()
    end = object()

    def put(item: Any) -> bool:
        while not stop.is_set():
            try:
                box.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def run() -> None:
        try:
            for fr in frames:
                if not put(fr):
                    break
            put(end)
        except BaseException as exc:
            put(exc)
        finally:
            close = getattr(frames, "close", None)
            if close is not None:
                close()

    worker = threading.Thread(target=run, name="facetrack-decode", daemon=True)
    worker.start()
    try:
        while True:
            item = box.get()
            if item is end:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        worker.join()


def _untracked_motion(prev: np.ndarray, cur: np.ndarray, boxes: np.ndarray) -> bool:
    """True when a patch of the thumbnail changed outside every tracked face box."""
    changed = np.abs(cur - prev) > _MOTION_LEVEL
    for x1, y1, x2, y2 in boxes:
        # Boxes grown by a third: a moving head spills over its face box.
        w, h = (x2 - x1) / 3, (y2 - y1) / 3
        changed[max(0, int(y1 - h)) : int(y2 + h) + 1, max(0, int(x1 - w)) : int(x2 + w) + 1] = (
            False
        )
    return int(changed.sum()) >= _MOTION_PIXELS


def _thumb_change(a: np.ndarray, b: np.ndarray) -> float:
    """0..1 difference between two small gray thumbnails (brightness-normalised)."""
    a = (a - a.mean()) / max(float(a.std()), 1.0)
    b = (b - b.mean()) / max(float(b.std()), 1.0)
    return float(np.mean(np.abs(a - b)) / 2.0)
