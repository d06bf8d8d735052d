"""One real `facetrack run` of the bundled sample, shared by every test module that needs it.

It runs as a user would try the tool first: `facetrack run` with no video, in a fresh folder,
with a settings file (``[render] crf``) to show that the file reaches the run.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tests.cli import facetrack

ROOT = Path(__file__).resolve().parents[2]
DEMO_CRF = 30


@dataclass(frozen=True)
class DemoRun:
    """The demo run's working folder, output folder and what it printed."""

    cwd: Path
    outdir: Path
    stdout: str
    stderr: str
    returncode: int


_RUN: DemoRun | None = None


def demo_run(base: Path) -> DemoRun:
    """Run the demo once per test process (in ``base``) and return the same result after."""
    global _RUN
    if _RUN is None:
        cwd = base / "work"
        cwd.mkdir(parents=True)
        config = cwd / "settings.toml"
        config.write_text(f'[render]\ncrf = {DEMO_CRF}\npreset = "ultrafast"\n')
        # The session's analysis cache (tests/conftest.py): the user's cache is left alone, and
        # the sample's faces, analysed once, serve every test that runs it.
        proc = facetrack("-q", "--config", str(config), "run", cwd=cwd)
        _RUN = DemoRun(cwd, cwd / "facetrack-demo", proc.stdout, proc.stderr, proc.returncode)
    return _RUN
