"""A seeded fuzz harness for the command line: cases made from real inputs, run as a user runs
them, each checked against the contract of :mod:`tests.contract`.

- :data:`COMMANDS` is the list of command templates: the words of one command line, with
  ``{input}``, ``{partner}`` (a second, whole input), ``{out}``, ``{timeline}``, ``{person}``,
  ``{hyp}``, ``{ref}`` and ``{config}`` filled in per case, what kinds of input it reads,
  its numeric options, and what a success must leave. A new command joins the fuzzing with
  one more entry.
- ``tests/test_fuzz.py``'s ``SOURCES`` are the base inputs the mutations start from, by
  kind (``video``, ``audio``): a new kind of input is one more entry, taken by every command
  whose template reads it.
- A :class:`Case` is one command line to run; :func:`run_cases` runs cases two at a time
  (CI has two cores) in fresh processes (forked from a server that imported the command
  line once), each within its time bound, and returns every
  breach of the contract with the seed and a line to reproduce it.

``FACETRACK_FUZZ_SEED`` fixes the seed (a new one is drawn otherwise, and printed with every
failure); ``FACETRACK_FUZZ_SCALE`` multiplies the number of cases (``10`` for a long hunt).
"""

from __future__ import annotations

import os
import random
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from tests import zygote
from tests.contract import (
    clip_problems,
    ending,
    export_problems,
    leftovers,
    snapshot,
    timeline_problems,
    untouched,
)

ROOT = Path(__file__).resolve().parent.parent
SEED = int(os.environ.get("FACETRACK_FUZZ_SEED") or random.SystemRandom().randrange(10**6))
SCALE = float(os.environ.get("FACETRACK_FUZZ_SCALE") or 1)
WORKERS = 2


def scaled(n: int) -> int:
    """``n`` cases, times ``FACETRACK_FUZZ_SCALE``."""
    return max(1, round(n * SCALE))


def rng_for(family: str) -> random.Random:
    """The random source of one family of cases: the seed and the family's name."""
    return random.Random(f"{SEED}/{family}")


# --------------------------------------------------------------------------- cases


@dataclass
class Case:
    """One command line to run, and what to check after it.

    Attributes
    ----------
    name : str
        ``family-index``, for the failure message and ``-k``.
    what : str
        What was done to the input, in words.
    command : str
        The template's name in :data:`COMMANDS`.
    words : dict
        The placeholders of the template (paths, as strings).
    extra : list of str
        Arguments added after the template's.
    outdir : Path or None
        The output folder the command writes (checked for leftovers; left as it was when
        the command fails).
    stem : str or None
        The name exports are expected under, on success.
    inputs : list of Path
        Files the command reads: they must not change.
    """

    name: str
    what: str
    command: str
    words: dict[str, str]
    extra: list[str] = field(default_factory=list)
    outdir: Path | None = None
    stem: str | None = None
    inputs: list[Path] = field(default_factory=list)
    timeout: float | None = None

    def argv(self) -> list[str]:
        template = COMMANDS[self.command].template
        return ["-q", *(word.format(**self.words) for word in template), *self.extra]


@dataclass(frozen=True)
class Command:
    """A command template.

    Attributes
    ----------
    template : tuple of str
        The command line after ``facetrack -q``, with placeholders.
    reads : tuple of str
        Kinds of input it takes (``video``, ``audio``, ``timeline``, ``rttm``, ``settings``).
    numeric : tuple of str
        Its options that take a number.
    success : callable
        ``success(case, proc) -> problems`` for an exit 0.
    codes : tuple of int
        Exit codes the contract allows it (``batch`` reports failed inputs with 1).
    timeout : float
        Seconds a case may take, start-up and models included.
    """

    template: tuple[str, ...]
    reads: tuple[str, ...]
    success: Callable[[Case, subprocess.CompletedProcess[str]], list[str]]
    numeric: tuple[str, ...] = ()
    codes: tuple[int, ...] = (0, 2)
    timeout: float = 120.0


def _run_success(case: Case, proc: subprocess.CompletedProcess[str]) -> list[str]:
    assert case.outdir is not None and case.stem is not None
    return export_problems(case.outdir, case.stem) + clip_problems(case.outdir / "clips")


def _export_success(case: Case, proc: subprocess.CompletedProcess[str]) -> list[str]:
    assert case.outdir is not None and case.stem is not None
    return export_problems(case.outdir, case.stem)


def _render_success(case: Case, proc: subprocess.CompletedProcess[str]) -> list[str]:
    assert case.outdir is not None
    return clip_problems(case.outdir)


def _name_success(case: Case, proc: subprocess.CompletedProcess[str]) -> list[str]:
    return timeline_problems(Path(case.words["timeline"]))


def _multicam_success(case: Case, proc: subprocess.CompletedProcess[str]) -> list[str]:
    from facetrack_otio.exports import export_stem

    assert case.outdir is not None
    # Named after the first file's folder.
    stem = export_stem(Path(case.words["input"]).resolve().parent.name)
    return export_problems(case.outdir, stem)


def _report_success(case: Case, proc: subprocess.CompletedProcess[str]) -> list[str]:
    html = Path(case.words["timeline"]).parent / "report.html"
    return [] if html.is_file() and html.stat().st_size else ["no report.html"]


def _batch_success(case: Case, proc: subprocess.CompletedProcess[str]) -> list[str]:
    assert case.outdir is not None
    problems = []
    for folder in sorted(p.parent for p in case.outdir.rglob("manifest.json")):
        problems += export_problems(folder, next(folder.glob("*.otio")).stem)
    if proc.returncode == 1 and "failed: " not in proc.stdout:
        problems.append("exit 1 without a failed input listed")
    return problems


def _prints(word: str) -> Callable[[Case, subprocess.CompletedProcess[str]], list[str]]:
    def check(case: Case, proc: subprocess.CompletedProcess[str]) -> list[str]:
        return [] if word in proc.stdout else [f"{word!r} not in what it printed"]

    return check


_ANALYSIS = ("--max-fps", "--max-side", "--audio-stream", "--speakers")
_RENDER = ("--crf", "--pad", "--jobs", "--segment")
# Fast analysis: few frames at a small size; the contract does not depend on accuracy.
_QUICK = ("--max-fps", "2", "--max-side", "320")

COMMANDS: dict[str, Command] = {
    "run": Command(
        ("run", "{input}", "-o", "{out}", "--no-render", *_QUICK),
        reads=("video", "audio"),
        success=_run_success,
        numeric=_ANALYSIS,
    ),
    "run-render": Command(
        ("run", "{input}", "-o", "{out}", "--preset", "ultrafast", *_QUICK),
        reads=("video", "audio"),
        success=_run_success,
        numeric=_ANALYSIS + _RENDER,
    ),
    "batch": Command(
        ("batch", "{input}", "-o", "{out}", "--no-render", "-j", "1", *_QUICK),
        reads=("video", "audio"),
        success=_batch_success,
        numeric=(*_ANALYSIS, "-j"),
        codes=(0, 1, 2),
    ),
    # A camera or microphone (the input) beside a whole camera (the partner).
    "multicam": Command(
        ("multicam", "{input}", "{partner}", "-o", "{out}", "--no-render", *_QUICK),
        reads=("video", "audio"),
        success=_multicam_success,
        numeric=("--max-fps", "--max-side", "--min-shot", "--max-shot", "--lead", "--backchannel"),
    ),
    "export": Command(
        ("export", "{timeline}", "-o", "{out}"), reads=("timeline",), success=_export_success
    ),
    "name": Command(
        ("name", "{timeline}", "1={person}"), reads=("timeline",), success=_name_success
    ),
    "render": Command(
        ("render", "{timeline}", "-o", "{out}", "--preset", "ultrafast"),
        reads=("timeline",),
        success=_render_success,
        numeric=_RENDER,
    ),
    "report": Command(("report", "{timeline}"), reads=("timeline",), success=_report_success),
    "eval": Command(
        ("eval", "{hyp}", "{ref}"), reads=("rttm",), success=_prints("DER"), numeric=("--collar",)
    ),
    "config": Command(
        ("config", "--show", "--config", "{config}"),
        reads=("settings",),
        success=_prints("[faces]"),
    ),
}


# --------------------------------------------------------------------------- running


@dataclass
class Outcome:
    case: Case
    problems: list[str]
    seconds: float
    returncode: int | None
    stderr: str


def _user_files(outdir: Path, rng: random.Random) -> None:
    """An existing output folder holding the user's own files, where facetrack writes."""
    for rel in ("notes.txt", "clips/my_edit.mp4", "thumbs/me.jpg"):
        path = outdir / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(rng.randbytes(64))


def prepare(case: Case, rng: random.Random) -> None:
    """Give about half the cases an output folder that already holds the user's files."""
    if case.outdir is not None and rng.random() < 0.5 and not case.outdir.exists():
        _user_files(case.outdir, rng)


def run_case(case: Case) -> Outcome:
    """Run one case in a fresh process (its own session, killed whole at the time bound),
    forked from a server that imported the command line once (:mod:`tests.zygote`)."""
    command = COMMANDS[case.command]
    timeout = case.timeout or command.timeout
    before = snapshot(case.outdir) if case.outdir is not None else None
    inputs = {p: snapshot(p) for p in case.inputs}
    argv = [sys.executable, "-m", "facetrack_otio", *case.argv()]
    ended = zygote.run(
        case.argv(), env={**os.environ, "PYTHONWARNINGS": "ignore"}, cwd=ROOT, timeout=timeout
    )
    seconds = ended.seconds
    if ended.returncode is None:
        return Outcome(case, [f"no end within {timeout:.0f} s (a hang)"], seconds, None, "")
    done = subprocess.CompletedProcess(argv, ended.returncode, ended.stdout, ended.stderr)
    problems = ending(done, command.codes)
    if done.returncode == 0 and not problems:
        problems += command.success(case, done)
    if case.outdir is not None:
        problems += [f"left behind: {p}" for p in leftovers(case.outdir)]
        if before is not None:
            problems += untouched(
                {k: v for k, v in before.items() if not _facetrack_name(k)}, case.outdir
            )
        if done.returncode == 2 and snapshot(case.outdir) != before:
            problems.append("the output folder changed although the command failed")
    for path, was in inputs.items():
        if snapshot(path) != was:
            problems.append(f"input {path.name} changed")
    return Outcome(case, problems, seconds, done.returncode, done.stderr)


def _facetrack_name(rel: str) -> bool:
    # Only the user's own files must stay untouched; outputs of an earlier case may go.
    return not rel.endswith(("notes.txt", "my_edit.mp4", "me.jpg"))


def run_cases(cases: Sequence[Case], workers: int = WORKERS) -> list[Outcome]:
    """Run every case, ``workers`` at a time; the outcomes in case order.

    With ``FACETRACK_FUZZ_LOG`` set to a file, one line per case is added to it (name,
    command, exit, seconds, what), to see where the suite's time goes.
    """
    with ThreadPoolExecutor(max_workers=workers) as pool:
        outcomes = list(pool.map(run_case, cases))
    log_cases(
        (o.case.name, o.case.command, str(o.returncode), f"{o.seconds:.2f}", o.case.what,
         "; ".join(o.problems))
        for o in outcomes
    )  # fmt: skip
    return outcomes


def log_cases(rows: Iterable[Sequence[str]]) -> None:
    """Add rows (name, command, exit, seconds, what, problems) to ``FACETRACK_FUZZ_LOG``."""
    log = os.environ.get("FACETRACK_FUZZ_LOG")
    if log:
        with open(log, "a", encoding="utf-8") as f:
            for row in rows:
                f.write("\t".join(repr(x) if "\t" in x or "\n" in x else x for x in row) + "\n")


def report(family: str, outcomes: Sequence[Outcome]) -> str:
    """The failure message: every breach, with the seed and how to run the family again."""
    bad = [o for o in outcomes if o.problems]
    lines = [
        f"{len(bad)} of {len(outcomes)} {family} cases broke the contract "
        f"(seed {SEED}; again with: FACETRACK_FUZZ_SEED={SEED} "
        f"python -m pytest tests/test_fuzz.py -k {family})"
    ]
    for o in bad:
        last = o.stderr.strip().splitlines()[-1:] or [""]
        lines.append(
            f"- {o.case.name} [{o.case.command}] {o.case.what}: {'; '.join(o.problems)} "
            f"(exit {o.returncode}, {o.seconds:.1f} s) {last[0][:300]}"
        )
        lines.append(f"    facetrack {' '.join(_quoted(a) for a in o.case.argv())}")
    return "\n".join(lines)


def _quoted(word: str) -> str:
    return repr(word) if not word.isprintable() or " " in word or not word else word


def fresh(base: Path, name: str) -> Path:
    """An empty working folder for one case."""
    folder = base / name
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder
