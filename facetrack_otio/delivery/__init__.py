"""The delivery stage: one result in, every output file of it in one folder, all or nothing.

``facetrack run``, ``batch`` and ``multicam`` deliver alike, whatever the result: a video, a
sound file or a multicam shoot. :func:`deliver` locks the output folder and stages into a
hidden folder inside it (:func:`~facetrack_otio.staging.staging_folder`), runs the
analysis there (a second run into the folder is refused before any work), then writes, in
this order:

1. the thumbnails (the people in the timeline's metadata point at them);
2. the timeline, with the versions that made it and the note on formats left out;
3. the report (which shows the stage timings), after which the timings leave the timeline, so
   that its bytes depend on the input and settings alone;
4. every export format that can hold the timeline (one loop, :func:`export_files`);
5. the render (clips, or the program), unless asked not to;

and moves them into place. A result meets the stage through :class:`Deliverable`; the single
video's is :class:`facetrack_otio.delivery.video.VideoDeliverable`, the shoot's
:class:`facetrack_otio.multicam.deliverable.ShootDeliverable`.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, Protocol

from facetrack_otio.delivery.kinds import kind_of
from facetrack_otio.errors import InputError
from facetrack_otio.exports import Writer, export_timeline, left_out_note
from facetrack_otio.report.versions import versions
from facetrack_otio.staging import staging_folder

log = logging.getLogger("facetrack")


@dataclass
class Rendered:
    """What a result's render wrote.

    Attributes
    ----------
    files : list of Path
        The files written.
    failures : list of str
        One line per piece that failed (``"12.00-14.50s: why"``).
    encoder : str or None
        The video encoder used (None when nothing was encoded).
    """

    files: list[Path] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    encoder: str | None = None


class Deliverable(Protocol):
    """What a result gives the delivery stage.

    Attributes
    ----------
    stem : str
        The name the output files take (``STEM.otio``...).
    warnings : list of str
        What the analysis had to say.
    timings : dict of str to float
        Seconds per analysis stage.
    writers : mapping of str to writer
        The export formats this kind of result is written in (``otio``, ``fcpxml``...).
    """

    stem: str
    warnings: list[str]
    timings: dict[str, float]
    writers: Mapping[str, Writer]

    def thumbnails(self, folder: Path) -> list[Path]:
        """Write a face per person into ``folder`` (setting each person's thumbnail)."""
        ...

    def timeline(self) -> Any:
        """The timeline (``metadata["facetrack"]`` holds ``warnings`` and ``timings``)."""
        ...

    def report(self, timeline: Any, folder: Path) -> list[Path]:
        """Write the report of ``timeline`` into ``folder``."""
        ...

    def render(self, folder: Path, progress: bool) -> Rendered:
        """Render the result's media into ``folder``."""
        ...


@dataclass(frozen=True)
class DeliveryOptions:
    """How a result is delivered.

    Attributes
    ----------
    render : bool
        Render (clips of a video, a shoot's program).
    progress : bool
        Progress bars on stderr.
    tell : bool
        Log the warnings as they come (a batch collects them instead).
    earlier : callable, optional
        Which files in the folder's sub-folders an earlier run of this input wrote (see
        :func:`~facetrack_otio.staging.staging_folder`).
    """

    render: bool = True
    progress: bool = False
    tell: bool = True
    earlier: Callable[[PurePosixPath], bool] | None = None


@dataclass
class Delivery:
    """What :func:`deliver` did.

    Attributes
    ----------
    result : Deliverable
        The result delivered.
    files : list of Path
        Every file written, as placed in the output folder.
    warnings : list of str
        The result's warnings and the delivery's own (formats left out).
    failures : list of str
        Rendered pieces that failed.
    timings : dict of str to float
        The analysis stages' seconds, then ``export`` and ``render``.
    encoder : str or None
        The video encoder of the render.
    """

    result: Any
    files: list[Path] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    encoder: str | None = None


def deliver(
    analyse: Callable[[], Deliverable],
    folder: str | os.PathLike[str],
    options: DeliveryOptions = DeliveryOptions(),
) -> Delivery:
    """Analyse into a staged, locked ``folder`` and write every output of the result.

    Parameters
    ----------
    analyse : callable
        Runs the analysis and returns its :class:`Deliverable` (called once the folder is
        locked, so that a second run into it is refused at once and an interrupt at any point
        leaves nothing behind).
    folder : str or os.PathLike
        The output folder.
    options : DeliveryOptions
        What to write and say.

    Returns
    -------
    Delivery

    Raises
    ------
    InputError
        When the folder is locked by another run, or cannot be written.
    """
    outdir = Path(folder)
    with staging_folder(outdir, options.earlier) as stage:
        result = analyse()
        done = Delivery(result, warnings=list(result.warnings))
        if options.tell:
            for warning in result.warnings:
                log.warning("warning: %s", warning)
        t = time.perf_counter()
        thumbs = result.thumbnails(stage)
        timeline = result.timeline()
        meta = timeline.metadata["facetrack"]
        meta["versions"] = versions()
        note = left_out_note(timeline)
        if note:  # a rate without timecode (15 fps), or sound only: the others are written
            if options.tell:
                log.warning("warning: %s", note)
            meta["warnings"].append(note)
            done.warnings.append(note)
        # The report shows the stage timings; the delivered timeline leaves them out, so
        # that its bytes depend on the input and settings alone.
        written = result.report(timeline, stage)
        meta.pop("timings", None)
        written += export_files(timeline, stage, result.stem, result.writers)
        written += thumbs
        done.timings = {k: round(v, 3) for k, v in result.timings.items()}
        done.timings["export"] = round(time.perf_counter() - t, 3)
        if options.render:
            t = time.perf_counter()
            rendered = result.render(stage, options.progress)
            if rendered.files or rendered.failures:
                done.timings["render"] = round(time.perf_counter() - t, 3)
            written += rendered.files
            done.failures, done.encoder = rendered.failures, rendered.encoder
        done.files = placed(written, stage, outdir)
    return done


def placed(files: Sequence[str | os.PathLike[str]], stage: Path, folder: Path) -> list[Path]:
    """Where staged ``files`` are once moved into ``folder``."""
    # Rendered files come back absolute while a relative folder gives a relative stage.
    staged = stage.resolve()
    return [folder / Path(p).resolve().relative_to(staged) for p in files]


def export_files(
    timeline: Any,
    folder: Path,
    stem: str,
    writers: Mapping[str, Writer],
    formats: Sequence[str] = ("all",),
    named: bool = False,
) -> list[Path]:
    """The export loop: ``timeline`` in every format asked for, into ``folder``.

    ``named``: the user named the formats, so each must be written; otherwise those that
    cannot hold the timeline are left out (:func:`~facetrack_otio.exports.left_out_note`
    says which).
    """
    return export_timeline(timeline, folder, stem, formats, not named, writers=writers)


def deliver_exports(
    timeline: Any, folder: str | os.PathLike[str], stem: str, formats: Sequence[str], named: bool
) -> list[Path]:
    """Export a saved timeline (``facetrack export``, ``name``) through a staging folder:
    either every file lands in ``folder``, or none does.

    Returns
    -------
    list of Path
        The files, as placed in ``folder``.

    Raises
    ------
    InputError
        When the folder cannot be written, or a named format cannot hold the timeline.
    """
    outdir = Path(folder)
    note = None if named else left_out_note(timeline)
    if note:
        log.warning("warning: %s", note)
    with staging_folder(outdir) as stage:
        try:
            written = export_files(timeline, stage, stem, kind_of(timeline).writers, formats, named)
        except OSError as exc:
            raise InputError(f"{outdir}: cannot write ({exc.strerror or exc})") from None
        return placed(written, stage, outdir)
