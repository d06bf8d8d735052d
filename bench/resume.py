"""Resuming a batch: the time to find that every input is already done.

Builds a folder of inputs from the bundled clips, each made as large as a long recording by
a Matroska attachment of random bytes (``--mb``; the video is the clip's, so the first run
stays short while hashing the file costs what it would for an hour of footage). Runs
``facetrack batch`` on it once, then times re-runs that skip every input, taking turns:

- ``stamp``: as facetrack does, the manifest's size and modification time vouch for the
  input, which is not read;
- ``hash``: the manifests' stamps removed first, so every input is hashed again (what a
  resume cost before the stamp, and what it costs for a touched file).

Then runs ``facetrack run --json`` on the first input, whose face stage the cache holds, the
same two ways, and reports its ``cache`` timing (finding and loading the entry): the stamps
folder of the cache gives the hash that finds it, or (stamps removed) the file is read again.

Medians of ``--repeat`` runs. The page cache holds the inputs (the machine has the memory),
so the ``hash`` figures are a floor: from a disk or a network share they grow with its speed.

    .venv/bin/python bench/resume.py                 # 8 inputs of 256 MB, 5 runs each
    .venv/bin/python bench/resume.py --inputs 16 --mb 512
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

from batch import build_folder  # bench/batch.py, beside this script


def build_inputs(dest: Path, count: int, mb: int) -> list[Path]:
    """``count`` .mkv inputs of about ``mb`` MB each: a 4-second clip plus an attachment."""
    clips = build_folder(dest / "clips", count, 4.0)
    block = os.urandom(1 << 20)  # what the bytes are does not change what hashing costs
    pad = dest / "pad.bin"
    with open(pad, "wb") as f:
        for _ in range(mb):
            f.write(block)
    out = []
    for i, clip in enumerate(clips):
        path = dest / "videos" / f"{clip.stem}.mkv"
        path.parent.mkdir(exist_ok=True)
        # A byte of its own in each attachment keeps the inputs' contents apart.
        with open(pad, "r+b") as f:
            f.write(bytes([i % 256]))
        cmd = ["ffmpeg", "-v", "error", "-y", "-i", str(clip), "-attach", str(pad)]
        cmd += ["-metadata:s:t", "mimetype=application/octet-stream", "-c", "copy", str(path)]
        subprocess.run(cmd, check=True)
        out.append(path)
    pad.unlink()
    # Settled files, as a folder of recordings is: the stamp of a file hashed in the second it
    # was written vouches for nothing.
    old = time.time_ns() - 3600 * 10**9
    for path in out:
        os.utime(path, ns=(old, old))
    return out


def facetrack(*args: str, cache: Path) -> tuple[float, str]:
    """One ``facetrack`` command with its own analysis cache: wall time (s) and stdout."""
    cmd = [sys.executable, "-m", "facetrack_otio", "-q", *args]
    env = {**os.environ, "FACETRACK_CACHE_DIR": str(cache)}
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False, env=env)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        sys.exit(f"facetrack {args[0]} failed: {(proc.stderr or proc.stdout).strip()[-500:]}")
    return wall, proc.stdout


def batch(folder: Path, outdir: Path, cache: Path) -> float:
    """One ``facetrack batch`` run (no clips); its wall time in seconds."""
    args = ("batch", str(folder), "-o", str(outdir), "--no-render", "-j", "1")
    return facetrack(*args, cache=cache)[0]


def cache_lookup(video: Path, outdir: Path, cache: Path) -> float:
    """``facetrack run`` on a cached input: the seconds its cache stage took (hash + load)."""
    shutil.rmtree(outdir, ignore_errors=True)
    _, out = facetrack("run", str(video), "-o", str(outdir), "--no-render", "--json", cache=cache)
    timings = json.loads(out)["timings"]
    if timings.get("faces", 1.0) != 0.0:
        sys.exit("the face stage ran: the input was not found in the cache")
    return timings["cache"]


def strip_stamps(outdir: Path) -> None:
    for manifest in outdir.rglob("manifest.json"):
        data = json.loads(manifest.read_text())
        data.pop("stamp", None)
        manifest.write_text(json.dumps(data, indent=2) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--inputs", type=int, default=8)
    parser.add_argument("--mb", type=int, default=256, help="size of each input (MB)")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="facetrack-resume-") as tmp:
        work = Path(tmp)
        paths = build_inputs(work, args.inputs, args.mb)
        size = sum(p.stat().st_size for p in paths) / 2**30
        outdir, cache = work / "out", work / "cache"
        first = batch(work / "videos", outdir, cache)
        stamped = {p: p.read_text() for p in outdir.rglob("manifest.json")}
        walls: dict[str, list[float]] = {"stamp": [], "hash": []}
        for _ in range(args.repeat):
            for how in walls:
                for manifest, text in stamped.items():
                    manifest.write_text(text)
                if how == "hash":
                    strip_stamps(outdir)
                walls[how].append(batch(work / "videos", outdir, cache))
                counts = json.loads((outdir / "batch.json").read_text())["counts"]
                if counts["skipped"] != args.inputs:
                    sys.exit(f"expected every input skipped, got {counts}")
        # `facetrack run` on one input the cache holds: the hash that finds its entry comes
        # from the stamps folder, or (stamps removed) from reading the file.
        runs: dict[str, list[float]] = {"stamp": [], "hash": []}
        video = paths[0]
        for _ in range(args.repeat):
            for how in runs:
                if how == "hash":
                    shutil.rmtree(cache / "stamps", ignore_errors=True)
                runs[how].append(cache_lookup(video, work / f"run-{how}", cache))
    print(f"{args.inputs} inputs, {size:.2f} GiB in all; first run {first:.1f} s\n")
    for title, table in (("batch resume, every input done", walls),
                         (f"run: finding a {args.mb} MB input in the cache", runs)):  # fmt: skip
        print(f"| {title} | seconds (median) | runs (s) |")
        print("|---|---|---|")
        for how, values in table.items():
            times = " ".join(f"{v:.3f}" for v in values)
            print(f"| {how} | {statistics.median(values):.3f} s | {times} |")
        print()


if __name__ == "__main__":
    main()
