"""Every command docs/editors.md and docs/multicam.md give, run as written.

The commands are read from the documents themselves (``sh`` blocks, and inline commands such
as the table of ``otioconvert`` lines), so a command added there is run here too; the Python
blocks are run as well. Each runs in a folder holding the files it names: ``talk.mp4`` (the
first ten seconds of ``samples/two_shot.mp4``: two people, each speaking), another tool's
``cut.otio`` and ``cut.edl``; for the multicam document, a short cut of the bundled shoot
under the names the document uses, in a folder called ``NAME`` (the shoot's name is its
first file's folder).
"""

from __future__ import annotations

import glob
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import opentimelineio as otio
import pytest

from tests.multicam.helpers import SHOOT, short_piece

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
BIN = Path(sys.executable).parent
TOOLS = ("facetrack", "otioconvert", "otiocat", "otiopluginfo")
REAL = ROOT / "samples" / "SadTalker__WDA_AlexandriaOcasioCortez_000.mp4"

EDL = """TITLE: Cut from elsewhere
FCM: NON-DROP FRAME

001  A001C003 V     C        01:00:10:00 01:00:12:00 01:00:00:00 01:00:02:00
* FROM CLIP NAME: interview wide
002  A001C004 V     C        01:02:00:00 01:02:03:00 01:00:02:00 01:00:05:00
"""


def commands(doc: str) -> list[str]:
    """The shell commands of a document, in order: ``sh`` blocks first, then inline ones."""
    text = (DOCS / doc).read_text(encoding="utf-8")
    out: list[str] = []
    for block in re.findall(r"```sh\n(.*?)```", text, re.S):
        for line in block.splitlines():
            line = re.sub(r"\s+#.*$", "", line).strip()
            if line and not line.startswith("#"):
                out.append(line)
    for span in re.findall(r"`([^`\n]+)`", text):
        words = span.split()
        # `facetrack run` names a command; `facetrack run talk.mp4` is one to run.
        least = 3 if words[0] == "facetrack" else 2
        if words[0] in TOOLS and len(words) >= least and span not in out:
            out.append(span)
    return out


def python_blocks(doc: str) -> list[str]:
    return re.findall(r"```python\n(.*?)```", (DOCS / doc).read_text(encoding="utf-8"), re.S)


def run(command: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """A documented command in ``cwd``: globs expanded, the tools from this environment."""
    words: list[str] = []
    for word in shlex.split(command):
        found = sorted(glob.glob(word, root_dir=cwd)) if any(c in word for c in "*?[") else []
        words += found or [word]
    tool, *args = words
    exe = [sys.executable, "-m", "facetrack_otio"] if tool == "facetrack" else [str(BIN / tool)]
    return subprocess.run(
        [*exe, *args], cwd=cwd, capture_output=True, text=True, timeout=900, check=False
    )


def _written(command: str, cwd: Path) -> Path | None:
    words = shlex.split(command)
    return cwd / words[words.index("-o") + 1] if "-o" in words else None


def _check(command: str, cwd: Path) -> None:
    proc = run(command, cwd)
    assert proc.returncode == 0, f"{command}\n{proc.stderr[-2000:]}"
    out = _written(command, cwd)
    if out is not None and out.suffix:  # a file (a render writes a folder beside it)
        assert out.is_file() or (out.parent / "clips").is_dir(), command


def _foreign_cut() -> otio.schema.Timeline:
    rt = otio.opentime.RationalTime
    ref = otio.schema.ExternalReference(
        target_url=REAL.as_uri(),
        available_range=otio.opentime.TimeRange(rt(0, 25), rt(200, 25)),
    )
    clip = otio.schema.Clip(
        name="Shot",
        media_reference=ref,
        source_range=otio.opentime.TimeRange(rt(10, 25), rt(50, 25)),
    )
    timeline = otio.schema.Timeline(name="cut")
    timeline.tracks.append(otio.schema.Track(name="V1", children=[clip]))
    return timeline


def test_editors_md(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cwd = tmp_path
    cut = ["-t", "10", "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac"]
    src = ROOT / "samples" / "two_shot.mp4"
    subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-i", str(src), *cut, str(cwd / "talk.mp4")],
        check=True,
    )
    otio.adapters.write_to_file(_foreign_cut(), str(cwd / "cut.otio"))
    (cwd / "cut.edl").write_text(EDL)
    found = commands("editors.md")
    # The analysis first: the conversions of talk.otio need it.
    first = [c for c in found if "-i talk.mp4 -o talk.otio" in c]
    assert first, "the document no longer analyses talk.mp4 into talk.otio"
    for command in first + [c for c in found if c not in first]:
        _check(command, cwd)
    (cwd / "out").mkdir()
    shutil.copy(cwd / "talk.otio", cwd / "out" / "talk.otio")
    monkeypatch.chdir(cwd)
    for code in python_blocks("editors.md"):
        exec(compile(code, "docs/editors.md", "exec"), {})
    assert (cwd / "out" / "talk.mlt").is_file()


@pytest.mark.skipif(not SHOOT.is_dir(), reason="the shared multicam shoot is absent")
def test_multicam_md(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cwd = tmp_path / "NAME"
    cwd.mkdir()
    pieces = tmp_path / "pieces"
    pieces.mkdir()
    names = {
        "cam_wide": ["cam_wide.mp4"],
        "cam_A": ["cam_a.mp4"],
        "cam_B": ["cam_b.mp4"],
        "mic_A": ["mic_a.wav", "lav1.wav"],
        "mic_B": ["mic_b.wav", "lav2.wav"],
    }
    for piece, links in names.items():
        path = short_piece(piece, pieces).path
        for link in links:
            shutil.copy(path, cwd / link)
    for command in commands("multicam.md"):
        _check(command, cwd)
    assert (cwd / "out" / "NAME.mlt").is_file() and (cwd / "out" / "NAME.kdenlive").is_file()
    monkeypatch.chdir(cwd)
    for code in python_blocks("multicam.md"):
        exec(compile(code, "docs/multicam.md", "exec"), {})
