"""The Ray engine: the same work as the local engine, spread over a Ray cluster.

One actor per worker slot holds one pipeline, so the models load once per actor. Each actor
asks for one CPU, and one GPU when the cluster has any. Actors read the inputs and write into
the output folder by the paths the driver gives: on a cluster of several machines, both must
be on storage every node mounts at the same path.
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Callable, Sequence
from typing import Any

from facetrack_otio.batch.job import STATUS_FAILED, BatchConfig, InputResult, Worker, one_line
from facetrack_otio.errors import InputError

Task = tuple[str, str]
OnResult = Callable[[InputResult], None]


class _RayWorker:
    """Actor body: one :class:`Worker` (one pipeline) for the actor's life."""

    def __init__(self, config: BatchConfig, log_level: int) -> None:
        logging.getLogger().setLevel(log_level)
        logging.getLogger("facetrack").setLevel(log_level)
        if not ray_gpu_ids():
            from facetrack_otio.media.decode import set_decoder_cores

            # A CPU actor holds one CPU, its node one actor per CPU: a decoder with a thread
            # per core in every actor would put cores x cores threads on the node.
            set_decoder_cores(1)
        self.worker = Worker(config)

    def run(self, path: str, output: str) -> InputResult:
        return self.worker(path, output)


def ray_gpu_ids() -> list[Any]:
    """GPUs Ray gave this process (an actor's), none outside Ray."""
    try:
        import ray

        return list(ray.get_gpu_ids())
    except Exception:  # not in a Ray worker, or no Ray at all
        return []


def import_ray() -> Any:
    """The ``ray`` module, or an InputError that says how to install it."""
    try:
        import ray
    except ImportError:
        raise InputError(
            "--engine ray needs Ray: pip install 'ray>=2.9' (or facetrack-otio[ray])"
        ) from None
    return ray


def worker_resources(ray: Any) -> tuple[dict[str, float], int]:
    """Resources each actor asks for, and how many actors the cluster holds at once."""
    resources = ray.cluster_resources()
    gpus = int(resources.get("GPU", 0))
    if gpus:
        return {"num_cpus": 1, "num_gpus": 1}, gpus
    return {"num_cpus": 1, "num_gpus": 0}, max(1, int(resources.get("CPU", 1)))


def check_reachable(address: str | None, timeout: float = 5.0) -> None:
    """Fail fast when a ``host:port`` (or ``ray://host:port``) address does not answer.

    Ray itself keeps retrying an unreachable address for minutes.
    """
    if not address or address == "auto":
        return
    hostport = address.split("://", 1)[-1].rsplit("/", 1)[0]
    host, _, port = hostport.rpartition(":")
    if not host or not port.isdigit():
        raise InputError(f"--address {address}: expected auto, HOST:PORT or ray://HOST:PORT")
    try:
        with socket.create_connection((host.strip("[]"), int(port)), timeout=timeout):
            pass
    except OSError as exc:
        raise InputError(f"cannot reach the Ray cluster at {address} ({exc})") from None


def run_ray(
    tasks: Sequence[Task],
    config: BatchConfig,
    jobs: int | None,
    on_result: OnResult,
    address: str | None = None,
    log_level: int = logging.ERROR,
) -> tuple[list[InputResult], int]:
    """Process ``tasks`` on Ray actors.

    Uses the Ray instance this process is already connected to; otherwise connects to
    ``address`` (``"auto"``, ``"ray://host:10001"``...) or, without one, starts a local Ray.

    Parameters
    ----------
    tasks : sequence of (str, str)
        Input path and output sub-folder of each input.
    config : BatchConfig
        Shared by every actor.
    jobs : int, optional
        Actors; default: one per GPU of the cluster, else one per CPU.
    on_result : callable
        Called with each result as it comes in.
    address : str, optional
        Ray cluster address.
    log_level : int
        Logging level inside the actors.

    Returns
    -------
    (list of InputResult, int)
        Results in completion order, and the number of actors used.
    """
    ray = import_ray()
    started = False
    if not ray.is_initialized():
        check_reachable(address)
        try:
            ray.init(address=address, logging_level=logging.WARNING, include_dashboard=False)
        except (ConnectionError, ValueError, RuntimeError) as exc:
            where = f"the Ray cluster at {address}" if address else "a local Ray"
            raise InputError(f"cannot start or reach {where}: {one_line(exc)}") from None
        started = True
    results: list[InputResult] = []
    actors: list[Any] = []
    try:
        if not tasks:
            return results, 0
        per_actor, slots = worker_resources(ray)
        n = max(1, min(len(tasks), jobs or slots))
        actor_class = ray.remote(**per_actor)(_RayWorker)
        actors = [actor_class.remote(config, log_level) for _ in range(n)]
        idle = list(actors)
        todo = list(reversed(tasks))
        running: dict[Any, tuple[Any, Task]] = {}
        while todo or running:
            while idle and todo:
                actor, task = idle.pop(), todo.pop()
                running[actor.run.remote(*task)] = (actor, task)
            (ref,), _ = ray.wait(list(running), num_returns=1)
            actor, (path, output) = running.pop(ref)
            try:
                result = ray.get(ref)
            except ray.exceptions.RayActorError as exc:
                # The actor died with this input (memory, native crash): report the input,
                # replace the actor, go on.
                result = InputResult(
                    path, output, STATUS_FAILED, error=f"a Ray worker died: {one_line(exc)}"
                )
                actors.remove(actor)
                actor = actor_class.remote(config, log_level)
                actors.append(actor)
            except ray.exceptions.RayError as exc:
                result = InputResult(path, output, STATUS_FAILED, error=one_line(exc))
            idle.append(actor)
            results.append(result)
            on_result(result)
        return results, n
    finally:
        for actor in actors:
            ray.kill(actor)
        if started:
            ray.shutdown()
