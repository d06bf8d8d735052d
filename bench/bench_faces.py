"""Speed and memory of the face stage, against a per-frame MTCNN + embedding baseline.

Usage::

    .venv/bin/python bench/bench_faces.py                 # everything (~10 min on 2 cores)
    .venv/bin/python bench/bench_faces.py --no-memory     # skip the 1 vs 10 minute run

What is measured (medians of ``--runs`` runs, all in this one process run, so ratios compare
like with like on a loaded machine):

- ours: ``FaceAnalyzer(FaceSettings()).analyze(info)`` on two_shot and cuts (decode included);
- baseline: the usual "detect and embed every frame" loop (facenet-pytorch's face-tracking
  example): facenet-pytorch's ``MTCNN.detect`` on every source frame at source size, then an
  InceptionResnetV1 (random init: the VGGFace2 file is not available here; the cost is the
  same) on a 160x160 crop of every face. Running it on every frame of both clips would take
  most of an hour, so it runs on ``--baseline-frames`` evenly spaced source frames and its
  time for the clip is the mean time per frame times the number of source frames, plus
  ffmpeg decoding the whole clip at source size (measured). Its people count: its detections
  on those frames described with our LBP descriptor and joined by the same clustering
  (``cluster_tracklets``, faces in one frame never join), counting clusters of at least 3
  faces;
- the decode floor: ffmpeg decoding the clip to the analysis size and rate, nothing else;
- memory: the face stage in a child process on 1 and 10 minutes of two_shot looped with
  ffmpeg (made in a temporary folder, deleted after), peak RSS (VmHWM) of the child.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np
import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from facetrack_otio.config import FaceSettings  # noqa: E402
from facetrack_otio.faces.analyze import FaceAnalyzer  # noqa: E402
from facetrack_otio.faces.detections import Detections  # noqa: E402
from facetrack_otio.faces.embed import LBPEmbedder  # noqa: E402
from facetrack_otio.faces.identity import DEFAULT_SIMILARITY, cluster_tracklets  # noqa: E402
from facetrack_otio.faces.models import facenet  # noqa: E402
from facetrack_otio.media.decode import analysis_rate, analysis_size, iter_frames  # noqa: E402
from facetrack_otio.media.probe import MediaInfo, probe  # noqa: E402

SAMPLES = ROOT / "samples"
TRUTH = {"two_shot": 2, "cuts": 2}


def median_time(fn, runs: int) -> tuple[float, object]:  # type: ignore[no-untyped-def]
    """Median wall time of ``fn()`` over ``runs`` calls, and its last result."""
    times, result = [], None
    for _ in range(runs):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), result


def ffmpeg_decode(info: MediaInfo, size: tuple[int, int], rate: str) -> float:
    """Seconds for ffmpeg to decode ``info`` to raw RGB at ``size`` and ``rate`` (discarded)."""
    w, h = size
    cmd = ["ffmpeg", "-nostdin", "-v", "error", "-i", info.path, "-map", "0:v:0", "-vf"]
    cmd += [f"fps={rate},scale={w}:{h}:flags=fast_bilinear", "-f", "rawvideo"]
    cmd += ["-pix_fmt", "rgb24", "-y", "/dev/null"]
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True)
    return time.perf_counter() - t0


class Baseline:
    """facenet-pytorch MTCNN on the full frame, InceptionResnetV1 on every face."""

    def __init__(self) -> None:
        fp = facenet()
        self.mtcnn = fp.MTCNN(keep_all=True, post_process=False, device="cpu").eval()
        self.resnet = fp.InceptionResnetV1(pretrained=None).eval()

    @torch.inference_mode()
    def frame(self, image: np.ndarray) -> Detections:
        boxes, probs, points = self.mtcnn.detect(image, landmarks=True)
        det = Detections.from_mtcnn(boxes, probs, points)
        if len(det):
            crops = []
            for x1, y1, x2, y2 in det.clip(image.shape[1], image.shape[0]).xyxy.astype(int):
                face = image[y1 : max(y2, y1 + 1), x1 : max(x2, x1 + 1)]
                crops.append(cv2.resize(face, (160, 160), interpolation=cv2.INTER_AREA))
            batch = torch.from_numpy(np.stack(crops)).permute(0, 3, 1, 2).float()
            self.resnet((batch - 127.5) / 128.0)
        return det


def baseline(info: MediaInfo, n_sample: int, runs: int) -> dict[str, float]:
    """Extrapolated baseline time for the clip, and its people count (see module doc)."""
    model = Baseline()
    size = (info.width, info.height)
    total = info.n_frames
    wanted = set(np.linspace(0, total - 1, n_sample).round().astype(int).tolist())
    frames = [
        (fr.index, fr.image) for fr in iter_frames(info, size, info.fps) if fr.index in wanted
    ]
    model.frame(frames[0][1])  # warm-up

    def run() -> list[tuple[int, np.ndarray, Detections]]:
        return [(i, im, model.frame(im)) for i, im in frames]

    per_clip, found = median_time(run, runs)
    per_frame = per_clip / len(frames)
    decode, _ = median_time(lambda: ffmpeg_decode(info, size, str(info.fps)), runs)
    lbp = LBPEmbedder()
    emb, spans = [], []
    for i, im, det in found:  # type: ignore[union-attr]
        if len(det):
            emb.append(lbp.embed(im, det))
            spans += [[i, i]] * len(det)
    people = 0
    if emb:
        labels = cluster_tracklets(
            np.concatenate(emb), np.array(spans), DEFAULT_SIMILARITY[lbp.name]
        )
        people = int((np.bincount(labels) >= 3).sum())
    return {
        "per_frame_s": per_frame,
        "decode_s": decode,
        "clip_s": per_frame * total + decode,
        "people": people,
        "frames_timed": len(frames),
    }


def ours(analyzer: FaceAnalyzer, info: MediaInfo, runs: int) -> dict[str, float]:
    t, result = median_time(lambda: analyzer.analyze(info), runs)
    s = analyzer.settings
    size = analysis_size(info, s.max_side)
    rate = analysis_rate(info, s.max_fps)
    floor, _ = median_time(
        lambda: ffmpeg_decode(info, size, f"{rate.numerator}/{rate.denominator}"), runs
    )
    return {
        "s": t,
        "people": len(result.people),  # type: ignore[union-attr]
        "realtime_x": info.duration / t,
        "decode_floor_s": floor,
    }


_CHILD = """
import json, sys, time
sys.path.insert(0, {root!r})
from facetrack_otio.config import FaceSettings
from facetrack_otio.faces.analyze import FaceAnalyzer
from facetrack_otio.media.probe import probe
t0 = time.perf_counter()
ft = FaceAnalyzer(FaceSettings()).analyze(probe(sys.argv[1]))
# VmHWM, not ru_maxrss: Linux keeps ru_maxrss across exec, so a child would report the
# peak of the process it was forked from.
hwm = [ln for ln in open("/proc/self/status") if ln.startswith("VmHWM:")][0].split()[1]
print(json.dumps({{"s": time.perf_counter() - t0, "people": len(ft.people),
    "maxrss_mb": int(hwm) / 1024}}))
"""


def memory(minutes: tuple[int, ...]) -> dict[int, dict[str, float]]:
    """Peak RSS of the face stage in a fresh process on two_shot looped to each duration."""
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        for m in minutes:
            path = Path(tmp) / f"loop_{m}min.mp4"
            cmd = ["ffmpeg", "-nostdin", "-v", "error", "-stream_loop", "-1"]
            cmd += ["-i", str(SAMPLES / "two_shot.mp4"), "-t", str(60 * m), "-c", "copy"]
            subprocess.run([*cmd, "-y", str(path)], check=True)
            proc = subprocess.run(
                [sys.executable, "-c", _CHILD.format(root=str(ROOT)), str(path)],
                check=True,
                capture_output=True,
                text=True,
            )
            out[m] = json.loads(proc.stdout.strip().splitlines()[-1])
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="runs per measurement (median)")
    parser.add_argument("--baseline-frames", type=int, default=30, help="frames timed per clip")
    parser.add_argument("--no-memory", action="store_true", help="skip the 1 vs 10 min run")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()

    settings = FaceSettings()
    analyzer = FaceAnalyzer(settings)
    # The baseline runs with the same torch thread count as ours: with ffmpeg and other work
    # on 2 cores, more intra-op threads were measured to slow MTCNN down several times.
    torch.set_num_threads(max(1, settings.threads))
    report: dict[str, object] = {"cores": torch.get_num_threads(), "clips": {}}
    for clip in TRUTH:
        info = probe(SAMPLES / f"{clip}.mp4")
        o = ours(analyzer, info, args.runs)
        b = baseline(info, args.baseline_frames, args.runs)
        report["clips"][clip] = {"ours": o, "baseline": b, "speedup": b["clip_s"] / o["s"]}  # type: ignore[index]
        print(
            f"{clip:9s} ours {o['s']:6.2f} s ({o['realtime_x']:.1f}x real time, "
            f"decode floor {o['decode_floor_s']:.2f} s, people {o['people']}) | baseline "
            f"{b['clip_s']:7.1f} s ({b['per_frame_s'] * 1e3:.0f} ms/frame over "
            f"{info.n_frames} frames + {b['decode_s']:.1f} s decode, people {b['people']}) | "
            f"speed-up {b['clip_s'] / o['s']:.1f}x | truth {TRUTH[clip]} people",
            flush=True,
        )
    if not args.no_memory:
        mem = memory((1, 10))
        report["memory"] = mem
        ratio = mem[10]["maxrss_mb"] / mem[1]["maxrss_mb"]
        print(
            f"memory    1 min {mem[1]['maxrss_mb']:.0f} MB ({mem[1]['s']:.1f} s), "
            f"10 min {mem[10]['maxrss_mb']:.0f} MB ({mem[10]['s']:.1f} s): ratio {ratio:.3f}",
            flush=True,
        )
    if args.json:
        print(json.dumps(report, indent=2, default=float))


if __name__ == "__main__":
    main()
