"""Analysis cache: the face stage's result per input content and settings.

The face stage is the expensive one. Its result is stored under a key made of the input file's
content (SHA-256), the face settings and the package version, so a re-run after an interrupt,
a crash in a later stage, or a new export or render does not run the models again. An entry
is an ``.npz`` of the tracks plus a JSON header with a checksum of the arrays; an entry that
does not load or does not match its checksum is discarded and recomputed. ``stamps/`` keeps
each input's hash beside its size and modification time, so an unchanged input is not read
again to find its entry.

Location: ``$FACETRACK_CACHE_DIR``, else ``$XDG_CACHE_HOME/facetrack``, else
``~/.cache/facetrack``.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
import zipfile
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from facetrack_otio import __version__
from facetrack_otio.faces.tracks import FaceTrack, FaceTracks
from facetrack_otio.fsutil import atomic_write_bytes

log = logging.getLogger(__name__)

CACHE_ENV = "FACETRACK_CACHE_DIR"
_ARRAYS = ("frames", "boxes", "landmarks", "detected", "confidence", "mouth", "embedding")
# Bumped when the stored layout changes, so older entries are simply not found.
_FORMAT = 2


def default_root() -> Path:
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV])
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "facetrack"


def faces_key(content: str, settings: dict[str, Any]) -> str:
    """Cache key of a face-stage result: content hash + settings + version."""
    blob = json.dumps(
        {"content": content, "settings": settings, "version": __version__, "format": _FORMAT},
        sort_keys=True,
    )
    return hashlib.sha256(blob.encode()).hexdigest()[:32]


def _pack(tracks: FaceTracks) -> tuple[bytes, dict[str, Any]]:
    arrays: dict[str, np.ndarray] = {}
    for i, t in enumerate(tracks.tracks):
        for name in _ARRAYS:
            arrays[f"{i}.{name}"] = getattr(t, name)
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    data = buf.getvalue()
    header = {
        "fps": f"{tracks.fps.numerator}/{tracks.fps.denominator}",
        "size": list(tracks.size),
        "n_frames": tracks.n_frames,
        "embedder": tracks.embedder,
        "device": tracks.device,
        "stats": tracks.stats,
        "tracks": [{"id": t.id, "person": t.person} for t in tracks.tracks],
        "sha256": hashlib.sha256(data).hexdigest(),
    }
    return data, header


def _unpack(data: bytes, header: dict[str, Any]) -> FaceTracks:
    if hashlib.sha256(data).hexdigest() != header["sha256"]:
        raise ValueError("checksum mismatch")
    with np.load(io.BytesIO(data), allow_pickle=False) as npz:
        tracks = [
            FaceTrack(
                id=int(meta["id"]),
                person=int(meta["person"]),
                **{name: npz[f"{i}.{name}"] for name in _ARRAYS},
            )
            for i, meta in enumerate(header["tracks"])
        ]
    return FaceTracks(
        fps=Fraction(header["fps"]),
        size=(int(header["size"][0]), int(header["size"][1])),
        n_frames=int(header["n_frames"]),
        tracks=tracks,
        embedder=str(header["embedder"]),
        device=str(header["device"]),
        stats=dict(header["stats"]),
    )


def _plain(value: Any) -> Any:
    """numpy scalars in stats become plain numbers."""
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


class AnalysisCache:
    """Face-stage results on disk, keyed by input content and settings.

    Parameters
    ----------
    root : path, optional
        Cache folder (see :func:`default_root`).
    """

    def __init__(self, root: str | os.PathLike[str] | None = None) -> None:
        self.root = Path(root) if root is not None else default_root()

    @property
    def stamps(self) -> Path:
        """Where inputs' hashes are remembered beside their stamps (:func:`stamped_hash`)."""
        return self.root / "stamps"

    def _path(self, key: str) -> Path:
        return self.root / f"faces-{key}.npz"

    def load_faces(self, key: str) -> FaceTracks | None:
        """The cached result, or None when absent or damaged (a damaged entry is removed)."""
        path = self._path(key)
        if not path.is_file():
            return None
        try:
            with zipfile.ZipFile(path) as z:
                header = json.loads(z.read("header.json"))
                data = z.read("tracks.npz")
            return _unpack(data, header)
        except Exception as exc:  # any damage means: compute again
            log.warning("warning: discarding a damaged cache entry %s (%s)", path.name, exc)
            path.unlink(missing_ok=True)
            return None

    def save_faces(self, key: str, tracks: FaceTracks) -> None:
        """Store a result atomically; a cache that cannot be written is only a warning."""
        data, header = _pack(tracks)
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:
            z.writestr("header.json", json.dumps(header, default=_plain))
            z.writestr("tracks.npz", data)
        try:
            atomic_write_bytes(self._path(key), buf.getvalue())
        except OSError as exc:
            log.warning("warning: analysis cache not written (%s)", exc)
