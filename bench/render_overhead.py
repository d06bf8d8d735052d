"""Time render_turns against plain ffmpeg doing the same cuts, crops and encodes.

The plain baseline is what one would type by hand for each turn, one after the other:
``ffmpeg -ss START -i SRC -t DUR [-vf crop=W:H:X:Y] -c:v libx264 -preset P -crf C -c:a aac
-b:a B out.mp4``. render_turns is timed with one encode at a time (the cost of the wrapper
itself: probing, frame-grid cut, fps filter, the face-following crop path and its sendcmd
script, faststart, temporary names) and with its default parallelism, for the source aspect
and for a 9:16 crop. The crop follows the ground-truth face boxes of the sample
(``<source>.boxes.csv``, sampled at 5 Hz as the analysis stores them), so no models run.
CPU utilisation is CPU time / wall time / cores.

Usage::

    python bench/render_overhead.py [--source samples/two_shot.mp4] [--runs 3]
"""

from __future__ import annotations

import argparse
import csv
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from facetrack_otio.media.probe import probe  # noqa: E402
from facetrack_otio.render import RenderSettings, render_turns  # noqa: E402
from facetrack_otio.render.reframe import crop_path, parse_aspect  # noqa: E402
from facetrack_otio.speakers.turns import Person, SpeakerTurn  # noqa: E402


def read_turns(rttm: Path) -> list[SpeakerTurn]:
    """Turns of an RTTM file; speaker labels become ids 1, 2, ... in order of appearance."""
    ids: dict[str, int] = {}
    turns = []
    for line in rttm.read_text().splitlines():
        fields = line.split()
        if fields and fields[0] == "SPEAKER":
            start, dur = float(fields[3]), float(fields[4])
            speaker = ids.setdefault(fields[7], len(ids) + 1)
            turns.append(SpeakerTurn(speaker, start, start + dur))
    return turns


def read_boxes(csv_path: Path, size: tuple[int, int], hz: float = 5.0) -> dict[int, np.ndarray]:
    """Ground-truth face boxes as reframe keyframes: person A, B, ... become ids 1, 2, ..."""
    w, h = size
    rows: dict[int, list[list[float]]] = {}
    ids: dict[str, int] = {}
    with csv_path.open() as f:
        for r in csv.DictReader(f):
            t = float(r["t"])
            if abs(t * hz - round(t * hz)) > 0.02:  # keep ~5 samples per second
                continue
            pid = ids.setdefault(r["person"], len(ids) + 1)
            box = [float(r[k]) for k in ("x1", "y1", "x2", "y2")]
            rows.setdefault(pid, []).append([t, box[0] / w, box[1] / h, box[2] / w, box[3] / h])
    return {pid: np.asarray(v) for pid, v in rows.items()}


def plain_ffmpeg(
    source: Path,
    turns: list[SpeakerTurn],
    outdir: Path,
    s: RenderSettings,
    crops: list[str] | None = None,
) -> None:
    """The hand-written equivalent: one ffmpeg per turn, sequentially (with a fixed crop)."""
    for i, turn in enumerate(turns):
        cmd = ["ffmpeg", "-nostdin", "-v", "error", "-y", "-ss", f"{turn.start:.6f}"]
        cmd += ["-i", str(source), "-t", f"{turn.duration:.6f}"]
        if crops:
            cmd += ["-vf", crops[i]]
        cmd += ["-c:v", "libx264", "-preset", s.preset, "-crf", str(s.crf)]
        cmd += ["-c:a", "aac", "-b:a", s.audio_bitrate]
        subprocess.run([*cmd, str(outdir / f"{i:04d}.mp4")], check=True)


def _cpu() -> float:
    """CPU seconds used so far by this process and its finished children."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def median_time(fn: Callable[[Path], object], runs: int) -> tuple[float, float]:
    """Median wall-clock and CPU seconds of ``fn`` over ``runs`` runs (fresh folder each)."""
    walls, cpus = [], []
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as tmp:
            c0, t0 = _cpu(), time.perf_counter()
            fn(Path(tmp))
            walls.append(time.perf_counter() - t0)
            cpus.append(_cpu() - c0)
    return statistics.median(walls), statistics.median(cpus)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", type=Path, default=ROOT / "samples" / "two_shot.mp4")
    parser.add_argument("--rttm", type=Path, help="turns (default: the source's .rttm)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--preset", default=RenderSettings().preset)
    parser.add_argument("--aspect", default="9:16")
    args = parser.parse_args()

    turns = read_turns(args.rttm or args.source.with_suffix(".rttm"))
    people = {t.speaker: Person(t.speaker, f"Speaker {t.speaker}") for t in turns}
    info = probe(args.source)
    boxes = read_boxes(args.source.with_suffix(".boxes.csv"), (info.width, info.height))
    cores = os.cpu_count() or 1
    seconds = sum(t.duration for t in turns)
    print(
        f"{args.source.name}: {info.width}x{info.height} @ {float(info.fps):.3f} fps, "
        f"{len(turns)} turns, {seconds:.1f} s of clips, preset {args.preset}, "
        f"{cores} cores, median of {args.runs} runs"
    )
    # The fixed crop of the baseline: where the face-following window starts in each turn.
    aspect = parse_aspect(args.aspect)
    assert aspect is not None
    fixed = []
    for t in turns:
        times = np.arange(round(t.duration * float(info.fps))) / float(info.fps) + t.start
        p = crop_path(boxes.get(t.speaker, np.zeros((0, 5))), times, (info.width, info.height),
                      aspect, float(info.fps))  # fmt: skip
        fixed.append(f"crop={p.width}:{p.height}:{int(p.x[0])}:{int(p.y[0])}")

    def ours(**kw: object) -> Callable[[Path], object]:
        s = RenderSettings(preset=args.preset, encoder="libx264", **kw)  # type: ignore[arg-type]
        return lambda d: render_turns(info, turns, people, d, s, progress=False, reframe=boxes)

    base = RenderSettings(preset=args.preset)
    plain = median_time(lambda d: plain_ffmpeg(args.source, turns, d, base), args.runs)
    plain_crop = median_time(lambda d: plain_ffmpeg(args.source, turns, d, base, fixed), args.runs)
    rows = [
        ("plain ffmpeg, one turn after another", plain, plain),
        ("render_turns, jobs=1", median_time(ours(jobs=1), args.runs), plain),
        ("render_turns, jobs=cores (default)", median_time(ours(), args.runs), plain),
        (f"plain ffmpeg, fixed {args.aspect} crop", plain_crop, plain_crop),
        (
            f"render_turns {args.aspect} following, jobs=1",
            median_time(ours(jobs=1, aspect=args.aspect), args.runs),
            plain_crop,
        ),
        (
            f"render_turns {args.aspect} following, default",
            median_time(ours(aspect=args.aspect), args.runs),
            plain_crop,
        ),
        (
            f"render_turns {args.aspect} per speaker, default",
            median_time(ours(aspect=args.aspect, per="speaker"), args.runs),
            plain_crop,
        ),
    ]
    print(f"{'':44s} {'wall':>8s} {'ratio':>6s} {'cpu':>8s} {'ratio':>6s} {'cpu util':>8s}")
    for label, (wall, cpu), (ref_wall, ref_cpu) in rows:
        print(
            f"{label:44s} {wall:7.2f}s {wall / ref_wall:5.2f}x {cpu:7.2f}s "
            f"{cpu / ref_cpu:5.2f}x {cpu / wall / cores:7.0%}"
        )
    print(
        f"overhead ratio, source aspect (render_turns jobs=1 / plain ffmpeg): "
        f"wall {rows[1][1][0] / plain[0]:.3f}, cpu {rows[1][1][1] / plain[1]:.3f}"
    )
    print(
        f"overhead ratio, {args.aspect} (following crop jobs=1 / plain fixed crop): "
        f"wall {rows[4][1][0] / plain_crop[0]:.3f}, cpu {rows[4][1][1] / plain_crop[1]:.3f}"
    )


if __name__ == "__main__":
    main()
