"""Batch processing: many videos, one sub-folder of outputs each, and a summary.

``run_batch`` expands the inputs, skips those whose outputs are complete (a manifest per
output sub-folder records the input's content hash and the settings), hands the rest to an
engine (``local``: worker processes on this machine; ``ray``: actors on a Ray cluster), and
writes ``batch.csv`` and ``batch.json`` into the output folder.
"""

from __future__ import annotations

import dataclasses
import datetime
import logging
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from facetrack_otio.batch.inputs import expand_inputs, output_names
from facetrack_otio.batch.job import (
    MANIFEST,
    STATUS_FAILED,
    STATUS_SKIPPED,
    BatchConfig,
    InputResult,
    completed,
)
from facetrack_otio.batch.local import default_jobs, run_local
from facetrack_otio.batch.summary import counts, write_summary
from facetrack_otio.errors import EXIT_INTERNAL, InputError
from facetrack_otio.staging import locked_folder

__all__ = ["BatchConfig", "BatchOutcome", "InputResult", "describe_failure", "run_batch"]

ENGINES = ("local", "ray")

log = logging.getLogger("facetrack")


@dataclass
class BatchOutcome:
    """What a batch did: one result per input (in input order), and the summary files."""

    results: list[InputResult]
    files: list[Path] = field(default_factory=list)
    run: dict[str, Any] = field(default_factory=dict)

    @property
    def exit_code(self) -> int:
        """0 when no input failed, else 1."""
        return EXIT_INTERNAL if any(r.status == STATUS_FAILED for r in self.results) else 0


def describe_failure(result: InputResult) -> str:
    """``input: reason`` of a failed input (the reason alone when it names the input)."""
    if result.error.startswith(result.input):
        return result.error
    return f"{result.input}: {result.error}"


def _size(path: str) -> int:
    try:
        return os.path.getsize(path)
    except OSError:
        return 0  # the worker reports why it cannot be read


def _skipped(path: Path, folder: Path, config: BatchConfig) -> InputResult | None:
    """The earlier result when ``folder`` already holds this input's complete outputs."""
    if not (folder / MANIFEST).is_file():
        return None  # no manifest: nothing to compare the input with
    try:
        manifest = completed(folder, path, config.fingerprint())
    except OSError:
        return None  # the worker reports why it cannot be read
    if manifest is None:
        return None
    result = InputResult.from_dict(manifest["result"])
    result.input, result.status, result.error, result.timings = str(path), STATUS_SKIPPED, "", {}
    return result


def run_batch(
    inputs: Sequence[str],
    config: BatchConfig,
    engine: str = "local",
    jobs: int | None = None,
    address: str | None = None,
    progress: bool = True,
    log_level: int = logging.ERROR,
) -> BatchOutcome:
    """Process every input into its own sub-folder of ``config.outdir``.

    Parameters
    ----------
    inputs : sequence of str
        Files, folders (recursed) and glob patterns.
    config : BatchConfig
        Output folder, settings and options shared by every input.
    engine : {"local", "ray"}
        Worker processes on this machine, or actors on a Ray cluster.
    jobs : int, optional
        Workers (local default: :func:`~facetrack_otio.batch.local.default_jobs`; Ray
        default: one per GPU of the cluster, else one per CPU).
    address : str, optional
        Ray cluster address (Ray engine only).
    progress : bool
        Show one progress bar over the inputs, with the time left.
    log_level : int
        Logging level inside the workers.

    Returns
    -------
    BatchOutcome
        Results and summary files; ``exit_code`` says whether any input failed.

    Raises
    ------
    InputError
        Bad arguments, or no input found.
    """
    if engine not in ENGINES:
        raise InputError(f"unknown engine {engine!r} (choose from {', '.join(ENGINES)})")
    if jobs is not None and jobs < 1:
        raise InputError("--jobs must be 1 or more")
    outdir = Path(config.outdir).resolve()
    # Outputs are never inputs: a folder of videos may hold the batch's own output folder.
    paths = [p for p in expand_inputs(inputs) if not p.resolve().is_relative_to(outdir)]
    if not paths:
        raise InputError("no inputs (outside the output folder)")
    names = output_names(paths)
    config = dataclasses.replace(config, outdir=str(outdir))
    # A batch that fails to start leaves no empty folder behind.
    with locked_folder(outdir):
        return _run_locked(paths, names, outdir, config, engine, jobs, address, progress, log_level)


def _run_locked(
    paths: list[Path],
    names: dict[Path, str],
    outdir: Path,
    config: BatchConfig,
    engine: str,
    jobs: int | None,
    address: str | None,
    progress: bool,
    log_level: int,
) -> BatchOutcome:
    started = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
    t0 = time.perf_counter()
    results: dict[str, InputResult] = {}
    tasks: list[tuple[str, str]] = []
    for path in paths:
        skipped = _skipped(path, outdir / names[path], config)
        if skipped is not None:
            results[str(path)] = skipped
        else:
            tasks.append((str(path), names[path]))
    if results:
        log.info("%d of %d inputs already done, skipped", len(results), len(paths))
    # Largest first: a long recording handed out last would keep one worker busy while the
    # others sit idle. Size stands in for the work, at the cost of a stat.
    tasks.sort(key=lambda task: -_size(task[0]))

    bar: Any = None
    if progress and tasks:
        from tqdm import tqdm

        bar = tqdm(total=len(tasks), desc="batch", unit="file", dynamic_ncols=True)
    failed = [0]

    def on_result(result: InputResult) -> None:
        results[result.input] = result
        if result.status == STATUS_FAILED:
            failed[0] += 1
            if bar is not None:  # said as it happens; the caller lists failures at the end
                bar.write(f"failed: {describe_failure(result)}")
        if bar is not None:
            bar.set_postfix(failed=failed[0], refresh=False)
            bar.update(1)

    workers = 0
    try:
        if not tasks:
            pass  # everything was done already: no workers to start
        elif engine == "ray":
            from facetrack_otio.batch.ray_engine import run_ray

            _, workers = run_ray(tasks, config, jobs, on_result, address, log_level)
        else:
            workers = min(jobs or default_jobs(), len(tasks))
            run_local(tasks, config, workers, on_result, log_level)
    finally:
        if bar is not None:
            bar.close()
    ordered = [results[str(p)] for p in paths]
    run = {
        "engine": engine,
        "address": address if engine == "ray" else None,
        "workers": workers,
        "outdir": str(outdir),
        "started": started,
        "wall_s": round(time.perf_counter() - t0, 3),
        "render": config.render,
    }
    files = write_summary(outdir, ordered, run)
    return BatchOutcome(ordered, files, {**run, "counts": counts(ordered)})
