"""Batch throughput: 1 and 2 local workers and the Ray engine on the same folder of clips.

Builds a folder of clips by copying the bundled samples (or cuts of them) into a temporary
folder, then runs ``facetrack batch`` on it once per configuration and repeat, the
configurations taking turns, each time into a fresh output folder with the analysis cache off
(the copies share content, and a cache hit would skip the models). Prints a Markdown table
of the medians for docs/scaling.md, with the cores the machine kept busy meanwhile (from
``/proc/stat``: how much of the machine a configuration uses, whatever ran it).

    .venv/bin/python bench/batch.py                   # 8 whole clips, 3 runs each
    .venv/bin/python bench/batch.py --seconds 8       # 8 clips cut to 8 s
    .venv/bin/python bench/batch.py --configs local:1 local:2 --render
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
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


def busy_seconds() -> float | None:
    """CPU seconds the whole machine has spent busy since boot (None off Linux)."""
    try:
        with open("/proc/stat", encoding="ascii") as f:
            ticks = [int(v) for v in f.readline().split()[1:]]
    except OSError:
        return None
    idle = ticks[3] + ticks[4]  # idle, iowait
    steal = ticks[7] if len(ticks) > 7 else 0  # time the hypervisor gave to others
    return (sum(ticks[:8]) - idle - steal) / os.sysconf("SC_CLK_TCK")


def run_config(folder: Path, work: Path, engine: str, jobs: int, render: bool) -> dict:
    """One ``facetrack batch`` run; wall time measured around the whole command."""
    outdir = work / f"out-{engine}-{jobs}"
    cmd = [sys.executable, "-m", "facetrack_otio", "-q", "batch", str(folder), "-o", str(outdir)]
    cmd += ["--engine", engine, "-j", str(jobs), "--no-cache"]
    if not render:
        cmd.append("--no-render")
    busy0 = busy_seconds()
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - t0
    busy1 = busy_seconds()
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
        "cores": None if busy0 is None or busy1 is None else (busy1 - busy0) / wall,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--clips", type=int, default=8)
    ap.add_argument("--seconds", type=float, default=0.0, help="cut each clip (0: whole)")
    ap.add_argument(
        "--configs",
        nargs="+",
        default=["local:1", "local:2", "ray:2"],
        metavar="ENGINE:WORKERS",
    )
    ap.add_argument("--render", action="store_true", help="also render the per-turn clips")
    ap.add_argument(
        "--repeat", type=int, default=3, help="runs per configuration, in turn (median counts)"
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
        runs: dict[str, list[dict]] = {spec: [] for spec, _, _ in specs}
        # Configurations take turns, so a change in the machine's speed hits them alike.
        for _ in range(max(1, args.repeat)):
            for spec, engine, jobs in specs:
                row = run_config(work / "videos", work, engine, jobs, args.render)
                print(f"{spec}: {row['wall']:.1f} s", file=sys.stderr)
                runs[spec].append(row)

    rows = []
    for spec, _, _ in specs:
        walls = [r["wall"] for r in runs[spec]]
        cores = [r["cores"] for r in runs[spec] if r["cores"] is not None]
        rows.append(
            {
                **runs[spec][0],
                "wall": statistics.median(walls),
                "walls": walls,
                "busy": statistics.median(r["busy"] for r in runs[spec]),
                "cores": statistics.median(cores) if cores else None,
            }
        )
    base = next((r["wall"] for r in rows if r["engine"] == "local" and r["workers"] == 1), None)
    print(
        "| engine | workers | wall (s), median | runs (s) | clips/min | video s per s | speedup "
        "| worker busy (s) | cores busy |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        speedup = f"{base / r['wall']:.2f}x" if base else "-"
        cores = f"{r['cores']:.2f}" if r["cores"] is not None else "-"
        print(
            f"| {r['engine']} | {r['workers']} | {r['wall']:.1f} | "
            f"{', '.join(f'{w:.1f}' for w in r['walls'])} | "
            f"{60 * r['ok'] / r['wall']:.1f} | {video_s / r['wall']:.2f} | {speedup} | "
            f"{r['busy']:.1f} | {cores} |"
        )
    # What each configuration could reach with no start-up and no idle tail: its workers'
    # busy seconds spread evenly over them. Past one worker the limit is how much of the
    # machine one worker already used, not the engine.
    for r in rows:
        if base and r["workers"] > 1:
            bound = base / (r["busy"] / r["workers"])
            print(f"\n{r['engine']}:{r['workers']} with no start-up or tail: at most {bound:.2f}x")


if __name__ == "__main__":
    main()
