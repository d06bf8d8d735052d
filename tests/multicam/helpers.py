"""The bundled multicam shoot's ground truth, and short shoots cut from it with ffmpeg."""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from facetrack_otio.eval.program import ProgramScores, score_program
from facetrack_otio.multicam.program import CLOSE_UP, WIDE, AngleView
from facetrack_otio.speakers.turns import SpeakerTurn

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared"
SHOOT = SHARED / "samples" / "multicam" / "two_person"
REAL = SHARED / "samples" / "real"
REAL_DEV = SHARED / "samples" / "real-dev"
DTD_DIR = SHARED / "validation" / "fcpxml"
FRAME = 0.04  # one frame of the shoot's 25 fps cameras

needs_shoot = pytest.mark.skipif(not SHOOT.is_dir(), reason="the shared multicam shoot is absent")


@cache
def truth() -> dict[str, Any]:
    """shoot.json."""
    return json.loads((SHOOT / "shoot.json").read_text())


def offsets() -> dict[str, float]:
    """File name -> offset on the conversation clock."""
    return {f["file"]: f["offset"] for f in truth()["files"]}


def truth_turns() -> list[tuple[str, float, float]]:
    """(person, start, end) of every turn, conversation clock."""
    return [(t["who"], t["start"], t["end"]) for t in truth()["turns"]]


def cameras() -> list[dict[str, Any]]:
    return [f for f in truth()["files"] if f["kind"] == "camera"]


def score(program: list[tuple[float, float, str]]) -> ProgramScores:
    """A program ``(start, end, camera file)`` on the conversation clock, scored on the truth."""
    shows = {f["file"]: f["shows"] for f in cameras()}
    close = {p["id"]: p["close_up"] for p in truth()["persons"]}
    return score_program(program, truth_turns(), shows, close)


def truth_views() -> tuple[list[AngleView], dict[str, int]]:
    """The cameras as the program cut sees them, and person ids (A -> 1, B -> 2)."""
    ids = {"A": 1, "B": 2}
    views = []
    for i, f in enumerate(cameras()):
        s, e = f["offset"], f["end"]
        wide = f["angle"] == "wide"
        views.append(
            AngleView(
                i,
                s,
                e,
                {ids[p]: [(s, e)] for p in f["shows"]},
                {ids[p]: 0.3 if wide else 0.5 for p in f["shows"]},
                WIDE if wide else CLOSE_UP,
                None if wide else ids[f["shows"][0]],
                f["file"],
            )
        )
    return views, ids


def truth_speaker_turns() -> list[SpeakerTurn]:
    ids = {"A": 1, "B": 2}
    return [SpeakerTurn(ids[w], s, e) for w, s, e in truth_turns()]


def ffmpeg(*args: str) -> None:
    exe = shutil.which("ffmpeg")
    assert exe, "ffmpeg is needed"
    subprocess.run([exe, "-nostdin", "-v", "error", "-y", *args], check=True)


def cut_video(src: Path, out: Path, start: float, duration: float, *extra: str) -> Path:
    """``duration`` seconds of ``src`` from file time ``start`` (re-encoded, quick)."""
    ffmpeg(
        "-ss", f"{start:.3f}", "-i", str(src), "-t", f"{duration:.3f}",
        *extra, "-c:v", "libx264", "-preset", "ultrafast", "-crf", "30",
        "-c:a", "aac", "-b:a", "96k", str(out),
    )  # fmt: skip
    return out


def cut_audio(src: Path, out: Path, start: float, duration: float) -> Path:
    """``duration`` seconds of a WAV from file time ``start`` (sample exact)."""
    ffmpeg(
        "-ss",
        f"{start:.6f}",
        "-i",
        str(src),
        "-t",
        f"{duration:.3f}",
        "-c:a",
        "pcm_s16le",
        str(out),
    )
    return out


@dataclass(frozen=True)
class Piece:
    """A file cut from the shoot: its path and where it starts on the conversation clock."""

    path: Path
    start: float


# (source file, conversation time of the cut's start, seconds). Starts of the camera cuts fall
# on their files' frames, so picture and sound start together.
SHORT = {
    "cam_wide": ("cam_wide.mp4", 3.022, 12.0),
    "cam_A": ("cam_A.mp4", 3.600, 11.0),
    "cam_B": ("cam_B.mp4", 4.104, 11.5),
    "mic_A": ("mic_A.wav", 2.700, 12.5),
    "mic_B": ("mic_B.wav", 3.300, 12.0),
}


def short_piece(name: str, folder: Path) -> Piece:
    """One file of the short shoot (conversation 2.7 to 15.6 s: B, then A, then B starts)."""
    src, conv, duration = SHORT[name]
    start = conv - offsets()[src]
    out = folder / (Path(src).stem + Path(src).suffix)
    if out.suffix == ".wav":
        cut_audio(SHOOT / src, out, start, duration)
    else:
        cut_video(SHOOT / src, out, start, duration)
    return Piece(out, conv)
