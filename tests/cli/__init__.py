"""Run the ``facetrack`` command line as a user does, with real arguments: in this process by
default, or in a fresh interpreter where a test needs one.

A fresh interpreter costs a start and, for the commands that analyse, the import of torch and
the models: seconds each, and the suite runs about a hundred commands. In this process the
command runs through the very entry point the console script calls
(:func:`facetrack_otio.cli.main`), sees the same argument strings, working folder and
environment, and its exit status, standard output and standard error come back as a
:class:`subprocess.CompletedProcess`, as from a process: the same text, decoded the same way.
What the command changes in this process (the working folder, the environment, the logging
set-up, its signal handler, the warning filters, thread counts) is put back after it.

A test that needs what only a process gives says ``fresh_process=True``: a kill or a signal, a
resource limit (``preexec_fn``, which implies it), the exit of an interpreter, or nothing shared
with this one.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import signal
import subprocess
import sys
import tempfile
import threading
import traceback
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
# What `python -m facetrack_otio` has as sys.argv[0].
MAIN = str(ROOT / "facetrack_otio" / "__main__.py")


def facetrack(
    *args: str,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 600,
    preexec_fn: Callable[[], None] | None = None,
    fresh_process: bool = False,
) -> subprocess.CompletedProcess[str]:
    """``facetrack ARGS`` in the checkout (or ``cwd``), with extra ``env``, within ``timeout``
    seconds (:class:`subprocess.TimeoutExpired` past it, as from :func:`subprocess.run`).

    In this process unless ``fresh_process`` or ``preexec_fn`` (which runs in the child first,
    e.g. to set a limit) asks for ``python -m facetrack_otio ARGS`` in a fresh interpreter.

    Output is read as UTF-8 with undecodable bytes replaced: paths need not be UTF-8.
    """
    in_main_thread = threading.current_thread() is threading.main_thread()
    if fresh_process or preexec_fn is not None or not in_main_thread:
        return _in_a_process(args, cwd, env, timeout, preexec_fn)
    return _in_this_process(args, cwd, env, timeout)


def _in_a_process(
    args: tuple[str, ...],
    cwd: Path | None,
    env: dict[str, str] | None,
    timeout: float,
    preexec_fn: Callable[[], None] | None,
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "facetrack_otio", *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        errors="replace",
        check=False,
        cwd=cwd or ROOT,
        env={**os.environ, **(env or {})},
        timeout=timeout,
        preexec_fn=preexec_fn,
    )


class _TimedOut(BaseException):
    """Raised into the command at its time bound; a BaseException, so that the command's own
    ``except Exception`` (its last line of defence) does not swallow it."""


def _in_this_process(
    args: tuple[str, ...], cwd: Path | None, env: dict[str, str] | None, timeout: float
) -> subprocess.CompletedProcess[str]:
    from facetrack_otio.cli import main
    from facetrack_otio.errors import EXIT_INTERRUPTED

    argv = [MAIN, *args]
    stdout, stderr = _stream("strict"), _stream("backslashreplace")
    with _restored_state(), _time_bound(timeout, argv):
        os.chdir(cwd or ROOT)
        _set_environment(env or {})
        sys.argv = argv
        sys.stdout, sys.stderr = stdout, stderr
        try:
            code = _exit_code(main, list(args))
        finally:
            # What a process does on its way out: unfinished bars and buffers are written.
            for stream in (stdout, stderr):
                with contextlib.suppress(ValueError):
                    stream.flush()
    if code == EXIT_INTERRUPTED:
        # Ctrl-C or SIGTERM reached the command (no test interrupts one in this process): the
        # user stops the suite, as they would stop it around a command in a process of its own.
        raise KeyboardInterrupt
    return subprocess.CompletedProcess(
        [sys.executable, "-m", "facetrack_otio", *args],
        code,
        _text(stdout),
        _text(stderr),
    )


def _exit_code(main: Callable[[list[str]], int], args: list[str]) -> int:
    """``main(args)``, with what the interpreter would make of a ``SystemExit`` (``--help``,
    ``--version``) or of an exception that escaped it (a traceback and 1)."""
    try:
        code: Any = main(args)
    except SystemExit as exc:
        code = exc.code
    except _TimedOut:
        raise
    except BaseException:
        traceback.print_exc()
        return 1
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)
    return 1


def _stream(errors: str) -> io.TextIOWrapper:
    # As a process's standard streams into a pipe: UTF-8 text over bytes (stderr replaces what
    # it cannot encode with backslashes; stdout is reconfigured by the command itself).
    return io.TextIOWrapper(io.BytesIO(), encoding="utf-8", errors=errors, write_through=True)


def _text(stream: io.TextIOWrapper) -> str:
    raw = stream.buffer
    assert isinstance(raw, io.BytesIO)
    return raw.getvalue().decode("utf-8", "replace")


def _set_environment(env: dict[str, str]) -> None:
    os.environ.update(env)
    if {"TMPDIR", "TEMP", "TMP"} & set(env):
        tempfile.tempdir = None  # chosen again from the environment, as in a fresh process


@contextlib.contextmanager
def _time_bound(timeout: float, argv: list[str]) -> Iterator[None]:
    """Interrupt the command after ``timeout`` seconds with :class:`subprocess.TimeoutExpired`
    (SIGALRM: the command runs on the main thread)."""

    def expire(signum: int, frame: Any) -> None:
        raise _TimedOut

    previous = signal.signal(signal.SIGALRM, expire)
    if timeout is not None:
        signal.setitimer(signal.ITIMER_REAL, timeout)
    try:
        yield
    except _TimedOut:
        raise subprocess.TimeoutExpired(argv, timeout) from None
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@contextlib.contextmanager
def _restored_state() -> Iterator[None]:
    """Everything a command may change in its process, put back as it was afterwards."""
    cwd = os.getcwd()
    environ = dict(os.environ)
    saved_argv = sys.argv
    streams = (sys.stdout, sys.stderr)
    handlers = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGINT)}
    tempdir = tempfile.tempdir
    threads = _thread_counts()
    with warnings.catch_warnings(), _fresh_logging():
        _fresh_warnings()
        try:
            yield
        finally:
            sys.stdout, sys.stderr = streams
            sys.argv = saved_argv
            for signum, handler in handlers.items():
                signal.signal(signum, handler)
            os.chdir(cwd)
            os.environ.clear()
            os.environ.update(environ)
            tempfile.tempdir = tempdir
            _set_thread_counts(threads)


def _fresh_warnings() -> None:
    """The warning filters of an interpreter started without -W or PYTHONWARNINGS (the test
    runner installs its own and records what they let through), printing to stderr."""
    warnings.resetwarnings()
    warnings.filterwarnings("default", category=DeprecationWarning, module="__main__")
    for category in (DeprecationWarning, PendingDeprecationWarning, ImportWarning, ResourceWarning):
        warnings.simplefilter("ignore", category, append=True)

    def show(message: Any, category: Any, filename: str, lineno: int, file: Any = None,
             line: str | None = None) -> None:  # fmt: skip
        sys.stderr.write(warnings.formatwarning(message, category, filename, lineno, line))

    warnings.showwarning = show


@contextlib.contextmanager
def _fresh_logging() -> Iterator[None]:
    """Logging as a fresh process has it (no handler, so that the command's own
    ``logging.basicConfig`` takes effect), and as it was after the command."""
    root = logging.getLogger()
    known = logging.Logger.manager.loggerDict.values()
    loggers = [root, *(lg for lg in known if isinstance(lg, logging.Logger))]
    saved = {lg: (lg.level, lg.disabled, lg.propagate, list(lg.handlers)) for lg in loggers}
    disable = logging.root.manager.disable
    root.handlers.clear()
    root.setLevel(logging.WARNING)
    try:
        yield
    finally:
        for handler in root.handlers:
            if handler not in saved[root][3]:
                with contextlib.suppress(Exception):
                    handler.close()
        for lg, (level, disabled, propagate, hs) in saved.items():
            lg.setLevel(level)
            lg.disabled, lg.propagate = disabled, propagate
            lg.handlers[:] = hs
        logging.disable(disable)


def _thread_counts() -> dict[str, int]:
    counts = {}
    if "torch" in sys.modules:
        counts["torch"] = sys.modules["torch"].get_num_threads()
    if "cv2" in sys.modules:
        counts["cv2"] = sys.modules["cv2"].getNumThreads()
    return counts


def _set_thread_counts(counts: dict[str, int]) -> None:
    if "torch" in counts and sys.modules["torch"].get_num_threads() != counts["torch"]:
        sys.modules["torch"].set_num_threads(counts["torch"])
    if "cv2" in counts and sys.modules["cv2"].getNumThreads() != counts["cv2"]:
        sys.modules["cv2"].setNumThreads(counts["cv2"])
