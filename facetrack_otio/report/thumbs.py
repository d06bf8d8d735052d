"""One face thumbnail per person, cut from the source at their best detection."""

from __future__ import annotations

import io
import logging
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from facetrack_otio.faces.analyze import FaceTracks
from facetrack_otio.fsutil import atomic_path
from facetrack_otio.media.probe import MediaInfo, _require
from facetrack_otio.speakers.turns import OFF_SCREEN_ID, Person

log = logging.getLogger(__name__)

THUMB_DIR = "thumbs"
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


def grab_frame(info: MediaInfo, t: float) -> Image.Image:
    """The source's frame at ``t`` seconds, decoded by ffmpeg at display size (rotated).

    Raises
    ------
    RuntimeError
        When ffmpeg delivers no frame.
    """
    cmd = [_require("ffmpeg"), "-nostdin", "-v", "error"]
    cmd += ["-ss", f"{max(0.0, t):.6f}", "-i", info.path, "-map", "0:v:0", "-frames:v", "1"]
    cmd += ["-f", "image2pipe", "-vcodec", "png", "pipe:1"]
    proc = subprocess.run(cmd, capture_output=True, check=False, timeout=120)
    if proc.returncode != 0 or not proc.stdout:
        reason = proc.stderr.decode(errors="replace").strip().splitlines()
        raise RuntimeError(reason[-1] if reason else f"no frame at {t:.2f}s")
    image = Image.open(io.BytesIO(proc.stdout))
    image.load()
    return image.convert("RGB")


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
    best = best_faces(faces, info)
    written: dict[int, str] = {}
    for person in people:
        if person.id == OFF_SCREEN_ID or person.id not in best:
            continue
        face = best[person.id]
        try:
            thumb = crop_face(grab_frame(info, face.t), face.box)
        except (RuntimeError, OSError, subprocess.SubprocessError) as exc:
            log.warning("no thumbnail for %s: %s", person.name, exc)
            continue
        rel = f"{THUMB_DIR}/{person.label}.jpg"
        folder.mkdir(parents=True, exist_ok=True)
        with atomic_path(Path(outdir) / rel) as tmp:
            thumb.save(tmp, format="JPEG", quality=88)
        person.thumbnail = rel
        written[person.id] = rel
    return written
