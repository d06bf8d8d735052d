"""Every tunable of the pipeline, with its default, in one place.

Defaults were chosen by measurement on the bundled samples (see docs/performance.md and
docs/accuracy.md). Each stage takes its own part: ``settings.faces``, ``settings.speakers``...
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields, is_dataclass, replace
from typing import Any

from facetrack_otio.multicam.settings import MulticamSettings
from facetrack_otio.render.clips import RenderSettings
from facetrack_otio.speakers.voice import VoiceSettings
from facetrack_otio.speech.vad import VadSettings


@dataclass(frozen=True)
class FaceSettings:
    """Face detection, tracking and identity."""

    device: str = "auto"
    """"auto" (CUDA, then MPS, then CPU) or a torch device name."""
    max_side: int = 640
    """Analysis frames are scaled so their longer side is at most this many pixels."""
    max_fps: float = 12.5
    """Analysis rate: the source rate divided by the smallest whole step that reaches this."""
    scale_flags: str = "fast_bilinear"
    """ffmpeg scaler used to make analysis frames (fast_bilinear is ~2x bicubic's speed)."""
    deblock: bool = False
    """Run the codec's deblocking filter on analysis frames. Off saves 8-22% of the decoder's
    CPU; at the analysis size the frames stay within 42-62 dB PSNR of exact ones and the
    samples' detections are unchanged. On for heavily compressed sources."""
    min_face_size: int = 32
    """Smallest face MTCNN looks for, in analysis pixels."""
    thresholds: tuple[float, float, float] = (0.6, 0.7, 0.7)
    """MTCNN P/R/O-net thresholds."""
    min_confidence: float = 0.92
    """Detections below this score are ignored."""
    detect_batch: int = 0
    """Detection frames gathered per chunk before tracking; 0 chooses (1 on CPU, where
    batching gains nothing)."""
    threads: int = 1
    """Torch and OpenCV threads during the face stage (restored after); 0 leaves their
    settings. On 2 cores with ffmpeg decoding beside it, 1 thread was as fast for less CPU
    time (docs/performance.md)."""
    prefetch: int = 48
    """Analysis frames decoded ahead in a background thread (0: decode on demand). Frames
    between two detections are tracked together, up to 40 at 25 fps; a queue that holds them
    keeps the decoder working meanwhile (~0.7 MB a frame at 640x360)."""
    tracker: str = "template"
    """Tracker between detections: template (gray normalised cross-correlation, the fastest
    and steadiest measured here), mosse, kcf, csrt, or none."""
    redetect_intervals: tuple[int, int, int, int] = (80, 40, 20, 10)
    """Source frames between detections at tracker success >=95%, >=80%, >=60%, below."""
    monitor_window: int = 20
    """Tracker updates over which the success rate is measured."""
    motion_gap: int = 4
    """Analysis frames at least between two detections triggered by motion where no face is
    tracked (someone coming in is found within a few frames, not at the next scheduled one)."""
    cut_threshold: float = 0.35
    """Thumbnail difference (0..1) above which a shot cut is assumed (forces a detection)."""
    embedder: str = "auto"
    """Face descriptor: auto (VGGFace2 when its weights file is given, else dlib's face ResNet),
    dlib, vggface2 or lbp (a last resort: it may split or merge people)."""
    embedder_weights: str | None = None
    """InceptionResnetV1 VGGFace2 weights file; None looks in $FACETRACK_EMBEDDER_WEIGHTS."""
    embeddings_per_tracklet: int = 3
    """Descriptors made per tracklet at most: the best-quality faces, spread over its length
    (a trained descriptor costs ~0.1 s on one core; their mean describes the tracklet)."""
    seconds_per_embedding: float = 8.0
    """A tracklet gets one descriptor, plus one for every this many seconds it lasts, up to
    ``embeddings_per_tracklet``."""
    face_candidates: int = 8
    """Aligned face crops kept per open tracklet to choose the described ones from (the best
    of each stretch of its length)."""
    cluster_similarity: float = 0.0
    """Cosine similarity to join tracklets into one person; 0 uses the embedder's default."""
    min_person_seconds: float = 1.0
    """People seen for less than this are dropped as false detections."""

    def __post_init__(self) -> None:
        check_numbers(self)
        _at_least(self, "max_fps", 0, inclusive=False)
        _at_least(self, "min_face_size", 12)  # MTCNN's smallest window
        # Below twice the smallest face, no face fits in the analysis frame.
        _at_least(self, "max_side", max(64, 2 * self.min_face_size))
        for name in ("detect_batch", "threads", "motion_gap", "min_person_seconds"):
            _at_least(self, name, 0)
        _at_least(self, "monitor_window", 1)
        # Descriptors and face crops kept per tracklet: beyond these, memory and time only.
        for name in ("embeddings_per_tracklet", "face_candidates"):
            _within(self, name, 1, 1000)
        _at_least(self, "seconds_per_embedding", 0, inclusive=False)
        # Frames queued ahead, ~0.7 MB each at 640x360: beyond this, memory, not speed.
        _within(self, "prefetch", 0, 1000)
        for name in ("min_confidence", "cut_threshold"):
            _within(self, name, 0, 1)
        _within(self, "cluster_similarity", -1, 1)
        if len(self.thresholds) != 3 or not all(0 <= t <= 1 for t in self.thresholds):
            raise ValueError(f"thresholds must be three numbers in 0..1, got {self.thresholds}")
        if len(self.redetect_intervals) != 4 or min(self.redetect_intervals) < 1:
            raise ValueError(
                f"redetect_intervals must be four whole numbers >= 1, got {self.redetect_intervals}"
            )
        if (self.tracker, self.embedder) == ("template", "auto"):
            return  # the defaults: no need to load the lists of choices
        from facetrack_otio.cli.common import EMBEDDER_CHOICES, TRACKER_CHOICES

        for name, choices in (("tracker", TRACKER_CHOICES), ("embedder", EMBEDDER_CHOICES)):
            if getattr(self, name) not in choices:
                raise ValueError(
                    f"{name} must be one of {', '.join(choices)}, got {getattr(self, name)!r}"
                )


@dataclass(frozen=True)
class SpeakerSettings:
    """Fusion of faces and speech into speaker turns."""

    window: float = 0.5
    """Seconds per decision window inside a speech segment."""
    min_turn: float = 0.3
    """Turns shorter than this are merged into their neighbours."""
    merge_gap: float = 0.6
    """Turns of the same speaker separated by less than this are joined."""
    overlap_activity: float = 2.0
    """A second mouth moving at least this much (relative to its usual level) while another
    person speaks makes an overlapping turn..."""
    overlap_ratio: float = 0.5
    """...when it moves at least this fraction as much as the main speaker's."""

    def __post_init__(self) -> None:
        check_numbers(self)
        # A speech segment is cut into windows of this length: a tiny one means endless work.
        _within(self, "window", 0.05, 60)
        for name in ("min_turn", "merge_gap", "overlap_activity", "overlap_ratio"):
            _at_least(self, name, 0)


@dataclass(frozen=True)
class Settings:
    """Every analysis setting, grouped by stage."""

    faces: FaceSettings = field(default_factory=FaceSettings)
    vad: VadSettings = field(default_factory=VadSettings)
    speakers: SpeakerSettings = field(default_factory=SpeakerSettings)
    voice: VoiceSettings = field(default_factory=VoiceSettings)
    audio_stream: int = 0
    """Which audio stream to listen to (0 = the first)."""
    reframe_hz: float = 5.0
    """Keyframe rate of the face boxes stored on clips for reframing."""
    render: RenderSettings = field(default_factory=RenderSettings)
    """Clip rendering (x264 preset and CRF, pads, parallel encodes)."""
    multicam: MulticamSettings = field(default_factory=MulticamSettings)
    """``facetrack multicam``: sync, microphones and the editing rules of the program cut."""

    def __post_init__(self) -> None:
        # The parts that check only their own choices get the general check here: numbers
        # are finite, and none of them is below zero but the levels in dB(FS).
        for table in ("vad", "voice", "render"):
            part = getattr(self, table)
            try:
                check_numbers(part, signed=("silence_dbfs", "energy_gate_db"))
            except ValueError as exc:
                raise ValueError(f"[{table}] {exc}") from None
        if self.audio_stream < 0:
            raise ValueError(f"audio_stream must be 0 or more, got {self.audio_stream}")
        if not (math.isfinite(self.reframe_hz) and 0 < self.reframe_hz <= 100):
            raise ValueError(f"reframe_hz must be above 0 and at most 100, got {self.reframe_hz}")

    def to_dict(self) -> dict[str, Any]:
        return {
            "faces": settings_to_dict(self.faces),
            "vad": settings_to_dict(self.vad),
            "speakers": settings_to_dict(self.speakers),
            "voice": settings_to_dict(self.voice),
            "audio_stream": self.audio_stream,
            "reframe_hz": self.reframe_hz,
            "render": settings_to_dict(self.render),
            "multicam": settings_to_dict(self.multicam),
        }


_MAX_INT = 2**31 - 1


def check_numbers(obj: Any, signed: tuple[str, ...] | None = None) -> None:
    """Refuse NaN and infinite values, and whole numbers beyond 32 bits, in a settings
    dataclass; and, when ``signed`` is given, values below zero in every numeric field not
    named in it.

    Raises
    ------
    ValueError
        Naming the first field that fails.
    """
    for f in fields(obj):
        value = getattr(obj, f.name)
        for x in value if isinstance(value, tuple) else (value,):
            if isinstance(x, bool) or not isinstance(x, (int, float)):
                continue
            if not math.isfinite(x):
                raise ValueError(f"{f.name} must be a finite number, got {x}")
            # Settings are stored in the timeline, whose integers are 64-bit; none needs more
            # than 32.
            if isinstance(x, int) and abs(x) > _MAX_INT:
                raise ValueError(f"{f.name} must be at most {_MAX_INT}, got {x}")
            if signed is not None and f.name not in signed and x < 0:
                raise ValueError(f"{f.name} must be 0 or more, got {x}")


def _at_least(obj: Any, name: str, low: float, inclusive: bool = True) -> None:
    value = getattr(obj, name)
    if value < low or (value == low and not inclusive):
        word = "at least" if inclusive else "above"
        raise ValueError(f"{name} must be {word} {low:g}, got {value}")


def _within(obj: Any, name: str, low: float, high: float) -> None:
    value = getattr(obj, name)
    if not low <= value <= high:
        raise ValueError(f"{name} must be in {low:g}..{high:g}, got {value}")


def settings_to_dict(obj: Any) -> dict[str, Any]:
    """Plain-JSON form of a settings dataclass (tuples become lists)."""
    return {k: (list(v) if isinstance(v, tuple) else v) for k, v in asdict(obj).items()}


def updated(obj: Any, values: dict[str, Any]) -> Any:
    """Copy of a (nested) settings dataclass with ``values`` replaced; unknown keys raise."""
    known = {f.name: f for f in fields(obj)}
    changes = {}
    for key, value in values.items():
        if key not in known:
            raise KeyError(f"unknown setting {key!r}")
        current = getattr(obj, key)
        if is_dataclass(current) and isinstance(value, dict):
            changes[key] = updated(current, value)
        elif isinstance(current, tuple) and isinstance(value, list):
            changes[key] = tuple(value)
        else:
            changes[key] = value
    return replace(obj, **changes)
