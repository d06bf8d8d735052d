"""Batch throughput: 1 and 2 local workers and the Ray engine on the same folder of clips.

Builds a folder of short clips by copying (or cutting) the bundled samples into a temporary
folder, then runs ``facetrack batch`` on it once per configuration, each time into a fresh
output folder with the analysis cache off (the copies share content, and a cache hit would
skip the models). Prints a Markdown table for docs/scaling.md.

    .venv/bin/python bench/batch.py                   # 8 clips of 8 s, no clip rendering
    .venv/bin/python bench/batch.py --seconds 0       # the whole samples
    .venv/bin/python bench/batch.py --configs local:1 local:2 --render
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
SOURCES = ("two_shot", "cuts", "enter_exit", "hard")


def build_folder(dest: Path, clips: int, seconds: float) -> list[Path]:
    """``clips`` videos in ``dest``, cycling through the synthetic samples."""
    dest.mkdir(parents=True, exist_ok=True)
    out = []
    for i in range(clips):
        src = SAMPLES / f"{SOURCES[i % len(SOURCES)]}.mp4"
        path = dest / f"clip{i + 1:02d}_{src.stem}.mp4"
        if seconds > 0:
            cmd = ["ffmpeg", "-v", "error", "-y", "-t", str(seconds), "-i", str(src)]
            subprocess.run([*cmd, "-c", "copy", str(path)], check=True)
        else:
            shutil.copyfile(src, path)
        out.append(path)
    return out


def duration(path: Path) -> float:
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", path],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return float(out.strip())


def run_config(folder: Path, work: Path, engine: str, jobs: int, render: bool) -> dict:
    """One ``facetrack batch`` run; wall time measured around the whole command."""
    outdir = work / f"out-{engine}-{jobs}"
    cmd = [sys.executable, "-m", "facetrack_otio", "-q", "batch", str(folder), "-o", str(outdir)]
    cmd += ["--engine", engine, "-j", str(jobs), "--no-cache"]
    if not render:
        cmd.append("--no-render")
    load_before = os.getloadavg()[0]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - t0
    load_after = os.getloadavg()[0]
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}): {proc.stderr[-2000:]}")
    summary = json.loads((outdir / "batch.json").read_text())
    shutil.rmtree(outdir)
    return {
        "engine": engine,
        "workers": summary["workers"],
        "wall": wall,
        "ok": summary["counts"]["ok"],
        # Seconds the workers spent on the files, added up: when it grows with the workers,
        # they were sharing cores rather than using idle ones.
        "busy": sum(i["timings"].get("total", 0.0) for i in summary["inputs"]),
        "load": (load_before, load_after),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--clips", type=int, default=8)
    ap.add_argument("--seconds", type=float, default=8.0, help="cut each clip (0: whole)")
    ap.add_argument(
        "--configs",
        nargs="+",
        default=["local:1", "local:2", "ray:2"],
        metavar="ENGINE:WORKERS",
    )
    ap.add_argument("--render", action="store_true", help="also render the per-turn clips")
    ap.add_argument(
        "--repeat", type=int, default=1, help="runs per configuration, in turn; the fastest counts"
    )
    args = ap.parse_args()

    with tempfile.TemporaryDirectory(prefix="facetrack-bench-batch-") as tmp:
        work = Path(tmp)
        clips = build_folder(work / "videos", args.clips, args.seconds)
        video_s = sum(duration(c) for c in clips)
        print(
            f"{len(clips)} clips, {video_s:.1f} s of video; {os.cpu_count()} cores; "
            f"render={'yes' if args.render else 'no'}",
            file=sys.stderr,
        )
        specs = []
        for spec in args.configs:
            engine, _, jobs = spec.partition(":")
            if engine == "ray":
                try:
                    import ray  # noqa: F401
                except ImportError:
                    print("ray is not installed: skipping the Ray engine", file=sys.stderr)
                    continue
            specs.append((spec, engine, int(jobs or 1)))
        best: dict[str, dict] = {}
        # Configurations take turns, so a change in the machine's load hits them alike.
        for _ in range(max(1, args.repeat)):
            for spec, engine, jobs in specs:
                row = run_config(work / "videos", work, engine, jobs, args.render)
                print(f"{spec}: {row['wall']:.1f} s, load {row['load']}", file=sys.stderr)
                if spec not in best or row["wall"] < best[spec]["wall"]:
                    best[spec] = row
        rows = [best[spec] for spec, _, _ in specs]

    base = next((r["wall"] for r in rows if r["engine"] == "local" and r["workers"] == 1), None)
    print(
        "| engine | workers | wall (s) | clips/min | video s per s | speedup "
        "| worker busy (s) | load avg |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        speedup = f"{base / r['wall']:.2f}x" if base else "-"
        print(
            f"| {r['engine']} | {r['workers']} | {r['wall']:.1f} | "
            f"{60 * r['ok'] / r['wall']:.1f} | {video_s / r['wall']:.2f} | {speedup} | "
            f"{r['busy']:.1f} | {r['load'][0]:.1f} -> {r['load'][1]:.1f} |"
        )


if __name__ == "__main__":
    main()
