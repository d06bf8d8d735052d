"""Face stage on each available device (CPU, CUDA), over the same frames.

Frames are decoded with OpenCV's own reader (no ffmpeg binary needed), scaled to the analysis
size and taken at the analysis rate, then given to ``FaceAnalyzer.analyze(frames=...)`` once
per device. Prints people found, detections and time per device; medians of ``--runs``.

    python bench/device_faces.py samples/two_shot.mp4 --runs 3
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from fractions import Fraction
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import cv2  # noqa: E402
import torch  # noqa: E402

from facetrack_otio.config import FaceSettings  # noqa: E402
from facetrack_otio.faces.analyze import FaceAnalyzer  # noqa: E402
from facetrack_otio.media.decode import Frame, analysis_rate, analysis_size  # noqa: E402
from facetrack_otio.media.probe import MediaInfo  # noqa: E402


def frames_with_opencv(path: Path, settings: FaceSettings) -> tuple[MediaInfo, list[Frame]]:
    cap = cv2.VideoCapture(str(path))
    fps = Fraction(cap.get(cv2.CAP_PROP_FPS)).limit_denominator(1001)
    w, h = int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)), int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT))
    n = int(cap.get(cv2.CAP_PROP_FRAME_COUNT))
    info = MediaInfo(str(path), w, h, fps, n / float(fps), n)
    size = analysis_size(info, settings.max_side)
    rate = analysis_rate(info, settings.max_fps)
    step = round(float(fps / rate))
    frames, i = [], 0
    while True:
        ok, bgr = cap.read()
        if not ok:
            break
        if i % step == 0:
            small = cv2.resize(bgr, size, interpolation=cv2.INTER_AREA)
            k = len(frames)
            frames.append(Frame(k, k / float(rate), cv2.cvtColor(small, cv2.COLOR_BGR2RGB)))
        i += 1
    return info, frames


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("video", type=Path)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    info, frames = frames_with_opencv(args.video, FaceSettings())
    print(f"{args.video.name}: {len(frames)} analysis frames, torch {torch.__version__}")
    print("| device | batch | people | detections | median s | frames/s |")
    print("|---|---|---|---|---|---|")
    for device in devices:
        for batch in (1, 8) if device == "cuda" else (1,):
            analyzer = FaceAnalyzer(FaceSettings(device=device, detect_batch=batch))
            times = []
            for _ in range(args.runs):
                t0 = time.perf_counter()
                result = analyzer.analyze(info, frames=iter(frames))
                times.append(time.perf_counter() - t0)
            med = statistics.median(times)
            print(
                f"| {device} | {batch} | {len(result.people)} | {result.stats['detections']} "
                f"| {med:.2f} | {len(frames) / med:.0f} |",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
