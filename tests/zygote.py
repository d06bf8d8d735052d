"""Fresh ``facetrack`` processes at the cost of a fork: a server process imports the command
line and the pipeline (torch, OpenCV, the models' code) once, then forks one child per command.

Each child is a process of its own, as ``python -m facetrack_otio`` would be: its own session
(killed whole at a time bound), working folder, environment, standard streams and exit
status, and nothing left from an earlier command (every child starts from the server as it
was after the imports). The server never runs a model, so forking it is safe (the same rule as
the batch engine's fork server). What it saves is the interpreter's start and the imports:
about a second per command on two cores.

Only the start differs from ``python -m facetrack_otio``; a test of what a start does (its
imports, its first output) uses :func:`tests.cli.facetrack` with ``fresh_process=True``.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import queue
import select
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# The server: imports, then for each request line (JSON) forks a child that runs the command
# and answers {"pid": ...} at once and {"status": ...} when the child has ended. The child ends
# as the interpreter would after `python -m facetrack_otio` (a traceback for an exception that
# escaped, threads joined, exit handlers run, streams flushed), then leaves at once: tearing
# down the thousands of modules it was handed would cost more than the command.
_SERVER = r"""
import atexit, importlib, json, os, pkgutil, sys, threading
sys.path[0] = os.getcwd()  # as `python -m` has it: the folder it started in, not "."
from facetrack_otio.startup import import_pipeline
import_pipeline()
import facetrack_otio
import opentimelineio as otio
for found in pkgutil.walk_packages(facetrack_otio.__path__, "facetrack_otio."):
    if not found.name.endswith(("__main__", "ray_engine")):  # ray: only for --engine ray
        importlib.import_module(found.name)
for adapter in otio.plugins.ActiveManifest().adapters:
    adapter.module()
from facetrack_otio.cli import main

def serve():
    for line in sys.stdin:
        job = json.loads(line)
        pid = os.fork()
        if pid == 0:
            os._exit(run(job))
        print(json.dumps({"pid": pid}), flush=True)
        _, status, usage = os.wait4(pid, 0)
        cpu = usage.ru_utime + usage.ru_stime
        print(json.dumps({"status": os.waitstatus_to_exitcode(status), "cpu": cpu}), flush=True)

def run(job):
    os.setsid()
    null = os.open(os.devnull, os.O_RDONLY)
    out = os.open(job["stdout"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    err = os.open(job["stderr"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    for fd, target in ((null, 0), (out, 1), (err, 2)):
        os.dup2(fd, target)
        os.close(fd)
    sys.stdin = open(0, encoding="utf-8", closefd=False)
    sys.stdout = open(1, "w", encoding="utf-8", closefd=False)
    sys.stderr = open(2, "w", encoding="utf-8", errors="backslashreplace", closefd=False,
                      buffering=1)
    os.chdir(job["cwd"])
    os.environ.clear()
    os.environ.update(job["env"])
    sys.argv = [job["main"], *job["argv"]]
    try:
        code = main(job["argv"])
    except SystemExit as exc:
        code = exc.code
    except BaseException:
        sys.excepthook(*sys.exc_info())
        code = 1
    if code is not None and not isinstance(code, int):
        print(code, file=sys.stderr)
        code = 1
    threading._shutdown()
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    return code or 0

serve()
"""


@dataclass
class Ended:
    """What a command run by :func:`run` did."""

    returncode: int | None
    """Its exit status (negative: the signal that ended it; None: killed at the time bound)."""
    stdout: str
    stderr: str
    seconds: float
    cpu: float
    """CPU seconds of the process and the children it waited for."""


class _Server:
    """One fork server and the pipes to talk to it."""

    def __init__(self, env: dict[str, str]) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-c", _SERVER],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            cwd=ROOT,
            env=env,
        )
        self.pending = b""

    def send(self, job: dict) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write((json.dumps(job) + "\n").encode())
        self.proc.stdin.flush()

    def answer(self, timeout: float | None) -> dict | None:
        """The next answer, or None when none came within ``timeout`` seconds."""
        assert self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        deadline = None if timeout is None else time.monotonic() + timeout
        while b"\n" not in self.pending:
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            if not select.select([fd], [], [], left)[0]:
                return None
            data = os.read(fd, 4096)
            if not data:
                raise RuntimeError("the fork server ended")
            self.pending += data
        line, _, self.pending = self.pending.partition(b"\n")
        return json.loads(line)

    def close(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        self.proc.wait(timeout=30)


cpu_used = [0.0]
"""CPU seconds of every command run so far (fork-server children are not this process's: its
own resource usage does not count them)."""

_servers: queue.Queue[_Server] = queue.Queue()
_started: list[_Server] = []
_lock = threading.Lock()


def run(
    argv: list[str], env: dict[str, str], cwd: Path = ROOT, timeout: float | None = None
) -> Ended:
    """``facetrack ARGV`` in a forked process (environment ``env``, folder ``cwd``), killed
    with its whole session after ``timeout`` seconds.

    Servers are started as callers need them (one per command running at a time) and serve
    the whole test session; ``env`` is the command's, not the server's.
    """
    try:
        server = _servers.get_nowait()
    except queue.Empty:
        with _lock:
            server = _Server({**os.environ, "PYTHONWARNINGS": "ignore"})
            _started.append(server)
    try:
        return _run(server, argv, env, cwd, timeout)
    finally:
        _servers.put(server)


def _run(
    server: _Server, argv: list[str], env: dict[str, str], cwd: Path, timeout: float | None
) -> Ended:
    with tempfile.TemporaryDirectory(prefix="facetrack-fork-") as tmp:
        out, err = Path(tmp) / "stdout", Path(tmp) / "stderr"
        main = str(ROOT / "facetrack_otio" / "__main__.py")
        job = {"argv": argv, "env": env, "cwd": str(cwd), "main": main}
        t0 = time.monotonic()
        server.send({**job, "stdout": str(out), "stderr": str(err)})
        started = server.answer(timeout=60)
        assert started is not None and "pid" in started, started
        ended = server.answer(timeout)
        code: int | None
        if ended is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(started["pid"], signal.SIGKILL)
            ended = server.answer(None)  # its status: the next answer is the next command's
            code = None
        else:
            code = ended["status"]
        seconds = time.monotonic() - t0

        def text(path: Path) -> str:
            return path.read_bytes().decode("utf-8", "replace") if path.exists() else ""

        with _lock:
            cpu_used[0] += ended["cpu"]
        return Ended(code, text(out), text(err), seconds, ended["cpu"])


@atexit.register
def close_all() -> None:
    """End every server (at the end of the test session)."""
    while _started:
        server = _started.pop()
        try:
            server.close()
        except Exception:
            server.proc.kill()
