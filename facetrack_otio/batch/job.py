"""One batch input, start to finish: the work a batch worker does, and its manifest.

A worker keeps one :class:`~facetrack_otio.pipeline.SpeakerPipeline` for its whole life, so
the face models load once per worker, not once per file. Every input is isolated: whatever
goes wrong with one file becomes a ``failed`` result with a one-line reason, and the worker
goes on with the next.

The ``.otio`` a batch writes holds no run-specific values: the stage timings go to the
manifest and the batch summary instead, so the same input and settings give the same bytes
whichever engine, worker or machine ran them.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from facetrack_otio import __version__
from facetrack_otio.config import Settings
from facetrack_otio.machine import cores
from facetrack_otio.outputs import earlier_outputs
from facetrack_otio.stamps import FileStamp, content_hash

MANIFEST = "manifest.json"
MANIFEST_SCHEMA = 1

STATUS_OK = "ok"
STATUS_FAILED = "failed"
STATUS_SKIPPED = "skipped"

log = logging.getLogger("facetrack")


@dataclass(frozen=True)
class BatchConfig:
    """What every worker needs to process an input (plain data: it travels to workers).

    Parameters
    ----------
    outdir : str
        The batch output folder (absolute); each input writes into a sub-folder of it.
    settings : Settings
        Analysis and render settings.
    names : dict of int to str
        Display names by person id, for every input.
    render : bool
        Render the per-turn clips.
    cache : bool
        Use the analysis cache.
    cache_dir : str, optional
        Analysis cache folder (default: ``$FACETRACK_CACHE_DIR`` or ``~/.cache/facetrack``).
    """

    outdir: str
    settings: Settings = field(default_factory=Settings)
    names: dict[int, str] = field(default_factory=dict)
    render: bool = True
    cache: bool = True
    cache_dir: str | None = None

    def fingerprint(self) -> str:
        """Hash of everything besides the input that shapes an input's outputs."""
        blob = json.dumps(
            {
                "settings": self.settings.to_dict(),
                "names": {str(k): v for k, v in sorted(self.names.items())},
                "render": self.render,
                "version": __version__,
            },
            sort_keys=True,
            default=str,
        )
        return hashlib.sha256(blob.encode()).hexdigest()[:32]


@dataclass
class InputResult:
    """The outcome of one input, as the batch summary reports it."""

    input: str
    output: str
    status: str
    error: str = ""
    duration: float = 0.0
    people: list[dict[str, Any]] = field(default_factory=list)
    turns: int = 0
    timings: dict[str, float] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> InputResult:
        known = {k: v for k, v in d.items() if k in cls.__dataclass_fields__}
        return cls(**known)


def one_line(exc: BaseException) -> str:
    """An exception as one line: its message (or type), first line only."""
    from facetrack_otio.errors import FacetrackError
    from facetrack_otio.text import one_line as first_line

    message = first_line(str(exc))
    if not message:
        return type(exc).__name__

    return message if isinstance(exc, FacetrackError) else f"{type(exc).__name__}: {message}"


# --------------------------------------------------------------------------- manifest


def read_manifest(folder: Path) -> dict[str, Any] | None:
    """The manifest of an output sub-folder, or None when absent or unreadable."""
    try:
        data = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def completed(folder: Path, path: Path, fingerprint: str) -> dict[str, Any] | None:
    """The manifest when ``folder`` holds complete outputs of input ``path`` and these settings.

    Complete means: the manifest names the input's content (SHA-256) and these settings, and
    every file it lists is there with the size it had when written. The input is hashed only
    when its size or modification time differ from those the manifest recorded.

    Returns
    -------
    dict or None
        The manifest, or None when the input must be processed (again).

    Raises
    ------
    OSError
        The input cannot be read.
    """
    manifest = read_manifest(folder)
    if (
        manifest is None
        or manifest.get("schema") != MANIFEST_SCHEMA
        or manifest.get("fingerprint") != fingerprint
        or not isinstance(manifest.get("files"), dict)
        or not isinstance(manifest.get("result"), dict)
    ):
        return None
    for rel, size in manifest["files"].items():
        output = folder / rel
        try:
            if not output.is_file() or output.stat().st_size != size:
                return None
        except OSError:
            return None
    # Last, as the dearest check: the input's content.
    stamp = FileStamp.from_dict(manifest.get("stamp"))
    unchanged = stamp is not None and stamp.vouches_for(path)
    if not unchanged and manifest.get("content") != content_hash(path):
        return None
    return manifest


def _write_manifest(
    folder: Path,
    content: str,
    stamp: FileStamp,
    fingerprint: str,
    files: list[Path],
    result: InputResult,
) -> None:
    from facetrack_otio.fsutil import atomic_write_text

    manifest = {
        "schema": MANIFEST_SCHEMA,
        "input": result.input,
        "content": content,
        "stamp": asdict(stamp),
        "fingerprint": fingerprint,
        "version": __version__,
        "files": {p.relative_to(folder).as_posix(): p.stat().st_size for p in sorted(files)},
        "result": result.to_dict(),
    }
    atomic_write_text(folder / MANIFEST, json.dumps(manifest, indent=2) + "\n")


# --------------------------------------------------------------------------- worker


class Worker:
    """Processes inputs one after another with one pipeline (models load once).

    Parameters
    ----------
    config : BatchConfig
        Shared by every input this worker sees.
    """

    def __init__(self, config: BatchConfig) -> None:
        from facetrack_otio.startup import import_pipeline

        import_pipeline()
        from facetrack_otio.cache import AnalysisCache
        from facetrack_otio.pipeline import SpeakerPipeline

        self.config = config
        cache = AnalysisCache(config.cache_dir) if config.cache else None
        self.pipeline = SpeakerPipeline(config.settings, names=config.names, cache=cache)

    def __call__(self, path: str, output: str) -> InputResult:
        """Process one input into ``outdir/output``; never raises for a bad input.

        Parameters
        ----------
        path : str
            The input video (absolute).
        output : str
            Its sub-folder, relative to the batch output folder.

        Returns
        -------
        InputResult
            ``ok`` with people, turns and timings, or ``failed`` with the reason.
        """
        t0 = time.perf_counter()
        result = InputResult(input=path, output=output, status=STATUS_FAILED)
        try:
            self._process(Path(path), Path(self.config.outdir) / output, result, t0)
        except Exception as exc:  # isolation: one bad file must not stop the batch
            result.status = STATUS_FAILED
            result.error = one_line(exc)
            log.debug("%s failed", path, exc_info=True)
        result.timings["total"] = round(time.perf_counter() - t0, 3)
        return result

    def _process(self, path: Path, folder: Path, result: InputResult, t0: float) -> None:
        from facetrack_otio.delivery import DeliveryOptions, deliver
        from facetrack_otio.delivery.video import VideoDeliverable
        from facetrack_otio.media.probe import probe
        from facetrack_otio.stamps import stamped_hash

        config = self.config
        info = probe(path)  # a file that is not a video fails here, before anything is written
        result.duration = round(float(info.duration or 0.0), 3)
        cache = self.pipeline.cache
        content, stamp = stamped_hash(path, cache.stamps if cache is not None else None)
        # An earlier manifest no longer describes what this run will leave: drop it first.
        (folder / MANIFEST).unlink(missing_ok=True)
        earlier = earlier_outputs(path.stem)
        options = DeliveryOptions(render=config.render, tell=False, earlier=earlier)
        delivery = deliver(lambda: VideoDeliverable(self.pipeline(info)), folder, options)
        analysis = delivery.result.analysis
        result.warnings = delivery.warnings
        result.people = [
            {"id": p.id, "name": p.name, "speaking_time": p.speaking_time} for p in analysis.people
        ]
        result.turns = len(analysis.turns)
        result.timings = delivery.timings
        failures = delivery.failures
        if failures:
            result.error = f"{len(failures)} clip(s) failed to render; first: {failures[0]}"
            return
        result.status = STATUS_OK
        result.timings["total"] = round(time.perf_counter() - t0, 3)
        _write_manifest(folder, content, stamp, config.fingerprint(), delivery.files, result)


# One worker per process: built by the pool's initializer, used by every task it runs.
_WORKER: Worker | None = None


def init_process(config: BatchConfig, log_level: int = logging.ERROR, workers: int = 1) -> None:
    """Process-pool initializer: build this process's worker (one pipeline, models once).

    With ``workers`` processes on this machine, each worker's decoder, OpenCV and torch get
    its share of the cores (at least one thread; the decoder leaves one to the analysis).
    """
    global _WORKER
    import cv2
    import torch

    from facetrack_otio.media.decode import set_decoder_cores

    logging.basicConfig(level=log_level, format="%(message)s")
    logging.getLogger().setLevel(log_level)
    logging.getLogger("PIL").setLevel(max(log_level, logging.INFO))
    share = max(1, cores() // max(1, workers))
    set_decoder_cores(share)
    cv2.setNumThreads(share)
    torch.set_num_threads(share)
    _WORKER = Worker(config)


def run_in_process(path: str, output: str) -> InputResult:
    """Process-pool task: one input with this process's worker."""
    if _WORKER is None:  # pragma: no cover - the initializer always runs first
        raise RuntimeError("batch worker not initialised")
    return _WORKER(path, output)
