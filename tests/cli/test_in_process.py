"""The tests' ``facetrack()``: a command run in this process ends, prints and leaves this
process as the same command run by ``python -m facetrack_otio`` does."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import warnings
from pathlib import Path

import opentimelineio as otio
import pytest

from facetrack_otio.speakers.turns import Person, SpeakerTurn
from facetrack_otio.timeline import build_timeline
from tests.cli import ROOT, facetrack

SAMPLES = ROOT / "samples"
REAL = SAMPLES / "SadTalker__WDA_AlexandriaOcasioCortez_000.mp4"


def _odd_timeline(folder: Path) -> Path:
    """A saved timeline of the real clip under a name that is not UTF-8."""
    from facetrack_otio.media.probe import probe

    timeline = build_timeline(
        probe(REAL), [SpeakerTurn(1, 0.5, 1.5, 0.9, "voice")], [Person(1, "Speaker 1")]
    )
    path = folder / os.fsdecode(b"take \xff.otio")
    path.write_text(otio.adapters.write_to_string(timeline, "otio_json"), encoding="utf-8")
    return path


COMMANDS = {
    "version": lambda d: ["--version"],
    "help": lambda d: ["--help"],
    "no-command": lambda d: [],
    "command-help": lambda d: ["export", "--help"],
    "usage-error": lambda d: ["run", "a.mp4", "-o", "x", "--bogus"],
    "config": lambda d: ["config", "--show"],
    "eval": lambda d: ["eval", str(SAMPLES / "two_shot.rttm"), str(SAMPLES / "two_shot.rttm")],
    "missing-input": lambda d: ["-v", "run", str(d / "nope.mp4"), "-o", str(d / "out")],
    "export-odd-name": lambda d: ["export", str(_odd_timeline(d)), "-f", "edl,rttm"],
}


@pytest.mark.parametrize("case", list(COMMANDS))
def test_same_ending_and_output_as_a_fresh_process(case: str, tmp_path: Path) -> None:
    results = []
    for fresh in (True, False):
        folder = tmp_path / ("fresh" if fresh else "here")
        folder.mkdir()
        proc = facetrack(*COMMANDS[case](folder), cwd=folder, fresh_process=fresh)
        # The same words wherever it ran.
        text = (proc.stdout + proc.stderr).replace(str(folder), "FOLDER")
        results.append((proc.returncode, text, sorted(p.name for p in folder.rglob("*"))))
    assert results[0] == results[1]


def test_the_process_is_left_as_it_was(tmp_path: Path) -> None:
    cwd, environ = os.getcwd(), dict(os.environ)
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    sigterm = signal.getsignal(signal.SIGTERM)
    filters = list(warnings.filters)
    proc = facetrack(
        "-v", "export", str(_odd_timeline(tmp_path)), "-f", "rttm",
        cwd=tmp_path, env={"FACETRACK_TEST_VARIABLE": "1"},
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert os.getcwd() == cwd and dict(os.environ) == environ
    assert root.handlers == handlers and root.level == level
    assert signal.getsignal(signal.SIGTERM) == sigterm
    assert list(warnings.filters) == filters


def test_a_command_past_its_time_bound_is_stopped(tmp_path: Path) -> None:
    cwd = os.getcwd()
    with pytest.raises(subprocess.TimeoutExpired):
        facetrack("-q", "run", str(REAL), "-o", str(tmp_path / "out"), "--no-cache", timeout=0.5)
    assert os.getcwd() == cwd
    assert not (tmp_path / "out").exists()  # the run cleaned up on its way out
