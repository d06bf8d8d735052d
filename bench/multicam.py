"""``facetrack multicam`` on the bundled shoot: sync, people, who speaks, the program on air,
the editing rules, and speed (analysis and render), against ``shoot.json``.

    .venv/bin/python bench/multicam.py                    # everything, 3 runs of each timing
    .venv/bin/python bench/multicam.py --only accuracy    # sync, people, DER, on air
    .venv/bin/python bench/multicam.py --only rules       # the editing rules' grid
    .venv/bin/python bench/multicam.py --only speed --repeat 5
    .venv/bin/python bench/multicam.py --write            # also update the docs' sections

Sync: each file's offset relative to the wide, against the ground truth. On air: during
single-speaker speech (0.5 s after each change of speaker not counted), the share of time the
program shows an angle that shows the speaker, and their close-up; the shortest shot; cuts
within 0.5 s of a back-channel; how many of the reference program's cuts the program makes
within 0.5 s. Speed: ``facetrack multicam --no-render --no-cache`` in a fresh process (start-up
included), against the shoot's length (first start to last end of any file); the render
against one ffmpeg cutting the same program with the same encoder settings and the same
sound. Medians of ``--repeat`` runs; the machine's load average is printed beside them.
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from facetrack_otio.cache import AnalysisCache  # noqa: E402
from facetrack_otio.eval.der import diarization_error_rate  # noqa: E402
from facetrack_otio.eval.program import ProgramScores, score_program  # noqa: E402
from facetrack_otio.multicam import analyse_shoot  # noqa: E402
from facetrack_otio.multicam.placement import frames  # noqa: E402
from facetrack_otio.multicam.program import CLOSE_UP, WIDE, AngleView, cut_program  # noqa: E402
from facetrack_otio.multicam.render import (  # noqa: E402
    program_args,
    program_shots,
    program_size,
    program_sounds,
    render_program,
)
from facetrack_otio.multicam.result import MulticamAnalysis  # noqa: E402
from facetrack_otio.multicam.settings import MulticamSettings  # noqa: E402
from facetrack_otio.multicam.timeline import read_multicam  # noqa: E402
from facetrack_otio.render.clips import RenderSettings  # noqa: E402
from facetrack_otio.speakers.turns import SpeakerTurn  # noqa: E402
from facetrack_otio.timeline.read import load_timeline  # noqa: E402

SHOOT = ROOT.parent / "shared" / "samples" / "multicam" / "two_person"
ANGLES = ("cam_wide.mp4", "cam_A.mp4", "cam_B.mp4")
MICS = ("mic_A.wav", "mic_B.wav")


def _truth() -> dict:
    return json.loads((SHOOT / "shoot.json").read_text())


def _shift(a: MulticamAnalysis, truth: dict) -> float:
    wide = next(f for f in a.files if f.name == "cam_wide.mp4")
    return next(f["offset"] for f in truth["files"] if f["file"] == "cam_wide.mp4") - wide.offset


def _score(program: list[tuple[float, float, str]], truth: dict) -> ProgramScores:
    cams = [f for f in truth["files"] if f["kind"] == "camera"]
    turns = [(t["who"], t["start"], t["end"]) for t in truth["turns"]]
    shows = {f["file"]: f["shows"] for f in cams}
    close = {p["id"]: p["close_up"] for p in truth["persons"]}
    return score_program(program, turns, shows, close)


def _agreement(program: list[tuple[float, float, str]], truth: dict, tol: float = 0.5) -> str:
    """Reference cuts matched by a program cut within ``tol`` s: matched/total."""
    ref = truth["reference_program"]["segments"]
    ref_cuts = [s["start"] for s in ref[1:]]
    cuts = [s for s, _, _ in program[1:]]
    hit = sum(any(abs(c - r) <= tol for c in cuts) for r in ref_cuts)
    return f"{hit}/{len(ref_cuts)}"


def accuracy(truth: dict) -> list[str]:
    lines = ["### Sync (offset relative to cam_wide, against shoot.json)", ""]
    lines += ["| file | placed by | confidence | error ms |", "|---|---|---|---|"]
    cache = AnalysisCache(Path(tempfile.mkdtemp(prefix="bench-mc-cache-")))
    runs = {
        "with microphones": analyse_shoot(
            [SHOOT / n for n in (*ANGLES, *MICS)], cache=cache, name="two_person"
        ),
        "cameras only": analyse_shoot([SHOOT / n for n in ANGLES], cache=cache, name="two_person"),
    }
    a = runs["with microphones"]
    true = {f["file"]: f["offset"] for f in truth["files"]}
    wide = next(f for f in a.files if f.name == "cam_wide.mp4")
    for f in a.files:
        err = (f.offset - wide.offset) - (true[f.name] - true["cam_wide.mp4"])
        c = f.placement.confidence if f.placement else float("nan")
        conf = "—" if c == float("inf") else f"{c:.1f}"
        how = f.placement.method if f.placement else "?"
        lines.append(f"| {f.name} | {how} | {conf} | {1000 * err:+.1f} |")
        print(lines[-1], flush=True)
    lines += ["", "### People, who speaks, the program", ""]
    lines += [
        "| run | people | microphones tied right | DER | on speaker | in close-up | "
        "shortest shot s | back-channel cuts | reference cuts matched | shots |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    turns = [(t["who"], t["start"], t["end"]) for t in truth["turns"]]
    lavaliers = {p["lavalier"]: p["id"] for p in truth["persons"]}
    for label, r in runs.items():
        shift = _shift(r, truth)
        hyp = [(str(t.speaker), t.start + shift, t.end + shift) for t in r.turns]
        der = diarization_error_rate(turns, hyp, collar=0.25)
        program = [(s.start + shift, s.end + shift, r.angles[s.angle].name) for s in r.program]
        sc = _score(program, truth)
        tied = "—"
        if r.mics:
            right = sum(
                der.mapping.get(str(r.wearers[f.label])) == lavaliers[f.name] for f in r.mics
            )
            tied = f"{right}/{len(r.mics)}"
        lines.append(
            f"| {label} | {len(r.people)} | {tied} | {der.der:.3f} | {sc.on_speaker:.1%} | "
            f"{sc.on_close_up:.1%} | {sc.shortest_shot:.2f} | {sc.backchannel_cuts} | "
            f"{_agreement(program, truth)} | {len(program)} |"
        )
        print(lines[-1], flush=True)
    return lines


def _truth_views(truth: dict) -> tuple[list[AngleView], list[SpeakerTurn], list[str]]:
    ids = {"A": 1, "B": 2}
    views, names = [], []
    for i, f in enumerate(f for f in truth["files"] if f["kind"] == "camera"):
        wide = f["angle"] == "wide"
        s, e = f["offset"], f["end"]
        views.append(
            AngleView(
                i, s, e, {ids[p]: [(s, e)] for p in f["shows"]},
                {ids[p]: 0.3 if wide else 0.5 for p in f["shows"]},
                WIDE if wide else CLOSE_UP, None if wide else ids[f["shows"][0]], f["file"],
            )
        )  # fmt: skip
        names.append(f["file"])
    turns = [SpeakerTurn(ids[t["who"]], t["start"], t["end"]) for t in truth["turns"]]
    return views, turns, names


def rules(truth: dict) -> list[str]:
    """The editing rules' grid on the true turns and the true views (the cut alone)."""
    views, turns, names = _truth_views(truth)
    end = truth["conversation"]["end"]
    lines = [
        "| min_shot | lead | backchannel | on speaker | in close-up | shortest | bc cuts | "
        "reference cuts matched | shots |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for min_shot, lead, bc in itertools.product(
        (1.0, 1.5, 2.0, 2.5), (0.0, 0.12, 0.25), (1.0, 1.2)
    ):
        s = MulticamSettings(
            min_shot=min_shot, lead=lead, backchannel=bc, cutaway=max(2.5, min_shot)
        )
        program = cut_program(turns, views, s, span=(0.0, end), fps=25)
        shots = [(p.start, p.end, names[p.angle]) for p in program]
        sc = _score(shots, truth)
        lines.append(
            f"| {min_shot} | {lead} | {bc} | {sc.on_speaker:.1%} | {sc.on_close_up:.1%} | "
            f"{sc.shortest_shot:.2f} | {sc.backchannel_cuts} | {_agreement(shots, truth)} | "
            f"{len(shots)} |"
        )
        print(lines[-1], flush=True)
    return lines


def _load() -> str:
    return "{:.1f} {:.1f} {:.1f}".format(*os.getloadavg())


def speed(repeat: int) -> list[str]:
    files = [str(SHOOT / n) for n in (*ANGLES, *MICS)]
    length = 43.84  # cam_wide rolls first and ends last: the shoot's length
    lines = [
        "| run | median s | runs s | x real time | CPU s (all processes) | load average |",
        "|---|---|---|---|---|---|",
    ]
    out = Path(tempfile.mkdtemp(prefix="bench-mc-"))
    for label, extra in (("with microphones", files), ("cameras only", files[:3])):
        times, cpus = [], []
        summary: dict = {}
        for k in range(repeat):
            before = _children_cpu()
            t0 = time.perf_counter()
            proc = subprocess.run(
                [sys.executable, "-m", "facetrack_otio", "multicam", *extra, "-o",
                 str(out / f"{label[0]}{k}"), "--no-render", "--no-cache", "--json", "-q"],
                capture_output=True, text=True, check=True, cwd=ROOT,
            )  # fmt: skip
            times.append(time.perf_counter() - t0)
            cpus.append(_children_cpu() - before)
            summary = json.loads(proc.stdout)
        med = statistics.median(times)
        lines.append(
            f"| analysis, {label} | {med:.2f} | {', '.join(f'{t:.2f}' for t in times)} | "
            f"{length / med:.1f} | {statistics.median(cpus):.1f} | {_load()} |"
        )
        print(lines[-1], "stages:", summary.get("timings"), flush=True)
    # The render: the analysis with microphones, read back from its .otio.
    analysis = read_multicam(load_timeline(out / f"w{repeat - 1}" / "two_person.otio"))
    settings = RenderSettings(encoder="libx264")
    kinds = {
        "render: facetrack": "ours",
        "render: facetrack, one ffmpeg (--jobs 1)": "single",
        "render: one ffmpeg, same cut": "base",
    }
    runs: dict[str, tuple[list[float], list[float]]] = {k: ([], []) for k in kinds.values()}
    for k in range(repeat):  # taking turns, so all see the same load
        for which in runs:
            before = _children_cpu() + _own_cpu()
            t0 = time.perf_counter()
            target = out / f"{which}{k}.mp4"
            if which == "base":
                subprocess.run(baseline_args(analysis, target, settings), check=True)
            else:
                jobs = dataclasses.replace(settings, jobs=1) if which == "single" else settings
                render_program(analysis, target, jobs, progress=False)
            runs[which][0].append(time.perf_counter() - t0)
            runs[which][1].append(_children_cpu() + _own_cpu() - before)
    for label, which in kinds.items():
        times, cpus = runs[which]
        med = statistics.median(times)
        lines.append(
            f"| {label} | {med:.2f} | {', '.join(f'{t:.2f}' for t in times)} | "
            f"{length / med:.1f} | {statistics.median(cpus):.1f} | {_load()} |"
        )
        print(lines[-1], flush=True)
    return lines


def _children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def _own_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def baseline_args(analysis: MulticamAnalysis, output: Path, settings: RenderSettings) -> list[str]:
    """One ffmpeg cutting the same shots, with the same sound, into one mp4."""
    fps = analysis.fps
    start = Fraction(frames(analysis.span[0], fps)) / fps
    return program_args(
        program_shots(analysis), program_sounds(analysis), output, program_size(analysis),
        fps, start, settings, "libx264", 0,
    )  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=("accuracy", "rules", "speed"), action="append")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--write", action="store_true", help="print the markdown to paste")
    args = parser.parse_args()
    if not SHOOT.is_dir():
        print(f"{SHOOT}: the shared multicam shoot is absent", file=sys.stderr)
        return 2
    truth = _truth()
    parts = args.only or ["accuracy", "rules", "speed"]
    out: list[str] = []
    if "accuracy" in parts:
        out += [*accuracy(truth), ""]
    if "rules" in parts:
        out += ["### Editing rules (true turns, true views)", "", *rules(truth), ""]
    if "speed" in parts:
        out += ["### Speed (2 cores)", "", *speed(args.repeat), ""]
    if args.write:
        print("\n".join(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
