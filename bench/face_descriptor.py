"""Face descriptors: dlib's C++ network against the same network run by torch on one thread.

Usage::

    .venv/bin/python bench/face_descriptor.py              # 5 runs (~1 minute on 2 cores)
    .venv/bin/python bench/face_descriptor.py --runs 9

The chips are real: every face MTCNN finds in 8 frames of ``samples/two_shot.mp4`` (one per
4 s, at the analysis size), aligned by the face stage (dlib's 5-point landmarks,
``dlib.get_face_chip``, 150x150). Each run describes all of them one chip per call (batch 1)
and 8 chips per call (batch 8), with dlib's ``compute_face_descriptor`` and with
``DlibTorchEmbedder.raw``, taking turns so that load on the machine falls on both alike.
Printed: milliseconds per face, CPU time of this process (``time.process_time``) and wall
time, medians over the runs; the time to load each network; and how far the two descriptors
are apart (largest L2 distance of the raw 128-d descriptors, smallest cosine).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from fractions import Fraction
from itertools import islice
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from facetrack_otio.config import FaceSettings  # noqa: E402
from facetrack_otio.faces.analyze import FaceAnalyzer  # noqa: E402
from facetrack_otio.faces.dlib_resnet import DlibEmbedder, model_path  # noqa: E402
from facetrack_otio.faces.dlib_torch import DlibFaceNet, DlibTorchEmbedder, read_network  # noqa: E402
from facetrack_otio.media.decode import analysis_size, iter_frames  # noqa: E402
from facetrack_otio.media.probe import probe  # noqa: E402


def real_chips(video: Path, frames: int) -> list[np.ndarray]:
    """The face stage's chips of every face in ``frames`` frames of ``video``, 4 s apart."""
    info = probe(video)
    analyzer = FaceAnalyzer(FaceSettings(device="cpu"))
    images = [
        f.image for f in islice(iter_frames(info, analysis_size(info, 640), Fraction(1, 4)), frames)
    ]
    chips: list[np.ndarray] = []
    for image, dets in zip(images, analyzer.detect(images), strict=True):
        chips += analyzer.embedder.align(image, dets)
    return chips


def timed(fn: Callable[[], object]) -> tuple[float, float]:
    """CPU and wall seconds of ``fn()``."""
    c0, w0 = time.process_time(), time.perf_counter()
    fn()
    return time.process_time() - c0, time.perf_counter() - w0


def per_face(
    describe: Callable[[Sequence[np.ndarray]], object], chips: list[np.ndarray], batch: int
) -> tuple[float, float]:
    """CPU and wall ms per face describing ``chips`` ``batch`` at a time."""
    batches = [chips[i : i + batch] for i in range(0, len(chips), batch)]
    cpu, wall = timed(lambda: [describe(b) for b in batches])
    return 1000 * cpu / len(chips), 1000 * wall / len(chips)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--frames", type=int, default=8)
    ap.add_argument("--video", type=Path, default=ROOT / "samples" / "two_shot.mp4")
    args = ap.parse_args()

    chips = real_chips(args.video, args.frames)
    chips = chips[: len(chips) // 8 * 8]  # whole batches of 8
    print(f"{len(chips)} chips from {args.video.name}; torch {torch.__version__}", flush=True)

    import dlib

    path = str(model_path())
    load_dlib = timed(lambda: dlib.face_recognition_model_v1(path))
    load_torch = timed(lambda: DlibFaceNet.from_dlib(read_network(path)))
    cpp, ours = DlibEmbedder(), DlibTorchEmbedder()

    def dlib_raw(batch: Sequence[np.ndarray]) -> object:
        return cpp.net.compute_face_descriptor(list(batch))

    ref = np.array(dlib_raw(chips), dtype=np.float64)
    got = ours.raw(chips).astype(np.float64)
    l2 = np.linalg.norm(got - ref, axis=1)
    cos = np.sum(got * ref, axis=1) / np.linalg.norm(got, axis=1) / np.linalg.norm(ref, axis=1)

    ours.raw(chips[:8])  # warm-up: first-call allocations
    results: dict[tuple[str, int], list[tuple[float, float]]] = {}
    for run in range(args.runs):
        for name, fn in (("dlib C++", dlib_raw), ("torch, 1 thread", ours.raw)):
            for batch in (1, 8):
                results.setdefault((name, batch), []).append(per_face(fn, chips, batch))
        print(f"run {run + 1}/{args.runs} done", flush=True)

    med = {
        k: (statistics.median(c for c, _ in v), statistics.median(w for _, w in v))
        for k, v in results.items()
    }
    print()
    print("| descriptor | batch | CPU ms/face | wall ms/face |")
    print("|---|---|---|---|")
    for (name, batch), (c, w) in med.items():
        print(f"| {name} | {batch} | {c:.1f} | {w:.1f} |")
    for batch in (1, 8):
        (c0, w0), (c1, w1) = med[("dlib C++", batch)], med[("torch, 1 thread", batch)]
        print(f"speed-up at batch {batch}: {c0 / c1:.1f}x CPU, {w0 / w1:.1f}x wall")
    dlib_ms, torch_ms = 1000 * load_dlib[1], 1000 * load_torch[1]
    print(f"loading the network (wall): dlib {dlib_ms:.0f} ms, torch {torch_ms:.0f} ms")
    norm = np.linalg.norm(ref, axis=1).mean()
    print(
        f"raw descriptors, {len(chips)} chips: largest L2 distance {l2.max():.2e} "
        f"(norms ~{norm:.2f}), smallest cosine {cos.min():.8f}"
    )


if __name__ == "__main__":
    main()
