"""Encodes in parallel: one ffmpeg process per file, each writing a temporary name renamed only
once ffmpeg has succeeded, all stopped at once on an interrupt."""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from tqdm import tqdm

from facetrack_otio.fsutil import WRITE_ERRNOS, atomic_path, failed_write
from facetrack_otio.machine import cores
from facetrack_otio.media.probe import MediaInfo, isobmff_damage
from facetrack_otio.render.settings import RenderSettings
from facetrack_otio.speakers.turns import SpeakerTurn

if TYPE_CHECKING:
    from facetrack_otio.render.annotate import Annotator

# How long an ffmpeg error message may be in a failure reason.
_MAX_REASON = 200


def _short(stderr: bytes, returncode: int, start: float) -> str:
    """One line from ffmpeg's stderr: its last message, truncated."""
    lines = [ln.strip() for ln in stderr.decode(errors="replace").splitlines() if ln.strip()]
    tail = lines[-1] if lines else "no message"
    if tail == "Empty output":
        return f"no frames could be decoded from {start:.3f} s on (damaged or truncated file?)"
    if len(tail) > _MAX_REASON:
        tail = tail[: _MAX_REASON - 1] + "…"
    return f"ffmpeg exited with code {returncode}: {tail}"


def _frames_written(progress: bytes) -> int | None:
    """The last ``frame=`` count in ffmpeg's ``-progress`` output."""
    count = None
    for line in progress.decode(errors="replace").splitlines():
        key, _, value = line.partition("=")
        if key.strip() == "frame" and value.strip().isdigit():
            count = int(value.strip())
    return count


class EncodeError(Exception):
    """A file that could not be encoded (its reason is the message); the others go on."""


# Free space below which an incomplete clip is put down to a full disk.
_LOW_SPACE = 1 << 20


@dataclass(frozen=True)
class Job:
    """One file to write: ``args(tmp)`` gives the ffmpeg command that writes it to ``tmp``."""

    turn: SpeakerTurn
    output: Path
    n_frames: int
    start: float
    args: Callable[[Path], list[str]] | None = None
    review: Annotator | None = None  # imported lazily: OpenCV is slow to load


class Encoder:
    """Runs ffmpeg processes and can stop all of them at once."""

    def __init__(self, ffmpeg: str, info: MediaInfo, settings: RenderSettings, threads: int):
        self.ffmpeg = ffmpeg
        self.info = info
        self.settings = settings
        self.threads = threads
        self.cancelled = threading.Event()
        self._lock = threading.Lock()
        self._running: set[subprocess.Popen[bytes]] = set()
        self.encoder = "libx264"
        self.origin = 0.0

    def _register(self, proc: subprocess.Popen[bytes]) -> None:
        with self._lock:
            if self.cancelled.is_set():
                proc.kill()
            self._running.add(proc)

    def encode(self, job: Job) -> Path:
        with atomic_path(job.output) as tmp:
            frames = self._review(job, tmp) if job.review is not None else self._run(job, tmp)
            # One frame of slack: a variable-rate source may lack the frame at the very end.
            if frames is not None and frames < job.n_frames - 1:
                raise EncodeError(
                    f"source ended early: {frames} of {job.n_frames} frames "
                    f"(damaged or truncated file?)"
                )
            # ffmpeg can say it succeeded when the disk filled up as it moved the index to
            # the front (+faststart): a file without its index plays nowhere.
            damage = isobmff_damage(tmp, need_index=True)
            if damage:
                if shutil.disk_usage(tmp.parent).free < _LOW_SPACE:
                    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(tmp))
                raise EncodeError(f"ffmpeg wrote an {damage.removeprefix('truncated or ')}")
        return job.output

    def _run(self, job: Job, tmp: Path) -> int | None:
        assert job.args is not None
        args = job.args(tmp)
        with self._lock:
            if self.cancelled.is_set():
                raise EncodeError("cancelled")
            proc = subprocess.Popen(
                args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE
            )
            self._running.add(proc)
        try:
            progress, err = proc.communicate()
        finally:
            with self._lock:
                self._running.discard(proc)
        if proc.returncode != 0:
            # A full disk stops the run (exit 2): no other clip would fit either.
            raise failed_write(err.decode(errors="replace"), proc.returncode, tmp) or EncodeError(
                _short(err, proc.returncode, job.start)
            )
        return _frames_written(progress)

    def _review(self, job: Job, tmp: Path) -> int:
        from facetrack_otio.render.annotate import render_review

        s = self.settings
        try:
            return render_review(
                self.info.path,
                tmp,
                job.review,
                self.origin,
                s.audio_stream if self.info.has_audio else None,
                s.audio_bitrate,
                self.encoder,
                s.preset,
                s.crf,
                self.threads,
                self.ffmpeg,
                register=self._register,
                cancelled=self.cancelled,
            )
        except RuntimeError as exc:
            raise failed_write(str(exc), 0, tmp) or EncodeError(str(exc)) from None

    def stop(self) -> None:
        with self._lock:
            self.cancelled.set()
            for proc in self._running:
                proc.kill()


def run_jobs(
    jobs: Sequence[Job],
    ffmpeg: str,
    info: MediaInfo,
    settings: RenderSettings,
    encoder: str,
    origin: float,
    failures: list[tuple[SpeakerTurn, str]],
    progress: bool,
) -> dict[int, Path]:
    """Run the jobs in parallel, the longest first, up to ``settings.jobs`` at once (one per
    core by default); each failure goes into ``failures`` with its reason; return the files
    written by job index. A full disk stops them all (``OSError``)."""
    done: dict[int, Path] = {}
    if not jobs:
        return done
    n_cores = cores()
    workers = max(1, min(settings.jobs or n_cores, len(jobs)))
    # Share the cores between parallel encodes rather than letting each x264 claim them all
    # (cores x cores threads on a big machine); two at least, as a single-threaded x264 also
    # loses its lookahead thread and stalls.
    threads = max(2, -(-n_cores // workers))
    runner = Encoder(ffmpeg, info, settings, threads)
    runner.encoder = encoder
    runner.origin = origin
    jobs = [
        Job(j.turn, j.output, j.n_frames, j.start, _with_threads(j.args, threads), j.review)
        if j.args is not None
        else j
        for j in jobs
    ]
    bar = tqdm(total=len(jobs), unit="file", desc="render", disable=not progress)
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="render")
    # The longest first: a long encode started last would run alone at the end.
    order = sorted(range(len(jobs)), key=lambda i: -jobs[i].n_frames)
    try:
        futures: dict[Future[Path], int] = {pool.submit(runner.encode, jobs[i]): i for i in order}
        for future in as_completed(futures):
            i = futures[future]
            try:
                done[i] = future.result()
            except EncodeError as exc:
                failures.append((jobs[i].turn, str(exc)))
            except OSError as exc:
                if exc.errno in WRITE_ERRNOS:
                    raise  # a full disk: the run stops, leaving nothing
                failures.append((jobs[i].turn, f"{type(exc).__name__}: {exc}"))
            bar.update(1)
    except BaseException:
        # Interrupted: stop every running ffmpeg; each worker then removes its temporary file.
        runner.stop()
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    finally:
        pool.shutdown(wait=True)
        bar.close()
    return done


def _with_threads(
    build: Callable[..., list[str]] | None, threads: int
) -> Callable[[Path], list[str]]:
    assert build is not None
    return lambda tmp: build(tmp, threads)
