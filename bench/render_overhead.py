"""Time render_turns against plain ffmpeg doing the same cuts and encodes.

The plain baseline is what one would type by hand for each turn, one after the other:
``ffmpeg -ss START -i SRC -t DUR -c:v libx264 -preset P -crf C -c:a aac -b:a B out.mp4``.
render_turns is timed with one encode at a time (the cost of the wrapper itself: probing,
frame-grid cut, fps filter, faststart, temporary names) and with its default parallelism.

Usage::

    python bench/render_overhead.py [--source samples/two_shot.mp4] [--runs 3]
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
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from facetrack_otio.media.probe import probe  # noqa: E402
from facetrack_otio.render import RenderSettings, render_turns  # noqa: E402
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


def plain_ffmpeg(source: Path, turns: list[SpeakerTurn], outdir: Path, s: RenderSettings) -> None:
    """The hand-written equivalent: one ffmpeg per turn, sequentially."""
    for i, turn in enumerate(turns):
        cmd = ["ffmpeg", "-nostdin", "-v", "error", "-y", "-ss", f"{turn.start:.6f}"]
        cmd += ["-i", str(source), "-t", f"{turn.duration:.6f}", "-c:v", "libx264"]
        cmd += ["-preset", s.preset, "-crf", str(s.crf), "-c:a", "aac", "-b:a", s.audio_bitrate]
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
    args = parser.parse_args()

    turns = read_turns(args.rttm or args.source.with_suffix(".rttm"))
    people = {t.speaker: Person(t.speaker, f"Speaker {t.speaker}") for t in turns}
    settings = RenderSettings(preset=args.preset)
    serial = RenderSettings(preset=args.preset, jobs=1)
    info = probe(args.source)
    seconds = sum(t.duration for t in turns)
    print(
        f"{args.source.name}: {info.width}x{info.height} @ {float(info.fps):.3f} fps, "
        f"{len(turns)} turns, {seconds:.1f} s of clips, preset {args.preset}, "
        f"median of {args.runs} runs"
    )

    plain = median_time(lambda d: plain_ffmpeg(args.source, turns, d, settings), args.runs)
    one = median_time(
        lambda d: render_turns(info, turns, people, d, serial, progress=False), args.runs
    )
    par = median_time(
        lambda d: render_turns(info, turns, people, d, settings, progress=False), args.runs
    )
    rows = [
        ("plain ffmpeg, one turn after another", plain),
        ("render_turns, jobs=1", one),
        ("render_turns, jobs=cores (default)", par),
    ]
    print(f"{'':40s} {'wall':>8s} {'ratio':>6s} {'cpu':>8s} {'ratio':>6s}")
    for label, (wall, cpu) in rows:
        print(
            f"{label:40s} {wall:7.2f}s {wall / plain[0]:5.2f}x {cpu:7.2f}s {cpu / plain[1]:5.2f}x"
        )
    print(
        f"overhead ratio (render_turns jobs=1 / plain ffmpeg): wall {one[0] / plain[0]:.3f}, "
        f"cpu {one[1] / plain[1]:.3f}"
    )


if __name__ == "__main__":
    main()
