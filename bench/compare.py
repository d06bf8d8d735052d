"""Wall time of the whole analysis, this tree against an earlier commit, in one run.

The earlier commit is checked out into a temporary git worktree; both trees then run
``facetrack run VIDEO --no-render --no-cache`` from a fresh interpreter, taking turns (so load
on the machine falls on both alike), ``--runs`` times each. Prints each run, the medians and
their ratio.

    .venv/bin/python bench/compare.py --base a942635                  # two_shot, 3 runs each
    .venv/bin/python bench/compare.py --base a942635 --runs 5 samples/cuts.mp4
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

ROOT = Path(__file__).resolve().parent.parent


def timed_run(tree: Path, video: Path, out: Path) -> tuple[float, float, dict]:
    """Wall and CPU seconds (this process's children) of one run in ``tree``, and its JSON."""
    import resource

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "facetrack_otio", "-q", "run", str(video), "-o", str(out),
         "--no-render", "--no-cache", "--json"],
        cwd=tree, capture_output=True, text=True, check=False,
    )  # fmt: skip
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if proc.returncode != 0:
        raise SystemExit(f"run in {tree} failed: {proc.stderr.strip()[-500:]}")
    return wall, cpu, json.loads(proc.stdout)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("video", nargs="?", default=str(ROOT / "samples" / "two_shot.mp4"))
    parser.add_argument("--base", required=True, help="the earlier commit to compare with")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    video = Path(args.video).resolve()
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp) / "base"
        subprocess.run(
            ["git", "-C", str(ROOT), "worktree", "add", "--detach", str(base), args.base],
            check=True, capture_output=True,
        )  # fmt: skip
        try:
            times: dict[str, list[tuple[float, float]]] = {"base": [], "this": []}
            for i in range(args.runs):
                for name, tree in (("base", base), ("this", ROOT)):
                    wall, cpu, summary = timed_run(tree, video, Path(tmp) / f"{name}{i}")
                    times[name].append((wall, cpu))
                    people = len(summary.get("people", []))
                    print(f"{name} run {i + 1}: {wall:.2f} s wall, {cpu:.2f} s CPU, "
                          f"{people} people", flush=True)  # fmt: skip
        finally:
            subprocess.run(
                ["git", "-C", str(ROOT), "worktree", "remove", "--force", str(base)],
                check=False, capture_output=True,
            )  # fmt: skip
    med = {k: (statistics.median(w for w, _ in v), statistics.median(c for _, c in v))
           for k, v in times.items()}  # fmt: skip
    print(
        f"{video.name}: base {args.base} {med['base'][0]:.2f} s ({med['base'][1]:.2f} s CPU), "
        f"this tree {med['this'][0]:.2f} s ({med['this'][1]:.2f} s CPU): "
        f"x{med['this'][0] / med['base'][0]:.2f} wall, x{med['this'][1] / med['base'][1]:.2f} CPU"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
