"""One face thumbnail per person, cut from the source at their best detection."""

from __future__ import annotations

import logging
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from facetrack_otio.faces.tracks import FaceTracks
from facetrack_otio.fsutil import WRITE_ERRNOS, atomic_path, failed_write
from facetrack_otio.media.probe import MediaInfo, require_tool
from facetrack_otio.outputs import THUMB_DIR
from facetrack_otio.speakers.turns import Person, is_off_screen

log = logging.getLogger(__name__)

THUMB_SIZE = 160
# The crop is this many times the face box's longer side: a little hair and chin around it.
_MARGIN = 1.6


@dataclass(frozen=True)
class BestFace:
    """Where a person's face was seen best: time in seconds and the box in source pixels."""

    person: int
    t: float
    box: tuple[float, float, float, float]
    confidence: float


def best_faces(faces: FaceTracks, info: MediaInfo) -> dict[int, BestFace]:
    """Each person's highest-confidence detection (ties: the larger face), in source pixels.

    Parameters
    ----------
    faces : FaceTracks
        The face stage's result (boxes in analysis pixels, ``faces.size``).
    info : MediaInfo
        The source, whose display size the boxes are scaled to.

    Returns
    -------
    dict of int to BestFace
        Person id -> best face; people whose tracks hold no box are left out. Boxes the
        tracker carried count only when the detector never saw the person.
    """
    sx = info.width / faces.size[0]
    sy = info.height / faces.size[1]
    out: dict[int, BestFace] = {}
    for person in faces.people:
        best: tuple[float, float, float] | None = None  # (detected, confidence, area) ranks
        found: BestFace | None = None
        for track in faces.person_tracks(person):
            if len(track.frames) == 0:
                continue
            b = track.boxes
            areas = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
            detected = track.detected.astype(float)
            conf = np.nan_to_num(track.confidence.astype(float), nan=0.0)
            # lexsort sorts by the last key first: detected, then confidence, then area.
            i = int(np.lexsort((areas, conf, detected))[-1])
            rank = (float(detected[i]), float(conf[i]), float(areas[i]))
            if best is None or rank > best:
                best = rank
                x1, y1, x2, y2 = (float(v) for v in track.boxes[i])
                found = BestFace(
                    person=person,
                    t=float(faces.time(int(track.frames[i]))),
                    box=(x1 * sx, y1 * sy, x2 * sx, y2 * sy),
                    confidence=float(conf[i]),
                )
        if found is not None:
            out[person] = found
    return out


def grab_frames(info: MediaInfo, times: Sequence[float]) -> list[Image.Image | None]:
    """The source's frames at ``times`` (seconds), decoded at display size (rotated).

    One ffmpeg process seeks to every time (one input each): starting ffmpeg costs about as
    much as decoding from the nearest keyframe, so a process per frame would double the work.

    Returns
    -------
    list of PIL.Image.Image or None
        One per time, in order; None where ffmpeg delivered no frame (past the end, damage).

    Raises
    ------
    RuntimeError
        When ffmpeg fails as a whole (its last line of error says why).
    """
    if not times:
        return []
    cmd = [require_tool("ffmpeg"), "-nostdin", "-v", "error"]
    for t in times:
        cmd += ["-ss", f"{max(0.0, t):.6f}", "-i", info.path]
    with tempfile.TemporaryDirectory(prefix="facetrack-thumbs-") as tmp:
        outputs = [Path(tmp) / f"{k}.bmp" for k in range(len(times))]
        for k, out in enumerate(outputs):
            # BMP: no compression to spend time on, and PIL reads it back as it is.
            cmd += ["-map", f"{k}:v:0", "-frames:v", "1", "-update", "1", "-c:v", "bmp", str(out)]
        proc = subprocess.run(cmd, capture_output=True, check=False, timeout=120)
        if proc.returncode != 0:
            stderr = proc.stderr.decode(errors="replace")
            full = failed_write(stderr, proc.returncode, outputs[0])
            if full is not None:
                raise full  # a full disk is not a missing thumbnail: the run stops
            reason = stderr.strip().splitlines()
            raise RuntimeError(reason[-1] if reason else "ffmpeg delivered no frame")
        frames: list[Image.Image | None] = []
        for out in outputs:
            if not out.is_file() or out.stat().st_size == 0:
                frames.append(None)
                continue
            with Image.open(out) as image:
                frames.append(image.convert("RGB"))
    return frames


def crop_face(image: Image.Image, box: tuple[float, float, float, float]) -> Image.Image:
    """A square crop around ``box`` (with a margin), kept inside the image, THUMB_SIZE wide."""
    x1, y1, x2, y2 = box
    side = max(x2 - x1, y2 - y1) * _MARGIN
    side = min(side, image.width, image.height)
    cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
    left = min(max(cx - side / 2, 0), image.width - side)
    top = min(max(cy - side / 2, 0), image.height - side)
    crop = image.crop((round(left), round(top), round(left + side), round(top + side)))
    return crop.resize((THUMB_SIZE, THUMB_SIZE), Image.Resampling.LANCZOS)


def write_thumbnails(
    info: MediaInfo, faces: FaceTracks, people: Sequence[Person], outdir: str | Path
) -> dict[int, str]:
    """Write ``thumbs/speaker-N.jpg`` per person under ``outdir`` and set ``Person.thumbnail``.

    Parameters
    ----------
    info : MediaInfo
        The source video.
    faces : FaceTracks
        The face stage's result, to find each person's best detection.
    people : sequence of Person
        Updated in place: ``thumbnail`` becomes the path relative to ``outdir``.
    outdir : str or Path
        The output folder (the report and the timeline live there).

    Returns
    -------
    dict of int to str
        Person id -> relative thumbnail path, for the thumbnails written. A frame ffmpeg cannot
        deliver is logged and skipped: the report shows a placeholder instead.
    """
    folder = Path(outdir) / THUMB_DIR
    if not info.has_video or not faces.tracks:
        return {}
    best = best_faces(faces, info)
    wanted = [p for p in people if not is_off_screen(p.id) and p.id in best]
    # People seen best in the same frame (a two-shot) share one decode of it.
    times = sorted({best[p.id].t for p in wanted})
    try:
        frames = dict(zip(times, grab_frames(info, times)))
    except (RuntimeError, OSError, subprocess.SubprocessError) as exc:
        if isinstance(exc, OSError) and exc.errno in WRITE_ERRNOS:
            raise
        log.warning("no thumbnails: %s", exc)
        return {}
    written: dict[int, str] = {}
    for person in wanted:
        face = best[person.id]
        frame = frames[face.t]
        if frame is None:
            log.warning("no thumbnail for %s: no frame at %.2fs", person.name, face.t)
            continue
        thumb = crop_face(frame, face.box)
        rel = f"{THUMB_DIR}/{person.label}.jpg"
        folder.mkdir(parents=True, exist_ok=True)
        with atomic_path(Path(outdir) / rel) as tmp:
            thumb.save(tmp, format="JPEG", quality=88)
        person.thumbnail = rel
        written[person.id] = rel
    return written
