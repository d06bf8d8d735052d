"""The face stage with the decoder beside it, one change at a time.

Runs ``FaceAnalyzer.analyze`` on each clip in one process with the decoder set up as before
and then with each change added in turn (the configurations take turns, ``--runs`` times;
medians): the pipe that holds a whole frame, the 48-frame queue, one decoder thread, no
deblocking. Prints the face stage's wall time, this process's CPU time (the analysis and the
queue's thread) and ffmpeg's, as a Markdown table for docs/performance.md.

    .venv/bin/python bench/decoder.py
    .venv/bin/python bench/decoder.py --runs 5 two_shot
"""

from __future__ import annotations

import argparse
import dataclasses
import resource
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from facetrack_otio.config import FaceSettings  # noqa: E402
from facetrack_otio.faces.analyze import FaceAnalyzer  # noqa: E402
from facetrack_otio.media import decode  # noqa: E402
from facetrack_otio.media.probe import probe  # noqa: E402

STEPS: list[tuple[str, dict[str, Any]]] = [
    ("before: 64 KiB pipe, 8-frame queue, ffmpeg's threads, deblocked", {}),
    ("+ the pipe holds a frame", {"pipe": True}),
    ("+ 48-frame queue", {"pipe": True, "prefetch": 48}),
    ("+ one decoder thread", {"pipe": True, "prefetch": 48, "threads": 1}),
    ("+ no deblocking (the defaults now)", {"pipe": True, "prefetch": 48, "threads": 1, "fast": 1}),
]


def _cpu() -> tuple[float, float]:
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime, kids.ru_utime + kids.ru_stime


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("clips", nargs="*", default=["two_shot", "cuts", "hard", "enter_exit"])
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    analyzer = FaceAnalyzer(FaceSettings())
    base = analyzer.settings
    widen = decode._widen_pipe
    print("| clip | decoder | face stage (s) | analysis CPU (s) | ffmpeg CPU (s) |")
    print("|---|---|---|---|---|")
    for clip in args.clips:
        info = probe(ROOT / "samples" / f"{clip}.mp4")
        analyzer.analyze(info)  # warm: models, caches
        runs: dict[str, list[tuple[float, float, float]]] = {label: [] for label, _ in STEPS}
        for _ in range(args.runs):
            for label, step in STEPS:
                # The earlier set-up, brought back by hand: a 64 KiB pipe, ffmpeg's own
                # thread count ("-threads 0"), an 8-frame queue, deblocked frames.
                decode._widen_pipe = widen if step.get("pipe") else (lambda fd, size: None)
                threads = step.get("threads", 0)
                decode.decoder_threads = lambda t=threads: t  # type: ignore[assignment]
                analyzer.settings = dataclasses.replace(
                    base, prefetch=step.get("prefetch", 8), deblock=not step.get("fast")
                )
                me0, kids0 = _cpu()
                t0 = time.perf_counter()
                analyzer.analyze(info)
                wall = time.perf_counter() - t0
                me1, kids1 = _cpu()
                runs[label].append((wall, me1 - me0, kids1 - kids0))
        for label, values in runs.items():
            wall, me, kids = (statistics.median(v[i] for v in values) for i in range(3))
            print(f"| {clip} | {label} | {wall:.2f} | {me:.2f} | {kids:.2f} |", flush=True)


if __name__ == "__main__":
    main()
