"""Peak memory, wall time and ``.otio`` size of ``facetrack run`` on a short and a long input,
and a resume.

The inputs are a bundled sample looped with ffmpeg (``-stream_loop N -c copy``) into a
temporary folder. Each measurement runs ``facetrack run --no-render --no-cache`` from a fresh
Python, which reports ``getrusage(RUSAGE_CHILDREN).ru_maxrss``: the peak resident size of the
largest process of that run (the facetrack process; ffmpeg children are far smaller).

The resume: a run with the analysis cache is interrupted (SIGTERM) once its face stage is
done, then the same command runs again and finds the face stage in the cache.

    .venv/bin/python bench/memory.py                 # 1 vs 60 minutes
    .venv/bin/python bench/memory.py --long 10       # 1 vs 10 minutes
    .venv/bin/python bench/memory.py --sample samples/cuts.mp4 --long 30 --no-resume
                                                     # an edited interview: hundreds of shots
    .venv/bin/python bench/memory.py --no-resume --json   # figures only, as JSON
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "samples" / "SadTalker__WDA_AlexandriaOcasioCortez_000.mp4"

# Run in a fresh interpreter: RUSAGE_CHILDREN then covers this one command only.
_MEASURE = """
import json, resource, subprocess, sys, time
t0 = time.perf_counter()
proc = subprocess.run(sys.argv[1:], capture_output=True, text=True)
wall = time.perf_counter() - t0
peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # KiB on Linux
print(json.dumps({"rc": proc.returncode, "wall_s": wall, "peak_kib": peak_kib,
                  "stderr": proc.stderr[-2000:], "stdout": proc.stdout}))
"""


def looped(minutes: float, folder: Path, sample: Path = SAMPLE) -> Path:
    """The sample looped to ``minutes`` (stream copy: seconds to make, nothing re-encoded)."""
    out = folder / f"{sample.stem}-loop-{minutes:g}min.mp4"
    if not out.exists():
        subprocess.run(
            [
                "ffmpeg", "-v", "error", "-y", "-stream_loop", "-1", "-i", str(sample),
                "-t", str(minutes * 60), "-c", "copy", str(out),
            ],
            check=True,
        )  # fmt: skip
    return out


def facetrack_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "facetrack_otio", *args]


def measure(video: Path, outdir: Path, env: dict[str, str]) -> dict:
    cmd = facetrack_cmd(
        "-q", "run", str(video), "-o", str(outdir), "--no-render", "--no-cache", "--json"
    )  # fmt: skip
    proc = subprocess.run(
        [sys.executable, "-c", _MEASURE, *cmd],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        env=env,
    )
    result = json.loads(proc.stdout)
    if result["rc"] != 0:
        raise SystemExit(f"facetrack failed on {video.name}: {result['stderr']}")
    summary = json.loads(result.pop("stdout"))
    result["people"] = [p["name"] for p in summary["people"]]
    result["tracklets"] = summary["face_stats"].get("tracklets")
    result["timings"] = summary["timings"]
    return result


def resume(video: Path, outdir: Path, env: dict[str, str]) -> dict[str, float]:
    """Interrupt a cached run after its face stage; time the run that resumes from the cache."""
    cmd = facetrack_cmd("-v", "run", str(video), "-o", str(outdir), "--no-render")
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, cwd=ROOT, env=env
    )
    assert proc.stderr is not None
    eta_seen = False
    for line in proc.stderr:
        # tqdm redraws with carriage returns; an ETA reads "[elapsed<remaining, rate]".
        eta_seen = eta_seen or any("<" in part and "frame/s" in part for part in line.split("\r"))
        if "speech done" in line:  # the face stage is cached by now
            break
    first = time.perf_counter() - t0
    proc.send_signal(signal.SIGTERM)
    proc.communicate(timeout=120)
    if proc.returncode != 130:
        raise SystemExit(f"the interrupted run exited with {proc.returncode}, not 130")
    leftovers = sorted(p.name for p in outdir.iterdir()) if outdir.exists() else []
    t0 = time.perf_counter()
    again = subprocess.run(
        facetrack_cmd("-q", "run", str(video), "-o", str(outdir), "--no-render", "--json"),
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        env=env,
    )
    rerun = time.perf_counter() - t0
    timings = json.loads(again.stdout)["timings"]
    return {
        "until_interrupt_s": first,
        "rerun_s": rerun,
        "rerun_loaded_models": "models" in timings,
        "left_behind": leftovers,
        "eta_shown": eta_seen,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--short", type=float, default=1.0, help="minutes (default 1)")
    parser.add_argument("--long", type=float, default=60.0, help="minutes (default 60)")
    parser.add_argument("--keep", metavar="DIR", help="make the inputs here and keep them")
    parser.add_argument(
        "--sample", type=Path, default=SAMPLE, help="the clip to loop (default: the real one)"
    )
    parser.add_argument("--no-resume", action="store_true", help="skip the resume measurement")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    say = (lambda *a, **k: None) if args.json else print
    figures: dict = {}

    with tempfile.TemporaryDirectory(prefix="facetrack-memory-") as tmp:
        folder = Path(args.keep) if args.keep else Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, "FACETRACK_CACHE_DIR": str(Path(tmp) / "cache")}
        rows = []
        for minutes in (args.short, args.long):
            video = looped(minutes, folder, args.sample)
            r = measure(video, Path(tmp) / f"out-{minutes:g}", env)
            rows.append((minutes, r))
            otio_bytes = (Path(tmp) / f"out-{minutes:g}" / f"{video.stem}.otio").stat().st_size
            figures[f"{minutes:g}"] = {
                "peak_mib": r["peak_kib"] / 1024,
                "wall_s": r["wall_s"],
                "real_time": minutes * 60 / r["wall_s"],
                "people": r["people"],
                "tracklets": r["tracklets"],
                "timings": r["timings"],
                "otio_bytes": otio_bytes,
            }
            say(
                f"{minutes:g} min of {args.sample.name}: peak RSS {r['peak_kib'] / 1024:.0f} MiB, "
                f"wall {r['wall_s']:.1f} s ({minutes * 60 / r['wall_s']:.2f}x real time); "
                f"{len(r['people'])} people {r['people']} from {r['tracklets']} tracklets; "
                f"stages {r['timings']}; .otio {otio_bytes / 1e6:.2f} MB",
                flush=True,
            )
        (m1, r1), (m2, r2) = rows
        figures["ratio"] = r2["peak_kib"] / r1["peak_kib"]
        say(f"peak RSS ratio {m2:g} min / {m1:g} min: {figures['ratio']:.2f}")
        if not args.no_resume:
            res = resume(looped(args.short, folder, args.sample), Path(tmp) / "resume", env)
            figures["resume"] = res
            say(
                f"resume ({args.short:g} min input): interrupted after the face stage at "
                f"{res['until_interrupt_s']:.1f} s; re-run {res['rerun_s']:.1f} s "
                f"(face models loaded again: {res['rerun_loaded_models']}); "
                f"left behind: {res['left_behind'] or 'nothing'}; ETA on the progress bar: "
                f"{res['eta_shown']}"
            )
    if args.json:
        print(json.dumps(figures))


if __name__ == "__main__":
    main()
