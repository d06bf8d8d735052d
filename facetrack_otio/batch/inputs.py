"""Batch inputs: files, folders and globs expanded into videos, and their output sub-folders."""

from __future__ import annotations

import glob
import logging
import os
from collections.abc import Iterable, Sequence
from pathlib import Path

from facetrack_otio.errors import InputError
from facetrack_otio.fsutil import readable_file
from facetrack_otio.text import shown

log = logging.getLogger("facetrack")

VIDEO_SUFFIXES = frozenset({".mp4", ".mov", ".m4v", ".mkv", ".avi", ".webm"})
# Sound-only recordings (a podcast's mix) are diarized by voice, as `run` does.
AUDIO_SUFFIXES = frozenset({".wav", ".m4a", ".mp3", ".flac", ".aac", ".ogg", ".opus"})
MEDIA_SUFFIXES = VIDEO_SUFFIXES | AUDIO_SUFFIXES
_GLOB_CHARS = frozenset("*?[")


def _is_video(path: Path) -> bool:
    return path.suffix.lower() in MEDIA_SUFFIXES and not path.name.startswith(".")


def _walk(folder: Path) -> Iterable[Path]:
    # Hidden folders are skipped: they hold staging folders and other tools' state.
    for root, dirs, files in os.walk(folder, followlinks=True):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            path = Path(root) / name
            if not _is_video(path):
                continue
            if path.is_file():
                yield path
            elif path.is_symlink():
                log.warning("warning: skipped %s: a link to nothing", shown(path))


def expand_inputs(items: Sequence[str]) -> list[Path]:
    """Expand files, folders (recursed) and glob patterns into a sorted list of videos.

    A file named outright is taken whatever its suffix (probing decides whether it is a
    video); folders and globs contribute files with a video suffix (mp4, mov, m4v, mkv, avi,
    webm) or a sound suffix (wav, m4a, mp3, flac, aac, ogg, opus). Each file appears once,
    however many arguments name it.

    Parameters
    ----------
    items : sequence of str
        Command-line arguments: paths or glob patterns (``**`` recurses).

    Returns
    -------
    list of pathlib.Path
        Absolute (links not resolved, so that outputs are named by where the inputs were
        found), sorted, without duplicates (two names of one file count once).

    Raises
    ------
    InputError
        When an argument names nothing that exists, a pattern matches nothing, or no video
        is found at all.
    """
    found: dict[Path, Path] = {}
    for item in items:
        path = Path(item).expanduser()
        if path.is_dir():
            matches = list(_walk(path))
            if not matches:
                raise InputError(f"{item}: no videos in this folder")
        elif path.is_file():
            matches = [path]
        elif _GLOB_CHARS & set(item):
            matches = []
            for hit in sorted(glob.glob(os.path.expanduser(item), recursive=True)):
                p = Path(hit)
                if p.is_dir():
                    matches.extend(_walk(p))
                elif p.is_file() and _is_video(p):
                    matches.append(p)
            if not matches:
                raise InputError(f"{item}: the pattern matches no video")
        elif os.path.lexists(path):  # a pipe, a device, a link to nothing: say which
            matches = [readable_file(path, "media file", allow_empty=True)]
        else:
            raise InputError(f"{shown(item)}: no such file or folder")
        for m in matches:
            found.setdefault(m.resolve(), Path(os.path.abspath(m)))
    if not found:
        raise InputError("no inputs")
    return sorted(found.values())


def output_names(paths: Sequence[Path]) -> dict[Path, str]:
    """The output sub-folder of each input: its path below the inputs' common folder.

    ``a/talk.mp4`` and ``b/talk.mp4`` become ``a/talk`` and ``b/talk``; two inputs that
    differ only by suffix (``talk.mp4``, ``talk.mov``) keep it (``talk_mp4``, ``talk_mov``).

    Parameters
    ----------
    paths : sequence of pathlib.Path
        Absolute input paths.

    Returns
    -------
    dict of pathlib.Path to str
        Input -> sub-folder, relative, with ``/`` separators.
    """
    if not paths:
        return {}
    root = Path(os.path.commonpath([str(p.parent) for p in paths]))
    stems = {p: p.parent.relative_to(root) / p.stem for p in paths}
    counts: dict[Path, int] = {}
    for stem in stems.values():
        counts[stem] = counts.get(stem, 0) + 1
    out = {}
    for p, stem in stems.items():
        if counts[stem] > 1:
            stem = stem.with_name(f"{p.stem}_{p.suffix.lstrip('.')}")
        out[p] = stem.as_posix()
    return out
