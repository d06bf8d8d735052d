"""What a run spends around the models: thumbnails, timeline, report and every export.

Runs the pipeline once on a bundled sample, then writes its outputs ``--runs`` times into
temporary folders and prints each step's median wall time and the CPU time of the ffmpeg
processes it started. Also prints the start-up import of the pipeline (a fresh Python, the
median of ``--runs``). In a batch these costs come once per input, and the import once per
worker.

    .venv/bin/python bench/outputs.py                        # two_shot, 5 runs
    .venv/bin/python bench/outputs.py --clip cuts --runs 9
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from facetrack_otio.exports import FORMATS, export_timeline  # noqa: E402
from facetrack_otio.media.probe import probe  # noqa: E402
from facetrack_otio.pipeline import SpeakerPipeline  # noqa: E402
from facetrack_otio.report import write_report  # noqa: E402
from facetrack_otio.report.thumbs import write_thumbnails  # noqa: E402
from facetrack_otio.report.versions import versions  # noqa: E402


def _children_cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def timed(fn: Callable[[], Any]) -> tuple[float, float, Any]:
    """Wall seconds, child-process CPU seconds and the result of ``fn()``."""
    c0, t0 = _children_cpu(), time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, _children_cpu() - c0, out


def import_time(runs: int) -> float:
    """Median seconds for a fresh Python to import the pipeline."""
    code = "import time; t = time.perf_counter(); import facetrack_otio.pipeline; "
    code += "print(time.perf_counter() - t)"
    times = [
        float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                             check=True, cwd=ROOT).stdout)
        for _ in range(runs)
    ]  # fmt: skip
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--clip", default="two_shot", help="a sample name (default two_shot)")
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()

    info = probe(ROOT / "samples" / f"{args.clip}.mp4")
    analysis = SpeakerPipeline()(info.path)
    versions()  # asked once per process; not part of each input's cost
    steps: dict[str, list[tuple[float, float]]] = {}
    for _ in range(args.runs):
        with tempfile.TemporaryDirectory(prefix="facetrack-bench-outputs-") as tmp:
            stage = Path(tmp)
            wall, cpu, _ = timed(
                partial(write_thumbnails, info, analysis.faces, analysis.people, stage)
            )
            steps.setdefault("thumbnails", []).append((wall, cpu))
            wall, cpu, timeline = timed(analysis.timeline)
            steps.setdefault("timeline", []).append((wall, cpu))
            wall, cpu, _ = timed(partial(write_report, timeline, stage))
            steps.setdefault("report", []).append((wall, cpu))
            for fmt in FORMATS:
                wall, cpu, _ = timed(partial(export_timeline, timeline, stage, "t", [fmt]))
                steps.setdefault(f"export {fmt}", []).append((wall, cpu))

    print(f"{args.clip}: {len(analysis.people)} people, {len(analysis.turns)} turns; "
          f"medians of {args.runs} runs")  # fmt: skip
    print("| step | wall (s) | ffmpeg CPU (s) |")
    print("|---|---:|---:|")
    total = 0.0
    for name, values in steps.items():
        wall = statistics.median(v[0] for v in values)
        total += wall
        print(f"| {name} | {wall:.3f} | {statistics.median(v[1] for v in values):.3f} |")
    print(f"| all | {total:.3f} | |")
    print(f"\nimport facetrack_otio.pipeline in a fresh Python: {import_time(args.runs):.2f} s")


if __name__ == "__main__":
    main()
