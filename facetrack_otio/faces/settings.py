"""The face stage's settings: detection, tracking and identity (declared as
:mod:`facetrack_otio.setting` describes)."""

from __future__ import annotations

from dataclasses import dataclass

from facetrack_otio.setting import READ, OneOf, Range, check, setting

# Trackers between detections (faces/tracker.py) and face descriptors (faces/embed.py).
TRACKERS = ("template", "mosse", "kcf", "csrt", "none")
EMBEDDERS = ("auto", "dlib", "vggface2", "lbp")


@dataclass(frozen=True)
class FaceSettings:
    """Face detection, tracking and identity."""

    device: str = setting(
        "auto",
        "where the face models run: auto (CUDA, then MPS, then CPU), cpu, cuda, cuda:1, mps",
        flag="--device",
        adapter=READ,
    )
    max_side: int = setting(
        640,
        "analysis size: the longer side of analysis frames, in pixels, at least twice the "
        "smallest face",
        Range(64),
        flag="--max-side",
        adapter=READ,
    )
    max_fps: float = setting(
        12.5,
        "analysis frame rate cap: the source rate divided by the smallest whole step that "
        "reaches it",
        Range(0, above=True),
        flag="--max-fps",
        adapter=READ,
        commands=("run", "batch"),
    )
    # fast_bilinear is ~2x bicubic's speed.
    scale_flags: str = setting("fast_bilinear", "ffmpeg scaler that makes analysis frames")
    # Off saves 8-22% of the decoder's CPU; at the analysis size the frames stay within
    # 42-62 dB PSNR of exact ones and the samples' detections are unchanged.
    deblock: bool = setting(
        False,
        "run the codec's deblocking filter on analysis frames (for heavily compressed sources)",
    )
    min_face_size: int = setting(
        32,
        "smallest face MTCNN looks for, in analysis pixels",
        Range(12),  # MTCNN's window
    )
    thresholds: tuple[float, float, float] = setting(
        (0.6, 0.7, 0.7), "MTCNN P/R/O-net thresholds", Range(0, 1, count=3)
    )
    min_confidence: float = setting(0.92, "detections below this score are ignored", Range(0, 1))
    # 1 on CPU, where batching gains nothing.
    detect_batch: int = setting(
        0, "detection frames gathered per chunk before tracking (0 chooses)", Range(0)
    )
    # On 2 cores with ffmpeg decoding beside it, 1 thread was as fast for less CPU time
    # (docs/performance.md).
    threads: int = setting(
        1,
        "torch and OpenCV threads during the face stage (restored after); 0 leaves theirs",
        Range(0),
    )
    # Frames between two detections are tracked together, up to 40 at 25 fps; a queue that
    # holds them keeps the decoder working meanwhile (~0.7 MB a frame at 640x360): beyond
    # 1000, memory, not speed.
    prefetch: int = setting(
        48,
        "analysis frames decoded ahead in a background thread (0: decode on demand)",
        Range(0, 1000),
    )
    tracker: str = setting(
        "template",
        "tracker between detections: template (gray normalised cross-correlation to a "
        "fraction of a pixel, the fastest and steadiest measured here); mosse, kcf and csrt "
        "are OpenCV's",
        OneOf(TRACKERS),
        flag="--tracker",
        adapter=READ,
    )
    redetect_intervals: tuple[int, int, int, int] = setting(
        (80, 40, 20, 10),
        "source frames between detections at tracker success >=95%, >=80%, >=60%, below",
        Range(1, count=4),
    )
    monitor_window: int = setting(
        20, "tracker updates over which the success rate is measured", Range(1)
    )
    # Someone coming in is found within a few frames, not at the next scheduled detection.
    motion_gap: int = setting(
        4,
        "analysis frames at least between two detections triggered by motion where no face "
        "is tracked",
        Range(0),
    )
    cut_threshold: float = setting(
        0.35,
        "thumbnail difference (0..1) above which a shot cut is assumed (forces a detection)",
        Range(0, 1),
    )
    embedder: str = setting(
        "auto",
        "face descriptor: auto (VGGFace2 when its weights are given, else dlib's face "
        "ResNet), dlib, vggface2, or lbp (a last resort that may split or merge people)",
        OneOf(EMBEDDERS),
        flag="--embedder",
        adapter=READ,
    )
    embedder_weights: str | None = setting(
        None,
        "InceptionResnetV1 VGGFace2 weights file (.pt)",
        flag="--embedder-weights",
        adapter=READ,
        none="$FACETRACK_EMBEDDER_WEIGHTS",
        metavar="PATH",
    )
    # A trained descriptor costs ~0.1 s on one core; their mean describes the tracklet.
    embeddings_per_tracklet: int = setting(
        3,
        "descriptors made per tracklet at most: the best faces, spread over its length",
        Range(1, 1000),
    )
    seconds_per_embedding: float = setting(
        8.0,
        "a tracklet gets one descriptor, plus one for every this many seconds it lasts",
        Range(0, above=True),
    )
    face_candidates: int = setting(
        8,
        "aligned face crops kept per open tracklet to choose the described ones from",
        Range(1, 1000),
    )
    cluster_similarity: float = setting(
        0.0,
        "cosine similarity to join tracklets into one person (0: the embedder's own)",
        Range(-1, 1),
    )
    min_person_seconds: float = setting(
        1.0, "people seen for less than this are dropped as false detections", Range(0)
    )

    def __post_init__(self) -> None:
        check(self)
        # Below twice the smallest face, no face fits in the analysis frame.
        Range(2 * self.min_face_size).test("max_side", self.max_side)
