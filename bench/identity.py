"""Time the face stage's identity clustering at the sizes real inputs reach.

An hour of edited interview makes 700+ tracklets (a cut every few seconds). This times
``cluster_tracklets`` (average linkage with the cannot-link rule for faces seen together) on
synthetic tracklets: ``people`` identities, each tracklet a person's 128-d point plus noise,
spans placed at random so that some overlap (those may never join). Each size runs
``--runs`` times; the median is printed with the number of clusters found.

    .venv/bin/python bench/identity.py                       # 100 .. 2000 tracklets
    .venv/bin/python bench/identity.py --sizes 1000 5000 --runs 3
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from facetrack_otio.faces.identity import cluster_tracklets


def tracklets(n: int, people: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``n`` unit descriptors of ``people`` identities, their frame spans and true labels."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(people, 128))
    who = rng.integers(0, people, n)
    emb = centres[who] + rng.normal(scale=0.3, size=(n, 128))
    emb /= np.linalg.norm(emb, axis=1, keepdims=True)
    start = rng.permutation(n) * 50
    end = start + 40
    # A third of the tracklets overlap the next one in time when it is someone else's: faces
    # seen together, which must never join.
    order = np.argsort(start)
    nxt = np.empty(n, int)
    nxt[order[:-1]] = order[1:]
    nxt[order[-1]] = order[-1]
    together = (who != who[nxt]) & (rng.random(n) < 1 / 3)
    end[together] += 30
    return emb, np.stack([start, end], axis=1), who


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 200, 500, 1000, 2000])
    parser.add_argument("--people", type=int, default=20, help="identities (default 20)")
    parser.add_argument("--runs", type=int, default=5, help="runs per size (default 5)")
    args = parser.parse_args()
    print(f"{args.people} people; median of {args.runs} runs")
    print("| tracklets | seconds (median) | clusters | people present |")
    print("|---:|---:|---:|---:|")
    for n in args.sizes:
        times, found = [], 0
        emb, spans, who = tracklets(n, args.people, seed=n)
        # Two tracklets of one person sit at a cosine of ~0.92 here, of two people near 0: the
        # shipped threshold is for dlib's descriptors, 0.5 splits these as that one splits those.
        for _ in range(args.runs):
            t0 = time.perf_counter()
            labels = cluster_tracklets(emb, spans, 0.5)
            times.append(time.perf_counter() - t0)
            found = len(set(labels.tolist()))
        print(f"| {n} | {statistics.median(times):.3f} | {found} | {len(set(who.tolist()))} |")


if __name__ == "__main__":
    main()
