"""The local engine: a pool of worker processes on this machine, one pipeline each."""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import multiprocessing.forkserver
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool

from facetrack_otio.batch.job import (
    STATUS_FAILED,
    BatchConfig,
    InputResult,
    Worker,
    init_process,
    run_in_process,
)
from facetrack_otio.machine import available_memory, cores

Task = tuple[str, str]  # (input path, output sub-folder)
OnResult = Callable[[InputResult], None]

MEMORY_PER_WORKER = 1.5 * 2**30
"""Peak memory of one worker (models, frames in flight, encoders), with headroom."""


def default_jobs() -> int:
    """Worker processes by default: one per core, as many as memory allows (~1.5 GB each)."""
    n = cores()
    memory = available_memory()
    by_memory = n if memory is None else int(memory // MEMORY_PER_WORKER)
    return max(1, min(n, by_memory))


# Thread pools that size themselves from the machine's cores when numpy or torch is imported.
_POOL_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


@contextlib.contextmanager
def _thread_share(threads: int) -> Iterator[None]:
    """Let processes started inside size their math libraries' thread pools to ``threads``.

    N workers each starting one thread per core would put N times the cores' threads on the
    cores (OpenBLAS threads also spin while they wait). Variables the user set are kept.
    """
    saved = {name: os.environ.get(name) for name in _POOL_VARIABLES}
    for name in _POOL_VARIABLES:
        os.environ.setdefault(name, str(threads))
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _context() -> multiprocessing.context.BaseContext:
    # Not a plain fork of this process: a copy of a process that already ran torch or
    # OpenMP threads can deadlock. A fork server that has imported the pipeline (and so
    # torch, OpenCV, the models' code) once hands every worker those imports for free;
    # where there is none, each worker is spawned and imports them itself.
    if "forkserver" in multiprocessing.get_all_start_methods():
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(["facetrack_otio.batch.preload"])
        # Started now rather than at the first task, so that it imports numpy and torch
        # under the caller's _thread_share.
        multiprocessing.forkserver.ensure_running()
        return ctx
    return multiprocessing.get_context("spawn")


def run_local(
    tasks: Sequence[Task],
    config: BatchConfig,
    jobs: int,
    on_result: OnResult,
    log_level: int = logging.ERROR,
) -> list[InputResult]:
    """Process ``tasks`` with ``jobs`` worker processes (in this process when ``jobs`` is 1).

    Parameters
    ----------
    tasks : sequence of (str, str)
        Input path and output sub-folder of each input.
    config : BatchConfig
        Shared by every worker.
    jobs : int
        Worker processes; each loads the models once and then takes inputs one by one.
    on_result : callable
        Called in this process with each result as it comes in (progress, logging).
    log_level : int
        Logging level inside the worker processes.

    Returns
    -------
    list of InputResult
        In completion order.
    """
    results: list[InputResult] = []
    if not tasks:
        return results
    if jobs <= 1:
        worker = Worker(config)
        for path, output in tasks:
            result = worker(path, output)
            results.append(result)
            on_result(result)
        return results
    workers = min(jobs, len(tasks))
    futures: dict[Future[InputResult], Task] = {}
    # Held while the fork server starts and while tasks are submitted: spawned workers (where
    # there is no fork server) start at their first task.
    with _thread_share(max(1, cores() // workers)):
        pool = ProcessPoolExecutor(
            max_workers=workers,
            mp_context=_context(),
            initializer=init_process,
            initargs=(config, log_level, workers),
        )
        try:
            for task in tasks:
                futures[pool.submit(run_in_process, *task)] = task
        except BaseException:
            pool.shutdown(wait=False, cancel_futures=True)
            raise
    try:
        pending = set(futures)
        while pending:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                path, output = futures[future]
                try:
                    result = future.result()
                except BrokenProcessPool:
                    # A worker died (killed for memory, crashed in native code): every input
                    # it had not finished is reported; the pool cannot take more work.
                    result = InputResult(path, output, STATUS_FAILED, error="a worker process died")
                except Exception as exc:  # e.g. a result that could not be sent back
                    result = InputResult(
                        path, output, STATUS_FAILED, error=f"{type(exc).__name__}: {exc}"
                    )
                results.append(result)
                on_result(result)
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown(wait=True)
    return results
