"""The contract under fuzzing: mutated media, odd names, numbers at their edges, broken
settings, RTTM and timelines, through every command (see :mod:`tests.fuzzing`).

Each run samples a few hundred cases from a new seed (printed with any failure; set
``FACETRACK_FUZZ_SEED`` to repeat one, ``FACETRACK_FUZZ_SCALE`` for more cases). Most cases
stop at the early checks and cost a process start; inputs that pass them are run whole, on a
1.5-second source at 2 analysis frames per second.
"""

from __future__ import annotations

import functools
import math
import random
import shutil
import subprocess
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from facetrack_otio.errors import MediaError
from facetrack_otio.exports import export_stem
from facetrack_otio.media.probe import probe
from facetrack_otio.text import display_name
from tests.fuzzing import (
    COMMANDS,
    SEED,
    Case,
    fresh,
    log_cases,
    prepare,
    report,
    rng_for,
    run_cases,
    scaled,
)
from tests.mutations import (
    EDGE_NUMBERS,
    MEDIA_MUTATIONS,
    TOML_VALUES,
    box_cuts,
    mangle_otio,
    mangle_rttm,
    mangle_text,
    odd_name,
    settings_cases,
    settings_text,
)

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "samples" / "two_shot.mp4"
# Seconds a probe of a damaged file may take (ffprobe reads headers only).
PROBE_BOUND = 20.0


def _ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", *args], check=True)


# The base inputs mutations start from, by kind: name -> (kind, ffmpeg output arguments),
# each made from 1.5 s of the bundled two-shot. Commands take the kinds their template reads.
_SMALL = ("-vf", "scale=320:180", "-c:v", "libx264", "-preset", "ultrafast")
SOURCES: dict[str, tuple[str, tuple[str, ...]]] = {
    "mp4": ("video", (*_SMALL, "-g", "12", "-c:a", "aac")),
    "faststart.mp4": ("video", (*_SMALL, "-c:a", "aac", "-movflags", "+faststart")),
    "mkv": ("video", (*_SMALL, "-c:a", "libopus")),
    "m4a": ("audio", ("-vn", "-c:a", "aac")),
}


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


@pytest.fixture(scope="module")
def sources(work: Path) -> dict[str, tuple[str, bytes]]:
    """Each source's kind and bytes."""
    out = {}
    for name, (kind, args) in SOURCES.items():
        path = work / f"source.{name}"
        _ffmpeg("-i", str(SAMPLE), "-t", "1.5", *args, str(path))
        out[name] = (kind, path.read_bytes())
    return out


@pytest.fixture(scope="module")
def base_run(work: Path, sources: dict[str, tuple[str, bytes]]) -> Path:
    """A real run of the mp4 source: its outputs folder (``base.otio`` and the rest)."""
    video = work / "base.mp4"
    video.write_bytes(sources["mp4"][1])
    out = work / "base-out"
    case = Case(
        "base",
        "the unmutated source",
        "run-render",
        {"input": str(video), "out": str(out)},
        outdir=out,
        stem="base",
    )
    (outcome,) = run_cases([case])
    assert not outcome.problems, report("base", [outcome])
    return out


def _command_for(kind: str, rng: random.Random) -> str:
    """A command that reads ``kind``; `batch`, which starts a worker with the models even for
    an input it refuses, and `multicam`, which analyses two files, a fifth as often as the
    others."""
    names = [name for name, c in COMMANDS.items() if kind in c.reads]
    weights = [1 if name in ("batch", "multicam") else 5 for name in names]
    return rng.choices(names, weights)[0]


def _check(family: str, cases: list[Case]) -> None:
    outcomes = run_cases(cases)
    assert not any(o.problems for o in outcomes), report(family, outcomes)


# --------------------------------------------------------------------------- media


def _probe_problems(path: Path) -> list[str]:
    """What is wrong with ``probe`` on a file: it must describe a medium sanely, or refuse it
    with one line (MediaError), in bounded time."""
    return _probe(path)[0]


def _probe(path: Path) -> tuple[list[str], bool]:
    """:func:`_probe_problems`, and whether the file was taken."""
    t0 = time.monotonic()
    taken = False
    try:
        info = probe(path)
    except MediaError as exc:
        text = str(exc)
        problems = [] if text and "\n" not in text else [f"refusal not one line: {text!r}"]
    except Exception as exc:  # anything else is the finding
        problems = [f"{type(exc).__name__}: {exc}"]
    else:
        taken = True
        problems = []
        if not (info.has_video or info.has_audio):
            problems.append("neither video nor audio")
        if info.has_video and not (info.width > 0 and info.height > 0 and info.n_frames > 0):
            problems.append(f"size {info.width}x{info.height}, {info.n_frames} frames")
        if not (0 < info.fps <= 1000 and math.isfinite(info.duration) and info.duration > 0):
            problems.append(f"{float(info.fps)} fps, {info.duration} s")
    if time.monotonic() - t0 > PROBE_BOUND:
        problems.append(f"probe took {time.monotonic() - t0:.0f} s")
    return problems, taken


def _mutants(
    sources: dict[str, tuple[str, bytes]], family: str, n: int
) -> list[tuple[str, str, str, bytes]]:
    """``n`` mutated copies of the sources: (source, kind, what was done, bytes)."""
    rng = rng_for(family)
    out = []
    for _ in range(n):
        source = rng.choice(sorted(sources))
        kind, data = sources[source]
        how = rng.choice(sorted(MEDIA_MUTATIONS))
        mutated, what = MEDIA_MUTATIONS[how](data, rng)
        out.append((source, kind, f"{source}: {what}", mutated))
    return out


def test_every_box_boundary_truncation_is_probed_or_refused(
    sources: dict[str, tuple[str, bytes]], work: Path
) -> None:
    # Every cut of the MP4 sources at a box boundary, through the probe that every command
    # starts with: a description of what is there, or one line saying what is wrong.
    folder = fresh(work, "cuts")
    jobs: list[tuple[str, Path]] = []
    for name, (_, data) in sources.items():
        for at, what in box_cuts(data):
            path = folder / f"{len(jobs)}.{name.rsplit('.', 1)[-1]}"
            path.write_bytes(data[:at])
            jobs.append((f"{name}: {what}", path))
    assert len(jobs) > 60  # the walk found the boxes
    with ThreadPoolExecutor(2) as pool:
        found = list(pool.map(lambda job: (job[0], _probe_problems(job[1])), jobs))
    log_cases((f"cuts-{i}", "probe", "", "", w, "; ".join(p)) for i, (w, p) in enumerate(found))
    bad = [f"{what}: {'; '.join(p)}" for what, p in found if p]
    assert not bad, "\n".join(bad)


def test_fuzz_media(sources: dict[str, tuple[str, bytes]], work: Path) -> None:
    """Mutated media: every mutant probed; some of the refused ones and a few of the
    accepted ones run through the commands that read their kind."""
    family = "media"
    rng = rng_for(family + "/pick")
    folder = fresh(work, family)
    probed, accepted, refused = [], [], []
    mutants = _mutants(sources, family, scaled(120))
    paths = []
    for i, (source, _, _, data) in enumerate(mutants):
        path = folder / f"in{i}" / f"m{i}.{source.rsplit('.', 1)[-1]}"
        path.parent.mkdir()
        path.write_bytes(data)
        paths.append(path)
    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(_probe, paths))
    log_cases(
        (f"media-probe-{i}", "probe", "", "", m[2], "; ".join(p))
        for i, (m, (p, _)) in enumerate(zip(mutants, results, strict=True))
    )
    for (_, kind, what, _), path, (problems, taken) in zip(mutants, paths, results, strict=True):
        if problems:
            probed.append(f"probe {what}: {'; '.join(problems)}")
        else:
            (accepted if taken else refused).append((kind, what, path))
    assert not probed, f"seed {SEED}:\n" + "\n".join(probed)
    cases = []
    picks = rng.sample(refused, min(len(refused), scaled(10)))
    picks += rng.sample(accepted, min(len(accepted), scaled(5)))
    for i, (kind, what, path) in enumerate(picks):
        command = _command_for(kind, rng)
        out = path.parent / "out"
        partner = path.parent / "partner.mp4"
        partner.write_bytes(sources["mp4"][1])
        words = {"input": str(path), "partner": str(partner), "out": str(out)}
        case = Case(
            f"{family}-{i}", what, command, words, outdir=out, stem=path.stem, inputs=[path]
        )
        prepare(case, rng)
        cases.append(case)
    _check(family, cases)


# --------------------------------------------------------------------------- names


def test_fuzz_names(sources: dict[str, tuple[str, bytes]], base_run: Path, work: Path) -> None:
    """Names in every byte class: of the input, the output folder, the timeline file, a
    person, an RTTM and a settings file."""
    family = "names"
    rng = rng_for(family)
    folder = fresh(work, family)
    data = sources["mp4"][1]
    timeline = (base_run / "base.otio").read_bytes()
    rttm = (base_run / "base.rttm").read_bytes()
    cases: list[Case] = []
    probed: list[str] = []
    n_probed = 0

    def make(i: int, name: str, content: bytes, suffix: str) -> Path:
        path = folder / f"c{i}" / f"{name}{suffix}"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
        return path

    for i in range(scaled(60)):
        name, classes = odd_name(rng, suffix=b"")
        name = name[:200]
        role = rng.choice(("input", "input", "out", "timeline", "person", "rttm", "config"))
        what = f"{role} named {name!r} ({classes})"
        add = functools.partial(_add_case, cases, f"{family}-{i}", what)
        if role == "input":
            path = make(i, name, data, ".mp4")
            problems = _probe_problems(path)
            n_probed += 1
            if problems:
                probed.append(f"{what}: {'; '.join(problems)}")
            if i % 12 == 0:  # a few whole runs; the probe of the name is what most cases check
                add("run", path, path.parent / "out")
        elif role in ("out", "timeline"):
            path = make(i, name if role == "timeline" else "base", timeline, ".otio")
            add("export", path, path.parent / (name if role == "out" else "out"))
        elif role == "person":
            path = make(i, "base", timeline, ".otio")
            add("name", path, path.parent, timeline=str(path), person=name)
        elif role == "rttm":
            path = make(i, name, rttm, ".rttm")
            add("eval", path, None, hyp=str(path), ref=str(path))
        else:
            add("config", make(i, name, b"[faces]\nmax_fps = 5.0\n", ".toml"))
    log_cases((f"{family}-probe", "probe", "", "", p, "failed") for p in probed)
    log_cases((f"{family}-probes", "probe", "", "", str(n_probed), "") for _ in [0])
    assert not probed, f"seed {SEED}:\n" + "\n".join(probed)
    _check(family, cases)


def _add_case(
    cases: list[Case], name: str, what: str, command: str, path: Path,
    out: Path | None = None, **words: str,
) -> None:  # fmt: skip
    """A case of ``command`` reading ``path`` (written back by `name`) and writing ``out``."""
    stem = _stem_of(path) if command == "run" else export_stem(path.stem)
    reads = {"run": "input", "export": "timeline", "config": "config"}.get(command)
    words = {**({reads: str(path)} if reads else {}), "out": str(out), **words}
    kept = [] if command == "name" else [path]
    cases.append(Case(name, what, command, words, outdir=out, stem=stem, inputs=kept))


def _stem_of(path: Path) -> str:
    """The name `run` gives the exports of a video at ``path``."""
    return export_stem(display_name(path.stem))


# --------------------------------------------------------------------------- numbers


def test_fuzz_numbers(sources: dict[str, tuple[str, bytes]], base_run: Path, work: Path) -> None:
    """Every numeric option of every command at zero, below zero, NaN, infinite, huge and
    not a number: refused in one line, or a complete run."""
    family = "numbers"
    rng = rng_for(family)
    folder = fresh(work, family)
    video = folder / "in.mp4"
    video.write_bytes(sources["mp4"][1])
    partner = folder / "partner.mp4"
    partner.write_bytes(sources["mp4"][1])
    rttm = base_run / "base.rttm"
    options = [(c, o) for c, cmd in COMMANDS.items() for o in cmd.numeric]
    grid = [(c, o, v) for c, o in options for v in EDGE_NUMBERS]
    rng.shuffle(grid)
    cases = []
    whole = 0
    for i, (command, option, value) in enumerate(grid[: scaled(50)]):
        out = folder / f"out{i}"
        words = {"input": str(video), "partner": str(partner), "out": str(out), "hyp": str(rttm),
                 "ref": str(rttm)}  # fmt: skip
        if "timeline" in COMMANDS[command].reads:
            copy = folder / f"t{i}" / "base.otio"
            copy.parent.mkdir()
            shutil.copy(base_run / "base.otio", copy)
            words["timeline"] = str(copy)
        outdir = None if command == "eval" else out
        case = Case(
            f"{family}-{i}",
            f"{option} {value!r}",
            command,
            words,
            extra=[f"{option}={value}"],
            outdir=outdir,
            stem="in",
            inputs=[video],
        )
        # Values a command takes run it whole: keep those few.
        if command != "eval" and _accepted(command, option, value):
            whole += 1
            if whole > scaled(4):
                continue
        cases.append(case)
    _check(family, cases)


def _accepted(command: str, option: str, value: str) -> bool:
    """Whether the command line takes this value (then the case runs the whole command)."""
    from facetrack_otio.cli import build_parser
    from facetrack_otio.cli.common import settings_from_args
    from facetrack_otio.errors import InputError

    words = COMMANDS[command].template
    argv = [
        w.format(
            input="x.mp4",
            partner="y.mp4",
            out="o",
            timeline="t.otio",
            hyp="h",
            ref="r",
            config="c",
            person="p",
        )
        for w in words
    ] + [f"{option}={value}"]
    try:
        args = build_parser().parse_args(argv)
        if hasattr(args, "max_fps"):
            settings_from_args(args)
    except (InputError, SystemExit):
        return False
    return True


# --------------------------------------------------------------------------- settings files


def test_fuzz_settings_files(sources: dict[str, tuple[str, bytes]], work: Path) -> None:
    """Settings files with every numeric setting at its edges, or mangled: `config --show`
    shows or refuses them; a few go through a whole run."""
    family = "settings"
    rng = rng_for(family)
    folder = fresh(work, family)
    video = folder / "in.mp4"
    video.write_bytes(sources["mp4"][1])
    grid = [(t, k, v) for t, k, _ in settings_cases() for v in TOML_VALUES]
    rng.shuffle(grid)
    cases = []
    for i, (table, key, value) in enumerate(grid[: scaled(40)]):
        text = settings_text(table, key, value)
        if rng.random() < 0.15:
            text, how = mangle_text(text + "[render]\ncrf = 20\n", rng)
            what = f"{key} = {value}, then {how}"
        else:
            what = f"[{table}] {key} = {value}"
        config = folder / f"s{i}.toml"
        config.write_text(text, encoding="utf-8")
        cases.append(
            Case(f"{family}-{i}", what, "config", {"config": str(config)}, inputs=[config])
        )
    # A few accepted files run whole: an accepted value must not hang the analysis.
    runs = 0
    for case in list(cases):
        if runs >= scaled(2) or not _config_accepted(Path(case.words["config"])):
            continue
        runs += 1
        out = folder / f"run-{case.name}"
        cases.append(
            Case(
                case.name + "-run",
                case.what,
                "run",
                {"input": str(video), "out": str(out)},
                extra=["--config", case.words["config"]],
                outdir=out,
                stem="in",
                inputs=[video],
            )
        )
    _check(family, cases)


def _config_accepted(path: Path) -> bool:
    from facetrack_otio.config import Settings
    from facetrack_otio.errors import InputError
    from facetrack_otio.settings_toml import apply_settings, read_settings_file

    try:
        apply_settings(Settings(), read_settings_file(path))
    except InputError:
        return False
    return True


# --------------------------------------------------------------------------- RTTM, timelines


def test_fuzz_rttm(base_run: Path, work: Path) -> None:
    """`eval` of mangled RTTM files, as hypothesis or reference."""
    family = "rttm"
    rng = rng_for(family)
    folder = fresh(work, family)
    good = folder / "good.rttm"
    good.write_text(
        "SPEAKER base 1 0.000 0.600 <NA> <NA> speaker-1 <NA> <NA>\n"
        "SPEAKER base 1 0.700 0.700 <NA> <NA> speaker-2 <NA> <NA>\n"
    )
    cases = []
    for i in range(scaled(16)):
        data, what = mangle_rttm(good.read_text(), rng)
        path = folder / f"m{i}.rttm"
        path.write_bytes(data)
        pair = {"hyp": str(path), "ref": str(good)}
        if rng.random() < 0.5:
            pair = {"hyp": str(good), "ref": str(path)}
        side = "reference" if pair["ref"] == str(path) else "hypothesis"
        cases.append(Case(f"{family}-{i}", f"{side}: {what}", "eval", pair, inputs=[path, good]))
    _check(family, cases)


def test_fuzz_timelines(base_run: Path, work: Path) -> None:
    """`export`, `name` and `render` of timelines whose JSON was mangled."""
    family = "timelines"
    rng = rng_for(family)
    folder = fresh(work, family)
    text = (base_run / "base.otio").read_text(encoding="utf-8")
    commands = [c for c, cmd in COMMANDS.items() if "timeline" in cmd.reads]
    cases = []
    for i in range(scaled(24)):
        data, what = mangle_otio(text, rng)
        path = folder / f"t{i}" / "base.otio"
        path.parent.mkdir()
        path.write_bytes(data)
        command = rng.choice(commands)
        out = path.parent / "out"
        words = {"timeline": str(path), "out": str(out), "person": "Alice"}
        outdir = path.parent if command in ("name", "report") else out
        case = Case(
            f"{family}-{i}",
            what,
            command,
            words,
            outdir=outdir,
            stem="base",
            inputs=[] if command == "name" else [path],
        )
        prepare(case, rng)
        cases.append(case)
    _check(family, cases)


def test_harness_reports_a_breach(work: Path) -> None:
    # The harness itself can fail: a case whose command breaks the contract is reported.
    folder = fresh(work, "self")
    bad = folder / "x.rttm"
    bad.write_text("SPEAKER a 1 0 1 <NA> <NA> s <NA> <NA>\n")
    case = Case("self-0", "a good reference", "eval", {"hyp": str(bad), "ref": str(bad)})
    (outcome,) = run_cases([case])
    assert outcome.returncode == 0 and not outcome.problems
    broken: Callable[..., list[str]] = lambda case, proc: ["a planted breach"]  # noqa: E731
    from dataclasses import replace

    from tests import fuzzing

    fuzzing.COMMANDS["planted"] = replace(COMMANDS["eval"], success=broken)
    try:
        case.command = "planted"
        (outcome,) = run_cases([case])
        message = report("self", [outcome])
    finally:
        del fuzzing.COMMANDS["planted"]
    assert outcome.problems == ["a planted breach"]
    assert f"seed {SEED}" in message and "a planted breach" in message
